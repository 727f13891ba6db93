"""Articles given on the command line: HTML or text files, URLs, or JSONL of {"id","title","text"}.

They are read as the daemon reads its articles, so `monitor check` and `monitor topics test` decide as it
would: an HTML page is decided with its title (the daemon has the feed's headline; a page on its own has
its metadata title), and text files in a legacy Arabic code page are decoded by the same evidence as
feeds (parse.encoding). An input that cannot be used is a Problem, so the rest are still decided.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import ExtractionError, MonitorError
from monitor.extract import extract_page_text
from monitor.fetch.client import PAGE_ACCEPT, Fetcher
from monitor.parse.corpus_files import Problem
from monitor.parse.encoding import choose_encoding
from monitor.settings.sections import HttpSettings

EMPTY = "empty input: there is no article to decide"


@dataclass(frozen=True)
class InputArticle:
    id: str
    title: str
    text: str


def page_title(html: bytes) -> str:
    """The page's own headline (og:title, h1 or <title>, as trafilatura's metadata ranks them), or ""."""
    import trafilatura

    tree = trafilatura.load_html(html)
    if tree is None:
        return ""
    metadata = trafilatura.extract_metadata(tree)
    return (metadata.title or "").strip() if metadata is not None else ""


def _from_html(label: str, article_id: str, html: bytes, url: str | None) -> InputArticle | Problem:
    try:
        page = extract_page_text(html, url)
    except ExtractionError as exc:
        return Problem(label, str(exc))
    return InputArticle(id=article_id, title=page.title or page_title(html), text=page.text)


def decode_text(data: bytes) -> str:
    """Text file bytes as text: BOM, UTF-8, then detection with the Arabic code pages preferred."""
    choice = choose_encoding(data, {})
    return data[choice.bom_length :].decode(choice.encoding, errors="replace")


def read_inputs(specs: list[str], http: HttpSettings | None = None) -> Iterator[InputArticle | Problem]:
    """Yield each article, or a Problem naming an input (or a JSONL line) that cannot be used."""
    fetcher: Fetcher | None = None
    try:
        for spec in specs:
            if spec.startswith(("http://", "https://")):
                fetcher = fetcher or Fetcher(http or HttpSettings())
                result = fetcher.fetch(spec, accept=PAGE_ACCEPT)
                if not result.ok:
                    yield Problem(spec, result.error or result.status.value)
                else:
                    yield _from_html(spec, spec, result.body, result.final_url)
                continue
            path = Path(spec)
            try:
                data = path.read_bytes()
            except OSError as exc:
                yield Problem(spec, f"cannot read ({exc.strerror})")
                continue
            suffix = path.suffix.lower()
            if not data.strip():
                yield Problem(spec, EMPTY)
            elif suffix in (".jsonl", ".ndjson"):
                yield from _from_jsonl(spec, data)
            elif suffix in (".html", ".htm") or data.lstrip()[:1] == b"<":
                yield _from_html(spec, path.stem, data, None)
            else:
                text = decode_text(data).strip()
                if not text:
                    yield Problem(spec, EMPTY)
                else:
                    yield InputArticle(id=path.stem, title=text.splitlines()[0].strip(), text=text)
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


def _from_jsonl(spec: str, data: bytes) -> Iterator[InputArticle | Problem]:
    for number, line in enumerate(decode_text(data).splitlines(), start=1):
        label = f"{spec}:{number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(label, f"not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield Problem(label, 'expected an object with a "text" string')
        elif not record["text"].strip():
            yield Problem(label, EMPTY)
        else:
            yield InputArticle(
                id=str(record.get("id", f"{Path(spec).stem}:{number}")),
                title=str(record.get("title") or ""),
                text=record["text"],
            )
