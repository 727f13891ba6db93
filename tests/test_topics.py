"""Topic rules: parsing with precise errors, matching with evidence, the default NATO–Iraq topic."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from monitor.decide.topics import match_topic, matched_document
from monitor.errors import ConfigError
from monitor.settings.topics import Topic, parse_topics

ROOT = Path(__file__).resolve().parents[1]


def config_topics() -> dict[str, Any]:
    data = tomllib.loads((ROOT / "config" / "monitor.toml").read_text(encoding="utf-8"))
    topics: dict[str, Any] = data["topics"]
    return topics


@pytest.fixture(scope="module")
def nato_iraq() -> Topic:
    [topic] = [t for t in parse_topics(config_topics()) if t.name == "nato_iraq"]
    return topic


def small_spec(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "t": {
            "threshold": 1.0,
            "require": ["a", "b"],
            "groups": {"a": {"terms": ["الناتو"]}, "b": {"terms": ["العراق"]}},
        }
    }
    spec["t"].update(changes)
    return spec


# ----------------------------------------------------------------------------------- parsing


def test_default_config_topic_parses(nato_iraq: Topic) -> None:
    assert nato_iraq.require == ("nato", "iraq")
    assert {g.name for g in nato_iraq.groups} == {"nato", "iraq", "mission"}
    assert nato_iraq.threshold > 0


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        (small_spec(threshold=0), "topics.t.threshold"),
        (small_spec(threshold="high"), "topics.t.threshold"),
        (small_spec(colour="red"), "topics.t.colour"),
        (small_spec(require=["a", "c"]), "topics.t.require"),
        (small_spec(require=[]), "topics.t.require"),
        (small_spec(proximity=0), "topics.t.proximity"),
        (small_spec(ignore=["ok", ""]), "topics.t.ignore[1]"),
        (small_spec(groups={"a": {"terms": []}, "b": {"terms": ["x"]}}), "topics.t.groups.a.terms"),
        (small_spec(groups={"a": {"terms": ["x"], "wieght": 1}, "b": {"terms": ["y"]}}), "topics.t.groups.a.wieght"),
        (small_spec(groups={"a": {"terms": ["x*y"]}, "b": {"terms": ["y"]}}), "topics.t.groups.a.terms[0]"),
        ({"Bad Name": small_spec()["t"]}, "topics.Bad Name"),
    ],
)
def test_bad_values_name_their_key(spec: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_topics(spec)
    assert err.value.key == key


def test_the_shipped_topic_rejects_a_misspelt_key() -> None:
    spec = copy.deepcopy(config_topics())
    spec["nato_iraq"]["treshold"] = 3
    with pytest.raises(ConfigError) as err:
        parse_topics(spec)
    assert err.value.key == "topics.nato_iraq.treshold"


# ---------------------------------------------------------------------------------- matching


def test_seeds_match(nato_iraq: Topic) -> None:
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        title, _, text = path.read_text(encoding="utf-8").partition("\n")
        result = match_topic(nato_iraq, title.strip(), text)
        assert result.matched, (path.name, result.reason)
        assert result.score >= result.threshold


def test_evidence_points_at_the_text_as_written(nato_iraq: Topic) -> None:
    title = "الناتو يعزز مهمته بالعراق"
    text = (
        "وافق وزراء دفاع حلف شمال الأطلسي على توسيع بعثة التدريب في العراق.\n"
        "وقال ستولتنبرغ إن الحلف سيدرب القوات العراقية."
    )
    result = match_topic(nato_iraq, title, text)
    assert result.matched
    doc = matched_document(title, text)
    groups = {e.group for e in result.evidence}
    assert {"nato", "iraq", "mission"} <= groups
    for e in result.evidence:
        assert doc[e.start : e.start + len(e.matched)] == e.matched
        assert e.matched in e.sentence
    assert "بالعراق" in {e.matched for e in result.evidence}  # clitic kept as written
    assert result.reason.startswith("match: score")


def test_clitic_and_spelling_variants_match(nato_iraq: Topic) -> None:
    text = (
        "قالت مصادر إن وللناتو دوراً متزايداً في تدريب القوات العراقيه في بغداد. وأضافت أن بعثه الناتو في العراق ستتوسع."
    )
    assert match_topic(nato_iraq, "", text).matched


def test_look_alikes_do_not_match(nato_iraq: Topic) -> None:
    text = (
        "واجه السيناتور الأمريكي عراقيل كثيرة في مهمته عبر الأطلسي. "
        "وبحث وزير الخارجية الإيراني عراقجي تدريب القوات في المحيط الأطلسي."
    )
    result = match_topic(nato_iraq, "عراقيل أمام السيناتور", text)
    assert not result.matched
    assert result.score == 0
    assert not {e.group for e in result.evidence} & {"nato", "iraq"}


def test_nato_as_a_label_for_a_member_state_does_not_count(nato_iraq: Topic) -> None:
    text = (
        "قصفت تركيا العضو في حلف شمال الأطلسي مواقع في شمال العراق. "
        "وتركيا الحليفة في الناتو تقول إن العراق لا يسيطر على الحدود."
    )
    assert match_topic(nato_iraq, "", text).score == 0


def test_unrelated_sentences_of_a_brief_do_not_match(nato_iraq: Topic) -> None:
    text = (
        "موجز الأخبار:\n"
        "- اجتمع وزراء خارجية حلف الناتو في بروكسل لبحث العلاقات مع روسيا.\n"
        "- ارتفعت صادرات النفط في العراق خلال الشهر الماضي."
    )
    result = match_topic(nato_iraq, "موجز", text)
    assert not result.matched
    assert "never within" in result.reason


def test_one_passing_mention_stays_below_threshold(nato_iraq: Topic) -> None:
    text = "طلبت تركيا اجتماعا لحلف الناتو بعد غاراتها على مقاتلين أكراد في شمال العراق. وتحدث الوزير عن الاقتصاد."
    result = match_topic(nato_iraq, "", text)
    assert 0 < result.score < result.threshold
    assert not result.matched
    assert result.reason.startswith("no match: score")


def test_anaphora_counts_only_after_an_explicit_mention() -> None:
    [topic] = parse_topics(
        small_spec(groups={"a": {"terms": ["الناتو"], "refer": ["الحلف"]}, "b": {"terms": ["العراق"]}})
    )
    assert not match_topic(topic, "", "قال الحلف إن العراق مهم.").matched
    assert match_topic(topic, "", "تحدث الناتو عن أوروبا. وقال الحلف إن العراق مهم.").matched


def test_exclusion_rules_the_article_out() -> None:
    [topic] = parse_topics(small_spec(exclude=["كرة القدم"]))
    assert match_topic(topic, "", "الناتو في العراق").matched
    result = match_topic(topic, "", "الناتو في العراق. مباراة كرة القدم.")
    assert not result.matched
    assert result.reason.startswith("excluded")


def test_wildcards_and_phrases() -> None:
    [topic] = parse_topics(small_spec(groups={"a": {"terms": ["حلف شمال الأطلسي"]}, "b": {"terms": ["عراقي*"]}}))
    assert match_topic(topic, "", "قال حلف شمال الاطلسي ان العراقيين شركاء").matched
    assert not match_topic(topic, "", "قال حلف شمال الاطلسي ان العراق شريك").matched
    assert not match_topic(topic, "", "قال الحلف ان العراقيين شركاء").matched


def test_proximity_limits_the_pair() -> None:
    [topic] = parse_topics(small_spec(proximity=3))
    assert match_topic(topic, "", "الناتو يدرب جنودا في العراق").matched
    far = "الناتو " + " ".join(["كلمة"] * 10) + " العراق"
    assert not match_topic(topic, "", far).matched


@pytest.mark.parametrize(
    ("relevant", "title", "text"),
    [
        (
            True,
            "السوداني يستقبل قائد بعثة الناتو",
            "استقبل رئيس مجلس الوزراء محمد شياع السوداني اليوم قائد بعثة حلف شمال الأطلسي في العراق، وبحث معه التعاون.",
        ),
        (
            True,
            "الناتو: سنواصل مهمتنا الاستشارية في العراق",
            "قال الأمين العام لحلف الناتو إن الحلف سيواصل مهمته الاستشارية في العراق بناء على طلب الحكومة العراقية.",
        ),
        (
            True,
            "وزير الدفاع العراقي يبحث مع وفد من الناتو تعزيز التعاون",
            "بحث وزير الدفاع العراقي مع وفد من حلف الناتو تعزيز التعاون العسكري.",
        ),
        (True, "Iraq and NATO", "NATO Mission Iraq (NMI) advises Iraqi security institutions in Baghdad."),
        (True, "", "أعلن حلف الناتو تمديد مهمته في العراق لعام إضافي."),
        (
            False,
            "تركيا تقصف مواقع حزب العمال",
            "قصفت المقاتلات التركية مواقع لحزب العمال الكردستاني في شمال العراق، فيما قالت أنقرة العضو في حلف الناتو "
            "إنها ستواصل عملياتها.",
        ),
        (False, "بوتين يحذر الناتو", "حذر بوتين حلف الناتو من التوسع شرقا، مذكرا بغزو العراق عام 2003."),
    ],
)
def test_short_feed_items(nato_iraq: Topic, relevant: bool, title: str, text: str) -> None:
    """Feed summaries are short: one sentence about the mission must be enough, a passing mention not."""
    assert match_topic(nato_iraq, title, text).matched is relevant


# The pre-check: an article in which no group term and no exclusion can start is answered without the full
# analysis. It must answer exactly what the full matcher answers, for it and for the near misses around it.
PRECHECK_ARTICLES = [
    ("", ""),
    ("مباراة كرة القدم", "فاز الفريق بالمباراة مساء أمس في الملعب الكبير.\n\nوقال المدرب إن اللاعبين قدموا أداء جيدا."),
    ("عقبات", "وضعت الحكومة عراقيل أمام المشروع، وقال السيناتور إن عراقجي لم يرد."),  # look-alikes, no term
    ("", "زار وزير الخارجية بغداد اليوم."),  # one required group only
    ("", "أعلنت الحكومة عن مهمة جديدة وبرامج تدريبية للشباب."),  # a bonus group only
    ("", "قال الحلف إن الاجتماع انتهى."),  # a back-reference without its group
    ("", "تذكر الكاتب غزو العراق في مقاله."),  # a term inside an ignore phrase
    ("", "أكد الناتو أنه سيواصل مهمته في العراق لتدريب القوات العراقية."),  # a match
    ("NATO", "Iraqi forces and the NATO mission."),
]


@pytest.mark.parametrize("title,text", PRECHECK_ARTICLES)
def test_precheck_answers_what_the_full_matcher_answers(
    nato_iraq: Topic, monkeypatch: pytest.MonkeyPatch, title: str, text: str
) -> None:
    from monitor.decide import topics

    [excluding] = parse_topics(
        small_spec(exclude=["كرة القدم"], groups={"a": {"terms": ["الناتو"]}, "b": {"terms": ["العراق"]}})
    )
    rules = [nato_iraq, excluding]
    fast = [match_topic(t, title, text).to_json() for t in rules]
    monkeypatch.setattr(topics, "_may_mention", lambda topic, words: True)  # always the full analysis
    monkeypatch.setattr(topics, "unmentioned_required_group", lambda topic, words: None)
    full = [match_topic(t, title, text).to_json() for t in rules]
    for quick, slow in zip(fast, full, strict=True):
        # The same decision and score always; for a match (and an article the pre-checks let through)
        # the same reason and evidence too. Only a non-match a required group is missing from says so.
        assert (quick["matched"], quick["score"]) == (slow["matched"], slow["score"])
        if slow["matched"] or not str(quick["reason"]).endswith("must be within 30 words of each other)"):
            assert quick == slow


def test_precheck_skips_only_articles_without_any_possible_mention(nato_iraq: Topic) -> None:
    from monitor.decide import topics
    from monitor.text.arabic import iter_tokens, normalize

    def may(text: str) -> bool:
        return topics._may_mention(nato_iraq, frozenset(word for word, _, _ in iter_tokens(normalize(text))))

    assert not may("فاز الفريق بالمباراة مساء أمس، ووضعت الحكومة عراقيل أمام المشروع.")
    assert may("زار الوزير بغداد")  # Iraq alone: its mention is shown as evidence, so no short cut
    assert may("مهمة جديدة")  # the bonus group alone, likewise
    assert may("وبتدريبات")  # a prefix term ("تدريب*") behind proclitics
    result = match_topic(nato_iraq, "مباراة", "فاز الفريق بالمباراة.")
    assert result.to_json() == {
        "name": "nato_iraq",
        "matched": False,
        "score": 0,
        "threshold": 2.0,
        "reason": "no match: nato + iraq never within 30 words of each other (nato: 0, iraq: 0 mentions)",
        "evidence": [],
    }


def test_stricter_precheck_skips_articles_missing_a_required_group(nato_iraq: Topic) -> None:
    """A bonus group's common words (mission, training) or one required group alone cannot make a match:
    the article is answered without the full analysis, and the reason names the missing group."""
    from monitor.decide import topics
    from monitor.text.arabic import iter_tokens, normalize

    def missing(text: str) -> str | None:
        return topics.unmentioned_required_group(
            nato_iraq, frozenset(word for word, _, _ in iter_tokens(normalize(text)))
        )

    assert missing("أعلنت الحكومة عن مهمة جديدة وبرامج تدريبية للشباب.") == "nato"
    assert missing("زار وزير الخارجية بغداد اليوم.") == "nato"
    assert missing("قال الناتو إن الاجتماع انتهى.") == "iraq"
    assert missing("أكد الناتو أنه سيواصل مهمته في العراق.") is None
    result = match_topic(nato_iraq, "", "أعلنت الحكومة عن مهمة جديدة وبرامج تدريبية للشباب.")
    assert (result.matched, result.score, result.evidence) == (False, 0, ())
    assert result.reason == "no match: nato never mentioned (nato + iraq must be within 30 words of each other)"
    # An exclusion that can fire sends the article through the full path: its evidence is the reason.
    [excluding] = parse_topics(
        small_spec(exclude=["كرة القدم"], groups={"a": {"terms": ["الناتو"]}, "b": {"terms": ["العراق"]}})
    )
    assert topics.unmentioned_required_group(excluding, frozenset({"كره", "القدم"})) is None
    assert topics.unmentioned_required_group(excluding, frozenset({"كرة"})) == "a"


def test_evidence_is_the_same_in_every_process() -> None:
    """Two terms can match the same words (العراقي / عراقي): the evidence must not depend on the hash seed."""
    import os
    import subprocess
    import sys

    script = (
        "import json, pathlib\n"
        "from monitor.settings.config import load_config\n"
        "from monitor.decide.topics import match_topic\n"
        "topics = load_config('config/monitor.toml').topics\n"
        "texts = [p.read_text(encoding='utf-8') for p in sorted(pathlib.Path('seeds').glob('*.txt'))]\n"
        "print(json.dumps([match_topic(t, '', x).to_json() for t in topics for x in texts], ensure_ascii=False))\n"
    )
    root = Path(__file__).parent.parent
    outputs = {
        subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1", "2", "3")
    }
    assert len(outputs) == 1
