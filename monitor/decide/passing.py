"""Is a sentence that pairs two topic terms only a passing mention? Rules over the sentence's words.

    passing_kind(tokens, comma_before, sentence, pair, substantive=False, group_at=None) -> str | None
        tokens: the article's normalised tokens; comma_before[i]: a comma or list mark precedes token i;
        sentence: (first, last) token index of the sentence; pair: the (first, last) spans of the mentions
        that formed the unit, the anchor group's first. Returns why the pairing is a passing mention
        ("enumeration", "past role", "venue", "nationals", "elsewhere", "surname", "named status"), or
        None when it may be a real link.

A news sentence often names NATO and Iraq together without linking them: a list of partner countries,
a biography, a relative clause about someone's earlier post, a match or festival held somewhere, Iraqi
nationals met by an operation elsewhere, a person called al-Iraqi. Each rule looks for the grammatical
sign of one of these; a sentence about a mission or training is judged by the caller, not here.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from monitor.text.arabic import normalize, strip_clitics


def _words(*raw: str) -> frozenset[str]:
    return frozenset(normalize(w) for w in raw)


# A relative pronoun opens a clause about someone else ("…, who earlier served with NATO in Iraq, …").
_RELATIVE = _words("الذي", "التي", "الذين", "اللذين", "اللذان", "اللتين", "اللتان", "اللواتي", "اللاتي")
# Words that put a role in the past or in a career list.
_PAST_ROLE = _words(
    "سابقا", "السابق", "السابقة", "سابق", "سبق", "شغل", "تقلد", "تولى", "خدم", "عمل", "كان", "مسيرته",
    "مسيرتها", "منصب", "عين", "قبل", "سابقه", "كانت", "خدمت", "عملت", "شغلت", "تولت", "رافق", "رافقت", "امضى",
    "امضت", "قضى", "قضت",
    # Led, headed, ran, oversaw or covered (as a reporter) a post: the verbs of a career as well.
    "قاد", "قادت", "ترأس", "ترأست", "ادار", "ادارت", "اشرف", "اشرفت", "غطى", "غطت",
)  # fmt: skip
_BIOGRAPHY = _words(
    "ولد", "مواليد", "حاصل", "مسيرته", "مسيرتها", "المهنية", "سيرته", "تقاعد", "مذكرات", "مذكراته",
    "مذكراتها", "مناصب",
)  # fmt: skip
# An obituary is about the person even when it names the mission they led.
_OBITUARY = _words("توفي", "توفيت", "الراحل", "الراحله", "رحيل", "نعى", "نعت", "وفاه")
# Sport and culture: the pairing is a venue or a backdrop, not the story.
_VENUE = _words(
    "مباراه", "المباراه", "منتخب", "المنتخب", "ملعب", "الملعب", "بطوله", "البطوله", "الدوري", "كاس",
    "مهرجان", "المهرجان", "معرض", "المعرض", "فيلم", "الفيلم", "حفل", "الحفل", "فرقه", "الفرقه", "رواية",
    "روايه", "الروايه", "مسرحيه", "المسرح", "موسيقي", "الموسيقي", "ماراثون", "سباق", "السباق", "لاعب",
    "اللاعب", "نادي", "النادي", "مدرب", "المدرب", "فنان", "الفنان", "الفنانه", "جائزه", "الجائزه",
    "مطعم", "مطعما", "المطعم", "المطبخ", "مطبخ", "اطباق", "امسيه", "شعريه", "الشعر", "قصيده", "جاليه", "الجاليه",
    "معرضا", "حفلا", "مسرحيه", "مسرح", "لوحات", "لوحاته", "مسابقه", "بمسابقه", "طبخ", "طاه", "فاز", "فازت",
    # Words that set the culture and sport articles of the shared corpus apart from the rest (ANT's
    # culture and sport sections against its news), and the book world (a novelist, a library).
    "مسلسل", "المسلسل", "المخرج", "مخرج", "الممثل", "الممثله", "الممثلين", "السينما", "السينمائي", "المطرب",
    "مطرب", "لحن", "روائي", "روائيه", "الروائي", "الروائيه", "مكتبه", "المكتبه", "القدم", "مباريات",
    "المباريات", "اللاعبين", "المونديال", "مونديال", "الاندية", "الجماهير", "المشجعين", "للمنتخب", "لمنتخب",
    "الشوط",
    # Museums and antiquities.
    "متحف", "المتحف", "متاحف", "المتاحف", "اثريه", "الاثريه", "التراث",
)  # fmt: skip
# Venue words in another sense: "لاعب أساسي" (a key player), "فاز بدعم" (won the support of).
_KEY_PLAYER = _words("لاعب", "اللاعب", "لاعبا")
_KEY_ADJECTIVES = _words(
    "اساسي", "اساسيا", "رئيسي", "رئيسيا", "محوري", "محوريا", "مهم", "مهما", "فاعل", "فاعلا", "اقليمي", "اقليميا",
)  # fmt: skip
_WON = _words("فاز", "فازت")
_WON_BACKING = _words("دعم", "تاييد", "موافقه", "ثقه", "مساعده", "تمويل", "مساندة", "مسانده", "شراكه")
# Where the Iraq side is the place of the event or Iraq's own forces, a ceremony or an exhibition is part
# of the story ("افتتح الناتو في بغداد معرضا", "حفل لتسليم الجيش العراقي معدات").
_IRAQ_PLACES = _words("العراق", "بغداد", "اربيل", "البصره", "الموصل", "كركوك", "الانبار", "التاجي")
_AT = _words("في", "الى", "داخل")
_IRAQ_PLACES_BARE = frozenset(strip_clitics(w) for w in _IRAQ_PLACES)
_IRAQ_FORCES = _words(
    "الجيش", "القوات", "قوات", "الشرطه", "وزاره", "لوزاره", "للجيش", "للقوات",
    # Units and services: "وحدة عراقية", "لواء عراقي", "القوة الجوية العراقية".
    "وحده", "وحدات", "لوحده", "لواء", "كتيبه", "فوج", "جهاز", "قياده", "الجويه", "البحريه", "سلاح",
)  # fmt: skip
_IRAQ_FORCES_BARE = frozenset(strip_clitics(w) for w in _IRAQ_FORCES)  # "للشرطة العراقية"
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
    "فؤاد", "فواد", "مولاي", "سيدي",
    # More given names common in the Maghreb and the Mashreq, where al-Iraqi is a family name.
    "سمير", "كمال", "يونس", "مراد", "حمزه", "انس", "منصف", "نزهه", "سعاد", "خديجه", "سلوى", "رجاء", "هند",
    "لطيفه", "سناء", "نوال", "حسناء", "بشرى", "ربيع", "رضا", "توفيق", "الطيب", "العربي", "المهدي", "مهدي",
    "ايوب", "زكريا", "اسماعيل", "عمار", "بلال", "صلاح", "سفيان", "نور", "نورالدين", "عبدالحق", "عبداللطيف",
    "عبدالرحيم", "عبدالكريم", "محسن", "نجيب", "لحسن", "امين", "ماجد", "فيصل", "هاني", "سامي", "رامي", "وفاء",
    "سميره", "حياه", "نعيمه", "غيثه", "كوثر", "اسماء", "دنيا", "ياسمين", "سكينه", "عائشه", "حليمه",
)  # fmt: skip
# A title or profession: "الكاتب العراقي" is the Iraqi writer (an adjective), but a word between a title and
# العراقي is a given name ("المهندس كمال العراقي"), and "عائلة العراقي" names a family.
_TITLES = _words(
    "السيد", "السيده", "الكاتب", "الكاتبه", "الصحفي", "الصحفيه", "الباحث", "الباحثه", "الدكتور", "الدكتوره",
    "المهندس", "المهندسه", "المحامي", "المحاميه", "الفنان", "الفنانه", "المخرج", "المخرجه", "الاستاذ",
    "الاستاذه", "البروفيسور", "الشيخ", "الحاج", "الطبيب", "الطبيبه", "الروائي", "الروائيه", "الشاعر",
    "الشاعره", "اللاعب", "اللاعبه", "المدرب", "الممثل", "الممثله", "المطرب", "المطربه",
)  # fmt: skip
_FAMILY = _words("عائله", "اسره", "ال", "عائلة", "أسرة", "آل")
_LIST_ITEMS = 3  # a mention with two more items joined to it by commas or "و" is an item in a list
# A comma clause opening with a career verb is an apposition about someone's earlier post
# ("…، خدم في مهمة الناتو بالعراق عام 2019، …", "…، كان قد عمل مستشارا لبعثة الناتو في العراق").
_PRONOUNS = _words("وهو", "وهي", "هو", "هي")
_CAREER = _words(
    "خدم", "خدمت", "عمل", "عملت", "شغل", "شغلت", "تولى", "تولت", "تقلد", "تقلدت", "تنقل", "تنقلت", "رافق", "رافقت",
    "امضى", "امضت", "قضى", "قضت", "قاد", "قادت", "ترأس", "ترأست", "ادار", "ادارت", "اشرف", "اشرفت", "غطى", "غطت",
)  # fmt: skip
_TOOK_PART = _words("شارك", "شاركت")
_WORK = _words("عمل")
_CAREER_FOLLOW = _words("في", "مع", "لدى", "ضمن", "لحساب", "سابقا", "لصالح", "بين")
# "مستشار سابق لبعثة الناتو": a former post named just before the mention.
_FORMER = _words("سابق", "سابقه", "سابقا", "السابق", "السابقه")
# People an operation meets, by their Iraqi nationality ("مسافرا عراقيا", "مرتزقة عراقيين").
_CIVILIANS = tuple(normalize(w) for w in (
    "مسافر", "راكب", "بحار", "مهاجر", "لاجي", "مرتزق", "سايح", "سياح", "طالب", "شاب", "رجل", "امراه", "عائله",
    "طبيب", "مقاتل", "متطرف", "قبطان", "سائق", "زوار", "مهندس",
))  # fmt: skip
_CAREER_PRESENT = _words("يعمل", "تعمل", "يخدم", "تخدم", "يشغل", "تشغل")
# "سبق له العمل مع الناتو", "سبق لها الخدمة في بعثة الناتو": had already + a career verbal noun (the
# corpus has the verb form, "سبق له أن عمل", "سبق أن شغل", which _CAREER covers).
_ALREADY = _words("سبق", "وسبق", "سبقت", "وسبقت")
_CAREER_NOUNS = _words("العمل", "الخدمه", "تولي", "شغل", "الاشتغال", "التدريس", "الاشراف", "قياده", "اداره", "رئاسه")
# "كان ضمن فريق …", "كانت متحدثة باسم …", "كان عضوا في …": was + a place in a team or a post.
_WITHIN = _words("ضمن")
_POST_FOLLOW = _words("باسم", "في", "لدى", "مع", "ل", "لصالح", "ضمن")
# The complementiser of reported speech: after "قال … إن" comes the statement, not the speaker's past.
_THAT = _words("ان", "إن", "أن")
# Words that put a career clause in the past: "كان قد خدم", "سبق أن عمل".
_BEFORE_CAREER = _words("كان", "وكان", "كانت", "وكانت", "سبق", "وسبق", "سبقت")
# "ناتو الخليج", "ناتو الشرق الأوسط": NATO as a name for a region's pact.
_PACT_REGIONS = _words("الخليج", "الشرق", "المنطقه", "العرب", "المسلمين", "السنه", "الشيعه")
_INDEFINITE_CLITICS = ("", "ب", "و", "ك", "ف", "وب", "وك", "فب")  # "بناتو شيعي", not "للناتو"
_NATO_NAMES = _words("حلف", "الحلف", "الاطلسي", "الاطلنطي", "(")
# Where NATO operates outside Iraq: an operation there that meets Iraqis (a crew, a fighter, a doctor)
# meets nationals, not the country.
_THEATRES = _words(
    "افغانستان", "كوسوفو", "ليبيا", "البلطيق", "ايجه", "المتوسط", "الاسود", "الاحمر", "قبرص", "اوكرانيا",
    "بولندا", "ليتوانيا", "لاتفيا", "استونيا", "رومانيا", "الصومال", "عدن", "البوسنه", "صربيا", "مقدونيا",
    "بيلاروسيا", "مالطا", "قندهار", "كابول", "هلمند", "روسيا", "كييف", "طرابلس", "بنغازي",
)  # fmt: skip
_DEMONYMS = _words("عراقي", "عراقيا", "عراقيه", "عراقيين", "عراقيون", "العراقيين", "العراقيون", "عراقيات")
# Iraqis named as the country's forces: trained officers and soldiers are the link, not bystanders.
_FORCES = _words(
    "ضابط", "ضباط", "ضابطا", "جندي", "جنود", "جنديا", "عسكريين", "عسكريون", "طيارين", "طيارون", "قوات",
    "متدربين", "متدربون", "منتسبين", "لضباط", "لجنود", "وضباط", "وجنود", "وحده", "وحدات", "لواء", "كتيبه",
)  # fmt: skip


# Words that begin with the letter و without it being the conjunction.
_WAW_WORDS = _words(
    "وزير", "وزيره", "وزراء", "وزاره", "واشنطن", "وفد", "وقت", "وكاله", "وضع", "وسط", "وفق", "وجود", "وحدات",
    "وحده", "وطني", "الوطني", "ورقه", "وثيقه", "وصول", "وعد", "ولايه", "ولي",
)  # fmt: skip


def conjoined(token: str) -> bool:
    """The token starts with the conjunction و (و + a base of at least three letters)."""
    return token.startswith("و") and len(token) >= 4 and token not in _WAW_WORDS


def _list_items(
    tokens: Sequence[str], comma_before: Sequence[bool], span: tuple[int, int], lo: int, hi: int
) -> list[int]:
    """The one-word items joined to the mention at `span` by commas or و (token indices, the mention's
    first token included)."""
    first, last = span
    items = [first]
    i = first
    while i - 1 >= lo and (comma_before[i] or conjoined(tokens[i])):
        i -= 1
        items.append(i)
    j = last + 1
    while j <= hi and (comma_before[j] or conjoined(tokens[j])):
        items.append(j)
        j += 1
    return items


def _apposition(tokens: Sequence[str], comma_before: Sequence[bool], lo: int, start: int, end: int) -> bool:
    """The pair sits in a comma clause that opens with a career verb, and the clause closes after it."""
    opening = next((i for i in range(start, lo, -1) if comma_before[i]), None)
    if opening is None:
        return False
    words = tokens[opening : opening + 3]
    career = words[0] in _CAREER or (words[0] in _BEFORE_CAREER and bool(set(words[1:]) & _CAREER))
    # "…، وهو مبعوث سابق للناتو إلى العراق، …", "…، وهو دبلوماسي عمل سابقا مع الناتو …"
    career = career or (words[0] in _PRONOUNS and bool(set(tokens[opening : end + 1]) & _PAST_ROLE))
    # "…، سبق أن درب قوات عراقية ضمن مهمة الناتو" / "…، كان قد …": a past clause about the antecedent (not
    # "…، كان الناتو قد …", where the alliance is the subject).
    career = career or (words[0] in _BEFORE_CAREER and opening + 1 != start)
    return career and not any(comma_before[i] for i in range(opening + 1, end + 1))


def _surname(tokens: Sequence[str], first: int, lo: int) -> bool:
    """العراقي at `first` is a person's surname: after a given name ("عبد اللطيف العراقي"), after a title
    or another country's adjective and a name ("العداء المغربي حمزة العراقي"), or a family."""
    prev = tokens[first - 1] if first > lo else ""
    before = tokens[first - 2] if first - 1 > lo else ""
    if prev in _GIVEN_NAMES or prev in _FAMILY or before in ("عبد", "ابو"):
        return True
    named = prev not in _TITLES and not prev.isdigit() and not prev.startswith("ال")
    foreign = before.startswith("ال") and before.endswith("ي") and before != "العراقي" and len(before) > 4
    return (before in _TITLES and prev not in _TITLES and not prev.isdigit()) or (foreign and named)


