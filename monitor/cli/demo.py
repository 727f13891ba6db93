"""`monitor demo`: the daemon against a local world of real Arabic articles, to see an alert without
internet or setup. Everything lives in a temporary directory that is removed on exit."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from monitor.cli.options import add_global_options


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="run the daemon against bundled Arabic articles served on 127.0.0.1 (no internet needed)",
        description="Serve a few real Arabic news articles as feeds and pages on 127.0.0.1 and run the "
        "daemon against them with a temporary database: the first alert is logged on the console within "
        "a minute. Ctrl-C (or SIGTERM) stops it and removes the temporary files.",
    )
    demo.add_argument("--port", type=int, default=0, help="port of the local news site (default: any free one)")
    demo.add_argument("--keep", action="store_true", help="keep the temporary database and print where it is")
    add_global_options(demo)
    demo.set_defaults(func=cmd_demo)


def demo_config_data(workdir: Path, feeds: list[tuple[str, str]]) -> dict[str, Any]:
    """The demo's whole config: the bundled topic, the local feeds, a console channel, nothing else."""
    from monitor.runtime.demo_world import bundled_topics_toml

    return {
        **tomllib.loads(bundled_topics_toml()),
        "storage": {"database": str(workdir / "demo.db")},
        "pipeline": {"seeds_dir": str(workdir / "seeds"), "cycle_seconds": 2},
        # only the demo site's own address is allowed past the SSRF guard
        "http": {"allowed_networks": ["127.0.0.1/32"], "per_host_min_interval": 0.0},
        "ops": {"enabled": False},
        "alerts": {"channels": [{"name": "console", "type": "console"}]},
        "feeds": [{"url": url, "name": outlet} for outlet, url in feeds],
    }


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.runtime.app import App
    from monitor.runtime.demo_world import DemoWorld
    from monitor.settings.config import parse_config

    workdir = Path(tempfile.mkdtemp(prefix="monitor-demo-"))
    (workdir / "seeds").mkdir()
    world = DemoWorld(port=args.port)
    world.start()
    try:
        # the user's MONITOR_* variables are for their own config, not this one
        config = parse_config(demo_config_data(workdir, world.feeds), environ={})
        print(f"demo: {len(world.articles)} real Arabic articles from {len(world.feeds)} outlets served on "
              f"{world.feeds[0][1].rsplit('/feeds/', 1)[0]}; topic {', '.join(t.name for t in config.topics)}")
        print("demo: the first alert appears in the log below within a minute; Ctrl-C stops", flush=True)
        app = App(config)
        try:
            app.run_forever()
        finally:
            app.close()
    finally:
        world.stop()
        if args.keep:
            print(f"demo: database kept at {workdir / 'demo.db'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0
