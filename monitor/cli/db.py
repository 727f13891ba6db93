"""`monitor db check|backup|prune|copy`: keep the one SQLite file healthy, copied and within bounds, and move
a database between SQLite and PostgreSQL.

The work is in monitor.store.maintenance; this module parses the arguments and prints the outcome.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.cli.progress import Progress
from monitor.errors import MonitorError
from monitor.store.connection import DatabaseError, StoreError
from monitor.store.maintenance import backup_database, check_database, explain


def _database_path(args: argparse.Namespace) -> Path:
    """The configured SQLite file; check and backup work on such a file, so a PostgreSQL database is refused."""
    from monitor.settings.config import load_config

    config = load_config(args.config)
    if config.database_url:
        raise MonitorError(f"`monitor db {args.db_command}` works on a SQLite file, and [storage] url names a "
                           "PostgreSQL database: use pg_dump for backups and PostgreSQL's amcheck for checks, "
                           "or `monitor db copy` to a SQLite file")
    path = config.database_path
    if not path.exists():
        raise MonitorError(f"no database at {path}")
    return path


def cmd_check(args: argparse.Namespace) -> int:
    path = _database_path(args)
    try:
        findings = check_database(path, quick=args.quick)
    except DatabaseError as exc:
        raise MonitorError(explain(exc, path)) from None
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.check}: {finding.detail}")
    bad = [f for f in findings if not f.ok]
    print(f"{path}: {'healthy' if not bad else f'{len(bad)} problem(s)'}")
    return 0 if not bad else 1


def cmd_backup(args: argparse.Namespace) -> int:
    path = _database_path(args)
    dest = Path(args.dest)
    if dest.is_dir():
        dest = dest / f"{path.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}{path.suffix or '.db'}"
    if dest.exists() and not args.force:
        raise MonitorError(f"{dest} exists (use --force to replace it)")
    if dest.resolve() == path.resolve():
        raise MonitorError("the backup must not overwrite the database itself")
    started = time.monotonic()
    try:
        pages = backup_database(path, dest)
    except DatabaseError as exc:
        raise MonitorError(explain(exc, path)) from None
    except OSError as exc:
        raise MonitorError(f"cannot write the backup {dest}: {exc.strerror or exc}") from None
    size = dest.stat().st_size
    print(f"backed up {path} to {dest}: {pages} pages, {size / 1e6:.1f} MB in "
          f"{time.monotonic() - started:.1f} s, quick_check ok")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from monitor.settings.config import load_config
    from monitor.store.opening import open_store

    days = args.older_than_days
    if days is None:
        days = load_config(args.config).ops.retention_days
        if days <= 0:
            raise MonitorError("[ops] retention_days is 0 (keep every text): set it in the config, or give "
                               "--older-than-days N")
    elif days < 0:
        raise MonitorError(f"--older-than-days must be 0 or more, not {days}")
    config = load_config(args.config)
    path = config.database_path
    if not config.database_url and not path.exists():
        raise MonitorError(f"no database at {path}")
    store = open_store(path, config.database_url)
    try:
        with Progress("db prune", None) as bar:
            def cleared(done: int, total: int) -> None:
                if bar.total != total:
                    bar.set_total(total)
                bar.update(done)

            count = store.prune_texts(days, datetime.now(UTC), dry_run=args.dry_run, on_progress=cleared)
    except KeyboardInterrupt:
        print("db prune interrupted: nothing was cleared (the prune is one transaction, rolled back)",
              file=sys.stderr)
        return 130
    except DatabaseError as exc:
        raise MonitorError(explain(exc, path)) from None
    finally:
        store.close()
    verb = "would clear" if args.dry_run else "cleared"
    print(f"{verb} the text of {count} articles older than {days} days "
          "(no match, no alert, not in the corpus); titles, URLs and decisions kept")
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    from monitor.store.copy import CopyError, copy_database

    bars: dict[str, Progress] = {}

    def progressed(table: str, done: int, total: int) -> None:
        if args.quiet:
            return
        if table not in bars:
            for bar in bars.values():
                bar.close()
            bars[table] = Progress(f"db copy {table}", total, unit="rows")
        bars[table].update(done)

    started = time.monotonic()
    try:
        report = copy_database(args.src, args.dest, on_progress=progressed)
    except KeyboardInterrupt:
        print("db copy interrupted: the batches written so far are kept; run the same command again to "
              "finish the copy (rows already copied are skipped)", file=sys.stderr)
        return 130
    except (CopyError, StoreError) as exc:
        raise MonitorError(f"db copy: {exc}") from None
    finally:
        for bar in bars.values():
            bar.close()
    written = sum(t.written for t in report.tables)
    rows = sum(t.destination_rows for t in report.tables)
    for name, why in report.skipped:
        print(f"skipped {name}: {why}")
    for table in report.mismatched:
        print(f"FAIL  {table.name}: {table.source_rows} rows in the source, {table.destination_rows} in the "
              "destination", file=sys.stderr)
    if report.mismatched:
        print(f"db copy: {len(report.mismatched)} table(s) differ in row count: the destination is not a "
              "copy of the source (was the source written to during the copy, or did the destination "
              "already hold rows?)", file=sys.stderr)
        return 1
    print(f"copied {len(report.tables)} tables, {rows} rows ({written} written by this run) in "
          f"{time.monotonic() - started:.1f} s; search index rebuilt for {report.search_indexed} articles; "
          "row counts equal")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    from monitor.cli.options import add_global_options

    db = subparsers.add_parser("db", help="check, back up, prune and copy the database",
                               description="Maintenance of the SQLite database, and copying a database "
                                           "between SQLite and PostgreSQL.")
    add_global_options(db)
    sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    check = sub.add_parser("check", help="integrity, foreign keys, schema version, damaged rows, search index",
                           description="Run SQLite's integrity_check (or quick_check), foreign_key_check, "
                                       "the schema version, JSON validity of decisions and alerts, and the "
                                       "search index. Read-only; exit 1 when something is wrong.")
    check.add_argument("--quick", action="store_true", help="quick_check instead of the full integrity_check")
    add_global_options(check)
    check.set_defaults(func=cmd_check)

    backup = sub.add_parser("backup", help="consistent copy of the live database (SQLite online backup)",
                            description="Copy the database while the daemon runs, with SQLite's online "
                                        "backup API, then quick_check the copy. DEST is a file, or a folder "
                                        "to put a time-stamped file in.")
    backup.add_argument("dest", metavar="DEST")
    backup.add_argument("--force", action="store_true", help="replace DEST if it exists")
    add_global_options(backup)
    backup.set_defaults(func=cmd_backup)

    prune = sub.add_parser("prune", help="clear the text of old articles that matched nothing",
                           description="Retention: clear the text and summary of articles older than N days "
                                       "that matched no topic, raised no alert and are not in the corpus. "
                                       "Rows, titles, URLs and decisions stay. N defaults to the config's "
                                       "[ops] retention_days, as the daemon applies it daily.")
    prune.add_argument("--older-than-days", type=int, metavar="N",
                       help="age in days (default: [ops] retention_days)")
    prune.add_argument("--dry-run", action="store_true", help="only count them")
    add_global_options(prune)
    prune.set_defaults(func=cmd_prune)

    copy = sub.add_parser(
        "copy", help="copy a database from SQLite to PostgreSQL or back (resumable, counts checked)",
        description="Copy every row of SRC into DEST. Each is a SQLite file's path or a postgresql:// URL. "
                    "DEST is created or upgraded to the current schema first; SRC is only read (in one "
                    "snapshot, so a running daemon does not break it, but stop it before the last copy). "
                    "A copy that stops (Ctrl-C, a lost connection) is finished by running the same command "
                    "again: rows already in DEST are skipped, none is doubled. The search index is rebuilt "
                    "on DEST; workers' leases, host slots and the heartbeat are not copied (runtime state). "
                    "Exit 1 when a table's row count differs between SRC and DEST at the end; refuses a DEST "
                    "that holds feeds or articles SRC does not have (another monitor's database).")
    copy.add_argument("src", metavar="SRC", help="the database to copy: a SQLite file or a postgresql:// URL")
    copy.add_argument("dest", metavar="DEST", help="where to copy it: a SQLite file or a postgresql:// URL")
    copy.add_argument("--quiet", action="store_true", help="no progress bars")
    add_global_options(copy)
    copy.set_defaults(func=cmd_copy)
