"""The words and numbers around an alert, in Arabic (the default) or English, and bidi isolation.

An alert mixes an Arabic page with left-to-right values: URLs, dates, scores, ASCII topic and group names.
Dropped raw into a right-to-left line, the Unicode bidi algorithm reorders them ("2026-11-23 09:45 UTC"
shows as "23-11-2026 09:45 … UTC"). Each embedded value is therefore isolated: FSI … PDI in plain text,
<bdi> in HTML (done by the renderer). Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANGUAGES = ("ar", "en")
DEFAULT_LANGUAGE = "ar"
DEFAULT_TIMEZONE = "Asia/Baghdad"

FSI = "\u2068"  # first strong isolate: the value takes the direction of its own first strong letter
PDI = "\u2069"  # pop directional isolate

_WORDS: dict[str, dict[str, str]] = {
    "alert": {"ar": "تنبيه", "en": "alert"},
    "alerts": {"ar": "تنبيهات", "en": "Alerts"},
    "digest": {"ar": "ملخص", "en": "digest"},
    "story_update": {"ar": "مستجدات قصة", "en": "story update"},
    "topic": {"ar": "الموضوع", "en": "Topic"},
    "source": {"ar": "المصدر", "en": "Source"},
    "published": {"ar": "نُشر", "en": "Published"},
    "why": {"ar": "سبب التنبيه", "en": "Why"},
    "evidence": {"ar": "المقاطع المطابقة", "en": "Matching passages"},
    "lead": {"ar": "مطلع الخبر", "en": "Lead"},
    "link": {"ar": "الرابط", "en": "Link"},
    "also": {"ar": "نُشر أيضًا في", "en": "Also published by"},
    "alert_id": {"ar": "معرّف التنبيه", "en": "Alert id"},
    "in_title": {"ar": "في العنوان", "en": "in the headline"},
    "groups": {"ar": "المجموعات", "en": "groups"},
    "score": {"ar": "الدرجة", "en": "score"},
    "unknown_time": {"ar": "غير معروف", "en": "unknown"},
    "period": {"ar": "الفترة", "en": "Period"},
    "per_topic": {"ar": "التنبيهات حسب الموضوع", "en": "Alerts per topic"},
    "basis": {"ar": "أساس القرار", "en": "Decided on"},
    "basis_headline": {"ar": "العنوان وحده", "en": "the headline only"},
    "basis_summary": {"ar": "العنوان والملخص وحدهما", "en": "the headline and summary only"},
    "basis_feed": {"ar": "نص الخلاصة وحده", "en": "the feed's text only"},
    "provisional": {
        "ar": "تنبيه مؤقت: لم يُقرأ نص المقال كاملًا بعد، وسيُؤكَّد أو يُسحب حين يصل",
        "en": "provisional: the full article has not been read yet; it is confirmed or withdrawn when it arrives",
    },
    "withdrawn": {"ar": "سحب تنبيه", "en": "Alert withdrawn"},
    "withdrawn_note": {
        "ar": "قُرئ نص المقال كاملًا فلم يعد يطابق الموضوع؛ هذه الرسالة تسحب التنبيه السابق",
        "en": "the full article was read and no longer matches the topic; this withdraws the earlier alert",
    },
    "withdrawn_why": {"ar": "قرار النص الكامل", "en": "Full text decision"},
    "withdrawn_at": {"ar": "وقت السحب", "en": "Withdrawn at"},
    "alerted_at": {"ar": "وقت التنبيه", "en": "Alerted at"},
}

# IANA zones an analyst here is likely to pick, named the way an Arabic reader says them
_ZONE_NAMES_AR = {
    "Asia/Baghdad": "بغداد",
    "Asia/Riyadh": "الرياض",
    "Asia/Kuwait": "الكويت",
    "Asia/Dubai": "دبي",
    "Asia/Amman": "عمّان",
    "Asia/Damascus": "دمشق",
    "Asia/Beirut": "بيروت",
    "Africa/Cairo": "القاهرة",
    "Europe/Brussels": "بروكسل",
    "Europe/London": "لندن",
}


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown alert language {language!r} (known: {', '.join(LANGUAGES)})")
    return language


def word(key: str, language: str) -> str:
    return _WORDS[key][check_language(language)]


# embeddings, overrides and isolates: a stray one inside a value (a hostile headline) must not unbalance ours
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Article text without bidi controls of its own, which could reorder the rest of its line."""
    return _BIDI_CONTROLS.sub("", text)


def isolate(value: str) -> str:
    """A value embedded in a plain-text line, kept whole whatever the line's direction."""
    return f"{FSI}{strip_controls(value)}{PDI}"


def _arabic_count(n: int, one: str, two: str, few: str, many: str) -> str:
    """Arabic counted nouns: 1 and 2 have their own forms, 3–10 take the plural, 11+ the singular accusative."""
    if n == 1:
        return f"{one} واحد"
    if n == 2:
        return two
    # a bare count needs no isolate: digits next to Arabic words keep their place in an RTL line
    if 3 <= n % 100 <= 10:
        return f"{n} {few}"
    return f"{n} {many}"


