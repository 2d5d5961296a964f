"""Raw records: the synthetic generator, the raw database schema and ingestion of real-format files."""
