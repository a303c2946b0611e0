"""The fetcher's CPU per URL *outside* its HTTP path, in one process, without sockets.

::

    python -m bench.fetch.outside --urls 5000 --runs 5 --src /tmp/before --src /tmp/after
    valgrind --tool=callgrind python -m bench.fetch.outside --child --urls 2000 ...

The first pass of ``Fetcher.fetch_all`` (as ``check`` configures it: ``--allow-private``,
concurrency 64, 16 per host, no interval, no cache, re-check pass off; the archive hook
receives every result with its exchanges) runs over the *clean* URLs of the fetch
benchmark, against a transport that answers at once from the bench server's own
responses (:class:`bench.fetch.server.ServerState`, parsed once), so nothing waits
and nothing is sent. Beside it, in the same process, the *floor*: the same requests
built and sent by the fetcher's ``DirectSender`` to the same transport, each body taken
and each response closed, redirects followed from a table (what ``httpx-direct`` does
per request, minus the sockets). The fetcher's figure minus the floor is what the
fetcher's own bookkeeping costs per URL: URL memos, the address policy, pacing,
timeouts, reading and classifying the body, the records for the archive and the result.

Figures: ``time.process_time()`` per URL, the cheapest of ``--passes`` in each fresh
process (the first pass of each process warms up nothing that ``check`` would not have
warm: the memos of ``provenance.fetch.urls`` are cleared before every pass), median over
``--runs`` processes, packages alternating. Deterministic enough for callgrind
(``--child``), where instruction counts, unlike CPU time, do not move with the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["main"]

REPO_ROOT = Path(__file__).resolve().parents[2]
_BASES = [f"http://127.0.0.{i + 1}:8000" for i in range(4)]


class _Stream(httpx.AsyncByteStream):
    """A body already in memory, handed over whole (as the fetcher's pool does)."""

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body

    def take_whole(self) -> bytes | None:
        body, self._body = self._body, None
        return body

    async def __aiter__(self) -> Any:
        if self._body:
            yield self._body
        self._body = None

    async def aclose(self) -> None:
        self._body = None


class _Peer:
    """What ``network_stream.get_extra_info`` answers (the archive's remote address)."""

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 8000) if name == "server_addr" else None


class _Answers(httpx.AsyncBaseTransport):
    """Answers every GET at once with the bench server's response for its URL."""

    def __init__(self) -> None:
        from bench.fetch.server import ServerState

        self._state = ServerState()
        self._parsed: dict[str, tuple[int, bytes, list[tuple[bytes, bytes]], bytes]] = {}
        self._peer = _Peer()

    def answer(self, url: str) -> tuple[int, bytes, list[tuple[bytes, bytes]], bytes]:
        parsed = self._parsed.get(url)
        if parsed is None:
            scheme_host, _, rest = url.partition("//")[2].partition("/")
            base = f"http://{scheme_host}"
            head, body = self._state.respond("/" + rest, base)
            lines = head.decode("latin-1").split("\r\n")
            status_line = lines[0].split(" ", 2)
            headers = [
                (name.encode("latin-1"), value.strip().encode("latin-1"))
                for name, _, value in (line.partition(":") for line in lines[1:] if line)
            ]
            parsed = (int(status_line[1]), status_line[2].encode(), headers, body)
            self._parsed[url] = parsed
        return parsed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        status, reason, headers, body = self.answer(str(request.url))
        return httpx.Response(
            status_code=status,
            headers=headers,
            stream=_Stream(body),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": reason,
                "network_stream": self._peer,
            },
        )


def _urls(n_urls: int) -> list[dict[str, Any]]:
    from bench.fetch.run import clean_manifest
    from bench.fetch.server import build_manifest

    urls: list[dict[str, Any]] = clean_manifest(build_manifest(_BASES, n_urls))["urls"]
    return urls


def _clear_memos() -> None:
    from provenance.fetch import urls

    for name in ("normalize_url", "host_of"):
        memo = getattr(urls, name, None)
        if hasattr(memo, "cache_clear"):
            memo.cache_clear()


def _answers(entries: list[dict[str, Any]]) -> tuple[_Answers, dict[str, str]]:
    """The transport with every answer made and parsed (not timed), and where each
    redirect leads."""
    transport = _Answers()
    chains: dict[str, str] = {}
    for entry in entries:
        url = entry["url"]
        for _ in range(11):
            _, _, headers, _ = transport.answer(url)
            location = dict(headers).get(b"Location")
            if location is None:
                break
            chains[url] = url = location.decode()
    return transport, chains


