"""`monitor corpus import|export|list`: the reference articles that near-copies are recognised against.

The import itself is monitor.runtime.corpus_import; this module parses the arguments and prints the outcome.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO, cast

from monitor.cli.progress import LineWriter, Progress
from monitor.errors import MonitorError
from monitor.parse.corpus_files import SIDECAR_SUFFIX, Problem, Record, read_path
from monitor.runtime.corpus_import import ImportReport, import_records
from monitor.store.database import Store

# -- commands -----------------------------------------------------------------------------------


def _open_store(args: argparse.Namespace, read_only: bool = False) -> Store:
    from monitor.settings.config import load_config
    from monitor.store.opening import open_store

    config = load_config(args.config)
    return open_store(config.database_path, config.database_url, read_only=read_only)


def cmd_import(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        def records() -> Iterator[Record | Problem]:
            for path in args.paths:
                yield from read_path(Path(path))

        last = ImportReport()

        def seen(report: ImportReport) -> None:
            nonlocal last
            last = report
            bar.update(report.read + len(report.problems))

        # off a terminal import_records prints its own periodic lines, as it always has
        with Progress("corpus import", _count_items(args.paths), plain=False) as bar:
            interactive = bar.interactive
            try:
                report = import_records(
                    store, records(), source=args.source, skip_near_copies=args.skip_near_copies,
                    progress=cast(TextIO, LineWriter(bar)) if interactive else sys.stderr,
                    on_item=seen, progress_lines=not interactive)
            except KeyboardInterrupt:
                bar.close()
                print(f"corpus import interrupted: {last.added} articles added and committed ({last.read} read); "
                      "run the same import again to continue: what is stored is not added twice", file=sys.stderr)
                return 130
    finally:
        store.close()
    print(import_summary(report, args.skip_near_copies))
    return 1 if report.skipped_anything else 0


def _count_items(paths: list[str]) -> int:
    """How many records and problems the import will read, as read_path walks them: its progress total."""
    count = 0
    for name in paths:
        path = Path(name)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix.lower() == ".jsonl":
                try:
                    with file.open("rb") as handle:
                        count += sum(1 for line in handle if line.strip())
                except OSError:
                    count += 1
            elif file.suffix.lower() == ".txt" or not path.is_dir():
                count += 1
    return count


def import_summary(report: ImportReport, near_copies_asked: bool) -> str:
    """The last line of an import: what was added, and plainly what was not."""
    extra = f", {report.near_copies} near-copies skipped" if near_copies_asked else ""
    dates = f", {report.unknown_dates} with an unreadable date stored as unknown" if report.unknown_dates else ""
    line = (f"imported {report.added} articles into the corpus ({report.read} read, {report.present} already "
            f"present{extra}, {len(report.problems)} unusable{dates})")
    if report.skipped_anything:
        line += f"; {len(report.problems)} records were skipped (listed above), the exit status is 1"
    return line


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


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """What an export keeps of an article besides its text: all that an import reads back."""
    return {"id": row["id"], "title": row["title"], "url": row["url"] or "", "source": row["source"],
            "published": row["published"], "seen_at": row["seen_at"], "is_seed": bool(row["is_seed"])}


def _jsonl_lines(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        record = _fields(row) | {"text": row["text"]}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_txt(rows: Iterator[dict[str, Any]], dest: Path) -> int:
    """One <id>.txt per article in the seed format, so the folder can be used as seeds, and beside it an
    <id>.json with the fields the seed format cannot hold, so importing the folder loses nothing."""
    if dest.exists() and not dest.is_dir():
        raise MonitorError(f"{dest} exists and is not a folder (txt export writes one file per article)")
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for row in rows:
        text, title = row["text"] or "", row["title"] or ""
        title_line = bool(title) and not text.startswith(title)
        body = f"{title}\n{text}" if title_line else text
        (dest / f"{row['id']}.txt").write_text(body + "\n", encoding="utf-8")
        sidecar = _fields(row) | {"title_line": title_line}
        (dest / f"{row['id']}{SIDECAR_SUFFIX}").write_text(json.dumps(sidecar, ensure_ascii=False) + "\n",
                                                           encoding="utf-8")
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
    add_global_options(corpus)
    sub = corpus.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)

    imp = sub.add_parser("import", help="add articles to the corpus from .txt, .jsonl or a folder",
                         description="Add articles to the corpus (and the search index). PATH: a .txt file "
                                     "(first line title, then text), a .jsonl file ({\"text\"} required; "
                                     "\"title\", \"id\", \"url\", \"source\", \"published\" optional) or a "
                                     "folder of them. Articles already stored (same text or URL) are skipped. "
                                     "Dates may be RFC 822 (RSS) or ISO 8601; an unreadable date is stored as "
                                     "unknown. Exit status 1 when any record was unusable.")
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
                                     "format with an <id>.json of its id, URL, source and dates. Either "
                                     "imports again without loss, and adds nothing to the database it came "
                                     "from.")
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

