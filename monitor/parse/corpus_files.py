"""Corpus articles in files: .txt in the seed format, JSONL of {"text", ...}, or folders of them.

Each reader yields a Record per usable article and a Problem per unusable one, so an import can go on
past a bad line and report it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Record:
    label: str  # where it came from, for messages: "file.jsonl:12" or "dir/x.txt"
    title: str
    text: str
    url: str = ""
    source: str | None = None
    published: datetime | None = None
    given_id: str | None = None


@dataclass(frozen=True)
class Problem:
    label: str
    message: str


def read_txt(path: Path) -> Record | Problem:
    """Seed format: first non-empty line is the title; the text is the whole file (title included)."""
    try:
        raw = path.read_text(encoding="utf-8-sig").strip()
    except UnicodeDecodeError:
        return Problem(str(path), "not UTF-8 text")
    except OSError as exc:
        return Problem(str(path), f"cannot read: {exc.strerror}")
    if not raw:
        return Problem(str(path), "empty file")
    return Record(label=str(path), title=raw.splitlines()[0].strip(), text=raw, given_id=path.stem)


def _published(value: Any, label: str) -> datetime | Problem | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return Problem(label, f"'published' is not an ISO date: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_jsonl(path: Path) -> Iterator[Record | Problem]:
    """One object per line: "text" required; "title", "id", "url", "source", "published" optional."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        yield Problem(str(path), f"cannot read: {exc.strerror}")
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            label = f"{path}:{number}"
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                yield Problem(label, f"not JSON: {exc}")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
                yield Problem(label, 'needs an object with a non-empty "text"')
                continue
            published = _published(obj.get("published"), label)
            if isinstance(published, Problem):
                yield published
                continue
            text = obj["text"].strip()
            title = str(obj.get("title") or text.splitlines()[0]).strip()
            yield Record(label=label, title=title, text=text, url=str(obj.get("url") or ""),
                         source=str(obj["source"]) if obj.get("source") else None, published=published,
                         given_id=str(obj["id"]) if obj.get("id") is not None else None)


def read_path(path: Path) -> Iterator[Record | Problem]:
    """A .txt file, a .jsonl file, or a folder of them (searched recursively, in name order)."""
    if not path.exists():
        yield Problem(str(path), "no such file or folder")
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".txt", ".jsonl"))
        if not files:
            yield Problem(str(path), "no .txt or .jsonl files in this folder")
        for file in files:
            yield from read_path(file)
    elif path.suffix.lower() == ".jsonl":
        yield from read_jsonl(path)
    elif path.suffix.lower() == ".txt":
        yield read_txt(path)
    else:
        yield Problem(str(path), "unsupported file type (want .txt, .jsonl or a folder)")
