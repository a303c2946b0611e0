"""HTML: the prose of the body, markers in ``<sup>``, and the page's own reference list.

Python's ``html.parser`` walks the page once, because it reports where in the
file every piece of text starts; that is how every sentence and marker keeps
its line and column. Text inside script, style, nav, code, pre and the like is
not prose. Block elements (``p``, ``li``, headings, cells...) are blocks.
A bare number in ``<sup>`` (``<sup>3</sup>``, a footnote reference) becomes the
marker ``[3]``, mapped back to the digit. The reference list
(``<ol class="references">``, a footnotes section, or the list after a
References/Sources heading) and the page's date are read with BeautifulSoup.
"""

from __future__ import annotations

import html
import re
from array import array
from html.parser import HTMLParser

from bs4 import BeautifulSoup, Tag

from provenance.extract.plaintext import REFERENCE_HEADINGS
from provenance.extract.view import (
    Block,
    BlockKind,
    IgnoreDirective,
    ProseView,
    ReferenceEntry,
    find_url,
    parse_ignore,
)

__all__ = ["read_html"]

_SKIP = frozenset(
    {
        "script", "style", "nav", "code", "pre", "noscript", "template", "svg", "math",
        "head", "title", "form", "button", "select", "textarea", "iframe", "object",
        "kbd", "samp", "var", "header", "footer", "aside", "figure",
    }
)  # fmt: skip
_BLOCKS: dict[str, BlockKind] = {
    **{f"h{n}": BlockKind.HEADING for n in range(1, 7)},
    "p": BlockKind.PARAGRAPH,
    "div": BlockKind.PARAGRAPH,
    "section": BlockKind.PARAGRAPH,
    "article": BlockKind.PARAGRAPH,
    "main": BlockKind.PARAGRAPH,
    "body": BlockKind.PARAGRAPH,
    "li": BlockKind.LIST_ITEM,
    "dd": BlockKind.LIST_ITEM,
    "dt": BlockKind.HEADING,
    "blockquote": BlockKind.QUOTE,
    "td": BlockKind.TABLE_ROW,
    "th": BlockKind.HEADING,
    "caption": BlockKind.PARAGRAPH,
    "figcaption": BlockKind.PARAGRAPH,
    "ul": BlockKind.PARAGRAPH,
    "ol": BlockKind.PARAGRAPH,
    "table": BlockKind.PARAGRAPH,
    "tr": BlockKind.PARAGRAPH,
    "br": BlockKind.PARAGRAPH,
    "hr": BlockKind.PARAGRAPH,
}
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
_SUP_NUMBER_RE = re.compile(r"^\s*\d{1,4}(?:\s*[,–-]\s*\d{1,4})*\s*$")
_REFERENCE_CLASSES = ("references", "footnotes", "reflist", "endnotes")


