"""Browsing the database with Datasette itself: the shipped metadata and plugin, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.main import main
from tests.config_files import write_config

DEMO = Path(__file__).parent.parent / "monitor" / "data" / "demo_articles.json"
# Written the way outlets write: clitics, diacritics, hamza and tatweel that the index spells away.
VARIANT = ("وأعلنَ الأمينُ العام لحِلفِ شمالِ الأطْلَسِيّ أنّ مهمّةَ التدريب بالعـراق ستتوسع، وقال إنّ "
           "الحلفاء سيرسلون مدربين إضافيين إلى بغداد لتدريب القوات على مكافحة الإرهاب وحماية الحدود.")
TRUNCATE = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode("utf-8")
    return json.loads(body) if ".json" in url else body


@pytest.fixture
def browsed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[str, Path]]:
    config, _ = write_config(tmp_path, database="monitor.db", fetch_pages=False)
    articles = json.loads(DEMO.read_text(encoding="utf-8"))
    articles.append({"id": "variant", "title": "الناتو يوسع مهمته", "text": VARIANT, "source": "test",
                     "url": "https://news.test/variant"})
    inputs = tmp_path / "articles.jsonl"
    inputs.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    assert main(["corpus", "import", "--config", str(config), str(inputs)]) == 0
    capsys.readouterr()
    assert main(["datasette-metadata", "--config", str(config)]) == 0
    metadata = tmp_path / "metadata.json"
    metadata.write_text(capsys.readouterr().out, encoding="utf-8")

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(tmp_path / "monitor.db"), "--metadata", str(metadata),
         "--host", "127.0.0.1", "--port", str(port), "--setting", "truncate_cells_html", str(TRUNCATE)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                get(base + "/-/versions.json")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                time.sleep(0.05)
        yield base, config
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_canned_search_finds_what_monitor_search_finds(
    browsed: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, config = browsed
    assert main(["search", "--config", str(config), "--json", "--limit", "1000", "الأطلسي"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = [hit["id"] for hit in hits]
    assert "الناتو يوسع مهمته" in {hit["title"] for hit in hits} and len(hits) >= 2

    rows = get(base + "/monitor/search.json?_shape=array&q=" + urllib.parse.quote("الأطلسي"))
    assert [row["id"] for row in rows] == expected
    # the FTS table itself holds index terms: the word as written finds nothing there
    raw = get(base + "/monitor/articles_fts.json?_shape=array&_search=" + urllib.parse.quote("الأطلسي"))
    assert raw == []
    assert get(base + "/monitor/search.json?_shape=array&q=") == []


def test_internal_tables_are_hidden_and_text_is_truncated(browsed: tuple[str, Path]) -> None:
    base, _ = browsed
    tables = {t["name"]: t["hidden"] for t in get(base + "/monitor.json")["tables"]}
    internal = {"articles_fts", "articles_fts_data", "search_docs", "corpus_docs", "corpus_fingerprints",
                "corpus_fp_df", "corpus_common", "ops_heartbeat"}
    assert internal <= set(tables)
    assert all(tables[name] for name in internal)
    assert not tables["articles"] and not tables["alerts"] and not tables["feeds"]
    index = get(base + "/monitor")
    assert "corpus_fingerprints" not in index and "articles" in index

    page = get(base + "/monitor/articles?title=" + urllib.parse.quote("الناتو يوسع مهمته"))
    assert VARIANT not in page and VARIANT[:TRUNCATE] in page
    assert "the extracted article text" in page  # the column's description from the metadata
