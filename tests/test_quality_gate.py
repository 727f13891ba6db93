"""Quality gate: pinned minimums on the labelled set; the build fails when detection quality drops.

The set (tests/fixtures/quality/, built by build_fixture.py, provenance in tests/fixtures/PROVENANCE.md):
real ANT and SaudiNewsNet articles labelled by reading them, the seeds, the look-alike negatives, verified
copy pairs, copies constructed from seeds and articles, and independent same-event reports.
Reproduce the figures with:  monitor eval tests/fixtures/quality/*.jsonl
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.main import main
from monitor.decide.evaluation import Report, evaluate
from monitor.settings.topics import parse_topics
from monitor.store.opening import open_store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "quality"
FILES = ("topics_ant.jsonl", "topics_snn.jsonl", "near_copies.jsonl")

# The targets. Raise them when quality improves; never lower them to make a change pass.
MIN_TOPIC_RECALL = 0.98
MIN_TOPIC_PRECISION = 0.95
MIN_NEAR_COPY_RECALL = 0.97
MAX_FALSE_COPY_RATE = 0.02
MAX_LOOKALIKE_MATCHES = 0
# The deployed-day set (build_deployed.py): every category of the tuned-on part at the target; the
# held-out part (rounds 23 to 26, written blind and never tuned on) is pinned at its measured figures
# (docs/quality.md), overall and per category: the target where it is met, the measured figure where
# it is not. (The pins were last set when the held-out part became rounds 23-26, four new rounds: a change of
# set, not of rules.)
DEPLOYED = ("deployed_dev.jsonl", "deployed_heldout.jsonl")
MIN_HELDOUT_ITEMS_PER_CATEGORY = 35
MIN_HELDOUT_RECALL = 0.91  # 806 of 880, measured once after round 22's fix
MIN_HELDOUT_PRECISION = 0.92  # 806 of 872
# Rounds 23-26's held-out figures where a category is below the target (80 positives per category).
MIN_HELDOUT_CATEGORY_RECALL = {
    "arabizi": 0.90, "digest": 0.81, "elsewhere": 0.96, "enumeration": 0.73, "headline": 0.92,
    "named_status": 0.96, "relative_clause": 0.92, "summary": 0.96, "surname": 0.95, "venue": 0.95,
}  # fmt: skip
MIN_HELDOUT_CATEGORY_PRECISION = {
    "arabizi": 0.79, "elsewhere": 0.88, "enumeration": 0.93, "named_status": 0.96, "relative_clause": 0.82,
    "summary": 0.96,
}  # fmt: skip
# Dev below the target in three categories (docs/quality.md lists the errors): those left after rounds 14 to 17
# were fixed (mission lists naming the mission only as البعثة or under a title naming one side, digests whose
# link no rule reads without taking false alarms with it); rounds 18's to 22's were fixed after each was
# measured, but for lists, digests and clauses whose point names no Iraqi party (an unnamed government or
# ministry, Iraq's blocs or institutions) or the alliance only as الحلف after a verb, and round 22's digests
# with no Iraqi word or Iraq in another point. Round 22 counts as dev from its fix on, which moved digest to
# 287 of 303 (enumeration 286 of 305, relative_clause 297 of 304):
MIN_DEV_CATEGORY_RECALL = {"digest": 0.94, "enumeration": 0.93, "relative_clause": 0.97}
# The story set (tests/fixtures/stories/, docs/stories.md): the target on the held-out part (F1 0.90,
# measured 0.930); dev F1 and precision pinned at the measured figures (dev F1 0.773, precision 0.909 dev,
# 0.977 held-out), so they only stop a drop.
STORIES = ROOT / "tests" / "fixtures" / "stories" / "ant_2018-05-07_20.jsonl"
MIN_STORY_HELDOUT_F1 = 0.90
MIN_STORY_DEV_F1 = 0.77
MIN_STORY_PRECISION = 0.90


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (FIXTURES / name).open(encoding="utf-8")]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [r for name in FILES for r in load(name)]


@pytest.fixture(scope="module")
def report(records: list[dict[str, Any]]) -> Report:
    config = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))
    return evaluate(records, parse_topics(config["topics"]))


def test_labelled_set_is_what_it_claims(records: list[dict[str, Any]]) -> None:
    topic = [r for r in records if r["task"] == "topic"]
    positives = [r for r in topic if r["labels"]["nato_iraq"]]
    assert len(topic) >= 550
    assert len([r for r in positives if not r["constructed"]]) >= 7  # 5 seeds + real corpus positives
    assert all(r["label_note"] for r in positives)
    bucket_files = {"ant_nato_iraq.jsonl": 24, "saudinewsnet_sample.jsonl": 59 + 80}
    for name, n in bucket_files.items():
        assert sum(r["source_file"] == name for r in topic) == n
    assert sum(bool(r.get("confuser")) for r in topic) == 127
    cases = [r for r in records if r["task"] == "near_copy"]
    assert sum(r["case"] == "independent" for r in cases) >= 80
    assert sum(r["copy"] for r in cases) >= 300


def test_topic_quality(report: Report) -> None:
    scores = report.topics["nato_iraq"]
    assert scores.recall >= MIN_TOPIC_RECALL, scores.errors
    assert scores.precision >= MIN_TOPIC_PRECISION, scores.errors


def test_no_lookalike_matches(report: Report) -> None:
    assert report.lookalikes["nato_iraq"].fp <= MAX_LOOKALIKE_MATCHES, report.lookalikes["nato_iraq"].errors


def test_near_copy_quality(report: Report) -> None:
    assert report.near_copy.recall >= MIN_NEAR_COPY_RECALL, report.near_copy.errors
    assert report.false_copy_rate <= MAX_FALSE_COPY_RATE, report.near_copy.errors
    independent = report.near_copy_cases["independent"]
    assert independent.fp / (independent.fp + independent.tn) <= MAX_FALSE_COPY_RATE


def test_the_gate_gives_the_same_figures_with_the_stores_index_on_both_backends(
    records: list[dict[str, Any]], report: Report, tmp_path: Path, backend_url: str | None
) -> None:
    """The whole gate again, its near-copies decided by the index as a store keeps it (SQLite tables, or
    PostgreSQL's): every figure as with the in-memory index."""
    config = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))
    store = open_store(tmp_path / "gate.db", backend_url)
    try:
        with store.atomic():
            stored = evaluate(records, parse_topics(config["topics"]), index=store.corpus_index)
    finally:
        store.close()
    assert stored.lines() == report.lines()
    assert stored.near_copy.recall >= MIN_NEAR_COPY_RECALL and stored.false_copy_rate <= MAX_FALSE_COPY_RATE


