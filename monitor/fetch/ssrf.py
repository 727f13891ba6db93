"""Refuse connections to private, loopback and link-local addresses (SSRF guard).

The check sits in the socket layer, not in front of the request: httpx resolves the name once in our
`GuardedBackend.connect_tcp` and connects to exactly the address we checked. Checking the URL before the
request and letting the client resolve again would leave a DNS-rebinding window, and would miss redirects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore

from monitor.errors import FetchError
from monitor.models import FetchStatus


class BlockedAddressError(FetchError):
    """The target resolved only to addresses the configuration does not allow."""

    status = FetchStatus.HARD


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(address: IPAddress) -> bool:
    """True when the address is routable on the public internet.

    `is_global` already excludes private, loopback, link-local, CGNAT, documentation and reserved ranges;
    IPv4-mapped / 6to4 / Teredo IPv6 forms are unwrapped so `::ffff:127.0.0.1` is judged as 127.0.0.1.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return is_public_address(embedded)
        if address.teredo is not None:
            return is_public_address(address.teredo[1])
    return bool(address.is_global) and not address.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """All addresses `host` resolves to for a TCP connection, in resolver order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in seen:
            seen.append(addr)
    return seen


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def allowed_addresses(
    host: str, addresses: Iterable[str], *, allow_private: bool, allowed_networks: Iterable[IPNetwork] = ()
) -> list[str]:
    """The addresses we may connect to; raises BlockedAddressError if none.

    One non-public address among several is enough to refuse when private targets are not allowed:
    a name that mixes public and internal addresses is either misconfigured or an attack.
    """
    parsed = [ipaddress.ip_address(a) for a in addresses]
    if not parsed:
        raise BlockedAddressError(f"{host} did not resolve to any address")
    if not allow_private:
        nets = list(allowed_networks)
        bad = [
            str(a)
            for a in parsed
            if not is_public_address(a) and not any(a.version == n.version and a in n for n in nets)
        ]
        if bad:
            raise BlockedAddressError(
                f"refused: {host} resolves to non-public address {', '.join(bad)} "
                "(set http.allow_private_addresses = true to allow)"
            )
    return [str(a) for a in parsed]


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, but every TCP connect goes through the address check."""

    def __init__(self, *, allow_private: bool, allowed_networks: Iterable[str] = ()) -> None:
        super().__init__()
        self._allow_private = allow_private
        self._networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except OSError as exc:
            # httpcore maps ConnectError to httpx.ConnectError -> a temporary failure
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        candidates = allowed_addresses(
            host, addresses, allow_private=self._allow_private, allowed_networks=self._networks
        )
        last_error: Exception | None = None
        for address in candidates:
            try:
                return super().connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


def check_proxied_target(host: str, port: int, *, allow_private: bool, allowed_networks: Iterable[str] = ()) -> None:
    """The SSRF check for a request sent through a proxy; raises BlockedAddressError.

    The socket layer then only sees the proxy's address (the operator's own choice, often private), so the
    target is checked here before the request: an IP literal always, a name when our resolver can resolve
    it. A name it cannot resolve (a network whose only way out is the proxy) is left to the proxy and its
    own rules. The proxy resolves the name again, so this narrows but does not close a DNS-rebinding window.
    """
    if allow_private:
        return
    try:
        addresses = [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        try:
            addresses = resolve(host, port)
        except OSError:
            return
    networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
    allowed_addresses(host, addresses, allow_private=False, allowed_networks=networks)
