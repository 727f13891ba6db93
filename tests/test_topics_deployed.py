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


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("فاز بالانتخابات ضابط متقاعد، خدم في مهمة الناتو بالعراق عام 2019، ببرنامج عن النقل.", "past role"),
        ("عين النادي مدربا جديدا كان ضابطا في بعثة الناتو بالعراق.", "past role"),
        ("انضم إلى الشركة مستشار سابق لبعثة الناتو في العراق مديرا للمبيعات.", "past role"),
        ("توفي الجنرال الكندي الذي قاد بعثة الناتو في العراق عام 2019.", "past role"),
        ("قال محلل عراقي إن ما يوصف بناتو شيعي مجرد دعاية.", "named status"),
        ("قال نائب عراقي إن ناتو عربيا لن يحمي المنطقة.", "named status"),
        ("قالت قوات الناتو في أفغانستان إنها قتلت قياديا عراقيا.", "elsewhere"),
        ("أوقفت السلطات في مطار قرب قاعدة للناتو مسافرا عراقيا.", "nationals"),
        ("ألقى الباحث المغربي حمزة العراقي محاضرة عن توسع الناتو.", "surname"),
        ("تطالب عائلة العراقي في تطوان بكشف مصير ابنها قرب قاعدة للناتو.", "surname"),
    ],
)
def test_more_passing_mentions(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "قال الباحث العراقي علي الحسيني إن بقاء بعثة الناتو في العراق ضروري لتدريب الجيش.",  # title + adjective
        "زار قائد بعثة الناتو بغداد والبصرة وأربيل لمتابعة برامج التدريب.",  # a list of Iraq's own cities
        "بحث الناتو والعراق والأمم المتحدة إصلاح قطاع الأمن في بغداد.",  # the parties acting together
        "أقام الناتو حفلا في بغداد لتخريج مدربين عراقيين.",  # a ceremony in Iraq
        "رفض نواب عراقيون تمديد عمل مستشاري الناتو، وطالبوا بتصويت في البرلمان.",  # عمل the noun
    ],
)
def test_substantive_sentences_that_look_passing(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason
    assert "passing" not in result.reason


def test_a_lead_naming_both_sides_weighs_like_a_title(nato_iraq: Topic) -> None:
    lead = match_topic(nato_iraq, "خبر", "أرسل الناتو فريقا طبيا إلى أربيل لعلاج جنود. " + FILLER)
    assert lead.matched and lead.score == 2.0
    # The same sentence later in the article is one sentence, below the threshold.
    later = match_topic(nato_iraq, "خبر", FILLER + " أرسل الناتو فريقا طبيا إلى أربيل لعلاج جنود.")
    assert not later.matched and later.score == 1.0


def test_a_title_that_joins_two_clauses_with_a_comma_is_two_stories(nato_iraq: Topic) -> None:
    assert not match_topic(nato_iraq, "الناتو ينشر قوات في رومانيا، والعراق يستقبل زوارا", "").matched
    assert match_topic(nato_iraq, "موجز: الناتو يقرر توسيع بعثته في العراق", "").matched


def test_a_term_of_both_groups_does_not_break_the_passing_rules(nato_iraq: Topic) -> None:
    # NMI names the alliance's mission and Iraq at once: one token is both mentions, here the last one.
    result = match_topic(nato_iraq, "", "دربت الضباط بعثة NMI")
    assert result.matched and {"nato", "iraq"} <= {e.group for e in result.evidence}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("انضم إلى الجامعة أستاذ سبق له الخدمة مع الناتو في العراق.", "past role"),  # had already + noun
        ("التقى روائي عراقي قراءه في مكتبة قرب قيادة الناتو في لشبونة.", "venue"),  # the book world
        ("عرض مسلسل عراقي عن قوات الناتو في مهرجان ببروكسل.", "venue"),  # NATO's forces are not Iraq's
    ],
)
def test_career_nouns_books_and_nato_forces(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "منح الناتو كتيبة عراقية جائزة لأدائها في تأمين الحدود.",  # a prize to Iraq's own unit
        "قال الناتو إنه سيتعاون مع جهاز مكافحة الإرهاب والشرطة الاتحادية وقيادة الحدود في العراق.",
        "نقل الناتو مستشاريه إلى قاعدة القيارة الجوية.",  # a base the Iraq terms name
        "زار وفد من الناتو معسكرا للتدريب في محافظة ديالى.",  # a province
    ],
)
def test_units_works_with_and_bases(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("كرمت الجامعة باحثا ترأس في الماضي فريقا ضمن بعثة الناتو في العراق.", "past role"),  # headed
        ("استقبل الوزير مستشارة كانت عضوة في فريق الناتو ببغداد.", "past role"),  # was + a feminine post
        ("عينت الشركة مديرة سبقت لها إدارة مكتب الناتو في بغداد.", "past role"),  # had already + run
        ("افتتح متحف في لاهاي قرب مقر الناتو قاعة لآثار العراق.", "venue"),  # a museum
        ("سمى معلق عراقي تحالف الشركات بناتو الغاز.", "named status"),  # NATO of + a definite noun
        ("اعتقلت الشرطة البلجيكية سائقا عراقيا قرب مقر الناتو.", "nationals"),  # a driver, normalised
    ],
)
def test_career_verbs_museums_pacts_and_drivers(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "وصف الناتو العراق بأنه لاعب رئيسي في استقرار المنطقة.",  # a key player, not a sportsman
        "فازت الحكومة العراقية بتأييد الناتو لخطتها الأمنية.",  # won the backing of
        "منح الناتو جائزة للوحدة العراقية لأدائها في حماية الانتخابات.",  # للوحدة: Iraq's unit
        "بحث وزير الخارجية العراقي في اتصال هاتفي مع الأمين العام للناتو ملف الأمن الإقليمي.",  # an official
        "قال الخبراء الأطلسيون إن تدريب الجيش العراقي يتقدم.",  # the plural adjective after any noun
    ],
)
def test_other_senses_officials_and_the_plural_adjective(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason


def test_membership_is_not_a_member_state_label(nato_iraq: Topic) -> None:
    result = match_topic(nato_iraq, "خبر", "أكد العراق أن عضوية الناتو ليست مطروحة. " + FILLER)
    assert "nato" in {e.group for e in result.evidence}, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Aid", "Poland, a NATO member, sent aid to Iraq."),  # the member-state label in Latin script
        ("Essay prize", "Karim El Iraki won the NATO essay prize."),  # a surname, not the country
        ("موجز الأخبار", "الناتو يعقد اجتماعا طارئا بشأن البلطيق، والعراق يفتتح معرضا للكتاب."),  # digest body
        ("عاجل: الناتو يمدد مناوراته في بولندا / العراق يستورد الكهرباء", ""),  # a title split by a slash
    ],
)
def test_short_items_that_join_or_label_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    "title",
    [
        "موجز: بغداد والناتو يتفقان على جدول التدريب",  # two parties of one story
        "أبرز الأخبار: العراق يطلب، عبر الناتو، مدربين إضافيين",  # an aside between commas
    ],
)
def test_one_story_in_a_digest_title_is_a_match(nato_iraq: Topic, title: str) -> None:
    result = match_topic(nato_iraq, title, "")
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("كتب الصحفي المغربي عز الدين العراقي تحليلا عن قمة الناتو.", "surname"),  # a given name X الدين
        ("قالت الباحثة فاطمة الزهراء العراقي إن الناتو يراجع خططه.", "surname"),  # a name and an epithet
        ("Veteran reporter Said El Iraqi covered the NATO summit in Madrid.", "surname"),  # Latin script
        ("قال مدرب عراقي إن دفاع فريقه يلقب بالناتو لصلابته.", "named status"),  # NATO as a nickname
        ("دعا سياسي عراقي إلى تحالف إقليمي شبيه بالناتو يضم دول الخليج.", "named status"),  # NATO as a model
        ("وصف نائب عراقي تحالف المصارف بأنه ناتو للمال.", "named status"),  # ناتو + a ل-definite noun
        ("التقى السفير ممثلين عن الحكومة العراقية والاتحاد الأوروبي والناتو في حفل استقبال.", "enumeration"),
        ("مرت رحلة الوزير بفرنسا وبلجيكا ومقر الناتو ثم بغداد.", "enumeration"),  # ثم, a two-word item
        ("باع التاجر، الذي زود قواعد الناتو في العراق بالوقود، شركته لمستثمر.", "past role"),  # a contractor
        ("تبين أن المرشح عمل لسنوات مترجما لدى الناتو في العراق.", "past role"),  # how long, then the post
        ("قدمت أوركسترا في بروكسل مقطوعة لموسيقار عراقي بحضور سفراء الناتو.", "venue"),  # music, after ل
        ("أنقذت سفينة للناتو في البحر المتوسط مهاجرين من العراق وإيران.", "nationals"),  # Iraq as their origin
    ],
)
def test_names_lists_careers_music_and_origins_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "أكد ستولتبرغ أن الحلف سيواصل تدريب الجيش العراقي.",  # a spelling of the shared corpus
        "قال مارك روتيه إن بعثة الحلف في العراق ستستمر.",  # روتيه, with الحلف after it
        "زار وفد من القيادة الأطلسية معسكرات التدريب في أرض الرافدين.",  # the command; Iraq's other name
        "قتل جنديان أطلسيان في هجوم على قاعدة عين الأسد.",  # the dual
        "طالب نواب عراقيون الناتو وأنقرة وطهران بوقف التدخل في شؤون البلاد.",  # whom Iraq's MPs address
        "ستشمل برامج تدريب الناتو الجديدة محافظات كركوك وديالى وصلاح الدين.",  # a two-word province
        "يبدأ المستشارون الأطلسيون، الذين وصلوا إلى بغداد أمس، تدريب الجيش العراقي.",  # a relative clause
        "أكد وزير الخارجية العراقي أن العراق ليس عضوا في الحلف الأطلسي لكنه يستفيد من برامج تدريبه.",
    ],
)
def test_spellings_addressees_provinces_and_negated_labels_match(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("أهم العناوين", "الناتو يجري مناورات في النرويج - العراق يفتتح مطارا جديدا - النفط يتراجع"),
        ("العالم في دقيقة", "الناتو يحذر من هجمات إلكترونية، والعراق يستضيف قمة للمياه، والدولار يرتفع."),
        ("Strikes", "Turkey, NATO's largest army after the US, struck targets in northern Iraq."),
        ("عضوية", "قال محلل عراقي إن المجر تستغل عضويتها في الحلف الأطلسي لعرقلة القرارات."),
    ],
)
def test_digests_without_an_opener_and_member_labels_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


