"""`monitor demo`: a local world of real Arabic articles, an alert on the console within a minute, and a
clean exit on SIGINT or SIGTERM that leaves no temporary files behind."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_demo_shows_an_alert_within_a_minute_and_stops_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    log = tmp_path / "stderr.log"
    started = time.monotonic()
    demo = subprocess.Popen([sys.executable, "-m", "monitor", "demo"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=log.open("wb"), text=True)
    try:
        while "monitor.alerts: ALERT" not in log.read_text(encoding="utf-8"):
            assert demo.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() - started < 60, log.read_text(encoding="utf-8")
            time.sleep(0.2)
    finally:
        demo.send_signal(stop)
        stdout, _ = demo.communicate(timeout=60)
    text = log.read_text(encoding="utf-8")
    assert demo.returncode == 0, text
    alert = re.search(r"monitor\.alerts: ALERT \S+ topic=nato_iraq .* source='okaz' title='([^']+)'", text)
    assert alert and alert.group(1) == "الحلف الأطلسي يوافق على خطة دعم الجيش العراقي"
    assert len(re.findall(r"monitor\.alerts: ALERT", text)) == 1  # the unrelated articles raise none
    assert f"received {stop.name}" in text and text.rstrip().endswith("monitor stopped")
    assert "real Arabic articles" in stdout and "127.0.0.1" in stdout
    database = re.search(r"database (\S+demo\.db)", text)
    assert database and not Path(database.group(1)).parent.exists()  # the temporary directory is gone
    assert list(tmp_path.iterdir()) == [log]  # and nothing was written where it ran


def test_the_demo_topic_is_the_shipped_configs() -> None:
    shipped = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))["topics"]
    bundled = tomllib.loads((ROOT / "monitor" / "data" / "demo_topics.toml").read_text(encoding="utf-8"))
    assert bundled == {"topics": shipped}


def test_the_package_carries_the_demo_data(tmp_path: Path) -> None:
    # tests/ is not installed: what the demo serves must be inside the package. Built from a copy, so the
    # build leaves nothing in the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "monitor", source / "monitor", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("monitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("demo_articles.json", "demo_topics.toml", "DEMO_PROVENANCE.md"):
        assert f"monitor/data/{name}" in names
