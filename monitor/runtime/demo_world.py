"""A small local news world for `monitor demo`: the bundled real Arabic articles served as one RSS feed
per outlet and one article page per record, over HTTP on 127.0.0.1 (monitor/data/DEMO_PROVENANCE.md)."""

from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class DemoArticle:
    id: str
    outlet: str
    title: str
    text: str


def bundled_articles() -> list[DemoArticle]:
    raw = resources.files("monitor").joinpath("data/demo_articles.json").read_text(encoding="utf-8")
    return [DemoArticle(r["id"], r["source"], r["title"], r["text"]) for r in json.loads(raw)]


def bundled_topics_toml() -> str:
    return resources.files("monitor").joinpath("data/demo_topics.toml").read_text(encoding="utf-8")


def outlet_slug(outlet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", outlet.lower()).strip("-") or "outlet"


def article_page(article: DemoArticle) -> bytes:
    """The text in <article> with some site chrome around it, as outlets serve pages."""
    paragraphs = "\n".join(f"<p>{html.escape(p.strip())}</p>" for p in article.text.split("\n") if p.strip())
    title, outlet = html.escape(article.title), html.escape(article.outlet)
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title} | {outlet}</title></head>
<body><header><nav><a href="/">الرئيسية</a> <a href="/politics">سياسة</a> <a href="/culture">ثقافة</a></nav></header>
<main><article><h1>{title}</h1><div class="byline">{outlet}</div>
<div class="article-body">{paragraphs}</div></article></main>
<footer><p>{outlet}</p></footer></body></html>""".encode()


def rss_feed(outlet: str, base: str, items: list[tuple[DemoArticle, datetime]]) -> bytes:
    entries = "\n".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base}/articles/{a.id}.html</link>"
        f'<guid isPermaLink="true">{base}/articles/{a.id}.html</guid>'
        f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
        f"<description>{html.escape(a.text[:200])}</description></item>"
        for a, published in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{html.escape(outlet)}</title>'
        f"<link>{base}/</link><description>demo</description><language>ar</language>\n{entries}\n</channel></rss>"
    ).encode()


class DemoWorld:
    """The site in a background thread; start() binds (port 0: any free port), stop() shuts it down."""

    def __init__(self, articles: list[DemoArticle] | None = None, port: int = 0) -> None:
        self.articles = articles if articles is not None else bundled_articles()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._routes: dict[str, tuple[str, bytes]] = {}
        self.feeds: list[tuple[str, str]] = []  # (outlet, feed URL)

    def start(self) -> None:
        world = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                content_type, body = world._routes.get(self.path, ("text/plain; charset=utf-8", b"not found\n"))
                self.send_response(200 if self.path in world._routes else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the daemon's own log says what it fetched

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._build(base, datetime.now(UTC))
        threading.Thread(target=self._server.serve_forever, name="demo-world", daemon=True).start()

    def _build(self, base: str, now: datetime) -> None:
        by_outlet: dict[str, list[tuple[DemoArticle, datetime]]] = {}
        for age, article in enumerate(self.articles):
            # published over the last minutes, so they read as today's news
            by_outlet.setdefault(article.outlet, []).append((article, now - timedelta(minutes=5 * age + 1)))
            self._routes[f"/articles/{article.id}.html"] = ("text/html; charset=utf-8", article_page(article))
        for outlet, items in by_outlet.items():
            path = f"/feeds/{outlet_slug(outlet)}.xml"
            self._routes[path] = ("application/rss+xml; charset=utf-8", rss_feed(outlet, base, items))
            self.feeds.append((outlet, base + path))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
