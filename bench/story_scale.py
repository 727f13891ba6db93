"""Story assignment at scale: latency (median, p99) of placing an article in its story with 1M articles stored.

    python bench/story_scale.py --ant ANT.jsonl                 # 1M stored (a few minutes)
    python bench/story_scale.py --ant ANT.jsonl --stored 100000
    python bench/story_scale.py --quick                         # CI smoke size, from the bench corpus sample

Beside bench/dedup_scale.py (the near-copy lookup). The store: the daemon's own (Store + store/stories.py).
Articles: real ones, the full ANT corpus as one JSONL (tests/fixtures/stories/build_stories.py reads the
repository; `--ant` takes its records: id, title, text, published), else bench/data/corpus.jsonl.gz.
What is stored: the WINDOW real articles before the queries joined through the real code, their times spread
evenly over the 72 h window, so the window holds as many open stories as a feed set of
stored/365-days articles a day would; then the rest of the stored articles as closed stories (their members,
their stories' rows with empty vectors: a closed story is never read again, its terms are pruned) and their
term frequencies (the ANT corpus's, scaled to the stored count). That is what a lookup reads: the document
frequencies of its terms, the open stories' term index and the candidates' vectors.
Measurement: QUERIES further real articles, each placed and recorded (stories.join, which places first) in
its own transaction, as record_article does, with the article's terms computed beforehand (the pipeline
computes them in the extraction workers with the rest of the text work); latency = wall and CPU time per
article of the join, and the wall time of the transaction's commit apart.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, load_average, machine

from monitor.decide.stories import terms_of_text
from monitor.store import stories
from monitor.store.database import Store
from monitor.store.times import format_time

WINDOW_HOURS = 72.0
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def read_articles(path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        with gzip.open(ROOT / "bench" / "data" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh]
    else:
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    rows = [r for r in rows if r.get("text")]
    rows.sort(key=lambda r: (str(r.get("published") or ""), str(r["id"])))
    return rows


def build(db_path: Path, rows: list[dict[str, Any]], stored: int, window: int) -> Store:
    store = Store(db_path)
    conn = store.db.conn
    open_rows = rows[:window]
    step = timedelta(hours=WINDOW_HOURS) / max(1, window)
    start = NOW - timedelta(hours=WINDOW_HOURS)
    with store.transaction():
        for i, r in enumerate(open_rows):
            stories.join(conn, article_id=f"w{i}", source=str(r.get("source") or ""), title=str(r["title"]),
                         text=str(r["text"]), at=start + step * i, near_copy_of=None, topics=(),
                         settings=store.story_settings, cache=store.story_cache)
    closed = stored - window
    if closed > 0:
        df: Counter[str] = Counter()
        for r in rows:
            df.update(terms_of_text(str(r["title"]), str(r["text"])).unique)
        scale = closed / len(rows)
        old = format_time(start - timedelta(days=30))
        with store.transaction():
            conn.executemany(
                "INSERT INTO story_df (term, df) VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET df = story_df.df + ?",
                [(t, round(n * scale), round(n * scale)) for t, n in df.items()],
            )
            conn.execute("UPDATE story_docs SET n = n + ? WHERE id = 1", [closed])
            rng = random.Random(7)
            story = None
            batch_members: list[tuple[Any, ...]] = []
            batch_stories: list[tuple[Any, ...]] = []
            for i in range(closed):
                if story is None or rng.random() < 0.6:  # ~1.7 articles per story, as in the replays
                    story = f"c{i}"
                    batch_stories.append((story, story, old, old, 1, "", "{}", "[]", 0))
                batch_members.append((f"c{i}", story, 0.0, "new", "bench", old))
                if len(batch_members) >= 50000:
                    _flush(conn, batch_members, batch_stories)
            _flush(conn, batch_members, batch_stories)
    return store


def _flush(conn: Any, members: list[tuple[Any, ...]], story_rows: list[tuple[Any, ...]]) -> None:
    conn.executemany("INSERT INTO stories (id, first_article_id, first_seen, last_seen, size, topics, centroid, recent,"
                     " indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", story_rows)
    conn.executemany("INSERT INTO story_members (article_id, story_id, similarity, reason, source, joined_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", members)
    members.clear()
    story_rows.clear()


def measure(store: Store, queries: list[dict[str, Any]], first: int = 0
            ) -> tuple[list[float], list[float], list[float]]:
    """Per article: wall and CPU ms of the assignment (stories.join inside the transaction, as record_article
    runs it), and wall ms of that transaction's commit (shared with the article's other rows in the daemon)."""
    wall: list[float] = []
    cpu: list[float] = []
    commit: list[float] = []
    for i, r in enumerate(queries, start=first):
        at = NOW + timedelta(seconds=i)
        # the terms come from the article's text work, done in the extraction workers (decide/analysis.py)
        terms = terms_of_text(str(r["title"]), str(r["text"]))
        with store.transaction() as db:
            w0, c0 = time.perf_counter(), time.process_time()
            stories.join(db.conn, article_id=f"q{i}", source=str(r.get("source") or ""), title=str(r["title"]),
                         text=str(r["text"]), at=at, near_copy_of=None, topics=(), settings=store.story_settings,
                         terms=terms, cache=store.story_cache)
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            w1 = time.perf_counter()
        commit.append((time.perf_counter() - w1) * 1000)
    return wall, cpu, commit


def p99(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ant", type=Path, help="the full ANT corpus as JSONL (id, title, text, published)")
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = read_articles(args.ant)
    stored, n_queries = (20_000, 100) if args.quick else (args.stored, args.queries)
    window = min(len(rows) - n_queries, max(500, round(stored / 365 * WINDOW_HOURS / 24)))
    queries = rows[window : window + n_queries]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = build(Path(tmp) / "stories.db", rows, stored, window)
        built = time.perf_counter() - t0
        store.close()
        # a process opening the database: its first join reads the window's open stories into memory
        store = Store(Path(tmp) / "stories.db")
        w0, c0 = time.perf_counter(), time.process_time()
        measure(store, queries[:1])
        first_wall, first_cpu = (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000
        open_stories = len(store.story_cache.index)
        wall, cpu, commit = measure(store, queries[1:], first=1)
        size = (Path(tmp) / "stories.db").stat().st_size
        store.close()
    print(machine())
    print(f"load average {load_average()}")
    print(f"stored {stored} articles ({window} in the {WINDOW_HOURS:.0f} h window, {open_stories} open stories);"
          f" built in {built:.0f} s; database {size / 1e6:.0f} MB")
    print(f"first join of a new process (reads the open stories into memory): wall {first_wall:.0f} ms,"
          f" CPU {first_cpu:.0f} ms")
    print(f"story assignment (place + record), {len(queries)} real articles: wall median {statistics.median(wall):.2f}"
          f" ms, p99 {p99(wall):.2f} ms; CPU median {statistics.median(cpu):.2f} ms, p99 {p99(cpu):.2f} ms;"
          f" commit of its transaction: median {statistics.median(commit):.2f} ms, p99 {p99(commit):.2f} ms")
    verdict = "HOLDS" if p99(wall) < 5.0 else "MISSES"
    print(f"RESULT story assignment p99 {p99(wall):.2f} ms wall (target < 5 ms: {verdict})")


if __name__ == "__main__":
    main()
