"""Prometheus: recording and alerting rules for objectives (Sloth-compatible)."""
