"""Small bar charts drawn as inline SVG by the templates (no script, no style attribute: the CSP allows
neither): one bar per day, heights scaled to the tallest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

WIDTH = 7  # one bar and its gap, in SVG units
HEIGHT = 30


@dataclass(frozen=True)
class Bar:
    day: str
    count: int
    x: int
    height: int


def daily_bars(per_day: Mapping[str, int], days: int, today: datetime) -> list[Bar]:
    """The last `days` UTC days up to `today`, oldest first (the SVG flips in right-to-left pages)."""
    labels = [(today - timedelta(days=days - 1 - i)).strftime("%Y-%m-%d") for i in range(days)]
    tallest = max((per_day.get(d, 0) for d in labels), default=0) or 1
    return [
        Bar(day, per_day.get(day, 0), i * WIDTH, max(1 if per_day.get(day) else 0, round(HEIGHT * per_day.get(day, 0)
                                                                                       / tallest)))
        for i, day in enumerate(labels)
    ]
