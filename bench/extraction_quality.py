"""Extraction quality and cost: today's call (full comparison), fast mode only, fast mode + safety net.

    python bench/extraction_quality.py                 # 1,000 pages x 3 repetitions (a few minutes)
    python bench/extraction_quality.py --quick         # CI smoke size

Pages with gold text:
  * the saved real pages whose main-text gold is in bench/data/gold/ (CNN Arabic and LBC: the full
    expected text; assabah: snippets the text must and must not contain, judged separately);
  * real corpus articles set into the real pages' own chrome (bench/_common.py), gold = the article text.
The three ways of extracting, on the same pages in the same process:
  * today's call: trafilatura.bare_extraction(html, fast=False) with the project's options, i.e. with the
    readability/justext comparison on every page (what monitor/extract.py ran before fast mode);
  * fast only: the same with fast=True;
  * fast + safety net: monitor.extract.extract_page_text, the project's code (fast, then the full
    comparison when the fast text looks wrong).
Quality: bag-of-tokens overlap (monitor.text.arabic.tokenize, counted with multiplicity) of the extracted
text against the gold, precision/recall/F1 per page, averaged over pages. A text under MIN_TEXT_CHARS
counts as empty (the pipeline rejects it). Cost: CPU seconds (process_time) per method; the three run
chunk by chunk with a rotating order, so machine noise hits all alike; median over repetitions.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from _common import DATA, Page, corpus, load_average, machine, median, page_set, real_pages, templates, verdict

from monitor.errors import ExtractionError
from monitor.extract import (
    FALLBACK_MIN_RUN_CHARS,
    FALLBACK_MIN_RUN_COVERAGE,
    MIN_TEXT_CHARS,
    extract_page_text,
    longest_paragraph_run,
)
from monitor.text.arabic import tokenize

METHODS = ("today's call", "fast only", "fast + safety net")


@dataclass(frozen=True)
class GoldPage:
    page: Page
    gold: str


def _trafilatura(fast: bool) -> Callable[[bytes, str], str]:
    import trafilatura

    def extract(html: bytes, url: str) -> str:
        document = trafilatura.bare_extraction(html, url=url, include_comments=False, include_tables=False,
                                               with_metadata=False, fast=fast)
        text = (getattr(document, "text", None) or "").strip() if document is not None else ""
        return text if len(text) >= MIN_TEXT_CHARS else ""

    return extract


def _project(html: bytes, url: str) -> str:
    try:
        text: str = extract_page_text(html, url).text
    except ExtractionError:
        return ""
    return text


def _project_method(html: bytes, url: str) -> str:
    try:
        method: str = extract_page_text(html, url).method
    except ExtractionError:
        return "none"
    return method


def gold_pages(size: int) -> tuple[list[GoldPage], list[Page], dict[str, tuple[Page, dict[str, list[str]]]]]:
    """The benches' page set (bench/_common.page_set) split by gold: pages with full gold text, real pages
    without one, and the snippet-gold pages with their snippets."""
    gold_texts = {path.name.removesuffix(".gold.txt"): path.read_text(encoding="utf-8")
                  for path in sorted((DATA / "gold").glob("*.gold.txt"))}
    snippets = {}
    for path in sorted((DATA / "gold").glob("*.gold.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        snippets[path.name.removesuffix(".gold.json")] = {"with": record["with"], "without": record["without"]}
    articles = {a.id: a for a in corpus()}
    # past one round of the corpus page_set edits the texts it reuses, and the gold would no longer be known
    size = min(size, len(articles) + len(real_pages()))
    with_gold: list[GoldPage] = []
    without: list[Page] = []
    snippet_pages = {}
    for page in page_set(size):
        name = page.url.split("//", 1)[1].split(".example", 1)[0]
        if page.kind == "synthetic":
            with_gold.append(GoldPage(page, articles[page.url.rsplit("/", 1)[1]].text))
        elif name in gold_texts:
            with_gold.append(GoldPage(page, gold_texts[name]))
        else:
            without.append(page)
            if name in snippets:
                snippet_pages[name] = (page, snippets[name])
    return with_gold, without, snippet_pages


def overlap(got: str, want: str) -> tuple[float, float, float]:
    """Precision, recall, F1 of the extracted tokens against the gold tokens (with multiplicity)."""
    g, w = Counter(tokenize(got)), Counter(tokenize(want))
    common = sum((g & w).values())
    precision = common / sum(g.values()) if g else 0.0
    recall = common / sum(w.values()) if w else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_coverage(pages: list[Page], fast_texts: list[str]) -> list[tuple[int, float]]:
    """Per page: (characters of the longest <p> run, share of its words the fast text holds)."""
    import trafilatura

    out = []
    for page, text in zip(pages, fast_texts, strict=True):
        run = longest_paragraph_run(trafilatura.load_html(page.html))
        words = set(run.split())
        out.append((len(run), len(words & set(text.split())) / len(words) if words else 1.0))
    return out


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="pages (default 1000; at most the corpus + 2)")
    parser.add_argument("--reps", type=int, default=3, help="timing repetitions (default 3)")
    parser.add_argument("--chunk", type=int, default=20, help="pages per interleaved chunk")
    parser.add_argument("--quick", action="store_true", help="tiny run for CI: 24 pages, 1 repetition")
    args = parser.parse_args()
    if args.quick:
        args.size, args.reps, args.chunk = 24, 1, 8

    extractors: dict[str, Callable[[bytes, str], str]] = {
        METHODS[0]: _trafilatura(fast=False), METHODS[1]: _trafilatura(fast=True), METHODS[2]: _project}
    pages, no_gold, snippets = gold_pages(args.size)
    real = [g for g in pages if g.page.kind == "real"]
    print(f"machine: {machine()}; load average {load_average()}")
    print(f"pages: {len(pages)} with gold text ({len(real)} real pages with full gold: "
          f"{', '.join(g.page.url.split('//')[1].split('.example')[0] for g in real)}; "
          f"{len(pages) - len(real)} corpus articles in the chrome of {len(templates())} real pages); "
          f"{len(no_gold)} real pages without text gold, compared only")

    texts: dict[str, list[str]] = {m: [] for m in METHODS}
    cpu: dict[str, list[float]] = {m: [] for m in METHODS}
    for rep in range(args.reps):
        spent = dict.fromkeys(METHODS, 0.0)
        for c, start in enumerate(range(0, len(pages), args.chunk)):
            chunk = pages[start : start + args.chunk]
            shift = (c + rep) % len(METHODS)
            for name in METHODS[shift:] + METHODS[:shift]:  # who goes first rotates
                extract = extractors[name]
                t = time.process_time()
                out = [extract(g.page.html, g.page.url) for g in chunk]
                spent[name] += time.process_time() - t
                if rep == 0:
                    texts[name].extend(out)
        for name in METHODS:
            cpu[name].append(spent[name] / len(pages) * 1000)
        print(f"rep {rep + 1}: ms per page " + ", ".join(f"{m} {cpu[m][-1]:.1f}" for m in METHODS))

    methods_used = Counter(_project_method(g.page.html, g.page.url) for g in pages)
    scores = {m: [overlap(text, g.gold) for text, g in zip(texts[m], pages, strict=True)] for m in METHODS}
    print()
    print(f"{'method':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'F1 real':>8} {'CPU ms/page':>12} "
          f"{'vs today':>9}")
    ms = {m: median(cpu[m]) for m in METHODS}
    for m in METHODS:
        p, r, f = (mean([s[i] for s in scores[m]]) for i in range(3))
        f_real = mean([s[2] for s, g in zip(scores[m], pages, strict=True) if g.page.kind == "real"])
        print(f"{m:<20} {p:>9.3f} {r:>7.3f} {f:>6.3f} {f_real:>8.3f} {ms[m]:>12.1f} {ms[METHODS[0]] / ms[m]:>8.2f}x")
    print(f"(median of {args.reps} repetitions; 'F1 real' = the {len(real)} real pages with full gold only)")
    print(f"safety net: {methods_used['full']} of {len(pages)} pages fell back to the full comparison, "
          f"{methods_used['none']} gave no text")
    for name, (page, gold) in snippets.items():
        for m in METHODS:
            text = extractors[m](page.html, page.url)
            found = sum(s in text for s in gold["with"])
            leaked = sum(s in text for s in gold["without"])
            print(f"snippet gold {name}, {m}: {found}/{len(gold['with'])} required snippets present, "
                  f"{leaked}/{len(gold['without'])} excluded snippets present")

    # the evidence for the safety net's thresholds: which paragraph runs fast mode leaves out, and how long
    coverage = run_coverage([g.page for g in pages], texts[METHODS[1]])
    missed = [chars for chars, share in coverage if share < FALLBACK_MIN_RUN_COVERAGE]
    long_runs = [share for chars, share in coverage if chars >= FALLBACK_MIN_RUN_CHARS]
    print(f"fast text holds under {FALLBACK_MIN_RUN_COVERAGE:.0%} of the words of the page's longest <p> run on "
          f"{len(missed)} pages (longest such run {max(missed, default=0)} characters); on the "
          f"{len(long_runs)} pages whose run has >= {FALLBACK_MIN_RUN_CHARS} characters it holds at least "
          f"{min(long_runs, default=1.0):.0%}")
    for m in METHODS[1:]:
        same = sum(extractors[m](p.html, p.url) == extractors[METHODS[0]](p.html, p.url) for p in no_gold)
        print(f"real pages without text gold: {m} gives today's text on {same} of {len(no_gold)}")

    f1 = {m: mean([s[2] for s in scores[m]]) for m in METHODS}
    today, net = METHODS[0], METHODS[2]
    print(f"RESULT F1 fast + safety net {f1[net]:.3f} vs today's call {f1[today]:.3f} (target: not lower: "
          f"{verdict(f1[net] >= f1[today])})")
    print(f"RESULT CPU per page fast + safety net {ms[net]:.1f} ms vs today's call {ms[today]:.1f} ms = "
          f"{ms[today] / ms[net]:.2f}x faster (target: faster: {verdict(ms[net] < ms[today])})")


if __name__ == "__main__":
    main()
