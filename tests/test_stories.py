"""The story core: terms, similarity and online assignment (monitor/decide/stories.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.decide.evaluation import bcubed
from monitor.decide.stories import (
    CENTROID_TERMS,
    PROBE_TERMS,
    SHARED_TERMS,
    SHARED_THRESHOLD,
    THRESHOLD,
    Features,
    MemoryStoryIndex,
    StoryCandidate,
    assign,
    cosine,
    merge_centroid,
    stem,
    story_features,
    terms_of_text,
)

T0 = datetime(2018, 5, 12, 6, 0, tzinfo=UTC)

VOTE_A = ("العراق: بدء عملية التصويت في أول انتخابات تشريعية بعد طرد تنظيم الدولة الإسلامية",
          "انطلقت صباح السبت في العراق أول انتخابات تشريعية، وتستقبل مراكز الاقتراع الناخبين العراقيين "
          "لاختيار 329 نائبا في البرلمان وسط إجراءات أمنية مشددة في بغداد والموصل.")
VOTE_B = ("العراقيون إلى أول انتخابات بعد هزيمة داعش",
          "بدأ الناخبون العراقيون صباح السبت في التصويت بأول انتخابات برلمانية يشهدها العراق منذ هزيمة "
          "تنظيم داعش، ويتنافس المرشحون على 329 مقعدا في مجلس النواب.")
QUAKE = ("زلزال بقوة 6 درجات يضرب جزيرة في إندونيسيا",
         "ضرب زلزال بقوة 6 درجات جزيرة لومبوك الإندونيسية صباح الأحد، ولم ترد أنباء عن ضحايا، بحسب هيئة "
         "الأرصاد الجوية.")


def test_terms_fold_clitics_and_endings_and_weight_the_title_up() -> None:
    terms = terms_of_text("الانتخابات العراقية", "والعراق يصوت في الانتخابات")
    assert stem("عراقيه") == stem("عراق") == "عراق"  # stem takes normalised words without proclitics
    assert terms.counts["عراق"] > terms.counts["يصوت"]  # a title word outweighs a body word
    assert "انتخاب_عراق" in terms.counts  # the title's word pairs (names, places) are terms too
    assert "2018" in terms_of_text("", "في عام 2018").counts


def test_same_event_in_other_words_is_closer_than_another_event() -> None:
    df = {"في": 90, "بعد": 60, "صباح": 40}
    a, b, c = (story_features(terms_of_text(*x), df, 100) for x in (VOTE_A, VOTE_B, QUAKE))
    assert cosine(a.weights, a.weights) > 0.999
    assert cosine(a.weights, b.weights) > 0.3 > cosine(a.weights, c.weights)


def test_assign_joins_the_most_similar_story_in_the_window_only() -> None:
    f = Features({"x": 0.8, "y": 0.6})
    near = StoryCandidate("s1", {"x": 1.0}, 3, T0)
    nearer = StoryCandidate("s2", {"x": 0.8, "y": 0.6}, 1, T0)
    old = StoryCandidate("s3", {"x": 0.8, "y": 0.6}, 1, T0 - timedelta(hours=80))
    choice = assign(f, [near, nearer, old], at=T0 + timedelta(hours=1), threshold=0.3, merge_threshold=0.75)
    assert (choice.story_id, choice.reason) == ("s2", "similar")
    assert choice.merged == ("s1",)  # 0.8 with s1 too: the article bridges the two stories
    alone = assign(f, [old], at=T0 + timedelta(hours=1))
    assert alone.story_id is None and alone.similarity == 0.0  # out of the window: not even a candidate


def test_a_near_copy_joins_its_originals_story_whatever_the_score() -> None:
    choice = assign(Features({"z": 1.0}), [StoryCandidate("s1", {"x": 1.0}, 1, T0)], at=T0, near_copy_story="s1")
    assert (choice.story_id, choice.reason) == ("s1", "near_copy")


def test_centroid_stays_bounded() -> None:
    big = {f"t{i}": 1.0 for i in range(500)}
    merged = merge_centroid({}, 0, big)
    assert len(merged) == CENTROID_TERMS
    assert abs(sum(w * w for w in merged.values()) - 1.0) < 1e-4  # weights are kept to 6 places


def test_memory_index_groups_reports_and_keeps_the_first_article_as_story_id() -> None:
    index = MemoryStoryIndex()
    for i in range(30):  # some unrelated stored articles, so common words have a document frequency
        index.add(f"bg{i}", terms_of_text(f"خبر رقم {i} في يوم السبت", "قال مسؤول في بيان صباح السبت إن"), T0)
    index.add("vote-a", terms_of_text(*VOTE_A), T0)
    choice = index.add("vote-b", terms_of_text(*VOTE_B), T0 + timedelta(hours=2))
    index.add("quake", terms_of_text(*QUAKE), T0 + timedelta(hours=3))
    assert choice.story_id == "vote-a"
    assert index.story_of["vote-b"] == "vote-a"
    assert index.story_of["quake"] == "quake"
    late = index.add("vote-c", terms_of_text(*VOTE_B), T0 + timedelta(hours=100))
    assert late.story_id is None  # the vote story closed 72 h after its last member


def test_bcubed_scores() -> None:
    truth = {"a": "1", "b": "1", "c": "2"}
    perfect = bcubed(truth, {"a": "x", "b": "x", "c": "y"})
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    lumped = bcubed(truth, {"a": "x", "b": "x", "c": "x"})
    assert lumped.recall == 1.0 and abs(lumped.precision - (2 / 3 * 2 + 1 / 3) / 3) < 1e-9
    split = bcubed(truth, {"a": "x", "b": "y", "c": "z"})
    assert split.precision == 1.0 and abs(split.recall - (0.5 + 0.5 + 1) / 3) < 1e-9


def test_a_story_sharing_the_articles_salient_terms_is_joined_at_the_lower_threshold() -> None:
    article = Features({"a": 0.6, "b": 0.8})
    middling = (SHARED_THRESHOLD + THRESHOLD) / 2  # between the two thresholds
    story = {"a": middling / 0.6}
    shares = StoryCandidate("s1", story, 3, T0, (), shared=SHARED_TERMS)
    joined = assign(article, [shares], at=T0 + timedelta(hours=1))
    assert joined.story_id == "s1" and abs(joined.similarity - middling) < 1e-9
    fewer = StoryCandidate("s1", story, 3, T0, (), shared=SHARED_TERMS - 1)
    assert assign(article, [fewer], at=T0 + timedelta(hours=1)).story_id is None
    below = StoryCandidate("s1", {"a": (SHARED_THRESHOLD - 0.01) / 0.6}, 3, T0, (), shared=PROBE_TERMS)
    assert assign(article, [below], at=T0 + timedelta(hours=1)).story_id is None

