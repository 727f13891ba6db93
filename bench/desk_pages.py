"""The desk's pages at scale: inbox, article and search latency (p50, p95) with N stored articles.

    python bench/desk_pages.py                         # 100k articles (a few minutes)
    python bench/desk_pages.py --articles 1000000      # the issue's size (1M: ~30 min to build, ~6 GB disk)
    python bench/desk_pages.py --quick                 # CI smoke size

Targets (issue 16): inbox and article pages p95 < 150 ms, search p95 < 300 ms at 1M articles.
Data: synthetic articles recombining real Arabic sentences of the ANT corpus sample (bench/data), stored
with the store's own schema (Store opens the database, so every table and index the daemon and the desk
create is there) and indexed for search with monitor.store.search.index_article; --alert-share of them
have an alert (with evidence on their first words) and a delivery; every three consecutive articles make a
story (story_members), so the inbox, grouped by story by default, groups their alerts. Rows are written in bulk in one
transaction per 10,000 articles, as the pipeline's own inserts would take hours.
Measurement: the desk's real ASGI app, in process, logged in as an editor (Starlette's test client: routing,
session, templates, SQL, all but the socket). Each request is timed from call to full body. Pages asked
for: the inbox (first page, a topic filter, unread only, page 5), random alerted articles, and searches for
words drawn by frequency from the corpus vocabulary (one and two words), newest first (the default) and by
best match.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import corpus, machine, median, percentile, verdict

from monitor.desk.app import create_app
from monitor.desk.auth import hash_password
from monitor.desk.context import DeskContext
from monitor.settings.desk import parse_desk_settings
from monitor.store import search
from monitor.store.database import Store
from monitor.store.times import format_time
from monitor.text.arabic import tokenize

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette prefers httpx2; the test client still runs on httpx
    from starlette.testclient import TestClient

PAGE_TARGET_MS = 150.0
SEARCH_TARGET_MS = 300.0
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOPICS = ("nato_iraq", "oil_markets", "elections")
SOURCES = tuple(f"source_{i:02d}" for i in range(40))


def build(path: Path, size: int, alert_share: float, seed: int = 7) -> list[str]:
    """Fill a fresh database with `size` articles; returns the ids of the alerted ones."""
    rng = random.Random(seed)
    sentences = [s.strip() for a in corpus() for s in re.split(r"(?<=[.!؟])\s+", a.text) if len(s.strip()) > 20]
    titles = [a.title for a in corpus() if a.title]
    store = Store(path)
    conn = store.db.conn
    alerted: list[str] = []
    for source in SOURCES:
        store.add_feed(f"https://{source}.example/rss", source, NOW - timedelta(days=60))
    started = time.monotonic()
    for start in range(0, size, 10_000):
        conn.execute("BEGIN")
        for n in range(start, min(size, start + 10_000)):
            article_id = f"a{n:07d}"
            source = SOURCES[n % len(SOURCES)]
            title = rng.choice(titles)
            text = "\n".join(rng.choice(sentences) for _ in range(rng.randint(4, 14)))
            seen = NOW - timedelta(minutes=(size - n) * 2)
            stamp = format_time(seen)
            conn.execute(
                "INSERT INTO articles (id, canonical_url, url, feed_url, guid, source, title, published, seen_at,"
                " text, summary, language, extraction, is_seed, in_corpus) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 'ar', 'page', 0, 0)",
                (article_id, f"https://{source}.example/{n}", f"https://{source}.example/{n}",
                 f"https://{source}.example/rss", str(n), source, title, stamp, stamp, text),
            )
            search.index_article(conn, article_id, title, text)
            # every article joins a story, as in the pipeline: here stories of three consecutive articles
            conn.execute(
                "INSERT INTO story_members (article_id, story_id, similarity, reason, source, joined_at)"
                " VALUES (?, ?, 0.5, 'similar', ?, ?)", (article_id, f"a{n - n % 3:07d}", source, stamp),
            )
            alert = rng.random() < alert_share
            topic = rng.choice(TOPICS)
            words = text.split()[:2]
            evidence = [{"group": "g", "term": w, "matched": w, "start": len(title) + 2 + text.index(w),
                         "sentence": text.split("\n")[0]} for w in words]
            result = {"name": topic, "matched": alert, "score": 2.5 if alert else 0.5, "threshold": 2.0,
                      "reason": "bench", "evidence": evidence}
            conn.execute(
                "INSERT INTO decisions (article_id, decided_at, duplicate_of, similarity, duplicate_kind,"
                " duplicate_passage, matched_topics, topics_json) VALUES (?, ?, NULL, 0.1, 'none', '', ?, ?)",
                (article_id, stamp, topic if alert else "", json.dumps([result], ensure_ascii=False)),
            )
            if alert:
                alert_id = f"al_{n:07d}"
                conn.execute(
                    "INSERT INTO alerts (id, article_id, topic, score, threshold, reason, evidence, title, url,"
                    " source, published, snippet, created_at) VALUES (?, ?, ?, 2.5, 2.0, 'bench', ?, ?, ?, ?, ?,"
                    " '', ?)",
                    (alert_id, article_id, topic, json.dumps(evidence, ensure_ascii=False), title,
                     f"https://{source}.example/{n}", source, format_time(seen), format_time(seen)),
                )
                state = "failed" if rng.random() < 0.02 else "delivered"
                conn.execute(
                    "INSERT INTO deliveries (id, kind, alert_id, channel, state, attempts, next_attempt_at, created_at,"
                    " updated_at) VALUES (?, 'alert', ?, 'newsroom', ?, 1, ?, ?, ?)",
                    (f"{alert_id}:newsroom", alert_id, state, format_time(seen), format_time(seen), format_time(seen)),
                )
                alerted.append(article_id)
        conn.execute("COMMIT")
        if size >= 100_000:
            print(f"  {min(size, start + 10_000):,} articles stored ({time.monotonic() - started:.0f} s)", flush=True)
    conn.execute("ANALYZE")
    store.close()
    return alerted


def query_words(rng: random.Random, count: int) -> list[str]:
    vocabulary = Counter(t for a in corpus()[:2000] for t in tokenize(a.text) if len(t) > 3)
    words, weights = zip(*vocabulary.most_common(3000), strict=True)
    out = []
    for i in range(count):
        picked = rng.choices(words, weights=weights, k=1 + i % 2)
        out.append(" ".join(picked))
    return out


def timed(client: TestClient, url: str, params: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    answer = client.get(url, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{url} {params}: HTTP {answer.status_code}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--alert-share", type=float, default=0.05, help="share of articles with an alert")
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind")
    parser.add_argument("--database", type=Path, help="keep (or reuse) the database here")
    parser.add_argument("--quick", action="store_true", help="tiny run for CI")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.requests = 2000, 20
    print(f"machine: {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    path = args.database or workdir / "monitor.db"
    started = time.monotonic()
    if path.exists():
        conn = Store(path)
        alerted = [r[0] for r in conn.db.execute("SELECT article_id FROM alerts")]
        conn.close()
    else:
        alerted = build(path, args.articles, args.alert_share)
    print(f"database: {path} ({path.stat().st_size / 2**20:.0f} MB, built in {time.monotonic() - started:.0f} s), "
          f"{len(alerted):,} alerts")

    password = "bench-password"
    settings = parse_desk_settings({"secret_key": "bench", "page_size": 50,
                                    "users": {"ana": {"role": "editor", "password_hash": hash_password(password)}}})
    client = TestClient(create_app(DeskContext(settings, path, (), clock=lambda: NOW)), base_url="http://127.0.0.1")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    client.post("/login", data={"csrf": token.group(1), "user": "ana", "password": password})

    rng = random.Random(11)
    inbox_views = [{}, {"topic": "nato_iraq"}, {"read": "unread"}, {"page": "5"}, {"source": SOURCES[3]}]
    for params in inbox_views:  # warm the page cache and the templates once
        timed(client, "/", params)
    inbox = [timed(client, "/", inbox_views[i % len(inbox_views)]) for i in range(args.requests)]
    articles = [timed(client, f"/articles/{rng.choice(alerted)}") for _ in range(args.requests)]
    words = query_words(rng, args.requests)
    searches = [timed(client, "/search", {"q": q}) for q in words]
    ranked = [timed(client, "/search", {"q": q, "order": "rank"}) for q in words]

    for name, values, target in (("inbox", inbox, PAGE_TARGET_MS), ("article", articles, PAGE_TARGET_MS),
                                 ("search (newest first, the default)", searches, SEARCH_TARGET_MS),
                                 ("search (best match)", ranked, SEARCH_TARGET_MS)):
        p95 = percentile(values, 95)
        print(f"RESULT {name} page at {args.articles:,} articles: median {median(values):.1f} ms, "
              f"p95 {p95:.1f} ms, max {max(values):.1f} ms (target p95 < {target:.0f} ms at 1M: "
              f"{verdict(p95 < target) if args.articles >= 1_000_000 else 'not judged below 1M'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
