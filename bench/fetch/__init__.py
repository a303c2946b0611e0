"""Fetch benchmark: loopback servers, corpus, httpx transports, lychee and provenance check.

See the fetch section of ``bench/README.md``; entry point ``python -m bench.fetch.run``.
"""
