"""Which proxy a request goes through when [http] use_env_proxy is on: HTTPS_PROXY / HTTP_PROXY /
ALL_PROXY name it, NO_PROXY lists hosts that go direct (curl's conventions, lower case wins)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ProxyRoutes:
    by_scheme: Mapping[str, str]  # "http" / "https" -> proxy URL
    no_proxy: tuple[str, ...] = ()  # host names (a suffix matches its subdomains), IPs or CIDR blocks

    @property
    def proxies(self) -> set[str]:
        return set(self.by_scheme.values())

    def proxy_for(self, scheme: str, host: str) -> str | None:
        """The proxy URL for a request to `host` over `scheme`, or None: connect directly."""
        proxy = self.by_scheme.get(scheme)
        if proxy is None or any(_bypasses(entry, host.lower()) for entry in self.no_proxy):
            return None
        return proxy


NO_PROXIES = ProxyRoutes({})


def routes_from_environment(environ: Mapping[str, str]) -> ProxyRoutes:
    def variable(name: str) -> str:
        return (environ.get(name.lower()) or environ.get(name.upper()) or "").strip()

    fallback = variable("all_proxy")
    by_scheme = {scheme: url for scheme in ("http", "https") if (url := variable(f"{scheme}_proxy") or fallback)}
    no_proxy = tuple(e.strip().lower() for e in variable("no_proxy").split(",") if e.strip())
    return ProxyRoutes({s: _with_scheme(u) for s, u in by_scheme.items()}, no_proxy)


def _with_scheme(url: str) -> str:
    return url if "://" in url else f"http://{url}"  # HTTP_PROXY=host:3128 is common and means http


def _bypasses(entry: str, host: str) -> bool:
    if entry == "*":
        return True
    entry = entry.removeprefix("*").removeprefix(".")
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        host_name = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry  # drop a port
        return host == host_name or host.endswith("." + host_name)
    try:
        return ipaddress.ip_address(host.strip("[]")) in network
    except ValueError:
        return False
