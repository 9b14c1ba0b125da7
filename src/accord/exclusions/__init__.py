"""Declared periods that SLO math treats specially: maintenance, approved exceptions, peaks."""
