"""HTML: the prose of the body, markers in ``<sup>``, and the page's own reference list.

Python's ``html.parser`` walks the page once, because it reports where in the
file every piece of text starts; that is how every sentence and marker keeps
its line and column. Text inside script, style, nav, code, pre and the like is
not prose. Block elements (``p``, ``li``, headings, cells...) are blocks.
A bare number in ``<sup>`` (``<sup>3</sup>``, a footnote reference) becomes the
marker ``[3]``, mapped back to the digit, unless it follows a digit (``10<sup>6</sup>``
is a power). One ``<br>`` is a line break inside the block; two in a row end it.
The reference list (``<ol class="references">``, a footnotes section, or the list
after a References/Sources heading) and the page's date are read with BeautifulSoup.
"""

from __future__ import annotations

import bisect
import dataclasses
import html
import re
import warnings
from array import array
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from provenance.extract.plaintext import REFERENCE_HEADINGS
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

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

# BeautifulSoup is imported by the functions that use it, on the first HTML document: it
# takes about 0.1 s to import, a tenth of the time a 5 MB Markdown-only check may take.

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
    "hr": BlockKind.PARAGRAPH,
}
# Code inside a sentence ("returns <code>None</code>."): not prose, but a claim's text
# shows it.
_INLINE_CODE = frozenset({"code", "kbd", "samp", "var"})
_VOID = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr",
    }
)  # fmt: skip
_SUP_NUMBER_RE = re.compile(r"^\s*\d{1,4}(?:\s*[,–-]\s*\d{1,4})*\s*$")
_REFERENCE_CLASSES = ("references", "footnotes", "reflist", "endnotes")


