"""The `monitor` command line: a thin layer over the runtime; errors become one line and an exit code."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import __version__
from monitor.cli.json_logs import JsonFormatter
from monitor.cli.options import add_global_options
from monitor.errors import ConfigError, MonitorError

if TYPE_CHECKING:
    from monitor.decide.decision import CorpusLookup
    from monitor.decide.stories import MemoryStoryIndex
    from monitor.models import Decision
    from monitor.store.database import Store

log = logging.getLogger("monitor")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


def setup_logging(level: str, json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request at INFO; the pipeline logs what matters per feed and article
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


# -- commands ------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from monitor.runtime.app import App
    from monitor.settings.config import load_config

    config = load_config(args.config)
    config.alerts.require_secrets()  # a missing secret fails now, not on the first alert
    app = App(config)
    try:
        app.run_forever()
    finally:
        app.close()
    return EXIT_OK


def cmd_once(args: argparse.Namespace) -> int:
    from monitor.runtime.app import App
    from monitor.settings.config import load_config

    config = load_config(args.config)
    config.alerts.require_secrets()
    app = App(config)
    try:
        report = app.run_once()
    finally:
        app.close()
    print(
        f"polled {len(report.polls)} feeds: {len(report.failed)} failed, {report.total('new')} new articles, "
        f"{report.total('duplicates')} near-copies, {report.total('matches')} topic matches, "
        f"{report.total('alerts')} alerts queued"
    )
    for poll in report.failed:
        print(f"  failed: {poll.feed_url}: {poll.error}")
    from monitor.runtime.cycle_summary import summarize

    # A dead network or proxy must not look like a quiet news day; the log's summary line says why.
    if summarize(report.polls).all_failed:
        return EXIT_FAILURE
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from monitor.decide.near_copies import MemoryCorpusIndex
    from monitor.decide.stories import MemoryStoryIndex, terms_of_text
    from monitor.decide.topics import match_topic
    from monitor.models import Decision
    from monitor.parse.article_files import read_seeds
    from monitor.parse.inputs import InputArticle, read_inputs
    from monitor.settings.config import load_config

    config = load_config(args.config)
    now = datetime.now(UTC)
    index = MemoryCorpusIndex()
    seed_stories = MemoryStoryIndex(window=config.stories.window, threshold=config.stories.threshold)
    for seed in read_seeds(Path(args.seeds) if args.seeds else config.pipeline.seeds_dir):
        seed_stories.add(seed.id, terms_of_text(seed.title, seed.text), now, index.check(seed.text).duplicate_of)
        index.add(seed.id, seed.text)
    lookups: list[CorpusLookup] = [index]
    stored = None
    if not args.seeds and config.database_path.exists():
        # also compare with everything the daemon has collected (read only: nothing is stored)
        from monitor.store.database import Store

        stored = Store(config.database_path)
        stored.story_settings = config.stories
        lookups.append(stored.corpus_index)
    skipped = 0
    try:
        for article in read_inputs(args.inputs, config.http):
            if not isinstance(article, InputArticle):
                skipped += 1
                print(f"monitor check: skipped {article.label}: {article.message}", file=sys.stderr)
                continue
            # the closest of the seeds and the stored corpus; topics are matched once
            nearest = max((lookup.check(article.text) for lookup in lookups), key=lambda n: n.similarity)
            decision = Decision(article.id, nearest, tuple(match_topic(t, article.title, article.text)
                                                           for t in config.topics))
            story, story_similarity = _story_for(article.title, article.text, nearest.duplicate_of, now,
                                                 seed_stories, stored)
            if args.json:
                print(json.dumps({**decision.to_json(), "story": story, "story_similarity": round(story_similarity, 4)},
                                 ensure_ascii=False))
            else:
                _print_decision(article.title, decision)
                print(f"  story: joins {story} (similarity {story_similarity:.2f})" if story else
                      f"  story: starts a new one (closest similarity {story_similarity:.2f})")
    finally:
        if stored is not None:
            stored.close()
    if skipped:
        print(f"monitor check: {skipped} inputs skipped (listed above)", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _story_for(title: str, text: str, near_copy_of: str | None, now: datetime, seeds: MemoryStoryIndex,
               stored: Store | None) -> tuple[str | None, float]:
    """The first article of the story the article would join (a seed's or a stored one's; None for a new
    story) and the similarity, the closer of the seeds' stories and the stored ones."""
    from monitor.decide.stories import terms_of_text

    _, seed_choice = seeds.choose(terms_of_text(title, text), now, near_copy_of)
    best = (seeds.stories[seed_choice.story_id].first_article_id if seed_choice.story_id else None,
            seed_choice.similarity, seed_choice.story_id is not None)
    if stored is not None:
        placed = stored.place_in_story(title, text, now, near_copy_of)
        joined = placed.choice.story_id is not None
        if (joined, placed.choice.similarity) > (best[2], best[1]):
            best = (placed.first_article_id, placed.choice.similarity, joined)
    return best[0], best[1]


def _print_decision(title: str, decision: Decision) -> None:
    print(f"{decision.article_id}: {title[:80]}")
    near = decision.near_copy
    if near.duplicate_of:
        print(f"  near-copy of {near.duplicate_of} ({near.kind}, similarity {near.similarity:.2f})")
    else:
        print(f"  not a near-copy (closest similarity {near.similarity:.2f})")
    for topic in decision.topics:
        verdict = "MATCH" if topic.matched else "no match"
        print(
            f"  topic {topic.name}: {verdict}, score {topic.score:.2f} / threshold {topic.threshold:.2f}"
            f"{' — ' + topic.reason if topic.reason else ''}"
        )
        for ev in topic.evidence[:6]:
            print(f"    [{ev.group}] {ev.matched!r} at {ev.start}: {ev.sentence[:160]}")


def cmd_config(args: argparse.Namespace) -> int:
    from monitor.settings.config import load_config
    from monitor.settings.dump import to_json, to_toml

    config = load_config(args.config)
    print(to_json(config) if args.json else to_toml(config), end="\n" if args.json else "")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from monitor.settings.config import load_config
    from monitor.store.opening import open_store

    config = load_config(args.config)
    if not config.database_url and not config.database_path.exists():
        print(f"no database yet at {config.database_path}: run `monitor once` or `monitor run` first")
        return EXIT_FAILURE
    store = open_store(config.database_path, config.database_url, read_only=True)
    try:
        counts = store.counts()
        feeds = store.feeds()
        alerts = store.delivery_states()
    finally:
        store.close()
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    print("deliveries: " + (" ".join(f"{k}={v}" for k, v in sorted(alerts.items())) or "none"))
    failing = [f for f in feeds if f["consecutive_failures"]]
    print(f"feeds failing: {len(failing)} of {len(feeds)}")
    for feed in failing:
        print(f"  {feed['url']}: {feed['consecutive_failures']} failures, last error: {feed['last_error']}")
    return EXIT_OK


# -- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monitor",
        description="Arabic news monitor: polls feeds, extracts articles, drops near-copies, alerts on topic matches.",
    )
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    add_global_options(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="run the daemon: poll feeds on schedule and deliver alerts until stopped",
        description="Run the daemon. SIGINT/SIGTERM stop it after the work in flight is saved.",
    )
    add_global_options(run)
    run.set_defaults(func=cmd_run)

    once = sub.add_parser(
        "once",
        help="poll every feed once, deliver alerts, exit",
        description="One full cycle over all enabled feeds, then exit. Feed failures are "
        "reported, not fatal; an unusable config exits non-zero.",
    )
    add_global_options(once)
    once.set_defaults(func=cmd_once)

    check = sub.add_parser(
        "check",
        help="decide on given articles without storing anything",
        description="Print the near-copy and topic decision for each INPUT: an HTML or "
        'text file, a URL, or a JSONL file of {"id","title","text"}. HTML is decided with its title, text '
        "files may be UTF-8 or a legacy Arabic code page; unusable inputs and JSONL lines are listed and "
        "skipped (exit 1).",
    )
    check.add_argument("inputs", nargs="+", metavar="INPUT")
    check.add_argument(
        "--seeds",
        metavar="DIR",
        help="compare with these seed articles only (default: the config's seeds and the database)",
    )
    check.add_argument("--json", action="store_true", help="one JSON object per article")
    add_global_options(check)
    check.set_defaults(func=cmd_check)

    config = sub.add_parser(
        "config",
        help="validate the config and print it in effect (defaults filled in, env overrides applied)",
        description="Print the effective configuration as TOML, secrets masked. "
        "Environment variables MONITOR_<SECTION>_<KEY> override scalar keys (docs/configuration.md).",
    )
    config.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    add_global_options(config)
    config.set_defaults(func=cmd_config)

    status = sub.add_parser("status", help="counts, pending alerts and failing feeds from the database")
    add_global_options(status)
    status.set_defaults(func=cmd_status)

    from monitor.cli.commands import register_all

    register_all(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.log_level, args.log_json)
    try:
        code: int = args.func(args)
        return code
    except ConfigError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except MonitorError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `monitor search … | head`: the reader left; not an error worth a traceback
        sys.stderr.close()
        return EXIT_OK
