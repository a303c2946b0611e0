"""The ``provenance check --no-fetch`` throughput benchmark (see ``run.py``)."""
