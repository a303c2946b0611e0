"""Does each transport behave like httpx's own where a link checker depends on it?

A fetcher turns failures into verdicts (``connection-error`` is *dead*,
``timeout`` is *unverifiable*), so a transport must raise the same httpx
exception classes as httpx's own; it must also keep cookies out when the client
refuses them, and report the server's address for the evidence archive. This
probe provokes each case on loopback (nothing leaves the machine; ``localhost``
comes from /etc/hosts) and prints one Markdown table::

    python -m bench.fetch.errorprobe
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from httpx_aiohttp import AiohttpTransport

from bench.fetch.transports import make_aiohttp_transport

__all__ = ["TRANSPORTS", "probe_errors"]

TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "httpx default (AsyncHTTPTransport)": httpx.AsyncHTTPTransport,
    "httpx_aiohttp.AiohttpTransport": AiohttpTransport,
    "recommended: make_aiohttp_transport()": make_aiohttp_transport,
}
try:  # provenance's own transport, where it exists
    from provenance.fetch.pool import FastHTTPTransport

    TRANSPORTS["provenance FastHTTPTransport"] = lambda: FastHTTPTransport(
        max_idle_per_origin=16, max_idle=64, keepalive_expiry=15.0, trust_env=False
    )
except ImportError:  # pragma: no cover - depends on the provenance checkout
    pass

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _cookies(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """``/set`` sets a cookie; any other path echoes the Cookie header it got."""
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if head.startswith(b"GET /set "):
                writer.write(
                    b"HTTP/1.1 200 OK\r\nSet-Cookie: tracker=abc; Path=/\r\n"
                    b"Content-Length: 0\r\n\r\n"
                )
            else:
                lines = head.split(b"\r\n")
                cookie = b"".join(x for x in lines if x.lower().startswith(b"cookie:"))
                body = cookie or b"none"
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    writer.close()


async def _behaviour(
    make: Callable[[], httpx.AsyncBaseTransport], cookie_base: str, timeout_s: float
) -> dict[str, str]:
    """Cookie isolation and the server address, through a client like provenance's."""
    out: dict[str, str] = {}
    refuse_all = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    async with httpx.AsyncClient(transport=make(), timeout=timeout_s, cookies=refuse_all) as client:
        await client.get(f"{cookie_base}/set")
        echoed = (await client.get(f"{cookie_base}/check")).text
        out["cookie from an earlier response (client refuses all cookies)"] = (
            "not sent" if echoed == "none" else f"sent: {echoed}"
        )
        response = await client.get(f"{cookie_base}/check")
        stream = response.extensions.get("network_stream")
        address = stream.get_extra_info("server_addr") if stream is not None else None
        out["server address (network_stream server_addr)"] = (
            f"{address[0]}" if isinstance(address, tuple) else "missing"
        )
    return out


async def _hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(5)
    writer.close()


async def _slam(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(4096)
    writer.close()


async def _garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(4096)
    writer.write(b"THIS IS NOT HTTP\r\n\r\n")
    await writer.drain()
    writer.close()


async def _truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(4096)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")
    await writer.drain()
    writer.close()


def _provenance_reason(exc: BaseException) -> str:
    """What provenance's fetcher would conclude from ``exc`` ('' if it cannot be asked).

    provenance catches ``TimeoutError``, ``httpx.HTTPError``, ``OSError`` and
    ``UnicodeError``; anything else escapes the fetch of one URL.
    """
    try:
        from provenance.fetch.classify import classify_exception
    except ImportError:
        return ""
    if not isinstance(exc, TimeoutError | httpx.HTTPError | OSError | UnicodeError):
        return "uncaught"
    reason, _message = classify_exception(exc)
    return f"{reason.value} ({reason.verdict.value})"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def probe_errors(timeout_s: float = 0.5) -> dict[str, dict[str, str]]:
    """case -> transport -> outcome (exception class, status code, or behaviour)."""
    handlers: dict[str, Handler] = {
        "read timeout (no response)": _hang,
        "closed without response": _slam,
        "not an HTTP response": _garbage,
        "body shorter than Content-Length": _truncated,
    }
    servers = []
    cases: dict[str, str] = {"connection refused": f"http://127.0.0.1:{_free_port()}/"}
    for case, handler in handlers.items():
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        servers.append(server)
        cases[case] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    cases["unsupported scheme"] = "ftp://127.0.0.1/file"
    cookie_server = await asyncio.start_server(_cookies, "127.0.0.1", 0)
    servers.append(cookie_server)
    # A host name, not an IP: aiohttp's cookie jar ignores cookies from IP addresses.
    cookie_base = f"http://localhost:{cookie_server.sockets[0].getsockname()[1]}"
    table: dict[str, dict[str, str]] = {case: {} for case in cases}
    try:
        for name, make in TRANSPORTS.items():
            async with httpx.AsyncClient(transport=make(), timeout=timeout_s) as client:
                for case, url in cases.items():
                    try:
                        response = await client.get(url)
                        outcome = f"HTTP {response.status_code}"
                    except Exception as exc:
                        module = type(exc).__module__.split(".")[0]
                        outcome = f"{module}.{type(exc).__name__}"
                        reason = _provenance_reason(exc)
                        if reason:
                            outcome += f" → {reason}"
                    table[case][name] = outcome
            for case, outcome in (await _behaviour(make, cookie_base, timeout_s)).items():
                table.setdefault(case, {})[name] = outcome
    finally:
        for server in servers:
            server.close()
    return table


def markdown(table: dict[str, dict[str, str]]) -> str:
    """The probe's result as a Markdown table; httpx's own transport is the reference.

    With provenance importable, each cell also says the reason (and verdict)
    ``provenance.fetch.classify.classify_exception`` gives that exception.
    """
    names = list(TRANSPORTS)
    lines = [
        "| failure | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---" for _ in names) + " |",
    ]
    for case, row in table.items():
        reference = row.get(names[0])
        cells = []
        for name in names:
            exc_name, _, reason = row.get(name, "").partition(" → ")
            cell = f"`{exc_name}`" + (f" → {reason}" if reason else "")
            cells.append(cell + ("" if row.get(name) == reference else " ✗"))
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _main() -> int:
    print(markdown(asyncio.run(probe_errors())))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
