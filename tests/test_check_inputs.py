"""`monitor check` and `monitor topics test` read their inputs as the daemon reads articles: HTML with its
title, legacy Arabic code pages, bad JSONL lines and empty files reported while the rest are decided."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from monitor.cli.main import main
from monitor.decide.topics import match_topic
from monitor.settings.config import load_config

ROOT = Path(__file__).parent.parent
CONFIG = ROOT / "config" / "monitor.toml"
ANT = ROOT / "tests" / "fixtures" / "corpus" / "ant_sample.jsonl"
WINDOWS_1256 = ROOT / "tests" / "fixtures" / "feeds" / "legacy" / "chardet_culturax_mC4_98641.windows-1256.txt"


def ant_records() -> list[dict[str, str]]:
    return [json.loads(line) for line in ANT.read_text(encoding="utf-8").splitlines()]


def page(title: str, text: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
    return (f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:title" content="{title}"></head><body><nav><a href="/">الرئيسية</a></nav>'
            f"<article><h1>{title}</h1>{paragraphs}</article><footer>جميع الحقوق محفوظة</footer></body></html>")


def test_an_html_page_is_decided_with_its_title(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = ant_records()[0]
    html = tmp_path / "story.html"
    html.write_text(page(record["title"], record["text"]), encoding="utf-8")
    assert main(["topics", "test", "nato_iraq", "--json", "--config", str(CONFIG), str(html)]) == 0
    tested = json.loads(capsys.readouterr().out)
    assert tested["title"] == record["title"]

    assert main(["check", "--json", "--config", str(CONFIG), "--seeds", str(ROOT / "seeds"), str(html)]) == 0
    checked = json.loads(capsys.readouterr().out)
    (topic,) = [t for t in load_config(CONFIG).topics if t.name == "nato_iraq"]
    (decided,) = [t for t in checked["topics"] if t["name"] == "nato_iraq"]
    # the score the daemon would give: title and text
    assert decided["score"] == tested["score"] == match_topic(topic, record["title"], record["text"]).score


def test_bad_jsonl_lines_and_empty_files_are_reported_and_the_rest_decided(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = [{"id": r["id"], "title": r["title"], "text": r["text"]} for r in ant_records()[:2]]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join([json.dumps(good[0], ensure_ascii=False), "{not json", '{"id": "blank", "text": " "}',
                                json.dumps(good[1], ensure_ascii=False)]) + "\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    code = main(["check", "--json", "--config", str(CONFIG), "--seeds", str(ROOT / "seeds"), str(batch), str(empty)])
    captured = capsys.readouterr()
    assert code == 1
    assert [json.loads(line)["id"] for line in captured.out.splitlines()] == [good[0]["id"], good[1]["id"]]
    assert f"{batch}:2: not JSON" in captured.err and f"{batch}:3: empty input" in captured.err
    assert f"{empty}: empty input" in captured.err and "3 inputs skipped" in captured.err

    assert main(["topics", "test", "nato_iraq", "--config", str(CONFIG), str(empty)]) == 1
    assert "empty input" in capsys.readouterr().err


def test_a_windows_1256_text_file_is_decoded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    legacy = tmp_path / "riyadh.txt"
    shutil.copyfile(WINDOWS_1256, legacy)
    expected_title = WINDOWS_1256.read_bytes().decode("cp1256").splitlines()[0].strip()
    assert main(["check", "--config", str(CONFIG), "--seeds", str(ROOT / "seeds"), str(legacy)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"riyadh: {expected_title[:80]}"
    assert main(["topics", "test", "nato_iraq", "--json", "--config", str(CONFIG), str(legacy)]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == expected_title
