"""The audit's default thresholds, apart so the command line can show them in its help
without importing the comparison code (and its regular expressions) on every start."""

from __future__ import annotations

__all__ = ["DEFAULT_DRIFT_THRESHOLD", "DEFAULT_SUPPORT_THRESHOLD"]

DEFAULT_DRIFT_THRESHOLD = 0.8
"""Similarity below which a source counts as drifted (see ``tests/compare/test_drift.py`` and
``bench/support/drift.py`` for the edits on either side of it)."""

DEFAULT_SUPPORT_THRESHOLD = 0.5
"""Best-passage score below which a claim counts as weakly supported (chosen on the dev split
of ``tests/data/support/pairs.jsonl``; see ``bench/support/eval.py``)."""
