"""Which addresses the fetcher refuses to contact (server-side request forgery defence).

A cited URL is untrusted input: ``http://169.254.169.254/`` would read a cloud
instance's credentials and ``http://localhost:8080/admin`` would poke at the user's own
machine. Unless ``allow_private`` is set, the fetcher refuses any host that *is* or
*resolves to* a non-public address, and checks again after every redirect hop.

Literal hosts are decoded the way a C resolver decodes them, so the usual disguises
are caught before any lookup: decimal (``2130706433``), octal (``0177.0.0.1``), hex
(``0x7f.0.0.1``), short forms (``127.1``), IPv6 (``[::1]``) and IPv4 embedded in IPv6
(mapped ``::ffff:127.0.0.1``, NAT64 ``64:ff9b::7f00:1``, 6to4, Teredo).

DNS rebinding: the fetcher resolves a name once per pass with the injected resolver,
vets every address it gets, and the default transport then connects to those vetted
addresses only (``provenance.fetch.pinning``), so a second, different DNS answer is
never used. (Through a proxy named in the environment, the proxy resolves names.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence

__all__ = [
    "IPAddress",
    "Resolver",
    "blocked_address_reason",
    "blocked_host_reason",
    "literal_address",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""``async (host, port) -> addresses``: the IP addresses (as text) a host name resolves to.

Raises ``socket.gaierror`` (or any ``OSError``) when the name does not resolve.
"""


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system (``loop.getaddrinfo``), as the transport will."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# Shapes inet_aton(3) accepts: one to four parts, each decimal, octal (leading 0) or hex.
_INET_ATON_SHAPE = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.I)

_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT; Alibaba's metadata
_METADATA_ADDRESSES = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack...
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    }
)
# Names that never leave the machine or the provider's network, whatever DNS says.
_BLOCKED_NAMES = frozenset({"localhost", "metadata", "metadata.google.internal", "metadata.goog"})
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, in any notation a resolver would accept, or None."""
    text = host.strip().strip("[]").rstrip(".").partition("%")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _INET_ATON_SHAPE.fullmatch(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv6 one (mapped, NAT64, 6to4, Teredo client), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def blocked_address_reason(address: IPAddress) -> str | None:
    """Why ``address`` must not be contacted (``"loopback address ::1"``), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = blocked_address_reason(embedded)
            if inner is not None:
                return f"{inner} embedded in {address}"
    kind: str | None
    if address in _METADATA_ADDRESSES:
        kind = "cloud metadata"
    elif address.is_unspecified:
        kind = "unspecified"
    elif address.is_loopback:
        kind = "loopback"
    elif address.is_link_local:
        kind = "link-local"
    elif address.is_multicast:
        kind = "multicast"
    elif isinstance(address, ipaddress.IPv4Address) and address in _SHARED_SPACE:
        kind = "shared (carrier-grade NAT)"
    elif address.is_private:
        kind = "unique-local" if address.version == 6 else "private"
    elif address.is_reserved:
        kind = "reserved"
    elif isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        kind = "site-local"
    elif not address.is_global:
        kind = "non-public"
    else:
        kind = None
    return None if kind is None else f"{kind} address {address}"


def blocked_host_reason(host: str) -> str | None:
    """Why the literal ``host`` of a URL must not be contacted, before any DNS lookup, or None."""
    name = host.lower().strip().rstrip(".")
    if name in _BLOCKED_NAMES or name.endswith(_BLOCKED_SUFFIXES):
        return f"host name {name!r} is local to this machine or network"
    address = literal_address(name)
    if address is None:
        return None
    return blocked_address_reason(address)
