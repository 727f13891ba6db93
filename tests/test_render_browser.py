"""The alert e-mail, the digest and an alert-feed entry as a real browser lays them out (headless Chromium).

Checks through the DOM what the eye would: every block is right to left, and each evidence sentence is
on the page exactly once. Screenshots go to a temporary folder; with MONITOR_UPDATE_IMAGES=1 they
replace docs/images/*.png (referenced from docs/alerts.md).
"""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from monitor.deliver import alert_feeds
from monitor.deliver.render import AlertItem, alert_view, digest_email_content, email_content
from monitor.deliver.render.labels import more_passages
from monitor.deliver.render.passages import build_passages
from monitor.store import outbox
from tests.helpers_delivery import ARTICLE_ROW, make_db, store
from tests.sample_alerts import ROOT, digest_sample, email_sample

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]  # fmt: skip
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright (the test extra) is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

BLOCKS = "html, body, h1, h2, h3, p, ul, li, blockquote, div"
DIRECTIONS = f"Array.from(document.querySelectorAll('{BLOCKS}')).map(e => [e.tagName, getComputedStyle(e).direction])"


def _images_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" / "images" if os.environ.get("MONITOR_UPDATE_IMAGES") == "1" else tmp_path


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def _render(browser, doc: str, png: Path) -> tuple[list[list[str]], str]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 820, "height": 600})
    try:
        page.set_content(doc, wait_until="load")
        page.screenshot(path=str(png), full_page=True)
        return page.evaluate(DIRECTIONS), page.evaluate("document.body.innerText")
    finally:
        page.close()


def _each_once(item: AlertItem, shown: str) -> None:
    """Every evidence sentence at most once; those shown (listed, or marked in the headline or lead) exactly once."""
    view = alert_view(item)
    for p in build_passages(item.alert.evidence, item.alert.title):
        assert shown.count(p.sentence.rstrip("…").strip()) <= 1, p.sentence
    for p in (*view.passages.shown, view.headline, view.lead):
        if p is not None:
            assert shown.count(p.sentence.rstrip("…").strip()) == 1, p.sentence


def test_alert_email_reads_right_to_left_each_passage_once(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    item = email_sample()
    view = alert_view(item)
    png = _images_dir(tmp_path) / "alert-email.png"
    directions, shown = _render(browser, email_content(item, "[monitor]").html, png)
    assert directions and [d for d in directions if d[1] != "rtl"] == []
    _each_once(item, shown)
    assert view.headline is not None and view.headline.highlights  # the headline's hits are marked
    assert png.stat().st_size > 10_000
    assert "utm_" not in shown and "fbclid" not in shown
    assert "بتوقيت بغداد" in shown and "UTC" in shown


def test_digest_groups_by_topic_each_passage_once(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    items = digest_sample()
    content = digest_email_content(items, "[monitor]", items[0].alert.created_at, items[-1].alert.created_at)
    png = _images_dir(tmp_path) / "alert-digest.png"
    directions, shown = _render(browser, content.html, png)
    # an article alerting on two topics is shown in each topic's section; within an alert, each sentence once
    page = browser.new_page()
    try:
        page.set_content(content.html)
        blocks = page.evaluate("Array.from(document.querySelectorAll('div.alert')).map(e => e.innerText)")
    finally:
        page.close()
    assert len(blocks) == len(items)
    by_topic = [i for topic in dict.fromkeys(i.alert.topic for i in items) for i in items if i.alert.topic == topic]
    for item, block in zip(by_topic, blocks, strict=True):
        assert item.alert.alert_id in block
        _each_once(item, block)
    assert shown.index("nato_iraq: 3") < shown.index("nato_russia: تنبيهان")  # the count per topic, at the top
    assert [d for d in directions if d[1] != "rtl"] == []
    # the long article: 5 passages shown, the rest counted in words
    counted = [more_passages(n, "ar") for n in (alert_view(i).passages.more for i in items) if n > 0]
    assert counted and all(label in shown or label.replace("و", "و ", 1) in shown for label in counted)


def test_alert_feed_entry_is_html_and_reads_right_to_left(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db_path = tmp_path / "feed.db"
    db = make_db(db_path)
    item = email_sample()
    store(db, item.alert, ["console"])
    db.conn.execute(ARTICLE_ROW, ("a_copy",))
    outbox.record_also_published(db, item.alert.article_id, "a_copy", "سكاي نيوز عربية", item.also_published[0].url)
    db.conn.commit()
    db.conn.close()
    atom = alert_feeds.render(db_path, item.alert.topic, "atom")
    entry = ET.fromstring(atom).find("{http://www.w3.org/2005/Atom}entry")
    assert entry is not None
    content = entry.find("{http://www.w3.org/2005/Atom}content")
    assert content is not None and content.get("type") == "html"
    # a feed reader puts the entry's HTML into its own page; an LTR one at that
    doc = f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>{content.text}</body></html>'
    png = _images_dir(tmp_path) / "alert-feed-entry.png"
    directions, shown = _render(browser, doc, png)
    inner = [d for d in directions if d[0] not in ("HTML", "BODY")]
    assert inner and [d for d in inner if d[1] != "rtl"] == []
    _each_once(item, shown)
