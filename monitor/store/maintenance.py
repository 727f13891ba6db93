"""Keeping the one SQLite file healthy, copied and within bounds: check, online backup, retention.

`check_database` and `backup_database` open the file with a plain connection and never migrate it, so
they are safe on a database the daemon has open (WAL: readers and one writer coexist) and on one from a
newer version.

Retention (`prune_texts`): the store keeps no HTML, so what ages out is the *text* of articles nobody
will need again — older than N days, not in the corpus, not a seed, no topic match, no alert. Their row,
title, URL and decision stay (counts, near-copy history and `monitor status` are unchanged); their search
entry keeps the title only.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from monitor.errors import MonitorError
from monitor.store import search
from monitor.store.connection import disk_space_note, open_uri
from monitor.store.migrations import LATEST_VERSION, schema_version
from monitor.store.times import format_time

BUSY_TIMEOUT = 10.0  # seconds to wait for another process's lock before saying the database is locked


def explain(exc: sqlite3.Error, path: Path) -> str:
    """What a database error means for the operator, with what to do about it."""
    text = str(exc) + disk_space_note(path)
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another process ({text}); try again when it is released"
    if "full" in text:
        return f"{text}; free space and run again: nothing was replaced"
    if "not a database" in text or "malformed" in text:
        return f"database {path} is damaged ({text}); restore the latest `monitor db backup`"
    return f"database {path}: {text}"


# -- check ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def check_database(path: Path, quick: bool = False) -> list[Finding]:
    """Every check, each with its verdict; a damaged file is a failed finding, not an exception
    (except "locked", which says nothing about the file and is raised for the caller to explain)."""
    findings: list[Finding] = []
    # read-write only so that FTS5's integrity-check command is accepted; nothing here writes
    mode = "rw" if os.access(path, os.W_OK) else "ro"
    conn = open_uri(path, mode, BUSY_TIMEOUT)
    pragma = "quick_check" if quick else "integrity_check"
    checks: list[tuple[str, Callable[[sqlite3.Connection], list[Finding]]]] = [
        (pragma, lambda c: _check_pages(c, pragma)),
        ("foreign_key_check", _check_foreign_keys),
        ("schema", _check_schema),
        ("json", _check_json),
        ("search index", _check_search),
    ]
    try:
        for name, check in checks:
            try:
                findings.extend(check(conn))
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise
                findings.append(Finding(name, False, explain(exc, path)))
            except sqlite3.DatabaseError as exc:  # malformed pages, not a database: report and go on
                findings.append(Finding(name, False, explain(exc, path)))
    finally:
        conn.close()
    return findings


def _check_pages(conn: sqlite3.Connection, pragma: str) -> list[Finding]:
    rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}")]
    return [Finding(pragma, rows == ["ok"], "ok" if rows == ["ok"] else "; ".join(rows[:10]))]


def _check_foreign_keys(conn: sqlite3.Connection) -> list[Finding]:
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    detail = "; ".join(f"{table} row {rowid} points at a missing {parent}" for table, rowid, parent, _ in broken[:10])
    if len(broken) > 10:
        detail += f" (and {len(broken) - 10} more)"
    return [Finding("foreign_key_check", not broken, detail or "ok")]


def _check_schema(conn: sqlite3.Connection) -> list[Finding]:
    version, latest = schema_version(conn), LATEST_VERSION
    if version > latest:
        return [Finding("schema", False, f"version {version} is newer than this program knows "
                                         f"({latest}): upgrade monitor before running it")]
    note = "" if version == latest else f" (upgraded to {latest} at the next start)"
    return [Finding("schema", True, f"version {version}{note}")]


def _check_json(conn: sqlite3.Connection) -> list[Finding]:
    """Rows whose JSON the dispatcher or `monitor check` would choke on: named, so they can be fixed."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    out = []
    for table, key, column in (("decisions", "article_id", "topics_json"), ("alerts", "id", "evidence")):
        if table not in tables:
            continue
        bad = [r[0] for r in conn.execute(f"SELECT {key} FROM {table} WHERE json_valid({column}) = 0 LIMIT 10")]
        out.append(Finding(f"{table}.{column}", not bad, "valid JSON" if not bad else
                           f"not valid JSON in {table} {', '.join(bad)}"))
    return out


