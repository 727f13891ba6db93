"""Importing corpus articles: records read from files -> articles, near-copy index and search index.

An imported article is stored like a seed (no decision, no alert) but is not one: seeds stay the
reference set read from `seeds/`, imports are marked by their source ("import" unless given).
Each batch goes into the articles table, the near-copy index and the search index in one
transaction, so the three never disagree.

Ids are content-derived ("c" + a hash of the text): importing the same file twice adds nothing, and two
folders that both hold a "1.txt" do not collide. A record exported by a monitor keeps its id (the id has
the monitor's own shape), so an export imported again is recognised as what it is.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from monitor.errors import MonitorError
from monitor.models import ExtractedText
from monitor.parse.corpus_files import Problem, Record
from monitor.store.connection import DatabaseError, disk_space_note
from monitor.store.database import NewArticle, Store
from monitor.text.urls import canonical_url

BATCH = 200  # articles per transaction: one fsync per batch instead of per article
PROGRESS_EVERY = 500  # articles between two progress lines on stderr
DATE_NOTES_SHOWN = 10  # unreadable dates named on stderr; the rest are only counted
# "c…" (corpus_id) and "a…" (article_id_for): ids this program minted, safe to keep on import
MONITOR_ID = re.compile(r"[ac][0-9a-f]{19}")


@dataclass
class ImportReport:
    read: int = 0
    added: int = 0
    present: int = 0  # same text (or same URL) already stored
    near_copies: int = 0  # skipped with --skip-near-copies
    problems: list[Problem] = field(default_factory=list)
    unknown_dates: int = 0  # imported with the date left unknown: the given one could not be read

    @property
    def skipped_anything(self) -> bool:
        return bool(self.problems)


def corpus_id(text: str) -> str:
    return "c" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:19]


def article_id_of(record: Record) -> str:
    if record.given_id is not None and MONITOR_ID.fullmatch(record.given_id):
        return record.given_id
    return corpus_id(record.text)


def import_records(
    store: Store, records: Iterator[Record | Problem], *, source: str = "import", skip_near_copies: bool = False,
    progress: TextIO | None = None, now: datetime | None = None,
    on_item: Callable[[ImportReport], None] | None = None, progress_lines: bool = True,
) -> ImportReport:
    """Store each record as a corpus article (articles + near-copy index + search index).

    Notes on skipped records and unreadable dates go to `progress`; so do periodic progress lines unless
    not progress_lines (a caller showing a bar). `on_item` is called after each record or problem read.
    """
    report = ImportReport()
    started = time.monotonic()
    seen_at = now or datetime.now(UTC)
    batch: list[Record] = []

    def flush() -> None:
        try:
            write()
        except DatabaseError as exc:  # locked, disk full, corrupt: stop with what is committed so far
            raise stopped_error(exc, store, report) from None
        batch.clear()

    def write() -> None:
        articles = []
        for record in batch:
            article_id = article_id_of(record)
            key = canonical_url(record.url) if record.url else f"corpus:{article_id}"
            articles.append(NewArticle(
                article_id=article_id, canonical_url=key,
                url=record.url, feed_url=None, guid=record.given_id, source=record.source or source,
                extracted=ExtractedText(title=record.title, text=record.text, language=None, method="import"),
                summary="", published=record.published, seen_at=record.seen_at or seen_at, is_seed=False,
                in_corpus=True,
            ))
        added, present, near_copies = store.import_corpus_articles(articles, skip_near_copies)
        report.present += present
        report.near_copies += near_copies
        report.added += added  # counted once committed

    for item in records:
        if isinstance(item, Problem):
            report.problems.append(item)
            if progress is not None:
                print(f"corpus import: skipped {item.label}: {item.message}", file=progress)
            if on_item is not None:
                on_item(report)
            continue
        report.read += 1
        if item.date_note is not None:
            report.unknown_dates += 1
            if progress is not None and report.unknown_dates <= DATE_NOTES_SHOWN:
                print(f"corpus import: {item.label}: {item.date_note}; imported with the date unknown",
                      file=progress)
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
        if on_item is not None:
            on_item(report)
        if progress is not None and progress_lines and report.read % PROGRESS_EVERY == 0:
            rate = report.read / max(time.monotonic() - started, 1e-6)
            print(f"corpus import: {report.read} read, {report.added} added, {report.present} already "
                  f"present ({rate:.0f}/s)", file=progress, flush=True)
    if batch:
        flush()
    return report


def stopped_error(exc: DatabaseError, store: Store, report: ImportReport) -> MonitorError:
    return MonitorError(f"corpus import stopped: {exc}{disk_space_note(store.path)} ({report.added} articles "
                        "were added and committed before; run the import again to continue)")
