"""Anonymization: turns raw records into safe, suppressed aggregates and publishes them."""
