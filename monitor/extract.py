"""Article page bytes -> main text, with trafilatura, bounded in time.

trafilatura's own timeout exists only on its command line, and a thread cannot be stopped, so
extraction runs in a small process pool (pebble) whose worker is killed when a page overruns.
Bytes go in undecoded: trafilatura detects the charset (windows-1256 pages without a declaration
decode correctly that way; httpx's `.text` would assume UTF-8).
"""

from __future__ import annotations

import logging
import multiprocessing
import re
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from pebble import ProcessPool

from monitor.errors import ExtractionError

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 80  # shorter "articles" are menus, cookie walls or error pages
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class PageText:
    text: str
    title: str | None
    language: str | None


def guess_language(text: str) -> str | None:
    """'ar' when Arabic letters dominate; cheap and good enough to label stored articles."""
    sample = text[:4000]
    arabic = len(_ARABIC_LETTER.findall(sample))
    latin = len(_LATIN_LETTER.findall(sample))
    if arabic + latin < 20:
        return None
    return "ar" if arabic >= latin else None


def extract_page_text(html: bytes, url: str | None = None) -> PageText:
    """Pure extraction (runs inside a worker process). Raises ExtractionError when no text is found."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html, url=url, include_comments=False, include_tables=False, with_metadata=False, fast=False
    )
    text = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(f"no article text found ({len(text)} characters extracted)")
    title = getattr(document, "title", None)
    return PageText(text=text, title=title or None, language=guess_language(text))


class Extractor:
    """Runs extract_page_text in worker processes with a per-page time limit."""

    def __init__(self, timeout_seconds: float, workers: int = 2) -> None:
        self._timeout = timeout_seconds
        # forkserver: the daemon has threads running; forking a threaded process is unsafe.
        self._pool = ProcessPool(max_workers=workers, context=multiprocessing.get_context("forkserver"))

    def extract(self, html: bytes, url: str | None = None) -> PageText:
        future = self._pool.schedule(extract_page_text, args=(html, url), timeout=self._timeout)
        try:
            result: PageText = future.result()
        except FutureTimeout:
            raise ExtractionError(f"extraction took longer than {self._timeout:g} s") from None
        except ExtractionError:
            raise
        except Exception as exc:  # a crash in lxml/trafilatura on hostile markup is a bad page, not a bug
            raise ExtractionError(f"extraction failed: {type(exc).__name__}: {exc}") from None
        return result

    def close(self) -> None:
        self._pool.close()  # type: ignore[no-untyped-call]  # pebble leaves close() unannotated
        self._pool.join(timeout=5)
