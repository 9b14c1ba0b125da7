"""ServiceNow incidents as Accord's generic ticket events: Table API answers and exports
(snapshots of records) and the webhook bodies of a Business Rule (changes as they happen).
See `incidents.events_from_servicenow` and docs/integrations/servicenow.md."""
