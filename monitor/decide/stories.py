"""Stories: the articles, from any outlet, that report one event. Pure: token lists, document
frequencies, candidate stories and clocks are passed in.

    story_terms(title_tokens, text_tokens) -> Terms     what an article says, as comparable terms
    story_features(terms, df, n_docs) -> Features       those terms weighted by rarity (unit vector)
    cosine(a, b) -> float                               similarity of two weighted vectors
    assign(features, candidates, at=, ...) -> Choice     join the most similar story in the window, or none
    merge_centroid(...)                                  a story's vector after a member joins
    MemoryStoryIndex                                     the whole thing in memory (monitor check, evaluation)

How it decides. An article becomes a vector of terms: its normalised words without proclitics (so
والعراق and العراق are one term), light-stemmed (the feminine, plural and nisba endings fold, so
الإيرانية and إيران are one term), numbers kept as they are (a death toll, a year, a score), and adjacent
pairs of the title's words (names are mostly two words: ينس ستولتنبرغ). Each term is weighted by
log(1 + count) times its rarity (idf = log((N + 1) / (df + 1)) + 1 over the stored articles), title words
count TITLE_WEIGHT times; so the names, places and figures that make an event dominate and the words every
article uses weigh nearly nothing. A story's vector is the running mean of its members' vectors, cut to
its CENTROID_TERMS heaviest terms.

A new article is compared (cosine) with every story whose last member is at most `window` older, with
its mean vector and with its RECENT_MEMBERS latest members, taking the higher; the most similar joins it
if the similarity reaches `threshold` (or the pair layer, monitor/decide/story_pairs.py, a logistic
regression over the cosines, shared names and figures, days apart, size and lead over the next candidate,
gives it JOIN_PROBABILITY), else the article starts a story. A near-copy joins its original's story
whatever the score. When the article also reaches MERGE_THRESHOLD (or MERGE_PROBABILITY) with other
stories of the window, it bridges them: they are merged into the one it joined.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from operator import ge, itemgetter, mul

from monitor.decide.story_pairs import join_probability, pair_features
from monitor.text.arabic import WORD_MEMO_SIZE, strip_clitics, tokenize

WINDOW_HOURS = 72.0  # a story is open to new members this long after its last member
THRESHOLD = 0.3  # cosine at or above which an article joins a story (tuned on the dev story set)
MERGE_THRESHOLD = 0.5  # cosine with a second story at or above which the article bridges the two
SHARED_THRESHOLD = 0.2  # the lower cosine that suffices when the article shares SHARED_TERMS salient terms
SHARED_TERMS = 5  # of the article's PROBE_TERMS heaviest terms found among the story's INDEX_TERMS
TITLE_WEIGHT = 3.0  # a title word counts this many body words: the headline names the event
BIGRAM_WEIGHT = 1.0  # a pair of adjacent title words (a name, a place) beside its two words
CENTROID_TERMS = 80  # terms kept in a story's vector: enough to hold the event, bounded in storage
INDEX_TERMS = 40  # a story's heaviest terms through which new articles find it (its candidate postings)
RECENT_MEMBERS = 3  # latest members a new article is also compared with (a story drifts as it develops)
RECENT_TERMS = 400  # heaviest terms kept of each of those members (bounds storage and comparison cost)
JOIN_PROBABILITY = 0.5  # the pair layer's probability (story_pairs.py) at which an article joins a story
MERGE_PROBABILITY = 0.7  # and at which a second story the article is close to is merged into the one joined
PROBE_TERMS = 12  # an article's heaviest terms used to find candidate stories
MAX_CANDIDATES = 8  # stories sharing most of those terms (then lowest id) that are compared in full
TEXT_WORDS = 100  # body words read: the lead holds the event, long tails add background
TEXT_CHARS = TEXT_WORDS * 12  # characters of the body normalised to find them (Arabic words average ~6)
MIN_TERM = 2  # shortest term (letters or digits)
_SUFFIXES = ("يين", "يون", "يه", "ين", "ون", "ات", "ان", "ي", "ه")  # longest first
_MIN_STEM = 3


@dataclass(frozen=True)
class Terms:
    """An article's terms and how often each occurs (title occurrences already weighted up)."""

    counts: Mapping[str, float]

    @property
    def unique(self) -> frozenset[str]:
        return frozenset(self.counts)


