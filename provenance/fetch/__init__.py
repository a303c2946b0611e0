"""Fetching cited sources: one polite, fast pass over every distinct URL."""
