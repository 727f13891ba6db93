"""Reusable checks for setting values: each returns an error message, or None when the value is fine.

They run after the value's type is checked, so they can assume it (a number, a string, a list).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Check = Callable[[Any], str | None]

_HTTP_URL = re.compile(r"^https?://[^\s/]+")
_HH_MM = re.compile(r"(\d{1,2}):(\d{2})")


def positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def at_least(minimum: float) -> Check:
    def check(value: Any) -> str | None:
        return None if value >= minimum else f"must be at least {minimum:g}, got {value:g}"

    return check


def between(low: float, high: float, *, above_low: bool = False) -> Check:
    """low <= value <= high (low < value when above_low)."""

    def check(value: Any) -> str | None:
        ok = (value > low if above_low else value >= low) and value <= high
        opening = f"> {low:g}" if above_low else f"at least {low:g}"
        return None if ok else f"must be {opening} and at most {high:g}, got {value:g}"

    return check


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}, got {value!r}"

    return check


def non_empty(value: Any) -> str | None:
    return None if value.strip() else "must not be empty"


def http_url(value: Any) -> str | None:
    return None if _HTTP_URL.match(value) else f"must be an http(s) URL, got {value!r}"


def optional_http_url(value: Any) -> str | None:
    return None if value == "" else http_url(value)


def time_zone(value: Any) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r}"
    return None


def hh_mm(value: Any) -> str | None:
    match = _HH_MM.fullmatch(value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        return f"expected HH:MM (24 h), got {value!r}"
    return None


def cidr(value: Any) -> str | None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        return f"bad network {value!r}: {exc}"
    return None


def cidr_list(value: Any) -> str | None:
    return next((problem for net in value if (problem := cidr(net))), None)


def e_mail(value: Any) -> str | None:
    if "@" not in value or any(c in value for c in "\r\n"):
        return f"not an e-mail address: {value!r}"
    return None
