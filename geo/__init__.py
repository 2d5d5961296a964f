"""Boundaries and the region registry: codes, names and shapes of Indonesian regions."""
