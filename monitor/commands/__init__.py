"""Command groups that live beside the stage they drive; each module offers register(subparsers)."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

# Each module adds its own subcommands (e.g. `monitor feeds ...`).
COMMAND_MODULES = (
    "monitor.commands.feeds",
    "monitor.commands.alerts",
    "monitor.commands.quality",
    "monitor.commands.corpus",
    "monitor.commands.search",
    "monitor.commands.db",
)


def register_all(subparsers: argparse._SubParsersAction[Any]) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
