"""The options every command accepts, before or after its name: `monitor --config X status` and
`monitor status --config X` mean the same."""

from __future__ import annotations

import argparse

CONFIG_HELP = "config file (default: $MONITOR_CONFIG or config/monitor.toml)"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool = False) -> None:
    """Add --config, --log-level and --log-json to `parser`.

    Only the top-level parser sets defaults. On a subcommand the options default to SUPPRESS: argparse
    copies a subparser's defaults over what the top level parsed, so a default there would silently undo
    `monitor --config X status`.
    """

    def default(value: object) -> object:
        return value if top_level else argparse.SUPPRESS

    parser.add_argument("--config", metavar="PATH", default=default(None), help=CONFIG_HELP)
    parser.add_argument(
        "--log-level",
        default=default("INFO"),
        choices=LOG_LEVELS,
        help="log verbosity (default INFO)",
    )
    parser.add_argument(
        "--log-json", action="store_true", default=default(False), help="log as JSON lines instead of text"
    )
