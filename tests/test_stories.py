"""The story core: terms, similarity and online assignment (monitor/decide/stories.py)."""

from __future__ import annotations

import math
import random
import struct
from datetime import UTC, datetime, timedelta

from monitor.decide.evaluation import bcubed
from monitor.decide.stories import (
    CENTROID_TERMS,
    JOIN_PROBABILITY,
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
    pair_values,
    round_all,
    stem,
    story_features,
    terms_of_text,
)
from monitor.decide.story_pairs import fit, join_probability

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
    rules_only = {"join_probability_at": 2.0, "merge_probability_at": 2.0}  # the pair layer off: the rule alone
    shares = StoryCandidate("s1", story, 3, T0, (), shared=SHARED_TERMS)
    joined = assign(article, [shares], at=T0 + timedelta(hours=1), **rules_only)
    assert joined.story_id == "s1" and abs(joined.similarity - middling) < 1e-9
    fewer = StoryCandidate("s1", story, 3, T0, (), shared=SHARED_TERMS - 1)
    assert assign(article, [fewer], at=T0 + timedelta(hours=1), **rules_only).story_id is None
    below = StoryCandidate("s1", {"a": (SHARED_THRESHOLD - 0.01) / 0.6}, 3, T0, (), shared=PROBE_TERMS)
    assert assign(article, [below], at=T0 + timedelta(hours=1), **rules_only).story_id is None


def test_the_pair_layer_joins_below_the_threshold_a_story_that_leads() -> None:
    article = Features({"a": 0.6, "b": 0.8})
    low = 0.25  # below THRESHOLD, and no shared-terms rule (shared=0)
    lone = StoryCandidate("s1", {"a": low / 0.6}, 3, T0)
    assert join_probability(pair_values(article, [lone], T0)[0]) >= JOIN_PROBABILITY
    assert assign(article, [lone], at=T0 + timedelta(hours=1)).story_id == "s1"
    # as close to another story: this one no longer leads, which makes it less likely
    rivals = [lone, StoryCandidate("s2", {"b": low / 0.8}, 3, T0)]
    assert join_probability(pair_values(article, rivals, T0)[0]) < join_probability(pair_values(article, [lone], T0)[0])
    far = StoryCandidate("s1", {"a": 0.1 / 0.6}, 1, T0)  # too few words in common for the layer too
    assert assign(article, [far], at=T0 + timedelta(hours=1)).story_id is None


def test_a_second_story_the_pair_layer_finds_likely_is_merged_into_the_one_joined() -> None:
    article = Features({"a": 0.6, "b": 0.8})
    joined = StoryCandidate("s1", {"a": 0.6, "b": 0.8}, 3, T0)  # the same words: joined at the threshold
    second = StoryCandidate("s2", {"b": 1.0}, 3, T0)  # 0.8, but not the lead: the pair layer decides
    p = join_probability(pair_values(article, [joined, second], T0)[1])
    merge_at = p - 0.01 if p > 0.01 else 0.0
    choice = assign(article, [joined, second], at=T0, merge_threshold=2.0, merge_probability_at=merge_at)
    assert (choice.story_id, choice.merged) == ("s1", ("s2",))
    assert assign(article, [joined, second], at=T0, merge_threshold=2.0, merge_probability_at=p + 0.01).merged == ()


def test_fit_finds_the_rule_behind_labelled_pairs() -> None:
    rows = [[x / 20] for x in range(21)]
    labels = [int(x / 20 >= 0.5) for x in range(21)]
    weights, bias = fit(rows, labels, l2=1e-3)
    assert all((join_probability(r, weights, bias) >= 0.5) == bool(y) for r, y in zip(rows, labels, strict=True))
    assert weights[0] > 0 and abs(-bias / weights[0] - 0.5) < 0.05  # the boundary where the labels change



def test_the_pair_layers_weights_are_the_ones_its_script_fits_on_the_dev_part() -> None:
    import importlib.util
    from pathlib import Path

    from monitor.decide import story_pairs

    script = Path(__file__).parent / "fixtures" / "stories" / "train_pairs.py"
    spec = importlib.util.spec_from_file_location("train_pairs", script)
    assert spec is not None and spec.loader is not None
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    kept = (story_pairs.WEIGHTS, story_pairs.BIAS)
    try:
        weights, bias, _ = train.train(script.parent / "ant_2018-05-07_20.jsonl")
    finally:
        story_pairs.WEIGHTS, story_pairs.BIAS = kept
    assert [round(w, 4) for w in weights] == list(kept[0]) and round(bias, 4) == kept[1]


def test_round_all_is_round_bit_for_bit() -> None:
    """The stored vectors' rounding without round()'s decimal string: the same doubles, including the
    values next to a half (which go to round() itself), zeros, negatives and non-finite ones."""
    rng = random.Random(7)
    values = [rng.random() for _ in range(50_000)] + [rng.random() * 1e-4 for _ in range(5_000)]
    values += [rng.random() * 100 for _ in range(5_000)]
    values += [0.0, -0.0, -0.3, 1.0, 99.99, 100.0, 1e-300, 5e-324, float("inf"), 0.5e-4, 0.5e-6]
    for places in (4, 6):
        for k in range(1, 20_000, 3):
            half = (k + 0.5) / 10**places
            values += [half, math.nextafter(half, 0), math.nextafter(half, 1)]
    for places in (4, 6):
        got = round_all(values, places)
        assert [struct.pack("<d", g) for g in got] == [struct.pack("<d", round(v, places)) for v in values]
    assert math.isnan(round_all([float("nan")], 4)[0])
