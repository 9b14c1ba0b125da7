"""The background composition root: `accord worker` runs the scheduled jobs."""
