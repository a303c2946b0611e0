"""``Fetcher.fetch_batches``: URLs known a batch at a time are fetched as they come.

Requests go to an ``httpx.MockTransport``; addresses are vetted by a fake resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from provenance.fetch import Fetcher, FetchResult, FetchSettings


async def _public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def test_batches_are_fetched_as_they_come_each_url_once_in_the_order_given() -> None:
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(200, text="ok", headers={"content-type": "text/plain"})

    seen_when_taken: list[int] = []

    def batches() -> Iterator[list[str]]:
        for n in range(4):
            seen_when_taken.append(len(asked))
            # Each batch repeats one URL of the one before (as documents cite alike).
            yield [f"https://h{n % 2}.example/{n}/{k}" for k in range(3)] + (
                [f"https://H{(n - 1) % 2}.example/{n - 1}/0#cited-again"] if n else []
            )

    fetcher = Fetcher(FetchSettings(recheck=False), transport=httpx.MockTransport(answer))
    fetcher.resolver = _public
    run = asyncio.run(fetcher.fetch_batches(batches()))
    assert list(run.results) == [
        f"https://h{n % 2}.example/{n}/{k}" for n in range(4) for k in range(3)
    ]
    assert sorted(asked) == sorted(run.results)  # every URL once, the repeats not again
    assert seen_when_taken[0] == 0
    assert seen_when_taken[-1] > 0  # the first batches' requests went out before the last was taken
    assert all(r.verdict.is_alive for r in run.results.values())


def test_an_error_taking_a_batch_ends_the_run_as_it_is() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="ok")

    def batches() -> Iterator[list[str]]:
        yield ["https://h.example/1"]
        raise LookupError("the second document could not be read")

    fetcher = Fetcher(FetchSettings(recheck=False), transport=httpx.MockTransport(answer))
    fetcher.resolver = _public
    with pytest.raises(LookupError, match="second document"):
        asyncio.run(fetcher.fetch_batches(batches()))


def test_settled_results_are_told_in_chunks_once_each() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        status = 404 if request.url.path.endswith("/7") else 200
        return httpx.Response(status, text="page", headers={"content-type": "text/plain"})

    told: list[list[tuple[str, FetchResult]]] = []

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    fetcher = Fetcher(
        FetchSettings(recheck_delay_s=0),
        transport=httpx.MockTransport(answer),
        on_settled=told.append,
        sleep=no_wait,
    )
    fetcher.resolver = _public
    urls = [f"https://h{n % 3}.example/{n}" for n in range(150)]
    run = asyncio.run(fetcher.fetch_all(urls))
    flat = [pair for chunk in told for pair in chunk]
    assert sorted(url for url, _ in flat) == sorted(run.results)
    assert dict(flat) == run.results
    assert max(len(chunk) for chunk in told) <= 64 and len(told) >= 3
    assert run.results["https://h1.example/7"].reason.value == "not-found"
