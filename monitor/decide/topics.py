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
A pairing that is only a passing mention (decide/passing.py) scores 0 and is named in the reason. A
short item (a headline, or a title and a one- or two-sentence summary: basis()) has no more text to
judge, so one title or summary sentence pairing the required groups is a match; TopicResult.basis says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from monitor.decide.passing import acts_in_theatre, conjoined, names_theatre, passing_kind
from monitor.models import Evidence, TopicResult
from monitor.settings.topics import Term, Topic
from monitor.text.arabic import (
    MIN_BASE,
    WORD_MEMO_SIZE,
    clitic_readings,
    iter_tokens,
    normalize,
    normalize_per_char,
    normalize_with_offsets,
    normalized_tokens,
    proclitic_spellings,
    spellings_with_proclitics,
)

# Not the dot that closes a dotted acronym ("N.A.T.O. trainers", "U.S. forces": a letter after a dot).
# A bar or a bullet separates stories in a body too ("الأمين العام للناتو يحذر موسكو | انفجار عبوة ببغداد"):
# prose never puts one inside a sentence.
_SENTENCE_END = re.compile(r"(?<!\.[^\W\d_])[.!?](?=\s|$)|\n|[|•✦★●◆▪■♦]")
# In a title these also separate stories: digests join two headlines with them.
_TITLE_SEPARATOR = re.compile(r"[|;•✦★●◆▪■♦]|\s[-–—/]\s")
_LIST_MARK = re.compile(r"[,;]")
# Where a title's later part starts: a digest may name itself there.
_TITLE_PARTS = re.compile(r"\.\.+|[|•✦★●◆▪■♦]|\s[-–—/]\s")
# A title opening with one of these is a digest of several stories, not one headline.
_DIGEST_OPENERS = frozenset(
    normalize(w)
    for w in ("موجز", "نشرة", "أبرز", "عناوين", "جولة", "باختصار", "حصاد", "ملخص", "مختارات", "أهم", "تغطية")
)
# Digests named by a phrase at the title's start: a day's recap, a history column, a list of stories.
_DIGEST_PHRASES = tuple(
    normalize(p) for p in ("ما فاتك", "في مثل هذا اليوم", "اليوم في التاريخ", "حدث في مثل")
)
# A title naming a round-up of the news or the press ("شريط الأخبار", "عين على الصحف", "أخبار الصباح")
# within its first words: a digest even without an opener.
_DIGEST_NOUNS = frozenset(normalize(w) for w in ("الأخبار", "أخبار", "الصحف", "الصحافة", "المانشيتات"))
_DIGEST_NOUN_WORDS = 3
# A number word before a duration names one as well ("ستون ثانية", "خمس دقائق").
_NUMBER_WORDS = frozenset(
    normalize(w)
    for w in (
        "ثلاث", "ثلاثة", "أربع", "خمس", "ست", "سبع", "عشر", "عشرين", "ثلاثين", "ستين", "ستون", "تسعين", "تسعون",
    )
)  # fmt: skip
# A numbered item ("1- …", "2) …") starts a sentence of its own: each item of a list is one story.
_NUMBERED_ITEM = re.compile(r"(?:^|\s)\d{1,2}[-–)]\s")
# A comma after a fronted phrase of time or cause ("بعد هجوم التاجي، الناتو يراجع …") does not start
# another story in a digest title: the phrase belongs to the clause after it.
_FRONTED = frozenset(normalize(w) for w in ("بعد", "عقب", "إثر", "قبل", "رغم", "وسط", "بسبب"))
_FRONTED_WORDS = 4
# The lead's subject: the anchor among its first words (after the verb, or after the verb of saying's
# subject: "قالت منظمة معاهدة شمال الأطلسي"); the other side as where it acts, within this many words.
_SUBJECT_AT = 2
_ACTS_GAP = 12
_AT_PLACE = frozenset(normalize(w) for w in ("في", "إلى", "داخل", "قرب"))
_ON_BEHALF = frozenset(normalize(w) for w in ("باسم",))
_RELATIVE_PRONOUNS = frozenset(
    normalize(w) for w in ("الذي", "التي", "الذين", "اللذين", "اللذان", "اللتين", "اللتان", "اللواتي", "اللاتي")
)
_PLACE_WORDS = _AT_PLACE | frozenset(normalize(w) for w in ("فوق", "عبر", "قبالة", "عند"))
# How many of the partner's nearest mentions in the sentence are tried when the nearest is a passing one.
_PARTNER_CHOICES = 3
# "في ثلاث دقائق", "العالم في دقيقة": a digest named by how long it takes to read.
_DIGEST_DURATIONS = frozenset(normalize(w) for w in ("دقيقة", "دقيقتين", "دقائق", "ثانية", "ثوان", "ثواني"))
# An ignore phrase after a negation is not the label it neutralises: "ليست عضوا في الناتو" says how its
# subject stands to NATO, where "عضو في الناتو" only labels a member state.
_NEGATIONS = frozenset(normalize(w) for w in ("ليس", "ليست", "ليسوا", "ليسا", "ليستا", "لست", "لسنا"))
# A body of at most this many sentences and words is a feed summary: decided on what it says.
_SUMMARY_SENTENCES = 2
_SUMMARY_WORDS = 60
# Most words between the paired mentions for the lead sentence's extra weight (lead_weight).
_LEAD_GAP = 5
# Most words in an aside between two commas that does not start another story.
_ASIDE_WORDS = 4
_MAX_EVIDENCE = 24
# The unit kind of a side named in a short item's title and the other in its summary.
_FRAME = "title and summary"
_LEAD_FRAME = "title and lead"  # the same across a full article's title and its lead
_ACROSS = (_FRAME, _LEAD_FRAME)
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
    comma_before: tuple[bool, ...]  # token -> a comma or semicolon separates it from the previous token
    sentence_tokens: tuple[tuple[int, int], ...]  # sentence -> (first, last) token index


@dataclass(frozen=True)
class _Mention:
    group: str  # group name, or "" for ignore/exclude phrases
    term: Term
    first: int  # token index
    last: int  # token index, inclusive


