"""Evidence highlighting: which stretches of a text to mark, as (text, marked) segments the templates escape.

Pure. Offsets come from the stored decision: Evidence.start points into the string the topic was matched
on, the title and the text joined (monitor.decide.topics.matched_document). The inbox's passages come from
monitor.deliver.render.passages, as in every other place an alert is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from monitor.decide.topics import matched_document
from monitor.deliver.render import passages as render_passages
from monitor.models import Evidence

Segment = tuple[str, bool]  # a stretch of text, and whether it is marked


def segments(text: str, spans: Iterable[tuple[int, int]]) -> list[Segment]:
    """Cut `text` at the spans (merged where they overlap, clipped to the text)."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, a), min(len(text), b)) for a, b in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[Segment] = []
    last = 0
    for start, end in merged:
        if start > last:
            out.append((text[last:start], False))
        out.append((text[start:end], True))
        last = end
    if last < len(text) or not out:
        out.append((text[last:], False))
    return out


def body_spans(title: str, text: str, evidence: Sequence[Evidence]) -> list[tuple[int, int]]:
    """Where each piece of evidence lies in `text` (the body, without the title). Evidence found in the
    title, or whose offsets no longer fit the stored text, is left out."""
    shift = len(matched_document(title, text)) - len(text)
    spans = []
    for e in evidence:
        start = e.start - shift
        end = start + len(e.matched)
        if start >= 0 and text[start:end] == e.matched:
            spans.append((start, end))
    return spans


def title_spans(title: str, evidence: Sequence[Evidence]) -> list[tuple[int, int]]:
    return [(e.start, e.start + len(e.matched)) for e in evidence if title[e.start : e.start + len(e.matched)]
            == e.matched and e.start + len(e.matched) <= len(title)]


def passages(evidence: Sequence[Evidence], limit: int = 3, title: str = "") -> list[list[Segment]]:
    """The sentences the evidence was found in (those pairing groups first, shown in article order), each once
    with its matched words marked: the same passages the e-mails and feeds show (monitor.deliver.render)."""
    chosen = render_passages.select(render_passages.build_passages(evidence, title), limit)
    return [render_passages.segments(p) for p in chosen.shown]


def split_marked(snippet: str, start: str, end: str) -> list[Segment]:
    """A snippet whose hits are wrapped in `start`…`end` markers, as segments."""
    out: list[Segment] = []
    rest = snippet
    while rest:
        a = rest.find(start)
        if a < 0:
            out.append((rest, False))
            break
        b = rest.find(end, a + len(start))
        if b < 0:
            out.append((rest, False))
            break
        if a:
            out.append((rest[:a], False))
        out.append((rest[a + len(start) : b], True))
        rest = rest[b + len(end) :]
    return out
