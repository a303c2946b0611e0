"""Markdown: prose without the code, the link syntax, the comments and the reference list.

The view keeps every character where it was and blanks what is not prose:
fenced and indented code, inline code, HTML comments and tags (and the content of
raw ``<script>``, ``<style>``, ``<pre>``, ``<code>``), front matter, heading and list
markers, task-list boxes, link and image syntax (link *text* stays, as prose; image
alt text goes), reference-link and footnote definitions (which become the document's
reference entries, continuation lines included) and a ``## References`` /
``## Sources`` section, or a list under a "Sources:" line of its own (parsed into
reference entries too). Table cells are blocks; the header row holds no claims.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from provenance.extract.plaintext import REFERENCE_HEADINGS, reference_entry
from provenance.extract.view import (
    Block,
    BlockKind,
    CodeText,
    IgnoreDirective,
    ProseView,
    ReferenceEntry,
    directive_at,
    find_url,
    parse_ignore,
)

__all__ = ["read_markdown"]

# A block for every paragraph: ``tuple.__new__`` without the named tuple's own ``__new__``
# (a Python function) to call.
_new_block = functools.partial(tuple.__new__, Block)

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?=[ \t]|$)[ \t]*")
_ATX_CLOSE_RE = re.compile(r"[ \t]+#+[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_DEFINITION_RE = re.compile(r"^ {0,3}\[(?P<key>[^\]\n]+)\]:[ \t]*(?P<rest>.*)$")
_LIST_RE = re.compile(r"^([ \t]*)(?:[-*+]|(?P<num>\d{1,9})[.)])(?:[ \t]+|$)")
_TASK_RE = re.compile(r"\[[ xX]\](?=[ \t\n]|\Z)")
_QUOTE_RE = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")
_TABLE_SEP_RE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$")
_FRONT_DATE_RE = re.compile(r"^date:\s*['\"]?([^'\"\n]+)", re.M | re.I)
_FRONT_TITLE_RE = re.compile(r"^title:\s*['\"]?([^'\"\n]+)", re.M | re.I)

# A code span may wrap lines but never crosses a blank line (a paragraph's end), so a
# stray backtick cannot swallow the paragraphs after it. It opens with a whole run of
# backticks; the pattern starts with a literal one, so a search jumps from backtick to
# backtick instead of trying every position, and only then checks none came before.
_CODE_SPAN_RE = re.compile(r"(`(?<!``)`*)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
# Raw HTML whose content is code or not text at all.
_RAW_CODE_RE = re.compile(
    r"<(script|style|pre|code|textarea)\b[^>]*>(.*?)</\1\s*>", re.S | re.IGNORECASE
)
# Link text and image alt text may hold one level of brackets ("[see [1]](url)"), a link
# target one level of parentheses ("(https://en.wikipedia.org/wiki/Mercury_(planet))").
_LINK_TEXT = r"(?:[^\[\]\n]|\[[^\[\]\n]*\])*"
_LINK_TARGET = r"(?:[^()\n]|\([^()\n]*\))*"
_IMAGE_RE = re.compile(rf"!\[{_LINK_TEXT}\](?:\({_LINK_TARGET}\)|\[[^\]\n]*\])?")
_INLINE_LINK_RE = re.compile(rf"\[(?P<text>{_LINK_TEXT})\]\((?P<target>{_LINK_TARGET})\)")
_REF_LINK_RE = re.compile(r"\[(?P<text>[^\[\]\n]+)\]\[(?P<label>[^\[\]\n]*)\]")
_AUTOLINK_RE = re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>")
_TAG_RE = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_ESCAPE_RE = re.compile(r"\\[\[\]\\`*_{}()#+\-.!<>|]")
_CITATION_TEXT_RE = re.compile(r"^\s*(?:\^|@|[\d\s,;\-–—]+$|citation needed|cn)", re.I)


def read_markdown(text: str) -> ProseView:
    """Build the prose view of a Markdown document."""
    # Each stage reads the text the stages before it left (a comment inside a code block
    # is code, a link inside inline code is code), so the view is built stage by stage:
    # each collects the spans it blanks and rebuilds the string once, by slicing, rather
    # than editing a list of characters one at a time.
    lines = _lines(text)
    masked, title, date = _mask_front_matter(text, lines)
    masked, code_lines = _mask_code_blocks(masked, lines)
    keep_code = _CODE not in text and _SYNTAX not in text
    masked, ignores = _mask_comments(text, masked, keep_code)
    references: list[ReferenceEntry] = []
    # Block syntax is read from the text as it was: raw <code> (marked as code to show)
    # is all blank to it.
    plain = _to_blank(masked) if keep_code and _SYNTAX in masked else masked
    blocks, spans = _blocks(plain, lines, code_lines, references)
    view_text, code = _mask_inline(_blank_spans(masked, spans), text if keep_code else None)
    return ProseView(
        text=view_text,
        blocks=blocks,
        ignores=ignores,
        references=references,
        title=title,
        date_hint=date,
        code=code,
    )


# Inline code is blanked in the view, but a claim's text shows it. While the stages run,
# the characters of inline code are ``_CODE`` and its syntax (backticks, ``<code>`` tags)
# ``_SYNTAX`` instead of spaces: control characters that Python takes for white space
# (``\\s``, ``str.isspace``), so every stage reads them as the blanks they will be.
# Whatever a later stage blanks (an image's alt text, a link's target) is no longer code
# to show; what is left is. Not used in a document that holds either character itself.
_CODE = "\x1f"
_SYNTAX = "\x1e"
_CODE_RUN_RE = re.compile("[\x1e\x1f]+")


def _to_blank(masked: str) -> str:
    """``masked`` with code to show turned into blanks (two replaces: translate is slower)."""
    return masked.replace(_CODE, " ").replace(_SYNTAX, " ")


def _code_content(segment: str) -> str:
    """``segment`` with every character but its line breaks turned into ``_CODE``."""
    return "\n".join(_CODE * len(part) for part in segment.split("\n"))


def _mask_code_span(match: re.Match[str]) -> str:
    """A code span: its backticks blanked, its content kept as code to show."""
    ticks = _SYNTAX * len(match.group(1))
    return ticks + _code_content(match.group(2)) + ticks


def _mask_raw_code(match: re.Match[str]) -> str:
    """Raw ``<code>...</code>`` in prose: the tags blanked, the content kept to show."""
    if match.group(1).lower() != "code":
        return _blanked(match.group(0))
    inner_start, inner_end = match.span(2)
    start, end = match.span()
    return (
        _SYNTAX * (inner_start - start)
        + _code_content(match.group(2))
        + _SYNTAX * (end - inner_end)
    )


def _code_texts(masked: str, original: str) -> tuple[str, list[CodeText]]:
    """``masked`` with its code blanked, and the code's text, from the document."""
    code = []
    at = _next_code(masked, 0)
    while at != -1:
        # Found by str.find, which outruns a regex searching every position for them.
        run = _CODE_RUN_RE.match(masked, at)
        assert run is not None  # at is a code character
        start, end = run.span()
        shown = "".join(
            char
            for mark, char in zip(run.group(0), original[start:end], strict=True)
            if mark == _CODE
        )
        code.append(CodeText(start, end, shown))
        at = _next_code(masked, end)
    return (_to_blank(masked), code) if code else (masked, code)


