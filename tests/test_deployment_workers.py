"""The several-worker deployment files: the systemd template is the single unit with the store on
PostgreSQL and one ops port per instance, and the compose file runs workers from the image against its
PostgreSQL service."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor.settings import registry

ROOT = Path(__file__).parent.parent


def settings(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(k.strip(), v.strip()) for k, _, v in (line.partition("=") for line in lines)
            if _ and not k.lstrip().startswith(("#", ";", "["))]


def test_the_template_unit_is_the_single_unit_with_postgresql_and_a_port_per_instance() -> None:
    single = settings(ROOT / "config" / "monitor.service")
    template = settings(ROOT / "config" / "monitor@.service")
    added = [s for s in template if s not in single]
    removed = [s for s in single if s not in template]
    assert {k for k, _ in removed} == {"Description", "Documentation"}  # the hardening and paths all kept
    assert ("EnvironmentFile", "/etc/monitor/postgres.env") in added
    assert ("Environment", "MONITOR_OPS_PORT=%i") in added
    for _, value in [s for s in template if s[0] == "Documentation"]:
        for link in value.split():
            assert (ROOT / link.removeprefix("file:/opt/monitor/")).is_file(), link


def test_the_compose_file_runs_workers_on_its_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    db, worker = compose["services"]["db"], compose["services"]["worker"]
    assert db["image"].startswith("postgres:") and "healthcheck" in db
    assert worker["depends_on"]["db"]["condition"] == "service_healthy" and worker["build"] == "."
    url = worker["environment"]["MONITOR_DATABASE_URL"]
    env = db["environment"]
    assert url == f"postgresql://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@db:5432/{env['POSTGRES_DB']}"
    assert worker["deploy"]["replicas"] >= 2
    assert any(k.name == "url" for k in registry.STORAGE.keys)  # the setting MONITOR_DATABASE_URL overrides
