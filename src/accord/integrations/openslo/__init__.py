"""OpenSLO v1 documents: reading, writing, and importing and exporting objectives."""
