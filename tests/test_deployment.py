"""The shipped deployment files work with the shipped config: the systemd unit writes only where systemd
lets it, and the container image's command starts and stops cleanly (run here without Docker)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path, PurePosixPath

from monitor.settings.alerts import JsonlChannel
from monitor.settings.config import parse_config

ROOT = Path(__file__).parent.parent
UNIT = ROOT / "config" / "monitor.service"
DOCKERFILE = ROOT / "Dockerfile"


def unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def under(path: PurePosixPath, roots: list[PurePosixPath]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def test_the_unit_with_the_shipped_config_writes_only_to_its_writable_directories() -> None:
    unit = unit_settings()
    cwd = PurePosixPath(unit["WorkingDirectory"][0])
    environ = dict(item.split("=", 1) for value in unit["Environment"] for item in shlex.split(value))
    config = parse_config(tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8")),
                          environ=environ)
    writable = [PurePosixPath("/var/lib") / d for d in unit.get("StateDirectory", [])]
    writable += [PurePosixPath("/var/log") / d for d in unit.get("LogsDirectory", [])]
    writable += [PurePosixPath(p) for value in unit.get("ReadWritePaths", []) for p in value.split()]

    def absolute(path: Path) -> PurePosixPath:
        return cwd / PurePosixPath(path)  # an absolute path stays itself

    written = [absolute(config.database_path)]
    written += [absolute(c.path) for c in config.alerts.channels if isinstance(c, JsonlChannel) and c.enabled]
    assert len(written) >= 2  # the database and the shipped file channel
    for path in written:
        assert under(path, writable), f"{path} is read-only under ProtectSystem=strict (writable: {writable})"
    assert under(absolute(config.pipeline.seeds_dir), [PurePosixPath("/opt/monitor")])


def test_the_unit_documentation_points_at_installed_docs() -> None:
    links = unit_settings()["Documentation"][0].split()
    assert links
    for link in links:
        assert link.startswith("file:/opt/monitor/"), link
        assert (ROOT / link.removeprefix("file:/opt/monitor/")).is_file(), link
    install = UNIT.read_text(encoding="utf-8")
    assert "cp -r seeds docs README.md /opt/monitor/" in install  # the install steps put them there


def dockerfile() -> tuple[dict[str, str], str, str, list[str], list[str]]:
    """(ENV, last WORKDIR, USER, VOLUME paths, CMD) of the Dockerfile."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    env: dict[str, str] = {}
    workdir = user = ""
    volumes: list[str] = []
    cmd: list[str] = []
    for line in text.splitlines():
        op, _, rest = line.strip().partition(" ")
        if op == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))
        elif op == "WORKDIR":
            workdir = rest.strip()
        elif op == "USER":
            user = rest.strip()
        elif op == "VOLUME":
            volumes += rest.split()
        elif op == "CMD":
            cmd = json.loads(rest)
    return env, workdir, user, volumes, cmd


def test_the_image_runs_as_a_user_with_its_database_on_the_volume() -> None:
    env, workdir, user, volumes, cmd = dockerfile()
    assert user and user not in ("root", "0")
    assert env["MONITOR_DATABASE"].startswith(volumes[0] + "/") and workdir == volumes[0]
    assert cmd[-1] == "run"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    # everything is left out but what the image needs: no local venv, database or secrets in the context
    assert ignored.splitlines()[1] == "*" and "!monitor/" in ignored.splitlines()


def test_the_image_command_starts_with_the_default_config_and_stops_on_sigterm(tmp_path: Path) -> None:
    env, workdir, _, _, cmd = dockerfile()
    volume = tmp_path / "volume"
    volume.mkdir()
    # The image's paths, mapped onto this checkout and a temporary volume.
    places = {workdir: str(volume), "/etc/monitor/monitor.toml": str(ROOT / "config" / "monitor.toml"),
              "/opt/monitor/seeds": str(ROOT / "seeds")}

    def mapped(value: str) -> str:
        for image_path, local in places.items():
            value = value.replace(image_path, local)
        return value

    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update({k: mapped(v) for k, v in env.items()})
    environ["MONITOR_OPS_PORT"] = "0"  # the image's port may be taken on this machine; 0 is any free one
    command = [str(Path(sys.executable).parent / cmd[0]), *cmd[1:]]
    log = tmp_path / "stderr.log"
    daemon = subprocess.Popen(command, cwd=volume, env=environ, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        deadline = time.monotonic() + 60
        while "monitor running" not in log.read_text(encoding="utf-8"):
            assert daemon.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=90)
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    messages = [json.loads(line)["message"] for line in text.splitlines() if line.startswith("{")]
    assert any(m.startswith("received SIGTERM") for m in messages) and messages[-1] == "monitor stopped"
    assert (volume / "monitor.db").is_file()
