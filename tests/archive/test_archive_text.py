"""Readable text of payloads: HTML boilerplate dropped, encodings and charsets undone."""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.archive import SnapshotStore, TextStatus
from provenance.archive.text import ContentDecodingError, decode_content, extract, html_text
from provenance.archive.warc import sha256_hex
from tests.archive.factory import HTML, exchange, gzipped, result

HTML_HEADERS = (("Content-Type", "text/html; charset=utf-8"),)


def test_html_keeps_title_headings_paragraphs_and_list_items_one_per_line() -> None:
    extraction = extract(HTML, HTML_HEADERS)

    assert extraction.status is TextStatus.EXTRACTED
    assert extraction.title == "The Source & Its Title"
    assert extraction.text == (
        "The Source & Its Title\n"
        "Findings\n"
        "Water boils at 100 °C at sea level.\n"
        "first point\n"
        "second point"
    )


def test_html_drops_scripts_styles_and_page_chrome() -> None:
    text = extract(HTML, HTML_HEADERS).text
    assert text is not None
    for gone in ("secret", "color: red", "Home | About", "Site banner", "Copyright"):
        assert gone not in text


def test_html_decodes_entities_and_normalises_whitespace() -> None:
    markup = (
        "<body><p>  caf&eacute;\n\n   &lt;tag&gt; &#8212; &quot;q&quot;  </p>"
        "<div>a<br>b</div><!-- a comment --><form>search</form>"
        "<p hidden>invisible</p><aside>related</aside><noscript>enable js</noscript></body>"
    )
    text, title = html_text(markup)
    assert title is None
    assert text == 'café <tag> — "q"\na\nb'


def test_html_inline_elements_stay_on_their_line() -> None:
    text, _ = html_text("<p>The <a href='/x'>cited</a> <em>claim</em>, verbatim.</p>")
    assert text == "The cited claim, verbatim."


def test_deeply_nested_html_does_not_hit_the_recursion_limit() -> None:
    depth = sys.getrecursionlimit() * 2
    text, _ = html_text("<div>" * depth + "deep" + "</div>" * depth)
    assert text == "deep"


def test_plain_text_is_kept_as_is() -> None:
    body = b"Line one\r\n  indented line two\r\n\r\nLast line.\r\n"
    extraction = extract(body, (("Content-Type", "text/plain"),))
    assert extraction.status is TextStatus.EXTRACTED
    assert extraction.text == "Line one\n  indented line two\n\nLast line."
    assert extraction.title is None


def test_gzip_encoded_payload_is_decoded_before_extraction() -> None:
    extraction = extract(gzipped(HTML), (*HTML_HEADERS, ("Content-Encoding", "gzip")))
    assert extraction.decoded == HTML
    assert extraction.text is not None
    assert extraction.text.startswith("The Source & Its Title\nFindings")


def test_deflate_zlib_and_raw_and_stacked_encodings_decode() -> None:
    raw = zlib.compressobj(wbits=-15)
    raw_deflate = raw.compress(b"hello") + raw.flush()
    assert decode_content(zlib.compress(b"hello"), "deflate", limit=100) == b"hello"
    assert decode_content(raw_deflate, "deflate", limit=100) == b"hello"
    assert decode_content(gzipped(zlib.compress(b"hi")), "deflate, gzip", limit=100) == b"hi"
    assert decode_content(gzipped(b"a") + gzipped(b"b"), "gzip", limit=100) == b"ab"


def test_a_truncated_gzip_body_yields_what_decompresses() -> None:
    # A body cut at the fetch size cap: the decodable part is a prefix of the whole.
    whole = b"".join(hashlib.sha256(b"%d" % n).hexdigest().encode() for n in range(2000))
    body = gzip.compress(whole, mtime=0)
    decoded = decode_content(body[: len(body) // 2], "gzip", limit=1_000_000)
    assert len(decoded) > len(whole) // 4
    assert whole.startswith(decoded)
    assert len(decoded) < len(whole)


def test_non_utf8_charset_from_the_content_type_header() -> None:
    body = "Köln, Zürich and Malmö".encode("iso-8859-1")
    extraction = extract(body, (("Content-Type", "text/plain; charset=ISO-8859-1"),))
    assert extraction.text == "Köln, Zürich and Malmö"


def test_charset_from_meta_and_detection() -> None:
    meta = '<meta charset="windows-1251"><p>Привет, мир</p>'.encode("cp1251")
    assert extract(meta, (("Content-Type", "text/html"),)).text == "Привет, мир"

    undeclared = (
        "<p>Съешь же ещё этих мягких французских булок, да выпей чаю. "
        "Широкая электрификация южных губерний даст мощный толчок подъёму сельского "
        "хозяйства.</p>"
    ).encode("cp1251")
    text = extract(undeclared, (("Content-Type", "text/html"),)).text
    assert text is not None
    assert "французских булок" in text


def test_utf8_bom_wins_over_a_wrong_header() -> None:
    body = "\ufeffnaïve".encode()
    extraction = extract(body, (("Content-Type", "text/plain; charset=iso-8859-1"),))
    assert extraction.text == "naïve"


def test_missing_content_type_is_sniffed() -> None:
    extraction = extract(b"  <!DOCTYPE html><title>T</title><p>x</p>", ())
    assert extraction.status is TextStatus.EXTRACTED
    assert extraction.title == "T"


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\x89PNG\r\n", (("Content-Type", "image/png"),), TextStatus.UNSUPPORTED_TYPE),
        (b'{"a": 1}', (("Content-Type", "application/json"),), TextStatus.UNSUPPORTED_TYPE),
        (b"abc", (("Content-Encoding", "br"),), TextStatus.UNDECODABLE),
        (b"not gzip", (("Content-Encoding", "gzip"),), TextStatus.UNDECODABLE),
        (b"", (("Content-Type", "text/html"),), TextStatus.NO_PAYLOAD),
    ],
)  # fmt: skip
def test_payloads_without_text_say_why(
    body: bytes, headers: tuple[tuple[str, str], ...], status: TextStatus
) -> None:
    extraction = extract(body, headers)
    assert extraction.status is status
    assert extraction.text is None


