"""`monitor corpus import|export|list`: the reference articles that near-copies are recognised against.

An imported article is stored like a seed (no decision, no alert) but is not one: seeds stay the
reference set read from `seeds/`, imports are marked by their source ("import" unless --source).
Each article goes into the articles table, the near-copy index and the search index in one
transaction, so the three never disagree.

Ids are content-derived ("c" + a hash of the text): importing the same file twice adds nothing, and two
folders that both hold a "1.txt" do not collide.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from monitor.errors import MonitorError
from monitor.models import ExtractedText
from monitor.parse.corpus_files import Problem, Record, read_path
from monitor.store.connection import DatabaseError, disk_space_note
from monitor.store.database import NewArticle, Store

BATCH = 200  # articles per transaction: one fsync per batch instead of per article
PROGRESS_EVERY = 500  # articles between two progress lines on stderr


@dataclass
class ImportReport:
    read: int = 0
    added: int = 0
    present: int = 0  # same text (or same URL) already stored
    near_copies: int = 0  # skipped with --skip-near-copies
    problems: list[Problem] = field(default_factory=list)


# -- importing ----------------------------------------------------------------------------------


def corpus_id(text: str) -> str:
    return "c" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:19]


def import_records(
    store: Store, records: Iterator[Record | Problem], *, source: str = "import", skip_near_copies: bool = False,
    progress: TextIO | None = None, now: datetime | None = None,
) -> ImportReport:
    """Store each record as a corpus article (articles + near-copy index + search index)."""
    from monitor.text.urls import canonical_url

    report = ImportReport()
    started = time.monotonic()
    seen_at = now or datetime.now(UTC)
    batch: list[Record] = []

    def flush() -> None:
        try:
            write()
        except DatabaseError as exc:  # locked, disk full, corrupt: stop with what is committed so far
            raise _stopped(exc, store, report) from None
        batch.clear()

    def write() -> None:
        articles = []
        for record in batch:
            article_id = corpus_id(record.text)
            key = canonical_url(record.url) if record.url else f"corpus:{article_id}"
            articles.append(NewArticle(
                article_id=article_id, canonical_url=key,
                url=record.url, feed_url=None, guid=record.given_id, source=record.source or source,
                extracted=ExtractedText(title=record.title, text=record.text, language=None, method="import"),
                summary="", published=record.published, seen_at=seen_at, is_seed=False, in_corpus=True,
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
            continue
        report.read += 1
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
        if progress is not None and report.read % PROGRESS_EVERY == 0:
            rate = report.read / max(time.monotonic() - started, 1e-6)
            print(f"corpus import: {report.read} read, {report.added} added, {report.present} already "
                  f"present ({rate:.0f}/s)", file=progress, flush=True)
    if batch:
        flush()
    return report


def _stopped(exc: DatabaseError, store: Store, report: ImportReport) -> MonitorError:
    return MonitorError(f"corpus import stopped: {exc}{disk_space_note(store.path)} ({report.added} articles "
                        "were added and committed before; run the import again to continue)")


# -- commands -----------------------------------------------------------------------------------


def _open_store(args: argparse.Namespace, read_only: bool = False) -> Store:
    from monitor.settings.config import load_config

    return Store(load_config(args.config).database_path, read_only=read_only)


def cmd_import(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        def records() -> Iterator[Record | Problem]:
            for path in args.paths:
                yield from read_path(Path(path))

        report = import_records(store, records(), source=args.source, skip_near_copies=args.skip_near_copies,
                                progress=sys.stderr)
    finally:
        store.close()
    extra = f", {report.near_copies} near-copies skipped" if args.skip_near_copies else ""
    print(f"imported {report.added} articles into the corpus ({report.read} read, {report.present} already "
          f"present{extra}, {len(report.problems)} unusable)")
    return 1 if report.problems and not report.read else 0


def _corpus_rows(store: Store, include_all: bool, source: str | None, limit: int | None) -> Iterator[dict[str, Any]]:
    yield from store.corpus_articles(include_all, source, limit)


def cmd_export(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        rows = _corpus_rows(store, args.all, args.source, None)
        count = _write_jsonl(rows, args.dest) if args.format == "jsonl" else _write_txt(rows, Path(args.dest))
    finally:
        store.close()
    print(f"exported {count} articles to {args.dest}", file=sys.stderr if args.dest == "-" else sys.stdout)
    return 0


def _write_jsonl(rows: Iterator[dict[str, Any]], dest: str) -> int:
    if dest == "-":
        return _jsonl_lines(rows, sys.stdout)
    with Path(dest).open("w", encoding="utf-8") as out:
        return _jsonl_lines(rows, out)


def _jsonl_lines(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        record = {"id": row["id"], "title": row["title"], "text": row["text"], "url": row["url"] or "",
                  "source": row["source"], "published": row["published"], "seen_at": row["seen_at"],
                  "is_seed": bool(row["is_seed"])}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_txt(rows: Iterator[dict[str, Any]], dest: Path) -> int:
    """One <id>.txt per article in the seed format, so the folder can be imported (or used as seeds)."""
    if dest.exists() and not dest.is_dir():
        raise MonitorError(f"{dest} exists and is not a folder (txt export writes one file per article)")
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for row in rows:
        text, title = row["text"] or "", row["title"] or ""
        body = text if not title or text.startswith(title) else f"{title}\n{text}"
        (dest / f"{row['id']}.txt").write_text(body + "\n", encoding="utf-8")
        count += 1
    return count


def cmd_list(args: argparse.Namespace) -> int:
    store = _open_store(args, read_only=True)
    try:
        rows = list(_corpus_rows(store, False, args.source, args.limit))
        by_source = store.corpus_sources()
        total = sum(n for _, n in by_source)
    finally:
        store.close()
    if args.json:
        for row in rows:
            print(json.dumps({k: row[k] for k in ("id", "title", "source", "url", "published", "seen_at")}
                             | {"is_seed": bool(row["is_seed"]), "chars": len(row["text"] or "")},
                             ensure_ascii=False))
        return 0
    print(f"corpus: {total} articles (" + ", ".join(f"{s}: {n}" for s, n in by_source) + ")")
    for row in rows:
        print(f"{row['id']}  {(row['seen_at'] or '')[:10]}  {row['source']:<16.16}  {(row['title'] or '')[:70]}")
    if args.limit and total > len(rows) and not args.source:
        print(f"… {total - len(rows)} more (--limit 0 lists all)")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    from monitor.cli.options import add_global_options

    corpus = subparsers.add_parser("corpus", help="import, export and list the near-copy corpus",
                                   description="The reference articles new articles are compared with: "
                                               "the seeds, imports, and fresh articles that joined it.")
    sub = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="add articles to the corpus from .txt, .jsonl or a folder",
                         description="Add articles to the corpus (and the search index). PATH: a .txt file "
                                     "(first line title, then text), a .jsonl file ({\"text\"} required; "
                                     "\"title\", \"id\", \"url\", \"source\", \"published\" optional) or a "
                                     "folder of them. Articles already stored (same text or URL) are skipped.")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--source", default="import", help="source name recorded for the articles (default: "
                                                        "import; a JSONL \"source\" field wins)")
    imp.add_argument("--skip-near-copies", action="store_true",
                     help="leave out articles that are near-copies of what the corpus already holds")
    add_global_options(imp)
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export", help="write the corpus as JSONL or as one .txt per article",
                         description="Write the corpus out. jsonl: one object per article to DEST (- for "
                                     "stdout); txt: DEST is a folder, one <id>.txt per article in the seed "
                                     "format (both can be imported again).")
    exp.add_argument("dest", metavar="DEST")
    exp.add_argument("--format", choices=["jsonl", "txt"], default="jsonl", help="default jsonl")
    exp.add_argument("--all", action="store_true", help="every stored article, not only the corpus")
    exp.add_argument("--source", help="only articles of this source")
    add_global_options(exp)
    exp.set_defaults(func=cmd_export)

    lst = sub.add_parser("list", help="corpus size by source and its articles",
                         description="The corpus size by source, then its articles oldest first.")
    lst.add_argument("--limit", type=int, default=50, help="articles listed (default 50; 0 = all)")
    lst.add_argument("--source", help="only articles of this source (seed, import, a feed's name)")
    lst.add_argument("--json", action="store_true", help="one JSON object per article")
    add_global_options(lst)
    lst.set_defaults(func=cmd_list)

