"""The re-check pause is no idle time: each failure waits for itself, settled work goes on.

The policy is unchanged (every failure worth it is fetched once more, no sooner than
``recheck_delay_s`` after it failed); these tests pin what the run does meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from pytest_httpx import HTTPXMock

from provenance.errors import ArchiveError
from provenance.fetch import FetchCache, FetchPhase, FetchProgress, Reason
from provenance.fetch.models import FetchResult, HttpExchange
from tests.fetch.conftest import FakeClock, Run, SleepRecorder

ALIVE = "https://example.com/alive"
GONE = "https://example.com/gone"
PAGE = "<html><title>Fine</title><p>" + "text " * 100 + "</p></html>"
# How often a pause yields to the event loop while it watches for something: the run's
# other work needs a handful of turns; never reaching it means it waits for the pause.
TURNS = 200


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
