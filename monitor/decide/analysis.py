"""Everything about an article that depends on its text alone, computed once: (title, text, topics) -> Analysis.

Runs where the cores are (the extraction worker processes, monitor/extract.py), so the main process is left
with what needs the database: the near-copy lookup of the fingerprint, the one transaction. The text is
normalised and tokenised once for the near-copy fingerprint, the search index and the story terms (their terms are the
same clitic-stripped tokens), and the matched document once for every topic. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.decide.near_copies import Fingerprint, fingerprint_of_words
from monitor.decide.stories import Terms, story_terms
from monitor.decide.topics import match_prepared, prepare
from monitor.models import TopicResult
from monitor.settings.topics import Topic
from monitor.text.arabic import index_terms, strip_clitics, tokenize


@dataclass(frozen=True)
class Analysis:
    """The compact result of one article's text work (what a worker process sends back)."""

    fingerprint: Fingerprint
    topics: tuple[TopicResult, ...]  # one per configured topic, in config order
    title_terms: str  # the search index's terms, space-separated (store/search.py)
    body_terms: str
    story_terms: Terms | None = None  # the story assignment's terms (decide/stories.py)


def analyse(title: str, text: str, topics: Sequence[Topic]) -> Analysis:
    words = tokenize(text)
    keys = [strip_clitics(word) for word in words]
    prepared = prepare(title, text)
    return Analysis(
        fingerprint=fingerprint_of_words(words, keys),
        topics=tuple(match_prepared(topic, prepared) for topic in topics),
        title_terms=" ".join(index_terms(title)),
        body_terms=" ".join(keys),
        story_terms=story_terms(tokenize(title), words, keys),
    )
