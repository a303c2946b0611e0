"""provenance writes WARC records itself; they must be byte for byte what warcio writes.

The oracle below is the encoder provenance used before (records built and written by
warcio's ``WARCWriter`` with sha256 digests). Both are given the same record ids; the
gzip members may differ in compression level, so the decompressed bytes are compared.
"""

from __future__ import annotations

import gzip
import itertools
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from provenance.archive import warc
from provenance.archive.warc import (
    RevisitTarget,
    encode_exchange,
    encode_warcinfo,
    read_record,
    warc_date,
)
from provenance.fetch.models import HttpExchange
from tests.archive.factory import HTML, exchange


class _Sha256Writer(WARCWriter):  # type: ignore[misc]
    @staticmethod
    def _create_digester() -> Any:
        return Digester("sha256")


def _warcio_bytes(record: Any) -> bytes:
    out = BytesIO()
    _Sha256Writer(out, gzip=True, warc_version="1.1").write_record(record)
    return gzip.decompress(out.getvalue())


def _builder() -> Any:
    return _Sha256Writer(BytesIO(), gzip=True, warc_version="1.1")


def _clean(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _oracle_exchange(
    ex: HttpExchange, ids: Iterator[str], revisit_of: RevisitTarget | None
) -> tuple[bytes, bytes]:
    """warcio's (response or revisit, request) for ``ex``, as provenance built them before."""
    builder = _builder()
    uri = _clean(ex.url)
    date_text = warc_date(ex.started_at)
    response_id = next(ids)
    digester = Digester("sha256")
    digester.update(ex.body)
    payload_digest = str(digester)
    headers: dict[str, str] = {"WARC-Record-ID": response_id, "WARC-Date": date_text}
    if ex.remote_ip:
        headers["WARC-IP-Address"] = _clean(ex.remote_ip)
    protocol = {"HTTP/2": "h2", "HTTP/2.0": "h2", "HTTP/3": "h3"}.get(ex.http_version.upper())
    if protocol:
        headers["WARC-Protocol"] = protocol
    version = ex.http_version.upper()
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        version = "HTTP/1.1"
    phrase = ex.reason_phrase.strip()
    if not phrase:
        try:
            phrase = HTTPStatus(ex.status_code).phrase
        except ValueError:
            phrase = ""
    http_headers = StatusAndHeaders(
        _clean(f"{ex.status_code} {phrase}".strip()),
        [
            (
                _clean(
                    "X-Archive-Orig-Transfer-Encoding" if n.lower() == "transfer-encoding" else n
                ),
                _clean(v),
            )
            for n, v in ex.response_headers
        ],
        protocol=version,
    )
    if revisit_of is None:
        headers["WARC-Payload-Digest"] = payload_digest
        if ex.truncated:
            headers["WARC-Truncated"] = "length"
        record = builder.create_warc_record(
            uri,
            "response",
            payload=BytesIO(ex.body),
            length=len(ex.body),
            http_headers=http_headers,
            warc_headers_dict=headers,
        )
    else:
        headers["WARC-Refers-To"] = revisit_of.record_id
        record = builder.create_revisit_record(
            uri,
            payload_digest,
            revisit_of.target_uri,
            revisit_of.warc_date,
            http_headers=http_headers,
            warc_headers_dict=headers,
        )
    parts = urlsplit(ex.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = builder.create_warc_record(
        uri,
        "request",
        http_headers=StatusAndHeaders(
            _clean(f"{ex.method.upper()} {target} HTTP/1.1"),
            [(_clean(n), _clean(v)) for n, v in ex.request_headers],
            protocol="",
            is_http_request=True,
        ),
        warc_headers_dict={
            "WARC-Record-ID": next(ids),
            "WARC-Date": date_text,
            "WARC-Concurrent-To": response_id,
        },
    )
    return _warcio_bytes(record), _warcio_bytes(request)


def _oracle_warcinfo(filename: str, moment: datetime, fields: Mapping[str, str]) -> bytes:
    payload = "".join(f"{_clean(k)}: {_clean(v)}\r\n" for k, v in fields.items() if v).encode()
    record = _builder().create_warc_record(
        "",
        "warcinfo",
        payload=BytesIO(payload),
        length=len(payload),
        warc_headers_dict={
            "WARC-Record-ID": "<urn:uuid:00000000-0000-4000-8000-000000000001>",
            "WARC-Date": warc_date(moment),
            "WARC-Filename": filename,
        },
    )
    return _warcio_bytes(record)


def _ids() -> Iterator[str]:
    return (f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>" for n in itertools.count(1))


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _ids()
    monkeypatch.setattr(warc, "_record_id", lambda: next(ids))


def _same_as_warcio(ex: HttpExchange, revisit_of: RevisitTarget | None = None) -> None:
    ids = _ids()
    want_response, want_request = _oracle_exchange(ex, ids, revisit_of)
    response, request = encode_exchange(ex, revisit_of=revisit_of)
    assert gzip.decompress(response.data) == want_response
    assert gzip.decompress(request.data) == want_request


REVISIT = RevisitTarget(
    "<urn:uuid:11111111-1111-4111-8111-111111111111>", "http://a.test/x", "2024-01-01T00:00:00Z"
)

CASES = {
    "html page": exchange("http://a.test/page"),
    "empty body": exchange("http://a.test/empty", b"", content_type=None),
    "query and gzip": exchange(
        "http://a.test/q?x=1&y=2", gzip.compress(HTML), content_encoding="gzip"
    ),
    "truncated": exchange("http://a.test/big", HTML, truncated=True),
    "http/2 without a phrase": exchange(
        "https://a.test/h2", http_version="HTTP/2", reason_phrase=""
    ),
    "transfer-encoding renamed": exchange(
        "http://a.test/chunked", extra_headers=(("Transfer-Encoding", "chunked"),)
    ),
    "CR and LF in headers": exchange(
        "http://a.test/crlf", extra_headers=(("X-Evil", "a\r\nWARC-Type: forged"),)
    ),
    "non-ASCII header value": exchange(
        "http://a.test/utf8",
        extra_headers=(
            ("Content-Disposition", 'attachment; filename="résumé.pdf"'),
            ("X-Note", "naïve"),
        ),
    ),
    "redirect": exchange(
        "http://a.test/old",
        b"",
        status=301,
        reason_phrase="Moved Permanently",
        extra_headers=(("Location", "/new"),),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.usefixtures("fixed_ids")
def test_response_and_request_records_are_byte_for_byte_warcios(name: str) -> None:
    _same_as_warcio(CASES[name])


@pytest.mark.parametrize("name", ["html page", "http/2 without a phrase", "non-ASCII header value"])
@pytest.mark.usefixtures("fixed_ids")
def test_revisit_records_are_byte_for_byte_warcios(name: str) -> None:
    _same_as_warcio(CASES[name], revisit_of=REVISIT)


@pytest.mark.usefixtures("fixed_ids")
def test_warcinfo_is_byte_for_byte_warcios() -> None:
    fields = {"software": "provenance/0.1", "format": "WARC File Format 1.1", "empty": ""}
    moment = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    record = encode_warcinfo("provenance-20240501-run-00000.warc.gz", moment, fields)
    assert gzip.decompress(record.data) == _oracle_warcinfo(
        "provenance-20240501-run-00000.warc.gz", moment, fields
    )


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    body=st.binary(max_size=300),
    headers=st.lists(
        st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True), _text),
        max_size=5,
    ),
    status=st.sampled_from([200, 204, 301, 404, 500, 599]),
    path=st.from_regex(r"/[a-z0-9/]{0,12}(\?[a-z=&]{1,8})?", fullmatch=True),
    revisit=st.booleans(),
)
def test_any_exchange_encodes_as_warcio_would(
    body: bytes, headers: list[tuple[str, str]], status: int, path: str, revisit: bool
) -> None:
    ids = _ids()
    ex = exchange(
        "http://a.test" + path,
        body,
        status=status,
        reason_phrase="OK" if status == 200 else "",
        extra_headers=tuple(headers),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(warc, "_record_id", lambda: next(ids))
        response, request = encode_exchange(ex, revisit_of=REVISIT if revisit else None)
    want_response, want_request = _oracle_exchange(ex, _ids(), REVISIT if revisit else None)
    assert gzip.decompress(response.data) == want_response
    assert gzip.decompress(request.data) == want_request


def test_records_read_back_through_warcio_with_digests_checked(tmp_path: Path) -> None:
    path = tmp_path / "one.warc.gz"
    response, request = encode_exchange(CASES["non-ASCII header value"])
    path.write_bytes(response.data + request.data)
    stored = read_record(path, 0, len(response.data))
    assert stored.record_type == "response"
    assert stored.payload == HTML
    assert stored.digest_problems == ()
    assert ("X-Note", "na%C3%AFve") in stored.http_headers


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp"]),
    host=st.sampled_from(["a.test", "a.test:8080", "[::1]:80", "user@a.test", ""]),
    rest=st.one_of(
        st.from_regex(r"[/?#][ -~]{0,24}", fullmatch=True),
        st.text(max_size=16).map(lambda text: "/" + text),
        st.just(""),
    ),
)
def test_the_request_target_is_what_urlsplit_finds(scheme: str, host: str, rest: str) -> None:
    url = f"{scheme}://{host}{rest}"
    parts = urlsplit(url)
    assert warc._request_target(url) == (parts.path or "/") + (
        f"?{parts.query}" if parts.query else ""
    )


def test_record_ids_are_random_version_4_uuids() -> None:
    ids = [warc._record_id() for _ in range(200)]
    assert len(set(ids)) == 200
    for record_id in ids:
        assert record_id.startswith("<urn:uuid:") and record_id.endswith(">")
        value = uuid.UUID(record_id[len("<urn:uuid:") : -1])
        assert (value.version, value.variant) == (4, uuid.RFC_4122)
        assert str(value) == record_id[len("<urn:uuid:") : -1]
