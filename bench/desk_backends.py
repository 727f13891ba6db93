"""The desk on each backend: wall and CPU time per request pair (the inbox page, then an Arabic search), on
the test data set (tests/desk_data.py) in a SQLite file and in a fresh PostgreSQL database.

    python bench/desk_backends.py                       # PostgreSQL at MONITOR_TEST_POSTGRES_URL or 127.0.0.1:5432
    python bench/desk_backends.py --quick               # CI smoke size (10 pairs)

Small data on purpose: it measures what the backend adds per request (a pooled PostgreSQL connection against
a new SQLite one), not the queries at scale (bench/desk_pages.py does that on SQLite).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]
warnings.simplefilter("ignore")  # Starlette's test client asks for httpx2

import desk_data  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from monitor.desk.app import create_app  # noqa: E402
from monitor.desk.context import DeskContext  # noqa: E402
from monitor.fetch.client import HttpSettings  # noqa: E402
from monitor.settings.desk import parse_desk_settings  # noqa: E402

SERVER = os.environ.get("MONITOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def measure(database: Path | str, pairs: int) -> tuple[float, float]:
    ctx = DeskContext(parse_desk_settings({}), database, desk_data.topics(), HttpSettings(),
                      clock=lambda: desk_data.NOW)
    try:
        client = TestClient(create_app(ctx), base_url="http://127.0.0.1")
        client.get("/")
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(pairs):
            assert client.get("/").status_code == 200
            assert client.get("/search", params={"q": "الأطلسي"}).status_code == 200
        return (time.perf_counter() - wall) * 1000 / pairs, (time.process_time() - cpu) * 1000 / pairs
    finally:
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="10 pairs")
    args = parser.parse_args()
    pairs = 10 if args.quick else args.pairs
    folder = Path(tempfile.mkdtemp())
    admin = psycopg.connect(SERVER, autocommit=True)
    name = f"desk_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f"CREATE DATABASE {name}")
    url = psycopg.conninfo.make_conninfo(SERVER, dbname=name)
    try:
        desk_data.build(folder / "monitor.db")
        desk_data.build(folder / "unused.db", url)
        figures = {}
        for label, database in (("sqlite", folder / "monitor.db"), ("postgresql", url)):
            figures[label] = wall, cpu = measure(database, pairs)
            print(f"{label:<11} inbox + search: {wall:5.1f} ms wall, {cpu:5.1f} ms CPU (this process), {pairs} pairs")
        ratio = figures["postgresql"][0] / figures["sqlite"][0]
        print(f"RESULT desk inbox + search on PostgreSQL / on SQLite, wall = {ratio:.2f} "
              f"({figures['postgresql'][0]:.1f} / {figures['sqlite'][0]:.1f} ms; not judged: no target)")
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


if __name__ == "__main__":
    main()
