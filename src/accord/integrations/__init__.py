"""Adapters to the outside world: file formats and external systems."""
