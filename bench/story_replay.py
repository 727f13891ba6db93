"""Alerts per story on a replay of a real fortnight of feeds: how many alerts each alerted story raised, and
how many stories were missed (their first relevant article did not alert).

    python bench/story_replay.py --ant ANT.jsonl [--first 2018-05-07 --last 2018-05-20] [--config config/monitor.toml]
    python bench/story_replay.py --quick      # the labelled story set's 223 articles only (CI smoke)
    python bench/story_replay.py --ant ANT.jsonl --dev-bcubed   # also: the story set's dev part scored in it

Topics: the config's and bench/data/replay_topics.toml's (the election the fortnight is about).
Articles: every article of the ANT corpus (the five outlets' RSS feeds, as one JSONL: id, source, title, text,
url, published; tests/fixtures/stories/build_stories.py reads the repository) published in the fortnight, in
published order. Each goes the pipeline's way through the real code: the near-copy lookup and the topic rules
of the config (monitor.decide.decision), then Store.record_article with one channel that alerts per story
(alert_on = "story") and one that alerts per article, in a SQLite file. Then the outbox is read:
    alerts per alerted story = story channel's alert.created deliveries / stories with at least one
    (story.updated messages are not alerts); the per-article channel's count is the same figure without stories
    missed = stories holding a topic match whose first matching article raised no alert on the story channel
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tomllib
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from _common import ROOT, load_average, machine

from monitor.decide.decision import build_alerts, decide
from monitor.decide.evaluation import bcubed, replay_stories
from monitor.models import ExtractedText
from monitor.settings.topics import parse_topics
from monitor.store.articles import NewArticle
from monitor.store.database import Store

STORY_SET = ROOT / "tests" / "fixtures" / "stories" / "ant_2018-05-07_20.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ant", type=Path, default=ROOT / "tests" / "fixtures" / "stories" / "ant_2018-05-07_20.jsonl",
                        help="the ANT corpus as JSONL (default: the labelled story set, its NATO/Iraq articles only)")
    parser.add_argument("--quick", action="store_true", help="the default set (CI smoke)")
    parser.add_argument("--first", default="2018-05-07")
    parser.add_argument("--last", default="2018-05-20")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "monitor.toml")
    parser.add_argument("--topics", type=Path, default=ROOT / "bench" / "data" / "replay_topics.toml",
                        help="more topics (TOML [topics.NAME] tables) beside the config's")
    parser.add_argument("--dev-bcubed", action="store_true",
                        help="also replay the fortnight in memory (monitor eval's replay) and print the B-cubed figures"
                             " of the story set's dev part in it (the held-out part is not scored here)")
    args = parser.parse_args()
    spec = dict(tomllib.loads(args.config.read_text(encoding="utf-8"))["topics"])
    spec.update(tomllib.loads(args.topics.read_text(encoding="utf-8"))["topics"])
    topics = parse_topics(spec)
    rows = [json.loads(line) for line in args.ant.open(encoding="utf-8")]
    rows = [r for r in rows if args.first <= str(r.get("published") or "")[:10] <= args.last]
    rows.sort(key=lambda r: (r["published"], r["id"]))
    started = time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "replay.db")
        for r in rows:
            published = datetime.fromisoformat(r["published"].replace("Z", "+00:00"))
            seen = published + timedelta(minutes=5)
            with store.atomic():
                decision = decide(r["id"], r["title"], r["text"], store.corpus_index, topics)
                alerts = build_alerts(decision, title=r["title"], url=r["url"], source=r["source"],
                                      published=published, text=r["text"], now=seen)
                article = NewArticle(article_id=r["id"], canonical_url=r["url"] + "#" + r["id"], url=r["url"],
                                     feed_url=None, guid=r["id"], source=r["source"],
                                     extracted=ExtractedText(r["title"], r["text"], "ar", "page"), summary="",
                                     published=published, seen_at=seen, in_corpus=bool(decision.matched_topics))
                store.record_article(article, decision, alerts, lambda topic: ["story", "article"],
                                     lambda channel: channel == "story")
            if decision.matched_topics and decision.duplicate_of is None:
                store.corpus_index.add(r["id"], r["text"])
        conn = store.db.conn
        created = Counter(str(s) for (s,) in conn.execute(
            "SELECT m.story_id FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
            " JOIN story_members m ON m.article_id = a.article_id"
            " WHERE d.channel = 'story' AND (d.batch_key IS NULL OR d.batch_key NOT LIKE 'story:%')"))
        updated = conn.execute("SELECT count(*), count(DISTINCT batch_key) FROM deliveries WHERE channel = 'story'"
                               " AND batch_key LIKE 'story:%'").fetchone()
        per_article = conn.execute("SELECT count(*) FROM deliveries WHERE channel = 'article'").fetchone()[0]
        matched = conn.execute(
            "SELECT m.story_id, m.article_id FROM story_members m JOIN decisions d ON d.article_id = m.article_id"
            " WHERE d.matched_topics <> '' ORDER BY m.joined_at, m.article_id").fetchall()
        first_match: dict[str, str] = {}
        for story_id, article_id in matched:
            first_match.setdefault(str(story_id), str(article_id))
        alerted_articles = {str(a) for (a,) in conn.execute(
            "SELECT a.article_id FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.channel = 'story'"
            " AND (d.batch_key IS NULL OR d.batch_key NOT LIKE 'story:%')")}
        missed = sorted(s for s, a in first_match.items() if a not in alerted_articles)
        store.close()
    cpu = time.process_time() - started
    print(machine())
    print(f"load average {load_average()}")
    print(f"replayed {len(rows)} articles published {args.first}..{args.last} (ANT corpus, 5 outlets)"
          f" in {cpu:.0f} s CPU")
    print(f"topics: {', '.join(t.name for t in topics)}; stories with a topic match: {len(first_match)};"
          f" alerted: {len(created)}")
    print(f"story channel: {sum(created.values())} alerts (alert.created), {updated[0]} later members in {updated[1]}"
          f" story.updated messages; per-article channel: {per_article} alerts")
    ratio = sum(created.values()) / len(created) if created else 0.0
    print(f"alerts per alerted story: {ratio:.3f} (most: {max(created.values()) if created else 0})")
    if args.dev_bcubed:
        labelled = [json.loads(line) for line in STORY_SET.open(encoding="utf-8")]
        dev = {str(r["id"]): str(r["story"]) for r in labelled if r.get("split", "dev") == "dev"}
        b = bcubed(dev, replay_stories(rows))
        print(f"story set dev part in the whole replay: {b.line()}")
    print(f"RESULT alerts per alerted story {ratio:.3f} (target <= 1.2: {'HOLDS' if ratio <= 1.2 else 'MISSES'});"
          f" stories missed {len(missed)} (target 0: {'HOLDS' if not missed else 'MISSES'}) {missed[:5]}")


if __name__ == "__main__":
    main()