def test_a_press_review_title_with_one_story_is_a_match(nato_iraq: Topic) -> None:
    # وجوده (its presence) is وجود with a suffix, not و + a second story.
    result = match_topic(nato_iraq, "عناوين الصحف: الناتو يعزز وجوده العسكري في العراق", "")
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # a career list with ثم, "and another", a rank table
        ("عملت المحامية لدى بعثة أممية في بغداد ثم لدى مقر الناتو في مونس قبل تقاعدها.", "past role"),
        ("ضمت القائمة ضابطا عمل مع الناتو وآخر خدم في الموصل قبل عشرين عاما.", "enumeration"),
        ("في مؤشر السلام حلت دول الناتو في المراتب الأولى وجاء العراق في المرتبة الأخيرة.", "enumeration"),
        # past roles: supervised years ago, a company that supplied, a pluperfect clause after a noun
        ("عين مديرا للمطار عقيد أشرف قبل أعوام على تأهيل طيارين عراقيين لحساب الناتو.", "past role"),
        ("فاز بالمناقصة مستثمر كانت مؤسسته توفر الطعام لقواعد الناتو في العراق.", "past role"),
        ("كرمت الجامعة أستاذا كان قد درّس ضباطا عراقيين في كلية الناتو.", "past role"),
        # a secretary-general in a national office; a festival city named as a NATO centre's seat
        ("استقبل رئيس الوزراء النرويجي ينس ستولتنبرغ نظيره العراقي في أوسلو.", "past role"),
        ("عرض فيلم عراقي في مهرجان بمدينة شتشيتسين، مقر قيادة فيلق تدريب للناتو.", "venue"),
        # a work's title, a given name with the article after a nationality
        ("أطلق مبرمج عراقي تطبيقا بعنوان الناتو في الصحراء.", "named status"),
        ("ألقى الباحث المغربي الطاهر العراقي محاضرة عن تاريخ الناتو.", "surname"),
    ],
)
def test_round12_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert kind in result.reason


