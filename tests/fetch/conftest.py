"""Fixtures for fetch tests: a fake clock, a recording sleep, a fixed rng, a fake resolver."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from provenance.fetch import Fetcher, FetchRun, FetchSettings

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PUBLIC_IP = "93.184.216.34"


@dataclass
class FakeClock:
    """A clock that only moves when told to."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class SleepRecorder:
    """Records every wait the fetcher asks for and returns at once, moving the fake clock.

    Moving the clock keeps pacing arithmetic realistic (a host paused until t+7 is free
    after a 7 s wait) while no test ever waits for real.
    """

    clock: FakeClock | None = None
    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(round(seconds, 6))
        if self.clock is not None:
            self.clock.advance(seconds)
        await asyncio.sleep(0)


class FixedRandom(random.Random):
    """``random()`` always returns the same value, so jitter is predictable."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


@dataclass
class FakeResolver:
    """Resolves every name to a public address unless told otherwise; counts lookups."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    failures: dict[str, OSError] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host in self.failures:
            raise self.failures[host]
        return self.answers.get(host, [PUBLIC_IP])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> SleepRecorder:
    return SleepRecorder(clock)


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver()


Run = Callable[..., FetchRun]


@pytest.fixture
def run(clock: FakeClock, sleep: SleepRecorder, resolver: FakeResolver) -> Run:
    """``run(urls, **settings_or_keywords)``: fetch with every side effect faked.

    Keyword arguments naming a ``FetchSettings`` field go to the settings (re-check off
    and no jitter unless given); the rest go to ``Fetcher``.
    """

    def _run(urls: Iterable[str], **options: Any) -> FetchRun:
        setting_names = set(FetchSettings.model_fields)
        settings_kw = {"recheck": False, "backoff_jitter": 0.0, "trust_env": False}
        fetcher_kw: dict[str, Any] = {"clock": clock, "sleep": sleep, "resolver": resolver}
        for name, value in options.items():
            (settings_kw if name in setting_names else fetcher_kw)[name] = value
        fetcher = Fetcher(FetchSettings(**settings_kw), **fetcher_kw)
        return asyncio.run(fetcher.fetch_all(urls))

    return _run
