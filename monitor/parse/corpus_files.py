"""Corpus articles in files: .txt in the seed format, JSONL of {"text", ...}, or folders of them.

Each reader yields a Record per usable article and a Problem per unusable one, so an import can go on
past a bad line and report it. A date that cannot be read does not make an article unusable: it is
stored as unknown and the Record carries a note, so the import can count it.

A .txt file may have a sidecar `<name>.json` (written by `corpus export --format txt`) holding what the
seed format cannot: id, URL, source, dates. The .txt stays a plain seed file; the sidecar makes the
export lossless when the folder is imported again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.parse.dates import parse_date

SIDECAR_SUFFIX = ".json"


@dataclass(frozen=True)
class Record:
    label: str  # where it came from, for messages: "file.jsonl:12" or "dir/x.txt"
    title: str
    text: str
    url: str = ""
    source: str | None = None
    published: datetime | None = None
    given_id: str | None = None
    seen_at: datetime | None = None  # when the exporting monitor first saw it; None: now
    date_note: str | None = None  # a date given but unreadable, stored as unknown


@dataclass(frozen=True)
class Problem:
    label: str
    message: str


def read_txt(path: Path) -> Record | Problem:
    """Seed format: first non-empty line is the title; the text is the whole file (title included)."""
    sidecar = path.with_suffix(SIDECAR_SUFFIX)
    if sidecar.is_file():
        return _read_exported_txt(path, sidecar)
    try:
        raw = path.read_text(encoding="utf-8-sig").strip()
    except UnicodeDecodeError:
        return Problem(str(path), "not UTF-8 text")
    except OSError as exc:
        return Problem(str(path), f"cannot read: {exc.strerror}")
    if not raw:
        return Problem(str(path), "empty file")
    return Record(label=str(path), title=raw.splitlines()[0].strip(), text=raw, given_id=path.stem)


def _read_exported_txt(path: Path, sidecar: Path) -> Record | Problem:
    """A .txt with the sidecar `corpus export` wrote: the text exactly as stored, the fields from the sidecar."""
    try:
        body = path.read_text(encoding="utf-8")
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return Problem(str(path), "not UTF-8 text")
    except OSError as exc:
        return Problem(str(path), f"cannot read: {exc.strerror}")
    except ValueError as exc:
        return Problem(str(sidecar), f"not JSON: {exc}")
    if not isinstance(meta, dict):
        return Problem(str(sidecar), "expected a JSON object")
    body = body.removesuffix("\n")
    if meta.get("title_line"):  # the export put the title above a text that does not start with it
        body = body.partition("\n")[2]
    if not body.strip():
        return Problem(str(path), "empty file")
    return _record(str(path), meta | {"text": body}, default_id=path.stem, exact=True)


def _date(obj: dict[str, Any], key: str) -> tuple[datetime | None, str | None]:
    """(the date, None), or (None, a note) when a value is given but is no date in a known format."""
    value = obj.get(key)
    if value in (None, ""):
        return None, None
    moment = parse_date(value)
    return (moment, None) if moment is not None else (None, f"{key!r} is not a date: {value!r}")


def _record(label: str, obj: dict[str, Any], default_id: str | None = None, exact: bool = False) -> Record:
    """The Record of one object; `exact` keeps the text's outer whitespace (an export's own text)."""
    text = obj["text"] if exact else obj["text"].strip()
    published, note = _date(obj, "published")
    seen_at, seen_note = _date(obj, "seen_at")
    title = str(obj.get("title") or text.strip().splitlines()[0]).strip()
    given = obj.get("id")
    return Record(label=label, title=title, text=text, url=str(obj.get("url") or ""),
                  source=str(obj["source"]) if obj.get("source") else None, published=published,
                  given_id=str(given) if given is not None else default_id, seen_at=seen_at,
                  date_note=note or seen_note)


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
            yield _record(label, obj)


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
