"""Shared helpers for the benchmarks: the real data in bench/data, realistic pages, statistics, /proc readings.

Pages: the 12 real saved article pages are used as they are, and also as *templates*: their article body
(the <p> elements trafilatura extracts) is replaced by the paragraphs of a real corpus article, keeping
the page's own head, scripts, menus, related links and footer. So a synthetic page costs the extractor
what a real page of that outlet costs, and carries real Arabic news text.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lxml.html

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"

if str(ROOT) not in sys.path:  # `python bench/X.py` from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    url: str


@dataclass(frozen=True)
class Page:
    url: str
    html: bytes
    kind: str  # "real" (saved page as is) or "synthetic" (corpus text in a real page's chrome)
    title: str = ""


@cache
def corpus() -> tuple[Article, ...]:
    with gzip.open(DATA / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return tuple(Article(r["id"], r["title"], r["text"], r["url"]) for r in rows)


@cache
def real_pages() -> tuple[Page, ...]:
    pages = []
    for path in sorted((DATA / "pages").glob("*.html.gz")):
        name = path.name.removesuffix(".html.gz")
        pages.append(Page(url=f"https://{name}.example/article", html=gzip.decompress(path.read_bytes()),
                          kind="real"))
    return tuple(pages)


_SPACE = re.compile(r"\s+")


def _flat(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Template:
    """A real page split around its article body: head + body paragraphs slot + tail, as UTF-8 text."""

    name: str
    before: str
    after: str


def _make_template(page: Page) -> Template | None:
    import trafilatura

    extracted = _flat(trafilatura.extract(page.html) or "")
    if len(extracted) < 200:
        return None
    tree = lxml.html.document_fromstring(page.html)
    paragraphs = [p for p in tree.iter("p") if len(_flat(p.text_content())) >= 30
                  and _flat(p.text_content())[:60] in extracted]
    if len(paragraphs) < 2:
        return None
    # the parent holding most extracted paragraphs is the article body
    parents: dict[lxml.html.HtmlElement, int] = {}
    for p in paragraphs:
        parent = p.getparent()
        if parent is not None:
            parents[parent] = parents.get(parent, 0) + 1
    body = max(parents, key=lambda e: parents[e])
    marker = "BENCHMARKBODYSLOT"
    first = True
    for p in [p for p in paragraphs if p.getparent() is body]:
        if first:
            slot = lxml.html.Element("p")
            slot.text = marker
            p.addprevious(slot)
            first = False
        body.remove(p)
    # utf-8 everywhere: the charset declaration is rewritten to match what we serialise
    for meta in tree.iter("meta"):
        if meta.get("charset"):
            meta.set("charset", "utf-8")
        elif (meta.get("http-equiv") or "").lower() == "content-type":
            meta.set("content", "text/html; charset=utf-8")
    text = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    before, _, after = text.partition(f"<p>{marker}</p>")
    if not after:
        return None
    name = page.url.split("//", 1)[1].split(".example", 1)[0]
    return Template(name, before, after)


@cache
def templates() -> tuple[Template, ...]:
    """Templates from those real pages whose body could be located (the rest are used only as themselves)."""
    return tuple(t for t in (_make_template(p) for p in real_pages()) if t is not None)


def synthetic_page(article: Article, template: Template, n: int) -> Page:
    paragraphs = "\n".join(f"<p>{html.escape(p.strip())}</p>" for p in article.text.split("\n") if p.strip())
    if paragraphs.count("<p>") < 2:  # one long line: split at sentence ends so the body looks like prose
        parts = [s.strip() for s in re.split(r"(?<=[.!؟?])\s+", article.text) if s.strip()]
        paragraphs = "\n".join(f"<p>{html.escape(s)}</p>" for s in parts)
    heading = f"<h1>{html.escape(article.title)}</h1>\n"
    doc = template.before + heading + paragraphs + template.after
    return Page(url=f"https://{template.name}.example/news/{n}/{article.id}", html=doc.encode("utf-8"),
                kind="synthetic", title=article.title)


def page_set(size: int, seed: int = 1) -> list[Page]:
    """`size` pages: the real pages, then corpus articles in real page templates (round-robin), shuffled."""
    rng = random.Random(seed)
    pages: list[Page] = list(real_pages())
    arts = list(corpus())
    rng.shuffle(arts)
    tpls = templates()
    n = 0
    while len(pages) < size:
        article = arts[n % len(arts)]
        if n >= len(arts):  # past one round of the corpus: a re-edited copy (sentences dropped, reordered)
            sentences = [s for s in re.split(r"(?<=[.!؟?])\s+", article.text) if s.strip()]
            keep = [s for s in sentences if rng.random() > 0.3] or sentences
            article = Article(f"{article.id}-v{n // len(arts)}", article.title, " ".join(keep), article.url)
        pages.append(synthetic_page(article, tpls[n % len(tpls)], n))
        n += 1
    pages = pages[:size]
    rng.shuffle(pages)
    return pages


# --- statistics --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "HOLDS" if ok else "MISSES"


# --- process readings (Linux /proc) -------------------------------------------------------------------


def rss_bytes(pid: int | str = "self") -> tuple[int, int]:
    """(current RSS, peak RSS) in bytes, from /proc/PID/status."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                kids.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return kids


def tree_cpu_seconds(pid: int | None = None) -> float:
    """User+system CPU seconds of a process and all its live descendants (e.g. extraction workers)."""
    pid = pid or os.getpid()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    stack = [pid]
    seen: set[int] = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        stack.extend(_children(p))
    return total


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=False).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "monitor"], capture_output=True, text=True,
            check=False).stdout.split("\n")
        changed = sorted(line[3:] for line in dirty if line.strip())
        if changed:  # the working tree is shared: say which measured modules were not the committed ones
            commit += f" + uncommitted {', '.join(changed)}"
    except OSError:
        commit = "?"
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}; "
            f"{platform.system()} {platform.release()}; commit {commit or '?'}")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
