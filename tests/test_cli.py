import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli.main import build_parser, main

ROOT = Path(__file__).parent.parent


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append((*prefix, name))
                paths.extend(command_paths(sub, (*prefix, name)))
    return paths


def test_every_command_has_help_and_is_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    paths = command_paths(build_parser())
    assert {("run",), ("once",), ("check",)} <= set(paths)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in paths:
        with pytest.raises(SystemExit) as info:
            main([*path, "--help"])
        assert info.value.code == 0
        assert "usage: monitor " + " ".join(path) in capsys.readouterr().out
        assert "monitor " + " ".join(path) in readme, f"README does not mention `monitor {' '.join(path)}`"


def test_module_entry_point_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "monitor", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("monitor ")


def test_check_reports_seed_copies_and_topic_evidence_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = (ROOT / "seeds" / "001_fb3f0974eaeef577.txt").read_text(encoding="utf-8")
    copy = tmp_path / "copy.txt"
    copy.write_text("خبر منقول\n" + seed, encoding="utf-8")
    unrelated = tmp_path / "other.jsonl"
    unrelated.write_text(
        json.dumps(
            {
                "id": "x1",
                "title": "الطقس",
                "text": "أمطار غزيرة على العاصمة اليوم مع "
                "انخفاض في درجات الحرارة وتوقعات بتحسن الأجواء خلال الأيام المقبلة.",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    code = main(
        [
            "check",
            "--json",
            "--config",
            str(ROOT / "config" / "monitor.toml"),
            "--seeds",
            str(ROOT / "seeds"),
            str(copy),
            str(unrelated),
        ]
    )
    assert code == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["copy", "x1"]
    assert out[0]["duplicate_of"] == "001_fb3f0974eaeef577" and out[0]["similarity"] > 0.8
    topic = out[0]["topics"][0]
    assert topic["name"] == "nato_iraq" and topic["matched"] and topic["evidence"]
    assert out[1]["duplicate_of"] is None and not out[1]["topics"][0]["matched"]


def test_check_on_an_unreadable_input_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--config", str(ROOT / "config" / "monitor.toml"), str(tmp_path / "missing.html")])
    assert code == 1
    assert "missing.html" in capsys.readouterr().err


def test_every_command_the_readme_names_exists() -> None:
    import re

    known = {" ".join(p) for p in command_paths(build_parser())}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`monitor ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", readme))
    assert named
    for name in named:
        assert name in known, f"README names `monitor {name}`, which does not exist"


def test_check_fetches_a_url_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.e2e_site import article_page, fixture_articles
    from tests.fault_server import FaultServer

    record = fixture_articles()["snn-ab0d563619d4"]
    page = article_page(record["title"], record["text"], "عكاظ", charset=None).encode("windows-1256")
    config = tmp_path / "c.toml"
    defaults = (ROOT / "config" / "monitor.toml").read_text(encoding="utf-8")
    config.write_text(defaults.replace("allow_private_addresses = false", "allow_private_addresses = true"),
                      encoding="utf-8")
    with FaultServer({"/a.html": (200, {"Content-Type": "text/html"}, page)}) as server:
        code = main(["check", "--json", "--config", str(config), "--seeds", str(ROOT / "seeds"),
                     server.url("/a.html")])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["duplicate_of"] is None
    assert out["topics"][0]["matched"], out["topics"][0]["reason"]
