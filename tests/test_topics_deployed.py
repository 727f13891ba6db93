"""What a deployed monitor meets: short items decided on what they have, passing mentions, variant names."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.decide.passing import passing_kind
from monitor.decide.topics import basis, match_topic
from monitor.settings.topics import Topic, parse_topics
from monitor.text.arabic import normalize, tokenize

ROOT = Path(__file__).resolve().parents[1]
FILLER = "وأضاف المصدر أن الاجتماعات ستتواصل. وأشار إلى أن التفاصيل ستعلن لاحقا. ولم يصدر أي تعليق رسمي."


@pytest.fixture(scope="module")
def nato_iraq() -> Topic:
    config = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))
    return next(t for t in parse_topics(config["topics"]) if t.name == "nato_iraq")


def test_basis_says_how_much_there_was_to_judge() -> None:
    assert basis("الناتو في العراق", "") == "headline"
    assert basis("الناتو في العراق", "الناتو في العراق") == "headline"  # feeds repeat the title as text
    assert basis("الناتو في العراق", "جملة أولى. جملة ثانية.") == "summary"
    assert basis("الناتو في العراق", "جملة أولى. جملة ثانية. جملة ثالثة.") == "full"
    assert basis("", "نص بلا عنوان.") == "full"


def test_a_headline_that_pairs_nato_with_iraq_is_a_match_and_says_so(nato_iraq: Topic) -> None:
    result = match_topic(nato_iraq, "أمين عام الناتو يصل إلى بغداد", "")
    assert result.matched
    assert result.basis == "headline"
    assert result.score < result.threshold  # matched as a short item, not by score
    assert "decided on the headline only" in result.reason
    assert {e.group for e in result.evidence} == {"nato", "iraq"}


def test_the_same_pair_in_a_full_article_still_needs_the_threshold(nato_iraq: Topic) -> None:
    result = match_topic(nato_iraq, "أمين عام الناتو يصل إلى بغداد", FILLER)
    assert result.basis == "full"
    assert not result.matched


def test_a_summary_sentence_pairing_them_is_a_match(nato_iraq: Topic) -> None:
    result = match_topic(nato_iraq, "موقف أطلسي", "قال الأمين العام لحلف الناتو إن الحلف يراقب الوضع في العراق.")
    assert result.matched and result.basis == "summary"


def test_a_digest_headline_joins_two_stories_not_nato_and_iraq(nato_iraq: Topic) -> None:
    for title in (
        "الناتو يوسع مهمته في البلطيق | مقتل ثلاثة بتفجير في بغداد",
        "موجز الأخبار: قمة الناتو في بروكسل وانتخابات في العراق",
        "مناورات للناتو في النرويج • احتجاجات في البصرة",
    ):
        result = match_topic(nato_iraq, title, "")
        assert not result.matched, (title, result.reason)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("بدأ تمرين تشارك فيه مصر والعراق والبحرين وتونس بدعم من خبراء تدريب في الناتو.", "enumeration"),
        ("عين السفير، الذي عمل سابقا مستشارا في بعثة الناتو في العراق، في طوكيو.", "past role"),
        ("تعادل المنتخب العراقي في مباراة ودية في ملعب قرب مقر الناتو.", "venue"),
        ("اعتقلت قوات الناتو في أفغانستان خمسة عراقيين خلال مهمة.", "nationals"),
        ("تحدث الكاتب محمد العراقي عن مترجم عمل في مهمة للناتو.", "surname"),
    ],
)
def test_passing_mentions_score_nothing_and_say_why(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched
    assert result.score == 0
    assert f"passing mention(s) not counted ({kind})" in result.reason
    assert result.evidence  # the pairing is still shown


def test_a_substantive_sentence_is_not_passing(nato_iraq: Topic) -> None:
    result = match_topic(nato_iraq, "خبر", "قرر حلف الناتو توسيع بعثته في العراق لتدريب القوات العراقية. " + FILLER)
    assert result.matched and "passing" not in result.reason


def test_passing_kind_on_tokens() -> None:
    tokens = tokenize("شاركت الكويت والعراق والسعودية مع الناتو")
    commas = [False] * len(tokens)
    assert passing_kind(tokens, commas, (0, len(tokens) - 1), [(2, 2), (5, 5)]) == "enumeration"
    tokens = tokenize("اتفق الناتو والعراق على التدريب")
    assert passing_kind(tokens, [False] * len(tokens), (0, len(tokens) - 1), [(1, 1), (2, 2)]) is None


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("حلف شمال الأطلنطي والعراق", "قال حلف شمال الأطلنطي إنه سيواصل مهمة التدريب في العراق. " + FILLER),
        ("القوات الأطلسية", "أكدت القوات الأطلسية أنها ستواصل تدريب الجيش العراقي. " + FILLER),
        ("NMI", "NMI trains officers of the Iraqi ministry of defence. " + FILLER),
        ("el nato fel 3ira2", "el nato hay6awlo mohemet el tadreeb fel 3ira2."),
        ("عراقی", "أعلنت بعثة الناتو في العراق تدريب ۱۵۰ ضابطا عراقیا. " + FILLER),
    ],
)
def test_variant_names_and_spellings_are_found(nato_iraq: Topic, title: str, text: str) -> None:
    assert match_topic(nato_iraq, title, text).matched


@pytest.mark.parametrize("word", ["عراقيل", "عراقجي", "السيناتور", "المحيط الأطلسي", "el mo7it el atlasi"])
def test_lookalikes_still_score_nothing(nato_iraq: Topic, word: str) -> None:
    result = match_topic(nato_iraq, f"{word} والناتو", f"تحدث عن {word} في بغداد.")
    assert not result.matched


def test_normaliser_folds_persian_and_kurdish_keyboard_letters() -> None:
    assert normalize("کردستان") == normalize("كردستان")
    assert normalize("عراقی") == normalize("عراقي")
    assert normalize("ھذا") == normalize("هذا")
    assert normalize("بعثۀ") == normalize("بعثة") == normalize("بعثە")
    assert normalize("٢٠١٨") == normalize("۲۰۱۸") == "2018"
