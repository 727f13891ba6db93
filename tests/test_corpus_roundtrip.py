"""Real corpus records through `monitor corpus import` and `export`: every date form, lossless round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.store.database import Store
from tests.config_files import write_config

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"
ANT = FIXTURES / "ant_sample.jsonl"
SNN = FIXTURES / "saudinewsnet_sample.jsonl"
COLUMNS = "id, canonical_url, url, source, title, text, published, seen_at, in_corpus"


def rows(database: Path) -> list[dict[str, object]]:
    store = Store(database)
    try:
        return list(store.db.query(f"SELECT {COLUMNS} FROM articles ORDER BY id"))
    finally:
        store.close()


def test_real_ant_and_saudinewsnet_records_keep_their_rss_dates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, name="m.toml", database="m.db")
    assert main(["corpus", "import", "--config", str(config), str(ANT), str(SNN)]) == 0
    assert "imported 5 articles" in capsys.readouterr().out
    by_url = {r["url"]: r for r in rows(database)}
    # "Thu, 15 Mar 2018 21:16:45 +0400" and "Sun, 06 May 2018 14:20:34 GMT", stored in UTC
    alarabiya = next(r for u, r in by_url.items() if str(u).startswith("http://www.alarabiya.net/"))
    assert alarabiya["published"] == "2018-03-15T17:16:45.000000Z"
    assert by_url["http://www.bbc.co.uk/arabic/world-44023722"]["published"] == "2018-05-06T14:20:34.000000Z"
    assert by_url["http://www.alyaum.com/article/4082334"]["published"] is None  # SaudiNewsNet gives none


def test_an_unreadable_date_is_stored_unknown_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, name="m.toml", database="m.db")
    records = [json.loads(line) for line in ANT.read_text(encoding="utf-8").splitlines()]
    records[0]["published"] = "الخميس ١٥ مارس"  # no date format a feed uses
    source = tmp_path / "odd_date.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    assert main(["corpus", "import", "--config", str(config), str(source)]) == 0
    captured = capsys.readouterr()
    assert "'published' is not a date" in captured.err
    assert captured.out.strip().endswith("1 with an unreadable date stored as unknown)")
    stored = {r["url"]: r["published"] for r in rows(database)}
    assert len(stored) == 3 and stored[records[0]["url"]] is None


def test_a_run_that_skips_a_record_says_so_last_and_exits_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, name="m.toml", database="m.db")
    source = tmp_path / "one_bad.jsonl"
    source.write_text(ANT.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    assert main(["corpus", "import", "--config", str(config), str(source)]) == 1
    captured = capsys.readouterr()
    last = captured.out.strip().splitlines()[-1]
    assert "imported 3 articles" in last and "1 records were skipped" in last
    assert "one_bad.jsonl:4: not JSON" in captured.err
    assert len(rows(database)) == 3


@pytest.mark.parametrize("export_format", ["jsonl", "txt"])
def test_export_then_import_is_lossless_and_idempotent(
        tmp_path: Path, export_format: str, capsys: pytest.CaptureFixture[str]) -> None:
    config, database = write_config(tmp_path, name="origin.toml", database="origin.db")
    assert main(["corpus", "import", "--config", str(config), str(ANT), str(SNN)]) == 0
    before = rows(database)
    dest = tmp_path / ("corpus.jsonl" if export_format == "jsonl" else "corpus_txt")
    assert main(["corpus", "export", "--config", str(config), "--format", export_format, str(dest)]) == 0

    # into the database it came from: nothing new
    capsys.readouterr()
    assert main(["corpus", "import", "--config", str(config), str(dest)]) == 0
    out = capsys.readouterr().out
    assert "imported 0 articles" in out and "5 already present" in out
    assert rows(database) == before

    # into a fresh one: the same rows, ids, URLs, sources, dates and texts
    copy_config, copy_database = write_config(tmp_path, name="copy.toml", database="copy.db")
    assert main(["corpus", "import", "--config", str(copy_config), str(dest)]) == 0
    assert rows(copy_database) == before
