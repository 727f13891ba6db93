"""What `[pipeline] corpus_policy = "all"` costs over "matches": database bytes per article and lookup time.

    python bench/corpus_policy_cost.py            # the real corpus sample (bench/data/corpus.jsonl.gz)
    python bench/corpus_policy_cost.py --quick    # CI smoke size: its first 200 articles

Both databases store every real article of the sample the way the daemon does (articles row + search
index, through the store); under "all" each article also joins the near-copy index (SqliteCorpusIndex.add,
as poll.py does for a non-copy), under "matches" none does (a sample article matching no topic). The
difference of the two file sizes, per article, is what "all" adds. Lookup: wall time of index.check on
edited copies of sample articles, against each database's index (seeds aside). The index at 10k-1M
articles is bench/dedup_scale.py's job; this gives the per-article bytes on real text.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from _common import Article, corpus, median, percentile

from monitor.models import ExtractedText
from monitor.store.database import Store

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def build(path: Path, articles: Sequence[Article], join_corpus: bool) -> Store:
    store = Store(path)
    for start in range(0, len(articles), 200):
        with store.transaction() as db:
            for number, article in enumerate(articles[start:start + 200], start=start):
                article_id = f"b{number}"  # the sample repeats a few ids and URLs
                store.insert_article(
                    db, article_id=article_id, canonical_url=f"bench:{number}", url=article.url, feed_url=None,
                    guid=None, source="bench", extracted=ExtractedText(article.title, article.text, "ar", "page"),
                    summary="", published=None, seen_at=NOW, in_corpus=join_corpus)
                if join_corpus:
                    store.corpus_index.add(article_id, article.text)
    store.db.execute("VACUUM")
    return store


def lookups_ms(store: Store, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        started = time.perf_counter()
        store.corpus_index.check(text)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny run for CI: the first 200 articles")
    args = parser.parse_args()
    articles = corpus()[:200] if args.quick else corpus()
    queries = ["تحديث: " + a.text[: len(a.text) * 9 // 10] for a in articles[::20]]
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for policy, join in (("matches", False), ("all", True)):
            path = Path(tmp) / f"{policy}.db"
            started = time.perf_counter()
            store = build(path, articles, join)
            built = time.perf_counter() - started
            times = lookups_ms(store, queries)
            found = sum(store.corpus_index.check(q).duplicate_of is not None for q in queries)
            store.close()
            sizes[policy] = path.stat().st_size
            print(f"{policy:8} {len(articles)} articles: {sizes[policy] / len(articles):,.0f} bytes/article, "
                  f"built in {built:.1f} s, lookup median {median(times):.2f} ms p99 {percentile(times, 99):.2f} ms, "
                  f"{found}/{len(queries)} edited copies found")
        extra = (sizes["all"] - sizes["matches"]) / len(articles)
        print(f'RESULT "all" adds {extra:,.0f} bytes per article ({extra * 1e6 / 2**30:.1f} GiB per million '
              "articles): not judged (no target; docs/benchmarks.md)")


if __name__ == "__main__":
    main()
