"""`monitor feedback export` and `monitor desk hash-password | new-token`: the desk's analysts' judgements as
labelled JSONL (the format `monitor eval` reads), and the secrets its [desk] config table holds.

    monitor feedback export [--output FILE] [--config PATH]
    monitor desk hash-password            reads the password from stdin (twice when a terminal)
    monitor desk new-token                prints a token and the sha256 line for [desk.tokens.NAME]
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from monitor.cli.options import add_global_options
from monitor.errors import MonitorError

EXIT_OK = 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from monitor.settings.config import load_config
    from monitor.store import desk as store

    config = load_config(args.config)
    if config.database_url is None and not config.database_path.exists():
        raise MonitorError(f"no database yet at {config.database_path}")
    conn = store.connect(config.database_url or config.database_path)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    count = 0
    try:
        for record in store.labelled_records(conn):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    finally:
        conn.close()
        if out is not sys.stdout:
            out.close()
    print(f"{count} labelled articles", file=sys.stderr)
    return EXIT_OK


def cmd_hash_password(args: argparse.Namespace) -> int:
    from monitor.desk.auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise MonitorError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        raise MonitorError("a desk password needs at least 8 characters")
    print(f'password_hash = "{hash_password(password)}"')
    return EXIT_OK


def cmd_new_token(args: argparse.Namespace) -> int:
    from monitor.desk.auth import new_token, token_digest

    token = new_token()
    print(f"token (give it to the program; it is not stored): {token}", file=sys.stderr)
    print(token)
    print(f'sha256 = "{token_digest(token)}"', file=sys.stderr)
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    feedback = subparsers.add_parser("feedback", help="the analysts' judgements made on the desk")
    add_global_options(feedback)
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser(
        "export",
        help="write the judged articles as labelled JSONL (the format `monitor eval` reads)",
        description='One {"task": "topic", "id", "title", "text", "labels": {TOPIC: true|false}} per judged '
        "article; where analysts disagree on a pair, the latest judgement is the label.",
    )
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    add_global_options(export)
    export.set_defaults(func=cmd_feedback_export)

    desk = subparsers.add_parser("desk", help="secrets for the desk's [desk] config table")
    add_global_options(desk)
    desk_sub = desk.add_subparsers(dest="desk_command", required=True)
    hashing = desk_sub.add_parser("hash-password", help="print the argon2 password_hash line for [desk.users.NAME]")
    add_global_options(hashing)
    hashing.set_defaults(func=cmd_hash_password)
    token = desk_sub.add_parser("new-token", help="print a new API token, and its sha256 line on stderr")
    add_global_options(token)
    token.set_defaults(func=cmd_new_token)
