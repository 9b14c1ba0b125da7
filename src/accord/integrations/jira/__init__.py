"""Jira Service Management issues as Accord's generic ticket events: the bodies of Jira's
``jira:issue_created`` and ``jira:issue_updated`` webhooks. See `webhooks.events_from_jira` and
docs/integrations/jira.md."""
