"""provenance: check the sourcing of written claims, before publication and for years after."""

from __future__ import annotations

__version__ = "0.1.0"