def _in_iraq(tokens: Sequence[str], partners: Sequence[tuple[int, int]], lo: int) -> bool:
    """The Iraq side (the partner mentions, not the anchor: "قيادة الناتو" is NATO's command) is where it
    happens ("في بغداد") or Iraq's forces ("الجيش العراقي", "وحدة عراقية")."""
    for first, _ in partners:
        prev = tokens[first - 1] if first > lo else ""
        word = tokens[first]
        at = strip_clitics(word) in _IRAQ_PLACES_BARE and prev in _AT
        forces = prev in _IRAQ_FORCES or strip_clitics(prev) in _IRAQ_FORCES_BARE or word in _IRAQ_FORCES
        if at or (word[:1] == "ب" and word[1:] in _IRAQ_PLACES) or forces:
            return True
    return False


def _career_verb(tokens: Sequence[str], i: int) -> bool:
    """عمل at i is the verb "worked", not the noun "work" ("تمديد عمل مستشاري الناتو"): a verb is followed by
    a preposition or a post in the accusative ("عمل في", "عمل مستشارا")."""
    if tokens[i] not in _WORK:
        return True
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    return following in _CAREER_FOLLOW or following.endswith("ا")


def _career_clause(tokens: Sequence[str], lo: int, first: int, pair_start: int) -> bool:
    """A past career verb in the words just before the mention, with something between them: someone
    "served in" / "worked as an adviser to" NATO's mission ("خدم في مهمة الناتو", "عمل مستشارا لبعثة
    الناتو"), not NATO acting ("عمل الناتو على …", where the mention follows the verb)."""
    window = range(max(lo, first - _CAREER_WINDOW), first - 1)
    if any(tokens[i] in _CAREER and _career_verb(tokens, i) for i in window):
        return True
    # "كان ضابطا في بعثة الناتو": was + a post (accusative) before the mission.
    if any(tokens[i] in _BEFORE_CAREER and _post(tokens, i + 1) for i in window):
        return True
    if any(tokens[i] in _FORMER and not _THAT & set(tokens[i + 1 : first]) for i in range(max(lo, first - 3), first)):
        return True
    if any(tokens[i] in _CAREER_NOUNS and _ALREADY & set(tokens[max(lo, i - 2) : i]) for i in window):
        return True
    # "لمؤلف شارك في تدريب الجيش العراقي مع الناتو": took part, in a clause about someone (the sentence's
    # own first verb, "شارك وزير الدفاع العراقي في اجتماع للناتو", is the story).
    start = min(first, pair_start)
    if any(tokens[i] in _TOOK_PART for i in range(max(lo + 1, start - _CAREER_WINDOW), start - 1)):
        return True
    # "كان يعمل مستشارا قانونيا لدى الناتو": كان before a present career verb is a past habit.
    habit = range(max(lo, first - _CAREER_WINDOW - 2), first - 1)
    return any(tokens[i] in _BEFORE_CAREER and tokens[i + 1] in _CAREER_PRESENT for i in habit)


