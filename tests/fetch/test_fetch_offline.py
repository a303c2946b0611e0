"""A network that is down is not link rot: the run says offline and declares nothing dead."""

from __future__ import annotations

import socket

import httpx
import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch import FetchCache, Reason, Verdict
from tests.fetch.conftest import FakeResolver, Run

URLS = ["https://a.example/1", "https://a.example/2", "https://b.example/1"]


def _no_dns(resolver: FakeResolver, *hosts: str) -> None:
    for host in hosts:
        resolver.failures[host] = socket.gaierror(
            socket.EAI_AGAIN, "Temporary failure in name resolution"
        )


def test_every_host_failing_dns_means_offline(run: Run, resolver: FakeResolver) -> None:
    _no_dns(resolver, "a.example", "b.example")
    fetch_run = run(URLS, recheck=True)
    assert fetch_run.offline
    for result in fetch_run.results.values():
        assert result.reason is Reason.OFFLINE
        assert result.verdict is Verdict.UNVERIFIABLE
        assert result.evidence == "every host in the run failed at the network level"
        assert "Temporary failure" in (result.error or "")
    assert fetch_run.requests == 0


def test_every_host_refusing_connections_means_offline(
    run: Run, httpx_mock: HTTPXMock, sleep: object
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("Network is unreachable"), is_reusable=True)
    fetch_run = run(URLS, recheck=True, max_retries=1)
    assert fetch_run.offline
    assert {result.reason for result in fetch_run.results.values()} == {Reason.OFFLINE}
    # No re-check pass when offline: 3 URLs x 2 attempts, nothing more.
    assert fetch_run.requests == 6


def test_one_dead_domain_among_live_ones_is_dead_not_offline(
    run: Run, httpx_mock: HTTPXMock, resolver: FakeResolver
) -> None:
    _no_dns(resolver, "b.example")
    httpx_mock.add_response(url="https://a.example/1", text="fine " * 50)
    httpx_mock.add_response(url="https://a.example/2", text="fine " * 50)
    fetch_run = run(URLS)
    assert not fetch_run.offline
    assert fetch_run.results["https://b.example/1"].reason is Reason.DNS_ERROR
    assert fetch_run.results["https://b.example/1"].verdict is Verdict.DEAD


def test_a_single_failing_host_without_probe_is_reported_as_it_is(
    run: Run, resolver: FakeResolver
) -> None:
    _no_dns(resolver, "a.example")
    fetch_run = run(URLS[:2])
    assert not fetch_run.offline
    assert {r.reason for r in fetch_run.results.values()} == {Reason.DNS_ERROR}


@pytest.mark.parametrize(("network_up", "offline"), [(False, True), (True, False)])
def test_probe_decides_for_a_single_host(
    run: Run, resolver: FakeResolver, network_up: bool, offline: bool
) -> None:
    asked: list[bool] = []

    async def probe() -> bool:
        asked.append(True)
        return network_up

    _no_dns(resolver, "a.example")
    fetch_run = run(URLS[:1], probe=probe)
    assert asked == [True]
    assert fetch_run.offline is offline
    expected = Reason.OFFLINE if offline else Reason.DNS_ERROR
    assert fetch_run.results[URLS[0]].reason is expected


def test_probe_overrides_the_two_host_rule(run: Run, resolver: FakeResolver) -> None:
    async def network_is_up() -> bool:
        return True

    _no_dns(resolver, "a.example", "b.example")
    fetch_run = run(URLS, probe=network_is_up)
    assert not fetch_run.offline
    assert {r.reason for r in fetch_run.results.values()} == {Reason.DNS_ERROR}


def test_probe_url_setting_is_fetched_as_the_canary(
    run: Run, httpx_mock: HTTPXMock, resolver: FakeResolver
) -> None:
    _no_dns(resolver, "a.example")
    httpx_mock.add_exception(httpx.ConnectError("unreachable"), url="https://canary.example/")
    fetch_run = run(URLS[:1], offline_probe_url="https://canary.example/")
    assert fetch_run.offline
    assert fetch_run.requests == 1


def test_policy_refusals_do_not_count_as_hosts(run: Run, resolver: FakeResolver) -> None:
    _no_dns(resolver, "a.example")
    fetch_run = run(["https://a.example/1", "http://127.0.0.1/", "ftp://x.example/"])
    assert not fetch_run.offline


def test_offline_results_are_not_cached(run: Run, resolver: FakeResolver, tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    _no_dns(resolver, "a.example", "b.example")
    with FetchCache(tmp_path / "c") as cache:
        assert run(URLS, cache=cache).offline
        assert len(cache) == 0
