"""Where keys and tables stand in a TOML file, so errors can name the line.

``tomllib`` parses but forgets positions; this scanner reads the same text line
by line and maps each key path (``("sources", "mueller", "url")``) to the line
that defines it. It only has to be right for files that ``tomllib`` accepted.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

__all__ = ["TomlSyntaxError", "key_lines", "line_of", "parse_toml"]

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\\n]|\\.)*"'
_LITERAL = r"'[^'\n]*'"
_KEY = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_KEY}(?:[ \t]*\.[ \t]*{_KEY})*"
_TABLE_RE = re.compile(rf"^[ \t]*(\[\[?)[ \t]*({_DOTTED})[ \t]*\]\]?")
_ASSIGN_RE = re.compile(rf"^[ \t]*({_DOTTED})[ \t]*=")
_PART_RE = re.compile(_KEY)


def _parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _PART_RE.finditer(dotted):
        token = match.group(0)
        if token.startswith('"'):
            token = (
                token[1:-1].encode("utf-8").decode("unicode_escape")
                if "\\" in token
                else token[1:-1]
            )
        elif token.startswith("'"):
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every table and key path in ``text`` to its 1-based line."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    array_counts: dict[tuple[str, ...], int] = {}
    in_multiline: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if in_multiline is not None:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _TABLE_RE.match(line)
        if header is not None:
            table = _parts(header.group(2))
            if header.group(1) == "[[":
                index = array_counts.get(table, 0)
                array_counts[table] = index + 1
                table = (*table, str(index))
            for depth in range(1, len(table) + 1):
                lines.setdefault(table[:depth], number)
            continue
        assign = _ASSIGN_RE.match(line)
        if assign is not None:
            path = (*table, *_parts(assign.group(1)))
            for depth in range(len(table) + 1, len(path) + 1):
                lines.setdefault(path[:depth], number)
            rest = line[assign.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def line_of(lines: dict[tuple[str, ...], int], path: tuple[str, ...]) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


class TomlSyntaxError(ValueError):
    """Text that is not TOML provenance can read: ``message`` (no position) and ``line``."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``, with every way it can fail as one ``TomlSyntaxError``.

    Arrays or inline tables nested thousands deep exhaust Python's recursion limit
    inside tomllib; that is reported as a syntax error on its line too, not a crash.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line: int | None = getattr(exc, "lineno", None)
        if line is None and "(at line " in message:
            try:
                line = int(message.rsplit("(at line ", 1)[1].split(",")[0])
            except ValueError:
                line = None
        raise TomlSyntaxError(message.split(" (at line ")[0], line) from None
    except RecursionError:
        # Name the line that opens the most brackets: that is where the nesting is.
        lines = text.splitlines() or [""]
        deepest = max(range(len(lines)), key=lambda n: lines[n].count("[") + lines[n].count("{"))
        raise TomlSyntaxError("arrays or inline tables nested too deep", deepest + 1) from None
