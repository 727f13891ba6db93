"""Stories in the store: every recorded article joins one in the same transaction, on SQLite and on
PostgreSQL with the same decisions as the in-memory replay the quality gate scores."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.main import main
from monitor.decide.evaluation import replay_stories
from monitor.decide.stories import index_terms
from monitor.models import Decision, ExtractedText, NearCopy, TopicResult
from monitor.store import stories
from monitor.store.articles import NewArticle
from monitor.store.database import Store
from monitor.store.opening import open_store

ROOT = Path(__file__).resolve().parents[1]
STORIES = ROOT / "tests" / "fixtures" / "stories" / "ant_2018-05-07_20.jsonl"


def _records(n: int | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in STORIES.open(encoding="utf-8")]
    rows.sort(key=lambda r: (r["published"], r["id"]))
    return rows[:n] if n else rows


def _article(r: dict[str, Any]) -> NewArticle:
    published = datetime.fromisoformat(r["published"].replace("Z", "+00:00"))
    return NewArticle(
        article_id=r["id"], canonical_url=r["url"] + "#" + r["id"], url=r["url"], feed_url=None, guid=r["id"],
        source=r["source"], extracted=ExtractedText(r["title"], r["text"], "ar", "page"), summary="",
        published=published, seen_at=published + timedelta(minutes=5),
    )


def _record_all(store: Store, rows: list[dict[str, Any]]) -> None:
    for r in rows:
        article = _article(r)
        with store.atomic():
            decision = Decision(r["id"], store.corpus_index.check(r["text"]), ())
            store.record_article(article, decision)
        store.corpus_index.add(r["id"], r["text"])


@pytest.fixture(params=[0, 5], ids=["fold-default", "fold-every-5"])
def fold_every(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The term counts folded at the default pace (never, in these 223 articles) or every 5 articles, with
    the in-memory index swept every 9 joins: the decisions must not depend on either."""
    if request.param:
        monkeypatch.setattr(stories, "FOLD_EVERY", request.param)
        monkeypatch.setattr(stories, "EVICT_EVERY", 9)
    return int(request.param) or stories.FOLD_EVERY


