"""The desk groups alerts by story: one inbox row per story and topic with its later reports, a page per
story, the article's story, and the same in the API; on both backends, with a real database filled through
the store (three outlets report one NATO decision, each in its own words)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import desk_data
import pytest
from test_desk import TestClient, csrf_of, login, make_client, query_one

from monitor.store import desk as store

API = {"Authorization": f"Bearer {desk_data.VIEWER_TOKEN}"}
StoryDb = tuple[store.Database, desk_data.Ids, desk_data.StoryIds]


@pytest.fixture()
def story_db(tmp_path: Path, backend_url: str | None) -> tuple[store.Database, desk_data.Ids, desk_data.StoryIds]:
    path = tmp_path / "monitor.db"
    ids = desk_data.build(path, backend_url)
    return backend_url or path, ids, desk_data.add_story_reports(path, backend_url)


def analyst(database: store.Database) -> TestClient:
    client = make_client(database)
    login(client)
    return client


def _rows(html: str) -> list[str]:
    return re.findall(r'<li class="alert[^"]*" data-alert="([^"]+)"', html)


def test_inbox_shows_one_row_per_story_with_its_later_reports(
        story_db: StoryDb) -> None:
    database, ids, _ = story_db
    client = analyst(database)
    grouped = client.get("/").text
    # the NATO story (3 alerts) is one row, led by its first alert; the hostile article is a story of its own
    assert _rows(grouped) == [ids.nato_alert, query_one(database, "SELECT id FROM alerts WHERE article_id = ?",
                                                        (ids.hostile,))[0]]
    assert "حلف شمال الأطلسي يوسع مهمته في العراق" in grouped
    assert f'href="/stories/{ids.nato}"' in grouped and "<bdi>3</bdi> مقالات" in grouped
    assert "<bdi>2</bdi> تنبيهات لاحقة في القصة نفسها" in grouped
    assert "الناتو يقرر توسيع بعثته التدريبية" in grouped  # the later reports are named under it
    assert "&lt;b&gt;بغداد&lt;/b&gt; ترحب" in grouped and "<b>بغداد</b>" not in grouped
    # every alert, as before, on request
    assert len(_rows(client.get("/?group=article").text)) == 4


def test_marking_a_story_read_marks_all_its_alerts(
        story_db: StoryDb) -> None:
    database, ids, later = story_db
    client = analyst(database)
    page = client.get("/?read=unread").text
    assert ids.nato_alert in _rows(page)
    form = re.search(r'data-alert="' + ids.nato_alert + r'".*?<form class="inline" method="post" action="/inbox/read">'
                     r'(.*?)</form>', page, re.S)
    assert form, "the story's row has a mark-read form"
    alert_ids = re.findall(r'name="alert" value="([^"]+)"', form.group(1))
    assert sorted(alert_ids) == sorted([ids.nato_alert, later.second_alert, later.third_alert])
    answer = client.post("/inbox/read", data={"csrf": csrf_of(page), "alert": alert_ids, "next": "/?read=unread"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert ids.nato_alert not in _rows(client.get("/?read=unread").text)
    assert ids.nato_alert in _rows(client.get("/?read=read").text)
    read = query_one(database, 'SELECT count(*) FROM desk_reads WHERE "user" = ?', ("huda",))[0]
    assert read == 3


def test_a_new_report_makes_a_read_story_unread_again(
        story_db: StoryDb) -> None:
    database, ids, later = story_db
    conn = store.connect(database)
    try:
        with store.write(conn):
            store.mark_read(conn, "huda", [ids.nato_alert, later.second_alert], desk_data.NOW)
        rows = store.inbox(conn, store.InboxQuery(user="huda", by_story=True, read=False))
    finally:
        conn.close()
    nato = next(r for r in rows if r.alert_id == ids.nato_alert)
    assert (nato.group_size, nato.group_unread, nato.read) == (3, 1, False)
    assert nato.group_latest[0][0] == later.third and nato.story_sources == 3


def test_the_story_page_lists_its_outlets_and_reports(
        story_db: StoryDb) -> None:
    database, ids, later = story_db
    client = analyst(database)
    listing = client.get("/stories").text
    assert f'data-story="{ids.nato}"' in listing and "<bdi>3</bdi> مقالات" in listing
    for key in (ids.nato, later.third):  # by the story's id, or by any member's article id
        page = client.get(f"/stories/{key}").text
        assert page.index(f'data-article="{ids.nato}"') < page.index(f'data-article="{later.second}"') \
            < page.index(f'data-article="{later.third}"')
        assert "العربية" in page and "سكاي نيوز عربية" in page and "بداية القصة" in page
        assert "<b>بغداد</b>" not in page
    assert client.get("/stories/no-such-story").status_code == 404
    article = client.get(f"/articles/{later.second}").text
    assert f'href="/stories/{ids.nato}"' in article
    assert 'href="/stories/' not in client.get(f"/articles/{ids.other}").text  # a story of one: no link


def test_the_api_gives_stories_and_grouped_alerts(
        story_db: StoryDb) -> None:
    database, ids, later = story_db
    client = make_client(database)
    alerts = client.get("/api/v1/alerts", headers=API).json()["items"]
    assert len(alerts) == 4
    by_id = {a["id"]: a for a in alerts}
    assert by_id[later.third_alert]["story_id"] == ids.nato and by_id[later.third_alert]["story_size"] == 3
    grouped = client.get("/api/v1/alerts", params={"group": "story"}, headers=API).json()["items"]
    assert grouped[0]["id"] == ids.nato_alert
    assert sorted(grouped[0]["story_alerts"]) == sorted([ids.nato_alert, later.second_alert, later.third_alert])
    assert grouped[0]["story_unread"] == 3 and grouped[0]["story_sources"] == 3
    stories = client.get("/api/v1/stories", params={"topic": "nato_iraq"}, headers=API).json()
    assert stories["items"][0]["id"] == ids.nato and stories["items"][0]["size"] == 3
    story = client.get(f"/api/v1/stories/{later.second}", headers=API).json()
    assert [m["article_id"] for m in story["members"]] == [ids.nato, later.second, later.third]
    assert all(m["alert_topics"] == ["nato_iraq"] for m in story["members"])
    assert client.get("/api/v1/stories/nothing", headers=API).status_code == 404
    assert client.get("/api/v1/alerts", params={"group": "cluster"}, headers=API).status_code == 400


def test_groups_are_per_story_and_topic_and_page_in_order(tmp_path: Path, backend_url: str | None) -> None:
    """A story that matched two topics gives a row per topic; pages of one row walk the groups newest first,
    and the "read" filter keeps only groups with nothing left unread."""
    from monitor.decide.near_copies import MemoryCorpusIndex
    from monitor.settings.topics import parse_topics
    from monitor.store.opening import open_store

    iraq = parse_topics({"iraq": {"require": ["iraq"], "threshold": 1.0,
                                  "groups": {"iraq": {"terms": ["العراق", "بغداد"]}}}})
    path = tmp_path / "monitor.db"
    ids = desk_data.build(path, backend_url)
    later = desk_data.add_story_reports(path, backend_url)
    store_ = open_store(path, backend_url)
    try:
        extra, extra_alerts = desk_data._article(
            store_, MemoryCorpusIndex(), (*desk_data.topics(), *iraq), "https://fourth.example/3",
            "الناتو يوسع بعثته في العراق ومئات المدربين إلى بغداد",
            "قال الأمين العام لحلف شمال الأطلسي إن توسيع بعثة الحلف في العراق يضيف مئات المدربين للقوات العراقية"
            " في بغداد.", seen=desk_data.NOW + timedelta(hours=1), source="فرانس 24")
    finally:
        store_.close()
    assert len(extra_alerts) == 2  # both topics
    database = backend_url or path
    conn = store.connect(database)
    try:
        rows = store.inbox(conn, store.InboxQuery(user="huda", by_story=True))
        # the fourth report's two alerts share a time: their groups come first, in either order
        assert sorted((r.story_id, r.topic, r.group_size) for r in rows[:2]) == [
            (ids.nato, "iraq", 1), (ids.nato, "nato_iraq", 4)]
        assert [(r.story_id, r.group_size) for r in rows[2:]] == [(ids.hostile, 1)]
        assert extra in {a for r in rows for a, _, _ in r.group_latest}
        walked = [store.inbox(conn, store.InboxQuery(user="huda", by_story=True, limit=1, offset=n))
                  for n in range(4)]
        assert [w[0].alert_id for w in walked[:3]] == [r.alert_id for r in rows] and walked[3] == []
        with store.write(conn):
            store.mark_read(conn, "huda", [ids.nato_alert, later.second_alert, later.third_alert], desk_data.NOW)
        read = store.inbox(conn, store.InboxQuery(user="huda", by_story=True, read=True))
        assert read == []  # the NATO story's fourth report is still unread
        unread = store.inbox(conn, store.InboxQuery(user="huda", by_story=True, read=False))
        assert sorted((r.topic, r.group_unread, r.group_size) for r in unread if r.story_id == ids.nato) == [
            ("iraq", 1, 1), ("nato_iraq", 1, 4)]
    finally:
        conn.close()
