"""nato_iraq on the families of round 21's errors, in wording of their own (not the round's items)."""

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
    ("text", "kind"),
    [
        # NATO as a calibre with its figures, a type approved in it, a level something is measured by.
        ("صادرت الشرطة في كركوك بنادق من عيار 5.56 ناتو كانت معدة للتهريب.", "named status"),
        ("اشترت شركة عراقية مناظير ليلية من نوع مطابق لدى الناتو.", "named status"),
        ("يقول صاحب مطعم في أربيل إن نظافة مطبخه بمستوى قواعد الناتو.", "named status"),
        # A link denied with the owner's pronoun, talks kept away from it, neither side taking part.
        ("أكد مسؤول عراقي أن المناورة لا صلة لها بحلف الناتو.", "no link"),
        ("ناقش الوفد العراقي في أنقرة ملفات المياه بمعزل عن الناتو.", "no link"),
        ("عقدت قمة للطاقة في الدوحة لم يحضرها العراق ولا الناتو.", "no link"),
        # Iraqi people in a theatre of the alliance abroad, by its other spellings and adjectives.
        ("يروي أطباء عراقيون عملوا في كابل كيف انسحبت قوات الناتو من المدينة.", "elsewhere"),
        ("التقى صحفي عراقي جنودا من الجيش الأوكراني يتدربون على أسلحة من دول الناتو.", "elsewhere"),
        # The alliance's buildings abroad as the landmark an Iraqi's private business is near; a national
        # team's practice and its coach beside a NATO college.
        ("افتتح رجل أعمال عراقي شركة للعطور قرب مقر الناتو.", "venue"),
        ("تبيع شركة عراقية السجاد في محل مجاور لمقر الناتو.", "venue"),
        ("يتدرب منتخب العراق للشباب في ملعب كلية الناتو بإيطاليا.", "venue"),
        # A poll's or a budget's separate lines, each opening with its figure.
        ("أظهر المسح أن 52% يثقون بالناتو، و38% يريدون خروج الشركات الأجنبية من العراق.", "enumeration"),
        # A speaker moving on from one subject to the other.
        ("تحدث الوزير في كلمته عن الاستثمار في العراق، ثم انتقل إلى ميزانية الناتو.", "two stories"),
        ("انتقلت المحاورة من موضوع العراق إلى مستقبل الناتو.", "two stories"),
        # A market moved by a tension between the alliance and another party.
        ("تراجعت أسعار الأسهم في بغداد مع اشتداد الخلاف بين أنقرة والناتو.", "market"),
        # Someone's past place in the alliance's team, in the dual; a presenter surnamed al-Iraqi.
        ("افتتح طبيبان فرنسيان عيادة في ليون بعد أن كانا ضمن فريق طبي للناتو في العراق.", "past role"),
        ("تستضيف الإعلامية ريم العراقي في حلقتها المقبلة خبيرا في شؤون الناتو.", "surname"),
        # Another country's forces trained by the alliance, Iraq only as where a threat comes from.
        ("يدعم الناتو برنامجا لتدريب الجيش اللبناني على مكافحة التسلل من سوريا والعراق.", "elsewhere"),
    ],
)
def test_round21_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # An earlier prime minister by name; the alliance's fund and supreme command.
        ("الكاظمي يبحث مع قائد بعثة الناتو خطط التدريب", ""),
        ("خبر", "خصص صندوق الحلف لبرامج الإصلاح في البصرة ثلاثة ملايين يورو."),
        ("خبر", "زار ضباط من وزارة الدفاع العراقية القيادة العليا للحلف في بلجيكا."),
        # A bulletin's point pairing the sides across a body's name joined by و.
        ("الموجز السياسي", "وصل وزير ياباني. مسؤول من الناتو يزور لجنة النزاهة والشفافية النيابية العراقية."),
    ],
)
def test_round21_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # An Iraqi heritage in English (the hyphen splits it); a footballer nicknamed after the alliance.
        ("Iraqi-born mayor praises NATO summit", "The Iraqi-born mayor of a Dutch town welcomed NATO leaders."),
        ("Nato Silva joins Erbil club", "Portuguese striker 'Nato' Silva signed for an Erbil club on Monday."),
        # A pact of tribes, which the alliance's "التعاون مع الحلف" would read without its article.
        ("خبر", "عقد شيوخ الأنبار اجتماعا لتعزيز التعاون مع حلف القبائل."),
        # A bulletin's two stories joined by و between them stay two.
        ("الموجز السياسي", "تمديد مهمة للناتو في كوسوفو والانتخابات العراقية تقترب."),
    ],
)
def test_round21_families_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    "text",
    [
        # The mission teaching a standard, talks with it, and both sides acting are still the story.
        "يدرب الناتو الجيش العراقي على معايير الحلف في قاعدة التاجي.",
        "بحث وزير الدفاع العراقي مع الناتو توسيع البعثة بعيدا عن الإعلام.",
        "لم يعلن العراق ولا الناتو موعد انتهاء مهمة التدريب.",
        # A delegation travelling from Baghdad to the alliance; a poll on the mission itself.
        "انتقل الوفد العسكري العراقي من بغداد إلى مقر الناتو لبحث مهمة التدريب.",
        "أظهر استطلاع أن 60% من العراقيين يؤيدون بقاء بعثة الناتو لتدريب الجيش.",
        # An attack near the mission's seat in Iraq; the mission training Iraq's team's officers.
        "سقط صاروخ قرب مقر بعثة الناتو في بغداد.",
        "أصيب جنود عراقيون بانفجار قرب مقر الناتو في قاعدة التاجي.",
        "يدرب مستشارو الناتو ضباط الجيش العراقي في ملعب كلية الأركان.",
        # Iraq's own forces trained, whoever else is named; Iraq as where the trainees come from.
        "يدرب الناتو الجيش العراقي بعد انسحاب القوات الأمريكية من العراق.",
        "وصل إلى مدرسة الناتو في أوبرأمرغاو ضباط قادمون من العراق لتدريب القوات العراقية.",
    ],
)
def test_round21_families_keep_the_links_beside_them(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason
