"""Arabic normalisation, tokens and clitics."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from monitor.text.arabic import (
    _char,
    clitic_readings,
    normalize,
    normalize_per_char,
    normalize_with_offsets,
    strip_clitics,
    tokenize,
)

# Text drawn mostly from the Arabic block (letters, harakat, tatweel, hamza forms, digits) plus some
# Latin, punctuation, presentation forms and anything else Unicode offers.
ARABIC_BLOCK = st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
PRESENTATION = st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFC)
ANY = st.characters(blacklist_categories=("Cs",))
TEXT = st.text(st.one_of(ARABIC_BLOCK, PRESENTATION, st.sampled_from(" \n.،؛؟«»NATOnato"), ANY), max_size=80)


def test_diacritics_and_tatweel_are_removed() -> None:
    assert normalize("اَلنَّاتُو") == "الناتو"
    assert normalize("العـــراق") == "العراق"
    assert normalize("هٰذا") == "هذا"


def test_letter_variants_are_unified() -> None:
    assert normalize("أإآٱ") == "اااا"
    assert normalize("مستشفى") == "مستشفي"
    assert normalize("العراقية") == "العراقيه"
    assert normalize("مسؤول") == "مسوول"
    assert normalize("رئيس") == "رييس"


def test_digits_punctuation_latin_and_presentation_forms() -> None:
    assert normalize("٢٠٢٤ و۱۹") == "2024 و19"
    assert normalize("،؛؟«»") == ',;?""'
    assert normalize("NATO Iraq NMI") == "nato iraq nmi"
    assert normalize("ﻻ") == "لا"  # lam-alef ligature (NFKC)
    assert normalize("النا\u200cتو") == "الناتو"  # zero-width non-joiner inside a word


@given(TEXT)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(TEXT)
def test_offsets_point_into_the_original(text: str) -> None:
    norm, offsets = normalize_with_offsets(text)
    assert len(offsets) == len(norm)
    assert offsets == sorted(offsets)
    assert all(0 <= o < len(text) for o in offsets)


def test_tokens_survive_clitics() -> None:
    words = tokenize("والناتو للناتو بالناتو وبالعراق والعراقيه #قوات_الناتو")
    assert [strip_clitics(w) for w in words] == ["ناتو", "ناتو", "ناتو", "عراق", "عراقيه", "قوات", "ناتو"]
    assert "ناتو" in clitic_readings("فللناتو")


def test_look_alikes_keep_their_identity() -> None:
    for word, base in [("عراقيل", "عراق"), ("عراقجي", "عراق"), ("السيناتور", "ناتو"), ("الأطلسي", "ناتو")]:
        token = tokenize(word)[0]
        assert base not in clitic_readings(token)


# The straightforward per-character definitions that the str.translate-based functions must reproduce exactly.
def _reference_normalize(text: str) -> str:
    for _ in range(4):
        out = "".join(_char(c) for c in unicodedata.normalize("NFKC", text))
        if out == text:
            break
        text = out
    return text


def _reference_with_offsets(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    offsets: list[int] = []
    for i, c in enumerate(text):
        for d in unicodedata.normalize("NFKC", c):
            n = _char(d)
            out.append(n)
            offsets.extend([i] * len(n))
    return "".join(out), offsets


@given(TEXT)
def test_normalize_equals_the_per_character_definition(text: str) -> None:
    assert normalize(text) == _reference_normalize(text)


@given(TEXT)
def test_offsets_equal_the_per_character_definition(text: str) -> None:
    assert normalize_with_offsets(text) == _reference_with_offsets(text)


@given(TEXT)
def test_the_text_without_offsets_is_the_text_with_them(text: str) -> None:
    assert normalize_per_char(text) == _reference_with_offsets(text)[0]


def test_offsets_with_dropped_and_expanding_characters() -> None:
    # harakat and tatweel are dropped; the lam-alef ligature and ﬁ expand to two characters (slow path)
    for text in ["اَلنَّاتُو والعـــراق", "ﻻ بد", "ﬁle العراق", "", "abc", "\u200fالعراق\u200f"]:
        assert normalize_with_offsets(text) == _reference_with_offsets(text)
    assert normalize_with_offsets("اَل") == ("ال", [0, 2])
