"""Near-duplicate detection: fingerprints, containment, a lookup index.

    class MemoryCorpusIndex:       pure, in memory (monitor check, tests)
        add(doc_id: str, text: str) -> None
        check(text: str) -> NearCopy         (duplicate_of None when no near-copy)
        add_fingerprint / check_fingerprint  the same, given fingerprint(text) (computed in a worker)
        __len__()
The SQLite-persisted index (store/corpus_index.py, SqliteCorpusIndex(db)) offers the same add/check
and shares everything below except where postings live.

How it decides. Text is normalised (monitor.text.arabic), proclitics are stripped so والعراق and العراق
are one word, and every run of SHINGLE consecutive words is hashed. Only hashes that are 0 modulo
SAMPLE_MOD are kept ("mod-p sampling"): the same shingle is kept or dropped in every document, so the
index holds 1/SAMPLE_MOD of all shingles yet finds any document sharing a few sentences. The few
candidates with the most sampled hits are then compared exactly on their full shingle sets (kept per
document as a compressed blob). The score is containment in the smaller text (shared / min(|A|, |B|), the overlap
coefficient), so a lead cut from a long article, or an article wrapped in a new intro and context, still
scores near 1, while Jaccard would call both different. Independently written reports of the same event
share names and facts but few runs of four words, and score low.
Exact copies (same normalised word sequence) are found by hash before any of this.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from monitor.models import NearCopy
from monitor.text.arabic import strip_clitics, tokenize

SHINGLE = 4  # words per shingle: long enough that shared runs mean copied text, short enough to survive edits
SAMPLE_MOD = 4  # index one shingle hash in SAMPLE_MOD (deterministic, so every document keeps the same ones)
NEAR_THRESHOLD = 0.4  # containment (exact, on all shingles) at or above which an article is a near-copy
MIN_SHARED = 8  # fewest shared shingles for a near-copy (about a dozen copied words in a row)
CANDIDATES = 5  # candidates (most sampled hits first) whose full shingle sets are compared
POSTING_CAP = 2000  # documents remembered per sampled hash; commoner ones are boilerplate and not indexed
COMMON_DF = 200  # a sampled hash in more documents than this is a stock phrase: never probed for candidates
MAX_PROBES = 64  # most sampled hashes of one query whose postings are read (spread over the whole text)
PASSAGE_CHARS = 400  # longest passage quoted in a decision
_KEY_MASK = 0xFFFFFFFF


@dataclass(frozen=True)
class Fingerprint:
    """What the index needs of one text."""

    text_hash: str  # hash of the normalised word sequence (exact-copy key)
    words: tuple[str, ...]  # normalised words, for quoting the shared passage
    shingles: frozenset[int]  # every shingle's key (low 32 bits of its hash): stored per document, compared exactly
    hashes: frozenset[int]  # the sampled shingle hashes, full 64 bits (the index postings)
    positions: Mapping[int, int] = field(default_factory=dict)  # shingle key -> first word position
    sample_positions: Mapping[int, int] = field(default_factory=dict)  # sampled hash -> first word position


def _hash64(shingle: str) -> int:
    # blake2b, not hash(): the value is stored in the database and must be the same in every process.
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _shingle_hashes(keys: Sequence[str]) -> list[int]:
    if len(keys) < SHINGLE:
        return [_hash64(" ".join(keys))] if keys else []
    return [_hash64(" ".join(keys[i : i + SHINGLE])) for i in range(len(keys) - SHINGLE + 1)]


def fingerprint(text: str) -> Fingerprint:
    words = tokenize(text)
    return fingerprint_of_words(words, [strip_clitics(w) for w in words])


def fingerprint_of_words(words: Sequence[str], keys: Sequence[str]) -> Fingerprint:
    """fingerprint() from a text's tokens and their clitic-stripped keys (the search index's terms), so a
    text tokenised once serves both."""
    text_hash = hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
    positions: dict[int, int] = {}
    sampled: dict[int, int] = {}
    for pos, h in enumerate(_shingle_hashes(keys)):
        # 32-bit keys halve the stored sets; two documents' keys collide by chance about once in
        # 4e9 / (600 * 600) comparisons, which cannot move a containment score measurably.
        positions.setdefault(h & _KEY_MASK, pos)
        if h % SAMPLE_MOD == 0:
            sampled.setdefault(h, pos)
    return Fingerprint(text_hash, tuple(words), frozenset(positions), frozenset(sampled), positions, sampled)


def pack_shingles(shingles: Iterable[int]) -> bytes:
    """A document's shingle keys as a compact blob (sorted unsigned 32-bit ints, zlib)."""
    return zlib.compress(array("I", sorted(shingles)).tobytes(), 6)


