"""`monitor datasette-metadata`: the shipped Datasette metadata, keyed by the configured database's name."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from typing import Any

SHIPPED_NAME = "monitor"  # the database key in monitor/data/datasette-metadata.json


def metadata(database_name: str) -> dict[str, Any]:
    """The metadata with its database entry under `database_name` (Datasette names a database by its file stem)."""
    text = resources.files("monitor").joinpath("data/datasette-metadata.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    document["databases"] = {database_name: document["databases"][SHIPPED_NAME]}
    return document


def cmd_datasette_metadata(args: argparse.Namespace) -> int:
    from monitor.settings.config import load_config

    name = args.database_name or load_config(args.config).database_path.stem
    json.dump(metadata(name), sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    from monitor.cli.options import add_global_options

    p = subparsers.add_parser(
        "datasette-metadata", help="print Datasette metadata for browsing the database",
        description="Print Datasette metadata: internal tables hidden, columns described, and a canned query "
                    "`search` that spells words as `monitor search` does (it needs the monitor's Datasette "
                    "plugin, loaded when monitor is installed beside datasette). Usage: monitor "
                    "datasette-metadata > metadata.json; datasette data/monitor.db --metadata metadata.json "
                    "--setting truncate_cells_html 300")
    p.add_argument("--database-name", help="the database's name in Datasette (default: the configured file's stem)")
    add_global_options(p)
    p.set_defaults(func=cmd_datasette_metadata)