def matched_document(title: str, text: str) -> str:
    """The string a topic is matched on; Evidence.start offsets point into it."""
    return f"{title}\n\n{text}" if title else text


def _analyse(
    source: str,
    norm: str,
    offsets: list[int],
    toks: list[tuple[str, int, int]],
    title_end: int = 0,
    digest: bool = False,
) -> _Doc:
    """The _Doc of `source`, given normalize_with_offsets(source) and the iter_tokens of its text; the
    title is norm[:title_end]. In a digest the title's separators also split the body: its summary lists
    the stories as the title does ("روسيا تنتقد توسع الناتو - العراق يرفع إنتاج الغاز")."""
    # Sentence and paragraph boundaries, found on the normalised text (، ؟ are ASCII there).
    ends = [m.end() for m in _SENTENCE_END.finditer(norm)]
    ends += [m.end() for m in _TITLE_SEPARATOR.finditer(norm, 0, len(norm) if digest else title_end)]
    ends += [m.start() + 1 for m in _NUMBERED_ITEM.finditer(norm) if m.start() > 0]
    sentence_starts = [0, *sorted(set(ends))]
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
    sentence_tokens: dict[int, tuple[int, int]] = {}
    for i, si in enumerate(sentence_of):
        sentence_tokens[si] = (sentence_tokens.get(si, (i, i))[0], i)
    comma_before = tuple(
        i > 0 and _LIST_MARK.search(norm, toks[i - 1][2], start) is not None for i, (_, start, _) in enumerate(toks)
    )

    def src(pos: int) -> int:
        return offsets[pos] if pos < len(offsets) else len(source)

    sentences = tuple((src(bounds[i]), src(bounds[i + 1])) for i in range(len(sentence_starts)))
    return _Doc(
        source=source,
        tokens=tuple(t for t, _, _ in toks),
        variants=tuple(_readings(t) for t, _, _ in toks),
        spans=tuple((src(s), offsets[e - 1] + 1) for _, s, e in toks),
        sentence_of=tuple(sentence_of),
        paragraph_of=tuple(paragraph_of),
        sentences=sentences,
        comma_before=comma_before,
        sentence_tokens=tuple(sentence_tokens.get(i, (0, -1)) for i in range(len(sentence_starts))),
    )


@lru_cache(maxsize=WORD_MEMO_SIZE)
def _readings(token: str) -> tuple[str, ...]:
    """The token's clitic readings, and for a Latin word stretched by a repeated letter ("natooo", "iraaaq")
    the word with the run cut to two letters and to one, as chat and social media stretch names."""
    readings = clitic_readings(token)
    if not token.isascii() or not _STRETCHED.search(token):
        return readings
    cut = (_STRETCHED.sub(r"\1\1", token), _STRETCHED.sub(r"\1", token))
    return readings + tuple(dict.fromkeys(r for r in cut if r not in readings))


_STRETCHED = re.compile(r"([a-z])\1\1+")


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

    _CACHE_LIMIT = WORD_MEMO_SIZE
    _HEAD = 3  # letters of a key that the filter compares

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
        # A cheap filter before the lookup: a reading that starts a term begins with the first letters of
        # one of its keys, so a word none of whose beginnings is such a head (with or without proclitics)
        # has no candidates. Most words of an article are such words; they skip the readings and the memo.
        heads = {key[: self._HEAD] for key in (*exact, *prefix)}
        self._heads = frozenset(heads)
        self._head_lengths = tuple(sorted({len(h) for h in heads}))
        self._spelled = frozenset(s for h in heads for s in proclitic_spellings(h))
        # Every beginning of a spelling: a word is read letter by letter only while it can still become one.
        self._spelled_starts = frozenset(s[:n] for s in self._spelled for n in range(1, len(s) + 1))
        self._longest_spelling = max(map(len, self._spelled), default=0)
        # Candidates in config order, not set order: when two terms match the same words, the evidence
        # names the same one in every process (set order changes with the hash seed).
        self._rank = {term: i for i, term in enumerate(terms)}

    def may_start(self, word: str) -> bool:
        """False when no term can start at this word (any of its clitic readings): candidates() is empty."""
        spelled, starts = self._spelled, self._spelled_starts
        for n in range(1, self._longest_spelling + 1):
            start = word[:n]
            if start in spelled:
                return True
            if start not in starts:
                return False
        return False

    def may_start_readings(self, variants: tuple[str, ...]) -> bool:
        """False when candidates(variants) is empty: none of the readings begins with a key's head."""
        heads = self._heads
        return any(v[:n] in heads for v in variants for n in self._head_lengths)

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


def _find(doc: _Doc, group: str, terms: tuple[Term, ...], start: int = 0) -> list[_Mention]:
    """The mentions of `terms` that begin at token `start` or after."""
    if not terms:
        return []
    index = _compile(terms)
    found: list[_Mention] = []
    n = len(doc.tokens)
    for i, variants in enumerate(doc.variants[start:], start):
        if not index.may_start_readings(variants):
            continue
        for term in index.candidates(variants):
            k = len(term.tokens)
            # A phrase is read within one clause: a comma between its words ("مقرا للحلف، والعراق يوقع")
            # separates two items, not the words of one name, and a sentence's end (a title's last word and
            # the body's first, "المطلة على الأطلسي" then "يلقي") ends it.
            if (
                i + k <= n
                and all(_token_matches(term.tokens[j], doc.variants[i + j]) for j in range(k))
                and not any(doc.comma_before[i + 1 : i + k])
                and doc.sentence_of[i] == doc.sentence_of[i + k - 1]
            ):
                found.append(_Mention(group, term, i, i + k - 1))
    return found


def _any_opener(index: _TermIndex, words: frozenset[str]) -> bool:
    return any(index.candidates(clitic_readings(word)) for word in words if index.may_start(word))


