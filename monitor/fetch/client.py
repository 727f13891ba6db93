"""The one HTTP client: timeouts, size caps, conditional GET, politeness, one exception -> status map.

Redirects are followed by hand (not by httpx) so every hop goes through the host gate and the redirect
limit; the SSRF check itself lives in the socket layer (ssrf.GuardedBackend), so it covers every hop too.
Through a proxy ([http] use_env_proxy) the socket only reaches the proxy, so each hop's target is checked
before its request instead (ssrf.check_proxied_target).
Bodies are read raw and inflated here with a cap on the output, because httpx inflates a whole network
chunk at once and a 64 KiB chunk of a gzip bomb is tens of megabytes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpcore
import httpx

from monitor.errors import (
    BadContentEncoding,
    BadRedirect,
    BodyTooLarge,
    FetchError,
    RequestWithdrawn,
    TooManyRedirects,
    TotalTimeout,
    TruncatedBody,
    UnsupportedURL,
)
from monitor.fetch.hosts import HostGate, HostPaused, SlotTicket
from monitor.fetch.proxies import NO_PROXIES, routes_from_environment
from monitor.fetch.rules import (
    DEFAULT_429_PAUSE_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    REDIRECT_CODES,
    parse_retry_after,
    status_for_http,
)
from monitor.fetch.ssrf import GuardedBackend, check_proxied_target
from monitor.models import FetchResult, FetchStatus
from monitor.settings.sections import HttpSettings

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"



# --- failures: every way a fetch can fail is mapped to a status in `classify_exception` only ---------


def classify_exception(exc: BaseException) -> tuple[FetchStatus, str]:
    """The single place where an exception becomes TEMPORARY / SOFT / HARD plus a readable reason."""
    if isinstance(exc, FetchError):  # ours, host gate and SSRF refusals included: each carries its status
        return exc.status, str(exc)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchStatus.HARD, f"bad URL: {exc}"
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchStatus.TEMPORARY, f"connect timed out: {exc}".rstrip(": ")
    if isinstance(exc, httpx.ReadTimeout):
        return FetchStatus.TEMPORARY, "read timed out (server went silent)"
    if isinstance(exc, httpx.TimeoutException):
        return FetchStatus.TEMPORARY, f"timed out: {type(exc).__name__}"
    if isinstance(exc, httpx.ConnectError):
        return FetchStatus.TEMPORARY, f"cannot connect: {exc}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchStatus.TEMPORARY, f"server broke the HTTP exchange: {exc}"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return FetchStatus.TEMPORARY, f"connection lost: {exc or type(exc).__name__}"
    if isinstance(exc, httpx.DecodingError):
        return FetchStatus.SOFT, f"cannot decode response: {exc}"
    if isinstance(exc, httpx.TransportError):
        return FetchStatus.TEMPORARY, f"network error: {type(exc).__name__}: {exc}"
    # Unknown: retry later rather than give up on the feed; the traceback is logged by the caller.
    return FetchStatus.TEMPORARY, f"unexpected error: {type(exc).__name__}: {exc}"


# --- bounded decompression -----------------------------------------------------------------------


class _Inflater:
    """Streaming gzip/deflate decoder that never produces more than it is allowed to."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._first = True
        self._obj: Any = None
        if coding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._obj = zlib.decompressobj(zlib.MAX_WBITS)
        elif coding not in ("", "identity"):
            raise BadContentEncoding(f"unsupported Content-Encoding {coding!r}")

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode `data`, returning at most `limit` bytes; exactly `limit` means the cap was hit."""
        if self._obj is None:
            return data[:limit]
        try:
            out: bytes = self._obj.decompress(data, limit)
        except zlib.error as exc:
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate
            if self._coding == "deflate" and self._first:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self.feed(data, limit)
            raise BadContentEncoding(f"corrupt {self._coding} body: {exc}") from exc
        self._first = False
        return out

    def finish(self, limit: int) -> bytes:
        if self._obj is None:
            return b""
        try:
            rest = bytes(self._obj.flush(limit)) if limit > 0 else b""
        except zlib.error as exc:
            raise BadContentEncoding(f"corrupt {self._coding} body: {exc}") from exc
        if not self._obj.eof and not self._first:
            # zlib does not complain about a stream that simply stops: the connection closed early
            raise TruncatedBody(f"{self._coding} body ended before the end of the compressed stream")
        return rest


# --- the client ----------------------------------------------------------------------------------


class _SetCookiesOnly(httpx.Cookies):
    """A cookie jar that reads a response only when it sets a cookie: http.cookiejar finds nothing
    without a Set-Cookie header, but wrapping every response and request for it costs ~5% of the
    daemon's main-process CPU."""

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


