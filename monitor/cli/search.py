"""`monitor search QUERY` over everything collected, and `monitor export-alerts TOPIC` (Atom / JSON Feed).

Both only read: they look back through what the daemon stored.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.deliver import alert_feeds as feed_export
from monitor.errors import MonitorError
from monitor.store import search
from monitor.store.connection import DatabaseError
from monitor.store.database import Store
from monitor.store.reads import topics_with_alerts

ANSI_MARKS = ("\x1b[1;4m", "\x1b[0m")  # bold + underline: visible in any terminal theme, RTL included
PLAIN_MARKS = ("[", "]")
JSON_MARKS = ("<mark>", "</mark>")


def _iso_date(value: str) -> str:
    """argparse type: an ISO date (2026-11-23) or date-time, kept as text for comparison in SQL."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {value!r} (e.g. 2026-11-23)") from None
    return value


def _open(config_path: str | None, read_only: bool = True) -> Store:
    from monitor.settings.config import load_config

    config = load_config(config_path)
    if not config.database_path.exists():
        raise MonitorError(f"no database yet at {config.database_path}: run `monitor once` or `monitor run` first")
    return Store(config.database_path, read_only=read_only)


def cmd_search(args: argparse.Namespace) -> int:
    store = _open(args.config, read_only=not args.rebuild_index)
    try:
        if args.rebuild_index:
            count = store.rebuild_search_index()
            print(f"search index rebuilt: {count} articles", file=sys.stderr)
            if not args.query:
                return 0
        if not args.query:
            raise MonitorError("give a QUERY (or --rebuild-index)")
        query = search.parse_query(" ".join(args.query), any_term=args.any)
        if not query.match:
            raise MonitorError("the query has no words to search for")
        filters = search.Filters(topic=args.topic, source=args.source, since=args.since, until=args.until,
                                 exclude_copies=args.no_copies, limit=args.limit, order=args.sort)
        hits = store.search(query, filters)
        indexed = store.indexed_count()
    except DatabaseError as exc:
        raise MonitorError(f"search failed: {exc}") from None
    finally:
        store.close()
    if args.json:
        for hit in hits:
            record = hit.to_json(search.make_snippet(hit.text, query, args.width, JSON_MARKS))
            record["title_marked"] = search.mark(hit.title, search.hit_spans(hit.title, query), *JSON_MARKS)
            print(json.dumps(record, ensure_ascii=False))
        return 0 if hits else 1
    marks = ANSI_MARKS if sys.stdout.isatty() else PLAIN_MARKS
    if not hits:
        print(f"no articles match {' '.join(sorted(query.terms))!r} ({indexed} articles indexed)")
        return 1
    for number, hit in enumerate(hits, start=1):
        flags = [f"topics: {', '.join(hit.topics)}"] if hit.topics else []
        if hit.duplicate_of:
            flags.append(f"near-copy of {hit.duplicate_of}")
        print(f"{number}. {hit.date[:10]}  {hit.source}" + (f"  ({'; '.join(flags)})" if flags else ""))
        print(f"   {search.mark(hit.title, search.hit_spans(hit.title, query), *marks)}")
        print(f"   {search.make_snippet(hit.text, query, args.width, marks)}")
        print(f"   {hit.url or '(no URL)'}  id {hit.article_id}")
    return 0


def cmd_export_alerts(args: argparse.Namespace) -> int:
    from monitor.settings.config import load_config

    config = load_config(args.config)
    if not config.database_path.exists():
        raise MonitorError(f"no database yet at {config.database_path}")
    try:
        known = {t.name for t in config.topics} | set(topics_with_alerts(config.database_path, timeout=10))
        if args.topic not in known:
            raise MonitorError(f"no topic {args.topic!r} (known: {', '.join(sorted(known)) or 'none'})")
        self_url = f"{args.base_url.rstrip('/')}/alerts/{args.topic}.{args.format}" if args.base_url else None
        body = feed_export.render(config.database_path, args.topic, args.format, limit=args.limit,
                                  self_url=self_url, language=config.alerts.language,
                                  timezone=config.alerts.timezone)
    except DatabaseError as exc:
        raise MonitorError(f"cannot read alerts from {config.database_path}: {exc}") from None
    if args.output == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        Path(args.output).write_bytes(body)
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    from monitor.cli.options import add_global_options

    s = subparsers.add_parser(
        "search", help="full-text search over collected articles, Arabic-aware",
        description="Search titles and texts. Hamza forms, diacritics, tatweel and leading clitics "
                    "(و ف ب ك ل ال) do not matter: حلف الأطلسي finds «لحِلفِ الأطلسيّ». Words are ANDed; "
                    "\"quoted words\" must be adjacent; a trailing * matches by prefix. Exit 1 when nothing "
                    "matches.")
    s.add_argument("query", nargs="*", metavar="QUERY")
    s.add_argument("--topic", help="only articles that matched this topic")
    s.add_argument("--source", help="only articles of this source (a feed's name, seed, import)")
    s.add_argument("--since", type=_iso_date, help="only articles published (or seen) on or after this date")
    s.add_argument("--until", type=_iso_date, help="only articles published (or seen) on or before this date")
    s.add_argument("--any", action="store_true", help="match any of the words instead of all")
    s.add_argument("--no-copies", action="store_true", help="leave out near-copies of earlier articles")
    s.add_argument("--sort", choices=["rank", "date"], default="rank", help="best match first (default) or newest")
    s.add_argument("--limit", type=int, default=20, help="most results (default 20)")
    s.add_argument("--width", type=int, default=240, help="snippet length in characters (default 240)")
    s.add_argument("--json", action="store_true", help="one JSON object per hit, hits marked <mark>…</mark>")
    s.add_argument("--rebuild-index", action="store_true",
                   help="re-index every article first (after an upgrade that changed Arabic normalisation)")
    add_global_options(s)
    s.set_defaults(func=cmd_search)

    e = subparsers.add_parser(
        "export-alerts", help="a topic's alerts as an Atom feed or JSON Feed",
        description="Write the latest alerts of TOPIC as an Atom feed (or JSON Feed 1.1) for a feed reader. "
                    "The running daemon serves the same at /alerts/TOPIC.atom on its ops endpoint.")
    e.add_argument("topic", metavar="TOPIC")
    e.add_argument("--format", choices=sorted(feed_export.FORMATS), default="atom", help="default atom")
    e.add_argument("--limit", type=int, default=50, help="most recent alerts included (default 50)")
    e.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    e.add_argument("--base-url", help="where the feed will be published, for its self link")
    add_global_options(e)
    e.set_defaults(func=cmd_export_alerts)
