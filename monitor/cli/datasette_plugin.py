"""A Datasette plugin: the SQL function `monitor_match(q)` behind the shipped canned query `search`.

The FTS table holds normalised, clitic-stripped terms (monitor.store.search), so a word as written
(الأطلسي) matches nothing there. `monitor_match` turns the user's words into the same FTS5 expression
`monitor search` uses. Datasette loads this module through the `datasette` entry point of the package.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from monitor.store.search import parse_query

# An FTS5 expression that matches nothing: an empty MATCH string is a syntax error.
NOTHING = '"\x01"'


def monitor_match(query: str | None) -> str:
    return parse_query(query or "").match or NOTHING


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    # conn is Datasette's sqlite3.Connection; only the store may import sqlite3
    conn.create_function("monitor_match", 1, monitor_match, deterministic=True)
