"""Sloth SLO specs: reading them, and importing them as objectives."""