_CAREER_WINDOW = 6


def _post(tokens: Sequence[str], i: int) -> bool:
    """After كان: a post in the accusative ("ضابطا"), a feminine post and its complement ("متحدثة باسم"),
    or a place in a team ("ضمن فريق"); not a definite subject ("كانت بعثة الناتو")."""
    word = tokens[i] if i < len(tokens) else ""
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    if word.endswith("ا") or word in _WITHIN:
        return True
    return word.endswith("ه") and not word.startswith("ال") and following in _POST_FOLLOW


def _venue_words(words: Sequence[str]) -> bool:
    """A sport or culture word, not in its other sense ("لاعب أساسي", "فاز بدعم")."""
    for i, word in enumerate(words):
        if word not in _VENUE:
            continue
        following = words[i + 1 : i + 4]  # "فاز العراق بدعم": the subject may come between
        if word in _KEY_PLAYER and following[:1] and following[0] in _KEY_ADJECTIVES:
            continue
        if word in _WON and any(w.startswith("ب") and w[1:] in _WON_BACKING for w in following):
            continue
        return True
    return False


def passing_kind(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    sentence: tuple[int, int],
    pair: Sequence[tuple[int, int]],
    substantive: bool = False,
    group_at: Mapping[int, str] | None = None,
) -> str | None:
    """`substantive`: a mission or training word stands next to the pair (the caller's bonus group), so a
    sport or culture word, or a graduation, is part of the mission story rather than its backdrop.
    `group_at`: token index -> group of every topic mention, so a list of one side's own names (Baghdad,
    Basra and Erbil) is not taken for a list of parties."""
    lo, hi = sentence
    words = tokens[lo : hi + 1]
    start = min(first for first, _ in pair)
    end = max(last for _, last in pair)
    groups = group_at or {}

    # Three or more items joined by commas or و: a list of countries or posts, even when both terms
    # are in it ("the UN, NATO and Iraq"); a real link names two parties, not three.
    for span in pair:
        items = _list_items(tokens, comma_before, span, lo, hi)
        own = groups.get(span[0])
        if len(items) < _LIST_ITEMS or (own and all(groups.get(i) == own for i in items)):
            continue
        # Both sides in the list that follows the sentence's verb are its subject, acting together
        # ("بحث الناتو والعراق والأمم المتحدة …"), not items of a list about something else.
        if min(items) == lo + 1 and all(any(a <= i <= b for i in items) for a, b in pair):
            continue
        return "enumeration"

    # The two sides joined as one subject or object ("الناتو والحكومة العراقية افتتحا …") act together.
    spans = sorted(pair)
    joint = len(spans) == 2 and 0 < spans[1][0] - spans[0][1] <= 2 and conjoined(tokens[spans[0][1] + 1])
    substantive = substantive or joint

    before = set(tokens[lo:start])
    if before & _RELATIVE and before & _PAST_ROLE:
        return "past role"
    if _apposition(tokens, comma_before, lo, start, end):
        return "past role"
    # "تخرج في/من الجامعة" is a biography; "مدرسة للناتو تخرج ضباطا عراقيين" is the mission graduating them.
    graduated = any(w == "تخرج" and nxt in ("في", "من") for w, nxt in pairwise(words))
    if (not substantive and (set(words) & _BIOGRAPHY or graduated)) or set(words) & _OBITUARY:
        return "past role"

    if not substantive and _venue_words(words) and not _in_iraq(tokens, pair[1:], lo):
        return "venue"

    for first, last in pair:
        word = tokens[first]
        prev = tokens[first - 1] if first > lo else ""
        if word in _NATIONALS and (prev in _NATIONALS_NOUNS or prev in _NUMBER_WORDS or prev.isdigit()):
            return "nationals"
        if word == "العراقي" and first == last and _surname(tokens, first, lo):
            return "surname"
        if word in _DEMONYMS and first == last and prev not in _FORCES and set(words) & _THEATRES:
            return "elsewhere"
        if word in _DEMONYMS and first == last and strip_clitics(prev).startswith(_CIVILIANS):
            return "nationals"
        following = tokens[last + 1] if last < hi else ""
        if word in _NATIONALS and (following in _NUMBER_WORDS or following.isdigit()):
            return "nationals"  # "عراقيين اثنين"
        if _named_status(word, following, prev):
            return "named status"
    if _career_clause(tokens, lo, pair[0][0], start):
        return "past role"
    return None


def _named_status(word: str, following: str, prev: str) -> bool:
    """"ناتو عربي", "ناتو شيعي", "الناتو الخليجي", "ناتو الخليج": NATO as a name for another pact (not the
    bracketed "(ناتو)" after the alliance's full name)."""
    if word.endswith("ناتو") and word[:-4] in _INDEFINITE_CLITICS and prev not in _NATO_NAMES:
        # "ناتو النفط", "ناتو الخليج": an indefinite NATO of a definite noun names another pact.
        return following.endswith(("ي", "يه", "يا")) or following in _PACT_REGIONS or following.startswith("ال")
    return word == "الناتو" and following.startswith("ال") and following.endswith("ي") and len(following) > 4