@dataclass(frozen=True)
class Features:
    """Unit vector over terms."""

    weights: Mapping[str, float]

    @cached_property
    def ranked(self) -> list[tuple[str, float]]:
        """(term, weight), heaviest first (ties by term): sorted once for the probes, the member vector and
        the first centroid."""
        return _heaviest_first(self.weights.items())

    def top(self, n: int) -> list[str]:
        return [t for t, _ in self.ranked[:n]]


@dataclass(frozen=True)
class StoryCandidate:
    """A story open in the window, as the assignment needs it."""

    story_id: str
    centroid: Mapping[str, float]
    size: int
    last_seen: datetime
    recent: tuple[Mapping[str, float], ...] = ()  # the vectors of its latest members (RECENT_MEMBERS)
    shared: int = 0  # the article's PROBE_TERMS heaviest terms that are among the story's INDEX_TERMS
    # True when it has one recent member and the centroid's terms are among that member's (a story of one
    # article: both cut from its ranking), so one intersection with the member gives the centroid's too
    nested: bool = False


@dataclass(frozen=True)
class Choice:
    story_id: str | None  # the story joined; None when the article starts one
    similarity: float  # with the story joined (or the most similar story, when it starts one)
    merged: tuple[str, ...] = ()  # other stories the article bridges: merged into story_id
    reason: str = "new"  # "similar", "near_copy" or "new"


def stem(term: str) -> str:
    """The term without one common ending (nisba, feminine, plural, dual), keeping at least three letters."""
    if term.isdigit():
        return term
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= _MIN_STEM:
            return term[: -len(suffix)]
    return term


_BY_TERM = itemgetter(0)
_BY_WEIGHT = itemgetter(1)