@pytest.mark.parametrize(
    "text",
    [
        # an aside about someone else beside the real link: a relative clause, a career clause, a battle
        "قال قائد الفرقة، الذي سبق أن ترأس أركان الجيش، إن الناتو سيدرب ألوية عراقية جديدة.",
        "قالت ضابطة بريطانية، عملت سابقا في البصرة، إن بعثة الناتو ستفتتح مدرسة في بغداد.",
        "أكد المدرب الإيطالي، الذي خدم سابقا في كوسوفو، أنه يعمل مع بعثة الناتو في وزارة الدفاع العراقية.",
        # the lead's subject acts in Iraq, farther than the lead gap
        "يعتزم الحلف الأطلسي إقامة مستودع لقطع الغيار العسكرية وصيانة المركبات في البصرة.",
        # spellings, other languages, Iraq's factions, the departure of forces
        "قال مارك روتي إن الحلف سيواصل دعم القوات العراقية.",
        "L'OTAN va conseiller les officiers irakiens à Mossoul.",
        "7ilf shamal al atlasi ybda2 tadrib jdid fi el 3iraq",
        "قال قيادي في الحشد الشعبي إن بعثة الناتو تتجاوز مهامها التدريبية.",
        "يستعد الناتو لتوسيع التدريب في العراق بعد رحيل قوات التحالف.",
    ],
)
def test_round12_families_match(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("تغطية مباشرة: الناتو يجتمع في لاهاي والعراق يرفع أسعار النفط", ""),
        ("ما فاتك اليوم: الناتو يختبر صواريخ جديدة وأمطار غزيرة في البصرة", ""),
        ("حدث في مثل هذا اليوم", "انضمام اليونان إلى الناتو (1952)، وتأسيس الجامعة المستنصرية في بغداد (1233)."),
        ("موجز", "1- الناتو يعين متحدثا جديدا 2- العراق يفتتح جسرا في الموصل 3- الذهب يرتفع"),
        ("Call signs", "Iraqi air traffic controllers use the NATO phonetic alphabet."),
    ],
)
def test_round12_digests_and_the_alphabet_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("نشرة الظهيرة: بعد قصف قاعدة بلد، الناتو يعلق تدريبا ليليا", ""),
        ("في هذا العدد", "قراءة في الشراكة بين العراق والناتو، وآراء الخبراء فيها، وما تعنيه للجيش."),
        ("جولة الصحف", "لوموند: الناتو يوسع التدريب في العراق بعد رحيل القوات الأمريكية. الغارديان: بغداد تنتظر."),
    ],
)
def test_round12_one_story_digests_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("من بين الضيوف في الندوة باحث من بغداد، ومتحدث من الناتو، وصحفية من تشيلي.", "enumeration"),
        ("يدير الشركة الجديدة في مالمو رجل سبق أن نقل معدات الناتو إلى العراق.", "past role"),
        ("ترشحت للبرلمان السويدي امرأة كانت تترجم لضباط الناتو في البصرة.", "past role"),
        ("اعتقلت الشرطة البولندية قرب قاعدة للناتو عراقيا يحمل جوازا مزورا.", "nationals"),
        ("أطلق تاجر عراقي علامته التجارية للملابس ناتو ستايل في أربيل.", "named status"),
        ("نشر جورج العراقي كتابا عن تاريخ الناتو.", "surname"),
        ("أقيم حفل موسيقي في لندن حضره موظفون في الناتو لجمع تبرعات لمدارس في الموصل.", "venue"),
    ],
)
def test_round13_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("وفد ناتۆ", "وصل وفد من ناتۆ إلى السليمانية لبحث تدريب البيشمركة. " + FILLER),
        ("خبر", "أعلن حلف شمال الأطلانطي تمديد مهمته في العراق عاما آخر. " + FILLER),
        ("مدربو الناتو يزورون معسكرا قرب الحلة", ""),
        ("خبر", "شكر رئيس أركان الجيش العراقي الناتو وكندا والدنمارك على برامج التدريب. " + FILLER),
        ("خبر", "رافق المصور العراقي مدربي الناتو في جولة بالموصل. " + FILLER),
        ("خبر", "قالت المتحدثة باسم الناتو إن الموظفتين اللتين أصيبتا في انفجار قرب الموصل غادرتا المستشفى. " + FILLER),
    ],
)
def test_round13_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("أخبار الصباح", "الناتو يختار قائدا جديدا لقواته البحرية، والعراق يفتتح مطارا في كربلاء."),
        ("خمس دقائق", "الناتو يجري تمرينا في النرويج - العراق يصدر سندات - أمطار في المغرب"),
    ],
)
def test_round13_digests_without_an_opener_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


