"""Workers on PostgreSQL: feeds polled and articles processed per second with 1, 2 and 4 `monitor run`
workers on one PostgreSQL database, beside one SQLite process, in one run.

    python bench/pg_workers.py              # 240 feeds x 3 new items, 1/2/4 workers + SQLite (a few minutes)
    python bench/pg_workers.py --quick      # CI smoke size
    python bench/pg_workers.py --feeds 480 --latency 0.3

What each worker does is the daemon's real work: `python -m monitor run` with the shipped topics, polling
RSS feeds over HTTP, fetching every new item's page (the real saved pages and corpus articles in their
chrome, bench/_common.py) and extracting its text in the worker's extraction pool, then the near-copy
lookup, the topic rules and the transaction (article, decision, search entry, outbox) on the database.

The feeds are served by a separate process, on 16 loopback host names (127.0.7.1 ... 127.0.7.16) so the
per-host politeness (shared by the workers on PostgreSQL) spreads them as it would real outlets, each
request answered after `--latency` seconds, as a distant server would. Each worker polls with
`--lanes` threads: a small worker, so that one worker is bound by its lanes and the network, as a real
one is bound by latency, and the question is how the cluster scales.

A run: the workers start with every feed scheduled far ahead; once all of them say they are running,
every feed is made due at once (one UPDATE) and the clock starts; it stops when the database holds every
article. Figures: feeds polled/s and articles/s over that time; CPU seconds of the workers' process trees
(extraction pools included) and of the feed server. The machine may be shared: read the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from _common import ROOT, corpus, load_average, machine, page_set, tree_cpu_seconds, verdict

from monitor.store.opening import open_store
from tests.config_files import shipped_topics, to_toml

SERVER_URL = os.environ.get("MONITOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HOSTS = 16
TARGET_RATIO = 1.7  # 2 workers against 1
POLLS_NEEDED = 100_000 / (15 * 60)  # 100,000 feeds every 15 minutes

SERVER = textwrap.dedent('''
    import html, json, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    spec = json.load(open(sys.argv[1], encoding="utf-8"))
    latency, pages, feeds = spec["latency"], spec["pages"], spec["feeds"]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_GET(self):
            time.sleep(latency)
            host = self.headers.get("host", "")
            body = feeds.get(host + self.path) or pages.get(host + self.path)
            if body is None:
                self.send_response(404); self.send_header("content-length", "0"); self.end_headers(); return
            data = body.encode("utf-8")
            kind = "application/rss+xml" if self.path.endswith(".xml") else "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        def log_message(self, *args):
            pass

    servers = []
    for host in spec["hosts"]:
        server = ThreadingHTTPServer((host, spec["port"]), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print("ready", flush=True)
    sys.stdin.read()
''')


def _rss(title: str, items: list[tuple[str, str, str]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><description>{d}</description></item>"
        for t, link, d in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://x/</link><description>d</description>{entries}</channel></rss>")


def build_world(feeds: int, items: int, port: int) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(feed bodies, page bodies) by host+path, and the feed URLs. Every item is its own page."""
    import html

    pages = page_set(feeds * items, seed=18)
    feed_bodies: dict[str, str] = {}
    page_bodies: dict[str, str] = {}
    urls = []
    for f in range(feeds):
        host = f"127.0.7.{f % HOSTS + 1}:{port}"
        entries = []
        for i in range(items):
            page = pages[f * items + i]
            path = f"/a/{f}/{i}.html"
            page_bodies[host + path] = page.html.decode("utf-8", errors="replace")
            entries.append((html.escape(page.title or f"item {f}-{i}"), f"http://{host}{path}", "ملخص"))
        feed_bodies[f"{host}/feed{f}.xml"] = _rss(f"feed {f}", entries)
        urls.append(f"http://{host}/feed{f}.xml")
    return feed_bodies, page_bodies, urls


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database(name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(SERVER_URL)
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo("", **info)


def _drop(name: str) -> None:
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _config(folder: Path, urls: list[str], lanes: int, url: str | None) -> Path:
    storage: dict[str, object] = {"database": str(folder / "m.db")}
    if url:
        storage["url"] = url
    document = {
        "storage": storage,
        "pipeline": {"seeds_dir": str(ROOT / "seeds"), "workers": lanes, "cycle_seconds": 1},
        "http": {"allow_private_addresses": True, "per_host_min_interval": 0, "per_host_concurrency": 2},
        # polled once in the run: the first poll's next one is an hour away
        "schedule": {"min_interval_minutes": 60, "default_interval_minutes": 60},
        "ops": {"enabled": False},
        "desk": {"enabled": False},
        "alerts": {"channels": [{"type": "jsonl", "name": "file", "path": str(folder / "alerts.jsonl")}]},
        "topics": shipped_topics(),
        "feeds": [{"url": u, "name": f"Feed {i}"} for i, u in enumerate(urls)],
    }
    path = folder / "monitor.toml"
    path.write_text(to_toml(document), encoding="utf-8")
    return path


class Backend:
    """Counting and scheduling on the database under test, from outside the workers."""

    def __init__(self, url: str | None, sqlite_path: Path) -> None:
        self.url, self.sqlite_path = url, sqlite_path

    def _run(self, sql: str) -> list[tuple[object, ...]]:
        if self.url:
            with psycopg.connect(self.url, autocommit=True) as conn:
                cur = conn.execute(sql)
                return list(cur.fetchall()) if cur.description else []
        import sqlite3

        conn = sqlite3.connect(self.sqlite_path, timeout=30)
        try:
            with conn:
                return list(conn.execute(sql).fetchall())
        finally:
            conn.close()

    def hold_feeds(self) -> None:
        self._run("UPDATE feeds SET next_poll_at = '2999-01-01T00:00:00.000000Z'")

    def release_feeds(self) -> None:
        self._run("UPDATE feeds SET next_poll_at = NULL")

    def articles(self) -> int:
        return int(self._run("SELECT count(*) FROM articles WHERE is_seed = 0")[0][0])  # type: ignore[call-overload]


def run_case(label: str, workers: int, url: str | None, urls: list[str], items: int, lanes: int,
             folder: Path, timeout: float) -> dict[str, object]:
    folder.mkdir(parents=True)
    config = _config(folder, urls, lanes, url)
    backend = Backend(url, folder / "m.db")
    # The feeds are stored and scheduled far ahead before any worker starts (a worker's config sync leaves
    # the schedule alone), so no worker polls before the clock starts.
    store = open_store(folder / "m.db", url)
    store.sync_feeds([(u, f"Feed {i}", True) for i, u in enumerate(urls)], datetime.now(UTC))
    store.close()
    backend.hold_feeds()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    logs = []
    for n in range(workers):
        log = (folder / f"worker{n}.log").open("wb")
        logs.append(log)
        procs.append(subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)],
                                      cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 180
        while not all("monitor running" in (folder / f"worker{n}.log").read_text(errors="replace")
                      for n in range(workers)):
            if time.monotonic() > deadline:
                raise SystemExit(f"{label}: the workers did not say they run")
            time.sleep(0.2)
        cpu_before = sum(tree_cpu_seconds(p.pid) for p in procs)
        started = time.monotonic()
        backend.release_feeds()
        expected = len(urls) * items
        while (done := backend.articles()) < expected:
            if time.monotonic() - started > timeout:
                raise SystemExit(f"{label}: {done} of {expected} articles after {timeout:.0f}s")
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        cpu = sum(tree_cpu_seconds(p.pid) for p in procs) - cpu_before
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()
    return {"label": label, "workers": workers, "seconds": round(elapsed, 2),
            "polls_per_s": round(len(urls) / elapsed, 2), "articles_per_s": round(expected / elapsed, 2),
            "worker_cpu_s": round(cpu, 1), "cpu_ms_per_article": round(1000 * cpu / expected, 1)}


