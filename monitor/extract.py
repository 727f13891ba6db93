"""Article page bytes -> main text, with trafilatura, bounded in time.

trafilatura's own timeout exists only on its command line, and a thread cannot be stopped, so
extraction runs in a small process pool (pebble) whose worker is killed when a page overruns.
Bytes go in undecoded: trafilatura detects the charset (windows-1256 pages without a declaration
decode correctly that way; httpx's `.text` would assume UTF-8).

Extraction runs trafilatura in fast mode (no readability/justext comparison), which on real Arabic news
pages costs about 1.4x less CPU with the same recall and a better F1 (bench/extraction_quality.py). The
comparison is kept as a safety net: it runs only when the fast text looks wrong, i.e. it is too short
to be an article, or the page holds a long block of paragraphs (its longest run of sibling `<p>`
elements) of which the fast text holds less than half the words: fast mode then took menus or
teasers for the article.

The workers also do the article's text work (decide/analysis.py: near-copy fingerprint, topic results,
search terms) and send back one AnalysedPage, so the main process, which holds one GIL for every feed
lane, only looks the fingerprint up and writes the transaction. The topics reach each worker once, at
its start (pool initializer), not with every page.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Literal

from pebble import ProcessPool

from monitor.decide.analysis import Analysis, analyse
from monitor.errors import ExtractionError
from monitor.settings.topics import Topic

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 80  # shorter "articles" are menus, cookie walls or error pages
# The safety net's rule, from bench/extraction_quality.py on 990 pages with gold text: every paragraph
# run the fast text holds under half of has at most 539 characters (teasers beside a short article) and
# the comparison does not improve those pages; on runs of 1,000 characters or more it holds >= 94%.
FALLBACK_MIN_RUN_CHARS = 1000
FALLBACK_MIN_RUN_COVERAGE = 0.5
# What the worker processes import: preloaded by the fork server (Extractor).
WORKER_MODULES = ("monitor.extract", "trafilatura")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


ExtractionMethod = Literal["fast", "full"]


@dataclass(frozen=True)
class PageText:
    text: str
    title: str | None
    language: str | None
    method: ExtractionMethod = "fast"  # "full": the fast text looked wrong, the comparison ran


def guess_language(text: str) -> str | None:
    """'ar' when Arabic letters dominate; cheap and good enough to label stored articles."""
    sample = text[:4000]
    arabic = len(_ARABIC_LETTER.findall(sample))
    latin = len(_LATIN_LETTER.findall(sample))
    if arabic + latin < 20:
        return None
    return "ar" if arabic >= latin else None


def longest_paragraph_run(tree: Any) -> str:
    """Text of the page's largest group of sibling <p> elements: where an article body usually is."""
    runs: dict[Any, list[str]] = {}
    for paragraph in tree.iter("p"):
        runs.setdefault(paragraph.getparent(), []).append(paragraph.text_content().strip())
    best = max(runs.values(), key=lambda texts: sum(map(len, texts)), default=[])
    return " ".join(text for text in best if text)


def fast_text_looks_wrong(text: str, paragraph_run: str) -> bool:
    """True when the fast extraction is too short, or misses most words of a long paragraph run."""
    if len(text) < MIN_TEXT_CHARS:
        return True
    if len(paragraph_run) < FALLBACK_MIN_RUN_CHARS:
        return False
    run_words = set(paragraph_run.split())
    return len(run_words & set(text.split())) < FALLBACK_MIN_RUN_COVERAGE * len(run_words)


def _trafilatura_text(tree: Any, url: str | None, fast: bool) -> tuple[str, str | None]:
    import trafilatura

    # a tree given to bare_extraction is copied before it is changed, so one parse serves both passes
    document = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_tables=False, with_metadata=False, fast=fast
    )
    if document is None:
        return "", None
    return (getattr(document, "text", None) or "").strip(), getattr(document, "title", None)


def extract_page_text(html: bytes, url: str | None = None) -> PageText:
    """Pure extraction (runs inside a worker process). Raises ExtractionError when no text is found."""
    import trafilatura

    tree = trafilatura.load_html(html)  # detects the charset, as bare_extraction would on bytes
    if tree is None:
        raise ExtractionError("no article text found (not an HTML document)")
    method: ExtractionMethod = "fast"
    text, title = _trafilatura_text(tree, url, fast=True)
    if fast_text_looks_wrong(text, longest_paragraph_run(tree)):
        method = "full"
        text, title = _trafilatura_text(tree, url, fast=False)
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError(f"no article text found ({len(text)} characters extracted)")
    return PageText(text=text, title=title or None, language=guess_language(text), method=method)


@dataclass(frozen=True)
class AnalysedPage:
    """What a worker sends back for one page: its text, the title decided on, and the text work on both."""

    page: PageText
    title: str  # the feed entry's title, else the page's own
    analysis: Analysis


_worker_topics: tuple[Topic, ...] = ()  # set once per worker process by _start_worker


def _start_worker(topics: tuple[Topic, ...]) -> None:
    global _worker_topics
    _worker_topics = topics


def analyse_page(html: bytes, url: str | None, entry_title: str) -> AnalysedPage:
    """Pure extraction and the article's text work (runs inside a worker process, with its topics)."""
    page = extract_page_text(html, url)
    title = entry_title or page.title or ""
    return AnalysedPage(page, title, analyse(title, page.text, _worker_topics))


class Extractor:
    """Runs extract_page_text (and the text work, analyse_page) in worker processes with a per-page time limit.

    The topics are handed to each worker once, when it starts, not with every page.
    """

    def __init__(self, timeout_seconds: float, workers: int = 2, topics: tuple[Topic, ...] = ()) -> None:
        self._timeout = timeout_seconds
        self.topics = tuple(topics)  # what analyse() matches against
        # forkserver: the daemon has threads running; forking a threaded process is unsafe.
        context = multiprocessing.get_context("forkserver")
        # The fork server imports what a worker runs (trafilatura, lxml, the text core) once, so each worker,
        # and each one started again after a timeout, begins with them instead of importing them itself.
        context.set_forkserver_preload(list(WORKER_MODULES))
        self._pool = ProcessPool(
            max_workers=workers,
            context=context,
            initializer=_start_worker,
            initargs=(self.topics,),
        )

    def extract(self, html: bytes, url: str | None = None) -> PageText:
        result: PageText = self._run(extract_page_text, (html, url))
        return result

    def analyse(self, html: bytes, url: str | None, entry_title: str) -> AnalysedPage:
        """The page's text and its text work against the topics the pool was started with."""
        result: AnalysedPage = self._run(analyse_page, (html, url, entry_title))
        return result

    def _run(self, function: Any, args: tuple[Any, ...]) -> Any:
        future = self._pool.schedule(function, args=args, timeout=self._timeout)
        try:
            result = future.result()
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