def _heaviest_first(items: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """sorted(items, key=lambda kv: (-kv[1], kv[0])), with the keys compared in C: by term, then by weight
    descending (a stable sort keeps equal weights in term order)."""
    ranked = sorted(items, key=_BY_TERM)
    ranked.sort(key=_BY_WEIGHT, reverse=True)
    return ranked


# stem of a token without its proclitics (a key, as the text work makes them for the whole text: analysis.py)
_stem_of_key = lru_cache(maxsize=WORD_MEMO_SIZE)(stem)


def _term(token: str) -> str:
    return _stem_of_key(strip_clitics(token))  # strip_clitics has its own memo (monitor.text.arabic)


def _terms_of(tokens: Iterable[str], term_of: Callable[[str], str] = _term) -> list[str]:
    return [t for t in map(term_of, tokens) if len(t) >= MIN_TERM]


def story_terms(title_tokens: Sequence[str], text_tokens: Sequence[str],
                text_keys: Sequence[str] | None = None) -> Terms:
    """The terms of an article from its normalised tokens (monitor.text.arabic.tokenize of title and text).
    text_keys: strip_clitics of each text token, when already made (the same terms, without redoing it)."""
    counts: dict[str, float] = {}
    title = _terms_of(title_tokens)
    for term in title:
        counts[term] = counts.get(term, 0.0) + TITLE_WEIGHT
    for a, b in itertools.pairwise(title):
        counts[f"{a}_{b}"] = counts.get(f"{a}_{b}", 0.0) + BIGRAM_WEIGHT
    body = (_terms_of(text_tokens[:TEXT_WORDS]) if text_keys is None
            else _terms_of(text_keys[:TEXT_WORDS], _stem_of_key))
    for term in body:
        counts[term] = counts.get(term, 0.0) + 1.0
    return Terms(counts)


def terms_of_text(title: str, text: str) -> Terms:
    """story_terms of raw title and text (normalises them once, and only the text's lead that is read)."""
    return story_terms(tokenize(title), tokenize(text[:TEXT_CHARS]))


def idf(df: int, n_docs: int) -> float:
    return math.log((n_docs + 1) / (df + 1)) + 1.0


def story_features(terms: Terms, df: Mapping[str, int], n_docs: int) -> Features:
    """The terms weighted by log(1 + count) * idf, as a unit vector. df: stored articles holding each term
    (a term missing from df is taken as new: the rarest); n_docs: stored articles."""
    # idf inlined (the same operations in the same order), once per distinct frequency: most terms of an
    # article share a few (new terms 0, rare ones 1 or 2)
    docs, count_of, log, log1p = n_docs + 1, df.get, math.log, math.log1p
    rarity: dict[int, float] = {}
    raw = {}
    for t, c in terms.counts.items():
        n = count_of(t, 0)
        r = rarity.get(n)
        if r is None:
            r = rarity[n] = log(docs / (n + 1)) + 1.0
        raw[t] = log1p(c) * r
    return Features(_unit(raw))


def _unit(raw: Mapping[str, float]) -> dict[str, float]:
    weights = raw.values()
    norm = math.sqrt(sum(map(mul, weights, weights)))  # the same squares summed in the same order, in C
    return {t: w / norm for t, w in raw.items()} if norm else {}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    return _dot(a, b, a.keys() & b.keys())


def _dot(a: Mapping[str, float], b: Mapping[str, float], shared: AbstractSet[str]) -> float:
    # Over the shared terms only (found in C; usually a few), summed exactly so the order of the set, which
    # varies between processes, never changes the last digit and so a decision at the threshold.
    # (a list, not a generator: one frame run through instead of one resumed per product; the same values)
    return math.fsum([a[t] * b[t] for t in shared])


def merge_centroid(centroid: Mapping[str, float], size: int, other: Mapping[str, float], other_size: int = 1
                   ) -> dict[str, float]:
    """The mean of a story's vector (over `size` members) and another (over `other_size`), cut to its
    CENTROID_TERMS heaviest terms and made a unit vector again."""
    total = size + other_size
    mean = {t: w * size / total for t, w in centroid.items()}
    held = mean.get
    for t, w in other.items():
        mean[t] = held(t, 0.0) + w * other_size / total
    return _rounded_unit(_heaviest_first(mean.items())[:CENTROID_TERMS])


_NEAR_HALF = 0.5 - 1e-6  # far beyond the product's rounding error (< 1e-8 for the values the fast path takes)


def round_all(values: Sequence[float], places: int) -> list[float]:
    """[round(v, places) for v in values], bit for bit, ~3 times cheaper: round() goes through a decimal
    string and back. Here y = v * 10**places (within 1e-8 of the exact product for 0 < v < 100) lies less
    than 0.5 - 1e-6 from the whole number r, so r is also the nearest to the exact product: the decimal
    round() picks (never a tie). r / 10**places is then the double nearest to that decimal, as round()'s
    conversion back gives (r and 10**places are exact doubles; the division is correctly rounded). Other
    values (near a half, below 0.5 * 10**-places, negative, NaN) go to round() itself."""
    scale = 10.0**places
    out = []
    for v in values:
        y = v * scale
        r = (y + 0.5) // 1.0 if 0.0 < v < 100.0 else 0.0  # float floor: exact, cheaper than round(y)
        out.append(r / scale if r and -_NEAR_HALF < y - r < _NEAR_HALF else round(v, places))
    return out


def _rounded_unit(kept: Sequence[tuple[str, float]]) -> dict[str, float]:
    """The kept (term, weight) pairs as a unit vector (_unit's norm: the weights squared and summed in
    their order), weights to 6 places: what a story's vector stores."""
    norm = math.sqrt(sum([w * w for _, w in kept]))  # a list: the same squares in the same order, no generator
    if not norm:
        return {}
    return dict(zip(map(_BY_TERM, kept), round_all([w / norm for _, w in kept], 6), strict=True))


def index_terms(centroid: Mapping[str, float]) -> list[str]:
    """The terms a story is found by: its INDEX_TERMS heaviest (ties by term)."""
    weights = list(centroid.values())
    if not all(map(ge, weights, itertools.islice(weights, 1, None))):
        return [t for t, _ in _heaviest_first(centroid.items())[:INDEX_TERMS]]
    # Already heaviest first (a vector as merge_centroid leaves it): only terms of equal weight may need
    # reordering, so the first INDEX_TERMS and the rest of the last one's weight are ranked alone.
    end = min(INDEX_TERMS, len(weights))
    while 0 < end < len(weights) and weights[end] == weights[end - 1]:
        end += 1
    return [t for t, _ in _heaviest_first(itertools.islice(centroid.items(), end))[:INDEX_TERMS]]


def member_vector(features: Features) -> dict[str, float]:
    """What a story keeps of a recent member to compare new articles with: its RECENT_TERMS heaviest terms,
    weights to 4 places (what is stored: the same in memory and in the database)."""
    kept = features.ranked[:RECENT_TERMS]
    return dict(zip(map(_BY_TERM, kept), round_all(list(map(_BY_WEIGHT, kept)), 4), strict=True))


def initial_centroid(features: Features) -> dict[str, float]:
    """merge_centroid({}, 0, features.weights, 1), from the ranking already made: the mean of one vector is
    that vector, so only the cut, the norm (summed in the same order) and the rounding remain."""
    return _rounded_unit(features.ranked[:CENTROID_TERMS])


def pair_values(features: Features, candidates: Sequence[StoryCandidate], at: datetime) -> list[list[float]]:
    """What the pair layer (monitor/decide/story_pairs.py) reads of the article and each candidate."""
    if not candidates:
        return []
    weights = features.weights
    terms = weights.keys()
    names = {t for t in terms if "_" in t}
    numbers = {t for t in terms if t.isdigit()}
    cosines = []
    shared_names_numbers = []
    for c in candidates:
        # The terms shared with each of the story's vectors give both the cosines and the names and figures
        # in common (story_pairs.names_and_numbers over the article's terms, without intersecting again).
        if c.nested:
            # the article's terms among the centroid's are those among the member's that the centroid holds:
            # the same set, found from the few shared terms instead of the centroid's ~80
            found = terms & c.recent[0].keys()
            with_centroid = _dot(weights, c.centroid, found & c.centroid.keys())
            members = [_dot(weights, c.recent[0], found)]
        else:
            found = terms & c.centroid.keys()
            with_centroid = _dot(weights, c.centroid, found)
            members = []
            for m in c.recent:
                with_member = terms & m.keys()
                members.append(_dot(weights, m, with_member))
                found |= with_member
        cosines.append((with_centroid, max(members, default=0.0)))
        shared_names_numbers.append((len(names & found), len(numbers & found)))
    # the similarity with a story: with its mean vector or its closest recent member, whichever is higher (a
    # story drifts as it develops: the latest reports say what the next one will)
    scores = [max(cc) for cc in cosines]
    # the best other candidate's score: the best score for all but the best, and the second for it
    ranked = sorted(scores, reverse=True)
    best_at = scores.index(ranked[0]) if scores else -1
    second = ranked[1] if len(ranked) > 1 else 0.0
    out = []
    for i, c in enumerate(candidates):
        rival = second if i == best_at else ranked[0]
        out.append(pair_features(*cosines[i], c.shared / PROBE_TERMS, *shared_names_numbers[i],
                                 (at - c.last_seen).total_seconds() / 3600, c.size, scores[i] - rival))
    return out


def assign(
    features: Features,
    candidates: Iterable[StoryCandidate],
    *,
    at: datetime,
    window: timedelta = timedelta(hours=WINDOW_HOURS),
    threshold: float = THRESHOLD,
    merge_threshold: float = MERGE_THRESHOLD,
    shared_threshold: float = SHARED_THRESHOLD,
    shared_terms: int = SHARED_TERMS,
    join_probability_at: float = JOIN_PROBABILITY,
    merge_probability_at: float = MERGE_PROBABILITY,
    near_copy_story: str | None = None,
) -> Choice:
    """The story an article seen `at` joins. near_copy_story: the story of the article it copies, if any.
    A story is joined at `threshold`, or at `shared_threshold` when `shared_terms` of the article's heaviest
    terms are among the story's (a developing story: the same names, places and figures, other words), or
    when the pair layer gives it `join_probability_at`; the most similar joinable story is joined. Other
    stories reaching `merge_threshold` or `merge_probability_at` are bridged (merged into it)."""
    open_stories = [c for c in candidates if at - c.last_seen <= window]
    values = pair_values(features, open_stories, at)
    # (similarity, story id, shared terms, pair probability), most similar first (ties by id)
    scored = sorted(((max(v[0], v[1]), c.story_id, c.shared, join_probability(v))
                     for c, v in zip(open_stories, values, strict=True)), key=_BY_STORY)
    scored.sort(key=_BY_SIMILARITY, reverse=True)
    joinable = [(s, sid) for s, sid, shared, likely in scored if s >= threshold
                or (s >= shared_threshold and shared >= shared_terms) or likely >= join_probability_at]
    bridge = [sid for s, sid, _, likely in scored if s >= merge_threshold or likely >= merge_probability_at]
    if near_copy_story is not None:
        best = next((s for s, sid, *_ in scored if sid == near_copy_story), 1.0)
        return Choice(near_copy_story, best, tuple(sid for sid in bridge if sid != near_copy_story), "near_copy")
    if not joinable:
        return Choice(None, scored[0][0] if scored else 0.0)
    best, joined = joinable[0]
    return Choice(joined, best, tuple(sid for sid in bridge if sid != joined), "similar")


_BY_SIMILARITY = itemgetter(0)
_BY_STORY = itemgetter(1)


@dataclass
class _Story:
    story_id: str
    first_article_id: str
    centroid: dict[str, float]
    members: list[str]
    recent: list[Mapping[str, float]]
    first_seen: datetime
    last_seen: datetime


@dataclass
class MemoryStoryIndex:
    """Stories held in memory: document frequencies, open stories and their term postings."""

    window: timedelta = timedelta(hours=WINDOW_HOURS)
    threshold: float = THRESHOLD
    merge_threshold: float = MERGE_THRESHOLD
    join_probability: float = JOIN_PROBABILITY
    merge_probability: float = MERGE_PROBABILITY
    df: Counter[str] = field(default_factory=Counter)
    n_docs: int = 0
    stories: dict[str, _Story] = field(default_factory=dict)
    story_of: dict[str, str] = field(default_factory=dict)  # article id -> story id
    _postings: dict[str, set[str]] = field(default_factory=dict)

    def features(self, terms: Terms) -> Features:
        return story_features(terms, self.df, self.n_docs)

    def candidates(self, features: Features, at: datetime) -> list[StoryCandidate]:
        """The stories of the window sharing most of the article's probe terms (as the store picks them)."""
        hits: Counter[str] = Counter()
        for term in features.top(PROBE_TERMS):
            for sid in self._postings.get(term, ()):
                if at - self.stories[sid].last_seen <= self.window:
                    hits[sid] += 1
        best = sorted(hits, key=lambda sid: (-hits[sid], sid))[:MAX_CANDIDATES]
        return [StoryCandidate(sid, s.centroid, len(s.members), s.last_seen, tuple(s.recent), hits[sid])
                for sid, s in ((sid, self.stories[sid]) for sid in best)]

    def choose(self, terms: Terms, at: datetime, near_copy_of: str | None = None) -> tuple[Features, Choice]:
        features = self.features(terms)
        near = self.story_of.get(near_copy_of) if near_copy_of else None
        choice = assign(features, self.candidates(features, at), at=at, window=self.window,
                        threshold=self.threshold, merge_threshold=self.merge_threshold,
                        join_probability_at=self.join_probability, merge_probability_at=self.merge_probability,
                        near_copy_story=near)
        return features, choice

    def add(self, article_id: str, terms: Terms, at: datetime, near_copy_of: str | None = None) -> Choice:
        """Place an article in a story and remember it. The story id is its first article's id."""
        features, choice = self.choose(terms, at, near_copy_of)
        if choice.story_id is None:
            story = _Story(article_id, article_id, initial_centroid(features), [article_id], [], at, at)
            self.stories[article_id] = story
        else:
            story = self.stories[choice.story_id]
            self._unpost(story)
            story.centroid = merge_centroid(story.centroid, len(story.members), features.weights)
            story.members.append(article_id)
            story.last_seen = max(story.last_seen, at)
            for other_id in choice.merged:
                other = self.stories.pop(other_id)
                story.centroid = merge_centroid(story.centroid, len(story.members), other.centroid, len(other.members))
                story.members.extend(other.members)
                story.first_seen = min(story.first_seen, other.first_seen)
                story.last_seen = max(story.last_seen, other.last_seen)
                for member in other.members:
                    self.story_of[member] = story.story_id
                self._unpost(other)
        story.recent = [*story.recent, member_vector(features)][-RECENT_MEMBERS:]
        self.story_of[article_id] = story.story_id
        for term in index_terms(story.centroid):
            self._postings.setdefault(term, set()).add(story.story_id)
        self.n_docs += 1
        self.df.update(terms.unique)
        return choice

    def _unpost(self, story: _Story) -> None:
        for term in story.centroid:
            self._postings.get(term, set()).discard(story.story_id)
