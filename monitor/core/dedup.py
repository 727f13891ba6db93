"""Near-duplicate detection: fingerprints, containment, a lookup index.

OWNER: detection-quality work (issue 3). INTERFACE used by the rest of the code:
    class MemoryCorpusIndex:       pure, in memory (monitor check, tests)
        add(doc_id: str, text: str) -> None
        check(text: str) -> NearCopy         (duplicate_of None when no near-copy)
        __len__()
The SQLite-persisted index (adapters/corpus_index.py, SqliteCorpusIndex(db)) offers the same add/check
and shares everything below except where postings live.

How it decides. Text is normalised (monitor.core.arabic), proclitics are stripped so والعراق and العراق
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from monitor.core.arabic import strip_clitics, tokenize
from monitor.models import NearCopy

SHINGLE = 4  # words per shingle: long enough that shared runs mean copied text, short enough to survive edits
SAMPLE_MOD = 4  # index one shingle hash in SAMPLE_MOD (deterministic, so every document keeps the same ones)
NEAR_THRESHOLD = 0.4  # containment (exact, on all shingles) at or above which an article is a near-copy
MIN_SHARED = 8  # fewest shared shingles for a near-copy (about a dozen copied words in a row)
CANDIDATES = 5  # candidates (most sampled hits first) whose full shingle sets are compared
POSTING_CAP = 2000  # documents remembered per sampled hash; commoner ones are boilerplate and not indexed
POSTING_BUDGET = 6000  # most postings one lookup reads: rarest hashes first, stock phrases last or never
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


def _hash64(shingle: str) -> int:
    # blake2b, not hash(): the value is stored in the database and must be the same in every process.
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _shingle_hashes(words: Sequence[str]) -> list[int]:
    keys = [strip_clitics(w) for w in words]
    if len(keys) < SHINGLE:
        return [_hash64(" ".join(keys))] if keys else []
    return [_hash64(" ".join(keys[i : i + SHINGLE])) for i in range(len(keys) - SHINGLE + 1)]


def fingerprint(text: str) -> Fingerprint:
    words = tokenize(text)
    text_hash = hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
    positions: dict[int, int] = {}
    sampled: set[int] = set()
    for pos, h in enumerate(_shingle_hashes(words)):
        # 32-bit keys halve the stored sets; two documents' keys collide by chance about once in
        # 4e9 / (600 * 600) comparisons, which cannot move a containment score measurably.
        positions.setdefault(h & _KEY_MASK, pos)
        if h % SAMPLE_MOD == 0:
            sampled.add(h)
    return Fingerprint(text_hash, tuple(words), frozenset(positions), frozenset(sampled), positions)


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


def probe_order(df: Mapping[int, int]) -> list[int]:
    """Which sampled hashes of a query to read postings for: rarest first, within POSTING_BUDGET.

    df: hash -> number of corpus documents holding it (hashes absent from the corpus may be left out).
    Rare hashes point at the few articles sharing a specific passage; a stock phrase's postings name
    thousands of unrelated articles and would make a lookup's cost grow with the corpus. The rarest
    hash is always read, so a text made only of common phrases still finds its best candidates.
    """
    order = sorted((h for h in df if df[h] > 0), key=lambda h: (min(df[h], POSTING_CAP), h))
    chosen: list[int] = []
    spent = 0
    for h in order:
        cost = min(df[h], POSTING_CAP)
        if chosen and spent + cost > POSTING_BUDGET:
            break
        chosen.append(h)
        spent += cost
    return chosen


def top_candidates(hits: Mapping[str, int]) -> list[str]:
    """The candidates with the most sampled hashes in common, best first."""
    return sorted(hits, key=lambda d: (-hits[d], d))[:CANDIDATES]


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

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, doc_id: str, text: str) -> None:
        fp = fingerprint(text)
        ordinal = len(self._ids)
        self._ids.append(doc_id)
        self._shingles.append(fp.shingles)
        self._exact.setdefault(fp.text_hash, doc_id)
        for h in fp.hashes:
            self._df[h] += 1
            if self._df[h] <= POSTING_CAP:
                self._postings.setdefault(h, []).append(ordinal)

    def check(self, text: str) -> NearCopy:
        fp = fingerprint(text)
        if not fp.words:
            return NearCopy(None, 0.0)
        if (same := self._exact.get(fp.text_hash)) is not None:
            return exact_copy(fp, same)
        hits: Counter[int] = Counter()
        for h in probe_order({h: self._df[h] for h in fp.hashes}):
            hits.update(self._postings.get(h, ()))
        best = sorted(hits, key=lambda o: (-hits[o], o))[:CANDIDATES]
        return decide(fp, {self._ids[o]: self._shingles[o] for o in best})