class _ProseParser(HTMLParser):
    """Collects prose characters with their source offsets, and block boundaries."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self._text = text
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
        # Inside a reference list (not prose) until its own end tag: only tags of the
        # same name are counted, because unclosed <li>/<p> inside never get an end tag.
        self._reference_tag: str | None = None
        self._reference_depth = 0
        self._last_break: int | None = None  # where the last <br> put its line break
        self._block_start = 0
        self._block_kind = BlockKind.PARAGRAPH
        self._sup_starts: list[int] = []
        self._heading_text: list[str] | None = None
        self._after_reference_heading = False
        self._pending_ignores: list[int] = []  # indices of ignores waiting for their prose
        self.code: list[CodeText] = []
        # The text of the inline code element open outside any other skipped element.
        self._code_text: list[str] | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _emit(self, text: str, offset: int, per_char: bool) -> None:
        if self._skip_depth or self._reference_depth:
            if self._code_text is not None and self._skip_depth == 1:
                self._code_text.append(text)
            return
        if self._pending_ignores and text.strip():
            at = offset + (len(text) - len(text.lstrip()) if per_char else 0)
            line = bisect.bisect_right(self._line_starts, at)
            for index in self._pending_ignores:
                self.ignores[index] = dataclasses.replace(self.ignores[index], line=line)
            self._pending_ignores.clear()
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
            if tag == self._reference_tag:
                self._reference_depth += 1
            return
        if self._is_reference_list(tag, attrs):
            self._after_reference_heading = False
            self._reference_tag, self._reference_depth = tag, 1
            return
        if tag == "br":
            self._line_break()
            return
        if tag in _SKIP and tag not in _VOID:
            if tag in _INLINE_CODE and not self._skip_depth and not self._sup_starts:
                self._code_text = []  # no <sup> open: its brackets would move what follows
            self._skip_depth += 1
        if tag not in _VOID:
            self._stack.append(tag)
        if tag in _BLOCKS and not self._skip_depth:
            self._boundary(_BLOCKS[tag] if tag != "hr" else self._block_kind)
            if _BLOCKS[tag] is BlockKind.HEADING:
                self._after_reference_heading = False  # a new section begins
                self._heading_text = []
        elif tag == "sup":
            self._sup_starts.append(len(self.chars))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth or self._reference_depth:
            return
        if tag == "br":
            self._line_break()
        elif tag in _BLOCKS:
            self._boundary(self._block_kind)

    def _line_break(self) -> None:
        """``<br>``: a line break inside the block, so a sentence may go on past it;
        a second one with nothing but white space between ends the block."""
        if self._skip_depth or self._reference_depth:
            return
        since = self._last_break
        if since is not None and not "".join(self.chars[since:]).strip():
            self._boundary(self._block_kind)
            return
        self._emit("\n", self._offset(), per_char=False)
        self._last_break = len(self.chars)

    def handle_endtag(self, tag: str) -> None:
        if self._reference_depth:
            if tag == self._reference_tag:
                self._reference_depth -= 1
            return
        if tag not in self._stack:
            return  # a stray end tag: ignore, as browsers do
        while self._stack:
            open_tag = self._stack.pop()
            if open_tag in _SKIP:
                self._skip_depth -= 1
                if not self._skip_depth and self._code_text is not None:
                    here = len(self.chars)
                    self.code.append(CodeText(here, here, "".join(self._code_text)))
                    self._code_text = None
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
        if start and self.chars[start - 1].isdigit():
            return  # "10<sup>6</sup>": a power, not a footnote
        if start < self._block_start:
            return  # a block began inside the <sup>: brackets would straddle its edge
        first = start + (len(content) - len(content.lstrip()))
        last = start + len(content.rstrip())
        self.chars.insert(last, "]")
        self.origin.insert(last, self.origin[last - 1])
        self.chars.insert(first, "[")
        self.origin.insert(first, self.origin[first])

    def handle_data(self, data: str) -> None:
        self._emit(data, self._offset(), per_char=True)

    def handle_entityref(self, name: str) -> None:
        self._emit_reference(1, name)

    def handle_charref(self, name: str) -> None:
        self._emit_reference(2, name)

    def _emit_reference(self, prefix: int, name: str) -> None:
        """``&amp;``, ``&#91;``: the decoded text, every character at the ``&``.

        The parser reports ``AT&T`` and ``&amp`` (no semicolon) as references too; the
        raw text from the file decides what they stand for, and one that stands for
        nothing (``&T``) is kept as written, each character at its own place.
        """
        offset = self._offset()
        end = offset + prefix + len(name)
        if self._text.startswith(";", end):
            end += 1
        raw = self._text[offset:end]
        decoded = html.unescape(raw)
        self._emit(decoded, offset, per_char=decoded == raw)

    def handle_comment(self, data: str) -> None:
        start = self._offset()
        if not self._text.startswith("<!--", start):
            return  # a bogus comment ("<!x>", "</ x>") is never a directive
        parsed = parse_ignore(f"<!--{data}-->")
        if parsed is not None:
            close = self._text.find(">", start + 4 + len(data))
            end = len(self._text) if close == -1 else close + 1
            # Alone on its line it applies to the next line with text, as in Markdown...
            directive = directive_at(self._text, start, end, *parsed)
            if directive.line != self.getpos()[0] and not directive.whole_file:
                # ... which in HTML is the next line with prose: "<p>" alone on the next
                # line is markup; the claim starts on the line after.
                self._pending_ignores.append(len(self.ignores))
            self.ignores.append(directive)

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """``<![CDATA[...]]>`` as the parser knows it; any other ``<![`` is a bogus comment.

        The standard library raises AssertionError on ``<![x`` (and has already moved
        its position), so the position is restored and, as browsers do, everything
        up to the next ``>`` is skipped.
        """
        saved = self.lineno, self.offset
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            self.lineno, self.offset = saved
            close = self.rawdata.find(">", i + 3)
            return len(self.rawdata) if close == -1 else close + 1


def read_html(text: str) -> ProseView:
    """Build the prose view of an HTML document."""
    from bs4 import Tag

    parser = _ProseParser(text)
    # An unterminated comment runs to the end of the file (as in a browser); the
    # parser would hand it over as text instead.
    parser.feed(text[: _unterminated_comment(text)])
    parser.close()
    parser._boundary(BlockKind.PARAGRAPH)
    soup = _soup(text)
    title_tag = soup.find("title")
    return ProseView(
        text="".join(parser.chars),
        blocks=parser.blocks,
        origin=array("q", parser.origin),
        ignores=parser.ignores,
        references=_references(soup, text),
        title=title_tag.get_text(" ", strip=True) if isinstance(title_tag, Tag) else None,
        date_hint=_date_hint(soup),
        code=parser.code,
    )


def _unterminated_comment(text: str) -> int:
    """Where a last ``<!--`` with no ``-->`` after it starts; else the length of ``text``."""
    opening = text.rfind("<!--")
    if opening == -1 or text.find("-->", opening + 4) != -1:
        return len(text)
    return opening


_MARKED_SECTION_RE = re.compile(r"<!\[[^>]*>?")
_HEADING_RE = re.compile(r"^h[1-6]$")


def _soup(text: str) -> BeautifulSoup:
    """The page parsed by BeautifulSoup, even when it holds a ``<![`` the parser rejects."""
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
    from bs4.exceptions import ParserRejectedMarkup

    # A document is HTML because its name says so, even when its text looks like a URL
    # or a file name (BeautifulSoup warns then) or like XML.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            return BeautifulSoup(text, "html.parser")
        except ParserRejectedMarkup:
            # Blank the marked sections character for character (keeping line breaks),
            # so the positions BeautifulSoup reports still point into the original text.
            def blank(match: re.Match[str]) -> str:
                return re.sub(r"[^\n]", " ", match.group(0))

            return BeautifulSoup(_MARKED_SECTION_RE.sub(blank, text), "html.parser")


def _reference_lists(soup: BeautifulSoup) -> list[Tag]:
    """``<ol class="references">`` and kin, and the list right under a References heading."""
    from bs4 import Tag

    lists: list[Tag] = []
    for tag in soup.find_all(["ol", "ul", "section", "div", "aside"]):
        marks = " ".join(
            [*tag.get_attribute_list("class"), str(tag.get("id") or ""), str(tag.get("role") or "")]
        )
        if any(c in marks.lower() for c in _REFERENCE_CLASSES):
            found = tag if tag.name in ("ol", "ul") else tag.find(["ol", "ul"])
            if isinstance(found, Tag) and not any(found is seen for seen in lists):
                lists.append(found)
    for heading in soup.find_all(_HEADING_RE):
        if not REFERENCE_HEADINGS.match(heading.get_text(" ", strip=True)):
            continue
        # The first list after the heading, unless another heading comes first: then
        # the section was prose, as the prose view judged it too.
        following = heading.find_next(["ol", "ul", _HEADING_RE])
        if not isinstance(following, Tag) or following.name not in ("ol", "ul"):
            continue
        if not any(following is seen for seen in lists):
            lists.append(following)
    return lists


def _own(tag: Tag, item: Tag) -> bool:
    """Whether ``tag`` belongs to list item ``item`` and not to an item nested in it.

    html.parser nests an unclosed ``<li>One<li>Two`` as if the second item were inside
    the first; each item keeps only what is its own.
    """
    return tag.find_parent("li") is item


def _is_backlink(anchor: Tag | None) -> bool:
    return anchor is not None and str(anchor.get("href") or "").startswith("#")


def _references(soup: BeautifulSoup, text: str) -> list[ReferenceEntry]:
    entries: list[ReferenceEntry] = []
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    for found in _reference_lists(soup):
        start_attr = str(found.get("start") or "1")
        start = int(start_attr) if start_attr.isdigit() else 1
        items = [li for li in found.find_all("li") if li.find_parent(["ol", "ul"]) is found]
        for index, item in enumerate(items):
            link = next(
                (
                    str(a["href"])
                    for a in item.find_all("a", href=True)
                    if not str(a["href"]).startswith("#") and _own(a, item)
                ),
                None,
            )
            # Joined as a browser shows them: "<a>Fact Sheet</a>. NASA" is "Fact Sheet. NASA".
            # Back-links to the text ("^", "↩") are no part of the title.
            own_text = "".join(
                str(s)
                for s in item.find_all(string=True)
                if s.find_parent("li") is item and not _is_backlink(s.find_parent("a"))
            )
            item_text = re.sub(r"\s+", " ", own_text).strip()
            url = link or find_url(item_text)
            title = re.sub(r"\s+", " ", item_text.replace(url or "", "")).strip(" .,^↑") or None
            line = item.sourceline or 1
            offset = line_starts[min(line, len(line_starts)) - 1] + (item.sourcepos or 0)
            entries.append(ReferenceEntry(str(start + index), url, title, offset))
    return entries


def _date_hint(soup: BeautifulSoup) -> str | None:
    from bs4 import Tag

    for prop in (
        "article:published_time", "datePublished", "date", "dc.date", "DC.date",
        "dcterms.date", "DCTERMS.date", "citation_publication_date", "citation_date",
    ):  # fmt: skip
        meta = soup.find("meta", attrs={"property": prop})
        meta = meta or soup.find("meta", attrs={"name": prop})
        if isinstance(meta, Tag) and meta.get("content"):
            return str(meta["content"])
    time_tag = soup.find("time")
    if isinstance(time_tag, Tag):
        return str(time_tag.get("datetime") or time_tag.get_text(strip=True)) or None
    return None