@lru_cache(maxsize=256)
def _openers(topic: Topic) -> _TermIndex:
    """Every term that can produce a mention or an exclusion hit by itself: the groups' terms and the
    exclusions (refer terms count only after a group term; ignore phrases only mask mentions)."""
    return _TermIndex(tuple(t for g in topic.groups for t in g.terms) + topic.exclude)


def _may_mention(topic: Topic, words: frozenset[str]) -> bool:
    """False when no group term and no exclusion can start at any of these words, so _mentions would find
    nothing. Looks up only the distinct words, before _analyse builds readings, spans and sentences."""
    return _any_opener(_openers(topic), words)


@lru_cache(maxsize=256)
def _groups_of_terms(topic: Topic) -> dict[Term, frozenset[str]]:
    """Each group term of `topic` -> the groups it belongs to."""
    groups: dict[Term, set[str]] = {}
    for group in topic.groups:
        for term in group.terms:
            groups.setdefault(term, set()).add(group.name)
    return {term: frozenset(names) for term, names in groups.items()}


def unmentioned_required_group(topic: Topic, words: frozenset[str]) -> str | None:
    """A required group none of whose terms can occur among these words, when no exclusion can start there.

    Such an article cannot match: a group is mentioned only through its own terms (refer terms count only
    after one), and every unit needs every required group, so the score is 0 and only the evidence of the
    other groups' mentions is lost. A term can occur only if it can start at one of the words and each of
    its other words is among them too, so a bonus group's common words (mission, training) or a phrase
    such as مهمة الناتو in an article without الناتو no longer send it through the full analysis. None
    when the full path must decide.
    """
    if topic.threshold <= 0:
        return None
    index, groups_of = _openers(topic), _groups_of_terms(topic)
    possible: set[str] = set()
    phrases: list[Term] = []  # terms of several words that can start here: checked only if needed
    for word in words:
        if not index.may_start(word):
            continue
        for term in index.candidates(clitic_readings(word)):
            if term not in groups_of or term in topic.exclude:
                return None  # an exclusion can start here: the full path decides
            if len(term.tokens) == 1:
                possible |= groups_of[term]
            else:
                phrases.append(term)
    # A phrase's later words are looked for among the words as they can be spelled with proclitics, not by
    # reading every word: a common first word such as قرب or ذي should not cost every article it occurs in.
    present: dict[str, bool] = {}
    for name in topic.require:
        if name in possible:
            continue
        for term in phrases:
            if name not in groups_of[term] or groups_of[term] <= possible:
                continue
            if all(_occurs(p, words, present) for p in term.tokens[1:]):
                possible |= groups_of[term]
        if name not in possible:
            return name
    return None


def _occurs(pattern: str, words: frozenset[str], seen: dict[str, bool]) -> bool:
    """_token_matches(pattern, r) for some clitic reading r of one of `words`, without making the readings:
    a token has the reading `base` when it is one of base's spellings with proclitics. Memoised in `seen`."""
    hit = seen.get(pattern)
    if hit is None:
        if not pattern.endswith("*"):
            hit = not words.isdisjoint(_spellings(pattern))
        elif starts := _start_spellings(pattern):
            hit = any(word.startswith(starts) for word in words)
        else:
            hit = _token_matches(pattern, tuple(r for word in words for r in clitic_readings(word)))
        seen[pattern] = hit
    return hit


@lru_cache(maxsize=4096)
def _spellings(word: str) -> frozenset[str]:
    """The tokens that have `word`, or `word` without its article, among their clitic readings."""
    return spellings_with_proclitics(word) | spellings_with_proclitics(_bare(word))


@lru_cache(maxsize=4096)
def _start_spellings(pattern: str) -> tuple[str, ...]:
    """How a token begins when one of its clitic readings begins with the stem of "x*" (or the stem without
    its article). Empty for a stem too short to be read apart from proclitics: the caller reads the words."""
    stems = (pattern[:-1], _bare(pattern[:-1]))
    if min(map(len, stems)) < MIN_BASE:
        return ()
    return tuple(sorted({s for stem in stems for s in proclitic_spellings(stem)}))


def _keep_longest(mentions: list[_Mention]) -> list[_Mention]:
    """Drop a mention inside a longer one of the same group (حلف شمال الاطلسي, not also الاطلسي)."""
    mentions.sort(key=lambda m: (m.first, -(m.last - m.first)))
    kept: list[_Mention] = []
    for m in mentions:
        if kept and kept[-1].group == m.group and m.last <= kept[-1].last:
            continue
        kept.append(m)
    return kept


_NEGATION_REACH = 4
_NEGATION_PARTICLES = frozenset(normalize(w) for w in ("لا", "لم", "غير"))
_NEGATION_WORDS = _NEGATIONS | _NEGATION_PARTICLES
_STILL = frozenset(normalize(w) for w in ("يزال", "تزال", "يزالون", "زال", "زالت"))
# What a negation before a NATO label denies: a status (حليف, شريك, صفة, عضو).
_STATUS_WORDS = frozenset(
    normalize(w)
    for w in ("حليفا", "حليف", "الحليف", "شريكا", "شريك", "الشريك", "بصفة", "صفة", "عضوا", "عضو", "بوضع", "وضع")
)


def _negated(doc: _Doc, first: int) -> bool:
    """A negation just before the ignore phrase at `first`, or a few words before it with the status between
    ("ليس حليفا رئيسيا من خارج الناتو", "لا يتمتع بصفة الحليف الرئيسي من خارج الناتو")."""
    if first > 0 and doc.tokens[first - 1] in _NEGATIONS:
        return True
    window = range(max(0, first - _NEGATION_REACH), first)
    return any(
        doc.tokens[k] in _NEGATION_WORDS and doc.tokens[k + 1] not in _STILL
        and doc.sentence_of[k] == doc.sentence_of[first]
        for k in window
    ) and any(doc.tokens[k] in _STATUS_WORDS for k in window)


