"""Plain text: paragraphs, standalone lines, bullets and a trailing reference list.

Plain text has no markup, so structure is inferred the way a reader would:
blank lines separate paragraphs; a short line without closing punctuation
followed by a capitalised line stands alone (a title, heading or dateline);
``-``/``*``/``•``/``1.`` lines are list items (a ``[ ]``/``[x]`` after the bullet is a
task box); a ``Sources``/``References`` line starts the document's own reference list,
whose entries may wrap onto indented lines. HTML comments are markup even here, so
``<!-- provenance: ignore -->`` works in every format.
"""

from __future__ import annotations

import re

from provenance.extract.view import (
    Block,
    BlockKind,
    IgnoreDirective,
    ProseView,
    ReferenceEntry,
    directive_at,
    find_url,
    parse_ignore,
)

__all__ = ["REFERENCE_HEADINGS", "blank", "read_plaintext", "reference_entry"]

REFERENCE_HEADINGS = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\d+\.\s*)?(?:sources|references|bibliography|works cited|notes"
    r"|citations|footnotes|endnotes|further reading)\s*:?\s*#*\s*$",
    re.IGNORECASE,
)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_ENTRY_RE = re.compile(
    r"^[ \t]*(?:\[(?P<bracket>\^?[\w.-]+)\]:?|(?P<number>\d{1,4})[.)]|\^(?P<caret>\w+))"
    r"[ \t]+(?P<rest>\S.*)$"
)
_DEFINITION_RE = re.compile(r"^[ \t]{0,3}\[(?P<key>\^?[\w.-]+)\]:[ \t]*(?P<rest>.*)$", re.M)
# "- [ ] Buy milk", "- [x] Done": a checkbox, not empty citation brackets.
_TASK_BOX_RE = re.compile(r"^[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+(?P<box>\[[ xX]\])(?=[ \t]|$)", re.M)
_BULLET_RE = re.compile(r"^[ \t]*(?:[-*•·‣◦]|\d{1,3}[.)]|[a-z][.)])[ \t]+")
_TERMINAL = (".", "!", "?", "…", ":", ";")
_CLOSERS = "\"'”’»)"
_MARKER_TAIL = re.compile(r"(?:\s*\[[^\]\n]{1,40}\])+\s*$")
_STANDALONE_MAX = 100


def blank(chars: list[str], start: int, end: int) -> None:
    """Replace ``chars[start:end]`` with spaces, keeping newlines (and so positions)."""
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


# "[Title](https://...)": a Markdown link in an entry is its title and its URL.
# The target may hold balanced parentheses and be followed by a quoted link title.
_LINK_RE = re.compile(
    r"\[([^\[\]\n]*)\]\(\s*((?:[^\s()]|\([^\s()]*\))*)(?:\s+\"[^\"]*\"|\s+'[^']*')?\s*\)"
)

_TITLE_SPACE_RE = re.compile(r"[<>\"]|\s+")


def reference_entry(key: str, rest: str, offset: int) -> ReferenceEntry:
    """Build a reference entry from the text after its key."""
    if "[" in rest:  # (most entries hold no Markdown link)
        rest = _LINK_RE.sub(r"\1 \2", rest)
    url = find_url(rest)
    bare = rest if url is None else rest.replace(url, "")
    if "  " in bare or '"' in bare or "<" in bare or ">" in bare or not bare.isprintable():
        bare = _TITLE_SPACE_RE.sub(" ", bare)  # (else it has nothing to replace)
    title = bare.strip(" .,-–—:") or None
    return ReferenceEntry(key=key, url=url, title=title, offset=offset)


def read_plaintext(text: str) -> ProseView:
    """Build the prose view of a plain-text document."""
    chars = list(text)
    ignores = _mask_comments(text, chars)
    for box in _TASK_BOX_RE.finditer(text):
        blank(chars, *box.span("box"))
    references = _mask_definitions(text, chars)
    # A "[1]: https://..." line inside a Sources section is one entry, not two.
    taken = {entry.offset for entry in references}
    references += _mask_reference_section(text, chars, taken)
    references.sort(key=lambda entry: entry.offset)  # in the order the file lists them
    masked = "".join(chars)
    blocks = _blocks(masked)
    return ProseView(text=masked, blocks=blocks, ignores=ignores, references=references)


