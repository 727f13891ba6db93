"""Topic rules matched against an article, with the match explained. The rules are parsed in settings/topics.py.

    match_topic(topic: Topic, title: str, text: str) -> TopicResult
        Evidence offsets point into matched_document(title, text) == title + "\n\n" + text.
Pure: no I/O.

The rule language (docs/topics.md) follows the Europe Media Monitor's: term groups, a required
combination of groups that must occur near each other, phrases that neutralise a term, exclusions,
weights and a threshold. A "unit" is one sentence in which every required group is mentioned within
`proximity` tokens (or, at a lower weight, with the partner in a neighbouring sentence of the same
paragraph). The score is the sum of the units' weights plus the weights of the other groups present in
them, so one passing mention scores low and a paragraph that is about the combination scores high.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.models import Evidence, TopicResult
from monitor.settings.topics import Term, Topic
from monitor.text.arabic import clitic_readings, iter_tokens, normalize, normalize_with_offsets

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
_MAX_EVIDENCE = 24
_SENTENCE_CHARS = 300


# ---------------------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Doc:
    """An article tokenised once: normalised tokens with their sentence, paragraph and source offsets."""

    source: str
    tokens: tuple[str, ...]
    variants: tuple[tuple[str, ...], ...]  # each token read with and without its proclitics
    spans: tuple[tuple[int, int], ...]  # token -> (start, end) in source
    sentence_of: tuple[int, ...]
    paragraph_of: tuple[int, ...]
    sentences: tuple[tuple[int, int], ...]  # sentence -> (start, end) in source


@dataclass(frozen=True)
class _Mention:
    group: str  # group name, or "" for ignore/exclude phrases
    term: Term
    first: int  # token index
    last: int  # token index, inclusive


def matched_document(title: str, text: str) -> str:
    """The string a topic is matched on; Evidence.start offsets point into it."""
    return f"{title}\n\n{text}" if title else text


def _analyse(source: str, norm: str, offsets: list[int], toks: list[tuple[str, int, int]]) -> _Doc:
    """The _Doc of `source`, given normalize_with_offsets(source) and the iter_tokens of its text."""
    # Sentence and paragraph boundaries, found on the normalised text (، ؟ are ASCII there).
    sentence_starts = [0] + [m.end() for m in _SENTENCE_END.finditer(norm)]
    paragraph_starts = [0] + [m.end() for m in re.finditer(r"\n", norm)]
    sentence_of: list[int] = []
    paragraph_of: list[int] = []
    si = pi = 0
    for _, start, _ in toks:
        while si + 1 < len(sentence_starts) and sentence_starts[si + 1] <= start:
            si += 1
        while pi + 1 < len(paragraph_starts) and paragraph_starts[pi + 1] <= start:
            pi += 1
        sentence_of.append(si)
        paragraph_of.append(pi)
    bounds = [*sentence_starts, len(norm)]

    def src(pos: int) -> int:
        return offsets[pos] if pos < len(offsets) else len(source)

    sentences = tuple((src(bounds[i]), src(bounds[i + 1])) for i in range(len(sentence_starts)))
    return _Doc(
        source=source,
        tokens=tuple(t for t, _, _ in toks),
        variants=tuple(clitic_readings(t) for t, _, _ in toks),
        spans=tuple((src(s), offsets[e - 1] + 1) for _, s, e in toks),
        sentence_of=tuple(sentence_of),
        paragraph_of=tuple(paragraph_of),
        sentences=sentences,
    )


def _bare(word: str) -> str:
    """A configured word without its article: الناتو also matches ناتو, والناتو, للناتو."""
    return word[2:] if word.startswith("ال") and len(word) > 3 else word


def _token_matches(pattern: str, variants: tuple[str, ...]) -> bool:
    if pattern.endswith("*"):
        stem = pattern[:-1]
        bare = _bare(stem)
        return any(v.startswith(stem) or v.startswith(bare) for v in variants)
    return pattern in variants or _bare(pattern) in variants


class _TermIndex:
    """Terms indexed by the readings of their first word (exact words, and prefixes for "x*" words), so
    matching looks each token up once instead of trying every term at every position."""

    _CACHE_LIMIT = 65536

    def __init__(self, terms: tuple[Term, ...]) -> None:
        exact: dict[str, list[Term]] = {}
        prefix: dict[str, list[Term]] = {}
        for term in terms:
            first = term.tokens[0]
            table = prefix if first.endswith("*") else exact
            word = first.rstrip("*")
            for key in {word, _bare(word)}:
                table.setdefault(key, []).append(term)
        self._exact = {k: tuple(v) for k, v in exact.items()}
        self._prefix = {k: tuple(v) for k, v in prefix.items()}
        self._candidates: dict[tuple[str, ...], tuple[Term, ...]] = {}
        # Candidates in config order, not set order: when two terms match the same words, the evidence
        # names the same one in every process (set order changes with the hash seed).
        self._rank = {term: i for i, term in enumerate(terms)}

    def candidates(self, variants: tuple[str, ...]) -> tuple[Term, ...]:
        """The terms whose first word can match a token with these readings (memoised: news reuses its words)."""
        hit = self._candidates.get(variants)
        if hit is None:
            found: set[Term] = set()
            for v in variants:
                found.update(self._exact.get(v, ()))
                if self._prefix:
                    for end in range(1, len(v) + 1):
                        found.update(self._prefix.get(v[:end], ()))
            hit = tuple(sorted(found, key=self._rank.__getitem__))
            if len(self._candidates) >= self._CACHE_LIMIT:
                self._candidates.clear()
            self._candidates[variants] = hit
        return hit


@lru_cache(maxsize=256)
def _compile(terms: tuple[Term, ...]) -> _TermIndex:
    return _TermIndex(terms)


def _find(doc: _Doc, group: str, terms: tuple[Term, ...]) -> list[_Mention]:
    if not terms:
        return []
    index = _compile(terms)
    found: list[_Mention] = []
    n = len(doc.tokens)
    for i, variants in enumerate(doc.variants):
        for term in index.candidates(variants):
            k = len(term.tokens)
            if i + k <= n and all(_token_matches(term.tokens[j], doc.variants[i + j]) for j in range(k)):
                found.append(_Mention(group, term, i, i + k - 1))
    return found


@lru_cache(maxsize=256)
def _openers(topic: Topic) -> _TermIndex:
    """Every term that can produce a mention or an exclusion hit by itself: the groups' terms and the
    exclusions (refer terms count only after a group term; ignore phrases only mask mentions)."""
    return _TermIndex(tuple(t for g in topic.groups for t in g.terms) + topic.exclude)


def _may_mention(topic: Topic, toks: list[tuple[str, int, int]]) -> bool:
    """False when no group term and no exclusion can start at any of these tokens, so _mentions would find
    nothing. Looks up only the distinct words, before _analyse builds readings, spans and sentences."""
    index = _openers(topic)
    return any(index.candidates(clitic_readings(word)) for word in {word for word, _, _ in toks})


def _keep_longest(mentions: list[_Mention]) -> list[_Mention]:
    """Drop a mention inside a longer one of the same group (حلف شمال الاطلسي, not also الاطلسي)."""
    mentions.sort(key=lambda m: (m.first, -(m.last - m.first)))
    kept: list[_Mention] = []
    for m in mentions:
        if kept and kept[-1].group == m.group and m.last <= kept[-1].last:
            continue
        kept.append(m)
    return kept


def _mentions(topic: Topic, doc: _Doc) -> tuple[list[_Mention], list[_Mention]]:
    """Group mentions (minus those inside an ignore phrase), and exclusion hits."""
    masked: set[int] = set()
    for m in _find(doc, "", topic.ignore):
        masked.update(range(m.first, m.last + 1))
    mentions: list[_Mention] = []
    for group in topic.groups:
        explicit = [m for m in _find(doc, group.name, group.terms) if not masked & set(range(m.first, m.last + 1))]
        if explicit and group.refer:
            first = min(m.first for m in explicit)
            explicit += [
                m
                for m in _find(doc, group.name, group.refer)
                if m.first > first and not masked & set(range(m.first, m.last + 1))
            ]
        mentions.extend(_keep_longest(explicit))
    excluded = [m for m in _find(doc, "", topic.exclude) if not masked & set(range(m.first, m.last + 1))]
    return mentions, excluded


def _gap(a: _Mention, b: _Mention) -> int:
    """Words between two mentions (0 when they touch or overlap)."""
    return max(0, b.first - a.last - 1, a.first - b.last - 1)


@dataclass(frozen=True)
class _Unit:
    sentence: int
    score: float
    kind: str  # "title", "sentence" or "neighbour"
    mentions: tuple[_Mention, ...]


def _units(topic: Topic, doc: _Doc, mentions: list[_Mention], title_sentences: int) -> list[_Unit]:
    by_group: dict[str, list[_Mention]] = {}
    for m in mentions:
        by_group.setdefault(m.group, []).append(m)
    weights = {g.name: g.weight for g in topic.groups}
    anchor, *partners = topic.require
    best: dict[int, _Unit] = {}
    for a in by_group.get(anchor, []):
        s = doc.sentence_of[a.first]
        chosen: list[_Mention] = [a]
        same_sentence = True
        for g in partners:
            near = [
                m
                for m in by_group.get(g, [])
                if doc.paragraph_of[m.first] == doc.paragraph_of[a.first]
                and _gap(m, a) <= topic.proximity
                and abs(doc.sentence_of[m.first] - s) <= 1
            ]
            if not near:
                break
            near.sort(key=lambda m: (doc.sentence_of[m.first] != s, abs(m.first - a.first)))
            chosen.append(near[0])
            same_sentence = same_sentence and doc.sentence_of[near[0].first] == s
        else:
            kind = "title" if s < title_sentences else ("sentence" if same_sentence else "neighbour")
            base = {"title": topic.title_weight, "sentence": topic.sentence_weight}.get(kind, topic.neighbour_weight)
            # A bonus word counts only next to the pair: run-on sentences joined by commas are common in
            # Arabic news, and a "mission" forty words away is usually about something else.
            boosts = [
                m
                for m in mentions
                if m.group not in topic.require
                and weights[m.group] > 0
                and any(_gap(m, c) <= topic.boost_proximity for c in chosen)
            ]
            boost_groups = {m.group for m in boosts}
            score = base + sum(weights[g] for g in topic.require) + sum(weights[g] for g in boost_groups)
            unit = _Unit(s, score, kind, tuple(chosen + boosts))
            if s not in best or unit.score > best[s].score:
                best[s] = unit
    return sorted(best.values(), key=lambda u: u.sentence)


def _evidence(doc: _Doc, m: _Mention) -> Evidence:
    start = doc.spans[m.first][0]
    end = doc.spans[m.last][1]
    s_start, s_end = doc.sentences[doc.sentence_of[m.first]]
    sentence = " ".join(doc.source[s_start:s_end].split())
    if len(sentence) > _SENTENCE_CHARS:
        sentence = sentence[: _SENTENCE_CHARS - 1] + "…"
    return Evidence(group=m.group, term=m.term.text, matched=doc.source[start:end], start=start, sentence=sentence)


def match_topic(topic: Topic, title: str, text: str) -> TopicResult:
    """Decide whether an article is about `topic`, with the evidence and a one-line reason."""
    source = matched_document(title, text)
    norm, offsets = normalize_with_offsets(source)
    toks = iter_tokens(norm)
    if not _may_mention(topic, toks):
        # Most articles: the full path below would find no mention and no exclusion, hence no unit, score 0
        # (the int of an empty sum, as below) and no evidence. Same result, without analysing the article.
        return TopicResult(topic.name, False, 0, topic.threshold, (), _apart(topic, []))
    doc = _analyse(source, norm, offsets, toks)
    title_tokens = len(iter_tokens(normalize(title)))
    title_sentences = doc.sentence_of[title_tokens - 1] + 1 if title_tokens else 0
    mentions, excluded = _mentions(topic, doc)
    units = _units(topic, doc, mentions, title_sentences)
    score = sum(u.score for u in units)
    required = " + ".join(topic.require)

    if excluded:
        m = excluded[0]
        ev = _evidence(doc, m)
        reason = f"excluded: {m.term.text!r} at {ev.start}"
        return TopicResult(topic.name, False, score, topic.threshold, (ev,), reason)

    evidence: list[Evidence] = []
    seen: set[tuple[str, int]] = set()
    for unit in sorted(units, key=lambda u: (-u.score, u.sentence)):
        for m in unit.mentions:
            if (m.group, m.first) not in seen and len(evidence) < _MAX_EVIDENCE:
                seen.add((m.group, m.first))
                evidence.append(_evidence(doc, m))
    if not units:
        # Nothing co-occurred: show where each group was seen, so the user can see what is missing.
        for group in topic.groups:
            for m in [m for m in mentions if m.group == group.name][:3]:
                evidence.append(_evidence(doc, m))
    evidence.sort(key=lambda e: e.start)

    matched = score >= topic.threshold
    if units:
        kinds = ", ".join(
            f"{sum(u.kind == k for u in units)} {k}"
            for k in ("title", "sentence", "neighbour")
            if any(u.kind == k for u in units)
        )
        verdict = "match" if matched else "no match"
        op = ">=" if matched else "<"
        reason = f"{verdict}: score {score:.2f} {op} {topic.threshold:g}; {required} together in {kinds}"
    else:
        reason = _apart(topic, mentions)
    return TopicResult(topic.name, matched, score, topic.threshold, tuple(evidence), reason)


def _apart(topic: Topic, mentions: list[_Mention]) -> str:
    """The reason when no unit formed: the required groups never came together."""
    counts = ", ".join(f"{g}: {sum(m.group == g for m in mentions)}" for g in topic.require)
    required = " + ".join(topic.require)
    return f"no match: {required} never within {topic.proximity} words of each other ({counts} mentions)"