def test_normaliser_folds_sorani_letters() -> None:
    assert normalize("ناتۆ") == normalize("ناتو")
    assert normalize("کوردستان") == normalize("كوردستان")
    assert normalize("ڕێگا") == normalize("ريگا")
    assert normalize("هەڵبژاردن") == normalize("ههلبژاردن")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("أعلن الناتو تعيين قائد جديد لقواته في بولندا، في حين افتتح العراق معرضا للكتاب في البصرة.", "two stories"),
        ("يجتمع وزراء دفاع الناتو في بروكسل، فيما يحتفل العراقيون بعيد الفطر.", "two stories"),
        ("ضربت عاصفة مواقع للناتو في النرويج، وكانت قد ضربت من قبل مدنا في العراق.", "two stories"),
        ("يروي الكتاب حروب العقدين الأخيرين من غزو الكويت في العراق إلى حملة الناتو في كوسوفو.", "elsewhere"),
        ("قال خبير إن الناتو يعيد في ليبيا سيناريو أمريكا في العراق.", "elsewhere"),
        ("افتتحت الرسامة، التي ولدت في الموصل وتعمل ابنتها في الناتو، معرضا في باريس.", "past role"),
        ("يعمل المترجم العراقي في مقر الناتو ببروكسل منذ عشر سنوات.", "nationals"),
    ],
)
def test_round14_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("اجتماع عراقي أطلسي في بغداد", ""),
        ("الحكومة تطلب تعاونا أطلسيا أوسع في العراق", ""),
        ("الأطلسي يدرس طلبا من بغداد", ""),
        ("خبر", "ناقش الأطلسي مع الجانب العراقي خطط بناء القدرات. " + FILLER),
        ("خبر", "أنهت دفعة من الضباط العراقيين دورة أشرف عليها خبراء من بعثة الناتو في بغداد. " + FILLER),
        ("خبر", "أكد النائب، الذي عارض وجود قوات الناتو في العراق، أن البرلمان سيصوت على إنهاء البعثة. " + FILLER),
        ("NATO", "el 7elf a3lan enno mohemmet el tadreeb fel 3ira2 mostamerra. " + FILLER),
        ("L'OTAN et l'Irak", "Bagdad et l'Alliance prolongent la mission de formation des officiers. " + FILLER),
        ("خبر", "دخلت المذكرة التي وقعها العراق والناتو لتدريب الضباط حيز التنفيذ. " + FILLER),
        ("خبر", "أعلن الناتو تمديد مهمته التدريبية، بينما رحبت بغداد بالقرار الذي اتخذه الحلف. " + FILLER),
    ],
)
def test_round14_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("أعلن الطبيب يانس كوهلر، الذي عالج مصابين في مستشفى للناتو في البصرة، اعتزاله.", "past role"),
        ("حصلت المهندسة التي صممت مقر قيادة الناتو في بغداد على وسام من بلدية ميلانو.", "past role"),
        ("نشر الدبلوماسي توماس بيرغ، مستشار الناتو في بغداد سابقا، رواية عن الصيد.", "past role"),
        ("زار وفد من متقاعدين، بينهم ضباط سابقون في الناتو، مدينة الموصل القديمة.", "past role"),
        ("عراقية تعمل ممرضة في مستشفى قاعدة جوية للناتو في إيطاليا منذ عشر سنوات.", "nationals"),
        ("رست في ميناء للناتو في اليونان سفينة تقل عراقيين.", "nationals"),
        ("تخدم الضابطة الألمانية سارة، المولودة في الموصل، في مقر للناتو ببولندا.", "past role"),
        ("تتصدر القائمة هذا الأسبوع: 'أسرار الناتو'، و'بغداد في الذاكرة'، و'مطبخ جدتي'.", "enumeration"),
        (
            "يقدم البرنامج مواد في استراتيجية الناتو، والتاريخ الحديث للعراق، والاقتصاد الهندي، وعلم البيئة.",
            "enumeration",
        ),
        ("قال محلل إن الناتو يخسر نفوذه شرقا كما خسرت أمريكا العراق.", "elsewhere"),
        ("تراجعت أسعار الذهب بعد تصريحات الناتو عن روسيا وهجوم على حقل نفطي في البصرة.", "market"),
        ("وقع الناتو والاتحاد الأوروبي اتفاقا للأمن البحري، في وقت يشهد العراق أزمة مياه.", "two stories"),
        ("نفق الحصان رعد، الذي خدم مع وحدة للناتو في العراق، في مزرعة مدربه السابق.", "past role"),
    ],
)
def test_round15_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("el NATO fel 3ira2", "el mostasharin beto3 el 7elf beyedarrabo dobbat 3ira2iyin fi Baghdad. " + FILLER),
        ("L'OTAN f l3ira9", "l7olf l2atlassi ghadi ydarrab l3askar l3ira9i f Baghdad. " + FILLER),
        ("N.A.T.O. advisers arrive in Baghdad", ""),
        (
            "Iraq asks NATO to expand training",
            "Officials said the NATO mission would keep advisers in the country until 2027. " + FILLER,
        ),
        ("تبحث بغداد والحلف تمديد عمل المستشارين", ""),
        ("مستشارو الحلف يغادرون قاعدة عين الأسد", ""),
        ("خبر", "نظمت بعثة الحلف سباقا للدراجات بمشاركة ضباط عراقيين في بغداد. " + FILLER),
        ("خبر", "أقيمت في معسكر فكتوري مباراة كرة قدم بين مدربي الناتو وضباط عراقيين. " + FILLER),
        ("خبر", "رحبت قيادة البيشمركة بقرار الناتو توسيع التدريب في الإقليم. " + FILLER),
        ("خبر", "يتحدث المدرب العراقي كريم جاسم، الذي عمل مع بعثة الناتو في التاجي، عن تطوير المناهج. " + FILLER),
        (
            "خبر",
            "تضمنت الخطة أربع مراحل: تقليص عدد مستشاري الناتو، ونقل المناهج، وتسليم القواعد، وإنهاء البعثة في العراق. "
            + FILLER,
        ),
        ("خبر", "ناقش مسؤولون من العراق والناتو والأمم المتحدة في جنيف خطط البعثة في بغداد. " + FILLER),
        ("السوداني من واشنطن: نريد من الناتو تدريبا لا قوات", ""),
        ("خبر", "سقطت قذيفة قرب جرف الصخر على بعد كيلومترات من موقع يضم مستشاري الناتو. " + FILLER),
    ],
)
def test_round15_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


