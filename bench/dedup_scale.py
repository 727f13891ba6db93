"""Near-copy lookup at scale: latency (median, p99), memory and start-up with 10k .. 1M corpus articles.

    python bench/dedup_scale.py                                   # 10k and 100k (a few minutes)
    python bench/dedup_scale.py --sizes 10000,100000,300000,1000000   # the full sizes (1M: ~20 min, ~8 GB disk)
    python bench/dedup_scale.py --quick                           # CI smoke size

Index: the daemon's own, SqliteCorpusIndex (monitor/store/corpus_index.py) in a Store database.
Corpus: synthetic articles made by recombining real Arabic sentences of the ANT corpus sample
(bench/data/corpus.jsonl.gz), with article lengths drawn from the real articles. Pure recombination would
repeat every sentence N*12/40k times at N articles (300 times at 1M), so every shingle would be as common
as boilerplate and the index would look far worse than with real news; so each word is also replaced,
with probability --mutate (default 0.25), by a word drawn from the corpus vocabulary by frequency. Runs of
four words then repeat about as often as real phrases do; `--mutate 0` gives the pessimistic case.
Loading: the fingerprints are computed with the index's own functions (checked against
monitor.decide.near_copies.fingerprint) and written in bulk, reproducing SqliteCorpusIndex.add's rows exactly
(checked on a small corpus against add() itself), because 1M add() calls would take hours.
Measurement: for each size, a fresh child process with the database evicted from the page cache
(posix_fadvise) opens Store + SqliteCorpusIndex (start-up) and runs the queries: half edited copies of
corpus articles (must be found), half new articles. Latency = wall time of index.check(text), which
includes fingerprinting the query. Memory = the child's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import corpus, load_average, machine, median, percentile, rss_bytes, verdict

from monitor.decide import near_copies as dedup
from monitor.models import NearCopy
from monitor.store.corpus_index import SqliteCorpusIndex
from monitor.store.database import Store
from monitor.text.arabic import tokenize

P99_TARGET_MS = 5.0
GROWTH_TARGET = 3.0
MEMORY_TARGET = 1.5 * 2**30
STARTUP_TARGET_S = 10.0
_SENTENCE = re.compile(r"(?<=[.!؟?])\s+|\n+")


class Generator:
    """Deterministic synthetic articles: article i is the same in every process for the same seed."""

    def __init__(self, seed: int, mutate: float) -> None:
        self.seed = seed
        self.mutate = mutate
        self.sentences: list[list[str]] = []
        self.lengths: list[int] = []
        vocab: list[str] = []
        for article in corpus():
            words = 0
            for part in _SENTENCE.split(article.text):
                tokens = tokenize(part)
                if len(tokens) >= 5:
                    self.sentences.append(tokens)
                    vocab.extend(tokens)
                    words += len(tokens)
            if words >= 40:
                self.lengths.append(words)
        self.vocab = vocab  # with repeats: a uniform pick is a pick by corpus frequency

    def words(self, i: int) -> list[str]:
        rng = random.Random(self.seed * 1_000_003 + i)
        target = rng.choice(self.lengths)
        out: list[str] = []
        while len(out) < target:
            for token in rng.choice(self.sentences):
                out.append(rng.choice(self.vocab) if rng.random() < self.mutate else token)
        return out

    def edited_copy(self, i: int) -> list[str]:
        """Article i as another outlet republishes it: a sentence-sized cut, a new intro, a few words changed."""
        rng = random.Random(-(self.seed * 1_000_003 + i))
        words = self.words(i)
        cut = rng.randrange(len(words) // 4 + 1)
        kept = words[cut : cut + max(20, int(len(words) * 0.7))]
        kept = [rng.choice(self.vocab) if rng.random() < 0.05 else w for w in kept]
        return rng.choice(self.sentences) + kept


def fast_fingerprint(words: list[str]) -> dedup.Fingerprint:
    """dedup.fingerprint of already normalised words, skipping the normalisation pass (pure Python, the slow part).

    The index's own fingerprint() is called, with its tokenizer swapped for str.split for the duration, so the
    bulk loader follows any change to how fingerprints are made; check_fingerprints proves the result equal.
    """
    real = dedup.tokenize
    dedup.tokenize = str.split
    try:
        return dedup.fingerprint(" ".join(words))
    finally:
        dedup.tokenize = real


def check_fingerprints(gen: Generator, n: int = 50) -> None:
    for i in range(n):
        words = gen.words(i)
        fp = dedup.fingerprint(" ".join(words))
        fast = fast_fingerprint(words)
        assert fp.words == tuple(words), "normalised words do not round-trip"
        assert (fp.text_hash, fp.shingles, fp.hashes) == (fast.text_hash, fast.shingles, fast.hashes)


def bulk_load(path: Path, gen: Generator, n: int, progress: bool = True) -> float:
    """Write n synthetic articles into the corpus tables of a fresh Store database; returns seconds taken."""
    start = time.perf_counter()
    Store(path).close()  # the schema, made by the store's migrations
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")  # 400 MB: the load sorts postings inside SQLite
    scratch = path.with_suffix(".postings.db")
    conn.execute("ATTACH DATABASE ? AS scratch", [str(scratch)])
    conn.execute("PRAGMA scratch.journal_mode = OFF")
    conn.execute("PRAGMA scratch.synchronous = OFF")
    conn.execute("CREATE TABLE scratch.postings (fp INTEGER NOT NULL, seq INTEGER NOT NULL)")
    batch = 10_000
    for first in range(0, n, batch):
        docs: list[tuple[int, str, str, int, bytes]] = []
        postings: list[tuple[int, int]] = []
        for i in range(first, min(n, first + batch)):
            fp = fast_fingerprint(gen.words(i))
            postings.extend((h, i + 1) for h in fp.hashes)
            docs.append((i + 1, f"s{i}", fp.text_hash, len(fp.shingles), dedup.pack_shingles(fp.shingles)))
        with conn:
            conn.executemany(
                "INSERT INTO corpus_docs (seq, doc_id, text_hash, n_shingles, shingles) VALUES (?, ?, ?, ?, ?)", docs
            )
            conn.executemany("INSERT INTO scratch.postings (fp, seq) VALUES (?, ?)", postings)
        if progress and (first + batch) % 100_000 == 0:
            print(f"  generated {first + batch} articles ({time.perf_counter() - start:.0f} s)", flush=True)
    with conn:
        conn.execute("INSERT INTO corpus_fp_df (fp, df) SELECT fp, count(*) FROM scratch.postings GROUP BY fp")
        # add() writes a posting only while the hash's df is <= POSTING_CAP, i.e. for its first POSTING_CAP articles
        conn.execute(
            "INSERT INTO corpus_fingerprints (fp, seq) SELECT fp, seq FROM (SELECT fp, seq, row_number() OVER"
            " (PARTITION BY fp ORDER BY seq) AS rn FROM scratch.postings) WHERE rn <= ? ORDER BY fp, seq",
            [dedup.POSTING_CAP],
        )
    conn.execute("DETACH DATABASE scratch")
    finish_tables(conn)
    conn.close()
    scratch.unlink()
    return time.perf_counter() - start


def finish_tables(conn: sqlite3.Connection) -> None:
    """Derived tables the index keeps besides postings and counts (idempotent: also brings an older build up to date).

    corpus_common (since 44af7ba): the sampled hashes held by more than COMMON_DF articles, which add() records
    as it goes.
    """
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "corpus_common" in tables and hasattr(dedup, "COMMON_DF"):
        with conn:
            conn.execute("INSERT OR IGNORE INTO corpus_common (fp) SELECT fp FROM corpus_fp_df WHERE df > ?",
                         [dedup.COMMON_DF])


def check_bulk_load(gen: Generator, tmp: Path, n: int = 300) -> None:
    """The bulk loader must leave exactly the rows that n calls of SqliteCorpusIndex.add leave."""
    bulk_load(tmp / "bulk.db", gen, n, progress=False)
    store = Store(tmp / "add.db")
    index = store.corpus_index
    with store.transaction():
        for i in range(n):
            index.add(f"s{i}", " ".join(gen.words(i)))
    store.close()
    a, b = sqlite3.connect(str(tmp / "bulk.db")), sqlite3.connect(str(tmp / "add.db"))
    # every corpus_* table, whatever the index keeps now: a table the loader does not know about fails here
    listing = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'corpus%'"
    tables = sorted(r[0] for r in b.execute(listing))
    for table in tables:
        q = f"SELECT * FROM {table} ORDER BY 1, 2"
        if len(b.execute(f"SELECT * FROM {table} LIMIT 1").description or ()) < 2:
            q = f"SELECT * FROM {table} ORDER BY 1"
        assert a.execute(q).fetchall() == b.execute(q).fetchall(), f"bulk load differs from add() in {table}"
    a.close()
    b.close()


def evict(path: Path) -> None:
    """Drop the database's pages from the OS page cache, so the child's start-up reads from disk."""
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def check_rare_only(index: SqliteCorpusIndex, text: str, max_df: int) -> NearCopy:
    """PROPOSAL, not the daemon's code: SqliteCorpusIndex.check reading postings of rare hashes only.

    A sampled hash found in more than `max_df` corpus articles is a stock phrase ("said in a statement"),
    no evidence of copying; its postings are most of what a lookup reads in a large corpus. Skipping them
    (one primary-key read of corpus_fp_df per hash tells which) bounds the rows read per lookup whatever
    the corpus size; candidates are still verified on their full shingle sets, as now.
    """
    fp = dedup.fingerprint(text)
    if not fp.words:
        return NearCopy(None, 0.0)
    db = index.db
    row = db.execute("SELECT doc_id FROM corpus_docs WHERE text_hash = ? LIMIT 1", [fp.text_hash]).fetchone()
    if row:
        return dedup.exact_copy(fp, str(row[0]))
    hashes = sorted(fp.hashes)
    marks = ",".join("?" * len(hashes))
    rare = [h for h, df in db.execute(f"SELECT fp, df FROM corpus_fp_df WHERE fp IN ({marks})", hashes)
            if df <= max_df] if hashes else []
    hits: Counter[int] = Counter()
    if rare:
        marks = ",".join("?" * len(rare))
        for seq, count in db.execute(
                f"SELECT seq, count(*) FROM corpus_fingerprints WHERE fp IN ({marks}) GROUP BY seq", rare):
            hits[int(seq)] += int(count)
    best = sorted(hits, key=lambda s: (-hits[s], s))[: dedup.CANDIDATES]
    if not best:
        return NearCopy(None, 0.0)
    marks = ",".join("?" * len(best))
    rows = db.execute(f"SELECT doc_id, shingles FROM corpus_docs WHERE seq IN ({marks})", best).fetchall()
    return dedup.decide(fp, {str(doc_id): dedup.unpack_shingles(blob) for doc_id, blob in rows})


def warm_cache(path: Path) -> None:
    """Read the database once, so it is in the OS page cache as in a daemon that has run for a while."""
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            with p.open("rb") as fh:
                while fh.read(16 * 2**20):
                    pass


def child(db: Path, queries_file: Path) -> None:
    """Runs in a fresh process: start-up, then every query; prints one JSON line."""
    t0 = time.perf_counter()
    store = Store(db)
    index = store.corpus_index
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    first = time.perf_counter()
    index.check(queries[0]["text"])
    startup = time.perf_counter() - t0
    first_query = time.perf_counter() - first
    latencies: list[float] = []
    fingerprinting: list[float] = []
    scanned: list[int] = []
    found = expected = 0
    for q in queries:
        t = time.perf_counter()
        result = index.check(q["text"])
        latencies.append(time.perf_counter() - t)
        if q["source"] is not None:
            expected += 1
            found += result.duplicate_of == q["source"]
        # the pure-Python share of the lookup, and how many posting rows the SQL side had to read
        t = time.perf_counter()
        fp = dedup.fingerprint(q["text"])
        fingerprinting.append(time.perf_counter() - t)
        # the hashes whose postings this version of the index reads (all of them before the bounded lookup)
        if hasattr(dedup, "choose_probes"):
            hashes = sorted(dedup.choose_probes(fp, getattr(index, "_common", set())))
        else:
            hashes = sorted(fp.hashes)
        rows = 0
        for k in range(0, len(hashes), 500):
            part = hashes[k : k + 500]
            rows += store.db.execute(
                f"SELECT coalesce(sum(min(df, {dedup.POSTING_CAP})), 0) FROM corpus_fp_df WHERE fp IN"
                f" ({','.join('?' * len(part))})", part).fetchone()[0]
        scanned.append(rows)
    fix_latencies: list[float] = []
    fix_found = 0
    max_df = int(os.environ.get("BENCH_DEDUP_RARE_DF", "0"))
    if max_df:  # the proposal, same queries, same process (now warm)
        for q in queries:
            t = time.perf_counter()
            result = check_rare_only(index, q["text"], max_df)
            fix_latencies.append(time.perf_counter() - t)
            fix_found += q["source"] is not None and result.duplicate_of == q["source"]
    postings = store.db.execute("SELECT count(*) FROM corpus_fingerprints").fetchone()[0]
    _, peak = rss_bytes()
    store.close()
    print(json.dumps({"startup": startup, "first_query": first_query, "latencies": latencies, "found": found,
                      "expected": expected, "peak_rss": peak, "postings": postings, "fingerprint": fingerprinting,
                      "scanned": scanned, "fix_latencies": fix_latencies, "fix_found": fix_found}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=1000, help="lookups per size (half copies, half new)")
    parser.add_argument("--mutate", type=float, default=0.25, help="share of words replaced (see above)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="where to build the databases (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the databases (reused by a later run with --dir)")
    parser.add_argument("--quick", action="store_true", help="tiny run for CI: 1,000 and 3,000 articles")
    parser.add_argument("--cache", choices=("cold", "warm"), default="cold",
                        help="database evicted from the OS page cache before each size (cold, as after a reboot) or"
                        " read into it (warm, as in a daemon running on a machine with RAM to spare)")
    parser.add_argument("--rare-df", type=int, default=0,
                        help="also measure the proposed lookup that skips hashes in more than N articles")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes, args.queries = [1000, 3000], 60
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; load average {load_average()}")
    t = time.perf_counter()
    gen = Generator(args.seed, args.mutate)
    check_fingerprints(gen)
    check_dir = Path(tempfile.mkdtemp(prefix="bench-dedup-check-"))
    try:
        check_bulk_load(gen, check_dir)
    finally:
        shutil.rmtree(check_dir, ignore_errors=True)
    print(f"generator: {len(gen.sentences)} real sentences, {len(gen.vocab)} words of vocabulary (with repeats), "
          f"mutate {args.mutate}; fingerprints and bulk load checked against the index's own code "
          f"({time.perf_counter() - t:.1f} s)")
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        db = workdir / f"corpus-{size}-m{args.mutate}-s{args.seed}.db"
        if db.exists() and args.dir is not None:
            print(f"size {size}: reusing {db}")
            Store(db).close()  # brings the schema up to the current one
            conn = sqlite3.connect(str(db))
            finish_tables(conn)
            conn.close()
        else:
            for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                stale.unlink(missing_ok=True)
            seconds = bulk_load(db, gen, size)
            print(f"size {size}: built in {seconds:.0f} s ({size / seconds:.0f} articles/s)")
        rng = random.Random(size)
        queries: list[dict[str, str | None]] = []
        for k in range(args.queries):
            if k % 2 == 0:
                i = rng.randrange(size)
                queries.append({"text": " ".join(gen.edited_copy(i)), "source": f"s{i}"})
            else:
                queries.append({"text": " ".join(gen.words(10_000_000_000 + size * 10 + k)), "source": None})
        qfile = workdir / f"queries-{size}.json"
        qfile.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
        if args.cache == "cold":
            evict(db)
        else:
            warm_cache(db)
        env = {**os.environ, "BENCH_DEDUP_RARE_DF": str(args.rare_df)}
        out = subprocess.run([sys.executable, __file__, "--child", str(db), str(qfile)], capture_output=True,
                             text=True, check=True, env=env).stdout
        r = json.loads(out.strip().splitlines()[-1])
        lat = [x * 1000 for x in r["latencies"]]
        warm = lat[50:] if len(lat) > 100 else lat
        size_mb = sum(p.stat().st_size for p in workdir.glob(db.name + "*")) / 2**20
        results[size] = {"median": median(warm), "p99": percentile(warm, 99), "rss": r["peak_rss"],
                         "startup": r["startup"]}
        print(f"size {size}: lookup median {median(warm):.2f} ms, p99 {percentile(warm, 99):.2f} ms, "
              f"max {max(warm):.2f} ms (after 50 warm-up lookups; cold first lookup {r['first_query'] * 1000:.1f} ms, "
              f"p99 incl. warm-up {percentile(lat, 99):.2f} ms); copies found {r['found']}/{r['expected']}; "
              f"start-up {r['startup']:.2f} s; peak RSS {r['peak_rss'] / 2**20:.0f} MiB; "
              f"database {size_mb:.0f} MiB, {r['postings']} postings", flush=True)
        fp_ms = [x * 1000 for x in r["fingerprint"]][50:] if len(lat) > 100 else [x * 1000 for x in r["fingerprint"]]
        sql_ms = [a - b for a, b in zip(warm, fp_ms, strict=True)]
        print(f"size {size}: of which fingerprinting the query (Python) median {median(fp_ms):.2f} ms, p99 "
              f"{percentile(fp_ms, 99):.2f} ms; the rest (SQL + candidate check) median {median(sql_ms):.2f} ms, p99 "
              f"{percentile(sql_ms, 99):.2f} ms; posting rows read per lookup median {median(r['scanned']):.0f}, "
              f"p99 {percentile(r['scanned'], 99):.0f}", flush=True)
        results[size]["sql_p99"] = percentile(sql_ms, 99)
        if r.get("fix_latencies"):
            fix = [x * 1000 for x in r["fix_latencies"]][50:]
            results[size]["fix_p99"] = percentile(fix, 99)
            print(f"size {size}: PROPOSAL (postings of hashes with df <= {args.rare_df} only): median "
                  f"{median(fix):.2f} ms, p99 {percentile(fix, 99):.2f} ms; copies found {r['fix_found']}/"
                  f"{r['expected']}", flush=True)
        if not args.keep:
            for p in workdir.glob(db.name + "*"):
                p.unlink()
        qfile.unlink()
    if args.dir is None and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    small, large = min(results), max(results)
    growth = results[large]["p99"] / results[small]["p99"]
    big = results[large]
    print(f"RESULT p99 at {large}: {big['p99']:.2f} ms (target < {P99_TARGET_MS} ms at 1M: "
          f"{verdict(big['p99'] < P99_TARGET_MS)}{'' if large >= 1_000_000 else ', measured below 1M'})")
    print(f"RESULT p99 growth {small} -> {large}: {growth:.2f}x (target <= {GROWTH_TARGET}x for 10k -> 1M: "
          f"{verdict(growth <= GROWTH_TARGET)})")
    print(f"RESULT peak RSS at {large}: {big['rss'] / 2**20:.0f} MiB (target < 1.5 GB: "
          f"{verdict(big['rss'] < MEMORY_TARGET)}); start-up {big['startup']:.2f} s (target < {STARTUP_TARGET_S} s: "
          f"{verdict(big['startup'] < STARTUP_TARGET_S)})")


if __name__ == "__main__":
    main()
