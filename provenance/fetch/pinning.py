"""Connect to the address the policy vetted, never to a second DNS answer (DNS rebinding).

The fetcher resolves each host name once per pass with its resolver and vets every
address it gets (``provenance.fetch.policy``). If the transport then resolved the name
again to connect, a hostile DNS server could answer a public address to the vetting and
``127.0.0.1`` a moment later to the connection. ``PinnedBackend`` is the httpcore
network backend that closes that window: it connects to the vetted addresses recorded
in ``pins`` (host name -> addresses), in order, and refuses to connect to a name that
was never vetted. The name still goes out as the ``Host`` header and the TLS server
name (SNI), and the certificate is still checked against it: only the lookup is pinned.

IP literals are connected to as they are: the policy vetted the literal itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

import httpcore

from provenance.fetch.netio import AsyncioBackend

__all__ = ["PinnedBackend", "pin_key"]


def pin_key(host: str) -> str:
    """The key a host name is pinned under: lower-case, no trailing dot, no brackets."""
    return host.strip("[]").rstrip(".").lower()


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    return True


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to the pinned addresses of a host, never resolving it.

    ``pins`` is read at connect time, so the fetcher may keep adding to it during a run.
    """

    def __init__(
        self,
        pins: Mapping[str, Sequence[str]],
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._pins = pins
        self._backend = backend if backend is not None else AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        key = pin_key(host)
        if _is_literal(key):
            addresses: Sequence[str] = (key,)
        else:
            pinned = self._pins.get(key)
            if not pinned:
                raise httpcore.ConnectError(f"{host} was not vetted by the address policy")
            addresses = pinned
        for address in addresses[:-1]:
            try:
                return await self._connect(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue  # the next vetted address may answer
        return await self._connect(addresses[-1], port, timeout, local_address, socket_options)

    async def _connect(
        self,
        address: str,
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
