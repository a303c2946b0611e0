"""Nobody let in, over real sockets: the vetted address is the one connected to.

The "public" site here is a made-up name that an injected resolver maps to 127.0.0.2,
and ``allowed_networks`` lets exactly 127.0.0.2 through, so the policy stays on for
everything else (127.0.0.1 plays the internal service). The system resolver cannot
resolve ``.test`` names, so a request that reaches the server at all proves the
transport connected to the pinned address instead of looking the name up again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from provenance.fetch import Fetcher, FetchRun, FetchSettings, Reason
from provenance.fetch.pinning import PinnedBackend
from provenance.fetch.pool import FastHTTPTransport
from tests.fetch.conftest import FakeResolver, SleepRecorder
from tests.support.loopback import LoopbackServer, Response, respond

pytestmark = pytest.mark.integration

PUBLIC, INTERNAL = "127.0.0.2", "127.0.0.1"
PAGE = b"<html><title>Public page</title><body>" + b"<p>public words</p>" * 50 + b"</body>"
SECRET = b"<html><title>Internal</title><body>" + b"<p>secret</p>" * 50 + b"</body>"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer([INTERNAL, PUBLIC]) as running:
        running.route("/page", respond(200, PAGE, [("Content-Type", "text/html")]))
        running.route("/secret", respond(200, SECRET, [("Content-Type", "text/html")]))
        yield running


def _fetch(urls: list[str], resolver: FakeResolver, **options: object) -> FetchRun:
    knobs: dict[str, object] = {
        "allowed_networks": (f"{PUBLIC}/32",),
        "trust_env": False,
        "recheck": False,
        "max_retries": 0,
        "connect_timeout_s": 2,
        "read_timeout_s": 2,
        "total_timeout_s": 5,
    }
    settings = FetchSettings.model_validate(knobs | options)
    fetcher = Fetcher(settings, sleep=SleepRecorder(), resolver=resolver)
    return asyncio.run(fetcher.fetch_all(urls))


def _public_url(server: LoopbackServer, path: str) -> str:
    return f"http://docs.public.test:{server.ports[PUBLIC]}{path}"


def test_the_transport_connects_to_the_vetted_address_with_the_name_as_host(
    server: LoopbackServer,
) -> None:
    resolver = FakeResolver(answers={"docs.public.test": [PUBLIC]})
    url = _public_url(server, "/page")
    result = _fetch([url], resolver).results[url]
    assert result.reason is Reason.OK, result.error
    (request,) = server.requests
    assert request.local_ip == PUBLIC
    assert request.headers["host"] == f"docs.public.test:{server.ports[PUBLIC]}"


class RebindingResolver(FakeResolver):
    """Answers the public address first and the internal one on every later lookup."""

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return [PUBLIC] if len(self.lookups) == 1 else [INTERNAL]


def test_a_second_dns_answer_is_never_connected_to(server: LoopbackServer) -> None:
    resolver = RebindingResolver()
    urls = [_public_url(server, f"/page?n={n}") for n in range(6)]
    run = _fetch(urls, resolver, host_concurrency=2)
    assert all(result.reason is Reason.OK for result in run.results.values())
    assert resolver.lookups == ["docs.public.test"]
    assert {request.local_ip for request in server.requests} == {PUBLIC}
    assert "/secret" not in server.hits


async def _hang_up(writer: asyncio.StreamWriter) -> None:
    """Close the connection without answering: a failure below HTTP."""


def test_a_rebound_answer_on_the_recheck_pass_is_refused(server: LoopbackServer) -> None:
    # A failure below HTTP is re-checked after the first pass, with fresh DNS answers
    # (an HTTP failure is re-checked early, on the address it was answered from).
    hang_up = Response(raw=_hang_up)

    async def handler(request: object) -> Response:
        return hang_up

    server.route("/flaky", handler)
    resolver = RebindingResolver()
    url = _public_url(server, "/flaky")
    run = _fetch([url], resolver, recheck=True, recheck_delay_s=0)
    result = run.results[url]
    assert result.reason is Reason.BLOCKED_BY_POLICY
    assert "resolves to loopback address 127.0.0.1" in (result.error or "")
    assert {request.local_ip for request in server.requests} == {PUBLIC}


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret",
        "http://2130706433:{port}/secret",  # decimal
        "http://0x7f000001:{port}/secret",  # hex
        "http://127.1:{port}/secret",  # short form
        "http://[::ffff:127.0.0.1]:{port}/secret",  # IPv4-mapped IPv6
        "http://[::1]:{port}/secret",
        "http://localhost:{port}/secret",
        "http://internal.test:{port}/secret",  # a name resolving to loopback
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    ],
)
def test_redirects_from_a_public_page_to_internal_addresses_are_refused(
    server: LoopbackServer, target: str
) -> None:
    location = target.format(port=server.ports[INTERNAL])
    server.route("/r", respond(302, headers=[("Location", location)]))
    resolver = FakeResolver(answers={"docs.public.test": [PUBLIC], "internal.test": [INTERNAL]})
    url = _public_url(server, "/r")
    run = _fetch([url], resolver)
    result = run.results[url]
    assert result.reason is Reason.BLOCKED_BY_POLICY, result.error
    assert (result.error or "").startswith("refused:")
    assert len(result.redirects) == 1
    assert run.requests == 1
    assert "/secret" not in server.hits


class RebindingPerName(FakeResolver):
    """Each name: the public address on its first lookup, the internal one after that."""

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return [PUBLIC] if self.lookups.count(host) == 1 else [INTERNAL]


def test_a_redirect_to_another_name_connects_to_that_names_vetted_address(
    server: LoopbackServer,
) -> None:
    # Every hop opens its connection through the pool's one connect path: the second
    # name, reached only by redirect, is pinned too and never looked up a second time.
    mirror = f"http://mirror.public.test:{server.ports[PUBLIC]}/page"
    server.route("/moved", respond(301, headers=[("Location", mirror)]))
    resolver = RebindingPerName()
    urls = [_public_url(server, f"/moved?n={n}") for n in range(4)]
    run = _fetch(urls, resolver, host_concurrency=2)
    assert all(result.reason is Reason.MOVED for result in run.results.values())
    assert {result.final_url for result in run.results.values()} == {mirror}
    assert sorted(resolver.lookups) == ["docs.public.test", "mirror.public.test"]
    assert {request.local_ip for request in server.requests} == {PUBLIC}
    assert server.hits["/page"] >= 1
    assert "/secret" not in server.hits


def test_an_octal_location_is_refused_before_any_request(server: LoopbackServer) -> None:
    # httpx will not even parse 0177.0.0.1 in a Location header: never contacted either.
    location = f"http://0177.0.0.1:{server.ports[INTERNAL]}/secret"
    server.route("/r", respond(302, headers=[("Location", location)]))
    url = _public_url(server, "/r")
    run = _fetch([url], FakeResolver(answers={"docs.public.test": [PUBLIC]}))
    assert not run.results[url].verdict.is_alive
    assert run.requests == 1
    assert "/secret" not in server.hits


def test_only_allow_private_lets_the_redirect_through(server: LoopbackServer) -> None:
    internal = f"http://{INTERNAL}:{server.ports[INTERNAL]}/secret"
    server.route("/r", respond(302, headers=[("Location", internal)]))
    url = f"http://{PUBLIC}:{server.ports[PUBLIC]}/r"
    refused = _fetch([url], FakeResolver()).results[url]
    assert refused.reason is Reason.BLOCKED_BY_POLICY
    allowed = _fetch([url], FakeResolver(), allow_private=True).results[url]
    assert allowed.reason is Reason.REDIRECTED
    assert allowed.final_url == internal
    assert server.hits["/secret"] == 1


def test_the_pinned_transport_refuses_a_name_that_was_never_vetted(
    server: LoopbackServer,
) -> None:
    transport = FastHTTPTransport(
        max_idle_per_origin=1,
        max_idle=1,
        keepalive_expiry=1.0,
        trust_env=False,
        network_backend=PinnedBackend({}),
    )

    async def get() -> None:
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            await client.get(f"http://localhost:{server.ports[INTERNAL]}/secret")

    with pytest.raises(httpx.ConnectError, match="localhost was not vetted"):
        asyncio.run(get())
    assert server.hits == {}


def test_the_fast_transport_refuses_other_schemes_with_an_httpx_error() -> None:
    transport = FastHTTPTransport(
        max_idle_per_origin=1, max_idle=1, keepalive_expiry=1.0, trust_env=False
    )

    async def get() -> None:
        async with httpx.AsyncClient(transport=transport, trust_env=False) as client:
            await client.get("ftp://files.example/pub/paper.pdf")

    with pytest.raises(httpx.UnsupportedProtocol, match="not 'ftp'"):
        asyncio.run(get())


def test_allowed_networks_must_parse() -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        FetchSettings(allowed_networks=("not-a-network",))
