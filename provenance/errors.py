"""The one exception tree of provenance.

Every error the library raises on purpose is a ``ProvenanceError``; the CLI maps
each class to an exit code and a one-line message in one place
(``provenance.cli._handle_errors``). Messages name the file and line when there
is one, and say what to do.

::

    ProvenanceError
    ├── InputError                  bad input from the user: exit 2
    │   ├── DocumentError           a document cannot be read (missing, binary, undecodable)
    │   ├── SourcesError            sources.toml: TOML syntax or a record that fails validation
    │   ├── ConfigError             provenance.toml / [tool.provenance]: syntax or an unknown key
    │   └── UsageError              options that do not fit together
    ├── ArchiveError                the evidence archive cannot be written or read back
    │   ├── ArchiveLockedError      another run holds the archive lock
    │   └── ArchiveCorruptError     a record does not match its index entry
    └── FetchError                  the fetch machinery itself failed (not a dead source)
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ArchiveCorruptError",
    "ArchiveError",
    "ArchiveLockedError",
    "ConfigError",
    "DocumentError",
    "FetchError",
    "InputError",
    "ProvenanceError",
    "SourcesError",
    "UsageError",
]


class ProvenanceError(Exception):
    """Root of every error provenance raises on purpose."""


class InputError(ProvenanceError):
    """Something the user gave us is wrong; fixable by editing a file or an option.

    ``path`` and ``line`` (1-based), when known, locate the problem; ``str(error)``
    is the one-line message ``path:line: what is wrong``.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Render as ``path:line: message`` (omitting what is unknown)."""
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return where + self.message


class DocumentError(InputError):
    """A document cannot be read: missing, a directory with nothing in it, binary, undecodable."""


class SourcesError(InputError):
    """sources.toml has a TOML syntax error or a record that fails validation."""


class ConfigError(InputError):
    """The configuration file has a syntax error, an unknown key or a bad value."""


class UsageError(InputError):
    """Options or arguments that do not fit together."""


class ArchiveError(ProvenanceError):
    """The archive cannot be written or read back (disk full, read-only, corrupt)."""


class ArchiveLockedError(ArchiveError):
    """Another run holds the archive's lock and did not release it in time."""


class ArchiveCorruptError(ArchiveError):
    """An indexed snapshot does not resolve to a complete record with the right digest."""


class FetchError(ProvenanceError):
    """The fetching machinery failed (not a verdict about a source: those are results)."""