def _mentions(topic: Topic, doc: _Doc) -> tuple[list[_Mention], list[_Mention], set[int], list[_Mention]]:
    """Group mentions (minus those inside an ignore phrase), exclusion hits, and the tokens ignore masked."""
    masked: set[int] = set()
    hidden: list[_Mention] = []  # required groups' mentions that an ignore phrase masked
    phrases: list[tuple[int, int]] = []
    for m in _find(doc, "", topic.ignore):
        if not _negated(doc, m.first):
            masked.update(range(m.first, m.last + 1))
            phrases.append((m.first, m.last))

    def unmasked(m: _Mention) -> bool:
        # A term that holds a whole ignore phrase and more words is the narrower reading ("تطلب من الأطلسي":
        # asking the alliance, where "من الأطلسي" alone is the ocean).
        return not masked or all(
            start > m.last or end < m.first or (m.first <= start and end <= m.last and m.last - m.first > end - start)
            for start, end in phrases
        )

    mentions: list[_Mention] = []
    for group in topic.groups:
        found = _find(doc, group.name, group.terms)
        explicit = [m for m in found if unmasked(m)]
        if masked:
            hidden.extend(m for m in found if group.name in topic.require and not unmasked(m))
        # A term inside an ignore phrase still names the side ("حليف رئيسي من خارج الناتو" is the alliance's
        # status): when it is the only one, a back-reference after it refers to that side, though the phrase
        # itself is not counted.
        if found and group.refer:
            first = min(m.first for m in explicit or found)
            # A back-reference counts only after the first explicit term: the words before it are not read.
            explicit += [m for m in _find(doc, group.name, group.refer, first + 1) if unmasked(m)]
        mentions.extend(_keep_longest(explicit))
    excluded = [m for m in _find(doc, "", topic.exclude) if not masked & set(range(m.first, m.last + 1))]
    return mentions, excluded, masked, hidden


def _other_sense(
    topic: Topic, mentions: list[_Mention], masked: set[int], hidden: list[_Mention], body_start: int
) -> bool:
    """The summary names a required group only in a sense the topic rules out (an ignore phrase: "حرب العراق
    عام 2003") and never as the topic means it: the title's pairing is then not what the item is about, also
    when the summary names the other side as meant ("7aka 3an el nato w … 3an 7arb el 3ira2 2003")."""
    in_body = [m for m in mentions if m.first >= body_start and m.group in topic.require]
    if any(i >= body_start for i in masked) and not in_body:
        return True
    named = {m.group for m in in_body}
    return any(m.first >= body_start and m.group not in named for m in hidden)


def _gap(a: _Mention, b: _Mention) -> int:
    """Words between two mentions (0 when they touch or overlap)."""
    return max(0, b.first - a.last - 1, a.first - b.last - 1)


@dataclass(frozen=True)
class _Unit:
    sentence: int
    score: float
    kind: str  # "title", "sentence" or "neighbour"
    mentions: tuple[_Mention, ...]
    passing: str | None = None  # why the pairing is only a passing mention (it then scores 0)


def _passing(doc: _Doc, chosen: list[_Mention], substantive: bool, group_at: dict[int, str]) -> str | None:
    """Why the pairing of these mentions is a passing mention, checked over the sentences they are in."""
    if _quoted_apart(doc, chosen):
        return "separate titles"
    pair = [(m.first, m.last) for m in chosen]
    sentences = sorted({doc.sentence_of[m.first] for m in chosen})
    lo = doc.sentence_tokens[sentences[0]][0]
    if _place_part(doc, sentences[0] - 1, lo):
        # "في البوسنة.. عائلات عراقية تعيش في بيوت بنتها قوات الناتو": the place before ".." is where the
        # rest happens, so the checks of a theatre abroad read it.
        lo = doc.sentence_tokens[sentences[0] - 1][0]
    hi = doc.sentence_tokens[sentences[-1]][1]
    return passing_kind(doc.tokens, doc.comma_before, (lo, hi), pair, substantive, group_at)


def _place_part(doc: _Doc, s: int, next_start: int) -> bool:
    """Sentence s is a short place phrase closed by ".." that opens the next one ("في لشبونة.. …")."""
    if s < 0 or doc.paragraph_of[next_start] != doc.paragraph_of[doc.sentence_tokens[s][0]]:
        return False
    lo, hi = doc.sentence_tokens[s]
    between = doc.source[doc.spans[hi][1] : doc.spans[next_start][0]]
    return doc.tokens[lo] in _PLACE_OPENERS and hi - lo < _PLACE_PART_WORDS and ".." in between


_PLACE_OPENERS = frozenset(normalize(w) for w in ("في", "من"))
_PLACE_PART_WORDS = 4


def _quoted_apart(doc: _Doc, chosen: list[_Mention]) -> bool:
    """Each mention is inside its own «…» («تاريخ الحلف الأطلسي» لجون بيليس، و«بغداد في العصر العباسي»): the
    names of two works or programmes, each with its own subject."""
    quotes: set[int] = set()
    for m in chosen:
        start, end = doc.spans[m.first][0], doc.spans[m.last][1]
        opening = doc.source.rfind("«", 0, start)
        if opening < 0 or doc.source.rfind("»", 0, start) > opening:
            return False
        closing = doc.source.find("»", end)
        # A name is short; a longer quote is someone's words, which may well pair the sides.
        if closing < 0 or "«" in doc.source[end:closing] or len(doc.source[opening:closing].split()) > _NAME_WORDS:
            return False
        quotes.add(opening)
    return len(quotes) == len(chosen)


_NAME_WORDS = 6


