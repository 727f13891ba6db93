"""Reading corpus files (the library under `monitor corpus import`): records and problems, no store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from monitor.parse.corpus_files import Problem, Record, read_path


def test_a_folder_yields_records_and_problems_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("\ufeffعنوان الخبر\nنص الخبر هنا\n", encoding="utf-8")
    (tmp_path / "a.jsonl").write_text(
        "\n".join(
            [
                json.dumps({"text": "نص أول", "id": 7, "source": "وكالة", "published": "2026-03-01T08:00:00Z"}),
                "",
                "{not json",
                json.dumps({"title": "بلا نص"}),
                json.dumps({"text": "نص", "published": "yesterday"}),
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "c.txt").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")

    items = list(read_path(tmp_path))
    records = [i for i in items if isinstance(i, Record)]
    problems = [i for i in items if isinstance(i, Problem)]

    assert [r.label for r in records] == [f"{tmp_path / 'a.jsonl'}:1", str(tmp_path / "b.txt")]
    first, second = records
    assert first.given_id == "7" and first.source == "وكالة" and first.title == "نص أول"
    assert first.published == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert second.title == "عنوان الخبر" and second.text == "عنوان الخبر\nنص الخبر هنا" and second.given_id == "b"
    assert [(p.label.rsplit("/", 1)[-1], p.message.split(":")[0]) for p in problems] == [
        ("a.jsonl:3", "not JSON"),
        ("a.jsonl:4", 'needs an object with a non-empty "text"'),
        ("a.jsonl:5", "'published' is not an ISO date"),
        ("c.txt", "not UTF-8 text"),
    ]


def test_missing_empty_and_unsupported_paths_are_problems(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "blank.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "page.html").write_text("<p>x</p>", encoding="utf-8")
    messages = [
        item.message
        for name in ("missing", "empty", "blank.txt", "page.html")
        for item in read_path(tmp_path / name)
        if isinstance(item, Problem)
    ]
    assert messages == [
        "no such file or folder",
        "no .txt or .jsonl files in this folder",
        "empty file",
        "unsupported file type (want .txt, .jsonl or a folder)",
    ]
