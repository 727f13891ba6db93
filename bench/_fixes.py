"""Proposed speed-ups for monitor/core/arabic.py, measured by `pipeline_throughput.py --try-fixes`.

The benchmark owner does not edit monitor/; these are drop-in replacements the lead can move into
monitor/core/arabic.py. `install()` first proves each one returns exactly what the current function
returns on every text of the benchmark (titles, texts, extracted pages), then swaps them in by
monkeypatching the modules that imported the originals by name.

Why they are faster: the current normalisation runs a Python function per character (NFKC of the whole
text, then `_char` for each character), three times per article (near-copy fingerprint, search index,
topic matching). str.translate does the same per-character drop/map in C; normalisation with offsets needs
the per-character loop only when a character expands to more than one (never in real Arabic news).
clitic_variants is called once per token per article, with the same few thousand distinct tokens.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from monitor.adapters import search
from monitor.core import arabic, topics

_TABLE: dict[int, str | None] = {ord(c): None for c in arabic._DROP}
_TABLE.update({ord(k): v for k, v in arabic._MAP.items()})


def _once(text: str) -> str:
    # same order as arabic._once: NFKC, then drop/map each character, then casefold (context-free per character)
    return unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()


def normalize(text: str) -> str:
    for _ in range(4):
        out = _once(text)
        if out == text:
            break
        text = out
    return text


@lru_cache(maxsize=65536)
def _char_out(c: str) -> str:
    return "".join(arabic._char(d) for d in unicodedata.normalize("NFKC", c))


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    table: dict[int, str] = {}
    simple = True
    for c in set(text):
        out = _char_out(c)
        if out != c:
            table[ord(c)] = out
            simple = simple and len(out) <= 1
    if not simple:  # a character expands (ligatures, some Latin): keep the exact per-character path
        exact: tuple[str, list[int]] = _original_with_offsets(text)
        return exact
    dropped = {chr(k) for k, v in table.items() if v == ""}
    offsets = [i for i, c in enumerate(text) if c not in dropped] if dropped else list(range(len(text)))
    return text.translate(table), offsets


@lru_cache(maxsize=65536)
def _variants(token: str) -> tuple[str, ...]:
    return tuple(_original_variants(token))


def clitic_variants(token: str) -> list[str]:
    return list(_variants(token))


_CANDIDATES: dict[tuple[int, tuple[str, ...]], tuple[topics.Term, ...]] = {}
_PINNED: dict[int, tuple[topics.Term, ...]] = {}  # keeps every cached term tuple alive, so its id stays unique


def _candidates(terms: tuple[topics.Term, ...], variants: tuple[str, ...]) -> tuple[topics.Term, ...]:
    """The terms whose first word can start at a token with these readings (what _find recomputes per token)."""
    key = (id(terms), variants)
    hit = _CANDIDATES.get(key)
    if hit is None:
        _PINNED[id(terms)] = terms
        exact, prefix = topics._compile(terms)
        found: set[topics.Term] = set()
        for v in variants:
            found.update(exact.get(v, ()))
            if prefix:
                for end in range(1, len(v) + 1):
                    found.update(prefix.get(v[:end], ()))
        hit = tuple(found)
        if len(_CANDIDATES) > 1_000_000:
            _CANDIDATES.clear()
        _CANDIDATES[key] = hit
    return hit


def _find(doc: topics._Doc, group: str, terms: tuple[topics.Term, ...]) -> list[topics._Mention]:
    """topics._find with the per-token candidate lookup memoised (news reuses the same words all day)."""
    if not terms:
        return []
    found: list[topics._Mention] = []
    n = len(doc.tokens)
    matches = topics._token_matches
    for i, variants in enumerate(doc.variants):
        for term in _candidates(terms, variants):
            k = len(term.tokens)
            if i + k <= n and all(matches(term.tokens[j], doc.variants[i + j]) for j in range(k)):
                found.append(topics._Mention(group, term, i, i + k - 1))
    return found


_original_normalize = arabic.normalize
_original_with_offsets = arabic.normalize_with_offsets
_original_variants = arabic.clitic_variants


_SWAPS = (
    (arabic, "normalize", _original_normalize, normalize),
    (topics, "normalize", topics.normalize, normalize),
    (search, "normalize", search.normalize, normalize),
    (topics, "normalize_with_offsets", topics.normalize_with_offsets, normalize_with_offsets),
    (search, "normalize_with_offsets", search.normalize_with_offsets, normalize_with_offsets),
    (topics, "clitic_variants", topics.clitic_variants, clitic_variants),
    (topics, "_find", topics._find, _find),
)


def enable(on: bool) -> None:
    """Swap the replacements in (True) or the originals back (False)."""
    for module, name, original, replacement in _SWAPS:
        setattr(module, name, replacement if on else original)


def install(texts: Iterable[str], articles: Iterable[tuple[str, str]], rules: Iterable[topics.Topic]) -> int:
    """Check the replacements on `texts` and the topic results on `articles`, then swap them in.

    Returns how many texts and articles were checked."""
    rules = tuple(rules)
    articles = list(articles)
    before = [[topics.match_topic(t, title, text).to_json() for t in rules] for title, text in articles]
    n = 0
    for text in texts:
        assert normalize(text) == _original_normalize(text), "normalize differs"
        assert normalize_with_offsets(text) == _original_with_offsets(text), "normalize_with_offsets differs"
        for token in _original_normalize(text).split()[:50]:
            assert clitic_variants(token) == _original_variants(token), "clitic_variants differs"
        n += 1
    enable(True)
    after = [[topics.match_topic(t, title, text).to_json() for t in rules] for title, text in articles]
    assert before == after, "topic results differ with the fixes"
    return n + len(articles)