class _ProseParser(HTMLParser):
    """Collects prose characters with their source offsets, and block boundaries."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self._line_starts.append(index + 1)
        self.chars: list[str] = []
        self.origin: list[int] = []
        self.blocks: list[Block] = []
        self.ignores: list[IgnoreDirective] = []
        self._stack: list[str] = []
        self._skip_depth = 0
        self._reference_depth = 0  # inside a reference list: not prose
        self._block_start = 0
        self._block_kind = BlockKind.PARAGRAPH
        self._sup_starts: list[int] = []
        self._heading_text: list[str] | None = None
        self._after_reference_heading = False

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _emit(self, text: str, offset: int, per_char: bool) -> None:
        if self._skip_depth or self._reference_depth:
            return
        self.chars.extend(text)
        if per_char:
            self.origin.extend(range(offset, offset + len(text)))
        else:
            self.origin.extend([offset] * len(text))
        if self._heading_text is not None:
            self._heading_text.append(text)

    def _boundary(self, kind: BlockKind) -> None:
        end = len(self.chars)
        if end > self._block_start and "".join(self.chars[self._block_start : end]).strip():
            self.blocks.append(Block(self._block_start, end, self._block_kind))
        if self.chars and self.chars[-1] != "\n":
            self.chars.append("\n")
            self.origin.append(self.origin[-1] if self.origin else 0)
        self._block_start = len(self.chars)
        self._block_kind = kind

    def _is_reference_list(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "role", "id"))
        if tag in ("ol", "ul", "section", "div", "aside") and any(
            c in classes.lower() for c in _REFERENCE_CLASSES
        ):
            return True
        return tag in ("ol", "ul") and self._after_reference_heading

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._reference_depth:
            if tag not in _VOID:
                self._reference_depth += 1
            return
        if self._is_reference_list(tag, attrs):
            self._after_reference_heading = False
            self._reference_depth = 1
            return
        if tag in _SKIP and tag not in _VOID:
            self._skip_depth += 1
        if tag not in _VOID:
            self._stack.append(tag)
        if tag in _BLOCKS and not self._skip_depth:
            self._boundary(_BLOCKS[tag] if tag not in ("br", "hr") else self._block_kind)
            if _BLOCKS[tag] is BlockKind.HEADING:
                self._heading_text = []
        elif tag == "sup":
            self._sup_starts.append(len(self.chars))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS and not self._skip_depth and not self._reference_depth:
            self._boundary(self._block_kind)

    def handle_endtag(self, tag: str) -> None:
        if self._reference_depth:
            self._reference_depth -= 1
            return
        if tag not in self._stack:
            return  # a stray end tag: ignore, as browsers do
        while self._stack:
            open_tag = self._stack.pop()
            if open_tag in _SKIP:
                self._skip_depth -= 1
            if open_tag == "sup" and self._sup_starts:
                self._close_sup(self._sup_starts.pop())
            if open_tag in _BLOCKS and not self._skip_depth:
                if _BLOCKS[open_tag] is BlockKind.HEADING and self._heading_text is not None:
                    heading = "".join(self._heading_text)
                    self._after_reference_heading = bool(REFERENCE_HEADINGS.match(heading))
                    self._heading_text = None
                self._boundary(BlockKind.PARAGRAPH)
            if open_tag == tag:
                break

    def _close_sup(self, start: int) -> None:
        content = "".join(self.chars[start:])
        if not _SUP_NUMBER_RE.match(content):
            return
        first = start + (len(content) - len(content.lstrip()))
        last = start + len(content.rstrip())
        self.chars.insert(last, "]")
        self.origin.insert(last, self.origin[last - 1])
        self.chars.insert(first, "[")
        self.origin.insert(first, self.origin[first])

    def handle_data(self, data: str) -> None:
        self._emit(data, self._offset(), per_char=True)

    def handle_entityref(self, name: str) -> None:
        self._emit(html.unescape(f"&{name};"), self._offset(), per_char=False)

    def handle_charref(self, name: str) -> None:
        self._emit(html.unescape(f"&#{name};"), self._offset(), per_char=False)

    def handle_comment(self, data: str) -> None:
        parsed = parse_ignore(f"<!--{data}-->")
        if parsed is not None:
            line, _ = self.getpos()
            whole_file, rules = parsed
            # Standing alone, a comment applies to the next element's text.
            self.ignores.append(IgnoreDirective(line, rules, whole_file))
            self._pending_ignore_index = len(self.ignores) - 1


def read_html(text: str) -> ProseView:
    """Build the prose view of an HTML document."""
    parser = _ProseParser(text)
    parser.feed(text)
    parser.close()
    parser._boundary(BlockKind.PARAGRAPH)
    ignores = _retarget_ignores(text, parser.ignores)
    soup = BeautifulSoup(text, "html.parser")
    title_tag = soup.find("title")
    return ProseView(
        text="".join(parser.chars),
        blocks=parser.blocks,
        origin=array("q", parser.origin),
        ignores=ignores,
        references=_references(soup, text),
        title=title_tag.get_text(" ", strip=True) if isinstance(title_tag, Tag) else None,
        date_hint=_date_hint(soup),
    )


def _retarget_ignores(text: str, ignores: list[IgnoreDirective]) -> list[IgnoreDirective]:
    """A comment alone on its line applies to the next line with text, as in Markdown."""
    lines = text.split("\n")
    out = []
    for directive in ignores:
        line = directive.line
        own = re.sub(r"<!--.*?-->", "", lines[line - 1]).strip() if line <= len(lines) else ""
        if not own:
            nxt = line
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            line = min(nxt + 1, len(lines))
        out.append(IgnoreDirective(line, directive.rules, directive.whole_file))
    return out


def _references(soup: BeautifulSoup, text: str) -> list[ReferenceEntry]:
    lists: list[Tag] = []
    for tag in soup.find_all(["ol", "ul", "section", "div", "aside"]):
        marks = " ".join([*tag.get("class", []), str(tag.get("id") or ""), str(tag.get("role") or "")])
        if any(c in marks.lower() for c in _REFERENCE_CLASSES):
            found = tag if tag.name in ("ol", "ul") else tag.find(["ol", "ul"])
            if isinstance(found, Tag) and found not in lists:
                lists.append(found)
    for heading in soup.find_all(re.compile(r"^h[1-6]$")):
        if REFERENCE_HEADINGS.match(heading.get_text(" ", strip=True)):
            following = heading.find_next(["ol", "ul"])
            if isinstance(following, Tag) and following not in lists:
                lists.append(following)
    entries: list[ReferenceEntry] = []
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    for found in lists:
        start = int(found.get("start", 1) or 1) if str(found.get("start", "1")).isdigit() else 1
        for index, item in enumerate(found.find_all("li", recursive=False)):
            link = next(
                (
                    str(a["href"])
                    for a in item.find_all("a", href=True)
                    if not str(a["href"]).startswith("#")
                ),
                None,
            )
            item_text = item.get_text(" ", strip=True)
            url = link or find_url(item_text)
            title = re.sub(r"\s+", " ", item_text.replace(url or "", "")).strip(" .,^↑") or None
            line = item.sourceline or 1
            offset = line_starts[min(line, len(line_starts)) - 1] + (item.sourcepos or 0)
            entries.append(ReferenceEntry(str(start + index), url, title, offset))
    return entries


def _date_hint(soup: BeautifulSoup) -> str | None:
    for prop in ("article:published_time", "datePublished", "date", "dc.date", "DC.date"):
        meta = soup.find("meta", attrs={"property": prop}) or soup.find("meta", attrs={"name": prop})
        if isinstance(meta, Tag) and meta.get("content"):
            return str(meta["content"])
    time_tag = soup.find("time")
    if isinstance(time_tag, Tag):
        return str(time_tag.get("datetime") or time_tag.get_text(strip=True)) or None
    return None