def _next_code(masked: str, start: int) -> int:
    """Where the next code character is at or after ``start``, or -1."""
    syntax = masked.find(_SYNTAX, start)
    content = masked.find(_CODE, start, syntax if syntax != -1 else len(masked))
    return syntax if content == -1 else content


def _blanked(segment: str) -> str:
    """``segment`` with every character but its line breaks turned into a space."""
    if "\n" not in segment:
        return " " * len(segment)
    return "\n".join(" " * len(part) for part in segment.split("\n"))


def _blank_match(match: re.Match[str]) -> str:
    return _blanked(match.group(0))


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the ``[start, end)`` spans blanked (they may overlap, in any order)."""
    if not spans:
        return text
    pieces = []
    cursor = 0
    for start, end in sorted(spans):
        if end <= cursor:
            continue  # inside a span already blanked
        start = max(start, cursor)
        pieces.append(text[cursor:start])
        pieces.append(_blanked(text[start:end]))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    offset = 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _mask_front_matter(
    text: str, lines: list[tuple[int, str]]
) -> tuple[str, str | None, str | None]:
    """Blank the YAML front matter; return the text, and the title and date it gives."""
    if not lines or lines[0][1].rstrip() != "---":
        return text, None, None
    for index in range(1, len(lines)):
        offset, line = lines[index]
        if line.rstrip() in ("---", "..."):
            block = text[: offset + len(line)]
            title = _FRONT_TITLE_RE.search(block)
            date = _FRONT_DATE_RE.search(block)
            return (
                _blanked(block) + text[len(block) :],
                title.group(1).strip() if title else None,
                date.group(1).strip() if date else None,
            )
    return text, None, None


def _mask_code_blocks(masked: str, lines: list[tuple[int, str]]) -> tuple[str, set[int]]:
    """Blank fenced and indented code blocks; also return the indices of the lines they cover."""
    code: set[int] = set()
    spans: list[tuple[int, int]] = []
    fence: str | None = None
    previous_blank = True
    in_list = False
    for index, (offset, line) in enumerate(lines):
        if fence is None and line[:1].isalpha() and line[:1].isascii():
            # Most lines: prose starting with a letter, outside a fence. No fence, code,
            # list item or heading starts with a letter: what the steps below come to for
            # such a line, without trying each pattern on it. (Front matter is blanked
            # whole, so its lines are blank from their first character.)
            if masked[offset] != " ":
                in_list = in_list and not previous_blank
            previous_blank = False
            continue
        if line.strip() and not masked[offset : offset + len(line)].strip():
            previous_blank = False  # front matter, already blanked
            continue
        if fence is not None:
            code.add(index)
            spans.append((offset, offset + len(line)))
            stripped = line.strip()
            if set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                fence = None
            continue
        opened = _FENCE_RE.match(line)
        if opened is not None:
            fence = opened.group(1)
            code.add(index)
            spans.append((offset, offset + len(line)))
            continue
        if not line.strip():
            previous_blank = True
            continue
        indented = line.startswith(("    ", "\t"))
        if indented and not in_list and (previous_blank or index - 1 in code):
            code.add(index)
            spans.append((offset, offset + len(line)))
            continue
        if not indented:
            in_list = _LIST_RE.match(line) is not None or (in_list and not previous_blank)
        # An indented line after a heading is code; after paragraph text it is the
        # paragraph's continuation.
        previous_blank = _ATX_RE.match(line) is not None
    return _blank_spans(masked, spans), code


def _mask_comments(text: str, masked: str, keep_code: bool) -> tuple[str, list[IgnoreDirective]]:
    """Blank HTML comments outside code (read as ignore directives) and raw code elements.

    With ``keep_code``, the content of a raw ``<code>`` element is marked as code to show.
    """
    ignores = []
    spans = []
    for match in _COMMENT_RE.finditer(masked):  # code already blanked: a comment there is code
        parsed = parse_ignore(text[match.start() : match.end()])
        if parsed is not None:
            ignores.append(directive_at(text, match.start(), match.end(), *parsed))
        spans.append(match.span())
    masked = _RAW_CODE_RE.sub(
        _mask_raw_code if keep_code else _blank_match, _blank_spans(masked, spans)
    )
    return masked, ignores


def _blocks(
    masked: str,
    lines: list[tuple[int, str]],
    code_lines: set[int],
    references: list[ReferenceEntry],
) -> tuple[list[Block], list[tuple[int, int]]]:
    """The blocks of prose, and the spans to blank: block syntax and the reference lists."""
    blocks: list[Block] = []
    spans: list[tuple[int, int]] = []
    current: list[int] = []  # [start, end] of the open block
    kind = BlockKind.PARAGRAPH
    reference_level: int | None = None
    list_number = 0
    # The reference entry the next line may continue ("1. A long title\n   https://..."):
    # its index in ``references`` and the text it was built from.
    entry: _OpenEntry | None = None
    after_blank = False  # a blank line since the entry: only indented lines continue it
    section_start = 0  # len(references) when the current reference section began

    def close() -> None:
        nonlocal current
        if current:
            blocks.append(_new_block((current[0], current[1], kind)))
        current = []

    masked_lines = masked.split("\n")
    for index, (offset, _original) in enumerate(lines):
        line = masked_lines[index]
        end = offset + len(line)
        if index in code_lines or not line.strip():
            close()
            after_blank = True
            if reference_level is None:
                entry = None  # a definition's continuation lines follow it directly
            continue
        first = line[:1]
        if (
            reference_level is None
            and first.isascii()
            and first.isalpha()
            and "|" not in line
            and (current or not _loose_heading(masked_lines, index))
        ):
            # Most lines: prose starting with a letter, outside a reference list. No
            # block syntax starts with a letter, so this is what the steps below come
            # to for such a line, without trying each pattern on it.
            after_blank = False
            entry = None
            if kind is BlockKind.TABLE_ROW:
                kind = BlockKind.PARAGRAPH
            if current:
                current[1] = end
            else:
                if kind is not BlockKind.QUOTE:
                    kind = BlockKind.PARAGRAPH
                current = [offset, end]
            continue
        indented = first in (" ", "\t")
        heading = _ATX_RE.match(line)
        if heading is not None:
            close()
            entry = None
            level = len(heading.group(1))
            title_text = _ATX_CLOSE_RE.sub("", line[heading.end() :])
            if reference_level is not None and level <= reference_level:
                reference_level = None
            if REFERENCE_HEADINGS.match(title_text):
                reference_level, list_number = level, 0  # each list numbers from its start
                section_start = len(references)
                spans.append((offset, end))
                continue
            spans.append((offset, offset + heading.end()))
            close_match = _ATX_CLOSE_RE.search(line)
            if close_match is not None:
                spans.append((offset + close_match.start(), end))
            heading_end = offset + len(line.rstrip())
            blocks.append(Block(offset + heading.end(), heading_end, BlockKind.HEADING))
            continue
        if reference_level is None and not current and _loose_heading(masked_lines, index):
            # "Sources:", "**References**": a list of sources under a line of its own.
            reference_level, list_number = _LOOSE_LEVEL, 0
            section_start, entry = len(references), None
            spans.append((offset, end))
            continue
        if (
            reference_level == _LOOSE_LEVEL
            and after_blank
            and not indented
            and len(references) > section_start
            and not _is_reference_item(line)
        ):
            reference_level = None  # a paragraph after the list: prose again
        if reference_level is not None:
            before = len(references)
            list_number, entry_text = _reference_line(line, offset, references, list_number)
            if entry_text is not None:
                entry = _OpenEntry(before, references[before].key, entry_text, offset)
            elif entry is not None and (indented or not after_blank):
                entry = _continue_entry(references, entry, line)
            else:
                entry = None  # a note under the list ("All links checked ..."): not an entry
            after_blank = False
            spans.append((offset, end))
            continue
        definition = _DEFINITION_RE.match(line)
        if definition is not None:
            close()
            key = definition["key"].strip()
            entry = None
            if key.startswith("^") or key.isdigit():
                entry = _OpenEntry(len(references), key, definition["rest"], offset)
                references.append(reference_entry(key, definition["rest"], offset))
            spans.append((offset, end))
            continue
        after_blank = False
        if entry is not None and indented and not current:
            # An indented line right after a definition continues it ("[^1]: Title\n    URL").
            entry = _continue_entry(references, entry, line)
            spans.append((offset, end))
            continue
        entry = None
        if current and kind is BlockKind.PARAGRAPH and _SETEXT_RE.match(line):
            # The open paragraph was a setext heading all along ("Title\n---" is one too,
            # not a paragraph and a thematic break).
            kind = BlockKind.HEADING
            close()
            kind = BlockKind.PARAGRAPH
            spans.append((offset, end))
            continue
        if _BREAK_RE.match(line) or _TABLE_SEP_RE.match(line):
            close()
            spans.append((offset, end))
            continue
        content_start = offset
        quote = _QUOTE_RE.match(line)
        if quote is not None:
            spans.append((offset, offset + quote.end()))
            content_start = offset + quote.end()
            if not current:
                kind = BlockKind.QUOTE
        rest = masked[content_start:end]
        item = _LIST_RE.match(rest)
        if item is not None:
            close()
            kind = BlockKind.LIST_ITEM
            marker_end = content_start + item.end()
            spans.append((content_start, marker_end))
            task = _TASK_RE.match(masked, marker_end)
            if task is not None:
                spans.append((marker_end, task.end()))
                marker_end = task.end()
            current = [marker_end, end]
            continue
        next_line = masked_lines[index + 1] if index + 1 < len(lines) else ""
        header = "|" in rest and _TABLE_SEP_RE.match(next_line) is not None
        if "|" in rest and (header or kind is BlockKind.TABLE_ROW):
            close()
            # Each cell is a block of its own, as in HTML; the row above the |---| line
            # is the header: column names, not claims.
            cell_kind = BlockKind.HEADING if header else BlockKind.TABLE_ROW
            cell_start = content_start
            for i in range(content_start, end + 1):
                if i == end or masked[i] == "|":
                    if masked[cell_start:i].strip():
                        blocks.append(Block(cell_start, i, cell_kind))
                    if i < end:
                        spans.append((i, i + 1))
                    cell_start = i + 1
            kind = BlockKind.TABLE_ROW
            continue
        if kind is BlockKind.TABLE_ROW:
            kind = BlockKind.PARAGRAPH
        if not current:
            if kind is not BlockKind.QUOTE:
                kind = BlockKind.PARAGRAPH
            current = [content_start + (len(rest) - len(rest.lstrip())), end]
        else:
            current[1] = end
    close()
    return blocks, spans


# The level of a reference section under a line like "Sources:" rather than a heading:
# any heading ends it.
_LOOSE_LEVEL = 7


def _is_reference_item(line: str) -> bool:
    return _REF_BRACKET_RE.match(line) is not None or _REF_LIST_RE.match(line) is not None


def _loose_heading(lines: list[str], index: int) -> bool:
    """Whether ``lines[index]`` is a "Sources:"/"**References**" line over a list of sources.

    Only when the next line with text is an entry (``[1]``, ``1.``, or a bullet with a
    URL), so that a paragraph or a bullet list of notes after "Notes:" is still prose.
    """
    if not REFERENCE_HEADINGS.match(lines[index].strip().strip("*_")):  # "**References**"
        return False
    following = next((line for line in lines[index + 1 :] if line.strip()), "")
    if _REF_BRACKET_RE.match(following):
        return True
    item = _REF_LIST_RE.match(following)
    return item is not None and (item["num"] is not None or find_url(following) is not None)


class _OpenEntry(NamedTuple):
    """A reference entry that the following lines may continue."""

    at: int  # its index in the list of references
    key: str
    text: str  # what it was built from
    offset: int


def _continue_entry(references: list[ReferenceEntry], entry: _OpenEntry, line: str) -> _OpenEntry:
    """Add a continuation line to an entry and rebuild it (a wrapped title, a URL below)."""
    text = f"{entry.text} {line.strip()}"
    references[entry.at] = reference_entry(entry.key, text, entry.offset)
    return _OpenEntry(entry.at, entry.key, text, entry.offset)


_REF_LIST_RE = re.compile(r"^[ \t]*(?:[-*+]|(?P<num>\d{1,4})[.)])[ \t]+(?P<rest>.*)$")
_REF_BRACKET_RE = re.compile(r"^[ \t]*(?:[-*+][ \t]+)?\[(?P<key>\^?[\w.-]+)\]:?[ \t]*(?P<rest>.*)$")


def _reference_line(
    line: str, offset: int, references: list[ReferenceEntry], list_number: int
) -> tuple[int, str | None]:
    """Parse one line of a References section.

    Returns the running list number, and the text after the key ("1. ", "[1]: ", "- ")
    when the line is an entry (None when it is not).
    """
    bracket = _REF_BRACKET_RE.match(line)
    if bracket is not None:
        rest: str = bracket["rest"]
        references.append(reference_entry(bracket["key"], rest, offset))
        return list_number, rest
    item = _REF_LIST_RE.match(line)
    if item is not None:
        number = int(item["num"]) if item["num"] else list_number + 1
        # "1. 1. 1." renders as 1, 2, 3 in Markdown: number by position after the first.
        if item["num"] and list_number and number <= list_number:
            number = list_number + 1
        rest = item["rest"]
        references.append(reference_entry(str(number), rest, offset))
        return number, rest
    return list_number, None


def _mask_inline(text: str, original: str | None) -> tuple[str, list[CodeText]]:
    """Blank inline syntax; return the view's text and the inline code it blanked.

    ``original``: the document, when the code is to be kept to show (else None).
    """
    text = _CODE_SPAN_RE.sub(_blank_match if original is None else _mask_code_span, text)
    # Escapes, images and autolinks are all found in the same text, so they may overlap
    # ("\![a](b)"): each is blanked whole.
    spans = [
        match.span()
        for regex in (_ESCAPE_RE, _IMAGE_RE, _AUTOLINK_RE)
        for match in regex.finditer(text)
    ]
    text = _INLINE_LINK_RE.sub(_mask_inline_link, _blank_spans(text, spans))
    text = _REF_LINK_RE.sub(_mask_ref_link, text)
    text = _TAG_RE.sub(_blank_match, text)
    return (text, []) if original is None else _code_texts(text, original)


def _link_text_only(match: re.Match[str]) -> str:
    """A link with its syntax blanked: "[" and what follows the text ("](url)", "][ref]")."""
    link_text = match["text"]
    return " " + link_text + _blanked(match.group(0)[1 + len(link_text) :])


def _mask_inline_link(match: re.Match[str]) -> str:
    link_text = match["text"]
    if _CITATION_TEXT_RE.match(link_text) and link_text.strip().startswith(("^", "@")):
        return match.group(0)
    return _link_text_only(match)


def _mask_ref_link(match: re.Match[str]) -> str:
    if _CITATION_TEXT_RE.match(match["text"]):
        return match.group(0)  # "[2][3]": two citations, not a link
    return _link_text_only(match)