def test_a_club_named_after_the_atlantic_is_no_alliance(nato_iraq: Topic) -> None:
    result = match_topic(nato_iraq, "نادي الأطلسي يستضيف فريقا عراقيا", "")
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    "text",
    [
        # One cause naming both sides is a link the market reacts to.
        "ارتفعت أسعار النفط بعد إعلان الناتو سحب قواته من العراق.",
        # The repeated verb with no subject of its own: the first side does both.
        "يدعم الناتو أوكرانيا كما يدعم العراق في حربه على الإرهاب.",
        # في وقت سابق (earlier) is a time, not a backdrop clause.
        "أعلن الناتو، في وقت سابق، أنه سيرسل مدربين إلى العراق.",
        # درس reads studied as well as taught: no past deed.
        "كتب الضابط الذي درس في كلية الناتو تقريرا عن تدريب الجيش العراقي.",
        "وصل الخبراء الذين أرسلهم الناتو إلى بغداد لتدريب القوات العراقية.",
    ],
)
def test_round15_families_keep_the_links_beside_them(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason


def test_the_existing_partnership_is_no_roster(nato_iraq: Topic) -> None:
    text = "بحث الوزيران تعزيز الشراكة القائمة بين العراق والناتو، والتعاون في التدريب، وتبادل الخبرات. " + FILLER
    result = match_topic(nato_iraq, "خبر", text)
    assert result.matched, result.reason


def test_iraqis_trained_abroad_by_the_mission_still_match(nato_iraq: Topic) -> None:
    text = "عراقيون يتدربون في ألمانيا على يد مدربي الناتو ضمن برنامج لبناء القدرات. " + FILLER
    result = match_topic(nato_iraq, "خبر", text)
    assert result.matched, result.reason


def test_normaliser_folds_pashto_and_urdu_letters() -> None:
    assert normalize("الناټو") == normalize("الناتو")
    assert normalize("بغداډ") == normalize("بغداد")
    assert normalize("ګردستان") == normalize("كردستان")
    assert normalize("عراقے") == normalize("عراقي")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # A former post may name the body before the side it belongs to.
        ("تزوج موظف سابق في مكتب الاتصال التابع للناتو من طبيبة تقيم في أربيل.", "past role"),
        # A career verb with its subject before the post, and ثم between the stations.
        ("عمل الضابط مدربا في أكاديمية الشرطة ببغداد، ثم ملحقا في مقر الناتو ببروكسل.", "past role"),
        # The alliance's history as what a talk or a book is about.
        ("ألقى أستاذ في جامعة الموصل محاضرة حول تاريخ الحلف الأطلسي.", "work"),
        # A side named as one of two examples of a region.
        ("ناقش المؤتمر أمن الطاقة، والتعاون مع الناتو، والشرق الأوسط وخاصة العراق وسوريا.", "enumeration"),
        # An Iraqi academic working on the alliance's ground abroad.
        ("يعد أكاديمي عراقي في كلية الدفاع التابعة للناتو في روما دراسة عن الأمن البحري.", "nationals"),
    ],
)
def test_round16_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("خبراء من الحلف يصلون إلى الموصل", ""),
        ("وفد من الحلف يزور قيادة عمليات الأنبار", ""),
        ("الناټو يرسل مدربين إلى بغداد", ""),
        ("L'Alliance atlantique prolonge sa mission à Bagdad", ""),
        ("Atlantic Alliance to send more trainers to Baghdad", ""),
        ("l natou tzid mustasharin f l3ira9", ""),
        ("مستشارو الناتو يصلون إلى عاصمة الرشيد", ""),
        ("اتفاق بين الشرطة العراقية والحلف على برنامج للتدريب", ""),
        ("خبر", "قال وزير الدفاع العراقي إن حكومته تريد توسيع التعاون مع الحلف في التدريب. " + FILLER),
        ("العراق والناتو", "يبحث الطرفان تمديد المهمة عامين."),
        ("هجوم بطائرة مسيرة على قاعدة عين الأسد", "استهدفت المسيرة مبنى يقيم فيه مدربو بعثة الناتو، ولم تقع إصابات."),
        ("خبر", "وصل اللواء، الذي قاد مدربي الناتو في العراق قبل أعوام، إلى الموصل مستشارا للحكومة. " + FILLER),
        (
            "خبر",
            "يقول المهندس الإيطالي، الذي صمم لبعثة الناتو مبنى التدريب في قاعدة التاجي، إن المبنى يتسع لثلاثمئة متدرب. "
            + FILLER,
        ),
        (
            "مختارات الأسبوع ✦ جولة في الموصل",
            "✦ تقرير: ساعات مع مدربي الناتو والجنود العراقيين في الموصل ✦ مقابلة مع روائي ✦ أسعار الذهب " + FILLER,
        ),
        ("تقرير بعثة الناتو السنوي", "وتقول البعثة إن 900 ضابط عراقي أكملوا الدورات هذا العام. " + FILLER),
    ],
)
def test_round16_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # A digest named at the title's end: two stories joined by و.
        ("انتخابات العراق ومؤتمر الناتو.. أهم ما جرى اليوم", ""),
        ("روسيا تحذر الناتو وبرلمان العراق يجتمع - حصاد اليوم", ""),
        # The summary names the title's subject only in a sense ruled out (a past war).
        ("العراق والناتو", "قراءة في كيف غيّر غزو العراق علاقة أوروبا بواشنطن."),
        # A digest's title names no one story for its summary to go on with.
        ("موجز الأخبار: انفجار في البصرة", "وزراء دفاع الناتو يجتمعون في بروكسل."),
        # A business named after the Atlantic.
        ("خبر", "افتتح في الكرادة ببغداد فندق جديد يحمل اسم الأطلسي يطل على النهر. " + FILLER),
    ],
)
def test_round16_families_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    "text",
    [
        # NATO working with Iraq's government is the alliance acting, not a career.
        "عمل الناتو مع الحكومة العراقية على خطة لتدريب الشرطة.",
        # One example alone (no second joined by و) is the place the alliance acts.
        "قال الناتو إنه يريد توسيع التدريب في المنطقة، خاصة العراق.",
        # A history of the mission in Iraq, not a work about the alliance's history.
        "تحدث قائد بعثة الناتو عن تاريخ التعاون مع الجيش العراقي منذ 2018.",
    ],
)
def test_round16_families_keep_the_links_beside_them(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # A clause about someone's past (between commas, or a relative clause ended by a present-tense verb)
        # holds every mention of the alliance; the sentence around it names no alliance or mission word.
        ("افتتحت المصورة الهولندية، التي انتقدت قمة للناتو قبل عامين، معرضا للخط العربي في الموصل.", "past role"),
        ("يفتتح طبيب فرنسي، عمل سابقا في مستشفى الناتو، عيادة للأسنان في السليمانية.", "past role"),
        (
            "يكتب جنرال متقاعد، قاد فرقة للناتو في البلقان وكان بين ضيوفه ضباط عراقيون، مذكراته في اسكتلندا.",
            "past role",
        ),
        # A sequence joined by "، ثم": a ranking.
        ("تصدرت تركيا القائمة، ثم مصر، ثم إيران، ثم إيطاليا وهي الثانية بين دول الناتو، ثم العراق.", "enumeration"),
        # A venue event in Iraq dated by the alliance's meeting; Iraq as a cuisine's or an art's adjective.
        ("أقام سفير هولندا حفلا موسيقيا في أربيل عقب اجتماعات الناتو في فيلنيوس.", "venue"),
        ("شارك ضباط من الناتو في دورة للمقام العراقي في مدينة ليون الفرنسية.", "venue"),
        # A person from NATO's countries; a side named as having nothing to do with it.
        ("اشترى رجل أعمال من دول الناتو فندقا تاريخيا في الموصل.", "nationals"),
        ("قال الناطق إن العراق وقع الاتفاق مع واشنطن وحدها، وهو اتفاق لا علاقة لحلف الناتو به.", "no link"),
    ],
)
def test_round17_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # The pair after a relative clause that a present-tense verb ends is the main clause's.
        (
            "خبر",
            "المقدم البولندي الذي عمل سابقا في أفغانستان يدرب حاليا ضباط الناتو في أكاديمية الرستمية العراقية. "
            + FILLER,
        ),
        # A verb-first sentence whose subject a relative clause describes goes on to a mission word.
        (
            "خبر",
            "رجع الأدميرال الذي ترأس بعثة الناتو في العراق عام 2020 إلى البصرة مستشارا لقيادة القوة البحرية. "
            + FILLER,
        ),
        # A back-reference after the alliance named inside an ignore phrase (a named status).
        (
            "خبر",
            "يدرس الأردن وضع الحليف الرئيسي من خارج الناتو، فيما يلتقي وفد عراقي ممثلي الحلف في بغداد لبحث التدريب. "
            + FILLER,
        ),
        # Arabizi: Iraq without its first vowel; a Latin name stretched by a repeated letter.
        ("mustasharin natu f l3ra9", "l7ilf ghadi yzid l mudarribin f l3ra9 had l3am."),
        ("el natoooo ya3od lil 3iraq", "mudarrbin el natoooo rij3o lil ta9adum fi baghdad. " + FILLER),
    ],
)
def test_round17_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # A summary that pairs the sides only in passing confirms no headline.
        ("الناتو وبغداد هذا الأسبوع", "يعقد الحلف اجتماعا في لاهاي، بينما تستقبل بغداد مؤتمرا عربيا عن المياه."),
        # …nor a pairing across headline and summary.
        (
            "الضابطة التي خدمت في الناتو تفتح مخبزا",
            "تفتح ضابطة إيطالية متقاعدة، خدمت في قيادة الناتو في نابولي وكان بين زملائها ضباط عراقيون، "
            "مخبزا في ميلانو.",
        ),
        # A digest summary of three or more comma items: each a story, not an aside.
        ("أبرز عناوين اليوم", "فيضانات في العراق، قمة لقادة الناتو، إضراب في فرنسا، وانتخابات في البرازيل."),
        # Arabizi obstacles (عراقيل) are no Iraq.
        ("natu w l3ra9il", "l7ilf dyal natu kay3ani mn l3ra9il f brussel."),
    ],
)
def test_round17_families_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    "text",
    [
        # A clause about a thing the alliance made, with the alliance as the clause verb's subject.
        "تعثر مشروع تأهيل مطار الموصل، الذي أطلقته بعثة الناتو العام الماضي، بسبب نقص التمويل.",
        # A clause in the present (what the person does now) is not their past.
        "قالت المستشارة الكندية، التي تعمل مع بعثة الناتو في وزارة الدفاع العراقية، إن التدريب تقدم.",
        # A mission word around the clause keeps the story the alliance's.
        "قدم النائب، الذي انتقد الناتو سابقا، مشروعا لتمديد بعثة الحلف في العراق.",
        # A single ثم is a step of one story, not a ranking.
        "سيجتمع الناتو مع وزارة الدفاع العراقية، ثم يعلن خطة التدريب الجديدة في بغداد.",
        # The alliance named as a party, not dated by its meeting, at an event in Iraq.
        "افتتح الناتو في بغداد معرضا عن تدريب القوات العراقية.",
        # "Earlier" opening the sentence is a time, not a former antecedent whose past follows.
        "وفي وقت سابق، أكدت الحكومة العراقية أن الناتو سيرسل مستشارين، حسبما أفادت قناة العربية.",
        "وفي العام السابق، وقع العراق مع الناتو اتفاقا لتدريب الشرطة، بحسب البيان.",
    ],
)
def test_round17_families_keep_the_links_beside_them(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # Iraqi people met on the alliance's ground, where a NATO base, hospital or airport also is.
        ("مريض عراقي ينقل إلى مستشفى عسكري للناتو في بلجيكا", ""),
        ("عراقيون مقيمون في هولندا يحتجون أمام مقر للناتو", ""),
        ("اعتصام عراقيين في هولندا قرب قاعدة للناتو", ""),
        ("جندي عراقي سابق يعمل حارسا في قاعدة للناتو في ليتوانيا", ""),
        ("طائرة للخطوط الجوية العراقية تهبط في مطار عسكري للناتو في بلغاريا", ""),
        (
            "خبر",
            "وصل مريض عراقي إلى مستشفى القاعدة التي يستخدمها الناتو قرب رامشتاين الألمانية لتلقي العلاج. "
            "وقال الأطباء إن حالته جيدة.",
        ),
    ],
)
def test_round18_iraqis_met_near_nato_abroad_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    "title",
    [
        # Iraq's forces and officials abroad with the alliance are the link.
        "ضباط عراقيون في ألمانيا يتدربون مع الناتو",
        "وفد عراقي في بروكسل يبحث مع الناتو توسيع البعثة",
        "مسؤولون عراقيون في بروكسل لبحث مهمة الناتو",
    ],
)
def test_round18_iraqi_forces_and_officials_abroad_still_match(nato_iraq: Topic, title: str) -> None:
    result = match_topic(nato_iraq, title, "")
    assert result.matched, result.reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # The alliance named only in a clause about the place an event is held in: what it hosted or housed
        # before, with or without a pronoun; what a place abroad houses now.
        ("أقيم معرض للكتاب في فندق بغداد، الذي استضاف قبل أعوام لقاءات مع وفود من الناتو.", "venue"),
        ("انطلقت بطولة للسباحة في مجمع رياضي بالبصرة، الذي كان يضم مقرا لمستشاري الناتو.", "venue"),
        ("يعرض مصور عراقي صوره في مدينة نابولي الإيطالية، التي تضم مقر قيادة تابعة للناتو.", "elsewhere"),
        # A former NATO place; NATO as what a film is about.
        ("تحولت قاعة الناتو السابقة في أربيل إلى مسرح للأطفال.", "venue"),
        ("اختتم في الموصل مهرجان للسينما عرض فيه فيلم عن قمة الناتو في مدريد.", "venue"),
        # Iraq named only in an aside about someone's past, the alliance in the main clause.
        (
            "يترأس وزير الدفاع البلجيكي، الذي زار الموصل العام الماضي، اجتماعا لوزراء دفاع الناتو في بروكسل.",
            "past role",
        ),
        # NATO as a standard; an Iraqi place someone's family fled from.
        ("اشترت وزارة الداخلية العراقية ذخيرة بعيار الناتو من شركة بلغارية.", "named status"),
        # The alliance's member states as the other end of a comparison.
        ("تقارن دراسة معدلات البطالة في العراق بنظيرتها في دول الناتو.", "named status"),
        ("تشارك طبيبة ألمانية، فرت عائلتها من كركوك، في مؤتمر طبي للناتو في برلين.", "nationals"),
        # A career verb opening the sentence with a preposition or a post after it is still a career.
        ("خدم في بعثة الناتو ببغداد ثم تقاعد وافتتح مطعما في روما.", "past role"),
    ],
)
def test_round19_families_are_passing(nato_iraq: Topic, text: str, kind: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert not result.matched, result.reason
    assert f"({kind})" in result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # A ship named after the ocean.
        ("ناقلة الأطلسي العراقي تعود إلى الخدمة", ""),
        # The summary names Iraq only as the war, and NATO as meant: the headline's Iraq is the war too.
        ("chkoun y7ki 3al nato w 3al 3iraq??", "el ra2is 7ka 3al nato lyoum w 7ka 3an 7arb el 3iraq zaman."),
    ],
)
def test_round19_families_are_no_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert not result.matched, result.reason


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # الأطلسي and الحلف as the alliance: asked by Iraq (not masked by the ocean's "من الأطلسي"), its envoy,
        # joined to Iraq in a digest's first story, its councils.
        ("بغداد تطلب من الأطلسي إرسال مدربين إضافيين", ""),
        ("مندوب الأطلسي يلتقي وزير الخارجية العراقي", ""),
        ("الأطلسي والعراق يبحثان تمديد البعثة - أسعار النفط تتراجع", ""),
        ("وزراء خارجية الحلف يناقشون مهمة العراق", ""),
        # An Iraqi officer surnamed al-Iraqi beside the mission.
        ("خبر", "قال العقيد سعد العراقي إن مدربي بعثة الناتو أنهوا دورة للضباط في البصرة. " + FILLER),
        # One side's places joined by و, then a comma and the next clause's verb: no list of parties.
        ("خبر", "زار مستشارو الناتو الموصل وكركوك وتكريت، واطلعوا على برامج تدريب الشرطة. " + FILLER),
        # A clause whose verb points back at the first clause's event is the same story.
        (
            "خبر",
            "عقدت لجنة الدفاع النيابية اجتماعا مع ممثل بعثة الناتو، وبحثت خلاله انتشار المستشارين في العراق. "
            + FILLER,
        ),
    ],
)
def test_round19_families_match(nato_iraq: Topic, title: str, text: str) -> None:
    result = match_topic(nato_iraq, title, text)
    assert result.matched, result.reason