def _mask_comments(text: str, chars: list[str]) -> list[IgnoreDirective]:
    ignores: list[IgnoreDirective] = []
    for match in _COMMENT_RE.finditer(text):
        parsed = parse_ignore(match.group(0))
        if parsed is not None:
            ignores.append(directive_at(text, match.start(), match.end(), *parsed))
        blank(chars, match.start(), match.end())
    return ignores


def _mask_definitions(text: str, chars: list[str]) -> list[ReferenceEntry]:
    """``[1]: https://...`` and ``[^1]: ...`` lines anywhere are reference entries."""
    entries = []
    for match in _DEFINITION_RE.finditer(text):
        entries.append(reference_entry(match["key"], match["rest"], match.start()))
        blank(chars, match.start(), match.end())
    return entries


def _mask_reference_section(text: str, chars: list[str], taken: set[int]) -> list[ReferenceEntry]:
    """A ``Sources``/``References`` line followed by numbered entries, to the end of the list."""
    entries: list[ReferenceEntry] = []
    offset = 0
    lines = text.split("\n")
    in_section = False
    section_start = 0
    listed = 0  # entries seen in reference sections so far
    # The last entry and the text it was built from: an indented line below continues it
    # ("1. A long title\n   https://...").
    last: tuple[str, str, int] | None = None
    for line in lines:
        line_end = offset + len(line)
        if REFERENCE_HEADINGS.match(line):
            in_section, section_start, last = True, offset, None
        elif in_section:
            entry = _ENTRY_RE.match(line)
            if entry is not None:
                listed += 1
                last = None
                if offset not in taken:  # "[1]: ..." lines were read as definitions already
                    key = entry["bracket"] or entry["number"] or "^" + (entry["caret"] or "")
                    entries.append(reference_entry(key, entry["rest"], offset))
                    last = (key, entry["rest"], offset)
            elif line.strip() and line[:1].isspace() and last is not None:
                key, rest, start = last
                last = (key, f"{rest} {line.strip()}", start)
                entries[-1] = reference_entry(*last)
            elif line.strip() and not line[:1].isspace() and listed:
                in_section = False  # prose again: the list has ended
            if in_section:
                blank(chars, section_start, line_end)
        offset = line_end + 1
    return entries


def _blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    offset = 0
    paragraph: list[tuple[int, str]] = []
    for line in text.split("\n"):
        if line.strip():
            paragraph.append((offset, line))
        elif paragraph:
            blocks.extend(_paragraph_blocks(paragraph))
            paragraph = []
        offset += len(line) + 1
    if paragraph:
        blocks.extend(_paragraph_blocks(paragraph))
    if blocks and blocks[0].kind is BlockKind.HEADING:
        blocks[0] = Block(blocks[0].start, blocks[0].end, BlockKind.TITLE)
    return blocks


def _ends_sentence(line: str) -> bool:
    # Closing quotes and brackets after the punctuation ('"Is it?"', "(See below.)") count
    # as the sentence's end too.
    return _MARKER_TAIL.sub("", line).rstrip().rstrip(_CLOSERS).endswith(_TERMINAL)


def _paragraph_blocks(lines: list[tuple[int, str]]) -> list[Block]:
    blocks: list[Block] = []
    current_start: int | None = None
    current_kind = BlockKind.PARAGRAPH
    last_end = 0
    for index, (offset, line) in enumerate(lines):
        bullet = _BULLET_RE.match(line)
        next_line = lines[index + 1][1] if index + 1 < len(lines) else None
        standalone = (
            not _ends_sentence(line)
            and len(line.strip()) <= _STANDALONE_MAX
            and ((next_line is None and len(lines) == 1) or _starts_new(next_line))
        )
        if bullet is not None or standalone or current_start is None:
            if current_start is not None:
                blocks.append(Block(current_start, last_end, current_kind))
            current_start = offset + (bullet.end() if bullet else 0)
            current_kind = BlockKind.LIST_ITEM if bullet else BlockKind.PARAGRAPH
            if standalone and not (bullet and len(lines) > 1):
                blocks.append(Block(offset, offset + len(line), BlockKind.HEADING))
                current_start = None
                continue
        last_end = offset + len(line)
    if current_start is not None:
        blocks.append(Block(current_start, last_end, current_kind))
    return blocks


def _starts_new(line: str | None) -> bool:
    if line is None:
        return False
    first = line.lstrip()[:1]
    return first.isupper() or first.isdigit() or first in "\"'“‘([*-•"
