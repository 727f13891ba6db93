"""The advisory lock keys the workers share: one number per job that must run on one worker at a time."""

from __future__ import annotations

import zlib


def lock_key(name: str) -> int:
    """A stable 32-bit key for `name` (the same in every process, unlike hash())."""
    return zlib.crc32(f"monitor:{name}".encode())


MIGRATION_LOCK = lock_key("migrate")
DECIDE_LOCK = lock_key("decide")  # a near-copy check and the write it decides, one worker at a time