def _fetcher_pass(
    entries: list[dict[str, Any]], transport: _Answers, concurrency: int, per_host: int
) -> float:
    from provenance.fetch import Fetcher, FetchSettings

    settings = FetchSettings(
        allow_private=True,
        concurrency=concurrency,
        host_concurrency=per_host,
        host_interval_ms=0,
        recheck=False,
    )
    urls = [entry["url"] for entry in entries]
    kept: list[int] = []

    def collect(result: Any, exchanges: Any) -> Any:
        kept.append(len(exchanges))
        return result

    holder: list[Any] = []

    async def main() -> None:
        # Returns nothing: on 3.11, asyncio.run's SIGINT handler holds the main task, and
        # restoring the handler formats its repr, result included (see evidence.py).
        fetcher = Fetcher(settings, transport=transport, on_fetched=collect)
        holder.append(await fetcher.fetch_all(urls))

    _clear_memos()
    cpu = time.process_time()
    asyncio.run(main())
    cpu = time.process_time() - cpu
    run = holder[0]
    wrong = [
        entry["url"]
        for entry in entries
        if (lambda r: r is None or (r.verdict, r.reason) != (entry["verdict"], entry["reason"]))(
            run.results.get(entry["url"])
        )
    ]
    if wrong:
        raise SystemExit(f"{len(wrong)} wrong verdicts, e.g. {wrong[:3]}")
    return cpu


def _floor_pass(
    entries: list[dict[str, Any]], transport: _Answers, chains: dict[str, str], concurrency: int
) -> float:
    from provenance.fetch.client import DirectSender, make_client
    from provenance.fetch.settings import FetchSettings

    settings = FetchSettings(allow_private=True, concurrency=concurrency, recheck=False)
    queue = [entry["url"] for entry in entries]

    async def main() -> None:
        async with make_client(settings, transport) as client:
            sender = DirectSender(client)

            async def worker() -> None:
                while queue:
                    url: str | None = queue.pop()
                    while url is not None:
                        response = await sender.send(sender.build(url, {}))
                        take = getattr(response.stream, "take_whole", None)
                        if take is not None:
                            take()
                        response.is_stream_consumed = True
                        await response.aclose()
                        url = chains.get(url)

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    cpu = time.process_time()
    asyncio.run(main())
    return time.process_time() - cpu


def _child(args: argparse.Namespace) -> int:
    entries = _urls(args.urls)
    transport, chains = _answers(entries)
    fetcher: list[float] = []
    floor: list[float] = []
    for _ in range(args.passes):
        if not args.no_floor:
            floor.append(_floor_pass(entries, transport, chains, args.concurrency))
        fetcher.append(_fetcher_pass(entries, transport, args.concurrency, args.host_concurrency))
    print(
        json.dumps(
            {
                "urls": len(entries),
                "fetcher_s": min(fetcher),
                "floor_s": min(floor) if floor else 0.0,
            }
        ),
        flush=True,
    )
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--host-concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--passes", type=int, default=3, help="per process; the cheapest counts")
    parser.add_argument("--src", action="append", default=[], help="a provenance package dir")
    parser.add_argument("--no-floor", action="store_true", help="the fetcher's pass alone")
    parser.add_argument("--child", action="store_true", help="measure in this process")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.child:
        return _child(args)
    sources = args.src or [""]
    figures: dict[str, list[tuple[float, float, float]]] = {src: [] for src in sources}
    for index in range(args.runs):
        for src in sources if index % 2 == 0 else list(reversed(sources)):
            command = [sys.executable, "-m", "bench.fetch.outside", "--child"]
            command += ["--urls", str(args.urls), "--passes", str(args.passes)]
            command += ["--concurrency", str(args.concurrency)]
            command += ["--host-concurrency", str(args.host_concurrency)]
            paths = [src] if src else []
            paths += [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
            # Not from the repository: ``python -m`` puts the working directory first on
            # sys.path, and the tree's package would shadow ``src``.
            out = subprocess.run(
                command, env=env, cwd="/", capture_output=True, text=True, check=True
            ).stdout
            got = json.loads(out.strip().splitlines()[-1])
            fetcher = 1e6 * got["fetcher_s"] / got["urls"]
            floor = 1e6 * got["floor_s"] / got["urls"]
            figures[src].append((fetcher, floor, fetcher - floor))
            print(
                f"run {index + 1} {src or 'tree'}: fetcher {fetcher:.1f} µs/URL, "
                f"floor {floor:.1f}, outside {fetcher - floor:.1f}",
                flush=True,
            )
    for src, values in figures.items():
        fetcher, floor, outside = (statistics.median(v[i] for v in values) for i in range(3))
        print(
            f"{src or 'tree'}: median fetcher {fetcher:.1f} µs/URL, floor {floor:.1f}, "
            f"outside the HTTP path {outside:.1f} "
            f"({', '.join(f'{v[2]:.1f}' for v in values)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
