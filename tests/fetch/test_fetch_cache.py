"""The persistent cache: fresh answers without requests, revalidation, and what is never cached."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch import FetchCache, Reason
from provenance.fetch.cache import CacheEntry
from tests.fetch.conftest import T0, FakeClock, Run

URL = "https://example.com/doc"
PAGE = "<html><title>Doc</title><p>" + "text " * 100 + "</p></html>"
HOUR = 3600.0


@pytest.fixture
def cache(tmp_path: Path) -> FetchCache:
    with FetchCache(tmp_path / "cache") as opened:
        yield opened


def test_second_run_within_ttl_makes_no_request(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=URL, html=PAGE)
    first = run([URL], cache=cache)
    clock.advance(23 * HOUR)
    second = run([URL], cache=cache)
    assert (first.requests, second.requests, second.cache_hits) == (1, 0, 1)
    cached = second.results[URL]
    assert cached.from_cache
    assert cached.digest == first.results[URL].digest
    assert cached.fetched_at == T0
    assert len(httpx_mock.get_requests()) == 1


def test_cache_directory_can_be_given_as_a_path(
    run: Run, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=URL, html=PAGE)
    run([URL], cache=tmp_path / "c")
    assert run([URL], cache=str(tmp_path / "c")).requests == 0


def test_expired_entry_is_fetched_again(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=URL, html=PAGE)
    httpx_mock.add_response(url=URL, html=PAGE + "changed")
    run([URL], cache=cache)
    clock.advance(25 * HOUR)
    second = run([URL], cache=cache)
    assert second.requests == 1
    assert not second.results[URL].from_cache
    assert second.results[URL].fetched_at == clock.now


def test_stale_entry_with_validators_is_revalidated_and_a_304_renews_it(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache, clock: FakeClock
) -> None:
    validators = {"etag": '"abc"', "last-modified": "Tue, 30 Apr 2024 08:00:00 GMT"}
    httpx_mock.add_response(url=URL, html=PAGE, headers=validators)
    httpx_mock.add_response(
        url=URL,
        status_code=304,
        # pytest-httpx compares raw header names, so spell them as sent.
        match_headers={
            "If-None-Match": '"abc"',
            "If-Modified-Since": "Tue, 30 Apr 2024 08:00:00 GMT",
        },
    )
    first = run([URL], cache=cache).results[URL]
    clock.advance(30 * HOUR)
    renewed_run = run([URL], cache=cache)
    renewed = renewed_run.results[URL]
    assert renewed_run.requests == 1
    assert renewed.reason is Reason.OK
    assert renewed.from_cache
    assert renewed.digest == first.digest
    assert renewed.fetched_at == clock.now
    # Renewed means fresh again: the next run inside the TTL needs no request at all.
    clock.advance(HOUR)
    assert run([URL], cache=cache).requests == 0


def test_revalidation_that_gets_new_content_replaces_the_entry(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=URL, html=PAGE, headers={"etag": '"v1"'})
    httpx_mock.add_response(url=URL, html=PAGE + "v2", headers={"etag": '"v2"'})
    first = run([URL], cache=cache).results[URL]
    clock.advance(30 * HOUR)
    second = run([URL], cache=cache).results[URL]
    assert httpx_mock.get_requests()[1].headers["if-none-match"] == '"v1"'
    assert (second.etag, second.from_cache) == ('"v2"', False)
    assert second.digest != first.digest


def test_revalidation_goes_to_where_the_redirect_ended(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache, clock: FakeClock
) -> None:
    final = "https://example.com/final"
    httpx_mock.add_response(url=URL, status_code=301, headers={"location": final})
    httpx_mock.add_response(url=final, html=PAGE, headers={"etag": '"e"'})
    httpx_mock.add_response(url=URL, status_code=301, headers={"location": final})
    httpx_mock.add_response(url=final, status_code=304, match_headers={"If-None-Match": '"e"'})
    run([URL], cache=cache)
    clock.advance(30 * HOUR)
    renewed = run([URL], cache=cache).results[URL]
    assert (renewed.reason, renewed.from_cache) == (Reason.MOVED, True)
    assert "if-none-match" not in httpx_mock.get_requests()[2].headers


def test_refresh_ignores_the_cache(run: Run, httpx_mock: HTTPXMock, cache: FetchCache) -> None:
    httpx_mock.add_response(url=URL, html=PAGE, is_reusable=True)
    run([URL], cache=cache)
    refreshed = run([URL], cache=cache, refresh=True)
    assert refreshed.requests == 1
    assert not refreshed.results[URL].from_cache
    assert "if-none-match" not in httpx_mock.get_requests()[1].headers


def test_dead_results_are_never_served_from_the_cache(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache
) -> None:
    httpx_mock.add_response(url=URL, status_code=404, is_reusable=True)
    run([URL], cache=cache)
    assert cache.get(URL) is not None
    second = run([URL], cache=cache)
    assert second.requests == 1
    assert not second.results[URL].from_cache


def test_unverifiable_refusals_are_cached_for_the_failure_ttl(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=URL, status_code=403, is_reusable=True)
    run([URL], cache=cache)
    clock.advance(0.5 * HOUR)
    assert run([URL], cache=cache).results[URL].from_cache
    clock.advance(0.6 * HOUR)
    assert run([URL], cache=cache).requests == 1


def test_policy_refusals_and_offline_results_are_not_cached(run: Run, cache: FetchCache) -> None:
    run(["http://127.0.0.1/", "ftp://example.com/"], cache=cache)
    assert len(cache) == 0


def test_unreadable_entries_count_as_absent(
    run: Run, httpx_mock: HTTPXMock, cache: FetchCache, tmp_path: Path
) -> None:
    import diskcache

    with diskcache.Cache(str(cache.directory)) as raw:
        raw.set(URL, "{not json")
    assert cache.get(URL) is None
    httpx_mock.add_response(url=URL, html=PAGE)
    assert run([URL], cache=cache).requests == 1


def test_entries_round_trip(cache: FetchCache) -> None:
    from provenance.fetch import FetchResult, Verdict

    result = FetchResult(
        url=URL, normalized_url=URL, verdict=Verdict.ALIVE, reason=Reason.OK, fetched_at=T0
    )
    cache.put_many([(URL, CacheEntry(result, T0))])
    assert cache.get(URL) == CacheEntry(result, T0)


def test_writes_keep_the_cache_under_its_size_limit(tmp_path: Path) -> None:
    # Culled once per batch, not after every row: still bounded by diskcache's size limit.
    import diskcache

    from provenance.fetch import FetchResult, Verdict

    directory = tmp_path / "cache"
    with diskcache.Cache(str(directory)) as raw:
        raw.reset("size_limit", 256 * 1024)
    urls = [f"https://example.com/{n}/{'x' * 400}" for n in range(2000)]
    with FetchCache(directory) as cache:
        for start in range(0, len(urls), 250):
            cache.put_many(
                (url, CacheEntry(FetchResult(
                    url=url, normalized_url=url, verdict=Verdict.ALIVE, reason=Reason.OK,
                    fetched_at=T0,
                ), T0))
                for url in urls[start : start + 250]
            )  # fmt: skip
        kept = len(cache)
        assert 0 < kept < len(urls)
        assert cache.get(urls[-1]) is not None  # the oldest rows went first
        assert cache.get(urls[0]) is None
