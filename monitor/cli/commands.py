"""Command groups that live beside the stage they drive; each module offers register(subparsers)."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

# Each module adds its own subcommands (e.g. `monitor feeds ...`).
COMMAND_MODULES = (
    "monitor.cli.feeds",
    "monitor.cli.alerts",
    "monitor.cli.quality",
    "monitor.cli.corpus",
    "monitor.cli.search",
    "monitor.cli.db",
    "monitor.cli.demo",
    "monitor.cli.desk",
    "monitor.cli.browse",
    "monitor.cli.stories",
)


def register_all(subparsers: argparse._SubParsersAction[Any]) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
