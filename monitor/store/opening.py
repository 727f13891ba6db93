"""Which backend holds the store: the SQLite file, or PostgreSQL when [storage] url is set."""

from __future__ import annotations

from pathlib import Path

from monitor.store.database import Store
from monitor.store.outbox_store import Outbox


def open_store(
    path: Path, url: str | None = None, *, read_only: bool = False, lease_seconds: float | None = None
) -> Store:
    """The Store at `url` (PostgreSQL) when given, else the SQLite file at `path`; read_only: see Store;
    lease_seconds: how long a PostgreSQL worker holds a feed it claimed ([storage] lease_seconds)."""
    if url:
        # imported here so that a SQLite-only install never loads psycopg
        from monitor.store.postgres.store import PostgresStore

        if lease_seconds is None:
            return PostgresStore(url, read_only=read_only)
        return PostgresStore(url, lease_seconds=lease_seconds, read_only=read_only)
    return Store(path, read_only=read_only)


def open_postgres_outbox(url: str) -> Outbox:
    """The outbox of the PostgreSQL database at `url`, for a dispatcher that shares it with other workers."""
    from monitor.store.postgres.outbox import PostgresOutbox

    return PostgresOutbox(url)
