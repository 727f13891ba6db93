"""`monitor corpus import|export|list` on real SQLite files, through the real CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.models import ExtractedText
from monitor.parse.article_files import read_seeds
from monitor.runtime import corpus_import
from monitor.store import search
from monitor.store.corpus_index import SqliteCorpusIndex
from monitor.store.database import Store
from tests.config_files import write_config

ROOT = Path(__file__).parent.parent
SEED_TEXTS = [p.read_text(encoding="utf-8").strip() for p in sorted((ROOT / "seeds").glob("*.txt"))]


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A folder with two .txt articles and a .jsonl of two good lines and two bad ones."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text(SEED_TEXTS[0], encoding="utf-8")
    (folder / "sub" / "two.txt").write_text(SEED_TEXTS[1], encoding="utf-8")
    lines = [
        json.dumps({"id": "j1", "title": "عنوان ثالث", "text": SEED_TEXTS[2], "source": "archive",
                    "url": "https://news.test/j1?utm_source=x", "published": "2026-01-02T03:04:05Z"},
                   ensure_ascii=False),
        "{not json",
        json.dumps({"id": "j2", "text": "   "}),
        json.dumps({"text": SEED_TEXTS[3]}, ensure_ascii=False),
    ]
    (folder / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "ignored.pdf").write_bytes(b"%PDF")
    return folder


def test_import_a_folder_into_articles_near_copy_index_and_search(
        tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, fetch_pages=False)
    assert main(["corpus", "import", "--config", str(config), str(inputs)]) == 1
    captured = capsys.readouterr()
    assert "imported 4 articles" in captured.out and "2 unusable" in captured.out
    assert "batch.jsonl:2" in captured.err and "batch.jsonl:3" in captured.err

    store = Store(database)
    rows = {r["guid"]: r for r in store.db.query("SELECT * FROM articles")}
    assert set(rows) == {"one", "two", "j1", None}
    assert all(r["in_corpus"] == 1 and r["is_seed"] == 0 and r["feed_url"] is None for r in rows.values())
    assert rows["one"]["canonical_url"] == f"corpus:{rows['one']['id']}" and rows["one"]["source"] == "import"
    assert rows["j1"]["source"] == "archive" and rows["j1"]["url"] == "https://news.test/j1?utm_source=x"
    assert rows["j1"]["canonical_url"] == "https://news.test/j1" and rows["j1"]["published"].startswith("2026-01-02")
    # a republished copy of an imported text is now recognised as a near-copy of it
    copy = "خبر منقول عن الوكالات\n" + SEED_TEXTS[1]
    assert SqliteCorpusIndex(store.db).check(copy).duplicate_of == rows["two"]["id"]
    assert search.indexed_count(store.db) == 4
    hits = search.search(store.db, search.parse_query("الناتو العراق"))
    assert rows["one"]["id"] in {h.article_id for h in hits}
    store.close()

    # importing again adds nothing: ids come from the text, URLs are canonicalised
    assert main(["corpus", "import", "--config", str(config), str(inputs)]) == 1
    assert "imported 0 articles" in capsys.readouterr().out
    assert Store(database).db["articles"].count == 4


def test_export_jsonl_and_txt_round_trip(tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, fetch_pages=False)
    assert main(["corpus", "import", "--config", str(config), str(inputs)]) == 1
    jsonl = tmp_path / "corpus.jsonl"
    assert main(["corpus", "export", "--config", str(config), "--format", "jsonl", str(jsonl)]) == 0
    exported = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(e["text"] for e in exported) == sorted(SEED_TEXTS[:4])

    config2, database2 = write_config(tmp_path, database="copy.db", name="copy.toml", fetch_pages=False)
    assert main(["corpus", "import", "--config", str(config2), str(jsonl)]) == 0
    original, copied = Store(database), Store(database2)
    query = "SELECT id, title, text, source FROM articles ORDER BY id"
    assert list(original.db.query(query)) == list(copied.db.query(query))
    original.close()
    copied.close()

    folder = tmp_path / "txt"
    assert main(["corpus", "export", "--config", str(config), "--format", "txt", str(folder)]) == 0
    files = sorted(folder.glob("*.txt"))
    assert len(files) == 4
    config3, database3 = write_config(tmp_path, database="fromtxt.db", name="fromtxt.toml", fetch_pages=False)
    capsys.readouterr()
    assert main(["corpus", "import", "--config", str(config3), str(folder)]) == 0
    assert "imported 4 articles" in capsys.readouterr().out
    from_txt = Store(database3)
    assert len(search.search(from_txt.db, search.parse_query("حلف"))) >= 1
    from_txt.close()

    assert main(["corpus", "export", "--config", str(config), "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_list_counts_by_source(tmp_path: Path, inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = write_config(tmp_path, fetch_pages=False)
    main(["corpus", "import", "--config", str(config), str(inputs)])
    capsys.readouterr()
    assert main(["corpus", "list", "--config", str(config)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "corpus: 4 articles (import: 3, archive: 1)"
    assert len(out) == 5
    assert main(["corpus", "list", "--config", str(config), "--json", "--source", "archive"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["title"] == "عنوان ثالث"


def test_long_import_reports_progress_and_can_skip_near_copies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(corpus_import, "PROGRESS_EVERY", 5)
    monkeypatch.setattr(corpus_import, "BATCH", 4)
    config, database = write_config(tmp_path, fetch_pages=False)
    # 12 distinct texts, then a lightly edited copy of each of the 5 seeds
    lines = [{"text": f"مقال رقم {i} " + " ".join(f"كلمة{i}_{j}" for j in range(60))} for i in range(12)]
    lines += [{"text": "تحديث: " + text} for text in SEED_TEXTS]
    seeds_jsonl = tmp_path / "seeds.jsonl"
    seeds_jsonl.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in SEED_TEXTS),
                           encoding="utf-8")
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    assert main(["corpus", "import", "--config", str(config), str(seeds_jsonl)]) == 0
    capsys.readouterr()
    assert main(["corpus", "import", "--config", str(config), "--skip-near-copies", str(big)]) == 0
    captured = capsys.readouterr()
    progress = [line for line in captured.err.splitlines() if line.startswith("corpus import:")]
    assert [p.split(" read")[0] for p in progress] == ["corpus import: 5", "corpus import: 10",
                                                       "corpus import: 15"]
    assert "imported 12 articles" in captured.out and "5 near-copies skipped" in captured.out
    assert Store(database).db["articles"].count == 5 + 12


def test_importing_the_seed_folder_again_adds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, fetch_pages=False)
    store = Store(database)
    with store.transaction() as db:  # what the daemon does on first start
        for seed in read_seeds(ROOT / "seeds"):
            store.insert_article(db, article_id=seed.id, canonical_url=f"seed:{seed.id}", url="", feed_url=None,
                                 guid=None, source="seed", summary="", published=None, seen_at=datetime.now(UTC),
                                 extracted=ExtractedText(seed.title, seed.text, "ar", "seed"), is_seed=True,
                                 in_corpus=True)
    store.close()
    assert main(["corpus", "import", "--config", str(config), str(ROOT / "seeds")]) == 0
    out = capsys.readouterr().out
    assert "imported 0 articles" in out and f"{len(SEED_TEXTS)} already present" in out
    assert Store(database).db["articles"].count == len(SEED_TEXTS)


def test_unusable_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = write_config(tmp_path, fetch_pages=False)
    assert main(["corpus", "import", "--config", str(config), str(tmp_path / "missing.jsonl")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    assert main(["corpus", "import", "--config", str(config), str(bad)]) == 1
    assert "not UTF-8" in capsys.readouterr().err
