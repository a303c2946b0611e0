"""Baselines: record today's findings so a gate fails only on new ones.

A finding's fingerprint is built from what a reader would call "the same
problem": its rule, the document path and the normalised sentence (or, for a
source finding, the source id), plus its index among findings with that same
key. Line and column numbers are left out, so editing unrelated lines or moving
a paragraph keeps every fingerprint; rewording the sentence makes a new one.

The baseline file (``provenance-baseline.json`` by default, meant to be
committed) is JSON::

    {"version": 1, "findings": [{"fingerprint": "...", "rule": "...", "path": "...",
                                 "line": 12, "text": "..."}, ...]}

Only ``fingerprint`` counts when matching; the rest is there for people reading
the diff of the file.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provenance.config import DEFAULT_BASELINE
from provenance.errors import InputError
from provenance.models import Finding, Report

__all__ = [
    "DEFAULT_BASELINE",
    "Baseline",
    "BaselineEntry",
    "apply_baseline",
    "fingerprints",
    "iter_fingerprints",
    "load_baseline",
    "make_baseline",
    "render_baseline",
]

_SPACE = re.compile(r"\s+")
# Citation markers come and go as a sentence is fixed; they are not its identity.
_MARKER = re.compile(r"\[[^\[\]]{0,40}\]")
_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _MARKER.sub(" ", text)
    text = _BEFORE_PUNCTUATION.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip().casefold()


def _key(finding: Finding) -> str:
    subject = finding.source if finding.source and not finding.text else finding.text
    if subject is None:
        subject = finding.message
    raw = "\0".join((finding.rule.value, finding.path, _normalise(subject)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def iter_fingerprints(findings: Iterable[Finding]) -> Iterator[str]:
    """``fingerprints``, one at a time (a large run's findings are read from its spool)."""
    seen: Counter[str] = Counter()
    for finding in findings:
        key = _key(finding)
        yield f"{key}:{seen[key]}"
        seen[key] += 1


def fingerprints(findings: Iterable[Finding]) -> list[str]:
    """One stable fingerprint per finding, in the same order (``<hash>:<occurrence>``)."""
    return list(iter_fingerprints(findings))


class BaselineEntry(BaseModel):
    """One recorded finding; ``fingerprint`` is what matches, the rest is for people."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    fingerprint: str
    rule: str
    path: str
    line: int | None = None
    text: str | None = None


class Baseline(BaseModel):
    """The findings accepted as they are on the day the baseline was made."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    version: int = Field(1, ge=1, le=1)
    findings: list[BaselineEntry] = Field(default_factory=list)

    def known(self) -> frozenset[str]:
        """The recorded fingerprints."""
        return frozenset(entry.fingerprint for entry in self.findings)


def make_baseline(report: Report) -> Baseline:
    """The baseline recording every finding of ``report``."""
    entries = [
        BaselineEntry(
            fingerprint=fp,
            rule=finding.rule.value,
            path=finding.path,
            line=finding.line,
            text=finding.text or finding.message,
        )
        for finding, fp in zip(report.findings, iter_fingerprints(report.findings), strict=True)
    ]
    return Baseline(findings=entries)


def render_baseline(baseline: Baseline) -> str:
    """The baseline file's text: stable, indented JSON."""
    return baseline.model_dump_json(indent=2) + "\n"


def load_baseline(path: Path, display: str | None = None) -> Baseline:
    """Read a baseline file; an unreadable or malformed one is an ``InputError``."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the baseline: {exc.strerror or exc}"
            " (create it with `provenance baseline`)",
            path=shown,
        ) from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=shown, line=exc.lineno) from None
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"not a baseline: {where}: {first['msg'].lower()}", path=shown) from None


def apply_baseline(report: Report, baseline: Baseline) -> Report:
    """``report`` with each finding recorded in ``baseline`` marked ``baselined``."""
    return report.model_copy(update={"findings": _Baselined(report.findings, baseline.known())})


class _Baselined(Sequence[Finding]):
    """A report's findings, each marked as it is read: they are not copied into a list.

    A large run's findings stay in its spool; the fingerprints are worked out on
    every pass over them, in the same single pass.
    """

    def __init__(self, findings: Sequence[Finding], known: frozenset[str]) -> None:
        self._findings = findings
        self._known = known

    def __len__(self) -> int:
        return len(self._findings)

    def __iter__(self) -> Iterator[Finding]:
        seen: Counter[str] = Counter()
        for finding in self._findings:
            key = _key(finding)
            baselined = f"{key}:{seen[key]}" in self._known
            seen[key] += 1
            yield finding.model_copy(update={"baselined": baselined})

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | Sequence[Finding]:
        if isinstance(index, slice):
            return list(itertools.islice(self, *index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("finding index out of range")
        return next(itertools.islice(self, index, None))