@pytest.fixture(scope="module")
def deployed() -> Report:
    config = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))
    return evaluate([r for name in DEPLOYED for r in load(name)], parse_topics(config["topics"]))


def _require_heldout() -> None:
    """Between a measured round's move to dev and the next round's commit the held-out part is empty."""
    if not load("deployed_heldout.jsonl"):
        pytest.skip("no held-out round written yet: the last measured round is dev now")


def test_deployed_set_covers_every_category_in_both_parts(deployed: Report) -> None:
    _require_heldout()
    categories = {"headline", "summary", "variants", "arabizi", "enumeration", "relative_clause", "venue",
                  "named_status", "surname", "digest", "elsewhere"}  # fmt: skip
    for split in ("dev", "heldout"):
        assert {c for (_, s, c) in deployed.categories if s == split} == categories


def test_deployed_dev_meets_the_target_in_every_category(deployed: Report) -> None:
    for (_, split, category), s in deployed.categories.items():
        if split == "dev":
            assert s.recall >= MIN_DEV_CATEGORY_RECALL.get(category, MIN_TOPIC_RECALL), (category, s.errors)
            assert s.precision >= MIN_TOPIC_PRECISION, (category, s.errors)


def test_deployed_heldout_does_not_drop(deployed: Report) -> None:
    _require_heldout()
    held = [s for (_, split, _), s in deployed.categories.items() if split == "heldout"]
    tp, fp, fn = sum(s.tp for s in held), sum(s.fp for s in held), sum(s.fn for s in held)
    assert tp / (tp + fn) >= MIN_HELDOUT_RECALL
    assert tp / (tp + fp) >= MIN_HELDOUT_PRECISION
    for (_, split, category), s in deployed.categories.items():
        if split == "heldout":
            assert s.tp + s.fp + s.fn + s.tn >= MIN_HELDOUT_ITEMS_PER_CATEGORY, category
            assert s.recall >= MIN_HELDOUT_CATEGORY_RECALL.get(category, MIN_TOPIC_RECALL), (category, s.errors)
            precision = MIN_HELDOUT_CATEGORY_PRECISION.get(category, MIN_TOPIC_PRECISION)
            assert s.precision >= precision, (category, s.errors)


def test_eval_command_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(FIXTURES / name) for name in ("topics_ant.jsonl", "near_copies.jsonl")]
    assert main(["eval", *paths, "--config", str(ROOT / "config" / "monitor.toml")]) == 0
    out = capsys.readouterr().out
    assert "topic nato_iraq: precision" in out
    assert "near-copies: precision" in out
    assert "look-alike negatives matched: 0 of 127" in out


def test_topics_test_command_shows_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
    assert main(["topics", "test", "nato_iraq", str(seed), "--config", str(ROOT / "config" / "monitor.toml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MATCH")
    assert "[nato]" in out and "[iraq]" in out


def test_eval_reports_dev_and_heldout_per_category(capsys: pytest.CaptureFixture[str]) -> None:
    _require_heldout()
    paths = [str(FIXTURES / name) for name in DEPLOYED]
    assert main(["eval", *paths, "--config", str(ROOT / "config" / "monitor.toml"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["categories"]
    assert {(r["split"], r["category"]) for r in rows} >= {("dev", "headline"), ("heldout", "headline")}
    headline = next(r for r in rows if r["split"] == "heldout" and r["category"] == "headline")
    assert headline["tp"] + headline["fn"] == 80  # the held-out rounds' written headline positives, 20 each
    assert headline["tp"] / 80 >= MIN_HELDOUT_CATEGORY_RECALL.get("headline", MIN_TOPIC_RECALL)


@pytest.fixture(scope="module")
def stories() -> Report:
    return evaluate([json.loads(line) for line in STORIES.open(encoding="utf-8")], [])


def test_story_set_is_what_it_claims(stories: Report) -> None:
    assert stories.stories["dev"].items == 144 and stories.stories["heldout"].items == 79
    assert stories.stories["all"].stories == 92


def test_story_clustering_quality(stories: Report) -> None:
    assert stories.stories["heldout"].f1 >= MIN_STORY_HELDOUT_F1, stories.stories["heldout"].line()
    assert stories.stories["dev"].f1 >= MIN_STORY_DEV_F1, stories.stories["dev"].line()
    for split in ("dev", "heldout"):
        assert stories.stories[split].precision >= MIN_STORY_PRECISION, stories.stories[split].line()


def test_eval_prints_story_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(STORIES), "--config", str(ROOT / "config" / "monitor.toml")]) == 0
    assert "stories heldout  B-cubed precision" in capsys.readouterr().out
