"""The open stories' term index, held in memory by each process that joins articles (store/stories.py).

A story is found by its INDEX_TERMS heaviest terms (decide/stories.py `index_terms`). The index holds, for
every story not merged into another whose last article is at or after `loaded_from`, those terms and what a
candidate row is checked against (size, last_seen, version); stories.py keeps it equal to the database's
rows: loaded by a range of last_seen, caught up from the rows other writers changed (stories.seq), and
updated by this process's own writes. Holding it here instead of in a table removes ~80 B-tree rows per
article (40 written for a new story, 40 removed when it leaves the window).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain


@dataclass(frozen=True)
class IndexedStory:
    size: int
    last_seen: str  # format_time text: ordered as the times are
    version: str | None
    terms: tuple[str, ...]  # its index terms (a tuple: a tenth of a frozenset's memory)


CandidateRow = tuple[str, int, int, str, str | None]  # story id, probe terms it holds, size, last_seen, version


class TermIndex:
    """term -> open stories holding it among their index terms."""

    def __init__(self) -> None:
        self.stories: dict[str, IndexedStory] = {}
        # a list per term: most terms are held by one or two stories, where a set costs four times the memory
        self.by_term: dict[str, list[str]] = {}
        self.loaded_from: str | None = None  # every open story whose last_seen >= this is held (None: none loaded)

    def __len__(self) -> int:
        return len(self.stories)

    def put(self, story_id: str, story: IndexedStory) -> None:
        old = self.stories.get(story_id)
        added: Iterable[str] = story.terms
        if old is not None:
            new_terms, old_terms = set(story.terms), set(old.terms)
            for term in old_terms - new_terms:
                self._drop(term, story_id)
            added = new_terms - old_terms
        by_term = self.by_term
        for term in added:
            holders = by_term.get(term)
            if holders is None:
                by_term[term] = [story_id]
            else:
                holders.append(story_id)
        self.stories[story_id] = story

    def remove(self, story_id: str) -> None:
        old = self.stories.pop(story_id, None)
        if old is not None:
            for term in old.terms:
                self._drop(term, story_id)

    def _drop(self, term: str, story_id: str) -> None:
        holders = self.by_term.get(term)
        if holders is not None and story_id in holders:
            holders.remove(story_id)
            if not holders:
                del self.by_term[term]

    def held(self, last_seen: str) -> bool:
        """Whether a story last seen then belongs in the index."""
        return self.loaded_from is not None and last_seen >= self.loaded_from

    def candidates(self, probes: list[str], cutoff: str, limit: int) -> list[CandidateRow]:
        """The stories last seen at or after `cutoff` that hold most of the probe terms (then lowest id)."""
        empty: list[str] = []
        hits = Counter(chain.from_iterable(self.by_term.get(term, empty) for term in probes))
        if 0 < limit < len(hits):
            # Only the stories with at least the limit-th most hits can come first: ranked alone, they give
            # the same first rows as all of them ranked, unless the cutoff leaves fewer than the limit.
            fewest = sorted(hits.values(), reverse=True)[limit - 1]
            rows = self._ranked(hits, [sid for sid, count in hits.items() if count >= fewest], cutoff, limit)
            if len(rows) == limit:
                return rows
        return self._ranked(hits, list(hits), cutoff, limit)

    def _ranked(self, hits: Counter[str], story_ids: list[str], cutoff: str, limit: int) -> list[CandidateRow]:
        story_ids.sort()
        story_ids.sort(key=hits.__getitem__, reverse=True)  # most hits first; stable, so ties stay by id
        stories, rows = self.stories, []
        for story_id in story_ids:
            story = stories[story_id]
            if story.last_seen >= cutoff:
                rows.append((story_id, hits[story_id], story.size, story.last_seen, story.version))
                if len(rows) == limit:
                    break
        return rows

    def evict_before(self, cutoff: str) -> int:
        """Drop the stories last seen before `cutoff` (past every window that follows); returns how many."""
        if self.loaded_from is None or cutoff <= self.loaded_from:
            return 0
        gone = [sid for sid, story in self.stories.items() if story.last_seen < cutoff]
        for story_id in gone:
            self.remove(story_id)
        self.loaded_from = cutoff
        return len(gone)
