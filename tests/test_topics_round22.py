"""nato_iraq on the families of round 22's errors, in wording of their own (not the round's items)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.decide.topics import match_topic
from monitor.settings.topics import Topic, parse_topics

ROOT = Path(__file__).resolve().parent.parent
FILLER = "وأضاف المصدر أن الاجتماعات ستتواصل. وأشار إلى أن التفاصيل ستعلن لاحقا. ولم يصدر أي تعليق رسمي."


@pytest.fixture(scope="module", params=["config/monitor.toml", "monitor/data/demo_topics.toml"])
def nato_iraq(request: pytest.FixtureRequest) -> Topic:
    config = tomllib.loads((ROOT / request.param).read_text(encoding="utf-8"))
    return next(t for t in parse_topics(config["topics"]) if t.name == "nato_iraq")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # Iraq's movements and blocs by their names; Baghdad's Green Zone; al-Fayyadh by name.
        ("التيار الصدري يطالب بجدول لانسحاب مستشاري الناتو", ""),
        ("خبر", "عقد في المنطقة الخضراء اجتماع لبحث مستقبل بعثة الناتو. " + FILLER),
        ("فالح الفياض يبحث مع مستشاري الناتو خطط التدريب", ""),
        # Iraqi Arabizi: 8 for qaf, the preposition joined to the word, b3tha and darrab as mission words.
        ("el natu ydarrbo el jaysh el 3ra8i", ""),
        ("el natu 3am ydarrbo el jaysh bl3ira2", ""),
        ("el natu rah ywasse3 el b3tha bel3raq", ""),
        # A title's short fronted part that meets the other side goes on into its next part.
        ("عقب اجتماع مع قادة الناتو.. العراق يطلب منظومات دفاع جوي", ""),
        # A member of the alliance's team killed or wounded in Iraq, whatever clause names his post.
        ("خبر", "الضابط الإيطالي الذي أصيب في البصرة كان ضمن فريق الناتو. " + FILLER),
    ],
)
def test_round22_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # An envoy's title and more given names before العراقي; the surname alone after a verb of saying.
        ("تحدثت السفيرة منى العراقي عن علاقات بلادها بالناتو.", "surname"),
        ("قال العراقي إن الناتو سيعقد قمته المقبلة في هولندا.", "surname"),
        # Compatible with the alliance is a specification, as its standards are.
        ("اشترت شركة عراقية أجهزة لاسلكي متوافقة مع الناتو.", "named status"),
        # The alliance's building as the landmark, by the article's forms of near.
        ("افتتح مستثمر عراقي مقهى في الشارع القريب من مقر الناتو.", "venue"),
        # A place that hosted or saw the alliance's event, described without a pronoun, and what it hosts now.
        ("قاعة في مدريد احتضنت اجتماع الناتو تستقبل معرضا لفنانين عراقيين.", "venue"),
        ("يغني مطرب عراقي في مسرح بباريس شهد مظاهرات ضد الناتو.", "venue"),
        # A birthplace in Iraq is a person's origin.
        ("تدرب جندي هولندي ولد في البصرة خلال مناورة للناتو في بولندا.", "nationals"),
    ],
)
def test_round22_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


def test_round22_place_part_of_a_title_is_read_for_the_theatre(nato_iraq: Topic) -> None:
    result = match_topic(nato_iraq, "في كوسوفو.. طبيب عراقي يعالج جنود الناتو", "")
    assert not result.matched, result.reason
    assert "(elsewhere)" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # A phrase ends at a sentence's end: the title's last word and the body's first are no "الأطلسي ي*".
        ("مطعم جديد على ساحل الأطلسي", "يقدم طهاة عراقيون أطباقا من الموصل."),
        # A title of two items, each at its own place, is two stories.
        ("اجتماع للناتو في بروكسل وانتخابات محلية في كركوك", ""),
        # A fronted part that meets no one stays apart from the next part.
        ("بعد قمة الناتو.. العراق يرفع إنتاج النفط", ""),
    ],
)
def test_round22_families_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # The sides acting together at their places; the country's adjective after a verb of saying.
        ("الناتو يدرب ضباطا في أربيل وبغداد", ""),
        ("خبر", "قال الوزير العراقي إن الناتو سيوسع بعثته لتدريب الجيش. " + FILLER),
        # A hall that hosted the alliance's meeting, where it now trains Iraq's officers.
        ("خبر", "قاعة في بغداد استضافت اجتماع الناتو تستقبل دورة لتدريب الضباط العراقيين. " + FILLER),
        # Iraq's own forces trained on compatible systems are the mission's work.
        ("خبر", "يدرب الناتو ضباطا عراقيين على أنظمة متوافقة مع الحلف في بغداد. " + FILLER),
    ],
)
def test_round22_families_keep_the_links_beside_them(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason
