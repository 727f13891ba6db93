"""`monitor topics test` and `monitor eval`: try a topic rule on articles, measure quality on labelled data.

    monitor topics test nato_iraq article.html story.txt batch.jsonl [--config PATH] [--json]
    monitor eval tests/fixtures/quality/topics_ant.jsonl tests/fixtures/quality/near_copies.jsonl [--json]
    monitor eval tests/fixtures/quality/deployed_dev.jsonl tests/fixtures/quality/deployed_heldout.jsonl
        (records with "category" and "split" get figures per split and category)

Both read the topics from the config, so a rule can be changed there and tried before the daemon is
restarted with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.cli.options import add_global_options
from monitor.cli.progress import Progress
from monitor.decide.evaluation import evaluate
from monitor.decide.topics import match_topic
from monitor.errors import ConfigError, MonitorError
from monitor.parse.inputs import iter_json_objects
from monitor.settings.topics import Topic, parse_topics

DEFAULT_CONFIG = Path("config/monitor.toml")


def load_topics(path: str | None) -> Sequence[Topic]:
    """The configured topics: through monitor.settings.config when it loads, else from the TOML's [topics] alone."""
    try:
        from monitor.settings.config import load_config
    except ImportError:  # config module unavailable: read only the section this command needs
        config_path = Path(path) if path else DEFAULT_CONFIG
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise MonitorError(f"{config_path}: cannot read ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(config_path), f"not valid TOML: {exc}") from None
        return parse_topics(data.get("topics", {}))
    return load_config(path).topics


def _topic(topics: Sequence[Topic], name: str) -> Topic:
    for topic in topics:
        if topic.name == name:
            return topic
    known = ", ".join(t.name for t in topics) or "none"
    raise ConfigError(f"topics.{name}", f"no such topic (configured: {known})")


def cmd_topics_test(args: argparse.Namespace) -> int:
    from monitor.parse.inputs import InputArticle, read_inputs

    topic = _topic(load_topics(args.config), args.topic)
    matched = skipped = 0
    for article in read_inputs(args.files):
        if not isinstance(article, InputArticle):
            skipped += 1
            print(f"monitor topics test: skipped {article.label}: {article.message}", file=sys.stderr)
            continue
        result = match_topic(topic, article.title, article.text)
        matched += result.matched
        if args.json:
            print(json.dumps({"id": article.id, "title": article.title, **result.to_json()}, ensure_ascii=False))
            continue
        mark = "MATCH" if result.matched else "no"
        print(f"{mark:5} {article.id}  {article.title[:80]}")
        print(f"      {result.reason}")
        for e in result.evidence:
            print(f"      [{e.group}] {e.term!r} -> {e.matched!r} @{e.start}: {e.sentence[:160]}")
    if not args.json:
        print(f"{matched} matched topic {topic.name}", file=sys.stderr)
    if skipped:
        print(f"monitor topics test: {skipped} inputs skipped (listed above)", file=sys.stderr)
        return 1
    return 0


def _read_labelled(paths: Sequence[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for spec in paths:
        try:
            text = Path(spec).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise MonitorError(f"{spec}: cannot read ({exc.strerror})") from None
        rows.extend(record for _, record in iter_json_objects(spec, text))
    return rows


def _feedback_records(config_path: str | None) -> list[dict[str, Any]]:
    """The articles analysts judged on the desk, as labelled records (`monitor feedback export`)."""
    from monitor.settings.config import load_config
    from monitor.store import desk

    database = load_config(config_path).database_path
    if not database.exists():
        raise MonitorError(f"no database yet at {database}")
    conn = desk.connect(database)
    try:
        return list(desk.labelled_records(conn))
    finally:
        conn.close()


def cmd_eval(args: argparse.Namespace) -> int:
    records = _read_labelled(args.labelled)
    if args.feedback:
        records += _feedback_records(args.config)
    elif not args.labelled:
        raise MonitorError("give LABELLED.jsonl files, --feedback, or both")
    try:
        with Progress("eval", len(records), unit="records") as bar:
            report = evaluate(records, load_topics(args.config), on_progress=lambda done, _total: bar.update(done))
    except KeyboardInterrupt:
        print(f"monitor eval interrupted after {bar.done} of {len(records)} records: no figures (they need "
              "every record)", file=sys.stderr)
        return 130
    nc = report.near_copy
    if not report.topics and not nc.tp + nc.fp + nc.fn + nc.tn and not report.stories:
        # nothing was measured: figures of 1.000 over zero cases would read as a perfect score
        files = ", ".join(args.labelled)
        unlabelled = sum(1 for r in records if r.get("task", "topic") == "topic" and not r.get("labels"))
        skipped = ", ".join(sorted(report.skipped_topics))
        why = (f"its labels name only topics that are not configured ({skipped})" if skipped else
               f"{unlabelled} of {len(records)} records are articles without \"labels\", and none is a "
               "\"near_copy\" case")
        print(f"monitor eval: nothing to measure in {files}: {why}. A labelled file gives each article "
              "\"labels\": {\"TOPIC\": true|false} (format: docs/quality.md)", file=sys.stderr)
        return 1
    if args.json:
        out: dict[str, Any] = {
            "topics": {
                name: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "tp": s.tp,
                    "fp": s.fp,
                    "fn": s.fn,
                    "tn": s.tn,
                    "errors": s.errors,
                }
                for name, s in report.topics.items()
            },
            "lookalike_matches": {name: s.fp for name, s in report.lookalikes.items()},
            # per topic, split (dev / heldout) and category, for records that name a category
            "categories": [
                {
                    "topic": topic,
                    "split": split,
                    "category": category,
                    "precision": s.precision,
                    "recall": s.recall,
                    "tp": s.tp,
                    "fp": s.fp,
                    "fn": s.fn,
                    "tn": s.tn,
                    "errors": s.errors,
                }
                for (topic, split, category), s in sorted(report.categories.items())
            ],
            "near_copy": {
                "precision": report.near_copy.precision,
                "recall": report.near_copy.recall,
                "f1": report.near_copy.f1,
                "false_copy_rate": report.false_copy_rate,
                "errors": report.near_copy.errors,
            },
            # B-cubed clustering scores of the "story" records, per split and "all"
            "stories": {
                split: {"precision": b.precision, "recall": b.recall, "f1": b.f1, "articles": b.items,
                        "stories": b.stories}
                for split, b in sorted(report.stories.items())
            },
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for line in report.lines():
        print(line)
    for name, s in sorted(report.topics.items()):
        if s.errors:
            print(f"topic {name} errors: {' '.join(s.errors)}")
    if report.near_copy.errors:
        print(f"near-copy errors: {' '.join(report.near_copy.errors)}")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    topics = subparsers.add_parser("topics", help="try a topic rule on articles")
    add_global_options(topics)
    topics_sub = topics.add_subparsers(dest="topics_command", required=True)
    test = topics_sub.add_parser(
        "test",
        help="match one topic against files and show the evidence",
        description="Match TOPIC (from the config) against each FILE: HTML (decided with its title), text in "
        'UTF-8 or a legacy Arabic code page (first line = title) or JSONL of {"id","title","text"}. Prints the '
        "decision, score, reason and evidence. Unusable inputs and JSONL lines are listed and skipped (exit 1).",
    )
    test.add_argument("topic", metavar="TOPIC")
    test.add_argument("files", nargs="+", metavar="FILE")
    test.add_argument("--json", action="store_true", help="one JSON object per article")
    add_global_options(test)
    test.set_defaults(func=cmd_topics_test)

    ev = subparsers.add_parser(
        "eval",
        help="precision/recall/F1 per topic and for near-copies on labelled JSONL",
        description="Evaluate the configured topics and the near-copy detector on labelled JSONL files "
        "(format: docs/quality.md; the project's own set is tests/fixtures/quality/*.jsonl).",
    )
    ev.add_argument("labelled", nargs="*", metavar="LABELLED.jsonl")
    ev.add_argument("--feedback", action="store_true", help="also score on the articles judged on the desk")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_global_options(ev)
    ev.set_defaults(func=cmd_eval)
