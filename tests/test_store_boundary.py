"""monitor/store/ is the only package with SQL: nothing else in monitor/ imports a database driver or
holds a statement, so another backend can stand behind the Store without touching its callers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "monitor"
DRIVERS = ("sqlite3", "sqlite_utils", "psycopg")
# the project writes SQL keywords in capitals, so prose ("select the feeds ... from") is not mistaken for it
STATEMENT = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA)\b",
                       re.DOTALL)


def outside_store() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "store" not in p.relative_to(PACKAGE).parts[:1])


def test_only_the_store_imports_a_database_driver() -> None:
    offences = []
    for path in outside_store():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            offences += [f"{path.relative_to(PACKAGE)}:{node.lineno} {n}" for n in names if n.split(".")[0] in DRIVERS]
    assert offences == []
    assert len(outside_store()) > 30  # the walk saw the package


def test_only_the_store_holds_sql() -> None:
    offences = []
    for path in outside_store():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and STATEMENT.search(node.value):
                offences.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value[:60]!r}")
    assert offences == []


def test_the_check_sees_sql() -> None:
    assert STATEMENT.search("SELECT state, count(*) FROM deliveries GROUP BY state")
    assert STATEMENT.search("INSERT OR IGNORE INTO alerts (id) VALUES (?)")
    assert not STATEMENT.search("select the feeds to poll from the config")