def _acts_in(doc: _Doc, anchor: _Mention, chosen: list[_Mention]) -> bool:
    """The lead opens with the anchor as its subject and names the other side as where it acts, farther
    than the lead gap ("أعلن الناتو أن مساهمات الدنمارك وهولندا واليابان ستمول مختبرا … في بغداد",
    "يعتزم الحلف الأطلنطي إرسال فريق من المهندسين العسكريين إلى الأنبار")."""
    lo = doc.sentence_tokens[doc.sentence_of[anchor.first]][0]
    # "قال المتحدث باسم الناتو إن …": the alliance speaking through its spokesman is the subject too.
    spoken = anchor.first > lo and doc.tokens[anchor.first - 1] in _ON_BEHALF
    if anchor.first - lo > _SUBJECT_AT + int(spoken) or any(c.first < anchor.first for c in chosen):
        return False
    for c in chosen:
        if c is anchor:
            continue
        at = next((k for k in range(c.first - 1, max(lo, c.first - 3), -1) if doc.tokens[k] in _AT_PLACE), None)
        # Another place between them is where it acts ("اعترضت مقاتلات الناتو فوق رومانيا طائرة مسجلة في
        # العراق"): the other side then only qualifies something. Inside a relative clause about the
        # statement's subject ("إن الجنديين اللذين أصيبا في هجوم قرب بغداد") a place word is the clause's own.
        between = doc.tokens[anchor.last + 1 : at]
        relative = next((k for k, w in enumerate(between) if w in _RELATIVE_PRONOUNS), len(between))
        if at is None or _gap(c, anchor) > _ACTS_GAP or _PLACE_WORDS & set(between[:relative]):
            return False
    return True


def _two_clauses(doc: _Doc, chosen: list[_Mention]) -> bool:
    """A title whose mentions sit on either side of "، و…": two headlines joined by a comma and و
    ("الناتو ينشر قوات في رومانيا، والعراق يستقبل زوارا")."""
    first = min(m.last for m in chosen) + 1
    last = max(m.first for m in chosen)
    return any(doc.comma_before[i] and conjoined(doc.tokens[i]) for i in range(first, last + 1))


def _two_places(doc: _Doc, chosen: list[_Mention]) -> bool:
    """A title of two items joined by و, each at its own place ("قمة الناتو في لاهاي ومباحثات نفطية في
    بغداد"): the first mention's place comes before the و-word, the second mention is the other's place."""
    if len(chosen) != 2:
        return False
    a, b = sorted(chosen, key=lambda m: m.first)
    if b.first < 2 or doc.tokens[b.first - 1] not in _SCOPE_AT:
        return False
    words = range(a.last + 1, b.first - 1)
    placed = next((k for k in words if doc.tokens[k] in _SCOPE_AT), None)
    return placed is not None and any(conjoined(doc.tokens[k]) for k in range(placed + 2, b.first - 1))


def _joins_stories(doc: _Doc, chosen: list[_Mention]) -> bool:
    """In a digest title: a comma or a و-joined word between the paired mentions starts another story
    ("…: مهمة للناتو في كوسوفو ومطالب بالإصلاح في بغداد"); one clause is one story ("موجز: الناتو يمدد …")."""
    first = min(m.last for m in chosen) + 1
    last = max(m.first for m in chosen)
    # "العراق والناتو يوقعان": a mention joined by و right after the other names the two parties of one story,
    # as does a و-joined noun the later mention qualifies as its adjective ("مستشاري الناتو والضباط العراقيين").
    adjacent = first == last or (last - first == 1 and conjoined(doc.tokens[first]) and _adjective(doc.tokens[last]))
    joins = [
        i
        for i in range(first, last + 1)
        if doc.comma_before[i]
        or (conjoined(doc.tokens[i]) and not adjacent and not _name_conjunct(doc, i, first, last))
    ]
    return any(not _parenthesis(doc, i) and not _after_fronted(doc, i) for i in joins)


def _fronted_part(doc: _Doc, chosen: list[_Mention]) -> bool:
    """The title's first part is a short fronted phrase of time that meets the other side and its next part
    goes on from ("بعد لقاء مع وفد الناتو.. قائمة بالأسلحة التي يطلبها العراق"): one headline, not two
    stories ("بعد قمة الناتو.. العراق يرفع إنتاج النفط" meets no one)."""
    sentences = sorted({doc.sentence_of[c.first] for c in chosen})
    if len(sentences) != 2 or sentences[1] - sentences[0] != 1:
        return False
    lo, hi = doc.sentence_tokens[sentences[0]]
    met = any(w in _MET_WITH for w in doc.tokens[lo : hi + 1])
    return doc.tokens[lo] in _FRONTED and hi - lo < _FRONTED_PART_WORDS and met


_FRONTED_PART_WORDS = 7
_MET_WITH = frozenset(normalize(w) for w in ("مع", "بين"))


def _name_conjunct(doc: _Doc, i: int, first: int, last: int) -> bool:
    """The و-word at i joins two definite nouns of one body's name that the later mention qualifies with
    the adjectives after it ("وفد من الناتو يلتقي لجنة الأمن والدفاع النيابية العراقية"): one story."""
    if i <= first or doc.comma_before[i] or not doc.tokens[i - 1].startswith("ال"):
        return False
    return all(_adjective(doc.tokens[k]) for k in range(i + 1, last + 1))


def _title_abroad(doc: _Doc, chosen: list[_Mention], title_sentences: int, anchor: str) -> bool:
    """The anchor is the title's, and its clause there places it in a theatre abroad."""
    m = next((c for c in chosen if c.group == anchor), None)
    if m is None or doc.sentence_of[m.first] >= title_sentences:
        return False
    return acts_in_theatre(doc.tokens, m.first, m.last, doc.sentence_tokens[doc.sentence_of[m.first]][1])


def _leads_title(doc: _Doc, m: _Mention, a: _Mention, lead: int, title_sentences: int) -> bool:
    """Of a title mention and a body mention, the body's is in the lead's own sentence."""
    body = m if doc.sentence_of[m.first] >= title_sentences else a
    return lead >= 0 and doc.sentence_of[body.first] == lead


def _item_abroad(doc: _Doc, chosen: list[_Mention], title_sentences: int) -> bool:
    """The summary's mention sits in a list item (between commas) that names a theatre abroad."""
    m = next(c for c in chosen if doc.sentence_of[c.first] >= title_sentences)
    lo, hi = doc.sentence_tokens[doc.sentence_of[m.first]]
    start = next((k for k in range(m.first, lo, -1) if doc.comma_before[k]), lo)
    end = next((k - 1 for k in range(m.last + 1, hi + 1) if doc.comma_before[k]), hi)
    return names_theatre(doc.tokens, start, end)


