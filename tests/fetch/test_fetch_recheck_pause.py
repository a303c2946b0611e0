"""The re-check pause is no idle time: each failure waits for itself, settled work goes on.

The policy is unchanged (every failure worth it is fetched once more, no sooner than
``recheck_delay_s`` after it failed); these tests pin what the run does meanwhile.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from provenance.errors import ArchiveError
from provenance.fetch import FetchCache, FetchPhase, FetchProgress, Reason
from provenance.fetch.models import FetchResult, HttpExchange
from tests.fetch.conftest import PUBLIC_IP, FakeClock, Run, SleepRecorder

ALIVE = "https://example.com/alive"
GONE = "https://example.com/gone"
PAGE = "<html><title>Fine</title><p>" + "text " * 100 + "</p></html>"
# How often a pause yields to the event loop while it watches for something: the run's
# other work needs a handful of turns; never reaching it means it waits for the pause.
TURNS = 200


def _watched(
    clock: FakeClock, rechecked: str
) -> tuple[list[str], Callable[[FetchProgress], None], Callable[[float], Awaitable[None]]]:
    """The run's progress events, a hook recording them, and an injected sleep: a pause
    over 2 s (slow.example's, which holds the first pass open) lets the event loop turn
    until ``rechecked`` has been re-checked, so the test sees the re-check inside the pass."""
    events: list[str] = []

    def on_progress(event: FetchProgress) -> None:
        events.append(f"{event.phase} {event.url}")

    async def wait(seconds: float) -> None:
        if seconds > 2:
            for _ in range(TURNS):
                if f"{FetchPhase.RECHECK} {rechecked}" in events:
                    break
                await asyncio.sleep(0)
        clock.advance(seconds)
        await asyncio.sleep(0)

    return events, on_progress, wait


def test_a_failure_waits_the_delay_after_its_own_failure_not_after_the_pass(
    run: Run, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=GONE, status_code=404, is_reusable=True)
    httpx_mock.add_response(url=ALIVE, html=PAGE)
    asked: list[float] = []

    async def pause(seconds: float) -> None:
        asked.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    fetch_run = run([GONE, ALIVE], recheck=True, recheck_delay_s=1.5, sleep=pause)
    gone = fetch_run.results[GONE]
    assert (gone.reason, gone.attempts) == (Reason.NOT_FOUND, 2)
    assert fetch_run.results[ALIVE].reason is Reason.OK
    assert asked == [1.5]  # one pause, the full delay: the policy the user configured
    assert fetch_run.requests == 3


def test_settled_results_are_cached_while_the_run_waits_for_its_rechecks(
    run: Run, httpx_mock: HTTPXMock, clock: FakeClock, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=GONE, status_code=404, is_reusable=True)
    httpx_mock.add_response(url=ALIVE, html=PAGE)
    seen_during_pause: list[bool] = []

    async def pause(seconds: float) -> None:
        with FetchCache(tmp_path / "cache") as look:
            for _ in range(TURNS):
                if look.get(ALIVE) is not None:
                    break
                await asyncio.sleep(0)
            seen_during_pause.append(look.get(ALIVE) is not None)
            assert look.get(GONE) is None  # not final yet: its re-check is still to come
        clock.advance(seconds)

    with FetchCache(tmp_path / "cache") as cache:
        run([GONE, ALIVE], recheck=True, recheck_delay_s=1.0, sleep=pause, cache=cache)
        assert seen_during_pause == [True]
        stored = cache.get(GONE)
        assert stored is not None
        assert (stored.result.reason, stored.result.attempts) == (Reason.NOT_FOUND, 2)


def test_the_archive_hook_is_told_the_pass_is_over_before_the_pause_ends(
    run: Run, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    httpx_mock.add_response(url=GONE, status_code=404, is_reusable=True)
    httpx_mock.add_response(url=ALIVE, html=PAGE)
    events: list[str] = []

    async def pause(seconds: float) -> None:
        for _ in range(TURNS):
            if "pass over" in events:
                break
            await asyncio.sleep(0)
        events.append("pause over")
        clock.advance(seconds)

    def on_progress(event: FetchProgress) -> None:
        events.append(f"{event.phase} {event.url}")

    run(
        [GONE, ALIVE],
        recheck=True,
        sleep=pause,
        on_progress=on_progress,
        on_pass_end=lambda: events.append("pass over"),
    )
    assert events.index("pass over") < events.index("pause over")
    assert events[-1] == f"{FetchPhase.RECHECK} {GONE}"
    assert events.count("pass over") == 1


def test_an_archive_error_on_an_early_recheck_stops_the_run(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    httpx_mock.add_response(url=GONE, status_code=500, is_reusable=True)
    httpx_mock.add_response(url=ALIVE, html=PAGE)

    def archive(result: FetchResult, exchanges: Sequence[HttpExchange]) -> FetchResult:
        if result.attempts > 1:
            raise ArchiveError("disk full")
        return result

    with pytest.raises(ArchiveError, match="disk full"):
        run([GONE, ALIVE], recheck=True, max_retries=0, on_fetched=archive)


def test_what_failed_last_time_is_fetched_first(
    run: Run, httpx_mock: HTTPXMock, clock: FakeClock, tmp_path: Path
) -> None:
    # Its re-check delay then runs out while the rest of the first pass goes on.
    fresh = "https://example.com/new"
    httpx_mock.add_response(url=GONE, status_code=404, is_reusable=True)
    httpx_mock.add_response(url=ALIVE, html=PAGE, is_reusable=True)
    httpx_mock.add_response(url=fresh, html=PAGE)
    with FetchCache(tmp_path / "cache") as cache:
        run([ALIVE, GONE], cache=cache)
        clock.advance(48 * 3600)  # the alive entry is stale too: both are fetched again
        before = len(httpx_mock.get_requests())
        second = run([fresh, ALIVE, GONE], cache=cache)
    order = [str(request.url) for request in httpx_mock.get_requests()[before:]]
    assert order == [GONE, fresh, ALIVE]
    assert second.results[GONE].reason is Reason.NOT_FOUND
    assert list(second.results) == [fresh, ALIVE, GONE]  # the report's order is the given one


def test_a_network_failure_is_rechecked_during_the_pass_once_a_host_has_answered(
    run: Run, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    # example.com answers (404), so the run is not offline: other.example's refusal
    # gets its second look a second after it, while slow.example (paused by a 503 with
    # Retry-After: 5) still holds the first pass open.
    refused, slow = "https://other.example/page", "https://slow.example/page"
    httpx_mock.add_response(url=GONE, status_code=404, is_reusable=True)
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=refused, is_reusable=True)
    httpx_mock.add_response(url=slow, status_code=503, headers={"Retry-After": "5"})
    httpx_mock.add_response(url=slow, html=PAGE)
    events, on_progress, wait = _watched(clock, refused)

    fetch_run = run(
        [GONE, refused, slow],
        recheck=True,
        recheck_delay_s=1.0,
        max_retries=1,
        sleep=wait,
        on_progress=on_progress,
        on_pass_end=lambda: events.append("pass over"),
    )
    assert events.index(f"{FetchPhase.RECHECK} {refused}") < events.index("pass over")
    assert events.index(f"{FetchPhase.FETCH} {slow}") < events.index("pass over")
    result = fetch_run.results[refused]
    assert (result.reason, result.attempts) == (Reason.CONNECTION_ERROR, 3)
    assert fetch_run.results[slow].reason is Reason.OK
    assert not fetch_run.offline


def test_failures_before_the_first_answer_are_rechecked_once_a_host_answers(
    run: Run, httpx_mock: HTTPXMock, clock: FakeClock
) -> None:
    # other.example's name does not resolve before any host has answered (the run
    # might be offline): held until example.com's page shows the network is up, then
    # re-checked in due time, with a fresh lookup, while slow.example (paused by a 503
    # with Retry-After: 5) holds the first pass open.
    missing, slow = "https://other.example/page", "https://slow.example/page"
    lookups: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        if host == "other.example" and lookups.count(host) == 1:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return [PUBLIC_IP]

    httpx_mock.add_response(url=missing, html=PAGE)
    httpx_mock.add_response(url=ALIVE, html=PAGE)
    httpx_mock.add_response(url=slow, status_code=503, headers={"Retry-After": "5"})
    httpx_mock.add_response(url=slow, html=PAGE)
    events, on_progress, wait = _watched(clock, missing)

    fetch_run = run(
        [missing, ALIVE, slow],
        recheck=True,
        recheck_delay_s=1.0,
        max_retries=1,
        sleep=wait,
        resolver=resolver,
        on_progress=on_progress,
        on_pass_end=lambda: events.append("pass over"),
    )
    assert fetch_run.results[missing].reason is Reason.OK
    assert events[:2] == [f"{FetchPhase.FETCH} {missing}", f"{FetchPhase.FETCH} {ALIVE}"]
    assert events.index(f"{FetchPhase.RECHECK} {missing}") < events.index("pass over")
    assert lookups.count("other.example") == 2