def count_alerts(n: int, language: str) -> str:
    if check_language(language) == "en":
        return f"{n} alert{'s' if n != 1 else ''}"
    return _arabic_count(n, "تنبيه", "تنبيهان", "تنبيهات", "تنبيهًا")


def count_sentences(n: int, language: str) -> str:
    if check_language(language) == "en":
        return f"{n} sentence{'s' if n != 1 else ''}"
    if n == 1:
        return "جملة واحدة"
    return _arabic_count(n, "جملة", "جملتين", "جمل", "جملة")


def more_passages(n: int, language: str) -> str:
    """The line under the shown passages: "و K مقاطع أخرى" / "and K more passages"."""
    if check_language(language) == "en":
        return f"and {n} more passage{'s' if n != 1 else ''}"
    if n == 1:
        return "ومقطع آخر"
    if n == 2:
        return "ومقطعان آخران"
    if 3 <= n % 100 <= 10:
        return f"و {n} مقاطع أخرى"
    return f"و {n} مقطعًا آخر"


def number(value: float) -> str:
    """A score or threshold: two decimals only when it has a fraction, Western digits (as in the config)."""
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def join_names(names: list[str], language: str) -> str:
    """Group names (config identifiers, usually ASCII), each isolated, joined with "و" / "+"."""
    sep = " و " if check_language(language) == "ar" else " + "
    return sep.join(isolate(n) for n in names)


def reason(score: float, threshold: float, paired_groups: list[str], paired_sentences: int, language: str) -> str:
    """Why the alert fired, from the facts (not a translation of the matcher's English reason line)."""
    met = score >= threshold
    op = "≥" if met else "<"
    facts = f"{isolate(number(score))} {op} {isolate(number(threshold))}"
    if check_language(language) == "en":
        line = f"{'match' if met else 'no match'}: score {facts}"
        if paired_groups and paired_sentences:
            line += f"; {join_names(paired_groups, language)} together in {count_sentences(paired_sentences, language)}"
        return line
    line = f"{'مطابقة' if met else 'لا مطابقة'}: الدرجة {facts}"
    if paired_groups and paired_sentences:
        line += f"؛ {join_names(paired_groups, language)} معًا في {count_sentences(paired_sentences, language)}"
    return line


@dataclass(frozen=True)
class ShownTime:
    """A moment as shown: in the reader's zone, with UTC beside it (both read left to right)."""

    local: str  # "2026-11-23 12:45"
    zone: str  # "بغداد" / "Asia/Baghdad"; "" when the zone is UTC itself
    utc: str  # "09:45 UTC", or with the date when the UTC day differs
    iso: str  # RFC 3339 in UTC, for <time datetime>


def _zone(timezone: str) -> ZoneInfo | None:
    if timezone in ("UTC", "Etc/UTC"):
        return None
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        # an alert must still go out; the settings check names the bad zone, here UTC is shown alone
        return None


def shown_time(value: datetime, timezone: str, language: str) -> ShownTime:
    if value.tzinfo is None:  # the pipeline stores UTC; an unlabelled value is UTC, not local time
        value = value.replace(tzinfo=UTC)
    utc = value.astimezone(UTC)
    iso = utc.isoformat().replace("+00:00", "Z")
    zone = _zone(timezone)
    if zone is None:
        return ShownTime(utc.strftime("%Y-%m-%d %H:%M"), "", "UTC", iso)
    local = value.astimezone(zone)
    utc_text = utc.strftime("%H:%M UTC") if utc.date() == local.date() else utc.strftime("%Y-%m-%d %H:%M UTC")
    name = _ZONE_NAMES_AR.get(timezone, timezone) if check_language(language) == "ar" else timezone
    return ShownTime(local.strftime("%Y-%m-%d %H:%M"), name, utc_text, iso)


def time_text(value: datetime | None, timezone: str, language: str) -> str:
    """The plain-text form, values isolated: "⁨2026-11-23 12:45⁩ بتوقيت بغداد (⁨09:45 UTC⁩)"."""
    if value is None:
        return word("unknown_time", language)
    t = shown_time(value, timezone, language)
    if not t.zone:
        return isolate(f"{t.local} UTC")
    if language == "ar":
        return f"{isolate(t.local)} بتوقيت {isolate(t.zone)} ({isolate(t.utc)})"
    return f"{isolate(t.local)} {isolate(t.zone)} ({isolate(t.utc)})"


def basis_note(basis: str, provisional: bool, language: str) -> str | None:
    """What an alert was decided on when it was less than a full page, or None for a full page."""
    if basis == "headline":
        shown = word("basis_headline", language)
    elif basis == "summary":
        shown = word("basis_summary", language)
    elif provisional:
        shown = word("basis_feed", language)
    else:
        return None
    return f"{shown} ({word('provisional', language)})" if provisional else shown
