"""The project's exception types; the CLI turns them into one clear message and a non-zero exit."""

from __future__ import annotations


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
