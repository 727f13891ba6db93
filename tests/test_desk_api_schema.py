"""Schemathesis against the desk's OpenAPI document: generated requests (valid and invalid) to every operation,
each answer checked against the document (status codes, content type, Allow headers, refusals of bad input)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install -e '.[test]')")
import desk_data  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from monitor.desk.app import create_app  # noqa: E402
from monitor.desk.context import DeskContext  # noqa: E402
from monitor.settings.desk import parse_desk_settings  # noqa: E402

AUTH = {"Authorization": f"Bearer {desk_data.EDITOR_TOKEN}"}


# Built at collection: schemathesis parametrizes from the document, so the app must exist before the tests do.
_DATA = tempfile.TemporaryDirectory(prefix="desk-api-")
_PATH = Path(_DATA.name) / "monitor.db"
desk_data.build(_PATH)
_APP = create_app(DeskContext(parse_desk_settings(desk_data.desk_table()), _PATH, desk_data.topics(),
                              clock=lambda: desk_data.NOW))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP, headers=AUTH)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_holds_to_the_document(case: Any) -> None:
    if case.path == "/feeds" and case.method == "POST":
        return  # would fetch generated URLs from the network; tests/test_desk.py adds a feed from a local site
    # A negative case may drop the Authorization header on purpose: it must then go out without one (and be
    # refused), not with the test's token put back, which would make the "invalid" request valid.
    case.call_and_validate(headers=AUTH if "Authorization" in (case.headers or {}) else None)
