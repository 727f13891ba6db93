"""The project's exception types, one tree under MonitorError; the CLI turns them into one clear message
and a non-zero exit.

    MonitorError
        ConfigError         a config value is missing, unknown or wrong
        FetchError          an HTTP fetch failed; `status` says whether to retry (see fetch/client.py)
            HostPaused, HostBusy        (fetch/hosts.py)
            BlockedAddressError         (fetch/ssrf.py)
            BodyTooLarge, TooManyRedirects, BadRedirect, UnsupportedURL, BadContentEncoding,
            TotalTimeout, TruncatedBody
        FeedError           a feed, sitemap or OPML body could not be read
            OpmlError                   (parse/opml.py)
        ExtractionError     an article page gave no usable text
        StoreError          the database cannot be opened or written (store/database.py)
        OpsBindError        the ops endpoint cannot listen (runtime/ops_http.py)
"""

from __future__ import annotations

from monitor.models import FetchStatus


class MonitorError(Exception):
    """Base class for errors the user should see as one clear line."""


class ConfigError(MonitorError):
    """A config value is missing, unknown or wrong. `key` is the dotted path, e.g. topics.nato_iraq.threshold."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config error at '{key}': {message}")
        self.key = key
        self.message = message


class FeedError(MonitorError):
    """A feed body could not be read as a feed (malformed XML, HTML page, empty body)."""


class ExtractionError(MonitorError):
    """An article page gave no usable text."""


class FetchError(MonitorError):
    """One fetch failed; `status` is what the failure means for polling (the Fetcher never raises it)."""

    status: FetchStatus = FetchStatus.TEMPORARY


class BodyTooLarge(FetchError):
    status = FetchStatus.HARD


class TooManyRedirects(FetchError):
    status = FetchStatus.SOFT


class BadRedirect(FetchError):
    status = FetchStatus.SOFT


class UnsupportedURL(FetchError):
    status = FetchStatus.HARD


class BadContentEncoding(FetchError):
    status = FetchStatus.SOFT


class RequestWithdrawn(FetchError):
    """The caller's check just before the request said not to make it (a feed another worker now polls)."""

    status = FetchStatus.TEMPORARY


class TotalTimeout(FetchError):
    status = FetchStatus.TEMPORARY


class TruncatedBody(FetchError):
    status = FetchStatus.TEMPORARY