@pytest.mark.parametrize(
    "text",
    [
        # A base in Iraq that houses the alliance now; the alliance acting in a place with a past.
        "تعرضت قاعدة عين الأسد، التي تضم مستشارين من الناتو، لهجوم بطائرة مسيرة.",
        "افتتحت بعثة الناتو في فندق الرشيد ببغداد، الذي استضاف مؤتمرات سابقة، ورشة لتدريب الضباط العراقيين.",
        # Iraq's forces at a place abroad that houses a NATO school.
        "يتدرب ضباط عراقيون في مدينة أوبرأمرغاو الألمانية، التي تضم مدرسة تابعة للناتو.",
        # The alliance's own official in an aside about a visit to Iraq.
        "قال الأمين العام للناتو، الذي زار بغداد الشهر الماضي، إن الحلف سيواصل دعم الحكومة.",
        # An Iraqi minister leaving Baghdad for a NATO meeting; a standard the mission trains to.
        "غادر وزير الدفاع العراقي بغداد متوجها إلى بروكسل لحضور اجتماع الناتو.",
        "يدرب الناتو القوات العراقية وفق معايير الحلف في معسكر التاجي.",
        # The sentence's own first verb with the alliance's people as its subject is what it reports.
        "رافق مدربون من بعثة الناتو وحدات الشرطة العراقية في دوريات بالبصرة.",
        # Member states acting in Iraq, with no comparison.
        "أرسلت دول الناتو مدربين إضافيين إلى العراق لدعم البعثة.",
    ],
)
def test_round19_families_keep_the_links_beside_them(nato_iraq: Topic, text: str) -> None:
    result = match_topic(nato_iraq, "خبر", text + " " + FILLER)
    assert result.matched, result.reason
