"""The open stories' term index: candidates ranked by hits, then id, within the cutoff."""

from __future__ import annotations

import random

from monitor.store.story_index import IndexedStory, TermIndex


def _reference(index: TermIndex, probes: list[str], cutoff: str, limit: int) -> list[tuple[str, int]]:
    hits: dict[str, int] = {}
    for term in probes:
        for story_id in index.by_term.get(term, []):
            hits[story_id] = hits.get(story_id, 0) + 1
    ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(sid, n) for sid, n in ranked if index.stories[sid].last_seen >= cutoff][:limit]


def test_candidates_are_the_most_hits_then_lowest_id_within_the_cutoff() -> None:
    rng = random.Random(3)
    terms = [f"t{i}" for i in range(30)]
    for _ in range(200):
        index = TermIndex()
        for s in range(rng.randint(0, 40)):
            index.put(f"s{s}", IndexedStory(1, f"{rng.randint(0, 9)}", None, tuple(rng.sample(terms, 6))))
        probes = rng.sample(terms, 12)
        cutoff = str(rng.randint(0, 9))
        for limit in (1, 3, 8, 50):
            rows = index.candidates(probes, cutoff, limit)
            assert [(sid, n) for sid, n, *_ in rows] == _reference(index, probes, cutoff, limit)
