"""Pacing primitives: host spacing, backoff arithmetic, Retry-After parsing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch.pacing import HostGates, backoff_delay, retry_after_seconds
from tests.fetch.conftest import T0, FakeClock, FixedRandom, Run, SleepRecorder


def test_host_interval_spaces_request_starts_per_host(
    run: Run, httpx_mock: HTTPXMock, sleep: SleepRecorder
) -> None:
    for n in range(3):
        httpx_mock.add_response(url=f"https://one.example/{n}", text="page " * 40)
    httpx_mock.add_response(url="https://two.example/", text="page " * 40)
    urls = [f"https://one.example/{n}" for n in range(3)] + ["https://two.example/"]
    run(urls, host_interval_ms=250)
    # The first request to each host starts at once; one.example's next two wait 250 ms
    # after the previous start (the sleep recorder moves the fake clock).
    assert sleep.calls == [0.25, 0.25]


def test_gate_reserves_start_times_for_concurrent_requests() -> None:
    clock = FakeClock()
    waits: list[float] = []

    async def record(seconds: float) -> None:  # does not move the clock: all start "now"
        waits.append(seconds)

    gates = HostGates(
        concurrency=3,
        interval=timedelta(milliseconds=100),
        slowed_interval=timedelta(seconds=1),
        clock=clock,
        sleep=record,
    )

    async def one() -> None:
        async with gates.gate("h"):
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(one(), one(), one())

    asyncio.run(main())
    assert waits == [0.1, 0.2]


def test_gate_limits_concurrency_per_host() -> None:
    clock = FakeClock()
    in_flight = {"h": 0, "other": 0}
    peak = {"h": 0, "other": 0}

    async def no_wait(seconds: float) -> None:
        return None

    gates = HostGates(
        concurrency=2,
        interval=timedelta(0),
        slowed_interval=timedelta(0),
        clock=clock,
        sleep=no_wait,
    )

    async def one(host: str) -> None:
        async with gates.gate(host):
            in_flight[host] += 1
            peak[host] = max(peak[host], in_flight[host])
            await asyncio.sleep(0.001)
            in_flight[host] -= 1

    async def main() -> None:
        await asyncio.gather(*(one("h") for _ in range(6)), *(one("other") for _ in range(6)))

    asyncio.run(main())
    assert peak == {"h": 2, "other": 2}


@pytest.mark.parametrize(
    ("attempt", "jitter", "drawn", "expected"),
    [(1, 0.0, 0.9, 0.5), (2, 0.0, 0.9, 1.0), (3, 0.5, 0.0, 2.0), (3, 0.5, 1.0, 1.0), (9, 0, 0, 30)],
)
def test_backoff_doubles_caps_and_jitters(
    attempt: int, jitter: float, drawn: float, expected: float
) -> None:
    delay = backoff_delay(attempt, base=0.5, cap=30.0, jitter=jitter, rng=FixedRandom(drawn))
    assert delay == pytest.approx(expected)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Wed, 01 May 2024 12:01:00 GMT", 60.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("-3", None),
    ],
)
def test_retry_after_parses_seconds_and_dates(header: str | None, expected: float | None) -> None:
    assert retry_after_seconds(header, now=T0) == expected


def test_a_slowed_host_recovers_as_it_answers_again() -> None:
    clock = FakeClock()
    sleeper = SleepRecorder(clock)
    gates = HostGates(
        concurrency=1,
        interval=timedelta(0),
        slowed_interval=timedelta(seconds=1),
        clock=clock,
        sleep=sleeper,
    )

    async def request(host: str) -> None:
        async with gates.gate(host):
            pass
        gates.recover(host)

    async def main() -> None:
        gates.slow_down("h", 2.0)
        for _ in range(9):
            await request("h")
        await request("other")

    asyncio.run(main())
    # Paused 2 s, then spaced 1 s, 0.5 s, 0.25 s ... until the spacing is gone; the last
    # requests to "h" and the one to "other" do not wait at all.
    assert sleeper.calls == [2.0, 1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]
