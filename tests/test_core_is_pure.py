"""The core (normalise, dedup, match, decide, schedule, render) must not do I/O: it imports no I/O library."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "monitor"
CORE = [
    *(PACKAGE / "text").glob("*.py"),
    *(PACKAGE / "decide").glob("*.py"),
    *(PACKAGE / "schedule").glob("*.py"),
    PACKAGE / "deliver" / "render.py",
]
IO_MODULES = {
    "httpx",
    "sqlite3",
    "sqlite_utils",
    "smtplib",
    "apscheduler",
    "socket",
    "urllib.request",
    "requests",
    "aiosmtpd",
    "subprocess",
    "trafilatura",
    "feedparser",
    "monitor.adapters",
    "monitor.runtime",
    "monitor.store.outbox",
    "monitor.deliver.dispatcher",
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_import_no_io_library() -> None:
    offenders = {}
    for path in sorted(CORE):
        bad = {m for m in imported_modules(path) if any(m == io or m.startswith(io + ".") for io in IO_MODULES)}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}
    assert len(CORE) >= 6  # the walk really saw the core
