"""URL normalisation: one key per resource."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance.fetch import normalize_url
from provenance.fetch.urls import host_of


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://Bücher.example/Köln", "https://xn--bcher-kva.example/K%C3%B6ln"),
        ("https://example.com/a b?q=x y", "https://example.com/a%20b?q=x%20y"),
        ("https://example.com/a%2Fb?x=%41", "https://example.com/a%2Fb?x=%41"),
        ("https://example.com/?b=2&a=1", "https://example.com/?b=2&a=1"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("https://user:pw@Example.com/", "https://user:pw@example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("MAILTO:someone@example.com#x", "mailto:someone@example.com"),
        ("no scheme#frag", "no scheme"),
        ("http://[::1", "http://[::1"),
    ],
)
def test_normalize_url(url: str, normalized: str) -> None:
    assert normalize_url(url) == normalized


def test_unicode_and_escaped_paths_are_one_key() -> None:
    assert normalize_url("https://de.example/wiki/Köln") == normalize_url(
        "https://de.example/wiki/K%C3%B6ln"
    )


@given(
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    host=st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}(\.[A-Za-z]{2,6}){1,2}", fullmatch=True),
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=st.text(max_size=30).map(lambda text: "/" + text.replace("#", "")),
    fragment=st.text(max_size=10),
)
def test_normalisation_is_idempotent(
    scheme: str, host: str, port: int | None, path: str, fragment: str
) -> None:
    netloc = host if port is None else f"{host}:{port}"
    once = normalize_url(f"{scheme}://{netloc}{path}#{fragment}")
    assert normalize_url(once) == once
    assert "#" not in once
    assert host_of(once) == host.lower()


def test_host_of() -> None:
    assert host_of("https://Example.com.:8443/x") == "example.com"
    assert host_of("not a url") == ""


@pytest.mark.parametrize(
    "url", ["0\r#", "ftp://files.example/a \r#x", "x \t#y", "mailto:a@b #c", "A:////", "HTTP:////0"]
)
def test_normalising_twice_gives_the_same_key(url: str) -> None:
    # Found by the fuzz harness: whitespace before a dropped fragment survived once.
    once = normalize_url(url)
    assert normalize_url(once) == once
