"""Accord: the service agreements database."""

__version__ = "0.1.0"