def _check_search(conn: sqlite3.Connection) -> list[Finding]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (search.DOCS_TABLE,)).fetchone():
        return [Finding("search index", True, "not created yet (made at the next start)")]
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    indexed = conn.execute(
        f"SELECT count(*) FROM {search.DOCS_TABLE} s JOIN articles a ON a.id = s.article_id").fetchone()[0]
    try:
        # FTS5's own consistency check of its index against its stored content
        conn.execute(f"INSERT INTO {search.FTS_TABLE} ({search.FTS_TABLE}) VALUES ('integrity-check')")
        fts_ok, fts_detail = True, "ok"
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc):
            raise
        fts_ok, fts_detail = True, "skipped (database file is read-only)"
    except sqlite3.DatabaseError as exc:  # SQLITE_CORRUPT_VTAB: the index disagrees with its content
        fts_ok, fts_detail = False, f"{exc}: run `monitor search --rebuild-index`"
    return [
        Finding("search index", indexed == articles,
                f"{indexed} of {articles} articles indexed"
                + ("" if indexed == articles else ": run `monitor search --rebuild-index`")),
        Finding("search index integrity", fts_ok, fts_detail),
    ]


# -- backup ---------------------------------------------------------------------------------------


def backup_database(source: Path, dest: Path, pages_per_step: int = 1024) -> int:
    """Copy a live database with SQLite's online backup API; returns the page count.

    Written to DEST.partial, checked, then renamed: DEST is either the old file or a complete copy,
    never half of one (a full disk or a kill mid-way leaves DEST untouched).
    """
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    src = open_uri(source, "ro", BUSY_TIMEOUT)
    try:
        # A read transaction held for the whole copy: in WAL mode writers go on, and the copy is the
        # snapshot taken here instead of restarting each time the daemon commits. Taking it waits at most
        # BUSY_TIMEOUT for a process that holds the file exclusively.
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(str(partial))
        try:
            src.backup(dst, pages=pages_per_step, sleep=0.005, progress=_give_up_when_busy())
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
            dst.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file, no -wal beside it
        finally:
            dst.close()
        if verdict != "ok":
            raise MonitorError(f"the backup failed its check ({verdict}); {dest} left unchanged")
        os.replace(partial, dest)
        return pages
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()


def _give_up_when_busy() -> Callable[[int, int, int], None]:
    """A progress callback that ends a backup stuck on a lock: Python's backup() retries SQLITE_BUSY and
    SQLITE_LOCKED forever, and an exception from the callback is the only way out."""
    busy_since: list[float] = []

    def progress(status: int, remaining: int, total: int) -> None:
        if status not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            busy_since.clear()
            return
        now = time.monotonic()
        busy_since[:] = busy_since or [now]
        if now - busy_since[0] > BUSY_TIMEOUT:
            raise sqlite3.OperationalError(f"database is locked (the backup waited {BUSY_TIMEOUT:g} s)")

    return progress


# -- retention ------------------------------------------------------------------------------------

_PRUNABLE = (
    "SELECT a.id, a.title FROM articles a LEFT JOIN decisions d ON d.article_id = a.id"
    " WHERE a.seen_at < ? AND a.is_seed = 0 AND a.in_corpus = 0 AND (a.text != '' OR a.summary != '')"
    " AND COALESCE(d.matched_topics, '') = ''"
    " AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.article_id = a.id)"
)


def prune_texts(conn: sqlite3.Connection, older_than_days: int, now: datetime, dry_run: bool = False,
                on_progress: Callable[[int, int], None] | None = None) -> int:
    """Clear the text of articles past retention (see the module doc); returns how many.

    Runs in the caller's transaction. The daemon runs this once a day when [ops] retention_days > 0.
    """
    cutoff = format_time(now - timedelta(days=older_than_days))
    rows = conn.execute(_PRUNABLE, (cutoff,)).fetchall()
    if dry_run:
        return len(rows)
    for done, (article_id, title) in enumerate(rows, start=1):
        conn.execute("UPDATE articles SET text = '', summary = '' WHERE id = ?", (article_id,))
        search.index_article(conn, article_id, title or "", "")
        if on_progress is not None:
            on_progress(done, len(rows))  # (cleared so far, to clear)
    return len(rows)
