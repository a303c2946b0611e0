"""The compiled helpers of extraction and of the report's rows, or None.

``_speedups`` (``_speedups.c``, built by ``setup.py`` at install time) runs the hot loops
several times faster than the Python they mirror; the Python stays the reference and the
fallback. None when it was not built (no compiler at install time) or when the
environment asks for the pure-Python implementation: ``PROVENANCE_PURE_PYTHON=1``.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["speedups"]

speedups: ModuleType | None
if os.environ.get("PROVENANCE_PURE_PYTHON", "") not in ("", "0"):
    speedups = None
else:
    try:
        from provenance.extract import _speedups as speedups
    except ImportError:  # built without a compiler: the Python loops, just slower
        speedups = None