def _scoped_title(doc: _Doc, chosen: list[_Mention], title_sentences: int) -> bool:
    """The title's mention closes it as the place every listed story happened in ("أبرز أحداث العام الأمنية
    في العراق", "أبرز الهجمات على مقرات أجنبية في بغداد خلال الشهر"): a digest of that side's stories, so a
    summary's item with the other side and a mission word beside it is one of them."""
    in_title = [m for m in chosen if doc.sentence_of[m.first] < title_sentences]
    # A title of one part with no colon: in "موجز أمني: 1) … 2) القبض على خلية في كركوك" the place is the
    # last story's, not the digest's.
    if len(in_title) != 1 or title_sentences != 1:
        return False
    m = in_title[0]
    title_end = doc.sentence_tokens[0][1]
    if ":" in doc.source[: doc.spans[m.first][0]]:
        return False
    return m.first > 0 and doc.tokens[m.first - 1] in _SCOPE_AT and title_end - m.last <= _SCOPE_TAIL


_SCOPE_AT = frozenset(normalize(w) for w in ("في", "داخل"))
_SCOPE_TAIL = 2  # words after the place ("خلال الشهر")


def _adjective(word: str) -> bool:
    """A nisba adjective (العراقيين, الأطلسية): it qualifies the noun before it, so the two make one party."""
    return word.startswith("ال") and len(word) > 5 and word.endswith(_NISBA_ENDINGS)


# The endings of a nisba adjective after its ي (ي, ية→يه, يين, يون, يات).
_NISBA_ENDINGS = ("ي", "يه", "يين", "يون", "يات")


def _after_fronted(doc: _Doc, i: int) -> bool:
    """The comma before token i closes a short fronted phrase of time or cause that opens its clause
    ("النشرة المسائية: بعد هجوم التاجي، الناتو يراجع …")."""
    if not doc.comma_before[i] or conjoined(doc.tokens[i]):
        return False
    lo = doc.sentence_tokens[doc.sentence_of[i]][0]
    opening = next((k for k in range(i - 1, max(lo, i - _FRONTED_WORDS) - 1, -1) if doc.tokens[k] in _FRONTED), None)
    if opening is None or any(doc.comma_before[k] for k in range(opening + 1, i)):
        return False
    # The phrase opens its clause: at the sentence's start or after a colon or a comma, not inside a
    # clause ("مستقبل الناتو بعد الانتخابات، وعن الزراعة في العراق").
    between = doc.source[doc.spans[opening - 1][1] : doc.spans[opening][0]] if opening > lo else ""
    return opening == lo or doc.comma_before[opening] or ":" in between


def _parenthesis(doc: _Doc, i: int) -> bool:
    """The comma before token i opens a short aside that another comma closes inside the same sentence
    ("الناتو يقرر، بطلب عراقي، توسيع التدريب"), not a second story (which opens with و)."""
    if not doc.comma_before[i] or conjoined(doc.tokens[i]):
        return False
    lo, end = doc.sentence_tokens[doc.sentence_of[i]]
    close = next((j for j in range(i + 1, min(end, i + _ASIDE_WORDS) + 1) if doc.comma_before[j]), None)
    if close is None or close > end or conjoined(doc.tokens[close]):
        return False
    # Three or more commas in the sentence make a list ("الانتخابات في العراق، اجتماع وزراء دفاع الناتو، ارتفاع
    # أسعار الغاز في أوروبا، ومحادثات السلام"): each item a story, not an aside.
    return sum(doc.comma_before[lo + 1 : end + 1]) < _LIST_COMMAS


_LIST_COMMAS = 3


