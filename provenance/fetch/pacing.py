"""Pacing: per-host gates, exponential backoff with jitter, and ``Retry-After``.

Time comes from the injected clock and waiting goes through the injected ``sleep``, so
tests see every wait the fetcher asks for and never wait for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "HostGates", "Sleep", "Slots", "backoff_delay", "retry_after_seconds"]

Clock = Callable[[], datetime]
"""Returns the current time as an aware UTC ``datetime``."""

Sleep = Callable[[float], Awaitable[None]]
"""Waits the given number of seconds (``asyncio.sleep`` unless a test injects another)."""


def backoff_delay(
    attempt: int, *, base: float, cap: float, jitter: float, rng: random.Random
) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based).

    ``min(cap, base * 2**(attempt-1))``, shortened by a random fraction of up to
    ``jitter`` so that many tasks backing off together do not retry in lock-step.
    """
    delay: float = min(cap, base * 2.0 ** (attempt - 1))
    return delay * (1.0 - jitter * rng.random())


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # "²" and "١" are digits to str.isdigit
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are GMT; parsedate_to_datetime leaves "-0000" naive.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class Slots:
    """A counting semaphore, first come first served, whose free slot is taken without a
    coroutine (``try_take``): ``asyncio.Semaphore.acquire`` is one even when a slot is free,
    and the fetcher takes two per request (its host's and the run's).

    ``give`` hands a slot straight to the oldest waiter; a waiter cancelled once it was
    handed one passes it on.
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        """Take a slot if one is free and nobody waits for one (True), else nothing."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def take(self) -> None:
        """Take a slot, waiting in turn for one."""
        if self.try_take():
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed a slot as the wait was cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def give(self) -> None:
        """Give a slot back: to the oldest waiter, or to the free ones."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class _HostGate:
    """One host's turn-taking: a concurrency limit and the earliest time of its next start.

    ``async with gate`` is a turn (see ``HostGates.gate``), and so is ``try_enter`` (a
    turn to be had at once, without a coroutine) or ``enter``, then ``leave``. A class of
    its own rather than an ``asynccontextmanager``, which builds a generator and a wrapper
    per request.
    """

    __slots__ = ("clock", "interval", "next_start", "sleep", "slots")

    def __init__(self, concurrency: int, interval: timedelta, clock: Clock, sleep: Sleep) -> None:
        self.slots = Slots(concurrency)
        self.interval = interval
        self.next_start: datetime | None = None
        self.clock = clock
        self.sleep = sleep

    def try_enter(self) -> bool:
        """Start a turn now if a slot is free and no spacing applies (True), else nothing."""
        return self.next_start is None and not self.interval and self.slots.try_take()

    async def enter(self) -> None:
        """Start a turn: a slot, then the host's spacing."""
        await self.slots.take()
        if self.next_start is None and not self.interval:
            return  # no spacing asked for and no pause pending: nothing to compute
        try:
            now = self.clock()
            start = now if self.next_start is None else max(now, self.next_start)
            # Reserve the start time before waiting, so concurrent requests queue up
            # behind each other instead of all waking at the same instant.
            self.next_start = start + self.interval
            wait = (start - now).total_seconds()
            if wait > 0:
                await self.sleep(wait)
        except BaseException:
            self.slots.give()
            raise

    def leave(self) -> None:
        """End a turn."""
        self.slots.give()

    async def __aenter__(self) -> None:
        await self.enter()

    async def __aexit__(self, *exc_info: object) -> None:
        self.leave()


class HostGates:
    """Per-host concurrency, minimum spacing between request starts, and backoff.

    A host that asks us to slow down (429, or a ``Retry-After``) is paused and then
    spaced at least ``slowed_interval`` apart; no other host is affected. Each answer
    that is not a 429 halves that spacing again (down to the configured interval), so a
    host that recovers is not crawled at one request a second for the rest of the run:
    one 429 costs about two seconds of that host's time, not the whole run.
    """

    # Below this the halved spacing snaps back to the configured one.
    _RECOVERED = timedelta(milliseconds=10)

    def __init__(
        self,
        *,
        concurrency: int,
        interval: timedelta,
        slowed_interval: timedelta,
        clock: Clock,
        sleep: Sleep,
    ) -> None:
        self._concurrency = concurrency
        self._interval = interval
        self._slowed_interval = slowed_interval
        self._clock = clock
        self._sleep = sleep
        self._gates: dict[str, _HostGate] = {}

    def gate(self, host: str) -> _HostGate:
        """``host``'s gate: ``async with`` it (or ``try_enter() or await enter()``, then
        ``leave()``) to hold one of its request slots, started no earlier than its
        spacing allows."""
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = _HostGate(
                self._concurrency, self._interval, self._clock, self._sleep
            )
        return gate

    def recover(self, host: str) -> None:
        """``host`` answered without asking us to slow down: halve its extra spacing."""
        gate = self._gates.get(host)
        if gate is None or gate.interval <= self._interval:
            return
        halved = gate.interval / 2
        gate.interval = halved if halved > max(self._RECOVERED, self._interval) else self._interval

    def slow_down(self, host: str, pause_s: float) -> None:
        """Pause ``host`` for ``pause_s`` seconds and space its later requests out."""
        gate = self.gate(host)
        resume = self._clock() + timedelta(seconds=pause_s)
        if gate.next_start is None or gate.next_start < resume:
            gate.next_start = resume
        gate.interval = max(gate.interval, self._slowed_interval)
