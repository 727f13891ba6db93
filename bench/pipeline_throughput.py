"""Pipeline throughput: the full decision path per article against bare trafilatura.extract, same pages, same run.

    python bench/pipeline_throughput.py                 # 600 pages x 3 repetitions (a few minutes)
    python bench/pipeline_throughput.py --size 3000     # the full size
    python bench/pipeline_throughput.py --quick         # CI smoke size
    python bench/pipeline_throughput.py --profile       # + a pyinstrument profile of one full-path pass
    python bench/pipeline_throughput.py --without-stories  # + the full path with the story step skipped
    python bench/pipeline_throughput.py --without-stories --control  # that third path the full path itself

Pages: the 12 real saved article pages plus corpus articles set in those pages' own chrome (bench/_common.py).
Full path = the project's real code, in this process: Pipeline.process_entry with a fetcher that hands over
the page bytes (no network) and the worker's job in-process (analyse_page: extraction and the text work, no
worker pool), so it runs extract + fingerprint + topic rules from config/monitor.toml + search terms ->
near-copy lookup (SqliteCorpusIndex preloaded with the real corpus + seeds) -> one transaction: article,
decision, search index, corpus, outbox.
Bare = trafilatura.extract(html, url=url) on the same pages. The two alternate chunk by chunk (which one goes
first alternates too), so machine noise hits both alike; each repetition uses a fresh copy of the database.
Figures: ratio = full / bare total time per repetition, median over repetitions; throughput = pages per
second of the full path on one core, median over repetitions.
--without-stories: a third path interleaved with the two, the full path without the story step (no story
terms in the text work, no stories.join: the code before stories), on its own copy of the database, so the
story step's share of the ratio is measured in the same run. The paths take turns chunk by chunk, each following
every other equally often (PATH_ORDERS_3). --control makes the third path the full path again: its "rise" is
the bench's own bias.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from _common import ROOT, Page, corpus, load_average, machine, median, page_set, verdict

import monitor.decide.analysis as analysis_module
import monitor.extract as extract_module
import monitor.runtime.poll as pipeline_module
import monitor.store.search as search_module
import monitor.store.stories as stories_module
from monitor.decide.stories import Choice, Features, Terms
from monitor.extract import PageText, analyse_page, extract_page_text
from monitor.fetch.client import Fetcher
from monitor.models import Entry, FetchResult, FetchStatus
from monitor.parse.article_files import read_seeds
from monitor.runtime.poll import Pipeline, PollReport
from monitor.settings.config import load_config
from monitor.store.corpus_index import SqliteCorpusIndex
from monitor.store.database import FeedRow, Store

FEED_URL = "https://bench.example/feed.xml"
RATIO_TARGET = 1.25
PER_SECOND_TARGET = 1_000_000 / 86_400  # 11.6 articles a second = 1M a day


# The order the paths run in, chunk after chunk. A path is slower right after the bare extraction (~0.5-0.9 ms
# per page of the chunk, measured with --control: docs/benchmarks.md), so every path must follow
# every other equally often. Two paths: bare-full, full-bare. Three: a cycle of the six orders in which each
# path follows each other path exactly three times (and never itself), chunk boundaries included.
PATH_ORDERS_2 = (("bare", "full"), ("full", "bare"))
PATH_ORDERS_3 = (("bare", "full", "plain"), ("bare", "plain", "full"), ("plain", "full", "bare"),
                 ("full", "bare", "plain"), ("full", "plain", "bare"), ("plain", "bare", "full"))


class Stages:
    """Accumulates seconds per named stage of the full path."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)  # process time, the figure a shared machine keeps
        self.active = True

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            if self.active:
                self.seconds[name] += time.perf_counter() - start
                self.cpu[name] += time.process_time() - start_cpu

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.time(name):
                return fn(*args, **kwargs)

        return timed


