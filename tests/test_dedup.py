"""Near-copy detection: the pure core, the in-memory index and the SQLite-persisted index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

import monitor.decide.near_copies as dedup
from monitor.decide.near_copies import MemoryCorpusIndex, similarity
from monitor.store.connection import open_read_write
from monitor.store.corpus_index import SqliteCorpusIndex
from monitor.text.arabic import normalize

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "quality"
ROOT = Path(__file__).resolve().parents[1]


def _corpus() -> list[dict[str, str]]:
    rows = [json.loads(line) for line in (FIXTURES / "near_copies.jsonl").open(encoding="utf-8")]
    # Real ANT articles only (the file also holds the seeds and constructed hosts).
    return [r for r in rows if r["task"] == "corpus" and r["id"].startswith("ant2-")]


CORPUS = _corpus()
TEXTS = [r["text"] for r in CORPUS]
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
BOILERPLATE = [
    "اقرأ أيضا: أخبار ذات صلة",
    "جميع الحقوق محفوظة © 2025 — رئيس التحرير",
    "تابعونا على تيليغرام لآخر الأخبار العاجلة",
    "اشترك في النشرة البريدية ليصلك كل جديد",
]
article = st.sampled_from(TEXTS)


# ---------------------------------------------------------------------------------- properties


@settings(max_examples=30, deadline=None)
@given(article)
def test_similarity_of_a_text_with_itself_is_one(text: str) -> None:
    assert similarity(text, text) == 1.0


@settings(max_examples=30, deadline=None)
@given(article, article)
def test_similarity_is_symmetric(a: str, b: str) -> None:
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(TEXTS[:40]),
    st.lists(st.sampled_from(BOILERPLATE + [r["title"] for r in CORPUS[40:80]]), min_size=1, max_size=8),
    st.lists(st.sampled_from(BOILERPLATE + [r["title"] for r in CORPUS[80:120]]), min_size=0, max_size=8),
)
def test_boilerplate_around_a_text_keeps_it_a_near_copy(text: str, before: list[str], after: list[str]) -> None:
    index = MemoryCorpusIndex()
    index.add("original", text)
    wrapped = "\n".join([*before, text, *after])
    result = index.check(wrapped)
    assert result.duplicate_of == "original"
    assert result.kind in ("exact", "near")


@given(st.text(max_size=30))
def test_short_or_empty_text_never_crashes(text: str) -> None:
    index = MemoryCorpusIndex()
    index.add("x", "نص قصير")
    assert index.check(text).similarity <= 1.0


# ---------------------------------------------------------------------------------- decisions


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if len(p.split()) >= 12]


@pytest.fixture
def index() -> MemoryCorpusIndex:
    idx = MemoryCorpusIndex()
    for i, text in enumerate(SEEDS):
        idx.add(f"seed-{i}", text)
    for r in CORPUS[:60]:
        idx.add(r["id"], r["text"])
    return idx


def test_exact_copy_after_normalisation(index: MemoryCorpusIndex) -> None:
    variant = SEEDS[1].replace("أ", "ا").replace("1", "١") + "\n\n"
    result = index.check(variant)
    assert (result.duplicate_of, result.kind, result.similarity) == ("seed-1", "exact", 1.0)


def test_lead_paragraphs_are_a_copy_and_the_passage_is_quoted(index: MemoryCorpusIndex) -> None:
    lead = "\n".join(paragraphs(SEEDS[2])[:2])
    result = index.check(lead)
    assert result.duplicate_of == "seed-2"
    assert result.kind == "near"
    assert result.passage and result.passage.split()[0] in normalize(lead)
    assert len(index) == 65


def test_short_article_copying_two_paragraphs_of_a_long_one(index: MemoryCorpusIndex) -> None:
    paras = paragraphs(SEEDS[1])
    short = "في تطور جديد نقلت وسائل إعلام محلية ما يلي.\n" + "\n".join(paras[2:4])
    assert index.check(short).duplicate_of == "seed-1"


def test_reordered_and_wrapped(index: MemoryCorpusIndex) -> None:
    paras = paragraphs(SEEDS[3] if len(paragraphs(SEEDS[3])) > 2 else SEEDS[1])
    target = "seed-3" if len(paragraphs(SEEDS[3])) > 2 else "seed-1"
    assert index.check("\n".join(reversed(paras))).duplicate_of == target
    wrapped = "\n".join([CORPUS[100]["text"][:600], *paras, CORPUS[101]["text"][:600]])
    assert index.check(wrapped).duplicate_of == target


def test_unrelated_article_is_not_a_copy(index: MemoryCorpusIndex) -> None:
    result = index.check(CORPUS[150]["text"])
    assert result.duplicate_of is None
    assert result.kind == "none"
    assert result.similarity < dedup.NEAR_THRESHOLD


def test_posting_lists_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup, "POSTING_CAP", 2)
    idx = MemoryCorpusIndex()
    for i in range(5):
        idx.add(f"d{i}", f"{SEEDS[0]}\nنسخة رقم {i}")
    assert max(len(p) for p in idx._postings.values()) <= 2
    assert idx.check(SEEDS[0]).duplicate_of in {"d0", "d1"}


# ---------------------------------------------------------------------------------- SQLite


def open_db(path: Path) -> sqlite_utils.Database:
    return open_read_write(path)  # the store's connection: its migrations make the index tables


def test_sqlite_index_persists_and_agrees_with_memory(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    sql = SqliteCorpusIndex(db)
    memory = MemoryCorpusIndex()
    with db.atomic():
        for r in CORPUS[:80]:
            sql.add(r["id"], r["text"])
            memory.add(r["id"], r["text"])
    db.conn.close()

    reopened = SqliteCorpusIndex(open_db(tmp_path / "m.db"))  # a restart: nothing rebuilt
    assert len(reopened) == 80
    queries = [r["text"] for r in CORPUS[:80:7]] + [r["text"] for r in CORPUS[150:160]]
    queries += ["\n".join(paragraphs(r["text"])[:2]) for r in CORPUS[:40:5]]
    for q in queries:
        assert reopened.check(q) == memory.check(q)


def test_sqlite_add_joins_the_callers_transaction(tmp_path: Path) -> None:
    db = open_db(tmp_path / "t.db")
    idx = SqliteCorpusIndex(db)
    with pytest.raises(RuntimeError), db.atomic():
        idx.add("a", SEEDS[0])
        assert idx.check(SEEDS[0]).duplicate_of == "a"  # visible inside the transaction
        raise RuntimeError("caller fails after add")
    assert len(idx) == 0
    assert idx.check(SEEDS[0]).duplicate_of is None
    idx.add("a", SEEDS[0])
    idx.add("a", SEEDS[0])  # same id again: no change
    assert len(idx) == 1


def test_sqlite_lookup_uses_the_indexes(tmp_path: Path) -> None:
    db = open_db(tmp_path / "p.db")
    SqliteCorpusIndex(db)
    plans = [
        " ".join(str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
        for sql, params in [
            ("SELECT doc_id FROM corpus_docs WHERE text_hash = ?", ["x"]),
            ("SELECT seq, count(*) FROM corpus_fingerprints WHERE fp IN (?, ?) GROUP BY seq", [1, 2]),
        ]
    ]
    assert all("SEARCH" in p and "SCAN" not in p.replace("SCAN CONSTANT", "") for p in plans), plans


def test_probes_skip_stock_phrases_and_spread_over_long_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedup, "MAX_PROBES", 8)
    fp = dedup.fingerprint(SEEDS[1])
    ordered = sorted(fp.hashes, key=lambda h: fp.sample_positions[h])
    common = set(ordered[:5])
    probes = dedup.choose_probes(fp, common)
    assert len(probes) == 8
    assert not common & set(probes)
    positions = [fp.sample_positions[h] for h in probes]
    assert positions == sorted(positions) and positions[-1] > len(fp.words) // 2  # reaches the second half
    assert dedup.choose_probes(fp, set(fp.hashes))  # only stock phrases: still probes a few


def test_stock_phrases_are_not_probed_and_copies_are_still_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(dedup, "COMMON_DF", 20)
    stock = (
        "وفي سياق متصل قالت مصادر مطلعة إن الاجتماع سيعقد الأسبوع المقبل في العاصمة بحضور ممثلين عن "
        "الأطراف كافة، على أن تصدر الجهات المعنية بيانا رسميا في ختام المباحثات يوضح ما تم الاتفاق عليه"
    )
    db = open_db(tmp_path / "b.db")
    monkeypatch.setattr("monitor.store.corpus_index.COMMON_DF", 20)
    indexes = (MemoryCorpusIndex(), SqliteCorpusIndex(db))
    for idx in indexes:
        for i, r in enumerate(CORPUS[:60]):
            idx.add(r["id"], f"{stock}\n{r['text']}\n{stock} {i}")
    stock_hashes = dedup.fingerprint(stock).hashes
    assert stock_hashes and stock_hashes <= indexes[0]._common
    assert stock_hashes <= SqliteCorpusIndex(db)._common  # persisted: a restart knows them
    lead = "\n".join(paragraphs(CORPUS[30]["text"])[:2])
    for idx in indexes:
        assert idx.check(f"{stock}\n{lead}").duplicate_of == CORPUS[30]["id"]


def test_an_index_from_before_the_stock_phrase_table_fills_it_on_open(tmp_path: Path) -> None:
    from monitor.decide.near_copies import COMMON_DF
    from monitor.store.corpus_index import SqliteCorpusIndex

    db = open_db(tmp_path / "c.db")
    index = SqliteCorpusIndex(db)
    boilerplate = "تابعوا آخر الأخبار على موقعنا واشتركوا في النشرة البريدية اليومية لتصلكم الأخبار أولا بأول "
    for i in range(COMMON_DF + 5):
        index.add(f"d{i}", boilerplate * 3 + f" خبر رقم {i} عن موضوع مختلف تماما في مدينة بعيدة جدا {i * 7}")
    db.conn.commit()
    expected = {row[0] for row in db.execute("SELECT fp FROM corpus_common")}
    assert expected  # the boilerplate's hashes became stock phrases
    db.execute("DELETE FROM corpus_common")  # as a database built before the table was filled
    db.execute("PRAGMA user_version = 2")  # ... by a version whose schema stopped at migration 2
    db.conn.commit()
    db.conn.close()
    db = open_db(tmp_path / "c.db")
    assert SqliteCorpusIndex(db)._common == expected
    assert {row[0] for row in db.execute("SELECT fp FROM corpus_common")} == expected
