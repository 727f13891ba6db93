"""The desk in a real browser (Debian's chromium through Playwright): log in, read the inbox, open an article,
judge it, search in Arabic, retry a delivery. Screenshots are kept as artifacts (in $DESK_ARTIFACTS, else the
test's tmp dir) and the layout is checked to run right to left."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import desk_data
import pytest

from monitor.desk.context import DeskContext
from monitor.desk.server import DeskServer
from monitor.settings.desk import parse_desk_settings
from monitor.store import desk as store

CHROMIUM = os.environ.get("DESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
    pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


@pytest.fixture()
def desk(tmp_path: Path) -> Iterator[tuple[str, Path, desk_data.Ids]]:
    path = tmp_path / "monitor.db"
    ids = desk_data.build(path)
    settings = parse_desk_settings(desk_data.desk_table())
    server = DeskServer(DeskContext(settings, path, desk_data.topics(), clock=lambda: desk_data.NOW))
    server.start()
    try:
        yield server.url, path, ids
    finally:
        server.stop()


@pytest.fixture()
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DESK_ARTIFACTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def page(artifacts: Path) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="ar")
        tab = context.new_page()
        problems: list[str] = []
        # a CSP violation or a failed request shows as a console error: the page must have none
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.problems = problems
        try:
            yield tab
        finally:
            browser.close()


def box(tab: Any, selector: str) -> dict[str, float]:
    found = tab.locator(selector).first.bounding_box()
    assert found, f"{selector} is not shown"
    return dict(found)


def assert_right_to_left(tab: Any) -> None:
    assert tab.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"
    assert tab.evaluate("document.documentElement.lang") == "ar"
    # the brand opens the header, so in a right-to-left page it sits right of the navigation
    assert box(tab, ".brand")["x"] > box(tab, "nav.main")["x"]


def test_an_analysts_session(page: Any, desk: tuple[str, Path, desk_data.Ids], artifacts: Path) -> None:
    url, path, ids = desk
    page.goto(url + "/")
    assert page.url.startswith(url + "/login")
    page.fill("input[name=user]", "huda")
    page.fill("input[name=password]", desk_data.PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(url + "/")

    # the inbox: both alerts, evidence marked, right to left, the hostile title shown as text
    assert page.locator("li.alert").count() == 2
    assert page.locator("li.alert mark").count() >= 4
    assert page.locator("li.alert h2 a", has_text="<script>").count() == 1
    assert page.evaluate("window.__xss === undefined && !document.querySelector('main script, main img')")
    assert_right_to_left(page)
    headline, row = box(page, "li.alert h2 a"), box(page, "li.alert")
    assert (row["x"] + row["width"]) - (headline["x"] + headline["width"]) < 40  # starts at the right edge
    page.screenshot(path=str(artifacts / "inbox.png"), full_page=True)

    # open the NATO article, judge its alert relevant
    page.click(f"a[href='/articles/{ids.nato}'] >> nth=0")
    page.wait_for_url(f"{url}/articles/{ids.nato}")
    assert page.locator(".body mark").count() >= 2
    assert_right_to_left(page)
    page.screenshot(path=str(artifacts / "article.png"), full_page=True)
    page.click("section.feedback [data-testid=relevant]")
    page.wait_for_load_state()
    assert page.locator("section.feedback .judged").inner_text().strip() == "حُكم عليه: ذو صلة"

    # search in Arabic: the index holds normalised terms, the query is normalised the same way
    page.click("nav.main a[href='/search']")
    page.fill("input[name=q]", "الأطلسي")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator("li.result").count() == 1
    assert page.locator("li.result mark").first.inner_text() == "الأطلسي"
    page.screenshot(path=str(artifacts / "search.png"), full_page=True)

    # retry the dead-lettered delivery
    page.click("nav.main a[href='/deliveries']")
    assert page.locator(f"tr[data-delivery='{ids.failed_delivery}'] td", has_text="فشل نهائياً").count() == 1
    page.click(f"tr[data-delivery='{ids.failed_delivery}'] [data-testid=retry]")
    page.wait_for_url("**/deliveries?notice=*")
    assert "أعيدت جدولة" in page.locator("p.notice").inner_text()
    page.screenshot(path=str(artifacts / "deliveries.png"), full_page=True)

    assert page.problems == []
    conn = store.connect(path)
    try:
        assert conn.execute("SELECT state FROM deliveries WHERE id = ?", (ids.failed_delivery,)).fetchone() == (
            "pending",)
        assert [(f.topic, f.relevant, f.user) for f in store.feedback_for(conn, ids.nato)] == [
            ("nato_iraq", True, "huda")]
    finally:
        conn.close()
    for name in ("inbox", "article", "search", "deliveries"):
        assert (artifacts / f"{name}.png").stat().st_size > 10_000


def test_the_english_option_runs_left_to_right(page: Any, desk: tuple[str, Path, desk_data.Ids]) -> None:
    url, _, _ = desk
    page.goto(url + "/login")
    page.click("header form[action='/language'] button")
    page.wait_for_load_state()
    assert page.evaluate("getComputedStyle(document.documentElement).direction") == "ltr"
    assert page.locator("h1").inner_text() == "Log in"


def test_a_story_of_three_outlets_reads_as_one_row(page: Any, tmp_path: Path, artifacts: Path) -> None:
    path = tmp_path / "monitor.db"
    ids = desk_data.build(path)
    later = desk_data.add_story_reports(path)
    settings = parse_desk_settings(desk_data.desk_table())
    server = DeskServer(DeskContext(settings, path, desk_data.topics(), clock=lambda: desk_data.NOW))
    server.start()
    try:
        page.goto(server.url + "/login")
        page.fill("input[name=user]", "huda")
        page.fill("input[name=password]", desk_data.PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url(server.url + "/")
        # four alerts, two stories: the NATO story's row names its two later reports
        assert page.locator("li.alert").count() == 2
        row = page.locator(f"li.alert[data-alert='{ids.nato_alert}']")
        assert row.locator(".later li").count() == 2
        assert row.locator(".later li a", has_text="<b>بغداد</b>").count() == 1  # shown as text
        assert_right_to_left(page)
        page.screenshot(path=str(artifacts / "inbox-stories.png"), full_page=True)
        row.locator("a.story").click()
        page.wait_for_url(f"{server.url}/stories/{ids.nato}")
        assert page.locator("table.members tbody tr").count() == 3
        assert_right_to_left(page)
        # the similarity, a Latin-digit value, is isolated so it cannot reorder the Arabic around it
        assert page.locator("table.members tbody tr >> nth=1").locator("bdi[dir=ltr]").count() >= 1
        page.screenshot(path=str(artifacts / "story.png"), full_page=True)
        page.click(f"table.members a[href='/articles/{later.third}']")
        page.wait_for_url(f"{server.url}/articles/{later.third}")
        assert page.locator(f"a.story[href='/stories/{ids.nato}']").count() == 1
        assert page.problems == []
    finally:
        server.stop()