def _units(
    topic: Topic,
    doc: _Doc,
    mentions: list[_Mention],
    title_sentences: int,
    digest_title: bool = False,
    lead: int = -1,
    framed: bool = False,
) -> list[_Unit]:
    """The scored units; `lead` is the sentence index of the body's first sentence (-1: no body). `framed`:
    the body is a feed summary, which goes on with its headline's story, so a side named in the title and
    the other in the summary pair as well, with a mission or training word beside them ("صواريخ على مطار
    بغداد" / "…قرب مجمع مستشاري بعثة الناتو"). A full article's lead goes on with its title's story the
    same way ("جدول زيارة الأمين العام للناتو إلى بغداد" / "يلتقي الأمين العام للحلف … ثم يتفقد مقر البعثة")."""
    by_group: dict[str, list[_Mention]] = {}
    for m in mentions:
        by_group.setdefault(m.group, []).append(m)
    weights = {g.name: g.weight for g in topic.groups}
    anchor, *partners = topic.require
    # A word in a required group's mention and a bonus term ("العراقية" in "وزارة الدفاع العراقية") is
    # that side's: the required groups are written last.
    ordered = sorted(mentions, key=lambda m: m.group in topic.require)
    group_at = {i: m.group for m in ordered for i in range(m.first, m.last + 1)}
    best: dict[int, _Unit] = {}

    def in_title(m: _Mention) -> bool:
        return doc.sentence_of[m.first] < title_sentences

    def scored(a: _Mention, chosen: list[_Mention], same_sentence: bool) -> _Unit | None:
        s = doc.sentence_of[a.first]
        kind = "title" if s < title_sentences else ("sentence" if same_sentence else "neighbour")
        if len({in_title(c) for c in chosen}) > 1:
            kind = _FRAME if framed else _LEAD_FRAME  # one side in the title, the other in the summary or lead
        if kind == "title" and (
            ((digest_title or _two_clauses(doc, chosen)) and _joins_stories(doc, chosen))
            or _two_places(doc, chosen)
            or (
                not same_sentence
                and all(doc.sentence_of[c.first] < title_sentences for c in chosen)
                and not _fronted_part(doc, chosen)
            )
        ):
            # A digest title, or two parts of a title split by | ; • or a spaced dash, join separate stories.
            return None
        scoped = kind in _ACROSS and digest_title and _scoped_title(doc, chosen, title_sentences)
        if kind != "title" and digest_title and not scoped and _joins_stories(doc, chosen):
            # A digest's summary lists its stories as the title does.
            return None
        if kind in _ACROSS and digest_title and not scoped:
            return None  # a digest's title names no one story for its summary to go on with
        base = {"title": topic.title_weight, "sentence": topic.sentence_weight}.get(kind, topic.neighbour_weight)
        near_lead = all(_gap(c, a) <= _LEAD_GAP for c in chosen)
        if kind == "sentence" and s == lead and (near_lead or _acts_in(doc, a, chosen)):
            # A lead naming both sides in one phrase states what the article is about; a lead that
            # reaches across a clause ("Turkey asked NATO … after its raids … in northern Iraq") does not.
            base += topic.lead_weight
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
        if kind in _ACROSS and not boost_groups:
            return None  # across title and summary only a mission or training word makes the sides one story
        score = base + sum(weights[g] for g in topic.require) + sum(weights[g] for g in boost_groups)
        passing = _passing(doc, chosen, bool(boost_groups), group_at)
        if not passing and kind in _ACROSS and _title_abroad(doc, chosen, title_sentences, anchor):
            # The title places the alliance's operation abroad: Iraq in the summary is a detail of it
            # ("الناتو يختتم مهمته البحرية في البحر المتوسط" / "…سفن تهريب، إحداها كانت متجهة إلى العراق").
            passing = "elsewhere"
        if not passing and scoped and _item_abroad(doc, chosen, title_sentences):
            # Under "ملخص اليوم في بغداد", "ووزراء الحلف يقرون خطة تدريب لقوات كييف" is a story from abroad.
            passing = "elsewhere"
        return _Unit(s, 0.0 if passing else score, kind, tuple(chosen + boosts), passing)

    for a in by_group.get(anchor, []):
        s = doc.sentence_of[a.first]
        chosen: list[_Mention] = [a]
        same_sentence = True
        others: list[_Mention] = []  # the single partner's other mentions in the same sentence
        across: _Mention | None = None  # its nearest mention on the other side of the title's end
        for g in partners:
            near = [
                m
                for m in by_group.get(g, [])
                if _gap(m, a) <= topic.proximity
                and (
                    (doc.paragraph_of[m.first] == doc.paragraph_of[a.first] and abs(doc.sentence_of[m.first] - s) <= 1)
                    or (in_title(m) != in_title(a) and (framed or _leads_title(doc, m, a, lead, title_sentences)))
                )
            ]
            if not near:
                break
            # A partner in the item's own paragraph first; the title's only when there is none (framed).
            near.sort(key=lambda m: (in_title(m) != in_title(a), doc.sentence_of[m.first] != s, abs(m.first - a.first)))
            chosen.append(near[0])
            same_sentence = same_sentence and doc.sentence_of[near[0].first] == s
            if len(partners) == 1:
                others = [m for m in near[1:_PARTNER_CHOICES] if doc.sentence_of[m.first] == s]
                # A summary's own partner may be another story of a digest whose title names the place
                # all of them happened in: the title's mention is then the link.
                across = next((m for m in near if in_title(m) != in_title(a)), None) if digest_title else None
        else:
            unit = scored(a, chosen, same_sentence)
            # The nearest partner may sit in an aside about someone else ("دبلوماسي، عمل سابقا في بغداد، إن
            # الناتو يعتزم توسيع بعثته في العراق") or in a digest's other story ("صواريخ على عين الأسد حيث
            # يعمل مستشارو الناتو، وانقطاع الكهرباء في البصرة"): another mention in the sentence may be the link.
            for other in others if (unit is None or unit.passing) and same_sentence else []:
                alternative = scored(a, [a, other], True)
                if alternative is not None and (unit is None or alternative.score > unit.score):
                    unit = alternative
            if across is not None and (unit is None or unit.passing) and across is not chosen[-1]:
                alternative = scored(a, [a, across], False)
                if alternative is not None and alternative.kind in _ACROSS and alternative.score > 0:
                    unit = alternative
            if unit is not None and (s not in best or unit.score > best[s].score):
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


@dataclass(frozen=True)
class MatchText:
    """An article normalised and tokenised once, for matching it against every topic."""

    title: str
    text: str
    source: str  # matched_document(title, text): evidence offsets point into it
    norm: str  # normalize_with_offsets(source)'s text
    words: frozenset[str]  # the distinct tokens, for the cheap pre-checks

    # Made only for an article that passes a topic's pre-checks (few do).
    @cached_property
    def offsets(self) -> list[int]:
        return normalize_with_offsets(self.source)[1]

    @cached_property
    def toks(self) -> list[tuple[str, int, int]]:
        return iter_tokens(self.norm)


def prepare(title: str, text: str) -> MatchText:
    source = matched_document(title, text)
    norm = normalize_per_char(source)
    words = frozenset(normalized_tokens(norm))
    if _STRETCHED.search(norm):
        # The pre-checks read a stretched Latin word ("natooo") as its cut forms too, as _analyse does.
        words |= {r for w in words if w.isascii() for r in _readings(w)}
    return MatchText(title, text, source, norm, words)


def match_topic(topic: Topic, title: str, text: str) -> TopicResult:
    """Decide whether an article is about `topic`, with the evidence and a one-line reason."""
    return match_prepared(topic, prepare(title, text))


