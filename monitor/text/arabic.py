"""Arabic text normalisation and tokenisation: the one normalisation used wherever text is compared.

    normalize(text) -> str         idempotent; NFKC, diacritics/tatweel removed, alef/ya/ta-marbuta
                                   unified, Arabic-Indic digits -> ASCII, Latin case-folded,
                                   Arabic punctuation -> ASCII
    tokenize(text) -> list[str]    normalised word tokens
    normalized_tokens / iter_tokens  the tokens (with offsets) of an already normalised string
    strip_clitics(token) -> str    token without leading conjunction/preposition/article (و ف ب ل ك ال لل …)
    normalize_with_offsets(text)   normalised text plus, per character, its offset in the original text
    normalize_per_char(text)       the same text, without the offsets
    clitic_readings(token)         every proclitics + base reading of a token, memoised (what the matcher uses)
    index_terms(text)              tokens without their proclitics: the search index's terms, the near-copy keys

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Harakat, shadda, sukun, superscript alef, Quranic marks, tatweel; zero-width and bidi marks that
# copy-paste leaves inside words (they would split or disguise tokens).
_DROP = frozenset(
    [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670", "\u0640"]
    + [chr(c) for c in range(0x06D6, 0x06EE)]
    + [
        "\u200b",
        "\u200c",
        "\u200d",
        "\u200e",
        "\u200f",
        "\u061c",
        "\ufeff",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
    ]
)
# Letter variants written interchangeably in news text. ة→ه and ى→ي follow common practice in Arabic IR:
# outlets disagree on them, and the matcher must treat العراقية and العراقيه as one word.
_LETTERS = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ئ": "ي",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ۃ": "ه", "ھ": "ه", "ہ": "ه", "ێ": "ي",
    "ؤ": "و", "ۆ": "و",
    "ک": "ك", "ڪ": "ك",
    # Sorani Kurdish letters for sounds Arabic writes with the plain letter (ناتۆ, هەولێر, کوردستان).
    "ڕ": "ر", "ڵ": "ل",
    # Pashto and Urdu letters a Persian, Pashto or Urdu keyboard gives for the plain letter (الناټو, بغداډ).
    "ټ": "ت", "ٹ": "ت", "ډ": "د", "ڈ": "د", "ړ": "ر", "ڑ": "ر", "ڼ": "ن", "ں": "ن", "ۍ": "ي", "ے": "ي",
    "ۓ": "ي", "ګ": "ك",
}  # fmt: skip
_DIGITS = {src: str(i % 10) for i, src in enumerate("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")}
# Arabic punctuation mapped to its ASCII counterpart (same length, so offsets stay simple).
_PUNCT = {"،": ",", "؛": ";", "؟": "?", "«": '"', "»": '"', "٪": "%", "٫": ".", "٬": ",", "۔": "."}
_MAP: dict[str, str] = {**_LETTERS, **_DIGITS, **_PUNCT}

# A token is a run of letters or digits (Arabic or other scripts); underscores of hashtags split words.
_WORD = re.compile(r"[^\W_]+")

# Proclitic sequences, longest first: conjunction (و/ف) + preposition (ب/ك/ل) + article (ال), and ل+ال = لل.
_PROCLITICS = tuple(
    sorted(
        {c + p + a for c in ("", "و", "ف") for p in ("", "ب", "ك", "ل") for a in ("", "ال") if c + p + a}
        | {c + "لل" for c in ("", "و", "ف")},
        key=len,
        reverse=True,
    )
)
MIN_BASE = 2  # never strip a prefix that would leave fewer letters than this
# How many distinct words each per-word memo keeps. News repeats a few thousand words all day: 4,096 keeps
# 73% of the lookups as hits (93% at 65,536, measured on 5,000 ANT articles) and a worker process, which
# holds these memos for as long as it lives, 13 MiB smaller; the misses cost about 0.2 ms an article.
WORD_MEMO_SIZE = 4096


def _char(c: str) -> str:
    """Normalise one character (already NFKC-decomposed to its compatibility form)."""
    if c in _DROP:
        return ""
    return _MAP.get(c, c).casefold()


# _char as a str.translate table: the same drop/map per character, done in C. casefold() is applied to the
# whole string afterwards; it is per character too, and the mapped values are already case-folded.
_TABLE: dict[int, str | None] = {ord(c): None for c in _DROP} | {ord(k): v for k, v in _MAP.items()}


def _once(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()


def normalize(text: str) -> str:
    """The single normalisation used for every comparison; normalize(normalize(x)) == normalize(x)."""
    # Dropping a mark can let NFKC compose two neighbours it could not before (and casefold can expand
    # characters), so repeat until nothing changes; real text settles after one pass.
    for _ in range(4):
        out = _once(text)
        if out == text:
            break
        text = out
    return text


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """Normalise character by character, recording for every output character its offset in `text`.

    Used where evidence must point back at the article as written. Per-character NFKC differs from
    normalize() only for exotic combining sequences; the tokens of real text are the same.
    """
    plan = _per_char_plan(text)
    if plan is None:
        return _with_offsets_per_char(text)
    table, dropped = plan
    offsets = [i for i, c in enumerate(text) if c not in dropped] if dropped else list(range(len(text)))
    return text.translate(table), offsets


def normalize_per_char(text: str) -> str:
    """normalize_with_offsets(text)'s text alone, without building the offsets."""
    plan = _per_char_plan(text)
    return _with_offsets_per_char(text)[0] if plan is None else text.translate(plan[0])