def decide_section_ms(url: str, n: int) -> float:
    """Median milliseconds of the section every worker runs one at a time (the cluster-wide decide lock):
    the seen check, the near-copy lookup, the article's transaction and its corpus entry, for `n` real
    corpus articles on the PostgreSQL store, one process: its inverse is the most articles a second the
    cluster can decide, whatever the number of workers."""
    from statistics import median

    from monitor.decide.near_copies import fingerprint
    from monitor.models import Decision, ExtractedText
    from monitor.store.articles import NewArticle

    store = open_store(Path("unused.db"), url)
    times = []
    try:
        for n_, art in enumerate(corpus()[:n]):
            key = f"https://bench.example/{n_}"
            article = NewArticle(article_id=f"b{n_}", canonical_url=key, url=key, feed_url=None, guid=None,
                                 source="bench", extracted=ExtractedText(art.title, art.text, "ar", "page"),
                                 summary="", published=None, seen_at=datetime.now(UTC), in_corpus=True)
            fp = fingerprint(art.text)
            started = time.perf_counter()
            with store.lock, store.atomic():
                store.seen_urls([key])
                near = store.corpus_index.check(art.text)
                store.record_article(article, Decision(article.article_id, near, ()))
            store.corpus_index.add_fingerprint(article.article_id, fp)
            times.append(time.perf_counter() - started)
    finally:
        store.close()
    return 1000 * median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=240)
    parser.add_argument("--items", type=int, default=3, help="new items per feed")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per request")
    parser.add_argument("--lanes", type=int, default=4, help="poll threads per worker ([pipeline] workers)")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.items, args.workers = 16, 1, "1,2"
    counts = [int(n) for n in args.workers.split(",")]

    port = _free_port()
    feed_bodies, page_bodies, urls = build_world(args.feeds, args.items, port)
    tmp = Path(tempfile.mkdtemp(prefix="pg_workers_"))
    spec = tmp / "world.json"
    spec.write_text(json.dumps({"latency": args.latency, "pages": page_bodies, "feeds": feed_bodies, "port": port,
                                "hosts": [f"127.0.7.{h + 1}" for h in range(HOSTS)]}), encoding="utf-8")
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(spec)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    print(f"machine: {machine()}; load average before: {load_average()}")
    print(f"{args.feeds} feeds x {args.items} new items on {HOSTS} hosts, {args.latency:g} s per request,"
          f" {args.lanes} lanes per worker")
    results = []
    names = []
    timeout = 60 + 10 * args.feeds * args.items / max(1, args.lanes)
    try:
        server_cpu = tree_cpu_seconds(server.pid)
        results.append(run_case("sqlite, 1 process", 1, None, urls, args.items, args.lanes, tmp / "sqlite", timeout))
        for n in counts:
            name = f"monitor_bench_{uuid.uuid4().hex[:10]}"
            names.append(name)
            url = _database(name)
            results.append(run_case(f"postgresql, {n} worker{'s' if n > 1 else ''}", n, url, urls, args.items,
                                    args.lanes, tmp / f"pg{n}", timeout))
        server_cpu = tree_cpu_seconds(server.pid) - server_cpu
        name = f"monitor_bench_{uuid.uuid4().hex[:10]}"
        names.append(name)
        section = decide_section_ms(_database(name), 40 if args.quick else 400)
    finally:
        server.terminate()
        for name in names:
            _drop(name)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average after: {load_average()}; feed server CPU {server_cpu:.1f} s over all runs")
    print(f"{'run':<24} {'seconds':>8} {'polls/s':>8} {'articles/s':>11} {'worker CPU s':>13} {'CPU ms/article':>15}")
    for r in results:
        print(f"{r['label']:<24} {r['seconds']:>8} {r['polls_per_s']:>8} {r['articles_per_s']:>11}"
              f" {r['worker_cpu_s']:>13} {r['cpu_ms_per_article']:>15}")
    by_workers = {int(str(r["workers"])): r for r in results[1:]}
    one = float(str(by_workers[1]["articles_per_s"]))
    if 2 in by_workers:
        ratio = float(str(by_workers[2]["articles_per_s"])) / one
        print(f"RESULT 2 workers / 1 worker articles/s = {ratio:.2f} (target >= {TARGET_RATIO}): "
              f"{verdict(ratio >= TARGET_RATIO)}")
    print(f"RESULT the one-at-a-time decide section on PostgreSQL: {section:.1f} ms per article (median), so at"
          f" most {1000 / section:.0f} articles/s for the whole cluster (not judged)")
    best = max(results[1:], key=lambda r: float(str(r["polls_per_s"])))
    per_worker = float(str(best["polls_per_s"])) / int(str(best["workers"]))
    print(f"RESULT polls/s per worker at {best['workers']} workers = {per_worker:.2f}; 100,000 feeds every 15 min"
          f" need {POLLS_NEEDED:.0f} polls/s = {POLLS_NEEDED / per_worker:.0f} such workers (not judged)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