class PageFetcher:
    """Stands in for Fetcher: hands over the page's bytes as a 200 response (no sockets)."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages

    def fetch(self, url: str, **_: Any) -> FetchResult:
        return FetchResult(url=url, final_url=url, status=FetchStatus.OK, http_status=200, body=self.pages[url],
                           headers={"content-type": "text/html"})


class InProcessExtractor:
    """The Extractor's contract, without the worker pool: the worker's functions in this process."""

    def __init__(self, stages: Stages, topics: tuple[Any, ...]) -> None:
        self.topics = topics
        self.extract = stages.wrap("extract (extract_page_text)", extract_page_text)
        self.analyse = stages.wrap("extract + text work (analyse_page)", analyse_page)

    def close(self) -> None:
        pass


class TimedIndex:
    def __init__(self, index: SqliteCorpusIndex, stages: Stages) -> None:
        self.check = stages.wrap("near-copy lookup", index.check)
        self.check_fingerprint = stages.wrap("near-copy lookup", index.check_fingerprint)
        self.add = stages.wrap("corpus add", index.add)
        self.add_fingerprint = stages.wrap("corpus add", index.add_fingerprint)


def build_template_db(path: Path, config_seeds: Path, corpus_size: int, skip: set[str]) -> int:
    """A database holding the feed row, the seeds and `corpus_size` real articles in the near-copy corpus.

    Articles whose text is on a page of this run (`skip`) go in last, so with the default sizes the corpus
    holds the stories of some pages only, as in the daemon (its corpus is the seeds plus earlier matches).
    """
    store = Store(path)
    store.sync_feeds([(FEED_URL, "bench", True)], datetime.now(UTC))
    index = store.corpus_index
    with store.transaction():
        for seed in read_seeds(config_seeds):
            index.add(seed.id, seed.text)
        articles = sorted(corpus(), key=lambda a: a.id in skip)
        for i in range(corpus_size):
            a = articles[i % len(articles)]
            index.add(f"c{i}", a.text if i < len(articles) else a.text + f" {i}")
    n = len(index)
    store.close()
    return n


def run_full(pipeline: Pipeline, feed: FeedRow, page: Page, rep: int, report: PollReport) -> None:
    entry = Entry(feed_url=FEED_URL, guid=f"{page.url}#{rep}", link=page.url, title=page.title,
                  summary="", published=None)
    decision = pipeline.process_entry(feed, f"{page.url}?rep={rep}", entry, report)
    # process_entry counts alerts and fallbacks; the poll loop counts these two
    report.duplicates += decision.duplicate_of is not None
    report.matches += bool(decision.matched_topics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=600, help="pages per repetition (default 600)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--chunk", type=int, default=25, help="pages per interleaved chunk")
    parser.add_argument("--corpus", type=int, default=1000,
                        help="real articles preloaded into the near-copy corpus (default 1000; more repeat with edits)")
    parser.add_argument("--quick", action="store_true", help="tiny run for CI: 20 pages, 1 repetition")
    parser.add_argument("--profile", action="store_true", help="profile one extra full-path pass (pyinstrument)")
    parser.add_argument("--without-stories", action="store_true",
                        help="also run the full path with the story step skipped, interleaved in the same run")
    parser.add_argument("--control", action="store_true",
                        help="with --without-stories: the third path keeps the story step, so it is the full path"
                             " run twice and the rise it prints is the bench's own bias (should be ~0)")
    parser.add_argument("--try-fixes", action="store_true",
                        help="no longer does anything: the speed-ups it swapped in (bench/_fixes.py) are now part of"
                        " monitor/; kept so that older commands still run")
    args = parser.parse_args()
    args.without_stories = args.without_stories or args.control
    third = "the control (the full path again)" if args.control else "without the story step"
    adds = "the full path's first run adds" if args.control else "the story step adds"
    if args.quick:
        args.size, args.reps, args.corpus, args.chunk = 20, 1, 50, 10
    logging.basicConfig(level=logging.WARNING)

    config = load_config(ROOT / "config" / "monitor.toml")
    seeds_dir = ROOT / config.pipeline.seeds_dir
    pages = page_set(args.size)
    by_url = {p.url: p.html for p in pages}
    if args.try_fixes:
        print("--try-fixes: nothing to swap in, the proposed speed-ups are part of monitor/ now; "
              "measuring the current code")
    stages = Stages()
    # time the pieces of the real code path without editing it: decide() and the search index are looked up
    # as module attributes at call time, so wrapping them here is seen by Pipeline.process_entry
    real_decide = pipeline_module.decide_analysed
    pipeline_module.decide_analysed = stages.wrap("decide (near-copy lookup)", real_decide)
    extract_module._start_worker(tuple(config.topics))  # what the pool does in each worker
    search_module.index_article = stages.wrap("search index", search_module.index_article)
    real_join = stories_module.join
    timed_join = stages.wrap("story step (stories.join)", real_join)
    real_story_terms = analysis_module.story_terms
    skipping = [False]  # True while the path without the story step runs

    def join_or_skip(*join_args: Any, **kwargs: Any) -> stories_module.Placement:
        if skipping[0] and not args.control:
            return stories_module.Placement(Choice(None, 0.0), None, Terms({}), Features({}))
        return cast(stories_module.Placement, timed_join(*join_args, **kwargs))

    def story_terms_or_skip(*terms_args: Any) -> Terms | None:
        return None if skipping[0] and not args.control else real_story_terms(*terms_args)

    stories_module.join = join_or_skip
    analysis_module.story_terms = story_terms_or_skip  # type: ignore[assignment]
    import trafilatura

    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        template = tmp / "template.db"
        t0 = time.perf_counter()
        on_pages = {p.url.rsplit("/", 1)[1] for p in pages if p.kind == "synthetic"}
        corpus_docs = build_template_db(template, seeds_dir, args.corpus, on_pages)
        print(f"machine: {machine()}; load average {load_average()}")
        print(f"pages: {len(pages)} ({sum(p.kind == 'real' for p in pages)} real, "
              f"{sum(p.kind == 'synthetic' for p in pages)} corpus texts in real page chrome), "
              f"median {median([len(p.html) for p in pages]) / 1024:.0f} KiB; near-copy corpus {corpus_docs} "
              f"articles (built in {time.perf_counter() - t0:.1f} s); topics: "
              f"{', '.join(t.name for t in config.topics)}")
        ratios, rates, bare_per_page, full_per_page = [], [], [], []
        cpu_ratios: list[float] = []
        plain_ratios: list[float] = []  # the path without the story step, wall and CPU
        plain_cpu_ratios: list[float] = []
        totals = PollReport(feed_url=FEED_URL)
        for rep in range(args.reps):
            db = tmp / f"rep{rep}.db"
            shutil.copyfile(template, db)
            store = Store(db)
            run_config = dataclasses.replace(config, database_path=db)
            index = store.corpus_index
            pipeline = Pipeline(run_config, store, cast(Fetcher, PageFetcher(by_url)), None,
                                cast(SqliteCorpusIndex, TimedIndex(index, stages)))
            pipeline.extractor = cast(Any, InProcessExtractor(stages, tuple(config.topics)))
            feed = FeedRow.from_row(store.feeds()[0])
            if args.without_stories:
                plain_db = tmp / f"rep{rep}-plain.db"
                shutil.copyfile(template, plain_db)
                plain_store = Store(plain_db)
                plain_pipeline = Pipeline(dataclasses.replace(config, database_path=plain_db), plain_store,
                                          cast(Fetcher, PageFetcher(by_url)), None,
                                          cast(SqliteCorpusIndex, plain_store.corpus_index))
                plain_pipeline.extractor = cast(Any, InProcessExtractor(stages, tuple(config.topics)))
                plain_feed = FeedRow.from_row(plain_store.feeds()[0])
            stages.seconds.clear()
            stages.cpu.clear()
            bare = full = bare_cpu = full_cpu = plain = plain_cpu = 0.0
            orders = PATH_ORDERS_3 if args.without_stories else PATH_ORDERS_2
            for c, start in enumerate(range(0, len(pages), args.chunk)):
                chunk = pages[start : start + args.chunk]
                for which in orders[c % len(orders)]:
                    t, t_cpu = time.perf_counter(), time.process_time()
                    if which == "bare":
                        for page in chunk:
                            trafilatura.extract(page.html, url=page.url)
                        bare += time.perf_counter() - t
                        bare_cpu += time.process_time() - t_cpu
                    elif which == "full":
                        for page in chunk:
                            run_full(pipeline, feed, page, rep, totals)
                        full += time.perf_counter() - t
                        full_cpu += time.process_time() - t_cpu
                    else:
                        skipping[0], stages.active = True, False
                        try:
                            for page in chunk:
                                run_full(plain_pipeline, plain_feed, page, rep, PollReport(feed_url=FEED_URL))
                        finally:
                            skipping[0], stages.active = False, True
                        plain += time.perf_counter() - t
                        plain_cpu += time.process_time() - t_cpu
            store.close()
            if args.without_stories:
                plain_store.close()
                plain_ratios.append(plain / bare)
                plain_cpu_ratios.append(plain_cpu / bare_cpu)
                print(f"rep {rep + 1} {third}: ratio {plain / bare:.3f}, CPU ratio "
                      f"{plain_cpu / bare_cpu:.3f}; with it: CPU ratio {full_cpu / bare_cpu:.3f} "
                      f"(+{(full_cpu - plain_cpu) / bare_cpu:.3f}, {(full_cpu - plain_cpu) / len(pages) * 1000:.2f}"
                      " ms CPU per page)")
            ratios.append(full / bare)
            cpu_ratios.append(full_cpu / bare_cpu)
            rates.append(len(pages) / full)
            bare_per_page.append(bare / len(pages))
            full_per_page.append(full / len(pages))
            parts = ", ".join(f"{k} {v / len(pages) * 1000:.1f}" for k, v in sorted(stages.seconds.items()))
            cpu_parts = ", ".join(f"{k} {v / len(pages) * 1000:.2f}" for k, v in sorted(stages.cpu.items()))
            print(f"rep {rep + 1}: bare {bare:.1f} s, full {full:.1f} s, ratio {full / bare:.3f}, "
                  f"{len(pages) / full:.1f} pages/s; ms per page (full path): {parts}")
            print(f"rep {rep + 1} CPU: bare {bare_cpu:.1f} s, full {full_cpu:.1f} s, ratio {full_cpu / bare_cpu:.3f};"
                  f" CPU ms per page: {cpu_parts}")
        n = len(pages) * args.reps
        print(f"decisions: {n} articles, {totals.duplicates} near-copies, {totals.matches} topic matches, "
              f"{totals.alerts} alerts, {totals.fallbacks} feed-summary fallbacks, "
              f"{len(totals.article_errors)} errors")
        ratio = median(ratios)
        rate = median(rates)
        print(f"RESULT full/bare ratio (median of {args.reps}): {ratio:.3f} "
              f"(target <= {RATIO_TARGET}: {verdict(ratio <= RATIO_TARGET)})")
        print(f"RESULT full/bare CPU-time ratio (median of {args.reps}): {median(cpu_ratios):.3f}")
        if args.without_stories:
            rise = median([f - p for f, p in zip(cpu_ratios, plain_cpu_ratios, strict=True)])
            print(f"RESULT {third}: CPU-time ratio (median of {args.reps}) "
                  f"{median(plain_cpu_ratios):.3f}, wall ratio {median(plain_ratios):.3f}; {adds} "
                  f"{rise:+.3f} to the CPU-time ratio (median of the repetitions' differences; target <= +0.05: "
                  f"{verdict(rise <= 0.05)})")
        print(f"RESULT bare trafilatura.extract: {median(bare_per_page) * 1000:.1f} ms/page; full path "
              f"{median(full_per_page) * 1000:.1f} ms/page")
        print(f"RESULT full-path throughput on one core (median): {rate:.1f} articles/s = "
              f"{rate * 86400 / 1e6:.2f} M/day (target >= {PER_SECOND_TARGET:.1f}/s: "
              f"{verdict(rate >= PER_SECOND_TARGET)})")
        if args.profile:
            profile_pass(config, template, tmp, pages, by_url)
    finally:
        pipeline_module.decide_analysed = real_decide
        stories_module.join = real_join
        analysis_module.story_terms = real_story_terms
        shutil.rmtree(tmp, ignore_errors=True)


def profile_pass(config: Any, template: Path, tmp: Path, pages: list[Page], by_url: dict[str, bytes]) -> None:
    from pyinstrument import Profiler

    db = tmp / "profile.db"
    shutil.copyfile(template, db)
    store = Store(db)
    index = store.corpus_index
    pipeline = Pipeline(dataclasses.replace(config, database_path=db), store,
                        cast(Fetcher, PageFetcher(by_url)), None, index)
    pipeline.extractor = cast(Any, _PlainExtractor(tuple(config.topics)))
    feed = FeedRow.from_row(store.feeds()[0])
    report = PollReport(feed_url=FEED_URL)
    profiler = Profiler(interval=0.001)
    profiler.start()
    for page in pages:
        run_full(pipeline, feed, page, 99, report)
    profiler.stop()
    store.close()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


class _PlainExtractor:
    def __init__(self, topics: tuple[Any, ...]) -> None:
        self.topics = topics

    def extract(self, html: bytes, url: str | None = None) -> PageText:
        return extract_page_text(html, url)

    def analyse(self, html: bytes, url: str | None, entry_title: str) -> extract_module.AnalysedPage:
        return analyse_page(html, url, entry_title)


if __name__ == "__main__":
    main()
