"""The event loop every fetch runs on: uvloop's where it is installed, else asyncio's.

uvloop (libuv under a Cython loop) does the same work as asyncio's loop in less CPU,
and a big ``provenance check`` fetches at the rate its own CPU allows: on the fetch
benchmark its fetching pass took about 7 % fewer instructions per URL on uvloop (the
loop is a small part of the work; a bare aiohttp loop saves more). The fetcher's
network backend (``provenance.fetch.netio``) runs on either loop's transports, with the
same errors, so a run's verdicts do not depend on the loop.

``PROVENANCE_EVENT_LOOP`` chooses: ``auto`` (the default: uvloop when it can be
imported), ``uvloop`` (uvloop or an error saying it is missing) or ``asyncio``
(asyncio's own loop, always there). Any other value is a ``ConfigError``.
"""

from __future__ import annotations

import asyncio
import enum
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from provenance.errors import ConfigError

__all__ = ["ENVIRONMENT_VARIABLE", "LoopKind", "loop_factory", "run_loop"]

ENVIRONMENT_VARIABLE = "PROVENANCE_EVENT_LOOP"

T = TypeVar("T")

# asyncio's own loop for this platform, made directly: ``asyncio.new_event_loop`` would
# ask the installed event loop policy, which may be uvloop's.
if sys.platform == "win32":
    _asyncio_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.ProactorEventLoop
else:
    _asyncio_loop = asyncio.SelectorEventLoop


class LoopKind(enum.StrEnum):
    """Which event loop a fetch runs on (the values of ``PROVENANCE_EVENT_LOOP``)."""

    AUTO = "auto"
    UVLOOP = "uvloop"
    ASYNCIO = "asyncio"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> LoopKind:
        """``PROVENANCE_EVENT_LOOP`` as a kind (unset or empty: auto); ConfigError if unknown."""
        env = os.environ if environ is None else environ
        value = env.get(ENVIRONMENT_VARIABLE, "").strip().lower()
        if not value:
            return cls.AUTO
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(kind.value for kind in cls)
            raise ConfigError(
                f"{ENVIRONMENT_VARIABLE}={env[ENVIRONMENT_VARIABLE]!r} is not one of {choices}"
            ) from None


def loop_factory(
    kind: LoopKind | None = None, environ: Mapping[str, str] | None = None
) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the fetching loop: ``kind``, or the environment's choice when None.

    Raises ConfigError when uvloop is asked for by name and cannot be imported.
    """
    if kind is None:
        kind = LoopKind.from_environment(environ)
    if kind is LoopKind.ASYNCIO:
        return _asyncio_loop
    try:
        import uvloop
    except ImportError:
        if kind is LoopKind.UVLOOP:
            raise ConfigError(
                f"{ENVIRONMENT_VARIABLE}=uvloop, but uvloop is not installed"
                " (pip install uvloop, or set it to asyncio or auto)"
            ) from None
        return _asyncio_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_loop(
    main: Callable[[], Awaitable[T]],
    *,
    kind: LoopKind | None = None,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Run ``main()`` to completion on a new loop of ``kind`` (see ``loop_factory``).

    Like ``asyncio.run``, but the result comes back through a holder, not as the main
    task's result: on Python 3.11 the runner's SIGINT handler is a partial holding the
    main task, and restoring the default handler formats ``repr(handler)`` into a
    ValueError inside ``signal.signal`` (twice), which with a finished task means the
    full repr of its result (every FetchResult of a run: 0.1-0.4 s of CPU at 4,700 URLs
    for a string thrown away).
    """
    factory = loop_factory(kind, environ)
    finished: list[T] = []

    async def hold() -> None:
        finished.append(await main())

    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(hold())
    return finished[0]
