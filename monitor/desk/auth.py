"""Who is asking: users log in with a password (argon2 hashes from the config), programs send an API token
(its SHA-256 digest in the config). Every form carries a CSRF token bound to the session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from monitor.settings.desk import DeskSettings

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked when the user name is unknown, so a wrong name costs as long as a wrong password. Made at the
    first login, not at import: every `monitor` process imports this module, and an argon2 hash costs CPU
    and 64 MiB."""
    return _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Principal:
    name: str  # user name, "token:NAME" for an API token, "local" on an open loopback desk
    role: str  # "viewer" or "editor"

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


LOCAL = Principal("local", "editor")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(settings: DeskSettings, name: str, password: str) -> Principal | None:
    dummy = _dummy_hash()  # before the name is looked up: the first login costs the same either way
    user = next((u for u in settings.users if u.name == name), None)
    try:
        _hasher.verify(user.password_hash if user else dummy, password)
    except (VerificationError, InvalidHashError):
        return None
    return Principal(user.name, user.role) if user else None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_token(settings: DeskSettings, authorization: str | None) -> Principal | None:
    """The principal of an `Authorization: Bearer <token>` header, or None."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    digest = token_digest(authorization[7:].strip())
    found = None
    for token in settings.tokens:  # compare with every one: the time taken says nothing about which
        if hmac.compare_digest(digest, token.sha256):
            found = token
    return Principal(f"token:{found.name}", found.role) if found else None


def session_principal(settings: DeskSettings, session: MutableMapping[str, Any]) -> Principal | None:
    """The logged-in user, if the session names one still configured (a removed user is logged out)."""
    name = session.get("user")
    user = next((u for u in settings.users if u.name == name), None)
    return Principal(user.name, user.role) if user else None


def csrf_token(session: MutableMapping[str, Any]) -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def csrf_ok(session: MutableMapping[str, Any], submitted: object) -> bool:
    expected = session.get("csrf")
    return isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)
