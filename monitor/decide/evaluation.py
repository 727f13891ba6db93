"""Measure topic matching and near-copy detection on a labelled set (used by `monitor eval` and CI).

Labelled JSONL, one object per line, three kinds ("task"):
  {"task": "topic", "id", "title", "text", "labels": {"TOPIC": true|false, ...}, "confuser"?: "...",
   "category"?: "...", "split"?: "dev"|"heldout"}
      an article and, per topic, whether it is relevant; "confuser" marks a look-alike negative;
      "category" and "split" (default "dev") get their own figures, the tuned-on part apart from the held-out
  {"task": "corpus", "id", "title", "text"}
      an article put in the near-copy corpus before the checks
  {"task": "near_copy", "id", "case", "copy": true|false, "a_id" | "a": {...}, "b": {"id","title","text"}}
      is b a near-copy of a? (a is a corpus record id, or the article itself)
  {"task": "story", "id", "title", "text", "published", "source", "story": LABEL, "split"?: "dev"|"heldout"}
      an article of a replayed stretch of feeds and the story it belongs to (read, not computed); the
      records are replayed in published order through the story assignment and scored with B-cubed
      precision, recall and F1 per split
Pure: records in, numbers out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from monitor.decide.near_copies import MemoryCorpusIndex, similarity
from monitor.decide.stories import MemoryStoryIndex, terms_of_text
from monitor.decide.topics import match_topic
from monitor.models import NearCopy
from monitor.settings.topics import Topic


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[str] = field(default_factory=list)  # ids wrongly decided, "fp:ID" / "fn:ID"

    def add(self, truth: bool, predicted: bool, record_id: str) -> None:
        if truth and predicted:
            self.tp += 1
        elif truth:
            self.fn += 1
            self.errors.append(f"fn:{record_id}")
        elif predicted:
            self.fp += 1
            self.errors.append(f"fp:{record_id}")
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def line(self) -> str:
        return (
            f"precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}  "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn}, tn {self.tn})"
        )


@dataclass(frozen=True)
class BCubed:
    """B-cubed clustering scores (Bagga and Baldwin 1998): per item, the share of its predicted cluster that
    is in its true cluster (precision) and of its true cluster found in its predicted one (recall), averaged."""

    precision: float
    recall: float
    items: int
    stories: int  # true clusters

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return (f"B-cubed precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}  "
                f"({self.items} articles, {self.stories} stories)")


def bcubed(truth: Mapping[str, str], predicted: Mapping[str, str]) -> BCubed:
    """Score the items of `truth` (item -> true cluster) against `predicted` (item -> predicted cluster),
    each predicted cluster restricted to the items of `truth`."""
    true_members: dict[str, set[str]] = {}
    predicted_members: dict[str, set[str]] = {}
    for item, label in truth.items():
        true_members.setdefault(label, set()).add(item)
        predicted_members.setdefault(predicted.get(item, "\x00" + item), set()).add(item)
    if not truth:
        return BCubed(1.0, 1.0, 0, 0)
    precision = recall = 0.0
    for item, label in truth.items():
        mine = predicted_members[predicted.get(item, "\x00" + item)]
        same = len(mine & true_members[label])
        precision += same / len(mine)
        recall += same / len(true_members[label])
    n = len(truth)
    return BCubed(precision / n, recall / n, n, len(true_members))


def replay_stories(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Article id -> story id, replaying the records in published order as the pipeline would: near-copies
    looked up first (a near-copy joins its original's story), then the story assignment."""
    ordered = sorted(records, key=lambda r: (str(r.get("published") or ""), str(r["id"])))
    stories = MemoryStoryIndex()
    copies = MemoryCorpusIndex()
    for r in ordered:
        title, text = _text(r)
        at = datetime.fromisoformat(str(r["published"]).replace("Z", "+00:00"))
        original = copies.check(text).duplicate_of
        stories.add(str(r["id"]), terms_of_text(title, text), at, original)
        copies.add(str(r["id"]), text)
    return dict(stories.story_of)


