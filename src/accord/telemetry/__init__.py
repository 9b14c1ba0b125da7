"""Telemetry stored as SLI buckets, with hourly and daily rollups maintained on write."""
