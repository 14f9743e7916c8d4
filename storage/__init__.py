"""Loading: the parquet warehouse and the inbox's files (archive, rejected)."""
