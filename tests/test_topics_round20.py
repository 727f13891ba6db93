"""nato_iraq on the families of round 20's errors, in wording of their own (not the round's items)."""

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
        # Arabizi: shamal without its vowel; an Iraqi base in Latin script.
        ("khabar", "el yom 7elf shmal al atlasi ba3at mostashareen la baghdad la tadreeb el jaysh. " + FILLER),
        ("l 7elf el atlasi ydarreb zobbat fi mosul", ""),
        # A digest title closing on the place its stories happened in, a summary item with NATO at work.
        ("حصاد الشهر الأمني في العراق", "افتتاح جسر جديد، واتفاق مع الناتو على تدريب وحدات الهندسة، وعودة الرحلات."),
        # Towns around Baghdad as Iraq.
        ("خبر", "نقل مستشارو الناتو دورة لتدريب الضباط إلى معسكر قرب أبو غريب. " + FILLER),
        # الحلف's ministers, schools and itself as a headline's subject.
        ("وزراء الحلف يبحثون توسيع مهمة التدريب في العراق", ""),
        ("قاعدة بلد الجوية: الحلف يسلم معدات تدريب للطيارين", ""),
        ("ضباط عراقيون يتخرجون من كلية الحلف في روما", ""),
        # A full article's lead goes on with its title's story.
        (
            "وفد من الناتو يصل إلى أربيل",
            "يبحث وفد الحلف خلال زيارته برامج تدريب قوات البيشمركة مع مسؤولي الإقليم. " + FILLER,
        ),
        # A verb-first sentence whose object names both sides again after a relative clause.
        (
            "خبر",
            "التقى الوزير الذي طالب بإنهاء مهمة الناتو في العراق رئيس البعثة في أربيل لبحث جدول الانسحاب. " + FILLER,
        ),
    ],
)
def test_round20_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # The Iraq war in English as NATO's past.
        ("How the Iraq war still divides NATO capitals", "Twenty years on, diplomats recall the quarrel."),
        # Arabizi clauses joined by ", w": two unrelated news.
        ("akhbar el yom", "el 3ira2 fatta7 matar jdeed, w el nato 3mel mounawarat bel baltik. " + FILLER),
        # Each side after its own مع, in separate items of an agenda.
        ("أجندة زيارة الوزير", "الأمن البحري، والتجارة مع العراق، والحوار مع الناتو حول الطاقة."),
        # Two short names of works, each in its own «…».
        ("إصدارات المعرض", "«أسرار الناتو» لكاتب فرنسي، و«شوارع بغداد القديمة» لمؤرخ معروف، وديوان شعر."),
        # A numbered part between the sides.
        ("حلقة الأسبوع", "المحور الأول عن قمة الناتو المقبلة، والمحور الثاني عن الزراعة في العراق."),
        # NATO as what people call a thing.
        ("خبر", "يبيع تجار في بغداد سترة يسمونها «الناتو» لمتانتها. " + FILLER),
        # A civilian Iraqi's memory of a NATO theatre abroad.
        ("ذكريات", "يروي الطبيب العراقي كيف انتشرت قوات الحلف في بريشتينا. " + FILLER),
        # A body's own festival abroad, put off by a NATO meeting.
        ("خبر", "ألغت رابطة عراقية معرضها في بروكسل بسبب اجتماع الناتو. " + FILLER),
        # Under a digest title closing on Iraq, a summary item from a theatre abroad.
        ("ملخص اليوم في بغداد", "أمطار غزيرة، ووزراء الحلف يقرون خطة تدريب جديدة لقوات كييف."),
        # A title placing the operation in a theatre abroad; Iraq a detail in the summary.
        ("الناتو ينهي مهمة المراقبة في بحر إيجه", "رصدت السفن خلال مهامها قاربا يقل مهاجرين انطلقوا من العراق."),
    ],
)
def test_round20_families_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason
