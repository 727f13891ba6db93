"""Standard Webhooks signatures (https://www.standardwebhooks.com/). Pure functions, no I/O.

signature = "v1," + base64(HMAC-SHA256(key, f"{msg_id}.{timestamp}.{body}")), where key is the raw bytes
behind the endpoint's `whsec_` secret. Several signatures (one per key, space-separated) let a receiver
rotate secrets without dropping messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence

# A receiver should refuse timestamps further than this from its clock (replay protection).
DEFAULT_TOLERANCE_SECONDS = 300


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(k, msg_id, timestamp, body) for k in keys)


def webhook_headers(keys: Sequence[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(keys, msg_id, timestamp, body),
    }


def verify(
    key: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: int,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: recompute, compare in constant time against any v1 signature, check the age."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id", "")
    ts_raw = lower.get("webhook-timestamp", "")
    if not msg_id or not ts_raw.isdigit() or abs(now - int(ts_raw)) > tolerance:
        return False
    expected = sign(key, msg_id, int(ts_raw), body).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in lower.get("webhook-signature", "").split()
        if candidate.startswith("v1,")
    )
