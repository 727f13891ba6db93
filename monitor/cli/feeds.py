"""`monitor feeds ...`: list (with health), add (with autodiscovery), remove, OPML import and export.

These work on the database's `feeds` table (monitor.store.database.Store). Feeds listed in the config
file are synced into that table by the daemon at start; `remove` on such a feed therefore only lasts
until it is taken out of the config too, and the command says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.cli.options import add_global_options
from monitor.errors import MonitorError
from monitor.fetch.client import Fetcher
from monitor.parse.feed_lookup import resolve_feed
from monitor.parse.opml import OpmlFeed, parse_opml, render_opml
from monitor.settings.config import Config, load_config
from monitor.store.database import Store
from monitor.store.times import parse_time

EXIT_OK = 0
EXIT_FAILURE = 1


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    feeds = subparsers.add_parser(
        "feeds",
        help="list feeds with their health; add (autodiscovery), remove, import/export OPML",
        description="Manage the monitored feeds. Without an action: list them with their health.",
    )
    add_global_options(feeds)
    feeds.set_defaults(func=cmd_list, json=False)
    actions = feeds.add_subparsers(dest="feeds_action", metavar="ACTION")

    listing = actions.add_parser("list", help="feeds with last success, failures, last error, items/day")
    listing.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    add_global_options(listing)
    listing.set_defaults(func=cmd_list)

    add = actions.add_parser(
        "add",
        help="add a feed by its URL or by a page that links to it",
        description="Add a feed. If URL is a web page, the feed it advertises with "
        '<link rel="alternate" type="application/rss+xml"> (or Atom / JSON Feed) is added instead.',
    )
    add.add_argument("url", metavar="URL")
    add.add_argument("--name", help="display name (default: the feed's title)")
    add.add_argument("--no-verify", action="store_true", help="add as given, without fetching it first")
    add_global_options(add)
    add.set_defaults(func=cmd_add)

    remove = actions.add_parser("remove", help="stop polling a feed (its articles are kept)")
    remove.add_argument("url", metavar="URL")
    add_global_options(remove)
    remove.set_defaults(func=cmd_remove)

    imp = actions.add_parser("import-opml", help="add every feed of an OPML file (not fetched first)")
    imp.add_argument("file", metavar="FILE", type=Path)
    add_global_options(imp)
    imp.set_defaults(func=cmd_import_opml)

    exp = actions.add_parser("export-opml", help="write the enabled feeds as OPML (default: stdout)")
    exp.add_argument("file", metavar="FILE", type=Path, nargs="?")
    add_global_options(exp)
    exp.set_defaults(func=cmd_export_opml)


@contextmanager
def _store(config: Config, read_only: bool = False) -> Iterator[Store]:
    store = Store(config.database_path, read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def _now() -> datetime:
    return datetime.now(UTC)


# --- list ------------------------------------------------------------------------------------------


def feed_rows(config: Config, store: Store | None) -> list[dict[str, Any]]:
    """Database rows plus config feeds the daemon has not synced yet (shown as never polled)."""
    rows = [dict(r) for r in store.feeds()] if store is not None else []
    known = {r["url"] for r in rows}
    for feed in config.feeds:
        if feed.url not in known:
            rows.append({"url": feed.url, "name": feed.name, "origin": "config", "enabled": int(feed.enabled)})
    return rows


def _age(value: str | None, now: datetime) -> str:
    moment = parse_time(value)
    if moment is None:
        return "never"
    seconds = max(0.0, (now - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def _health(row: dict[str, Any]) -> str:
    if not row.get("enabled"):
        return "removed"
    failures = row.get("consecutive_failures") or 0
    if failures:
        return f"failing x{failures}"
    if not row.get("last_polled_at"):
        return "new"
    return "ok"


def cmd_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if config.database_path.exists():
        with _store(config, read_only=True) as store:
            rows = feed_rows(config, store)
    else:  # nothing polled yet, and a listing creates no database: the config's feeds, never polled
        rows = feed_rows(config, None)
    if args.json:
        keys = (
            "url", "name", "origin", "enabled", "last_success_at", "last_polled_at", "last_status",
            "last_http_status", "consecutive_failures", "last_error", "items_per_day", "next_poll_at",
            "possibly_missed_items",
        )  # fmt: skip
        print(json.dumps([{k: r.get(k) for k in keys} for r in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("no feeds: add one with `monitor feeds add URL` or list them in the config file")
        return EXIT_OK
    now = _now()
    print(f"{'HEALTH':<12} {'LAST SUCCESS':<13} {'ITEMS/DAY':>9}  {'NAME':<24} URL")
    for row in sorted(rows, key=lambda r: (not r.get("enabled"), str(r.get("name") or ""))):
        rate = row.get("items_per_day")
        rate_text = f"{rate:.1f}" if isinstance(rate, int | float) else "-"
        name = str(row.get("name") or "")[:24]
        print(f"{_health(row):<12} {_age(row.get('last_success_at'), now):<13} {rate_text:>9}  {name:<24} {row['url']}")
        if row.get("enabled") and row.get("consecutive_failures") and row.get("last_error"):
            print(f"{'':<12} last error: {row['last_error']}")
    return EXIT_OK


# --- add -------------------------------------------------------------------------------------------


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MonitorError(f"not an http(s) URL: {url!r}")
    return url


def cmd_add(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    url = _check_url(args.url)
    name = args.name
    if not args.no_verify:
        with Fetcher(config.http) as fetcher:
            url, parsed, note = resolve_feed(fetcher, url)
        if note:
            print(note)
        name = name or parsed.title
        print(f"feed ok: {len(parsed.entries)} entries" + (f" (warning: {parsed.warning})" if parsed.warning else ""))
    name = (name or urlsplit(url).hostname or url).strip()
    with _store(config) as store:
        if store.add_feed(url, name, _now(), origin="cli"):
            print(f"added {name}: {url}")
            return EXIT_OK
        existing = next((r for r in store.feeds() if r["url"] == url), None)
        if existing is not None and not existing["enabled"]:
            store.update_feed(url, {"enabled": 1, "name": name})
            print(f"re-enabled {name}: {url}")
        else:
            print(f"already monitored: {url}")
    return EXIT_OK


# --- remove ----------------------------------------------------------------------------------------


def cmd_remove(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    url = args.url.strip()
    with _store(config) as store:
        removed = store.remove_feed(url)
    in_config = any(f.url == url for f in config.feeds)
    if not removed and not in_config:
        print(f"no such feed: {url}", file=sys.stderr)
        return EXIT_FAILURE
    if removed:
        print(f"removed {url} (no longer polled; its articles are kept)")
    if in_config:
        where = config.path or "the config file"
        print(f"note: {url} is listed in {where}; remove it there too or the daemon will poll it again")
    return EXIT_OK


# --- OPML ------------------------------------------------------------------------------------------


def cmd_import_opml(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise MonitorError(f"cannot read {args.file}: {exc.strerror}") from None
    entries = parse_opml(data)
    added = existing = 0
    skipped: list[str] = []
    now = _now()
    with _store(config) as store:
        for feed in entries:
            try:
                url = _check_url(feed.url)
            except MonitorError as exc:
                skipped.append(str(exc))
                continue
            name = feed.title or urlsplit(url).hostname or url
            if store.add_feed(url, name, now, origin="opml"):
                added += 1
            else:
                existing += 1
    for reason in skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    print(f"imported {args.file}: {added} added, {existing} already present, {len(skipped)} skipped")
    return EXIT_OK


def cmd_export_opml(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with _store(config) as store:
        rows = [r for r in feed_rows(config, store) if r.get("enabled")]
    feeds = [OpmlFeed(url=r["url"], title=str(r.get("name") or r["url"])) for r in rows]
    document = render_opml(feeds, title="monitor feeds", now=_now())
    if args.file is None:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
    else:
        try:
            args.file.write_bytes(document)
        except OSError as exc:
            raise MonitorError(f"cannot write {args.file}: {exc.strerror}") from None
        print(f"wrote {len(feeds)} feeds to {args.file}")
    return EXIT_OK
