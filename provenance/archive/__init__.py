"""The evidence archive: WARC records, extracted text and a SQLite index of snapshots."""
