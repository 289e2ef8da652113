"""Storage: Parquet schemas and writer, run state, export, WARC building."""
