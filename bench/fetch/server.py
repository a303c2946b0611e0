"""A fast loopback HTTP/1.1 server with a deterministic mix of outcomes, for fetch benchmarks.

The server is a raw ``asyncio.Protocol`` (no framework: parsing a request line and
writing a prebuilt response costs a few microseconds, so the server is not what a
benchmark measures). One process can listen on several loopback hosts
(``127.0.0.1``, ``127.0.0.2``...), each on its own port.

Every cited URL has the form ``http://HOST:PORT/a/<id>/<slug>``; the id decides, through
:func:`kind_of`, what the URL does (a 200 page, a 404, a redirect chain, a 429 that
turns into a 200 on the next try...). :func:`build_manifest` lists every URL with the
verdict a careful checker should reach, in the words of ``provenance.fetch.models``
(``alive`` / ``dead`` / ``unverifiable`` and a reason).

Control endpoints (not cited by the corpus):

* ``GET /__bench/reset?latency_ms=N`` forgets which URLs were already answered
  (the 429-then-200 and 500-then-200 URLs fail again) and sets the added latency;
* ``GET /__bench/stats`` returns request counts as JSON;
* ``GET /__bench/shutdown`` stops the process.

The process stops by itself after ``--max-seconds`` and, with ``--exit-on-eof``,
as soon as its standard input closes (so it dies with the harness that started it).

Run alone::

    python -m bench.fetch.server --hosts 4 --urls 5000 --latency-ms 30 \
        --manifest /tmp/manifest.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "KINDS",
    "Expectation",
    "ServerState",
    "build_manifest",
    "expectation_of",
    "kind_of",
    "serve",
    "url_for",
]

# How many of every 100 consecutive ids get each kind. Sums to 100.
KINDS: dict[str, int] = {
    "ok": 66,
    "not-found": 6,
    "gone": 3,
    "forbidden": 3,
    "moved": 5,  # a chain of 1-3 permanent redirects (301/308) to a 200 page
    "redirected": 5,  # a chain of 1-2 temporary redirects (302/307) to a 200 page
    "rate-limited-once": 3,  # 429 with Retry-After: 0 on the first request, then 200
    "server-error-once": 3,  # 500 on the first request, then 200
    "soft-404": 4,  # 200 whose page says "Page not found"
    "to-home": 2,  # a deep link that redirects to the site's home page
}
assert sum(KINDS.values()) == 100

_BLOCK = 100
_WORDS = (
    "archive",
    "report",
    "council",
    "budget",
    "river",
    "survey",
    "court",
    "harbour",
    "climate",
    "museum",
    "senate",
    "vaccine",
    "election",
    "library",
    "railway",
    "census",
    "treaty",
    "festival",
    "tariff",
    "glacier",
    "orchestra",
    "satellite",
    "pension",
    "drought",
)


@dataclass(frozen=True, slots=True)
class Expectation:
    """What a careful checker should conclude about one cited URL.

    ``verdict`` and ``reason`` use the words of ``provenance.fetch.models``.
    ``status_no_retry`` is the final HTTP status a client sees when it follows
    redirects but never retries; ``requests_no_retry`` counts the HTTP requests
    that takes (a redirect chain costs one request per hop).
    """

    kind: str
    verdict: str
    reason: str
    status_no_retry: int
    requests_no_retry: int


def _block_kinds(block: int, seed: int) -> list[str]:
    kinds = [name for name, count in KINDS.items() for _ in range(count)]
    random.Random(seed * 1_000_003 + block).shuffle(kinds)
    return kinds


_KIND_CACHE: dict[tuple[int, int], list[str]] = {}


def kind_of(url_id: int, seed: int = 0) -> str:
    """The behaviour of URL ``url_id``: exact proportions per block of 100 ids, shuffled."""
    key = (url_id // _BLOCK, seed)
    kinds = _KIND_CACHE.get(key)
    if kinds is None:
        kinds = _KIND_CACHE[key] = _block_kinds(key[0], seed)
    return kinds[url_id % _BLOCK]


def _hops(url_id: int, kind: str) -> int:
    """Redirect hops before the final page, for the redirect kinds."""
    if kind == "moved":
        return 1 + url_id % 3
    if kind == "redirected":
        return 1 + url_id % 2
    return 0


def expectation_of(url_id: int, seed: int = 0) -> Expectation:
    """The manifest entry for URL ``url_id``."""
    kind = kind_of(url_id, seed)
    if kind == "ok":
        return Expectation(kind, "alive", "ok", 200, 1)
    if kind == "not-found":
        return Expectation(kind, "dead", "not-found", 404, 1)
    if kind == "gone":
        return Expectation(kind, "dead", "gone", 410, 1)
    if kind == "forbidden":
        return Expectation(kind, "unverifiable", "forbidden", 403, 1)
    if kind == "moved":
        return Expectation(kind, "alive", "moved", 200, 1 + _hops(url_id, kind))
    if kind == "redirected":
        return Expectation(kind, "alive", "redirected", 200, 1 + _hops(url_id, kind))
    if kind == "rate-limited-once":
        return Expectation(kind, "alive", "ok", 429, 1)
    if kind == "server-error-once":
        return Expectation(kind, "alive", "ok", 500, 1)
    if kind == "soft-404":
        return Expectation(kind, "dead", "soft-404", 200, 1)
    if kind == "to-home":
        # A deep link answered by the site's front page is the classic soft 404.
        return Expectation(kind, "dead", "soft-404", 200, 2)
    raise ValueError(f"unknown kind {kind!r}")


def _slug(url_id: int) -> str:
    rng = random.Random(url_id)
    return "-".join(rng.choice(_WORDS) for _ in range(3))


def url_for(base: str, url_id: int) -> str:
    """The cited URL with id ``url_id`` on the host whose root is ``base`` (no trailing /)."""
    return f"{base}/a/{url_id}/{_slug(url_id)}"


def build_manifest(bases: list[str], n_urls: int, seed: int = 0) -> dict[str, Any]:
    """Every cited URL with its expected verdict; URL ``i`` lives on host ``i % len(bases)``."""
    urls = []
    for url_id in range(n_urls):
        exp = expectation_of(url_id, seed)
        urls.append(
            {
                "id": url_id,
                "url": url_for(bases[url_id % len(bases)], url_id),
                "kind": exp.kind,
                "verdict": exp.verdict,
                "reason": exp.reason,
                "status_no_retry": exp.status_no_retry,
                "requests_no_retry": exp.requests_no_retry,
            }
        )
    counts: dict[str, int] = {}
    for entry in urls:
        counts[str(entry["kind"])] = counts.get(str(entry["kind"]), 0) + 1
    return {"seed": seed, "hosts": bases, "n_urls": n_urls, "kinds": counts, "urls": urls}


# --------------------------------------------------------------------------- responses

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def _response(
    status: int,
    body: bytes,
    *,
    content_type: str = "text/html; charset=utf-8",
    extra: tuple[tuple[str, str], ...] = (),
) -> tuple[bytes, bytes]:
    """The head and body of one response, as bytes."""
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}",
        "Server: bench-fetch",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in extra),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body


def _page(title: str, url_id: int, paragraphs: int) -> bytes:
    """A small HTML article of a few KB, distinct per id."""
    rng = random.Random(url_id * 7 + 1)
    paras = []
    for _ in range(paragraphs):
        words = " ".join(rng.choice(_WORDS) for _ in range(110))
        paras.append(f"<p>{words.capitalize()}.</p>")
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{title}</title></head>\n<body><main><h1>{title}</h1>\n"
        + "\n".join(paras)
        + "\n</main></body></html>\n"
    ).encode()


def _not_found_page(url_id: int) -> bytes:
    return (
        "<!doctype html>\n<html><head><title>Page not found</title></head><body>"
        "<h1>Page not found</h1><p>Sorry, the page you were looking for does not exist "
        f"or has been moved. Reference {url_id}.</p></body></html>\n"
    ).encode()


@dataclass
class ServerState:
    """Shared by every listening socket of one server process."""

    seed: int = 0
    latency_s: float = 0.0
    requests: int = 0
    get_with_body: int = 0  # GET/HEAD requests that carried a body (chunked or sized)
    by_status: dict[int, int] = field(default_factory=dict)
    answered: set[int] = field(default_factory=set)  # ids whose first failure was served
    cache: dict[tuple[str, str], tuple[bytes, bytes]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    stop: asyncio.Event | None = None

    def reset(self, latency_ms: float | None) -> None:
        """Forget the served first failures and counters; optionally set the latency."""
        self.answered.clear()
        self.requests = 0
        self.get_with_body = 0
        self.by_status.clear()
        if latency_ms is not None:
            self.latency_s = max(0.0, latency_ms / 1000.0)

    def respond(self, target: str, base: str) -> tuple[bytes, bytes]:
        """Head and body for ``GET target`` on the host whose root URL is ``base``."""
        if target.startswith("/__bench/"):
            return self._control(target)
        key = (base, target)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        head_body, cacheable = self._build(target, base)
        if cacheable:
            self.cache[key] = head_body
        return head_body

    def _build(self, target: str, base: str) -> tuple[tuple[bytes, bytes], bool]:
        """Build the response; the flag says it never changes (safe to cache)."""
        path = target.split("?", 1)[0]
        if path == "/":
            return _response(200, _page(f"Home of {base}", 0, 3)), True
        parts = path.strip("/").split("/")
        try:
            url_id = int(parts[1])
        except (IndexError, ValueError):
            return _response(404, _not_found_page(-1)), True
        head = parts[0]
        kind = kind_of(url_id, self.seed)
        if head == "final":
            return _response(200, _page(f"Article {url_id} (moved)", url_id, 4)), True
        if head == "hop":
            hop = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1
            return self._hop(base, url_id, kind, hop), True
        if head != "a":
            return _response(404, _not_found_page(url_id)), True
        if kind == "ok":
            return _response(200, _page(f"Article {url_id}", url_id, 3 + url_id % 4)), True
        if kind == "not-found":
            return _response(404, _not_found_page(url_id)), True
        if kind == "gone":
            return _response(
                410, b"<html><title>Gone</title>This article was removed.</html>"
            ), True
        if kind == "forbidden":
            return _response(403, b"<html><title>Forbidden</title>Access denied.</html>"), True
        if kind in ("moved", "redirected"):
            return self._hop(base, url_id, kind, 0), True
        if kind in ("rate-limited-once", "server-error-once"):
            if url_id not in self.answered:
                self.answered.add(url_id)
                if kind == "rate-limited-once":
                    return _response(
                        429, b"<html><title>Slow down</title></html>", extra=(("Retry-After", "0"),)
                    ), False
                return _response(500, b"<html><title>Internal error</title></html>"), False
            return _response(200, _page(f"Article {url_id}", url_id, 3)), False
        if kind == "soft-404":
            return _response(200, _not_found_page(url_id)), True
        if kind == "to-home":
            return _response(302, b"", extra=(("Location", f"{base}/"),)), True
        raise AssertionError(kind)

    def _hop(self, base: str, url_id: int, kind: str, hop: int) -> tuple[bytes, bytes]:
        """Hop ``hop`` (0 = the cited URL) of a redirect chain."""
        hops = _hops(url_id, kind)
        if hops == 0:
            return _response(404, _not_found_page(url_id))
        if kind == "moved":
            status = 301 if (url_id + hop) % 2 == 0 else 308
        else:
            status = 302 if (url_id + hop) % 2 == 0 else 307
        nxt = f"{base}/final/{url_id}" if hop + 1 >= hops else f"{base}/hop/{url_id}/{hop + 1}"
        return _response(status, b"", extra=(("Location", nxt),))

    def _control(self, target: str) -> tuple[bytes, bytes]:
        parsed = urlsplit(target)
        query = parse_qs(parsed.query)
        body: dict[str, object]
        if parsed.path == "/__bench/reset":
            latency = query.get("latency_ms")
            self.reset(float(latency[0]) if latency else None)
            body = {"reset": True, "latency_ms": self.latency_s * 1000}
        elif parsed.path == "/__bench/stats":
            body = {
                "requests": self.requests,
                "get_with_body": self.get_with_body,
                "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
                "latency_ms": self.latency_s * 1000,
                "uptime_s": round(time.monotonic() - self.started, 3),
            }
        elif parsed.path == "/__bench/shutdown":
            if self.stop is not None:
                asyncio.get_running_loop().call_later(0.05, self.stop.set)
            body = {"shutdown": True}
        else:
            return _response(404, b"unknown control endpoint\n", content_type="text/plain")
        return _response(200, json.dumps(body).encode(), content_type="application/json")


def _chunked_end(data: bytes) -> int | None:
    """Length of the complete chunked body at the start of ``data``; None if incomplete."""
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(data[pos:eol].split(b";", 1)[0].strip() or b"0", 16)
        pos = eol + 2
        if size == 0:
            end = data.find(b"\r\n\r\n", pos - 2)  # no trailers: the CRLF right after
            return None if end < 0 else end + 4
        pos += size + 2
        if pos > len(data):
            return None


class _HttpProtocol(asyncio.Protocol):
    """One HTTP/1.1 keep-alive connection; requests answered in order, optionally delayed."""

    __slots__ = ("_base", "_buf", "_closing", "_last_at", "_loop", "_state", "_transport")

    def __init__(self, state: ServerState, base: str) -> None:
        self._state = state
        self._base = base
        self._buf = b""
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._last_at = 0.0
        self._closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses but have its methods.
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while not self._closing:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > 65536:
                    self._write(*_response(400, b"request head too large\n"), close=True)
                return
            head = self._buf[:end].decode("latin-1")
            rest = self._buf[end + 4 :]
            lines = head.split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self._write(*_response(400, b"bad request line\n"), close=True)
                return
            close = version == "HTTP/1.0"
            length = 0
            chunked = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                lname = name.strip().lower()
                if lname == "connection":
                    close = value.strip().lower() == "close"
                elif lname == "content-length":
                    length = int(value.strip() or 0)
                elif lname == "transfer-encoding":
                    chunked = "chunked" in value.lower()
            if chunked:
                body_end = _chunked_end(rest)
                if body_end is None:
                    return  # wait for the rest of the chunked body
                length = body_end
            elif len(rest) < length:
                return  # wait for the request body (ignored)
            if length and method in ("GET", "HEAD"):
                self._state.get_with_body += 1
            self._buf = rest[length:]
            self._handle(method, target, close)

    def _handle(self, method: str, target: str, close: bool) -> None:
        state = self._state
        resp_head, body = state.respond(target, self._base)
        if not target.startswith("/__bench/"):
            state.requests += 1
            status = int(resp_head[9:12])
            state.by_status[status] = state.by_status.get(status, 0) + 1
        if method == "HEAD":
            body = b""
        if close:
            self._closing = True
        if state.latency_s > 0 and not target.startswith("/__bench/"):
            when = max(self._loop.time() + state.latency_s, self._last_at)
            self._last_at = when
            self._loop.call_at(when, self._write, resp_head, body, close)
        else:
            self._write(resp_head, body, close=close)

    def _write(self, head: bytes, body: bytes, close: bool = False) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(head + body if len(body) < 16384 else head)
        if len(body) >= 16384:
            transport.write(body)
        if close:
            transport.close()


async def serve(
    hosts: list[str],
    *,
    port: int = 0,
    seed: int = 0,
    latency_ms: float = 0.0,
    max_seconds: float = 1800.0,
    on_ready: Any = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Listen on every host in ``hosts`` until ``stop`` is set or ``max_seconds`` pass.

    ``on_ready`` is called with the list of base URLs (``http://host:port``) once
    every socket listens.
    """
    state = ServerState(seed=seed, latency_s=latency_ms / 1000.0)
    state.stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    servers = []
    bases = []
    for host in hosts:
        sock_port = port
        server = None
        for _attempt in range(20):
            holder: dict[str, str] = {}

            def factory(holder: dict[str, str] = holder) -> _HttpProtocol:
                return _HttpProtocol(state, holder["base"])

            try:
                server = await loop.create_server(
                    factory, host, sock_port, backlog=2048, reuse_address=True
                )
            except OSError:
                if port != 0:
                    raise
                continue
            bound = server.sockets[0].getsockname()[1]
            holder["base"] = f"http://{host}:{bound}"
            bases.append(holder["base"])
            break
        if server is None:
            raise OSError(f"could not listen on {host}")
        servers.append(server)
    if on_ready is not None:
        on_ready(bases)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.stop.wait(), timeout=max_seconds)
    finally:
        for server in servers:
            server.close()
        for server in servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=2)


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--hosts", type=int, default=4, help="listen on 127.0.0.1..127.0.0.N")
    parser.add_argument(
        "--host-list", default="", help="comma-separated addresses (overrides --hosts)"
    )
    parser.add_argument("--port", type=int, default=0, help="0: a free port per host")
    parser.add_argument("--urls", type=int, default=5000, help="URLs in the manifest")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every response")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="stop after this")
    parser.add_argument("--manifest", type=Path, help="write the manifest JSON here")
    parser.add_argument(
        "--exit-on-eof", action="store_true", help="stop when standard input closes"
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="asyncio",
        help="event loop of the server (auto: uvloop when installed; clients never use it)",
    )
    args = parser.parse_args(argv)
    hosts = (
        [h for h in args.host_list.split(",") if h]
        if args.host_list
        else [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if args.exit_on_eof:

            def watch_stdin() -> None:
                with contextlib.suppress(Exception):
                    sys.stdin.read()
                loop.call_soon_threadsafe(stop.set)

            threading.Thread(target=watch_stdin, daemon=True).start()

        def ready(bases: list[str]) -> None:
            if args.manifest is not None:
                manifest = build_manifest(bases, args.urls, args.seed)
                args.manifest.write_text(json.dumps(manifest, indent=1))
            loop_name = type(asyncio.get_running_loop()).__module__.split(".")[0]
            print(json.dumps({"bases": bases, "loop": loop_name}), flush=True)

        await serve(
            hosts,
            port=args.port,
            seed=args.seed,
            latency_ms=args.latency_ms,
            max_seconds=args.max_seconds,
            on_ready=ready,
            stop=stop,
        )

    with asyncio.Runner(loop_factory=_loop_factory(args.loop)) as runner:
        runner.run(main())
    return 0


def _loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when asked for (or, with ``auto``, when installed); else asyncio's."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


if __name__ == "__main__":
    raise SystemExit(_main())