class _Client(httpx.Client):
    """httpx.Client keeping its cookies in a _SetCookiesOnly jar (its own setter would make a plain one)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = httpx.Cookies()  # through the setter below (the client starts with no cookies)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._received_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # what httpx.Client(cookies=...) takes
        self._received_cookies = _SetCookiesOnly(cookies)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with our socket backend (SSRF check on every connect)."""

    def __init__(self, *, allow_private: bool, allowed_networks: tuple[str, ...], max_connections: int) -> None:
        super().__init__(trust_env=False)
        # HTTPTransport has no parameter for the network backend, so the pool is rebuilt with one.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow_private=allow_private, allowed_networks=allowed_networks),
        )


class Fetcher:
    """Thread-safe: httpx.Client and HostGate both lock internally; no other state is mutated."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`transport` replaces the network (tests pass httpx.MockTransport); by default every connect goes
        through the SSRF check. The host gate, redirect limit and body caps apply either way."""
        self.settings = settings or HttpSettings()
        self._clock = clock
        self._gate = HostGate(
            concurrency=self.settings.per_host_concurrency,
            min_interval=self.settings.per_host_min_interval,
            clock=clock,
            sleep=sleep,
        )
        if transport is None:
            transport = _GuardedTransport(
                allow_private=self.settings.allow_private_addresses,
                allowed_networks=self.settings.allowed_networks,
                max_connections=100,
            )
        headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"}
        self._client = _Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # no proxies or .netrc from the environment unless the config says so
            headers=headers,
        )
        # Proxies are routed here, not by httpx's trust_env, so one rule (proxy_for) decides both the route
        # and whether the target needs the pre-request SSRF check.
        self._routes = routes_from_environment(os.environ) if self.settings.use_env_proxy else NO_PROXIES
        self._proxied = {
            proxy: _Client(
                transport=httpx.HTTPTransport(proxy=proxy, trust_env=False),
                follow_redirects=False,
                trust_env=False,
                headers=headers,
            )
            for proxy in self._routes.proxies
        }
        self._closed = threading.Event()

    @property
    def gate(self) -> HostGate:
        """The per-host politeness state, for the scheduler to see which hosts are paused."""
        return self._gate

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._client.close()
            for client in self._proxied.values():
                client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
        before_request: Callable[[], bool] | None = None,
    ) -> FetchResult:
        """GET `url`; never raises. Every failure comes back as a FetchResult with status and error.

        `before_request` is asked once the host's politeness slot is held, just before each request goes
        out; False withdraws the fetch (FetchResult.withdrawn): waiting for the slot may have outlasted
        the caller's claim on what it fetches."""
        hops = [url]
        try:
            return self._fetch(url, hops, etag=etag, last_modified=last_modified, accept=accept,
                               before_request=before_request)
        except RequestWithdrawn as exc:
            return FetchResult(url=url, final_url=hops[-1], status=exc.status, error=str(exc), withdrawn=True)
        except Exception as exc:
            status, error = classify_exception(exc)
            if error.startswith("unexpected error"):
                log.exception("fetch %s failed unexpectedly", url)
            retry_after = exc.remaining if isinstance(exc, HostPaused) and exc.remaining > 0 else None
            return FetchResult(url=url, final_url=hops[-1], status=status, error=error, retry_after_seconds=retry_after)

    def _fetch(
        self, url: str, hops: list[str], *, etag: str | None, last_modified: str | None, accept: str,
        before_request: Callable[[], bool] | None,
    ) -> FetchResult:
        s = self.settings
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline: float | None = None
        while True:
            target = _checked_url(hops[-1])
            host = target.host
            client = self._client_for(target)
            with self._gate.slot(host, max_wait=s.total_timeout) as ticket:
                now = self._clock()
                # the total budget starts once we may talk to the host, not while queued for politeness
                deadline = now + s.total_timeout if deadline is None else deadline
                remaining = deadline - now
                if remaining <= 0:
                    raise TotalTimeout(f"total timeout of {s.total_timeout:g}s exceeded (redirects)")
                if before_request is not None and not before_request():
                    raise RequestWithdrawn(f"withdrawn before requesting {hops[-1]}")
                timeout = httpx.Timeout(
                    connect=min(s.connect_timeout, remaining),
                    read=min(s.read_timeout, remaining),
                    write=min(s.read_timeout, remaining),
                    pool=min(s.connect_timeout, remaining),
                )
                request = client.build_request(
                    "GET", target, headers=headers, timeout=timeout, extensions={"trace": _start_tracer(ticket)}
                )
                response = client.send(request, stream=True)
                try:
                    if response.status_code in REDIRECT_CODES:
                        location = response.headers.get("location")
                        if not location:
                            raise BadRedirect(f"HTTP {response.status_code} redirect without a Location")
                        if len(hops) > s.max_redirects:
                            raise TooManyRedirects(
                                f"more than {s.max_redirects} redirects (last: {hops[-1]} -> {location})"
                            )
                        hops.append(str(target.join(location)))
                        continue
                    return self._finish(url, hops[-1], host, response, deadline)
                finally:
                    response.close()

    def _client_for(self, target: httpx.URL) -> httpx.Client:
        proxy = self._routes.proxy_for(target.scheme, target.host)
        if proxy is None:
            return self._client  # direct: the socket layer checks the address it connects to
        s = self.settings
        check_proxied_target(target.host, target.port or (443 if target.scheme == "https" else 80),
                             allow_private=s.allow_private_addresses, allowed_networks=s.allowed_networks)
        return self._proxied[proxy]

    def _finish(self, url: str, final_url: str, host: str, response: httpx.Response, deadline: float) -> FetchResult:
        code = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        status = status_for_http(code)
        retry_after = parse_retry_after(headers.get("retry-after"), datetime.now(UTC), cap=MAX_RETRY_AFTER_SECONDS)
        if code in (429, 503):
            pause = retry_after
            if pause is None:
                pause = DEFAULT_429_PAUSE_SECONDS if code == 429 else 0.0
            if pause > 0:
                self._gate.pause(host, pause)
                retry_after = pause
        common: dict[str, Any] = {
            "url": url,
            "final_url": final_url,
            "http_status": code,
            "headers": headers,
            "etag": etag,
            "last_modified": last_modified,
            "retry_after_seconds": retry_after,
        }
        if status is FetchStatus.NOT_MODIFIED:  # no body read, nothing to parse
            return FetchResult(status=status, **common)
        if status is not FetchStatus.OK:
            reason = response.reason_phrase or ""
            return FetchResult(status=status, error=f"HTTP {code} {reason}".strip(), **common)
        body = self._read_body(response, headers, deadline)
        return FetchResult(status=FetchStatus.OK, body=body, **common)

    def _read_body(self, response: httpx.Response, headers: Mapping[str, str], deadline: float) -> bytes:
        cap = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(f"body of {int(declared)} bytes exceeds max_body_bytes={cap} (Content-Length)")
        inflater = _Inflater(headers.get("content-encoding", "identity").strip().lower())
        body = bytearray()
        wire = 0
        # no chunk_size: httpx would otherwise wait to fill it, and a slow drip could outlive the deadline
        for chunk in response.iter_raw():
            wire += len(chunk)
            if wire > cap:
                raise BodyTooLarge(f"body exceeds max_body_bytes={cap} (cut off while streaming)")
            # ask for one byte more than allowed: getting it back means the cap was exceeded
            out = inflater.feed(chunk, cap - len(body) + 1)
            body += out
            if len(body) > cap:
                raise BodyTooLarge(f"decompressed body exceeds max_body_bytes={cap} (compression bomb?)")
            if self._clock() > deadline:
                raise TotalTimeout(f"total timeout of {self.settings.total_timeout:g}s exceeded while reading the body")
        body += inflater.finish(cap - len(body) + 1)
        if len(body) > cap:
            raise BodyTooLarge(f"decompressed body exceeds max_body_bytes={cap} (compression bomb?)")
        return bytes(body)


def _start_tracer(ticket: SlotTicket) -> Callable[[str, dict[str, Any]], None]:
    """httpcore trace hook: tells the host gate when the request headers are on the wire."""

    def trace(event: str, _info: dict[str, Any]) -> None:
        if event == "http11.send_request_headers.complete":
            ticket.started()

    return trace


def _checked_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsupportedURL(f"bad URL {url!r}: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise UnsupportedURL(f"unsupported URL scheme {parsed.scheme!r} in {url!r} (only http and https)")
    if not parsed.host:
        raise UnsupportedURL(f"URL without a host: {url!r}")
    return parsed
