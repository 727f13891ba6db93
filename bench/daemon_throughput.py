"""Daemon throughput: `monitor once` over ~1,000 article pages on 127.0.0.1 beside two bare-extraction processes.

    python bench/daemon_throughput.py                         # this checkout and main, 1,000 pages, 3 rounds
    python bench/daemon_throughput.py --baseline 90b6134      # against main before the text work moved
    python bench/daemon_throughput.py --baseline ''           # this checkout only
    python bench/daemon_throughput.py --pages 400 --rounds 1
    python bench/daemon_throughput.py --quick                 # CI smoke size

Pages: the 12 real saved article pages and real corpus articles set in those pages' own chrome
(bench/_common.py page_set), served by tests/fault_server.py on 127.0.0.1 behind --feeds RSS feeds (the
daemon polls feeds on parallel lanes; one feed's entries are read one after another). The daemon is the
real `python -m monitor once` process of each checkout (the baseline is `git archive`d from --baseline,
default main) with the topic rules of the oldest checkout measured, a fresh database per run and per-host
spacing lifted (all pages sit on one host): fetch, feedparser, extraction in its 2 worker processes,
near-copy lookup, topic rules, the one transaction per article. Bare = two processes that only run
trafilatura on the same pages at the project's settings (bare_extraction, fast mode, no comments, no tables,
no metadata; pages read into memory first). Each round runs bare, then each daemon (the order rotates by
round); figures are medians of the rounds. CPU = user + system seconds of the daemon and all its processes
(/proc, sampled every 0.2 s per process; the forkserver and workers included), which is what a shared
machine cannot disturb much; wall time is quoted too, but other load on the machine moves it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import ROOT, load_average, machine, median, page_set, verdict
from _daemon import daemon_config, monitor_command, tree_rss_bytes

sys.path.insert(0, str(ROOT / "tests"))
from fault_server import FaultServer

RATIO_TARGET = 0.90  # daemon throughput / two bare-extraction processes, wall time
CPU_GAIN_TARGET = 1.3  # articles per CPU-second, this checkout / baseline


@dataclass
class Run:
    label: str
    wall: float
    cpu: float
    cpu_main: float
    articles: int
    worker_rss: int = 0  # largest resident size one extraction worker reached
    main_rss: int = 0  # largest resident size of the daemon's main process

    @property
    def per_second(self) -> float:
        return self.articles / self.wall

    @property
    def per_cpu_second(self) -> float:
        return self.articles / self.cpu


# --- bare extraction -------------------------------------------------------------------------------------


def _bare_worker(paths: list[str], start_at: float) -> tuple[float, float, float]:
    import trafilatura

    pages = [(Path(p).read_bytes(), p) for p in paths]
    while time.time() < start_at:
        time.sleep(0.005)
    began, cpu = time.time(), time.process_time()
    for html, url in pages:
        tree = trafilatura.load_html(html)
        if tree is not None:
            trafilatura.bare_extraction(tree, url=url, include_comments=False, include_tables=False,
                                        with_metadata=False, fast=True)
    return began, time.time(), time.process_time() - cpu


def run_bare(page_files: list[Path]) -> Run:
    halves = [[str(p) for p in page_files[i::2]] for i in range(2)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        start_at = time.time() + 3.0  # both load their pages and import trafilatura first
        results = pool.starmap(_bare_worker, [(half, start_at) for half in halves])
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    cpu = sum(r[2] for r in results)
    return Run("bare x2", wall, cpu, 0.0, len(page_files))


# --- the daemon ------------------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_daemon(label: str, checkout: Path, work: Path, site: FaultServer, feeds: int, topics_from: Path) -> Run:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config = daemon_config(work / "monitor.toml", work / "monitor.db",
                           [(f"feed {i}", site.url(f"/feed{i}.xml")) for i in range(feeds)],
                           seeds_dir=checkout / "seeds", topics_from=topics_from,
                           desk=(checkout / "monitor" / "desk").is_dir())  # older checkouts have no desk
    command, env = monitor_command(checkout)
    with (work / "daemon.log").open("wb") as log:
        began = time.perf_counter()
        proc = subprocess.Popen([*command, "once", "--config", str(config)], env=env, stdout=log,
                                stderr=subprocess.STDOUT, cwd=work)
        cpu: dict[int, float] = {}
        rss: dict[int, int] = {}
        while proc.poll() is None:
            for pid, size in tree_rss_bytes(proc.pid).items():
                seconds = _cpu_seconds(pid)
                if seconds is not None:
                    cpu[pid] = seconds
                rss[pid] = max(rss.get(pid, 0), size)
            time.sleep(0.2)
        wall = time.perf_counter() - began
    if proc.returncode not in (0, 1):  # 1: some feed or article failed; the count below says what was stored
        raise SystemExit(f"{label}: monitor once exited {proc.returncode}:\n"
                         + (work / "daemon.log").read_text(encoding="utf-8", errors="replace")[-3000:])
    import sqlite3

    with sqlite3.connect(work / "monitor.db") as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone() is None:
            raise SystemExit(f"{label}: monitor once stored nothing:\n"
                             + (work / "daemon.log").read_text(encoding="utf-8", errors="replace")[-3000:])
        articles = int(conn.execute("SELECT count(*) FROM articles WHERE is_seed = 0").fetchone()[0])
        via_page = int(conn.execute("SELECT count(*) FROM articles WHERE extraction = 'page'").fetchone()[0])
    if via_page < articles:
        print(f"  note: {label}: {articles - via_page} of {articles} articles decided on the feed summary",
              flush=True)
    main_cpu = cpu.get(proc.pid, 0.0)
    # the forkserver's own small share counts as worker time: it exists only for the pool
    main_rss = rss.pop(proc.pid, 0)
    return Run(label, wall, sum(cpu.values()), main_cpu, articles, max(rss.values(), default=0), main_rss)


def serve(site: FaultServer, pages: list[tuple[str, str, bytes]], feeds: int) -> None:
    import html as html_module

    for path, _, body in pages:
        site.set(path, (200, {"Content-Type": "text/html; charset=utf-8"}, body))
    for f in range(feeds):
        items = "".join(
            f"<item><title>{html_module.escape(title)}</title><link>{site.url(path)}</link>"
            f"<guid>{site.url(path)}</guid></item>"
            for path, title, _ in pages[f::feeds])
        rss = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>feed {f}</title>'
               f"<link>{site.url('/')}</link><description>bench</description>{items}</channel></rss>")
        site.set(f"/feed{f}.xml", (200, {"Content-Type": "application/rss+xml; charset=utf-8"}, rss.encode()))


def export(ref: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="article pages (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; figures are medians (default 3)")
    parser.add_argument("--feeds", type=int, default=20, help="feeds the pages are listed in (default 20)")
    parser.add_argument("--baseline", default="main", help="git ref measured beside this checkout ('' = none)")
    parser.add_argument("--quick", action="store_true", help="tiny run for CI: 40 pages, 1 round, no baseline")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.rounds, args.feeds, args.baseline = 40, 1, 4, ""
    tmp = Path(tempfile.mkdtemp(prefix="bench-daemon-"))
    try:
        checkouts = {"this checkout": ROOT}
        if args.baseline:
            checkouts = {args.baseline: export(args.baseline, tmp / "baseline"), **checkouts}
        # one topic rule for every daemon, the oldest checkout's (newer code reads older rules), so each
        # does the same matching work
        topics_from = next(iter(checkouts.values())) / "config" / "monitor.toml"
        chosen = page_set(args.pages)
        page_dir = tmp / "pages"
        page_dir.mkdir()
        page_files = []
        served = []
        for i, page in enumerate(chosen):
            path = page_dir / f"{i}.html"
            path.write_bytes(page.html)
            page_files.append(path)
            served.append((f"/p/{i}", page.title, page.html))
        print(f"machine: {machine()}; load average {load_average()} (shared with other work: quote CPU time)")
        print(f"{len(chosen)} pages ({sum(p.kind == 'real' for p in chosen)} real, the rest real corpus articles in "
              f"real page chrome), {args.feeds} feeds; daemons: {', '.join(checkouts)}", flush=True)
        runs: dict[str, list[Run]] = {"bare x2": [], **{label: [] for label in checkouts}}
        with FaultServer(host="127.0.0.1") as site:
            serve(site, served, args.feeds)
            for r in range(args.rounds):
                order = ["bare x2", *checkouts]
                order = order[r % len(order):] + order[: r % len(order)]
                for label in order:
                    if label == "bare x2":
                        run = run_bare(page_files)
                    else:
                        run = run_daemon(label, checkouts[label], tmp / "run", site, args.feeds, topics_from)
                    runs[label].append(run)
                    print(f"round {r + 1} {label}: {run.articles} articles, wall {run.wall:.1f} s "
                          f"({run.per_second:.1f}/s), CPU {run.cpu:.1f} s ({run.cpu / run.articles * 1000:.1f} ms per "
                          f"article{f', main process {run.cpu_main / run.articles * 1000:.1f}' if run.cpu_main else ''}"
                          f"){f', RSS main {run.main_rss / 2**20:.0f} MiB' if run.main_rss else ''}"
                          f"{f', largest worker {run.worker_rss / 2**20:.0f} MiB' if run.worker_rss else ''}; "
                          f"load {load_average()}", flush=True)
        bare = runs["bare x2"]
        bare_rate = median([r.per_second for r in bare])
        bare_cpu_rate = median([r.per_cpu_second for r in bare])
        print(f"RESULT bare x2: {bare_rate:.1f} articles/s wall, {1000 / bare_cpu_rate:.1f} ms CPU per article")
        for label in checkouts:
            daemon = runs[label]
            rate = median([d.per_second for d in daemon])
            cpu_rate = median([d.per_cpu_second for d in daemon])
            print(f"RESULT daemon {label}: {rate:.1f} articles/s wall = {rate / bare_rate:.2f}x bare x2; "
                  f"{1000 / cpu_rate:.1f} ms CPU per article (main process "
                  f"{median([d.cpu_main / d.articles for d in daemon]) * 1000:.1f}) = CPU ratio "
                  f"{cpu_rate / bare_cpu_rate:.2f}x bare; RSS: main process "
                  f"{median([d.main_rss for d in daemon]) / 2**20:.0f} MiB, largest worker "
                  f"{median([d.worker_rss for d in daemon]) / 2**20:.0f} MiB")
        ours = runs["this checkout"]
        ratio = median([d.per_second for d in ours]) / bare_rate
        print(f"RESULT wall ratio this checkout / bare x2: {ratio:.2f} (target >= {RATIO_TARGET}: "
              f"{verdict(ratio >= RATIO_TARGET)}; wall time, moved by other load)")
        cpu_ratio = median([d.per_cpu_second for d in ours]) / bare_cpu_rate
        print(f"RESULT CPU ratio this checkout / bare x2 (articles per CPU-second): {cpu_ratio:.2f} "
              f"(what the wall ratio is on 2 otherwise idle cores; target >= {RATIO_TARGET}: "
              f"{verdict(cpu_ratio >= RATIO_TARGET)})")
        if args.baseline:
            gain = median([d.per_cpu_second for d in ours]) / median([d.per_cpu_second for d in runs[args.baseline]])
            wall_gain = median([d.per_second for d in ours]) / median([d.per_second for d in runs[args.baseline]])
            print(f"RESULT articles per CPU-second, this checkout / {args.baseline}: {gain:.2f}x (target >= "
                  f"{CPU_GAIN_TARGET}: {verdict(gain >= CPU_GAIN_TARGET)}); wall {wall_gain:.2f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
