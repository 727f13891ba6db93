"""Is a sentence that pairs two topic terms only a passing mention? Rules over the sentence's words.

    passing_kind(tokens, comma_before, sentence, pair) -> str | None
        tokens: the article's normalised tokens; comma_before[i]: a comma or list mark precedes token i;
        sentence: (first, last) token index of the sentence; pair: the (first, last) spans of the mentions
        that formed the unit. Returns why the pairing is a passing mention ("enumeration", "past role",
        "venue", "nationals", "surname"), or None when it may be a real link.

A news sentence often names NATO and Iraq together without linking them: a list of partner countries,
a biography, a relative clause about someone's earlier post, a match or festival held somewhere, Iraqi
nationals met by an operation elsewhere, a person called al-Iraqi. Each rule looks for the grammatical
sign of one of these; a sentence about a mission or training is judged by the caller, not here.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.text.arabic import normalize


def _words(*raw: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in raw)


# A relative pronoun opens a clause about someone else ("…, who earlier served with NATO in Iraq, …").
_RELATIVE = _words("الذي", "التي", "الذين", "اللذين", "اللذان", "اللتين", "اللتان", "اللواتي", "اللاتي")
# Words that put a role in the past or in a career list.
_PAST_ROLE = _words(
    "سابقا", "السابق", "السابقة", "سابق", "سبق", "شغل", "تقلد", "تولى", "خدم", "عمل", "كان", "مسيرته",
    "مسيرتها", "منصب", "عين", "قبل",
)  # fmt: skip
_BIOGRAPHY = _words("ولد", "مواليد", "تخرج", "حاصل", "مسيرته", "مسيرتها", "المهنية", "سيرته", "تقاعد")
# Sport and culture: the pairing is a venue or a backdrop, not the story.
_VENUE = _words(
    "مباراه", "المباراه", "منتخب", "المنتخب", "ملعب", "الملعب", "بطوله", "البطوله", "الدوري", "كاس",
    "مهرجان", "المهرجان", "معرض", "المعرض", "فيلم", "الفيلم", "حفل", "الحفل", "فرقه", "الفرقه", "رواية",
    "روايه", "الروايه", "مسرحيه", "المسرح", "موسيقي", "الموسيقي", "ماراثون", "سباق", "السباق", "لاعب",
    "اللاعب", "نادي", "النادي", "مدرب", "المدرب", "فنان", "الفنان", "الفنانه", "جائزه", "الجائزه",
)  # fmt: skip
# Iraqi nationals as people an operation met (migrants, passengers, detainees counted by number).
_NATIONALS = _words("عراقيين", "العراقيين", "عراقيون", "العراقيون")
_NATIONALS_NOUNS = _words(
    "مهاجرين", "مهاجرون", "لاجيين", "لاجيون", "مواطنين", "مواطنون", "رعايا", "ركاب", "مسافرين", "مهربين",
    "معتقلين", "موقوفين", "اشخاص", "اشخاصا", "اجانب", "بينهم", "منهم", "مقاتلين", "جهاديين", "عناصر",
)  # fmt: skip
_NUMBER_WORDS = _words(
    "اثنين", "اثنان", "ثلاثه", "اربعه", "خمسه", "سته", "سبعه", "ثمانيه", "تسعه", "عشره", "عشرات", "مئات",
    "عدد", "بضعه",
)  # fmt: skip
# Given names: "محمد العراقي" is a person, not an Iraqi (the surname is common in the Maghreb).
_GIVEN_NAMES = _words(
    "محمد", "احمد", "علي", "حسن", "حسين", "عمر", "خالد", "سعد", "يوسف", "ابراهيم", "مصطفى", "عبد", "عبدالله",
    "عبدالرحمن", "سعيد", "رشيد", "كريم", "عادل", "نبيل", "هشام", "فاطمه", "مريم", "سلمى", "نادية", "ناديه",
    "ليلى", "زينب", "امينه", "ادريس", "عثمان", "جمال", "طارق", "وليد", "ياسين", "حميد", "عزيز", "منير",
    "فؤاد", "فواد", "مولاي", "سيدي", "السيد", "السيده", "الكاتب", "الكاتبه", "الصحفي", "الباحث", "الدكتور",
)  # fmt: skip
_LIST_ITEMS = 3  # a mention with two more items joined to it by commas or "و" is an item in a list


# Words that begin with the letter و without it being the conjunction.
_WAW_WORDS = _words(
    "وزير", "وزيره", "وزراء", "وزاره", "واشنطن", "وفد", "وقت", "وكاله", "وضع", "وسط", "وفق", "وجود", "وحدات",
    "وحده", "وطني", "الوطني", "ورقه", "وثيقه", "وصول", "وعد", "ولايه", "ولي",
)  # fmt: skip


def _conjoined(token: str) -> bool:
    """The token starts with the conjunction و (و + a base of at least three letters)."""
    return token.startswith("و") and len(token) >= 4 and token not in _WAW_WORDS


def _list_items(tokens: Sequence[str], comma_before: Sequence[bool], span: tuple[int, int], lo: int, hi: int) -> int:
    """How many one-word items are joined to the mention at `span` by commas or و, itself included."""
    first, last = span
    items = 1
    i = first
    while i - 1 >= lo and (comma_before[i] or _conjoined(tokens[i])):
        items += 1
        i -= 1
    j = last + 1
    while j <= hi and (comma_before[j] or _conjoined(tokens[j])):
        items += 1
        j += 1
    return items


def passing_kind(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    sentence: tuple[int, int],
    pair: Sequence[tuple[int, int]],
) -> str | None:
    lo, hi = sentence
    words = tokens[lo : hi + 1]
    start = min(first for first, _ in pair)

    # Three or more items joined by commas or و: a list of countries or posts, even when both terms
    # are in it ("the UN, NATO and Iraq"); a real link names two parties, not three.
    if any(_list_items(tokens, comma_before, span, lo, hi) >= _LIST_ITEMS for span in pair):
        return "enumeration"

    before = set(tokens[lo:start])
    if (before & _RELATIVE and before & _PAST_ROLE) or set(words) & _BIOGRAPHY:
        return "past role"

    if set(words) & _VENUE:
        return "venue"

    for first, last in pair:
        word = tokens[first]
        prev = tokens[first - 1] if first > lo else ""
        if word in _NATIONALS and (prev in _NATIONALS_NOUNS or prev in _NUMBER_WORDS or prev.isdigit()):
            return "nationals"
        if word == "العراقي" and first == last and prev in _GIVEN_NAMES:
            return "surname"
    return None
