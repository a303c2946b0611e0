"""The canonical machine output: the report as JSON.

Its schema ships as ``provenance/schema/report.schema.json``.
"""

from __future__ import annotations

from provenance.models import Report

__all__ = ["render"]


def render(report: Report) -> str:
    """The report as indented JSON, ending in a newline."""
    return report.model_dump_json(indent=2) + "\n"
