"""An alert's evidence as the passages an analyst reads: each sentence once, in article order, all its hits marked.

The matcher reports one Evidence per (group, mention), each carrying its whole sentence, so a sentence
that pairs three terms arrives three times. Here the evidence is folded by sentence; every renderer (e-mail,
digest, alert feeds, webhook payload) shows the same passages. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.models import Evidence

DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class Highlight:
    """A matched term inside a passage: [start, end) in code points of the passage's sentence."""

    start: int
    end: int
    group: str
    term: str


@dataclass(frozen=True)
class Passage:
    sentence: str
    highlights: tuple[Highlight, ...]  # in sentence order
    groups: tuple[str, ...]  # the term groups met in this sentence, in order of first mention
    position: int  # offset of its first hit in the matched document: the article order
    in_title: bool  # the sentence is (part of) the headline

    @property
    def pairs_groups(self) -> bool:
        """Two or more groups in one sentence: the co-occurrence the topic rule looks for."""
        return len(self.groups) > 1


@dataclass(frozen=True)
class Selection:
    """The passages to show and how many were left out ("and K more")."""

    shown: tuple[Passage, ...]
    more: int


def _locate(sentence: str, matched: str, cursor: int) -> int:
    """Where `matched` is in `sentence`: the next occurrence after the previous hit, else the first one."""
    if not matched:
        return -1
    at = sentence.find(matched, cursor)
    return at if at >= 0 else sentence.find(matched)


def build_passages(evidence: Sequence[Evidence], title: str = "") -> tuple[Passage, ...]:
    """Fold evidence into one passage per distinct sentence, ordered as in the article.

    `title` is the headline the topic was matched with: evidence starting inside it (the matched document
    is the title, a blank line, then the text) is flagged `in_title`, so a renderer can say so rather than
    repeat the headline as if it were body text.
    """
    by_sentence: dict[str, list[Evidence]] = {}
    for ev in sorted(evidence, key=lambda e: e.start):
        by_sentence.setdefault(ev.sentence, []).append(ev)
    passages = []
    for sentence, items in by_sentence.items():
        highlights: list[Highlight] = []
        seen: set[tuple[str, int]] = set()
        cursor = 0
        for ev in items:
            if (ev.group, ev.start) in seen:
                continue
            seen.add((ev.group, ev.start))
            at = _locate(sentence, ev.matched, cursor)
            if at < 0:  # cut off by the sentence length limit, or written differently: named, not marked
                continue
            highlights.append(Highlight(at, at + len(ev.matched), ev.group, ev.term))
            cursor = max(cursor, at + len(ev.matched))
        passages.append(
            Passage(
                sentence=sentence,
                highlights=tuple(sorted(highlights, key=lambda h: (h.start, h.end))),
                groups=tuple(dict.fromkeys(ev.group for ev in items)),
                position=items[0].start,
                in_title=bool(title) and items[0].start < len(title),
            )
        )
    return tuple(sorted(passages, key=lambda p: p.position))


def select(passages: Sequence[Passage], limit: int = DEFAULT_LIMIT) -> Selection:
    """At most `limit` passages, those pairing groups first, shown in article order."""
    if limit < 0:
        raise ValueError("limit must be >= 0")
    ranked = sorted(passages, key=lambda p: (-len(p.groups), p.position))[:limit]
    shown = tuple(sorted(ranked, key=lambda p: p.position))
    return Selection(shown, len(passages) - len(shown))


def segments(passage: Passage) -> list[tuple[str, bool]]:
    """The sentence cut into (text, highlighted) runs; overlapping hits merge into one highlighted run."""
    runs: list[tuple[str, bool]] = []
    cursor = 0
    for h in passage.highlights:
        start = max(h.start, cursor)
        if h.end <= start:
            continue  # inside a hit already marked
        if start > cursor:
            runs.append((passage.sentence[cursor:start], False))
        if runs and runs[-1][1] and start == cursor:
            runs[-1] = (runs[-1][0] + passage.sentence[start : h.end], True)
        else:
            runs.append((passage.sentence[start : h.end], True))
        cursor = h.end
    if cursor < len(passage.sentence):
        runs.append((passage.sentence[cursor:], False))
    return runs


def passage_json(passage: Passage) -> dict[str, object]:
    """The webhook / feed form of a passage (offsets in code points of `sentence`)."""
    return {
        "sentence": passage.sentence,
        "groups": list(passage.groups),
        "in_title": passage.in_title,
        "highlights": [
            {
                "start": h.start,
                "end": h.end,
                "group": h.group,
                "term": h.term,
                "text": passage.sentence[h.start : h.end],
            }
            for h in passage.highlights
        ],
    }
