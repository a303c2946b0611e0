"""WARC records as written: types, URIs, dates, digests, revisits; and `warcio check` passes."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.archive import SnapshotStore
from provenance.archive.warc import (
    complete_prefix,
    digest_to_hex,
    encode_exchange,
    encode_warcinfo,
    warc_date,
    warc_file_name,
)
from provenance.fetch.models import Reason
from tests.archive.factory import (
    HTML,
    T0,
    exchange,
    gzipped,
    read_records,
    redirect_fetch,
    result,
    warc_files,
    warcio_check,
)


def _b32_sha256(data: bytes) -> str:
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode()


def test_a_fetch_is_a_warcinfo_then_response_and_request(store: SnapshotStore, root: Path) -> None:
    url = "https://example.org/article?id=7"
    store.record(result(url), [exchange(url, HTML)])

    [path] = warc_files(root)
    assert path.name == "provenance-20240501-test-00000.warc.gz"
    warcinfo, response, request = read_records(path)

    assert warcinfo.type == "warcinfo"
    assert warcinfo.headers["WARC-Filename"] == path.name
    assert b"format: WARC File Format 1.1" in warcinfo.payload

    assert response.type == "response"
    assert response.uri == url
    assert response.payload == HTML
    assert response.http_status == "200"
    assert response.headers["WARC-Payload-Digest"] == _b32_sha256(HTML)
    assert response.headers["WARC-Block-Digest"].startswith("sha256:")
    assert response.headers["WARC-Date"] == "2024-05-01T12:00:00Z"
    assert response.headers["WARC-IP-Address"] == "203.0.113.7"

    assert request.type == "request"
    assert request.uri == url
    assert request.headers["WARC-Concurrent-To"] == response.headers["WARC-Record-ID"]
    assert request.headers["WARC-Date"] == response.headers["WARC-Date"]

    assert warcio_check([path]) == (0, "")


def test_every_redirect_hop_gets_its_own_pair(store: SnapshotStore, root: Path) -> None:
    fetched, hops = redirect_fetch("http://old.example/a", "https://new.example/a")
    store.record(fetched, hops)

    records = read_records(warc_files(root)[0])
    assert [(r.type, r.uri, r.http_status) for r in records[1:]] == [
        ("response", "http://old.example/a", "301"),
        ("request", "http://old.example/a", None),
        ("response", "https://new.example/a", "200"),
        ("request", "https://new.example/a", None),
    ]
    # The WARC-Date is each exchange's own start time, to the microsecond.
    assert records[3].headers["WARC-Date"] == "2024-05-01T12:00:00.250000Z"
    snapshot = store.latest("http://old.example/a")
    assert snapshot is not None
    assert snapshot.offset == records[3].offset
    assert snapshot.length == records[3].length
    assert warcio_check(warc_files(root)) == (0, "")


def test_unchanged_payload_is_a_revisit_and_a_change_a_new_response(
    store: SnapshotStore, root: Path
) -> None:
    url = "https://example.org/"
    new_html = HTML.replace(b"100", b"99.97")
    for n, body in enumerate([HTML, HTML, new_html, HTML]):
        at = T0 + timedelta(days=n)
        store.record(result(url, fetched_at=at), [exchange(url, body, started_at=at)])

    responses = [r for r in read_records(warc_files(root)[0]) if r.type != "request"][1:]
    assert [r.type for r in responses] == ["response", "revisit", "response", "response"]
    original, revisit = responses[0], responses[1]
    assert revisit.payload == b""  # only the HTTP headers are stored again
    assert revisit.http_status == "200"
    assert revisit.headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]
    assert revisit.headers["WARC-Refers-To"] == original.headers["WARC-Record-ID"]
    assert revisit.headers["WARC-Refers-To-Target-URI"] == url
    assert revisit.headers["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
    assert revisit.headers["WARC-Profile"] == (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    # Back to the first payload: the last stored one differs, so it is stored again.
    assert responses[3].payload == HTML

    snapshots = store.history(url)
    assert [s.is_revisit for s in snapshots] == [False, True, False, False]
    assert store.read_payload(snapshots[1]) == HTML
    assert warcio_check(warc_files(root)) == (0, "")


def test_a_revisit_survives_a_new_run_and_file(root: Path) -> None:
    url = "https://example.org/"
    with SnapshotStore(root, run_id="first") as store:
        store.record(result(url), [exchange(url)])
    with SnapshotStore(root, run_id="second") as store:
        store.record(result(url), [exchange(url)])
        latest = store.latest(url)
        assert latest is not None
        assert latest.is_revisit
        assert latest.warc_path is not None
        assert "second" in latest.warc_path
        assert store.read_payload(latest) == HTML


def test_the_payload_is_stored_as_received_with_content_encoding(
    store: SnapshotStore, root: Path
) -> None:
    url = "https://example.org/gz"
    body = gzipped(HTML)
    store.record(result(url), [exchange(url, body, content_encoding="gzip")])

    response = read_records(warc_files(root)[0])[1]
    assert response.payload == body
    assert response.headers["WARC-Payload-Digest"] == _b32_sha256(body)
    assert warcio_check(warc_files(root)) == (0, "")


def test_http2_truncation_and_transfer_encoding_are_recorded_truthfully(
    store: SnapshotStore, root: Path
) -> None:
    url = "https://example.org/big"
    ex = exchange(
        url,
        b"<p>cut here",
        http_version="HTTP/2",
        reason_phrase="",
        truncated=True,
        extra_headers=(("Transfer-Encoding", "chunked"),),
    )
    store.record(result(url, reason=Reason.TOO_LARGE), [ex])

    response = read_records(warc_files(root)[0])[1]
    assert response.headers["WARC-Protocol"] == "h2"
    assert response.headers["WARC-Truncated"] == "length"
    assert response.http_status == "200"
    assert response.payload == b"<p>cut here"
    assert warcio_check(warc_files(root)) == (0, "")


def test_headers_cannot_smuggle_lines_into_the_record(tmp_path: Path) -> None:
    ex = exchange("https://example.org/", extra_headers=(("X-Evil", "a\r\nWARC-Type: fake"),))
    response, _ = encode_exchange(ex)
    path = tmp_path / "one.warc.gz"
    path.write_bytes(response.data)

    [record] = read_records(path)
    assert record.type == "response"
    assert record.payload == HTML
    assert warcio_check([path]) == (0, "")


def test_warc_file_names_never_come_from_untrusted_text() -> None:
    assert warc_file_name(T0.date(), "run-7_a", 3) == "provenance-20240501-run-7_a-00003.warc.gz"
    for bad in ("../x", "a/b", "", "x" * 65, "é"):
        with pytest.raises(ValueError, match="run id"):
            warc_file_name(T0.date(), bad, 0)
    with pytest.raises(ValueError, match="run id"):
        SnapshotStore(Path("unused"), run_id="../../etc")


def test_warc_dates_are_utc_with_microseconds_only_when_present() -> None:
    assert warc_date(T0) == "2024-05-01T12:00:00Z"
    assert warc_date(T0 + timedelta(microseconds=5)) == "2024-05-01T12:00:00.000005Z"
    naive = T0.replace(tzinfo=None)
    assert warc_date(naive) == "2024-05-01T12:00:00Z"


def test_digest_forms_convert_to_hex() -> None:
    data = b"payload"
    hex_form = "sha256:" + hashlib.sha256(data).hexdigest()
    assert digest_to_hex(_b32_sha256(data)) == hex_form
    assert digest_to_hex(hex_form) == hex_form
    assert digest_to_hex("sha1:AAAA") is None
    assert digest_to_hex("sha256:not-base32!") is None
    assert digest_to_hex(None) is None


def _members() -> list[bytes]:
    info = encode_warcinfo("f.warc.gz", T0, {"software": "test"})
    members = [info.data]
    for n in range(3):
        response, request = encode_exchange(exchange(f"https://e.org/{n}", HTML * (n + 1)))
        members += [response.data, request.data]
    return members


_MEMBERS = _members()


@settings(derandomize=True, database=None, max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=sum(len(m) for m in _MEMBERS)))
def test_complete_prefix_ends_at_the_last_whole_member_before_a_cut(
    tmp_path_factory: pytest.TempPathFactory, cut: int
) -> None:
    data = b"".join(_MEMBERS)
    path = tmp_path_factory.mktemp("cut") / "cut.warc.gz"
    path.write_bytes(data[:cut])

    boundaries = [0]
    for member in _MEMBERS:
        boundaries.append(boundaries[-1] + len(member))
    assert complete_prefix(path) == max(b for b in boundaries if b <= cut)


def test_complete_prefix_stops_at_a_gzip_member_that_is_not_warc(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    path.write_bytes(_MEMBERS[0] + gzipped(b"not a warc record") + _MEMBERS[1])
    assert complete_prefix(path) == len(_MEMBERS[0])
