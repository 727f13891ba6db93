"""Soak: `monitor run` against a local outlet that publishes a steady stream of new items; memory sampled.

    python bench/soak.py                    # 30 minutes, a new item every 6 s (300 items)
    python bench/soak.py --minutes 5 --every 2
    python bench/soak.py --quick            # CI smoke size (40 s)

The outlet (tests/fault_server.py on 127.0.0.1) serves an RSS feed of its newest 50 items and each item's
page: a real corpus article in a real page's chrome (bench/_common.py), so every item goes through fetch,
extraction in the worker pool, near-copy lookup, topic rules, the one transaction and, for matches, the
webhook receiver (tests/delivery_servers.py). The daemon is the real `python -m monitor run` process with
the project's topics; the feed is polled every minute (its fixed interval). RSS memory of the daemon and of
its extraction workers is read from /proc every --sample seconds. "start" is the first sample after --warmup
seconds (the worker pool, caches and the SQLite page cache fill during the first minutes); the result holds
when the end and every later sample stay within 10% of it.
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, Article, corpus, load_average, machine, synthetic_page, templates, verdict
from _daemon import daemon_config, monitor_command, tree_rss_bytes

sys.path.insert(0, str(ROOT / "tests"))
from delivery_servers import WebhookReceiver
from fault_server import FaultServer, LoggedRequest

FEED_WINDOW = 50  # items a feed lists
TOLERANCE = 0.10


class Outlet:
    """Publishes one new item every `every` seconds; keeps only the newest pages' bytes around."""

    def __init__(self, site: FaultServer, every: float) -> None:
        self.site = site
        self.every = every
        self.base = site.url("").rstrip("/")
        self.items: list[tuple[int, Article]] = []
        self.lock = threading.Lock()
        self.articles = list(corpus())

    def publish(self, k: int) -> None:
        source = self.articles[k % len(self.articles)]
        # past one round of the corpus: a new id and a changed last sentence, so it is a new item, not a copy
        article = source if k < len(self.articles) else Article(f"{source.id}-r{k}", source.title,
                                                               source.text + f" ({k})", source.url)
        page = synthetic_page(article, templates()[k % len(templates())], k)
        self.site.set(f"/a/{k}", (200, {"Content-Type": "text/html; charset=utf-8"}, page.html))
        with self.lock:
            self.items.append((k, article))
            if len(self.items) > FEED_WINDOW:
                old, _ = self.items.pop(0)
                self.site.set(f"/a/{old}", (410, {"Content-Type": "text/plain"}, b"gone"))
        with self.site._lock:  # the server's request log would grow for the whole run: keep the last few
            del self.site.requests[:-100]

    def feed(self, request: LoggedRequest) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            items = list(self.items)
        etag = f'"{items[-1][0] if items else 0}"'
        if request.headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        body = "".join(
            f"<item><title>{html.escape(a.title)}</title><link>{self.base}/a/{k}</link><guid>{self.base}/a/{k}</guid>"
            f"<description>{html.escape(a.text[:200])}</description></item>" for k, a in reversed(items))
        rss = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>outlet</title>'
               f"<link>{self.base}/</link><description>news</description>{body}</channel></rss>")
        return 200, {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}, rss.encode()

    def run(self, stop: threading.Event) -> None:
        k = 1  # item 0 is published before the daemon starts, so its first poll has work
        while not stop.wait(self.every):
            self.publish(k)
            k += 1


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the run (default 30)")
    parser.add_argument("--every", type=float, default=6.0, help="seconds between new items (default 6)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between memory samples (default 10)")
    parser.add_argument("--warmup", type=float, default=180.0, help="seconds before the start sample (default 180)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to run (default: this checkout)")
    parser.add_argument("--log", type=Path, help="keep the daemon's log here")
    parser.add_argument("--quick", action="store_true", help="tiny run for CI: 40 s, a sample every 2 s")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.every, args.sample, args.warmup = 40 / 60, 1.0, 2.0, 10.0
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    print(f"machine: {machine()}; load average {load_average()}", flush=True)
    stop = threading.Event()
    try:
        with WebhookReceiver(secret) as rx, FaultServer(host="127.0.0.1") as site:
            outlet = Outlet(site, args.every)
            site.set("/feed.xml", outlet.feed)
            channels = (f'[[alerts.channels]]\nname = "hook"\ntype = "webhook"\nurl = "{rx.url}"\n'
                        f'secrets = ["{secret}"]\n')
            config = daemon_config(tmp / "monitor.toml", tmp / "monitor.db", [("outlet", site.url("/feed.xml"))],
                                   seeds_dir=args.checkout / "seeds", cycle_seconds=2, interval_minutes=1,
                                   channels=channels)
            outlet.publish(0)
            publisher = threading.Thread(target=outlet.run, args=(stop,), daemon=True)
            publisher.start()
            command, env = monitor_command(args.checkout)
            log = (tmp / "daemon.log").open("wb")
            daemon = subprocess.Popen([*command, "--config", str(config), "run"], env=env, stdout=log,
                                      stderr=subprocess.STDOUT, cwd=tmp)
            samples: list[tuple[float, int, int, int]] = []  # (seconds, main rss, workers rss, processes)
            started = time.monotonic()
            try:
                while (elapsed := time.monotonic() - started) < args.minutes * 60:
                    if daemon.poll() is not None:
                        tail = (tmp / "daemon.log").read_text(encoding="utf-8", errors="replace")[-3000:]
                        raise SystemExit(f"the daemon stopped (exit {daemon.returncode}):\n{tail}")
                    tree = tree_rss_bytes(daemon.pid)
                    main_rss = tree.pop(daemon.pid, 0)
                    samples.append((elapsed, main_rss, sum(tree.values()), len(tree)))
                    time.sleep(args.sample)
            finally:
                stop.set()
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                log.close()
                if args.log:
                    shutil.copyfile(tmp / "daemon.log", args.log)
            alerts = len(rx.accepted())
        published = len(outlet.items) and outlet.items[-1][0] + 1
        stored = _count(tmp / "monitor.db")
        print(f"{args.minutes:g} min, a new item every {args.every:g} s: {published} published, {stored} articles "
              f"stored (seeds included), {alerts} signed alerts received", flush=True)
        steady = [s for s in samples if s[0] >= args.warmup] or samples[-1:]
        for label, pick in (("daemon (main process)", lambda s: s[1]), ("extraction workers (sum)", lambda s: s[2]),
                            ("daemon + workers", lambda s: s[1] + s[2])):
            start, end = pick(steady[0]), pick(steady[-1])
            peak = max(pick(s) for s in steady)
            low = min(pick(s) for s in steady)
            within = max(peak, end) <= start * (1 + TOLERANCE) and low >= start * (1 - TOLERANCE)
            print(f"RESULT {label}: start {mib(start)} (at {steady[0][0]:.0f} s), end {mib(end)}, max {mib(peak)}, "
                  f"min {mib(low)}; end/start {end / max(start, 1):.3f} (within 10% of start: {verdict(within)})",
                  flush=True)
        print(f"first sample (at {samples[0][0]:.0f} s, before warm-up): main {mib(samples[0][1])}, "
              f"workers {mib(samples[0][2])} in {samples[0][3]} processes; {len(samples)} samples", flush=True)
    finally:
        stop.set()
        shutil.rmtree(tmp, ignore_errors=True)


def _count(db: Path) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


if __name__ == "__main__":
    main()
