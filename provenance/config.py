"""Project configuration: ``provenance.toml`` or ``[tool.provenance]`` in pyproject.toml.

Every key is optional; the command line overrides the file. Unknown keys are
errors with a "did you mean" hint, on their line.

::

    # provenance.toml
    paths = ["articles"]            # what `provenance check` reads with no PATHS
    sources = "sources.toml"
    reports = "reports"
    fail_on = "error"               # a severity, or rule ids: ["stripped-marker", ...]
    fail_under = 80                 # minimum coverage, percent
    baseline = "provenance-baseline.json"  # findings recorded by `provenance baseline`
    boilerplate = ['^\\s*disclaimer\\b']
    min_claim_words = 3
    max_document_bytes = 33554432    # larger documents are refused unread (32 MiB)

    archive = ".provenance/archive"  # WARC evidence, extracted text, index
    cache = ".provenance/cache"      # last verdict per URL

    [fetch]                         # see provenance.fetch.FetchSettings
    concurrency = 64
    host_concurrency = 8
    host_interval_ms = 0
    total_timeout_s = 30

    [audit]                         # `provenance audit`
    dead_after = 3                  # failures before a source is dead...
    dead_spacing_days = 3           # ...at least this many days apart
    drift_threshold = 0.8           # similarity under it: drifted-source
    support_threshold = 0.5         # best-passage score under it: weak-support
    wayback_api = "https://archive.org/wayback/available"

    [severity]
    uncited-claim = "error"

    [[ignore]]
    rule = "uncited-claim"
    path = "articles/legal/*.md"
    text = "^All rights reserved"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provenance.documents import DEFAULT_MAX_DOCUMENT_BYTES
from provenance.errors import ConfigError
from provenance.extract.claims import DEFAULT_BOILERPLATE
from provenance.fetch.settings import FetchSettings
from provenance.rules import RuleId, Severity
from provenance.tomlpos import TomlSyntaxError, key_lines, line_of, parse_toml

__all__ = ["DEFAULT_BASELINE", "AuditSettings", "IgnoreRule", "Settings", "load_settings"]

DEFAULT_BASELINE = "provenance-baseline.json"
"""Where `provenance baseline` writes when neither -o nor the `baseline` setting says."""


class IgnoreRule(BaseModel):
    """Silence findings that match every given field."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rule: RuleId | None = None
    path: str | None = Field(None, description="A glob matched against the document path.")
    text: str | None = Field(
        None, description="A regular expression searched in the finding's text."
    )


class AuditSettings(BaseModel):
    """How ``provenance audit`` judges rot, drift and support (the ``[audit]`` table).

    The thresholds default to those of ``provenance.compare`` when unset.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    dead_after: int = Field(3, ge=1, description="Failures before a source is dead.")
    dead_spacing_days: float = Field(3.0, ge=0, description="Days between counted failures.")
    drift_threshold: float | None = Field(None, ge=0, le=1)
    support_threshold: float | None = Field(None, ge=0, le=1)
    wayback_api: str = "https://archive.org/wayback/available"


class Settings(BaseModel):
    """Everything configurable, with its default."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    paths: list[str] = Field(default_factory=list)
    sources: str = "sources.toml"
    reports: str = "reports"
    fail_on: str | list[str] = "error"
    fail_under: float | None = Field(None, ge=0, le=100)
    baseline: str | None = None
    boilerplate: list[str] = Field(default_factory=lambda: list(DEFAULT_BOILERPLATE))
    citation_needed: list[str] | None = None
    min_claim_words: int = Field(3, ge=1)
    max_document_bytes: int = Field(DEFAULT_MAX_DOCUMENT_BYTES, ge=1)
    severity: dict[RuleId, str] = Field(default_factory=dict)
    ignore: list[IgnoreRule] = Field(default_factory=list)
    archive: str = ".provenance/archive"
    cache: str = ".provenance/cache"
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    def severity_of(self, rule: RuleId, default: Severity) -> Severity:
        """The configured severity of ``rule``."""
        configured = self.severity.get(rule)
        return default if configured is None else Severity.parse(configured)


def load_settings(root: Path) -> tuple[Settings, str | None]:
    """Load settings from ``root``; return them and the file they came from (or None)."""
    for name, table in (("provenance.toml", ()), ("pyproject.toml", ("tool", "provenance"))):
        path = root / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            data: Any = parse_toml(text)
        except TomlSyntaxError as exc:
            if name == "pyproject.toml":
                continue  # not ours to judge unless it holds our table
            message = f"TOML syntax error: {exc.message}"
            raise ConfigError(message, path=name, line=exc.line) from None
        for part in table:
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            continue
        return _validate(data, text, name, table), name
    return Settings(), None


def _validate(data: Any, text: str, name: str, table: tuple[str, ...]) -> Settings:
    lines = key_lines(text)
    if isinstance(data, dict):
        _check_keys(data, Settings.model_fields, (), name, table, lines)
        fetch = data.get("fetch")
        if isinstance(fetch, dict):
            _check_keys(fetch, FetchSettings.model_fields, ("fetch",), name, table, lines)
    try:
        settings = Settings.model_validate(data)
        for value in settings.severity.values():
            Severity.parse(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(str(p) for p in first["loc"])
        raise ConfigError(
            f"{'.'.join(loc)}: {first['msg'].lower()}",
            path=name,
            line=line_of(lines, (*table, *loc)),
        ) from None
    except ValueError as exc:
        raise ConfigError(str(exc), path=name, line=line_of(lines, (*table, "severity"))) from None
    _check_patterns(settings, name, table, lines)
    _check_paths(settings, name, table, lines)
    return settings


def _check_keys(
    data: dict[str, Any],
    allowed: Iterable[str],
    prefix: tuple[str, ...],
    name: str,
    table: tuple[str, ...],
    lines: dict[tuple[str, ...], int],
) -> None:
    known = list(allowed)
    for key in data:
        if key not in known:
            import difflib

            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            dotted = ".".join((*prefix, key))
            raise ConfigError(
                f"unknown setting {dotted!r}{hint}",
                path=name,
                line=line_of(lines, (*table, *prefix, key)),
            )


def _check_patterns(
    settings: Settings, name: str, table: tuple[str, ...], lines: dict[tuple[str, ...], int]
) -> None:
    """Every regular expression in the settings compiles, or the error names its key."""
    patterns: list[tuple[tuple[str, ...], str]] = [
        (("boilerplate",), pattern) for pattern in settings.boilerplate
    ]
    patterns += [(("citation_needed",), pattern) for pattern in settings.citation_needed or ()]
    patterns += [(("ignore", "text"), rule.text) for rule in settings.ignore if rule.text]
    for key, pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"{'.'.join(key)}: {pattern!r} is not a regular expression: {exc}",
                path=name,
                line=line_of(lines, (*table, *key)),
            ) from None


def _check_paths(
    settings: Settings, name: str, table: tuple[str, ...], lines: dict[tuple[str, ...], int]
) -> None:
    """Paths in the config stay inside the project: a checked-in file cannot point elsewhere.

    The command line (``--archive-dir``, ``--output``, explicit PATHS...) may still.
    """
    entries = [("paths", path) for path in settings.paths]
    entries += [(key, getattr(settings, key)) for key in ("sources", "reports", "archive", "cache")]
    for key, value in entries:
        path = PurePath(value)
        if path.is_absolute() or ".." in path.parts or "\x00" in value or value.startswith("~"):
            raise ConfigError(
                f"{key}: {value!r} is outside the project; paths in the config are relative to"
                " the project root and stay inside it (the command line can point elsewhere)",
                path=name,
                line=line_of(lines, (*table, key)),
            )
