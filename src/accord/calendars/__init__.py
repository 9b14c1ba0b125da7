"""Business calendars: persisted working-hours definitions (weekly segments, national holidays,
custom days) and business-time arithmetic over them through `accord.engine.calendars`."""
