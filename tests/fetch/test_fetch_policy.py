"""Server-side request forgery: private and disguised addresses are refused unless allowed."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from provenance.fetch import Reason, Verdict
from provenance.fetch.policy import blocked_host_reason, literal_address, system_resolver
from tests.fetch.conftest import FakeResolver, Run

DISGUISES = [
    "http://127.0.0.1/",
    "http://localhost:8080/admin",
    "http://LOCALHOST./",
    "http://app.localhost/",
    "http://2130706433/",  # decimal
    "http://0177.0.0.1/",  # octal
    "http://0x7f.0.0.1/",  # hex
    "http://0x7f000001/",
    "http://017700000001/",
    "http://127.1/",  # short form
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",  # NAT64
    "http://[2002:7f00:1::]/",  # 6to4
    "http://0.0.0.0/",
    "http://0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/router",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[fe80::1%25eth0]/",  # link-local with zone
    "http://[fc00::1]/",  # unique-local
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://example.com@127.0.0.1/",  # userinfo trick: the host is 127.0.0.1
]


@pytest.mark.parametrize("url", DISGUISES)
def test_disguised_private_addresses_are_refused_without_a_request(run: Run, url: str) -> None:
    fetch_run = run([url])
    (result,) = fetch_run.results.values()
    assert result.reason is Reason.BLOCKED_BY_POLICY, result.error
    assert result.verdict is Verdict.UNVERIFIABLE
    assert (result.error or "").startswith("refused:")
    assert fetch_run.requests == 0


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["10.1.2.3"], ["93.184.216.34", "192.168.0.10"], ["::1"], ["169.254.169.254"]],
)
def test_names_resolving_to_private_addresses_are_refused(
    run: Run, resolver: FakeResolver, addresses: list[str]
) -> None:
    resolver.answers["rebind.example"] = addresses
    fetch_run = run(["https://rebind.example/"])
    result = fetch_run.results["https://rebind.example/"]
    assert result.reason is Reason.BLOCKED_BY_POLICY
    assert "rebind.example resolves to" in (result.error or "")
    assert fetch_run.requests == 0


def test_each_host_is_resolved_once_per_pass(
    run: Run, resolver: FakeResolver, httpx_mock: HTTPXMock
) -> None:
    for page in range(5):
        httpx_mock.add_response(url=f"https://one.example/{page}", text="content " * 50)
    run([f"https://one.example/{page}" for page in range(5)])
    assert resolver.lookups == ["one.example"]


def test_redirect_to_a_private_address_is_refused(
    run: Run, httpx_mock: HTTPXMock, resolver: FakeResolver
) -> None:
    resolver.answers["internal.example"] = ["10.0.0.7"]
    httpx_mock.add_response(
        url="https://public.example/r",
        status_code=302,
        headers={"location": "http://internal.example/secrets"},
    )
    httpx_mock.add_response(
        url="https://public.example/s",
        status_code=302,
        headers={"location": "http://[::ffff:169.254.169.254]/latest/"},
    )
    fetch_run = run(["https://public.example/r", "https://public.example/s"])
    for result in fetch_run.results.values():
        assert result.reason is Reason.BLOCKED_BY_POLICY
        assert len(result.redirects) == 1
    assert fetch_run.requests == 2  # the redirects only: never the private targets


def test_allow_private_lets_loopback_through(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="http://127.0.0.1:8000/", text="local page " * 30)
    result = run(["http://127.0.0.1:8000/"], allow_private=True).results["http://127.0.0.1:8000/"]
    assert result.reason is Reason.OK


def test_public_literal_addresses_are_fetched(run: Run, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url="http://93.184.216.34/", text="public page " * 30)
    assert run(["http://93.184.216.34/"]).results["http://93.184.216.34/"].reason is Reason.OK


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("example.com", None),
        ("123.example", None),
    ],
)
def test_literal_address_decodes_every_notation(host: str, address: str | None) -> None:
    decoded = literal_address(host)
    assert (str(decoded) if decoded else None) == address


@pytest.mark.parametrize("host", ["example.com", "8.8.8.8", "2606:4700::1111", "xn--bcher-kva.de"])
def test_public_hosts_are_not_blocked(host: str) -> None:
    assert blocked_host_reason(host) is None


@pytest.mark.parametrize(
    "url", ["http://a..b/", "http://" + "a" * 64 + ".com/", "http://\u200b.com/page"]
)
def test_a_host_name_the_resolver_cannot_encode_is_a_dns_error(run: Run, url: str) -> None:
    # The system resolver raised UnicodeError from its IDNA step, which ended the run.
    fetch_run = run([url], resolver=system_resolver)
    (result,) = fetch_run.results.values()
    assert result.reason is Reason.DNS_ERROR
    assert "is not a valid host name" in (result.error or "")
    assert fetch_run.requests == 0