@dataclass
class Report:
    topics: dict[str, Scores] = field(default_factory=dict)
    lookalikes: dict[str, Scores] = field(default_factory=dict)  # per topic, on look-alike negatives only
    near_copy: Scores = field(default_factory=Scores)
    near_copy_cases: dict[str, Scores] = field(default_factory=dict)
    skipped_topics: Counter[str] = field(default_factory=Counter)  # labels for topics not configured
    # (topic, split, category) -> scores, for records that name a category
    categories: dict[tuple[str, str, str], Scores] = field(default_factory=dict)
    stories: dict[str, BCubed] = field(default_factory=dict)  # split ("all", "dev", "heldout") -> scores

    @property
    def false_copy_rate(self) -> float:
        """Share of labelled non-copies (independent reports, controls) wrongly called copies."""
        return self.near_copy.false_positive_rate

    def lines(self) -> list[str]:
        out = []
        for name, s in sorted(self.topics.items()):
            out.append(f"topic {name}: {s.line()}")
            look = self.lookalikes.get(name)
            if look is not None:
                out.append(f"  look-alike negatives matched: {look.fp} of {look.fp + look.tn}")
            for (topic, split, category), c in sorted(self.categories.items()):
                if topic == name:
                    out.append(f"  {split:<7} {category:<16} {c.line()}")
        for name, n in sorted(self.skipped_topics.items()):
            out.append(f"topic {name}: {n} labels skipped (topic not in the config)")
        nc = self.near_copy
        if nc.tp + nc.fp + nc.fn + nc.tn:
            out.append(f"near-copies: {nc.line()}")
            out.append(f"  non-copies wrongly called copies: {nc.fp} of {nc.fp + nc.tn} ({self.false_copy_rate:.1%})")
            for case, s in sorted(self.near_copy_cases.items()):
                total = s.tp + s.fp + s.fn + s.tn
                wrong = s.fp + s.fn
                out.append(f"  {case:<24} {total - wrong}/{total} right")
        for split, b in sorted(self.stories.items()):
            out.append(f"stories {split:<8} {b.line()}")
        return out


def _text(record: Mapping[str, Any]) -> tuple[str, str]:
    return str(record.get("title") or ""), str(record.get("text") or "")


class CorpusIndex(Protocol):
    """What the near-copy pass needs of an index: the in-memory one, or a store's (either backend)."""

    def add(self, doc_id: str, text: str) -> None: ...
    def check(self, text: str) -> NearCopy: ...


def evaluate(records: Iterable[Mapping[str, Any]], topics: Sequence[Topic],
             on_progress: Callable[[int, int], None] | None = None, index: CorpusIndex | None = None) -> Report:
    """Score every record; on_progress(records scored for topics, records) as the topic pass goes. The
    near-copies are decided by `index` when given (empty at the start), else by an in-memory index."""
    report = Report()
    by_name = {t.name: t for t in topics}
    rows = list(records)

    for done, r in enumerate(rows):
        if on_progress is not None:
            on_progress(done, len(rows))
        if r.get("task", "topic") != "topic":
            continue
        title, text = _text(r)
        for name, truth in (r.get("labels") or {}).items():
            topic = by_name.get(name)
            if topic is None:
                report.skipped_topics[name] += 1
                continue
            predicted = match_topic(topic, title, text).matched
            report.topics.setdefault(name, Scores()).add(bool(truth), predicted, str(r.get("id")))
            if r.get("confuser"):
                report.lookalikes.setdefault(name, Scores()).add(bool(truth), predicted, str(r.get("id")))
            if r.get("category"):
                key = (name, str(r.get("split") or "dev"), str(r["category"]))
                report.categories.setdefault(key, Scores()).add(bool(truth), predicted, str(r.get("id")))

    if on_progress is not None:
        on_progress(len(rows), len(rows))
    index = index if index is not None else MemoryCorpusIndex()
    corpus: dict[str, str] = {}

    def put(doc: Mapping[str, Any]) -> str:
        doc_id = str(doc["id"])
        if doc_id not in corpus:
            corpus[doc_id] = _text(doc)[1]
            index.add(doc_id, corpus[doc_id])
        return doc_id

    for r in rows:
        if r.get("task") == "corpus":
            put(r)
        elif r.get("task") == "near_copy" and isinstance(r.get("a"), Mapping):
            put(r["a"])
    for r in rows:
        if r.get("task") != "near_copy":
            continue
        a_id = str(r["a"]["id"]) if isinstance(r.get("a"), Mapping) else str(r["a_id"])
        result = index.check(_text(r["b"])[1])
        found = result.duplicate_of
        # Right when it names a, or a corpus article with a's text (the corpus may hold a twice).
        hit = found is not None and (found == a_id or similarity(corpus[found], corpus[a_id]) >= 0.95)
        truth = bool(r["copy"])
        predicted = hit if truth else found == a_id
        report.near_copy.add(truth, predicted, str(r.get("id")))
        report.near_copy_cases.setdefault(str(r.get("case", "")), Scores()).add(truth, predicted, str(r.get("id")))
    story_records = [r for r in rows if r.get("task") == "story"]
    if story_records:
        predicted_story = replay_stories(story_records)
        truth = {str(r["id"]): str(r["story"]) for r in story_records}
        report.stories["all"] = bcubed(truth, predicted_story)
        for split in sorted({str(r.get("split") or "dev") for r in story_records}):
            part = {str(r["id"]): str(r["story"]) for r in story_records if str(r.get("split") or "dev") == split}
            report.stories[split] = bcubed(part, predicted_story)
    return report
