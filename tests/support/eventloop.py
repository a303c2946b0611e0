"""Run the tests' own ``asyncio.run`` calls on the loop the fetcher would choose.

Most fetch tests drive ``Fetcher.fetch_all`` with ``asyncio.run``; the command goes
through ``provenance.fetch.eventloop.run_loop``. While the suite runs, an event loop
policy makes every new loop (``asyncio.run``'s, the loopback servers') the kind that
``PROVENANCE_EVENT_LOOP`` selects, so the whole suite run once with ``=uvloop`` and
once with ``=asyncio`` proves both loops; the default (``auto``) tests what ships.
"""

from __future__ import annotations

import asyncio
import warnings

from provenance.fetch.eventloop import loop_factory

__all__ = ["install_loop_policy", "restore_loop_policy"]


def install_loop_policy() -> None:
    """Make every new event loop the environment's choice."""
    factory = loop_factory()
    with warnings.catch_warnings():  # policies are deprecated from Python 3.14 on
        warnings.simplefilter("ignore", DeprecationWarning)

        class ChosenLoopPolicy(asyncio.DefaultEventLoopPolicy):
            def new_event_loop(self) -> asyncio.AbstractEventLoop:
                return factory()

        asyncio.set_event_loop_policy(ChosenLoopPolicy())


def restore_loop_policy() -> None:
    """Back to asyncio's default policy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.set_event_loop_policy(None)
