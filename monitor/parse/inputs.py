"""Articles given on the command line: HTML or text files, URLs, or JSONL of {"id","title","text"}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import ExtractionError, MonitorError
from monitor.extract import extract_page_text
from monitor.fetch.client import PAGE_ACCEPT, Fetcher
from monitor.settings.sections import HttpSettings


@dataclass(frozen=True)
class InputArticle:
    id: str
    title: str
    text: str


def _from_html(article_id: str, html: bytes, url: str | None) -> InputArticle:
    page = extract_page_text(html, url)
    return InputArticle(id=article_id, title=page.title or "", text=page.text)


def read_inputs(specs: list[str], http: HttpSettings | None = None) -> Iterator[InputArticle]:
    """Yield each article; raises MonitorError naming the input that cannot be read."""
    fetcher: Fetcher | None = None
    try:
        for spec in specs:
            if spec.startswith(("http://", "https://")):
                fetcher = fetcher or Fetcher(http or HttpSettings())
                result = fetcher.fetch(spec, accept=PAGE_ACCEPT)
                if not result.ok:
                    raise MonitorError(f"{spec}: {result.error or result.status.value}")
                try:
                    yield _from_html(spec, result.body, result.final_url)
                except ExtractionError as exc:
                    raise MonitorError(f"{spec}: {exc}") from None
                continue
            path = Path(spec)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise MonitorError(f"{spec}: cannot read ({exc.strerror})") from None
            suffix = path.suffix.lower()
            if suffix in (".jsonl", ".ndjson"):
                yield from _from_jsonl(spec, data)
            elif suffix in (".html", ".htm") or data.lstrip()[:1] == b"<":
                try:
                    yield _from_html(path.stem, data, None)
                except ExtractionError as exc:
                    raise MonitorError(f"{spec}: {exc}") from None
            else:
                try:
                    text = data.decode("utf-8-sig").strip()
                except UnicodeDecodeError:
                    raise MonitorError(f"{spec}: text files must be UTF-8") from None
                yield InputArticle(id=path.stem, title=text.splitlines()[0] if text else "", text=text)
    finally:
        if fetcher is not None:
            fetcher.close()


def iter_json_objects(spec: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL text; MonitorError names a bad line."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MonitorError(f"{spec}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise MonitorError(f"{spec}:{number}: expected a JSON object")
        yield number, record


def _from_jsonl(spec: str, data: bytes) -> Iterator[InputArticle]:
    for number, record in iter_json_objects(spec, data.decode("utf-8-sig")):
        if not isinstance(record.get("text"), str):
            raise MonitorError(f'{spec}:{number}: expected an object with a "text" string')
        yield InputArticle(
            id=str(record.get("id", f"{Path(spec).stem}:{number}")),
            title=str(record.get("title") or ""),
            text=record["text"],
        )