def unpack_shingles(blob: bytes) -> frozenset[int]:
    values = array("I")
    values.frombytes(zlib.decompress(blob))
    return frozenset(values)


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """|a & b| / min(|a|, |b|): how much of the smaller text is in the other (the overlap coefficient)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def similarity(a: str, b: str) -> float:
    """Share of the smaller text's word 4-grams found in the other (0..1). Symmetric; similarity(x, x) == 1."""
    fa, fb = fingerprint(a), fingerprint(b)
    if fa.words == fb.words:
        return 1.0
    return containment(fa.shingles, fb.shingles)


def _passage(fp: Fingerprint, shared: Iterable[int]) -> str:
    """The longest stretch of the new text covered by shared shingles (gaps of a few words allowed)."""
    starts = sorted(fp.positions[h] for h in shared if h in fp.positions)
    if not starts:
        return ""
    gap = SHINGLE + 2  # an edited word breaks SHINGLE shingles; allow that much
    best = (starts[0], starts[0])
    run_start = prev = starts[0]
    for s in starts[1:]:
        if s - prev > gap:
            run_start = s
        prev = s
        if s - run_start > best[1] - best[0]:
            best = (run_start, s)
    text = " ".join(fp.words[best[0] : best[1] + SHINGLE])
    return text if len(text) <= PASSAGE_CHARS else text[: PASSAGE_CHARS - 1] + "…"


def exact_copy(fp: Fingerprint, doc_id: str) -> NearCopy:
    return NearCopy(doc_id, 1.0, _passage(fp, fp.shingles), "exact")


def choose_probes(fp: Fingerprint, common: Container[int]) -> list[int]:
    """The sampled hashes of a query whose postings are read to find candidates.

    Stock phrases (hashes in `common`) are skipped: their postings name hundreds of unrelated articles and
    would make a lookup's cost grow with the corpus, while a rare run of words points at the few articles
    that share the passage. Long texts are probed at MAX_PROBES hashes spread evenly over the text, so
    any copied passage of a few sentences is still hit several times; the candidates are then compared
    on their full shingle sets, so probing fewer hashes costs no precision.
    """
    ordered = sorted(fp.hashes, key=lambda h: (fp.sample_positions.get(h, 0), h))
    rare = [h for h in ordered if h not in common] or ordered[:4]
    if len(rare) <= MAX_PROBES:
        return rare
    step = len(rare) / MAX_PROBES
    return [rare[int(i * step)] for i in range(MAX_PROBES)]


def decide(fp: Fingerprint, candidates: Mapping[str, frozenset[int]]) -> NearCopy:
    """Pick the corpus document this text copies, given the full shingle sets of the candidates."""
    best_id: str | None = None
    best_score = 0.0
    best_shared: frozenset[int] = frozenset()
    for doc_id, shingles in candidates.items():
        score = containment(fp.shingles, shingles)
        if score > best_score:
            best_id, best_score, best_shared = doc_id, score, fp.shingles & shingles
    if best_id is None:
        return NearCopy(None, 0.0)
    passage = _passage(fp, best_shared)
    if best_score >= NEAR_THRESHOLD and len(best_shared) >= MIN_SHARED:
        return NearCopy(best_id, best_score, passage, "near")
    return NearCopy(None, best_score, passage, "none")


class MemoryCorpusIndex:
    """The near-copy index held in memory: postings from sampled hash to document."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._shingles: list[frozenset[int]] = []
        self._exact: dict[str, str] = {}
        self._postings: dict[int, list[int]] = {}
        self._df: Counter[int] = Counter()
        self._common: set[int] = set()

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, doc_id: str, text: str) -> None:
        self.add_fingerprint(doc_id, fingerprint(text))

    def add_fingerprint(self, doc_id: str, fp: Fingerprint) -> None:
        ordinal = len(self._ids)
        self._ids.append(doc_id)
        self._shingles.append(fp.shingles)
        self._exact.setdefault(fp.text_hash, doc_id)
        for h in fp.hashes:
            self._df[h] += 1
            if self._df[h] > COMMON_DF:
                self._common.add(h)
            if self._df[h] <= POSTING_CAP:
                self._postings.setdefault(h, []).append(ordinal)

    def check(self, text: str) -> NearCopy:
        return self.check_fingerprint(fingerprint(text))

    def check_fingerprint(self, fp: Fingerprint) -> NearCopy:
        if not fp.words:
            return NearCopy(None, 0.0)
        if (same := self._exact.get(fp.text_hash)) is not None:
            return exact_copy(fp, same)
        hits: Counter[int] = Counter()
        for h in choose_probes(fp, self._common):
            hits.update(self._postings.get(h, ()))
        best = sorted(hits, key=lambda o: (-hits[o], o))[:CANDIDATES]
        return decide(fp, {self._ids[o]: self._shingles[o] for o in best})