def test_a_decompression_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000, mtime=0)
    extraction = extract(bomb, (("Content-Encoding", "gzip"),), max_decoded_bytes=1_000_000)
    assert extraction.status is TextStatus.TOO_LARGE
    assert extraction.decoded is None
    with pytest.raises(ValueError, match="larger than"):
        decode_content(bomb, "gzip", limit=1_000_000)


def test_unknown_content_encoding_raises() -> None:
    with pytest.raises(ContentDecodingError, match="compress"):
        decode_content(b"x", "compress", limit=10)


def _pdf(text: str, title: str) -> bytes:
    """A one-page PDF showing ``text``, with ``title`` in its Info dictionary."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>".encode(),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_pdf_text_and_title_with_pypdf() -> None:
    pytest.importorskip("pypdf")
    extraction = extract(
        _pdf("Sea level rose 20 cm", "Tide Report"), (("Content-Type", "application/pdf"),)
    )
    assert extraction.status is TextStatus.EXTRACTED
    assert extraction.text == "Sea level rose 20 cm"
    assert extraction.title == "Tide Report"


def test_pdf_without_pypdf_is_recorded_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # makes `import pypdf` fail
    extraction = extract(_pdf("x", "y"), (("Content-Type", "application/pdf"),))
    assert extraction.status is TextStatus.PDF_UNAVAILABLE
    assert extraction.text is None


def test_a_broken_pdf_is_undecodable() -> None:
    pytest.importorskip("pypdf")
    extraction = extract(b"%PDF-1.4\nthis is not a pdf", (("Content-Type", "application/pdf"),))
    assert extraction.status is TextStatus.UNDECODABLE


@settings(derandomize=True, database=None, max_examples=80, deadline=None)
@given(body=st.binary(max_size=300), kind=st.sampled_from(["text/html", "text/plain", None]))
def test_extraction_never_raises_on_arbitrary_bytes(body: bytes, kind: str | None) -> None:
    headers = () if kind is None else (("Content-Type", kind),)
    extraction = extract(body, headers)
    assert (extraction.text is not None) == (extraction.status is TextStatus.EXTRACTED)


def test_the_store_keeps_text_per_digest_and_the_title_in_the_index(
    store: SnapshotStore, root: Path
) -> None:
    first, second = "https://a.example/", "https://b.example/"
    store.record(result(first), [exchange(first, gzipped(HTML), content_encoding="gzip")])
    store.record(result(second), [exchange(second, HTML)])

    a, b = store.latest(first), store.latest(second)
    assert a is not None
    assert b is not None
    # Same decoded payload, so the same text, though the archived bytes differ.
    assert a.digest == b.digest
    assert a.payload_digest != b.payload_digest
    assert a.text_path == b.text_path
    assert a.digest is not None
    text = extract(HTML, HTML_HEADERS).text
    assert text is not None
    assert a.text_digest == sha256_hex(text.encode("utf-8"))
    assert a.text_path == "index.sqlite3#texts/" + a.text_digest.removeprefix("sha256:")
    assert a.title == "The Source & Its Title"
    assert store.text(a) == text
    assert store.text(a.digest) == store.text(b)
    db = sqlite3.connect(root / "index.sqlite3")
    try:
        assert db.execute("SELECT text_digest, data FROM texts").fetchall() == [
            (a.text_digest, text.encode("utf-8"))
        ]
    finally:
        db.close()
    assert not (root / "text").exists()  # no file per text any more


def test_a_snapshot_without_text_has_none(store: SnapshotStore) -> None:
    url = "https://img.example/logo.png"
    store.record(result(url), [exchange(url, b"\x89PNG\r\n\x1a\n", content_type="image/png")])
    snapshot = store.latest(url)
    assert snapshot is not None
    assert snapshot.text_status is TextStatus.UNSUPPORTED_TYPE
    assert snapshot.text_path is None
    assert store.text(snapshot) is None


def test_text_after_the_closing_html_tag_is_kept() -> None:
    page = "<html><body><p>Inside the page.</p></body></html>\n<p>After the end.</p>\nTrailing"
    text, _title = html_text(page)
    assert text.split("\n") == ["Inside the page.", "After the end.", "Trailing"]


def test_characters_xml_forbids_become_spaces() -> None:
    text, title = html_text("\x01<title>T\x02</title>\x00<p>a\x07b</p><script>x</script>\x0bc")
    assert title == "T"
    assert text.split("\n") == ["T", "a b", "c"]


def test_control_characters_written_as_entities_do_not_break_extraction() -> None:
    # libxml2 turns &#1; into U+0001 in the tree; joining the text around a dropped
    # element onto its neighbour used to raise ValueError, failing the whole batch.
    text, _title = html_text("<p>a&#1;b<script>x</script>c&#2;d</p><div>e<nav>n</nav>f&#0;</div>")
    assert text.split("\n") == ["a bc d", "ef\ufffd"]
    page = b"<p>a&#1;b<style>x</style>c</p>"
    assert extract(page, [("Content-Type", "text/html")]).status is TextStatus.EXTRACTED
