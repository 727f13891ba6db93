"""`monitor stories list|show ID`: the stories the monitor has grouped articles into (docs/stories.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from monitor.cli.options import add_global_options
from monitor.settings.config import load_config
from monitor.store.database import Store


def _open(args: argparse.Namespace) -> Store | None:
    from monitor.store.opening import open_store

    config = load_config(args.config)
    if not config.database_url and not config.database_path.exists():
        print(f"no database yet at {config.database_path}: run `monitor once` or `monitor run` first")
        return None
    return open_store(config.database_path, config.database_url, read_only=True)


def cmd_list(args: argparse.Namespace) -> int:
    store = _open(args)
    if store is None:
        return 1
    try:
        rows = store.stories(args.limit, args.topic)
    finally:
        store.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for s in rows:
        topics = ",".join(s["topics"]) or "-"
        print(f"{s['id']}  {s['size']:>3} articles  {len(s['sources'])} outlets  {s['first_seen'][:16]}Z.."
              f"{s['last_seen'][:16]}Z  [{topics}]  {s['title'][:70]}")
    print(f"{len(rows)} stories")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = _open(args)
    if store is None:
        return 1
    try:
        story = store.story(args.id)
    finally:
        store.close()
    if story is None:
        print(f"no story or article {args.id!r}")
        return 1
    if args.json:
        print(json.dumps(story, ensure_ascii=False, indent=2))
        return 0
    print(f"story {story['id']}: {story['size']} articles from {', '.join(story['sources'])}")
    print(f"  seen {story['first_seen']} .. {story['last_seen']}; topics: {', '.join(story['topics']) or '-'}")
    for m in story["members"]:
        print(f"  {m['joined_at'][:16]}Z  {m['source']:<14} {m['reason']:<9} {m['similarity']:.2f}  "
              f"{m['article_id']}  {m['title'][:70]}")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    stories = subparsers.add_parser("stories", help="list stories, show one story's articles")
    add_global_options(stories)
    sub = stories.add_subparsers(dest="stories_command", required=True)

    lst = sub.add_parser("list", help="stories, latest activity first")
    lst.add_argument("--limit", type=int, default=50, help="most stories shown (default 50)")
    lst.add_argument("--topic", metavar="NAME", help="only stories whose articles matched this topic")
    lst.add_argument("--json", action="store_true", help="one JSON array")
    add_global_options(lst)
    lst.set_defaults(func=cmd_list)

    show = sub.add_parser("show", help="one story and its articles (by story id or any member's article id)")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help="one JSON object")
    add_global_options(show)
    show.set_defaults(func=cmd_show)
