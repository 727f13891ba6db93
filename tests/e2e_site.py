"""A small news web built from real articles, for end-to-end tests: feeds and article pages.

Articles come from tests/fixtures/e2e/articles.json (real texts, see tests/fixtures/PROVENANCE.md) and
from the seed files; pages wrap them in realistic outlet boilerplate (menus, related links, footer).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).parent.parent / "seeds"


@dataclass(frozen=True)
class Story:
    key: str
    title: str
    text: str
    published: str  # RFC 822 for RSS


def fixture_articles() -> dict[str, dict[str, str]]:
    records = json.loads((FIXTURES / "e2e" / "articles.json").read_text(encoding="utf-8"))
    return {r["id"]: r for r in records}


def seed_story(name: str) -> Story:
    raw = (SEEDS / f"{name}.txt").read_text(encoding="utf-8").strip()
    title, _, body = raw.partition("\n")
    return Story(key=name, title=title.strip(), text=body.strip(), published="Mon, 23 Nov 2026 08:00:00 GMT")


def article_page(title: str, text: str, outlet: str, charset: str | None = "utf-8") -> str:
    """Article HTML the way outlets serve it: the text in <article>, lots of chrome around it."""
    paragraphs = "\n".join(f"<p>{html.escape(p.strip())}</p>" for p in text.split("\n") if p.strip())
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head>{meta}<title>{html.escape(title)} | {outlet}</title>
<script>var analytics = {{"site": "{outlet}"}};</script></head>
<body>
<header><nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/politics">سياسة</a></li>
<li><a href="/economy">اقتصاد</a></li><li><a href="/sport">رياضة</a></li>
<li><a href="/video">فيديو</a></li></ul></nav></header>
<main><article><h1>{html.escape(title)}</h1><div class="byline">{outlet} - وكالات</div>
<div class="article-body">{paragraphs}</div></article>
<aside><h3>الأكثر قراءة</h3><ul><li><a href="/a/1">أسعار الذهب اليوم في الأسواق المحلية</a></li>
<li><a href="/a/2">حالة الطقس: أمطار متفرقة على المناطق الشمالية</a></li>
<li><a href="/a/3">نتائج مباريات الدوري المحلي لكرة القدم</a></li></ul></aside></main>
<footer><p>جميع الحقوق محفوظة © {outlet} 2026</p>
<p><a href="/privacy">سياسة الخصوصية</a> | <a href="/contact">اتصل بنا</a></p></footer>
</body></html>"""


def rss_feed(title: str, base: str, items: list[tuple[Story, str, str]], encoding: str = "utf-8") -> bytes:
    """RSS 2.0; items are (story, link path, summary). Encoded and declared in `encoding`."""
    entries = "\n".join(
        f"<item><title>{html.escape(s.title)}</title><link>{base}{link}</link>"
        f'<guid isPermaLink="true">{base}{link}</guid><pubDate>{s.published}</pubDate>'
        f"<description>{html.escape(summary)}</description></item>"
        for s, link, summary in items
    )
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{html.escape(title)}'
        f"</title><link>{base}/</link><description>أخبار</description><language>ar</language>\n{entries}\n"
        "</channel></rss>"
    )
    return xml.encode(encoding)


def atom_feed(title: str, base: str, items: list[tuple[Story, str, str]]) -> bytes:
    entries = "\n".join(
        f'<entry><title>{html.escape(s.title)}</title><link rel="alternate" href="{base}{link}"/>'
        f"<id>tag:example.test,2026:{s.key}</id><updated>2026-11-23T09:00:00Z</updated>"
        f"<summary>{html.escape(summary)}</summary></entry>"
        for s, link, summary in items
    )
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">'
        f"<title>{html.escape(title)}</title><id>tag:example.test,2026:feed</id>"
        f"<updated>2026-11-23T09:00:00Z</updated>\n{entries}\n</feed>"
    )
    return xml.encode("utf-8")