def _per_char_plan(text: str) -> tuple[dict[int, str], set[str]] | None:
    """The translate table for `text`'s characters and the ones it drops; None when one expands to several
    (ligatures, some Latin): offsets then need the per-character path."""
    table: dict[int, str] = {}
    dropped: set[str] = set()
    for c in set(text):
        out = _char_out(c)
        if out == c:
            continue
        if len(out) > 1:
            return None
        table[ord(c)] = out
        if not out:
            dropped.add(c)
    return table, dropped


@lru_cache(maxsize=65536)
def _char_out(c: str) -> str:
    """What normalize_with_offsets turns one character of the original text into."""
    return "".join(_char(d) for d in unicodedata.normalize("NFKC", c))


def _with_offsets_per_char(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    offsets: list[int] = []
    for i, c in enumerate(text):
        n = _char_out(c)
        out.append(n)
        offsets.extend([i] * len(n))
    return "".join(out), offsets


def tokenize(text: str) -> list[str]:
    """Normalised word tokens of `text`."""
    return _WORD.findall(normalize(text))


def normalized_tokens(normalized: str) -> list[str]:
    """The tokens of an already normalised string (the words of iter_tokens, without their offsets)."""
    return _WORD.findall(normalized)


def iter_tokens(normalized: str) -> list[tuple[str, int, int]]:
    """(token, start, end) of every token in an already normalised string."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(normalized)]


def strip_clitics(token: str) -> str:
    """The token without leading و/ف, ب/ك/ل and the article ال (والناتو → ناتو, للعراق → عراق).

    Only prefixes are removed, never suffixes: عراقيل stays عراقيل, so look-alikes keep their identity.
    That is the shortest of the token's readings (the longest proclitic sequence that leaves a base), so
    it shares clitic_readings' memo rather than keeping a second one of the same words.
    """
    return clitic_readings(token)[-1]


@lru_cache(maxsize=WORD_MEMO_SIZE)
def clitic_readings(token: str) -> tuple[str, ...]:
    """Every reading of `token` as proclitics + base, longest base first (for matching against a term list).

    A word like والي could be و+الي or a base of its own, so the matcher tries each split rather than
    trusting one guess. Memoised: news repeats the same few thousand words all day.
    """
    bases = [token]
    for prefix in _PROCLITICS:
        if token.startswith(prefix) and len(token) - len(prefix) >= MIN_BASE:
            bases.append(token[len(prefix) :])
    return tuple(sorted(set(bases), key=len, reverse=True))


def proclitic_spellings(start: str) -> frozenset[str]:
    """How a token begins when one of its clitic_readings begins with `start`: `start` itself, or a proclitic
    sequence before it."""
    return frozenset((start, *(prefix + start for prefix in _PROCLITICS)))


def spellings_with_proclitics(base: str) -> frozenset[str]:
    """Every token one of whose clitic_readings is `base` (the inverse of clitic_readings): a base too short to
    be read apart from proclitics is only itself."""
    return proclitic_spellings(base) if len(base) >= MIN_BASE else frozenset((base,))


def index_terms(text: str) -> list[str]:
    """The normalised tokens of `text` without their proclitics (والعراق → عراق)."""
    return [strip_clitics(token) for token in tokenize(text)]