def match_prepared(topic: Topic, prepared: MatchText) -> TopicResult:
    """match_topic on an article prepared once for all topics."""
    title, text, source, norm = prepared.title, prepared.text, prepared.source, prepared.norm
    if not _may_mention(topic, prepared.words):
        # Most articles: the full path below would find no mention and no exclusion, hence no unit, score 0
        # (the int of an empty sum, as below) and no evidence. Same result, without analysing the article.
        return TopicResult(topic.name, False, 0, topic.threshold, (), _apart(topic, []), basis(title, text))
    if (absent := unmentioned_required_group(topic, prepared.words)) is not None:
        return TopicResult(topic.name, False, 0, topic.threshold, (), _absent(topic, absent), basis(title, text))
    title_end = (norm.find("\n\n") if text else len(norm)) if title else 0
    title_words = [t for t, _, _ in iter_tokens(normalize(title))]
    digest_title = _digest(title, title_words)
    doc = _analyse(source, norm, prepared.offsets, prepared.toks, title_end, digest_title)
    title_sentences = doc.sentence_of[len(title_words) - 1] + 1 if title_words else 0
    mentions, excluded, masked, hidden = _mentions(topic, doc)
    lead = doc.sentence_of[len(title_words)] if len(doc.tokens) > len(title_words) else -1
    item_basis = basis(title, text)
    units = _units(topic, doc, mentions, title_sentences, digest_title, lead, item_basis == "summary")
    score = sum(u.score for u in units)
    required = " + ".join(topic.require)

    if excluded:
        m = excluded[0]
        ev = _evidence(doc, m)
        reason = f"excluded: {m.term.text!r} at {ev.start}"
        return TopicResult(topic.name, False, score, topic.threshold, (ev,), reason, item_basis)

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

    # A short item has no more text to judge: one headline or summary sentence that itself pairs the
    # required groups (not in passing) is enough. The basis tells the alert it was not read in full.
    short = item_basis != "full" and any(u.score > 0 and u.kind in ("title", "sentence", _FRAME) for u in units)
    title_only = short and item_basis == "summary" and all(u.kind == "title" for u in units if u.score > 0)
    # The summary pairs the sides itself, in passing ("…قمة للحلف في أوروبا، بينما تستضيف بغداد قمة عربية
    # منفصلة"): it tells how the headline's pairing is meant, so the headline alone, or the headline's side
    # paired across it with the summary's, is not confirmed.
    framed_only = short and item_basis == "summary" and all(u.kind in ("title", _FRAME) for u in units if u.score > 0)
    # So does a summary naming a side only in a sense ruled out ("طالبة هولندية من أصل عراقي"): the headline's
    # side is that one.
    other_sense = (title_only or framed_only) and _other_sense(topic, mentions, masked, hidden, len(title_words))
    summary_passing = (
        framed_only and not other_sense and any(u.passing and u.kind not in ("title", _FRAME) for u in units)
    )
    short = short and not other_sense and not summary_passing
    matched = score >= topic.threshold or short
    counted = [u for u in units if not u.passing]
    if units:
        kinds = ", ".join(
            f"{sum(u.kind == k for u in counted)} {k}"
            for k in ("title", "sentence", "neighbour", *_ACROSS)
            if any(u.kind == k for u in counted)
        )
        verdict = "match" if matched else "no match"
        op = ">=" if score >= topic.threshold else "<"
        reason = f"{verdict}: score {score:.2f} {op} {topic.threshold:g}"
        if kinds:
            reason += f"; {required} together in {kinds}"
        passing = sorted({u.passing for u in units if u.passing})
        if passing:
            reason += f"; {len(units) - len(counted)} passing mention(s) not counted ({', '.join(passing)})"
        if short:
            reason += f"; decided on the {item_basis} only"
        if other_sense:
            reason += "; the summary names the title's subject only in another sense (ignored), not confirmed"
        if summary_passing:
            reason += "; the summary pairs them only in passing, so the title alone is not confirmed"
    else:
        reason = _apart(topic, mentions)
    return TopicResult(topic.name, matched, score, topic.threshold, tuple(evidence), reason, item_basis)


def _digest(title: str, title_words: list[str]) -> bool:
    """The title names a digest of several stories: in its first words or before the colon ("في هذه
    النشرة: …", "أهم الأخبار"), or by how long it takes to read ("في ثلاث دقائق")."""
    if not title_words:
        return False
    norm = normalize(title)
    head = norm.split(":", 1)[0] if ":" in title else ""
    opening = set(title_words[:2]) | {t for t, _, _ in iter_tokens(head)}
    # …or at the start of a later part of the title, after "..", "|" or a spaced dash ("قمة الناتو وانتخابات
    # العراق.. أبرز أحداث الأسبوع", "صباح الخير يا عرب | عناوين"): the digest is named at its end.
    for part in _TITLE_PARTS.split(norm)[1:]:
        opening |= {t for t, _, _ in iter_tokens(part)[:2]}
    if any(_DIGEST_OPENERS & set(clitic_readings(w)) for w in opening):
        return True
    if " ".join(title_words).startswith(_DIGEST_PHRASES):
        return True
    if any(_DIGEST_NOUNS & set(clitic_readings(w)) for w in title_words[:_DIGEST_NOUN_WORDS]):
        return True

    def timed(before: list[str]) -> bool:
        return "في" in before or any(w.isdigit() or w in _NUMBER_WORDS for w in before)

    return any(w in _DIGEST_DURATIONS and timed(title_words[max(0, i - 2) : i]) for i, w in enumerate(title_words))


def basis(title: str, text: str) -> str:
    """What an item offers to judge: "headline" (no body), "summary" (one or two short sentences) or "full"."""
    body = text.strip()
    if not title.strip():
        return "full"  # an untitled text is all there is: judged as it stands
    if len(body.split()) > 2 * _SUMMARY_WORDS:
        return "full"  # most articles: no need to normalise them again
    norm = normalize(body)
    if not body or norm == normalize(title).strip():
        return "headline"
    sentences = [p for p in _SENTENCE_END.split(norm) if p.strip()]
    if len(sentences) <= _SUMMARY_SENTENCES and len(iter_tokens(norm)) <= _SUMMARY_WORDS:
        return "summary"
    return "full"


def _absent(topic: Topic, group: str) -> str:
    """The reason when a required group is never mentioned (the pre-check's outcome)."""
    required = " + ".join(topic.require)
    return f"no match: {group} never mentioned ({required} must be within {topic.proximity} words of each other)"


def _apart(topic: Topic, mentions: list[_Mention]) -> str:
    """The reason when no unit formed: the required groups never came together."""
    counts = ", ".join(f"{g}: {sum(m.group == g for m in mentions)}" for g in topic.require)
    required = " + ".join(topic.require)
    return f"no match: {required} never within {topic.proximity} words of each other ({counts} mentions)"
