"""Polling at scale: one cycle over N feeds on many loopback hosts, with the daemon's politeness limits on.

    python bench/polling_scale.py                    # 2,000 feeds on 40 hosts (about a minute)
    python bench/polling_scale.py --feeds 10000      # the full size (about 5 minutes: 250 feeds a host, 1 s apart)
    python bench/polling_scale.py --order grouped    # feeds listed outlet by outlet (see docs/benchmarks.md)
    python bench/polling_scale.py --quick            # CI smoke size

A server process (this file with --serve) listens on 127.0.1.1 .. 127.0.H.1 (the whole 127/8 is loopback, so
each address is one outlet for the per-host gate) and answers every feed with 304 when the client's
If-None-Match is current; --changed of the feeds have a new version: 20 items of which --new were never
seen (their article pages are real corpus articles in real page chrome, bench/_common.py), the rest
already in the database. The client is the real daemon wiring, monitor.runtime.app.App (Store, Fetcher with
allow_private_addresses=True and the default per-host limits, the extraction worker pool, SqliteCorpusIndex,
Pipeline, config/monitor.toml topics), polling every due feed once (App.poll). Feeds start with the ETag of
a previous poll and a next-poll time in the past, spread at random (steady state) or in config order.
Figures: the cycle's wall time, the CPU seconds of this process and its extraction workers (the server
excluded) divided by the wall time, and from the server's log the shortest gap between two requests to one
host and the most requests one host had in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import html
import itertools
import json
import logging
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, corpus, load_average, machine, page_set, tree_cpu_seconds, verdict

ITEMS = 20
CYCLE_TARGET_S = 600.0
CPU_TARGET = 1.0


# --- the server ----------------------------------------------------------------------------------------


def feed_plan(feeds: int, changed: float, seed: int) -> set[int]:
    rng = random.Random(seed)
    return set(rng.sample(range(feeds), round(feeds * changed)))


def host_of(j: int, hosts: int) -> str:
    return f"127.0.{j % hosts + 1}.1"


def rss(j: int, host: str, port: int, new: int) -> bytes:
    arts = corpus()
    items = []
    for n in range(ITEMS):
        a = arts[(j * ITEMS + n) % len(arts)]
        when = datetime(2026, 11, 23, 9, tzinfo=UTC) - timedelta(minutes=15 * n)
        items.append(
            f"<item><title>{html.escape(a.title)}</title><link>http://{host}:{port}/article/{j}/{n}</link>"
            f"<guid>http://{host}:{port}/article/{j}/{n}</guid>"
            f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
            f"<description>{html.escape(a.text[:300])}</description></item>"
        )
    version = "v2" if new else "v1"
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>outlet {host} feed {j}'
            f" {version}</title><link>http://{host}:{port}/</link><description>أخبار</description>"
            f"<language>ar</language>{''.join(items)}</channel></rss>").encode()


def serve(hosts: int, feeds: int, changed: float, new: int, seed: int) -> None:
    changed_set = feed_plan(feeds, changed, seed)
    pages = page_set(max(50, len(changed_set) * new), seed=seed)
    log: dict[str, list[float]] = defaultdict(list)
    in_flight: dict[str, int] = defaultdict(int)
    peak: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)

    def route(host: str, path: str, headers: dict[str, str], port: int) -> tuple[int, dict[str, str], bytes]:
        if path == "/__stats":
            gaps: list[float] = []
            for times in log.values():
                times.sort()
                gaps.extend(b - a for a, b in itertools.pairwise(times))
            return 200, {"content-type": "application/json"}, json.dumps(
                {"min_gap": min(gaps) if gaps else None, "max_in_flight": max(peak.values(), default=0),
                 "counts": counts, "hosts": len(log), "busiest": max((len(t) for t in log.values()), default=0),
                 }).encode()
        parts = path.strip("/").split("/")
        if parts[0] == "feed":
            j = int(parts[1].removesuffix(".xml"))
            etag = '"v2"' if j in changed_set else '"v1"'
            if headers.get("if-none-match") == etag:
                counts["304"] += 1
                return 304, {"etag": etag, "cache-control": "max-age=300"}, b""
            counts["200 feed"] += 1
            body = rss(j, host, port, new if j in changed_set else 0)
            return 200, {"content-type": "application/rss+xml; charset=utf-8", "etag": etag}, body
        if parts[0] == "article":
            j, n = int(parts[1]), int(parts[2])
            counts["200 page"] += 1
            return 200, {"content-type": "text/html; charset=utf-8"}, pages[(j * ITEMS + n) % len(pages)].html
        counts["404"] += 1
        return 404, {}, b""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("sockname")[:2]
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
                path = target.split("?", 1)[0]
                if path != "/__stats":
                    log[host].append(time.monotonic())
                    in_flight[host] += 1
                    peak[host] = max(peak[host], in_flight[host])
                try:
                    status, extra, body = route(host, path, headers, port)
                finally:
                    if path != "/__stats":
                        in_flight[host] -= 1
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                out = [f"HTTP/1.1 {status} {reason}", f"content-length: {len(body)}"]
                out += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        first = await asyncio.start_server(handle, "127.0.1.1", 0)
        port = first.sockets[0].getsockname()[1]
        servers = [first] + [await asyncio.start_server(handle, f"127.0.{k}.1", port) for k in range(2, hosts + 1)]
        servers.append(await asyncio.start_server(handle, "127.0.0.1", port))
        print(f"PORT {port}", flush=True)
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


# --- the client ----------------------------------------------------------------------------------------


def prepare(app: Any, urls: list[str], changed_set: set[int], new: int, order: str, seed: int) -> None:
    """The state after earlier cycles: every feed has an ETag, and the changed feeds' old items are stored."""
    from monitor.decide.decision import article_id_for
    from monitor.models import Decision, ExtractedText, NearCopy
    from monitor.store.database import NewArticle
    from monitor.text.urls import canonical_url

    rng = random.Random(seed)
    now = datetime.now(UTC)
    store = app.store
    with store.atomic():
        for j, url in enumerate(urls):
            # steady state: due times spread at random; grouped: all due at once, polled in config order
            due = now - timedelta(seconds=rng.uniform(1, 600) if order == "random" else 600 - j * 1e-3)
            store.update_feed(url, {"etag": '"v1"', "next_poll_at": due, "last_success_at": now,
                                    "interval_seconds": 900, "items_per_day": 48})
        old_item = ExtractedText(title="old item", text="text", language=None, method="page")
        for url in urls:
            j = int(url.rsplit("/", 1)[1].removesuffix(".xml"))
            if j not in changed_set:
                continue
            base = url.rsplit("/feed/", 1)[0]
            for n in range(new, ITEMS):
                key = canonical_url(f"{base}/article/{j}/{n}")
                article_id = article_id_for(key)
                store.record_article(
                    NewArticle(article_id=article_id, canonical_url=key, url=f"{base}/article/{j}/{n}", feed_url=url,
                               guid=None, source="", extracted=old_item, summary="", published=None, seen_at=now),
                    Decision(article_id, NearCopy(None, 0.0), ()),
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--changed", type=float, default=0.03, help="share of feeds with a new version")
    parser.add_argument("--new", type=int, default=2, help="never-seen items in a changed feed")
    parser.add_argument("--order", choices=("random", "grouped"), default="random")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="poll workers (default: config/monitor.toml's)")
    parser.add_argument("--quick", action="store_true", help="tiny run for CI: 60 feeds on 30 hosts")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.hosts, args.changed = 60, 30, 0.05
    if args.serve:
        serve(args.hosts, args.feeds, args.changed, args.new, args.seed)
        return

    from monitor.runtime.app import App
    from monitor.settings.alerts import parse_alerts
    from monitor.settings.config import FeedConfig, load_config

    logging.basicConfig(level=logging.WARNING)
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feeds", str(args.feeds), "--hosts", str(args.hosts), "--changed",
         str(args.changed), "--new", str(args.new), "--seed", str(args.seed)],
        stdout=subprocess.PIPE, text=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-polling-"))
    app = None
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        urls = [f"http://{host_of(j, args.hosts)}:{port}/feed/{j}.xml" for j in range(args.feeds)]
        if args.order == "grouped":  # an outlet's feeds together, as a config usually lists them
            urls.sort(key=lambda u: (u.split("//")[1].split(":")[0].split(".")[2].zfill(3), u))
        base = load_config(ROOT / "config" / "monitor.toml")
        config = dataclasses.replace(
            base, database_path=tmp / "monitor.db",
            feeds=tuple(FeedConfig(url=u, name=u.split("//")[1].split(":")[0], interval_minutes=None, enabled=True)
                        for u in urls),
            http=dataclasses.replace(base.http, allow_private_addresses=True),
            pipeline=dataclasses.replace(base.pipeline, seeds_dir=ROOT / base.pipeline.seeds_dir,
                                         workers=args.workers or base.pipeline.workers),
            alerts=parse_alerts({"channels": [{"name": "file", "type": "jsonl", "path": str(tmp / "alerts.jsonl")}]}),
        )
        t = time.perf_counter()
        app = App(config)
        changed_set = feed_plan(args.feeds, args.changed, args.seed)
        prepare(app, urls, changed_set, args.new, args.order, args.seed)
        app.extractor.extract(page_set(1)[0].html)  # start the worker pool outside the measured cycle
        setup = time.perf_counter() - t
        print(f"machine: {machine()}; load average {load_average()}")
        print(f"{args.feeds} feeds on {args.hosts} hosts ({args.feeds / args.hosts:.0f} a host), "
              f"{len(changed_set)} with {args.new} new items each; politeness: {config.http.per_host_concurrency} "
              f"in flight and {config.http.per_host_min_interval:g} s between request starts per host; "
              f"{config.pipeline.workers} poll workers; order {args.order}; set-up {setup:.1f} s")
        feeds = app.store.due_feeds(datetime.now(UTC))
        assert len(feeds) == args.feeds, f"{len(feeds)} due of {args.feeds}"
        cpu0 = tree_cpu_seconds() - tree_cpu_seconds(server.pid)
        t0 = time.perf_counter()
        report = app.poll(feeds)
        wall = time.perf_counter() - t0
        cpu = tree_cpu_seconds() - tree_cpu_seconds(server.pid) - cpu0
        statuses: dict[str, int] = defaultdict(int)
        for p in report.polls:
            statuses[p.status] += 1
        import httpx

        stats = httpx.get(f"http://127.0.0.1:{port}/__stats", timeout=10).json()
        print(f"poll results: {dict(statuses)}; {report.total('new')} new items, {report.total('fallbacks')} "
              f"feed-summary fallbacks, {report.total('duplicates')} near-copies, {report.total('matches')} matches, "
              f"{report.total('alerts')} alerts queued; server answered {stats['counts']}")
        print(f"politeness seen by the server: shortest gap between two requests to one host "
              f"{stats['min_gap']:.3f} s, most requests in flight on one host {stats['max_in_flight']}")
        floor = stats["busiest"] * config.http.per_host_min_interval
        print(f"politeness floor: the busiest host had {stats['busiest']} requests, so the cycle cannot be shorter "
              f"than {floor:.0f} s; the cycle took {wall / floor:.2f}x that")
        target = (verdict(wall <= CYCLE_TARGET_S) if args.feeds >= 10_000
                  else "not judged: the target is for 10,000 feeds")
        print(f"RESULT cycle of {args.feeds} feeds: {wall:.1f} s = {wall / 60:.2f} min "
              f"({args.feeds / wall:.1f} feeds/s; target <= 10 min for 10,000: {target})")
        print(f"RESULT CPU: {cpu:.1f} s over {wall:.1f} s = {cpu / wall:.2f} cores on average "
              f"(target < {CPU_TARGET}: {verdict(cpu / wall < CPU_TARGET)})")
    finally:
        if app is not None:
            app.close()
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