def _partition(assignment: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for item, story in assignment.items():
        groups.setdefault(story, set()).add(item)
    return {frozenset(g) for g in groups.values()}


def test_the_store_takes_the_replays_decisions(tmp_path: Path, backend_url: str | None, fold_every: int) -> None:
    rows = _records()
    store = open_store(tmp_path / "m.db", backend_url)
    try:
        _record_all(store, rows)
        stored = {r["id"]: store.story(r["id"]) for r in rows}
        assert all(s is not None for s in stored.values())
        by_store = {i: s["id"] for i, s in stored.items() if s is not None}
        assert _partition(by_store) == _partition(replay_stories(rows))
        listed = store.stories(limit=500)
        assert sum(s["size"] for s in listed) == len(rows)  # merged stories are not listed twice
        biggest = max(listed, key=lambda s: s["size"])
        detail = store.story(biggest["id"])
        assert detail is not None and len(detail["members"]) == biggest["size"] >= 5
        assert detail["first_article_id"] == detail["members"][0]["article_id"] or detail["size"] > 1
        assert set(detail["sources"]) == {m["source"] for m in detail["members"]}
    finally:
        store.close()


def test_two_processes_and_a_rolled_back_article_take_the_replays_decisions(
    tmp_path: Path, backend_url: str | None, fold_every: int
) -> None:
    """Each store caches open stories' rows; a row another store changed, or a write rolled back, must not be
    used from the cache: two stores on one database, alternating, with every fifth article first recorded in
    a transaction that is rolled back, still take the in-memory replay's decisions."""
    rows = _records()
    stores = [open_store(tmp_path / "m.db", backend_url), open_store(tmp_path / "m.db", backend_url)]
    copies = stores[0].corpus_index
    try:
        for i, r in enumerate(rows):
            store = stores[i % 2]
            decision = Decision(r["id"], copies.check(r["text"]), ())
            if i % 5 == 0:
                with pytest.raises(RuntimeError), store.atomic():
                    store.record_article(_article(r), decision)
                    raise RuntimeError("rolled back")
            with store.atomic():
                store.record_article(_article(r), decision)
            copies.add(r["id"], r["text"])
        stored = {r["id"]: stores[1].story(r["id"]) for r in rows}
        by_store = {i: s["id"] for i, s in stored.items() if s is not None}
        assert len(by_store) == len(rows)
        assert _partition(by_store) == _partition(replay_stories(rows))
    finally:
        for store in stores:
            store.close()


def test_a_near_copy_joins_its_originals_story_and_topics_are_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.db")
    try:
        first = _records(1)[0]
        original = _article(first)
        store.record_article(original, Decision(first["id"], NearCopy(None, 0.0), (TopicResult("t1", True, 1, 1),)))
        copy = dataclasses.replace(original, article_id="copy", canonical_url="https://x/copy", source="Other",
                                   extracted=ExtractedText("عنوان آخر تماما", first["text"], "ar", "page"))
        store.record_article(copy, Decision("copy", NearCopy(first["id"], 1.0, "", "exact"),
                                            (TopicResult("t2", True, 1, 1),)))
        story = store.story("copy")
        assert story is not None and story["id"] == first["id"] and story["size"] == 2
        assert story["topics"] == ["t1", "t2"] and story["sources"] == sorted({first["source"], "Other"})
        assert story["members"][1]["reason"] == "near_copy"
    finally:
        store.close()


def test_a_story_closes_after_the_window(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.db")
    try:
        r = _records(1)[0]
        store.record_article(_article(r), Decision(r["id"], NearCopy(None, 0.0), ()))
        at = datetime.fromisoformat(r["published"].replace("Z", "+00:00"))
        assert store.place_in_story(r["title"], r["text"], at + timedelta(hours=1)).first_article_id == r["id"]
        assert store.place_in_story(r["title"], r["text"], at + timedelta(hours=80)).choice.story_id is None
    finally:
        store.close()


def test_check_json_names_the_story_it_would_join(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    everything = _records()
    rows = [r for r in everything if r["story"] == "hezbollah_sanctions"]
    (seeds / "first.txt").write_text(rows[1]["title"] + "\n" + rows[1]["text"], encoding="utf-8")
    for r in everything[:40]:  # other stories: the word frequencies a deployment's stored articles give
        (seeds / f"{r['id']}.txt").write_text(r["title"] + "\n" + r["text"], encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(rows[2]["title"] + "\n" + rows[2]["text"], encoding="utf-8")
    unrelated = tmp_path / "unrelated.txt"
    unrelated.write_text("زلزال في اليابان\nضرب زلزال بقوة 6 درجات جزيرة هوكايدو اليابانية صباح الأحد.",
                         encoding="utf-8")
    config = tmp_path / "monitor.toml"
    config.write_text(f'[storage]\ndatabase = "{tmp_path / "none.db"}"\n', encoding="utf-8")
    assert main(["check", str(other), str(unrelated), "--seeds", str(seeds), "--json", "--config", str(config)]) == 0
    joined, alone = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert joined["story"] == "first" and joined["story_similarity"] >= 0.3
    assert alone["story"] is None and alone["story_similarity"] < 0.3


def test_stories_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "m.db"
    store = Store(db)
    try:
        _record_all(store, [r for r in _records() if r["story"] in ("hezbollah_sanctions", "bernard_lewis")])
    finally:
        store.close()
    config = tmp_path / "monitor.toml"
    config.write_text(f'[storage]\ndatabase = "{db}"\n', encoding="utf-8")
    assert main(["stories", "list", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "ant2-SK-middleEast-1823-20180520" in out  # Bernard Lewis's death, its first report
    assert main(["stories", "show", "ant2-BB-middleEast-519-20180520", "--json", "--config", str(config)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == "ant2-SK-middleEast-1823-20180520" and shown["size"] >= 2
    assert "ant2-BB-middleEast-519-20180520" in {m["article_id"] for m in shown["members"]}
    assert main(["stories", "show", "nope", "--config", str(config)]) == 1


def test_packed_vectors_are_exact_and_rows_written_as_json_still_read() -> None:
    vector = {"عراق": 0.123456, "ناتو_ستولتنبرغ": 1 / 3, "2018": 1e-7}
    assert stories.unpack_vector(stories.pack_vector(vector)) == vector
    assert list(stories.unpack_vector(stories.pack_vector(vector))) == list(vector)  # order kept too
    assert stories.unpack_vector(stories.pack_vector({})) == {}
    assert stories.unpack_vectors(stories.pack_vectors([vector, {}, vector])) == (vector, {}, vector)
    assert stories.unpack_vectors("") == ()
    assert stories.unpack_vector(json.dumps(vector)) == vector
    assert stories.unpack_vectors(json.dumps([vector])) == (vector,)


def test_runs_of_two_stores_rollbacks_and_json_rows_take_the_replays_decisions(
    tmp_path: Path, fold_every: int
) -> None:
    """A store trusts its document frequencies while the stamp is its own: runs of articles through one store,
    then the other (each run starting after the other's writes), articles first recorded in a transaction that
    is rolled back, and half way the vectors rewritten as JSON with no version (rows from before they were
    packed) still give the in-memory replay's decisions."""
    rows = _records()
    stores = [Store(tmp_path / "m.db"), Store(tmp_path / "m.db")]
    copies = stores[0].corpus_index
    try:
        for i, r in enumerate(rows):
            store = stores[(i // 4) % 2]
            decision = Decision(r["id"], copies.check(r["text"]), ())
            if i % 7 == 3:
                with pytest.raises(RuntimeError), store.atomic():
                    store.record_article(_article(r), decision)
                    raise RuntimeError("rolled back")
            with store.atomic():
                store.record_article(_article(r), decision)
            copies.add(r["id"], r["text"])
            if i == len(rows) // 2:
                with stores[0].transaction() as db:
                    for sid, centroid, recent in db.execute("SELECT id, centroid, recent FROM stories").fetchall():
                        db.execute("UPDATE stories SET centroid = ?, recent = ?, version = NULL WHERE id = ?",
                                   [json.dumps(stories.unpack_vector(centroid)),
                                    json.dumps(stories.unpack_vectors(recent)), sid])
        stored = {r["id"]: stores[1].story(r["id"]) for r in rows}
        by_store = {i: s["id"] for i, s in stored.items() if s is not None}
        assert len(by_store) == len(rows)
        assert _partition(by_store) == _partition(replay_stories(rows))
        # the last writer's in-memory term index is what a fresh load of the window reads from the database
        kept = stores[((len(rows) - 1) // 4) % 2].story_cache.index
        assert kept.loaded_from is not None and len(kept) > 0
        fresh = stories.StoryCache()
        with stores[0].transaction() as db:
            stories._ensure_window(db.conn, fresh, kept.loaded_from)
            for sid, centroid in db.execute("SELECT id, centroid FROM stories WHERE merged_into IS NULL").fetchall():
                if sid in fresh.index.stories:
                    assert fresh.index.stories[sid].terms == tuple(index_terms(stories.unpack_vector(centroid)))
        assert kept.stories == fresh.index.stories
        postings = [{t: set(ids) for t, ids in index.by_term.items()} for index in (kept, fresh.index)]
        assert postings[0] == postings[1]
    finally:
        for store in stores:
            store.close()


def test_concurrent_writers_on_postgresql_keep_every_count_and_the_index(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stores writing at once from two threads (their joins wait for each other on story_docs, in whatever
    order the server grants it), the counts folded every 5 articles: every article is counted once (story_df
    plus the log holds each term's true document frequency), and each store's in-memory index, once it has
    caught up, is the database's."""
    import threading
    from collections import Counter

    from monitor.decide.stories import terms_of_text
    from monitor.store.postgres.store import PostgresStore

    monkeypatch.setattr(stories, "FOLD_EVERY", 5)
    rows = _records()
    stores = [open_store(tmp_path / "m.db", pg_url), open_store(tmp_path / "m.db", pg_url)]
    assert all(isinstance(s, PostgresStore) for s in stores)
    failures: list[BaseException] = []

    def write(store: Store, part: list[dict[str, Any]]) -> None:
        try:
            for r in part:
                store.record_article(_article(r), Decision(r["id"], store.corpus_index.check(r["text"]), ()))
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(s, rows[i::2])) for i, s in enumerate(stores)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        truth: Counter[str] = Counter()
        for r in rows:
            truth.update(set(terms_of_text(r["title"], r["text"]).counts))
        last = rows[-1]
        for i, store in enumerate(stores):  # one more article each: each catches up with the other's writes
            extra = dict(last, id=f"{last['id']}-again-{i}", url=last["url"] + f"?again={i}")
            store.record_article(_article(extra), Decision(extra["id"], store.corpus_index.check(extra["text"]), ()))
            truth.update(set(terms_of_text(extra["title"], extra["text"]).counts))
        pg = stores[1]
        assert isinstance(pg, PostgresStore)
        with pg._connection() as conn:
            db = pg._execute(conn)
            n, flushed = db.execute("SELECT n, flushed FROM story_docs WHERE id = 1", []).fetchone()
            assert int(n) == len(rows) + 2 and int(n) - int(flushed) <= 5
            fresh = stories.StoryCache()
            fresh.reset(int(n), int(flushed), stories._read_log(db, int(flushed)))
            assert stories._counts(db, list(truth), fresh) == dict(truth)
            kept = pg.story_cache.index
            assert kept.loaded_from is not None
            stories._ensure_window(db, fresh, kept.loaded_from)
        assert kept.stories == fresh.index.stories
    finally:
        for store in stores:
            store.close()
