"""Is a sentence that pairs two topic terms only a passing mention? Rules over the sentence's words.

    passing_kind(tokens, comma_before, sentence, pair, substantive=False, group_at=None) -> str | None
        tokens: the article's normalised tokens; comma_before[i]: a comma or list mark precedes token i;
        sentence: (first, last) token index of the sentence; pair: the (first, last) spans of the mentions
        that formed the unit, the anchor group's first. Returns why the pairing is a passing mention
        ("enumeration", "past role", "venue", "nationals", "elsewhere", "surname", "named status", "two stories",
        "market", "work", "no link"), or None when it may be a real link.

A news sentence often names NATO and Iraq together without linking them: a list of partner countries,
a biography, a relative clause about someone's earlier post, a match or festival held somewhere, Iraqi
nationals met by an operation elsewhere, a person called al-Iraqi. Each rule looks for the grammatical
sign of one of these; a sentence about a mission or training is judged by the caller, not here.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from monitor.text.arabic import clitic_readings, normalize, strip_clitics


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
    # Supplied or contracted: a contractor's past ("الذي وفر خدمات الإعاشة لقواعد الناتو").
    "وفر", "وفرت", "زود", "زودت", "تعاقد", "تعاقدت",
)  # fmt: skip
_BIOGRAPHY = _words(
    "ولد", "مواليد", "حاصل", "مسيرته", "مسيرتها", "المهنية", "سيرته", "تقاعد", "مذكرات", "مذكراته",
    "مذكراتها", "مناصب", "born",
    # Born somewhere ("الجندي الهولندي أحمد الجبوري، المولود في بغداد"): a person's origin.
    "المولود", "المولوده", "مولود", "مولوده",
)  # fmt: skip
# An obituary is about the person even when it names the mission they led.
_OBITUARY = _words("توفي", "توفيت", "الراحل", "الراحله", "رحيل", "نعى", "نعت", "وفاه")
# "بعد رحيل التحالف": the departure of forces, not a death.
_DEPARTURE = _words("رحيل")
_DEPARTING = _words("التحالف", "القوات", "قوات", "الجنود", "جنود", "القواعد", "البعثه", "الاحتلال")
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
    # Fashion: a show, a designer's collection.
    "ازياء", "الازياء", "موضه", "الموضه", "للازياء", "عارضه", "عارضات",
    # Museums and antiquities.
    "متحف", "المتحف", "متاحف", "المتاحف", "اثريه", "الاثريه", "التراث",
    # Music and the stage: opera, composers, orchestras, singers.
    "اوبرا", "الاوبرا", "ملحن", "الملحن", "موسيقار", "الموسيقار", "سيمفونيه", "السيمفونيه", "اوركسترا",
    "الاوركسترا", "باليه", "الباليه", "مغني", "المغني", "مغنيه", "المغنيه", "اغنيه", "الاغنيه", "اغاني",
    "الاغاني", "عازف", "العازف", "كورال", "الكورال", "غنائي", "الغنائي", "غنائيه", "الغنائيه",
    # Sportspeople and swimming; charity events (a gala, a challenge for a cause).
    "رياضي", "الرياضي", "رياضيه", "الرياضيه", "رياضيا", "سباحه", "السباحه", "سبح", "سبحت", "سباح", "السباح",
    "خيري", "الخيري", "خيريه", "الخيريه",
    # A body's own festival or show ("أجلت جمعية عراقية مهرجانها السنوي في لاهاي").
    "مهرجانها", "مهرجانه", "مهرجانهم", "معرضها", "معرضه", "معرضهم",
    # The same worlds in English (social-media and wire text in Latin script).
    "restaurant", "chef", "cafe", "festival", "concert", "exhibition", "museum", "film", "movie", "stadium",
    "football", "album", "gallery", "marathon", "singer", "actor", "actress",  # not match, novel: other senses
    "club", "striker", "midfielder", "goalkeeper", "footballer", "forward",
)  # fmt: skip
_VENUE_CLITICS = ("ل", "ب", "و", "ف", "ك")  # "لملحن", "بالمهرجان": one proclitic before a venue word
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
    # …or carried by a plane, a ship or a bus ("طائرة تقل عراقيين").
    "تقل", "يقل", "تنقل", "ينقل", "متنها", "متنه",  # not يحمل: "يحمّل العراقيين المسؤولية" (holds responsible)
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
    # Christian given names of Iraq and the Levant (إلياس and إلهام read as ال + a word once normalised).
    "الياس", "الهام", "جورج", "ميشيل", "ميشال", "انطوان", "حنا", "يوحنا", "بطرس", "جرجس", "عيسى", "موسى",
    "داود", "سليمان", "يعقوب", "شربل", "نقولا", "مارون", "ريتا", "نادين", "جوزيف", "كميل", "فادي",
    # Women's names common among presenters and journalists of the region.
    "رشا", "رنا", "ريم", "دينا", "لينا", "ساره", "لمى", "ديما", "رغد", "شيماء", "ميساء", "سهى", "روان",
    "هدى", "منى", "نهى", "زين",
)  # fmt: skip
# A title or profession: "الكاتب العراقي" is the Iraqi writer (an adjective), but a word between a title and
# العراقي is a given name ("المهندس كمال العراقي"), and "عائلة العراقي" names a family.
_TITLES = _words(
    "السيد", "السيده", "الكاتب", "الكاتبه", "الصحفي", "الصحفيه", "الباحث", "الباحثه", "الدكتور", "الدكتوره",
    "المهندس", "المهندسه", "المحامي", "المحاميه", "الفنان", "الفنانه", "المخرج", "المخرجه", "الاستاذ",
    "الاستاذه", "البروفيسور", "الشيخ", "الحاج", "الطبيب", "الطبيبه", "الروائي", "الروائيه", "الشاعر",
    "الشاعره", "اللاعب", "اللاعبه", "المدرب", "الممثل", "الممثله", "المطرب", "المطربه",
    # Broadcasters and reporters ("المذيعة رشا العراقي").
    "المذيع", "المذيعه", "الاعلامي", "الاعلاميه", "المراسل", "المراسله", "الناشط", "الناشطه",
    # Envoys and preachers ("السفيرة هدى العراقي", "الداعية زين العراقي"); not الخبير or المحلل, which an
    # adjective follows ("الخبير الأمني العراقي" is an Iraqi expert).
    "السفير", "السفيره", "الداعيه", "الداعي", "الواعظ",
)  # fmt: skip
_FAMILY = _words("عائله", "اسره", "ال", "عائلة", "أسرة", "آل")
# Two-word given names before العراقي: "X الدين" ("نور الدين العراقي") and a name with an epithet ("محمد
# الأمين العراقي").
_DIN_NAMES = _words(
    "نور", "صلاح", "عز", "خير", "بدر", "شمس", "جمال", "علاء", "سعد", "محي", "محيي", "نصر", "كمال", "عماد", "تقي",
    "زين", "شرف", "سيف", "بهاء", "حسام", "فخر", "ضياء", "نجم", "شهاب", "ناصر", "قطب", "معين", "برهان", "نظام",
    "عصام", "مجد", "ركن", "تاج", "حسن",
)  # fmt: skip
_EPITHETS = _words(
    "الامين", "الصادق", "المهدي", "الطاهر", "العربي", "الحبيب", "الهادي", "المختار", "الطيب", "البشير",
    "الناصر", "الصالح", "الحسن", "الحسين", "الفاضل", "المصطفى", "المصطفي", "الصديق", "الزين", "الزهراء",
)  # fmt: skip
_NOT_A_NAME = _words("على", "الى", "في", "من")  # "على الصعيد العراقي": على reads as the name علي
# The surname in Latin script: "El Iraqi", "Karim Iraqi" (a Maghreb family name, as outlets spell it).
_LATIN_IRAQI = _words("iraqi")
_LATIN_ARTICLES = _words("el", "al")
_LATIN_GIVEN_NAMES = _words(
    "mohamed", "mohammed", "muhammad", "mohammad", "ahmed", "ahmad", "ali", "hassan", "hasan", "hussein",
    "houssein", "omar", "khalid", "khaled", "karim", "said", "saad", "rachid", "rashid", "youssef", "yousef",
    "youssouf", "nour", "noureddine", "nourdine", "abdelhak", "abdellatif", "abdelkrim", "abdelaziz",
    "abdellah", "abdallah", "abdelkader", "abderrahim", "abderrahmane", "mustapha", "mustafa", "hamza",
    "hicham", "hisham", "nabil", "samir", "fatima", "fatiha", "meriem", "mariam", "zineb", "zainab", "salma",
    "laila", "leila", "driss", "idriss", "jamal", "tarik", "tariq", "walid", "yassine", "hamid", "aziz",
    "mounir", "fouad", "kamal", "younes", "mourad", "anas", "soufiane", "ayoub", "zakaria", "ismail", "amine",
    "mehdi", "adil", "adel", "imane", "nadia", "khadija", "amina", "othmane", "reda", "brahim",
    "ibrahim", "jalal", "badr", "ilyas", "houda", "asmae", "sanaa", "latifa", "saida", "naima",
)  # fmt: skip
_LIST_ITEMS = 3  # a mention with two more items joined to it by commas or "و" is an item in a list
_PHRASE_WORDS = 3  # most words of one item of a list of parties ("وجامعات في العراق")
_THEN = _words("ثم")
_REPRESENTED = _words("مثل", "مثلت")
_OWN_COUNTRY = _words("بلاده", "بلادها", "بلده", "بلدها", "دولته", "دولتها", "حكومته", "حكومتها")
# "بين العراق والناتو": the two items after بين are the two parties of one relation, not a list.
_BETWEEN = _words("بين")
# "عميل سرب وثائق للناتو وآخر عمل في بغداد": "one … and another …" names two different people or things.
_ANOTHER = _words("واخر", "واخري", "والاخر", "والاخري", "واخرون", "واخرين")
# Ranks in a table: "جاءت دول الناتو في الصدارة وحل العراق في المرتبة الخامسة".
_RANKS = _words("الصداره", "المرتبه", "المركز", "المراتب", "مرتبه")
_RANK_REACH = 3
_AT_RANK = _words("في")
# A secretary-general named in a national office ("وزير المالية النرويجي ينس ستولتنبرغ"): another post.
_SECRETARIES = ("ستولت", "شتولت", "روته", "روتيه", "روتي")
_NATIONAL_POSTS = _words("وزير", "رئيس", "وزيره", "رئيسه")
# "بمدينة بيدغوشتش البولندية، مقر مركز تدريب للناتو": a place described by what has its seat there.
_SEAT = _words("مقر", "مقرا")
# Verbs of calling on, urging, warning or accusing: their object list is whom the subject addresses.
_ADDRESS = _words(
    "دعا", "دعت", "يدعو", "تدعو", "طالب", "طالبت", "يطالب", "تطالب", "حث", "حثت", "يحث", "تحث", "ناشد",
    "ناشدت", "يناشد", "تناشد", "حذر", "حذرت", "يحذر", "تحذر", "اتهم", "اتهمت", "يتهم", "تتهم", "انتقد",
    "انتقدت", "ينتقد", "تنتقد",
    # …or of thanking and praising ("أشاد وزير الدفاع العراقي بدعم الناتو وإسبانيا وتركيا").
    "اشاد", "اشادت", "يشيد", "تشيد", "شكر", "شكرت", "يشكر", "تشكر", "ثمن", "ثمنت", "يثمن", "تثمن", "رحب",
    "رحبت", "يرحب", "ترحب",
)  # fmt: skip
# Words that open a roster of people (speakers, guests, participants): its items are people side by side.
_ROSTER = _words(
    "المتحدثين", "المتحدثون", "المتحدثات", "المشاركين", "المشاركون", "الضيوف", "المدعوين", "المكرمين",
    "المحاضرين", "المحاضرون", "المتكلمين", "قائمه", "القائمه", "المرشحين", "الفايزين", "الحضور",
)  # fmt: skip
# A comma clause opening with a career verb is an apposition about someone's earlier post
# ("…، خدم في مهمة الناتو بالعراق عام 2019، …", "…، كان قد عمل مستشارا لبعثة الناتو في العراق").
_PRONOUNS = _words("وهو", "وهي", "هو", "هي")
_CAREER = _words(
    "خدم", "خدمت", "عمل", "عملت", "شغل", "شغلت", "تولى", "تولت", "تقلد", "تقلدت", "تنقل", "تنقلت", "رافق", "رافقت",
    "امضى", "امضت", "قضى", "قضت", "قاد", "قادت", "ترأس", "ترأست", "ادار", "ادارت", "اشرف", "اشرفت", "غطى", "غطت",
)  # fmt: skip
_TOOK_PART = _words("شارك", "شاركت")
_WORK = _words("عمل")
_DURATION = _words(
    "سنوات", "لسنوات", "سنين", "لسنين", "سنه", "لسنه", "سنتين", "لسنتين", "عامين", "لعامين", "اعوام", "لاعوام",
    "اشهر", "لاشهر", "شهور", "لشهور", "شهرين", "لشهرين", "مده", "لمده", "فتره", "لفتره", "طويله",
)  # fmt: skip
_CAREER_FOLLOW = _words("في", "مع", "لدى", "ضمن", "لحساب", "سابقا", "لصالح", "بين")
# "مستشار سابق لبعثة الناتو": a former post named just before the mention.
_FORMER = _words(
    "سابق", "سابقه", "سابقا", "السابق", "السابقه", "سابقون", "سابقين", "السابقون", "السابقين", "سابقات",
)  # fmt: skip
# People an operation meets, by their Iraqi nationality ("مسافرا عراقيا", "مرتزقة عراقيين").
_CIVILIANS = tuple(normalize(w) for w in (
    "مسافر", "راكب", "بحار", "مهاجر", "لاجي", "مرتزق", "سايح", "سياح", "طالب", "شاب", "رجل", "امراه", "عائله",
    "طبيب", "مقاتل", "متطرف", "قبطان", "سائق", "زوار", "مهندس", "متطوع",
))  # fmt: skip
# What an authority or an operation does to one person it meets (detains, rescues, hires, deports): a
# single Iraqi as its object ("احتجزت الشرطة في مطار فيلنيوس عراقيا", "أنقذت مجموعة بحرية للناتو بحارا
# عراقيا") is a national met there, not the country.
_MET_PERSON = _words(
    "احتجز", "احتجزت", "اعتقل", "اعتقلت", "اوقف", "اوقفت", "انقذ", "انقذت", "وظف", "وظفت", "رحل", "رحلت",
    "انتشل", "انتشلت", "استجوب", "استجوبت", "طرد", "طردت", "اسعف", "اسعفت", "ضبط", "ضبطت",
)  # fmt: skip
_ONE_IRAQI = _words("عراقي", "عراقيا", "عراقيه")
# "طبيبة عراقية تعمل في مستشفى بريغا": the person's own job, not the mission's work.
_OWN_JOB = _words("يعمل", "تعمل")
_CAREER_PRESENT = _words(
    "يعمل", "تعمل", "يخدم", "تخدم", "يشغل", "تشغل", "يزود", "تزود", "يوفر", "توفر",
)  # fmt: skip
# "جنرالا كان قد درّب …": كان قد after a noun opens a pluperfect clause about that noun.
_ALREADY_DONE = _words("قد")
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
_BEFORE_CAREER = _words(
    "كان", "وكان", "كانت", "وكانت", "سبق", "وسبق", "سبقت",
    # …the dual and the plural ("حين كانا ضمن فريق الناتو", "كانوا مستشارين").
    "كانا", "وكانا", "كانتا", "كانوا", "وكانوا",
)  # fmt: skip
# "ناتو الخليج", "ناتو الشرق الأوسط": NATO as a name for a region's pact.
_PACT_REGIONS = _words("الخليج", "الشرق", "المنطقه", "العرب", "المسلمين", "السنه", "الشيعه")
_INDEFINITE_CLITICS = ("", "ب", "و", "ك", "ف", "وب", "وك", "فب")  # "بناتو شيعي", not "للناتو"
_NATO_NAMES = _words("حلف", "الحلف", "الاطلسي", "الاطلنطي", "(")
_PARTICLES = _words("في", "إلى", "على", "من", "عن", "مع", "الذي", "التي", "الذين")
# NATO as a name given to something: a nickname, a shop ("لقب الناتو", "سمى متجره الناتو").
_NAMING = _words(
    "لقب", "اللقب", "بلقب", "لقبه", "لقبها", "لقبا", "الملقب", "الملقبه", "يلقب", "تلقب", "المسمى", "المسماه",
    "يسمى", "تسمى", "سمي", "سميت", "اسمه", "اسمها", "متجر", "متجره", "متجرها", "المتجر", "متجرا", "مقهى",
    "مقهاه", "المقهى", "ماركه", "علامته", "علامتها", "علامه", "العلامه",
    # The title of a work: "لعبة بعنوان الناتو ضد الزومبي".
    "بعنوان", "عنوانه", "عنوانها", "المعنون", "المعنونه",
    # What people call a thing ("بندقية يسمونها «الناتو» نسبة إلى عيارها").
    "يسمونها", "يسمونه", "يسميها", "يسميه", "تسميها", "تسميه", "سموها", "سموه", "سماها", "سماه", "يدعونها",
    "يدعونه",
)  # fmt: skip
# NATO as the model another pact is compared with ("على غرار الناتو", "بمثابة ناتو", "مقارنا إياه بالناتو").
_COMPARED = _words(
    "غرار", "شاكله", "نمط", "طراز", "بمثابه", "يشبه", "تشبه", "شبيه", "شبيها", "شبيهه", "مقارنا", "مقارنه",
    "قارن", "قارنت", "قارنه", "قارنها", "نسخه",
)  # fmt: skip
_COMPARED_OBJECT = _words("اياه", "اياها", "اياهم", "به", "بها", "مع")  # "مقارنا إياه بالناتو"
# People whose origin is Iraq ("مهاجرين من العراق وسوريا"): nationals met elsewhere, not the country.
_ORIGIN_PEOPLE = tuple(normalize(w) for w in ("مهاجر", "لاجئ", "نازح", "طالبي لجوء", "فار", "هارب"))
_FROM = _words("من")
# Where NATO operates outside Iraq: an operation there that meets Iraqis (a crew, a fighter, a doctor)
# meets nationals, not the country.
_THEATRES = _words(
    "افغانستان", "كوسوفو", "ليبيا", "البلطيق", "ايجه", "المتوسط", "الاسود", "الاحمر", "قبرص", "اوكرانيا",
    "بولندا", "ليتوانيا", "لاتفيا", "استونيا", "رومانيا", "الصومال", "عدن", "البوسنه", "صربيا", "مقدونيا",
    "بيلاروسيا", "مالطا", "قندهار", "كابول", "هلمند", "روسيا", "كييف", "طرابلس", "بنغازي",
    # The Balkans' cities where its forces went in ("دخلت قوات الحلف سراييفو").
    "سراييفو", "بلغراد", "بريشتينا", "موستار", "البلقان",
    # …their other spellings and the forces it sent there (قوة إيفور, كفور); Kabul as كابل; Ukraine by its
    # adjective (القوات الأوكرانية).
    "ساراييفو", "سراجيفو", "ايفور", "كفور", "كابل", "الاوكرانيه", "الاوكراني", "اوكرانيه", "اوكراني",
    "الاوكرانيين", "الاوكرانيون",
    # Afghanistan by its adjective ("تحالف الشمال الأفغاني", "الجيش الأفغاني").
    "الافغاني", "الافغانيه", "افغاني", "افغانيه", "الافغان",
)  # fmt: skip
_THEATRES_BARE = frozenset(strip_clitics(w) for w in _THEATRES) | _words(
    "libya", "afghanistan", "kosovo", "ukraine", "bosnia", "serbia", "balkans", "kabul", "kyiv", "kiev",
)
_DEMONYMS = _words("عراقي", "عراقيا", "عراقيه", "عراقيين", "عراقيون", "العراقيين", "العراقيون", "عراقيات")
# Iraqis named as the country's forces: trained officers and soldiers are the link, not bystanders.
_FORCES = _words(
    "ضابط", "ضباط", "ضابطا", "جندي", "جنود", "جنديا", "عسكريين", "عسكريون", "طيارين", "طيارون", "قوات",
    "متدربين", "متدربون", "منتسبين", "لضباط", "لجنود", "وضباط", "وجنود", "وحده", "وحدات", "لواء", "كتيبه",
)  # fmt: skip


# Words that begin with the letter و without it being the conjunction.
_WAW_WORDS = _words(
    "وزير", "وزيره", "وزراء", "وزاره", "واشنطن", "وفد", "وقت", "وكاله", "وضع", "وسط", "وفق", "وجود", "وحدات",
    "وحده", "وطني", "الوطني", "ورقه", "وثيقه", "وصول", "وعد", "ولايه", "ولي", "وصل", "وصلت", "وصلوا", "وصلا",
    "وفر", "وفرت", "وفروا",
)  # fmt: skip
# Possessive suffixes and the accusative alif: "وجوده" (its presence) is وجود, "وفدا" is وفد, not و + جوده.
_SUFFIXES = ("ه", "ها", "هم", "هما", "نا", "كم", "ا")


def conjoined(token: str) -> bool:
    """The token starts with the conjunction و (و + a base of at least three letters)."""
    if not token.startswith("و") or len(token) < 4 or token in _WAW_WORDS:
        return False
    return not any(token.endswith(s) and token[: -len(s)] in _WAW_WORDS for s in _SUFFIXES)


def acts_in_theatre(tokens: Sequence[str], first: int, last: int, hi: int) -> bool:
    """After the mention at first..last, its clause places it in a theatre abroad ("الناتو يختتم مهمته البحرية
    في البحر المتوسط"): في and, within two words, a theatre of its own operations."""
    for k in range(last + 1, min(hi, last + _THEATRE_REACH) + 1):
        if tokens[k] not in _IN_PLACE:
            continue
        return any(map(_theatre, tokens[k + 1 : min(hi, k + 2) + 1]))
    return False


def names_theatre(tokens: Sequence[str], lo: int, hi: int) -> bool:
    """Tokens lo..hi name a theatre of the alliance's own operations abroad ("لقوات كييف", "في البلطيق")."""
    return any(map(_theatre, tokens[lo : hi + 1]))


def _theatre(word: str) -> bool:
    """The word names a theatre of the alliance's operations abroad, as written or after its proclitics."""
    return word in _THEATRES or strip_clitics(word) in _THEATRES_BARE


_THEATRE_REACH = 5
_IN_PLACE = _words("في")


def _list_items(
    tokens: Sequence[str], comma_before: Sequence[bool], span: tuple[int, int], lo: int, hi: int
) -> list[int]:
    """The one-word items joined to the mention at `span` by commas or و (token indices, the mention's
    first token included). A comma before a relative pronoun opens a clause, not an item."""
    first, last = span
    items = [first]
    i = first
    while i - 1 >= lo and (comma_before[i] or conjoined(tokens[i])):
        i -= 1
        items.append(i)
    j = last + 1
    while j <= hi and (comma_before[j] or conjoined(tokens[j])) and tokens[j] not in _RELATIVE:
        items.append(j)
        j += 1
    return items


def _own_run(
    tokens: Sequence[str], comma_before: Sequence[bool], items: Sequence[int], groups: Mapping[int, str]
) -> list[int]:
    """The items without a last one that a comma and و put after a run of names joined by و ("زار بغداد
    والبصرة وأربيل، والتقى قادة"): a list puts its commas before its last و, so that one opens the next clause."""
    ordered = sorted(items)
    last = ordered[-1]
    run = ordered[:-1]
    if (
        len(run) >= 2
        and comma_before[last]
        and conjoined(tokens[last])
        and last not in groups
        and all(conjoined(tokens[i]) and not comma_before[i] for i in run[1:])
    ):
        return run
    return ordered


def _examples(tokens: Sequence[str], comma_before: Sequence[bool], span: tuple[int, int], lo: int, hi: int) -> bool:
    """The mention is one of two or more examples of a region or a group ("والعلاقات مع الشرق الأوسط ومنها
    العراق ولبنان", "دول مثل العراق والأردن"): a place in a list, not a party."""
    items = _list_items(tokens, comma_before, span, lo, hi)
    opening = min(items) - 1
    # Another example joined by و ("العراق ولبنان"), not a comma that closes an aside ("، ومنها العراق، دعم").
    joined = span[1] + 1 <= hi and conjoined(tokens[span[1] + 1]) and not comma_before[span[1] + 1]
    return joined and opening >= lo and tokens[opening] in _EXAMPLE_WORDS


_EXAMPLE_WORDS = _words("منها", "ومنها", "بينها", "مثل", "خاصه", "وخاصه", "لاسيما", "سيما")


def _verb_subject(tokens: Sequence[str], lo: int, first: int) -> bool:
    """A list at `first` is the subject of the sentence's verb: right after it, or after a noun of people and
    عن/من ("ناقش ممثلون عن العراق والناتو والاتحاد الأوروبي …": the parties' representatives act together)."""
    return first == lo + 1 or (first == lo + 3 and tokens[first - 1] in _OF_PARTIES)


_OF_PARTIES = _words("عن", "من")


def _places_list(tokens: Sequence[str], first: int, lo: int) -> bool:
    """The list follows a plural noun of places ("قواعد بلد والكوت والإمام علي", "في محافظات نينوى …"): its
    items are places of one side, whichever of them the terms hold."""
    return tokens[first] in _PLACE_PLURALS or (first > lo and tokens[first - 1] in _PLACE_PLURALS)


_PLACE_PLURALS = _words(
    "قواعد", "القواعد", "مدن", "المدن", "محافظات", "المحافظات", "مناطق", "المناطق", "معسكرات", "المعسكرات",
    "اقضيه", "الاقضيه", "مواقع", "المواقع",
)  # fmt: skip


def _ends_in_a_name(tokens: Sequence[str], items: Sequence[int], hi: int, groups: Mapping[int, str]) -> int | None:
    """The last item when it is a two-word name no term holds and nothing follows it in the sentence
    ("نينوى والأنبار وصلاح الدين"): a list of one side's places may end in one the terms do not list."""
    last = max(items)
    name = last + 1
    if name <= hi and tokens[name].startswith("ال") and last not in groups and name not in groups:
        return last
    return None


def _item_start(tokens: Sequence[str], comma_before: Sequence[bool], i: int, lo: int) -> bool:
    """Token i opens a list item: after a comma, with و, or after ثم ("… ومقر الناتو ثم العراق")."""
    if tokens[i] in _RELATIVE or tokens[i] in _THEN:
        return False
    return comma_before[i] or conjoined(tokens[i]) or (i - 1 >= lo and tokens[i - 1] in _THEN)


def _phrase_items(
    tokens: Sequence[str], comma_before: Sequence[bool], span: tuple[int, int], lo: int, hi: int
) -> list[tuple[int, int]]:
    """The items of up to three words of the list the mention at `span` is in, as (first, last) token
    spans: "في الناتو والأمم المتحدة والحكومة العراقية", "ومقر الناتو ثم العراق" (the mention may be the
    complement of the item's noun), "والاتحاد الأفريقي وجامعات في العراق"."""
    first, last = span
    start = first - 1 if first - 1 >= lo and _item_start(tokens, comma_before, first - 1, lo) else first
    items: list[tuple[int, int]] = []
    # Backwards: each item ends just before the next one's start (and its ثم).
    opening = start
    while opening > lo and _item_start(tokens, comma_before, opening, lo):
        end = opening - 1 - (tokens[opening - 1] in _THEN)
        if end < lo:
            break
        back = range(end, max(lo, end - _PHRASE_WORDS + 1) - 1, -1)
        # The list's first item is not opened by a joiner: its last word.
        opening = next((k for k in back if _item_start(tokens, comma_before, k, lo)), end)
        items.append((opening, end))
    # Forwards: the next item opens within three words of this one's start (two after the mention).
    current = start
    while True:
        reach = last + _PHRASE_WORDS - 1 if current == start else current + _PHRASE_WORDS
        following = next(
            (k for k in range(max(current, last) + 1, min(hi, reach) + 1) if _item_start(tokens, comma_before, k, lo)),
            None,
        )
        if following is None and current != start:
            following = _closing_item(tokens, comma_before, current, reach + 1, hi)
        if following is None:
            items.append((current, min(hi, max(current + _PHRASE_WORDS - 1, last))))
            break
        items.append((current, following - 1 - (tokens[following - 1] in _THEN)))
        current = following
    return sorted(items)


def _closing_item(tokens: Sequence[str], comma_before: Sequence[bool], current: int, k: int, hi: int) -> int | None:
    """An item opened by a comma and و may run a word longer when the next one opens the same way right
    after it ("، والسياسة النفطية في العراق، والاقتصاد الصيني"): k, the next item's start, or None. A
    comma alone opens an aside as well ("، التحالف الحاكم في العراق، حول")."""
    def joined(i: int) -> bool:
        return comma_before[i] and conjoined(tokens[i])

    return k if k <= hi and joined(current) and joined(k) else None


def _parties(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    pair: Sequence[tuple[int, int]],
    lo: int,
    hi: int,
    groups: Mapping[int, str],
) -> bool:
    """Both sides are items of one list of three or more parties with a third party among them, and no
    item is a bonus word (Iraq's ministry or forces named as a party are the mission's counterpart)."""
    sides = {groups.get(a) for a, _ in pair}
    for span in pair:
        items = _phrase_items(tokens, comma_before, span, lo, hi)
        if len(items) < _LIST_ITEMS:
            continue
        holding = [next((i for i, (a, b) in enumerate(items) if a <= f <= b), None) for f, _ in pair]
        if None in holding or len(set(holding)) < len(pair):
            continue  # a side outside the list, or both in one item
        kinds = [{groups[k] for k in range(a, b + 1) if k in groups} for a, b in items]
        if any(kind - sides for kind in kinds) or all(kinds):
            continue
        if _verb_subject(tokens, lo, items[0][0]):
            continue  # the subject after the sentence's verb: the parties act together
        return True
    return False


def _addresses(tokens: Sequence[str], lo: int, other: tuple[int, int], items: Sequence[int]) -> bool:
    """The other side is the subject of a verb of calling on or accusing, and the list is whom it
    addresses ("دعا نواب عراقيون الناتو وواشنطن ولندن إلى …")."""
    first, last = other
    return lo <= first and last < min(items) and any(tokens[k] in _ADDRESS for k in range(lo, first))


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


def _past_deed(tokens: Sequence[str], lo: int, start: int) -> bool:
    """A relative pronoun before the pair opens with a verb of a professional's past deed ("الممرضة، التي
    عالجت جنودا في عيادة للناتو في بغداد", "المهندس الذي صمم مبنى مقر بعثة الناتو"): the clause tells
    what its antecedent once did, as a career verb does."""
    return any(tokens[i] in _RELATIVE and tokens[i + 1] in _PAST_DEEDS for i in range(lo, start - 1))


# Treated, designed, built, wrote, photographed, painted: deeds that make a person's record (not درس, which
# reads studied as well as taught).
_PAST_DEEDS = _words(
    "عالج", "عالجت", "عالجوا", "داوى", "داوت", "اسعف", "اسعفت", "صمم", "صممت", "صمموا", "بنى", "شيد", "شيدت",
    "رمم", "رممت", "الف", "الفت", "كتب", "كتبت", "صور", "صورت", "رسم", "رسمت",
)  # fmt: skip


def _former_aside(
    tokens: Sequence[str], comma_before: Sequence[bool], lo: int, hi: int, start: int, end: int
) -> bool:
    """Both sides in an aside between commas that ends on a former post ("مارك ديبون، مستشار البعثة الأطلسية
    في العراق سابقا، كتابا"): the person's past, told about them."""
    opening = next((i for i in range(start, lo, -1) if comma_before[i]), None)
    if opening is None or any(comma_before[opening + 1 : end + 1]):
        return False
    close = next((k for k in range(end + 1, hi + 1) if comma_before[k]), None)
    return close is not None and tokens[close - 1] in _FORMER


def _surname(tokens: Sequence[str], first: int, lo: int) -> bool:
    """العراقي at `first` is a person's surname: after a given name ("عبد اللطيف العراقي"), after a title
    or another country's adjective and a name ("العداء المغربي حمزة العراقي"), or a family."""
    prev = tokens[first - 1] if first > lo else ""
    before = tokens[first - 2] if first - 1 > lo else ""
    if prev in _GIVEN_NAMES or prev in _FAMILY or before in ("عبد", "ابو"):
        return True
    if (prev == "الدين" and before in _DIN_NAMES) or (
        prev in _EPITHETS and before in _GIVEN_NAMES and before not in _NOT_A_NAME
    ):
        return True  # "نور الدين العراقي", "محمد الأمين العراقي"
    named = prev not in _TITLES and not prev.isdigit() and not prev.startswith("ال")
    foreign = before.startswith("ال") and before.endswith("ي") and before != "العراقي" and len(before) > 4
    # "الأكاديمي التونسي الهادي العراقي": a given name with the article (an epithet) after a nationality.
    return (before in _TITLES and prev not in _TITLES and not prev.isdigit()) or (
        foreign and (named or prev in _EPITHETS)
    )


def _born_in(tokens: Sequence[str], first: int, lo: int) -> bool:
    """The mention is where someone was born ("جندي أمريكي ولد في بغداد"): a person's origin, as أصل عراقي."""
    return first - 2 >= lo and tokens[first - 1] in _AT and tokens[first - 2] in _BORN


_BORN = _words("ولد", "ولدت", "ولدوا", "المولود", "المولوده", "مولود", "مولوده", "مواليد")


def _casualty_in_iraq(tokens: Sequence[str], lo: int, hi: int, pair: Sequence[tuple[int, int]]) -> bool:
    """A verb or noun of being killed or wounded, with the Iraq side's place a few words after it ("قتل في
    بغداد", "لقي حتفه في حادث سير قرب مطار بغداد")."""
    places = [first for first, last in pair[1:] if first == last and strip_clitics(tokens[first]) in _IRAQ_PLACES_BARE]
    return any(_CASUALTY.intersection(tokens[max(lo, k - _CASUALTY_REACH) : k]) for k in places)


_CASUALTY = _words(
    "قتل", "قتلت", "قتلوا", "لقي", "لقيت", "لقوا", "مقتل", "مصرع", "اصيب", "اصيبت", "اصيبوا", "اصابه", "استشهد",
)  # fmt: skip
_CASUALTY_REACH = 7  # "لقي حتفه في حادث سير قرب مطار بغداد": the death's own words and the place's nouns


def _speaker(tokens: Sequence[str], first: int, lo: int) -> bool:
    """العراقي alone between a verb of saying and إن ("قال العراقي إن الحلف …") is a person named again by
    the surname: the country's adjective qualifies a noun ("قال الوزير العراقي إن")."""
    following = tokens[first + 1] if first + 1 < len(tokens) else ""
    return first > lo and tokens[first - 1] in _SAYING and following in _THAT


_SAYING = _words(
    "قال", "وقال", "يقول", "ويقول", "اضاف", "واضاف", "اكد", "واكد", "اوضح", "واوضح", "يرى", "ويرى", "راى",
    "اعتبر", "واعتبر", "يعتقد", "ويعتقد", "توقع", "وتوقع", "شدد", "وشدد",
)  # fmt: skip


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


def _career_verb(tokens: Sequence[str], i: int, word: str | None = None) -> bool:
    """عمل at i is the verb "worked", not the noun "work" ("تمديد عمل مستشاري الناتو"): a verb is followed by
    a preposition or a post in the accusative ("عمل في", "عمل مستشارا")."""
    if (word or tokens[i]) not in _WORK:
        return True
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    if following in _DURATION:  # "عمل سنوات محللا": how long, then the post
        following = tokens[i + 2] if i + 2 < len(tokens) else ""
    elif following.startswith("ال") and i + 2 < len(tokens):  # "عمل الخبير مستشارا": the subject, then the post
        after = tokens[i + 2]
        return after in _CAREER_FOLLOW or (after.endswith("ا") and not after.startswith("ال"))
    return following in _CAREER_FOLLOW or following.endswith("ا")


def _career_clause(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    lo: int,
    first: int,
    pair_start: int,
    groups: Mapping[int, str],
    sides: frozenset[str] = frozenset(),
) -> bool:
    """A past career verb in the words just before the mention, with something between them: someone
    "served in" / "worked as an adviser to" NATO's mission ("خدم في مهمة الناتو", "عمل مستشارا لبعثة
    الناتو"), not NATO acting ("عمل الناتو على …", where the mention follows the verb). A comma between the
    verb and the mention closes the verb's clause ("دبلوماسي، عمل سابقا في بغداد، إن الناتو …")."""
    window = range(max(lo, first - _CAREER_WINDOW), first - 1)

    def governs(i: int, mention: int) -> bool:
        if tokens[i] not in _CAREER or not _career_verb(tokens, i) or any(comma_before[i + 1 : mention + 1]):
            return False
        # "برنامج أشرف عليه مدربون من بعثة الناتو": a resumptive pronoun after the verb makes what follows its
        # subject, the clause one about a thing the side did; "الصحفي العراقي الذي رافق مدربي الناتو": a
        # clause about the other side itself is the link.
        return tokens[i + 1] not in _RESUMPTIVE and not _about_a_side(tokens, i, lo, groups)

    # The sentence's own first verb with either side as its subject ("رافق الصحفي العراقي مدربي الناتو",
    # "رافق مستشارون من بعثة الناتو عناصر الشرطة العراقية") is what the sentence reports, not a clause about
    # someone's past.
    # The anchor's people as that subject stand in the nominative straight after the verb (not a preposition
    # or a post in the accusative: "عمل مستشارا لبعثة الناتو", "خدم في بعثة الناتو" are careers).
    subject = tokens[lo + 1] if lo + 1 < first else ""
    anchor_subject = subject and subject not in _CAREER_FOLLOW and subject not in _PARTICLES and subject[-1] != "ا"
    other_first = lo < pair_start < first
    own_verb = (
        lo if (other_first or (pair_start == first and anchor_subject)) and pair_start - lo <= _SUBJECT_REACH else None
    )
    if any(governs(i, first) for i in window if i != own_verb):
        return True
    # The same before the other side when it comes first ("أشرف قبل سنوات على تدريب بحارة عراقيين لصالح
    # الناتو"): the career verb governs both.
    # (Not the sentence's own first verb: "ترأس وزير الداخلية العراقي اجتماعا مع مسؤولين من الحلف".)
    start = min(first, pair_start)
    if start < first and any(governs(i, start) for i in range(max(lo + 1, start - _CAREER_WINDOW), start - 1)):
        return True
    # "جنرالا كان قد درّب قوات عراقية ضمن مهمة الناتو": a pluperfect clause after a noun that is not a mention.
    done = range(max(lo + 1, start - _CAREER_WINDOW), start)
    # "طبيب سبق أن عالج جرحى الناتو في العراق": سبق أن + any past verb after a noun is a past clause too.
    if any(_past_clause(tokens, i) and _antecedent(tokens, i, lo, groups, sides) for i in done):
        return True
    # "كان ضابطا في بعثة الناتو": was + a post (accusative) before the mission.
    if any(tokens[i] in _BEFORE_CAREER and _post(tokens, i + 1) for i in window):
        return True
    # "وهو ضابط شرطة سابق، من مسؤولي الناتو": a comma after the former post closes the aside. The post may
    # name the body before the side it belongs to ("موظف سابق في كلية الدفاع التابعة للناتو").
    if any(
        tokens[i] in _FORMER and not _THAT & set(tokens[i + 1 : first]) and not any(comma_before[i + 1 : first + 1])
        for i in range(max(lo, first - _FORMER_REACH), first)
    ):
        return True
    if any(tokens[i] in _CAREER_NOUNS and _ALREADY & set(tokens[max(lo, i - 2) : i]) for i in window):
        return True
    # "لمؤلف شارك في تدريب الجيش العراقي مع الناتو": took part, in a clause about someone (the sentence's
    # own first verb, "شارك وزير الدفاع العراقي في اجتماع للناتو", is the story).
    start = min(first, pair_start)
    if any(tokens[i] in _TOOK_PART for i in range(max(lo + 1, start - _CAREER_WINDOW), start - 1)):
        return True
    # "كان يعمل مستشارا قانونيا لدى الناتو": كان before a present career verb is a past habit.
    # "كانت شركته تزود قواعد الناتو": the subject may stand between.
    habit = range(max(lo, first - _CAREER_WINDOW - 2), first - 1)
    if any(tokens[i] in _BEFORE_CAREER and _CAREER_PRESENT & set(tokens[i + 1 : min(first, i + 3)]) for i in habit):
        return True
    # "طاهية كانت تعد الطعام لضباط الناتو": كان + any imperfect verb after a noun is that noun's past habit.
    return any(
        tokens[i] in _BEFORE_CAREER
        and _imperfect(tokens[i + 1])
        and (i + 1) not in groups
        and _antecedent(tokens, i, lo, groups, sides)
        for i in range(max(lo + 1, start - _CAREER_WINDOW), start - 1)
    )


def _met_abroad(tokens: Sequence[str], lo: int, hi: int, first: int, groups: Mapping[int, str]) -> bool:
    """An Iraqi person (a doctor, a student, a child, a smuggler, a team) or an Iraqi airline's plane in a
    sentence set on the alliance's own ground (بليتوانيا, في بروكسل, المقيم في بوخارست, الحدود المجرية) and
    naming no place of Iraq: an Iraqi met there, whatever training or mission word is about, not Iraq. So is
    a former soldier ("عسكري عراقي سابق"): no longer one of Iraq's forces."""
    noun = tokens[first - 1] if first > lo else ""
    bare = strip_clitics(noun)
    person = noun.startswith(_PEOPLE_ABROAD) or bare.startswith(_PEOPLE_ABROAD)
    airline = first - 2 >= lo and noun == "الجويه" and strip_clitics(tokens[first - 2]) == "خطوط"
    former = first < hi and tokens[first + 1] in _FORMER and noun not in _OFFICIALS
    if not (person or airline or former):
        return False
    return _abroad_only(tokens, lo, hi, groups)


def _placed_abroad(tokens: Sequence[str], lo: int, hi: int, first: int, groups: Mapping[int, str]) -> bool:
    """Iraqis as people, placed on the alliance's own ground right after the word ("عراقيون في ألمانيا
    يتظاهرون", "محاكمة عراقيين في هولندا", "عراقيون مقيمون في برلين"), not Iraq's forces or officials
    ("ضباط عراقيون في ألمانيا"): nationals living or met there."""
    prev = tokens[first - 1] if first > lo else ""
    if prev in _FORCES or prev in _OFFICIALS:
        return False
    k = first + 1
    if k <= hi and tokens[k] in _RESIDING:
        k += 1
    if k + 1 > hi or tokens[k] not in _AT:
        return False
    return bool(_ABROAD & set(clitic_readings(tokens[k + 1]))) and _abroad_only(tokens, lo, hi, groups)


_RESIDING = _words("مقيمون", "مقيمين", "المقيمون", "المقيمين", "يقيمون", "يعيشون", "مغتربون", "مغتربين")
# Iraqis named by their office: a delegation, officials, experts, deputies are the country's.
_OFFICIALS = _words(
    "وفد", "مسؤولون", "مسؤولين", "مسوولون", "مسوولين", "خبراء", "نواب", "وزراء", "دبلوماسيون", "دبلوماسيين",
    "قاده", "مستشارون", "مستشارين", "وزير", "رئيس", "سفير", "ضابط", "قائد",
)  # fmt: skip


def _abroad_only(tokens: Sequence[str], lo: int, hi: int, groups: Mapping[int, str]) -> bool:
    """The sentence is set on the alliance's own ground and names no place of Iraq."""
    words = range(lo, hi + 1)
    iraq_place = any(strip_clitics(tokens[k]) in _IRAQ_PLACES_BARE for k in words if k in groups)
    # "تحصل على الجنسية الإستونية": a nationality acquired places the person on the alliance's ground too.
    naturalised = any(
        tokens[k] in _NATIONALITY and tokens[k + 1] not in _ABROAD_DEMONYMS and _nisba(tokens[k + 1])
        for k in range(lo, hi)
    )
    return not iraq_place and (naturalised or any(_ABROAD & set(clitic_readings(tokens[k])) for k in words))


_NATIONALITY = _words("الجنسيه", "جنسيه", "بالجنسيه")


def _nisba(word: str) -> bool:
    """A definite nisba adjective ("الإستونية", "الكندي")."""
    return word.startswith("ال") and len(word) > 5 and word.endswith(("ي", "يه"))


_ABROAD_DEMONYMS = _DEMONYMS | _words("العراقي", "العراقيه")
# …and a researcher, an academic or an employee working there ("باحث عراقي في مركز للناتو بتالين").
_PEOPLE_ABROAD = _CIVILIANS + tuple(
    normalize(w) for w in ("مصور", "مترجم", "منتخب", "طالبه", "طاه", "لاعب", "باحث", "اكاديمي", "محاضر", "موظف", "فنان")
) + tuple(
    # …and people on their own account met by a hospital, a border guard or a court there.
    normalize(w) for w in ("طفل", "اطفال", "مهرب", "مريض", "جريح", "مصاب", "متهم", "مغترب", "ناشط", "معارض")
)
# The alliance's own ground: its members' countries and the cities where its bases, offices and exercises are.
_ABROAD = _words(
    "بروكسل", "بلجيكا", "النرويج", "اوسلو", "المانيا", "الالمانيه", "برلين", "رامشتاين", "فرنسا", "باريس",
    "بريطانيا", "لندن", "ايطاليا", "روما", "نابولي", "اسبانيا", "مدريد", "هولندا", "لاهاي", "امستردام",
    "الدنمارك", "السويد", "فنلندا", "بولندا", "وارسو", "ليتوانيا", "فيلنيوس", "لاتفيا", "ريغا", "استونيا",
    "تالين", "رومانيا", "بوخارست", "بلغاريا", "اليونان", "اثينا", "البرتغال", "لشبونه", "كندا", "اوتاوا",
    "انقره", "اسطنبول", "مونس", "شتوتغارت", "تركيا", "انجرليك", "لاندشتول", "المجر", "هنغاريا", "النمسا",
    # …and their adjectives ("في تابا الإستونية", "مطار كونستانتسا الروماني", "الحدود المجرية").
    "الاستوني", "الاستونيه", "الروماني", "الرومانيه", "المجري", "المجريه", "الهولندي", "الهولنديه",
    "البلجيكي", "البلجيكيه", "النرويجي", "النرويجيه", "البولندي", "البولنديه", "الليتواني", "الليتوانيه",
    "اللاتفي", "اللاتفيه", "البلغاري", "البلغاريه", "الدنماركي", "الدنماركيه", "النمساوي", "النمساويه",
)  # fmt: skip


def _joint_object(
    tokens: Sequence[str], comma_before: Sequence[bool], lo: int, pair: Sequence[tuple[int, int]]
) -> bool:
    """The sides side by side, joined by و, after a word that opens no list item: the one subject or object of
    a verb ("الاتفاقية التي وقعها العراق والناتو"), not two items among others."""
    spans = sorted(pair)
    if len(spans) != 2 or spans[1][0] != spans[0][1] + 1 or not conjoined(tokens[spans[1][0]]):
        return False
    first = spans[0][0]
    if first <= lo or comma_before[first] or conjoined(tokens[first]):
        return False
    return tokens[first - 1] not in _BEFORE_ITEMS and not comma_before[first - 1]


# What opens items of a list rather than a verb's one subject or object: a particle, بين, و, أو.
_BEFORE_ITEMS = _PARTICLES | _words("بين", "و", "او")


def _kin_job(tokens: Sequence[str], lo: int, start: int, end: int) -> bool:
    """A relative's job between or before the sides ("ويعمل زوجها في الناتو", "عمل والده مع بعثة الناتو"): a job
    of someone's family, told about that someone."""
    for k in range(max(lo + 1, start - _CAREER_WINDOW), end + 1):
        verb = tokens[k - 1][1:] if conjoined(tokens[k - 1]) else tokens[k - 1]
        if tokens[k].startswith(_KIN) and (verb in _OWN_JOB or verb in _CAREER or verb in _CAREER_PRESENT):
            return True
    return False


_KIN = tuple(normalize(w) for w in ("زوج", "والد", "ابن", "ابنت", "شقيق", "اخوه", "اخته", "عم", "خال"))


def _about_a_side(tokens: Sequence[str], i: int, lo: int, groups: Mapping[int, str]) -> bool:
    """The verb at i opens a relative clause whose antecedent is a topic mention ("الصحفي العراقي الذي رافق"),
    or a person the mention names by a name of a few words ("المترجم العراقي حيدر الساعدي، الذي عمل")."""
    if i - 2 < lo or tokens[i - 1] not in _RELATIVE:
        return False
    if (i - 2) in groups:
        return True
    side = next((k for k in range(i - 3, max(lo, i - 2 - _NAME_WORDS) - 1, -1) if k in groups), None)
    if side is None:
        return False
    name = tokens[side + 1 : i - 1]
    # A given name opens it (indefinite, not a particle); no other mention, particle or number inside.
    return not name[0].startswith("ال") and not any(w in _PARTICLES or w in _AT or w.isdigit() for w in name)


_NAME_WORDS = 3


def _story_after_clause(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    lo: int,
    hi: int,
    pair: Sequence[tuple[int, int]],
    groups: Mapping[int, str],
) -> bool:
    """Both sides sit in a relative clause between commas and the sentence goes on to a bonus word ("النائب،
    الذي قاد حملة ضد وجود قوات الناتو في العراق، مشروع قرار لإنهاء البعثة") or to one of the sides again
    ("الجنرال، الذي قاد بعثة الناتو في العراق، إلى بغداد مبعوثا"): the clause is the story's."""
    start = min(first for first, _ in pair)
    end = max(last for _, last in pair)
    relative = next((i for i in range(start - 1, lo - 1, -1) if tokens[i] in _RELATIVE), None)
    if relative is None:
        return False
    if not comma_before[relative]:
        return _verb_goes_on(tokens, lo, hi, relative, end, groups)
    close = next((k for k in range(end + 1, hi + 1) if comma_before[k]), None)
    if close is None:
        return False
    # A bonus word named as former ("في منزل مدربه السابق") is the antecedent's past, not the story.
    if any(k in groups and not (k + 1 <= hi and tokens[k + 1] in _FORMER) for k in range(close, hi + 1)):
        return True
    # The sentence goes on about what the clause made ("التي صممت لبعثة الناتو منهج القيادة …، أن المنهج
    # يركز"): the clause's object is the story's subject.
    made = {strip_clitics(tokens[k]) for k in range(relative + 2, close) if k not in groups}
    return any(strip_clitics(tokens[k]) in made and len(tokens[k]) > _SHORT_WORD for k in range(close, hi + 1))


def _verb_goes_on(
    tokens: Sequence[str], lo: int, hi: int, relative: int, end: int, groups: Mapping[int, str]
) -> bool:
    """A sentence that opens with its verb, whose subject the relative clause describes ("عاد الجنرال الدنماركي
    الذي قاد بعثة الناتو في العراق قبل عامين إلى بغداد، هذه المرة مستشارا", "وصلت الخبيرة التي صممت برنامج
    النزاهة في الناتو إلى بغداد لتطبيقه في وزارة الدفاع"): a mission word after the pair is the verb's, so
    the clause's past is the story's background."""
    noun = tokens[lo].startswith("ال") and tokens[lo] not in _AL_VERBS
    if relative - lo > _SUBJECT_REACH or lo in groups or tokens[lo] in _RELATIVE or noun:
        return False
    sides = {groups.get(k) for k in range(relative, end + 1) if k in groups}
    after = {groups[k] for k in range(end + 1, hi + 1) if k in groups}
    # …or the verb's object names both sides again ("التقى النائب الذي قاد حملة لإخراج بعثة الناتو من العراق
    # قائد البعثة في بغداد"): the clause's pairing is the background of the verb's own.
    return bool(after - sides) or (len(sides) > 1 and sides <= after)


# Verbs whose stem opens with ال, not the article ("التقى النائب …").
_AL_VERBS = _words("التقى", "التقت", "التقوا", "التحق", "التحقت", "التزم", "التزمت", "التمس", "التمست")
_SHORT_WORD = 3  # particles and pronouns (في, على, ان) repeat without naming a thing


_RESUMPTIVE = _words("عليه", "عليها", "عليهم", "به", "بها", "فيه", "فيها", "له", "لها", "معه", "معها")
_BACK_POINTERS = _RESUMPTIVE | _words("خلاله", "خلالها", "خلالهما")


def _past_clause(tokens: Sequence[str], i: int) -> bool:
    """Token i opens a pluperfect ("كان قد") or an "already" clause ("سبق أن")."""
    pluperfect = tokens[i] in _BEFORE_CAREER and tokens[i + 1] in _ALREADY_DONE
    return pluperfect or (tokens[i] in _ALREADY and tokens[i + 1] in _THAT)


def _imperfect(word: str) -> bool:
    """A present-tense verb form: ي/ت + a stem of at least two letters."""
    return len(word) >= 3 and word[0] in "يت"


def _antecedent(
    tokens: Sequence[str], i: int, lo: int, groups: Mapping[int, str], sides: frozenset[str] = frozenset()
) -> bool:
    """The word before token i is an indefinite noun the clause at i describes: Arabic joins a clause to an
    indefinite noun without a relative pronoun ("طبيب سبق أن عالج", "طاهية كانت تعد"), while after a
    definite one ("أن القوات كانت تتلقى تدريب الناتو") the clause is the sentence's own. Not a mention
    (whose own past is the story), not a complementiser or a particle ("أنه سبق أن", "وقد كان")."""
    # A bonus word is no side ("مدربا كان قد عمل": a coach, not the mission's trainer).
    side = (i - 1) in groups and (not sides or groups[i - 1] in sides)
    if i <= lo or side or tokens[i - 1] in _CLAUSE_OPENERS:
        return False
    return not tokens[i - 1].startswith(_DEFINITE)


_DEFINITE = ("ال", "وال", "فال", "بال", "لل", "ولل")


_CAREER_WINDOW = 6
_FORMER_REACH = 5  # "موظف سابق في كلية الدفاع التابعة للناتو": the former word, a body, then the side
_CLAUSE_OPENERS = _words("ان", "انه", "انها", "انهم", "قد", "وقد", "كما", "لقد", "حيث", "اذ", "الذي", "التي", "الذين")
_SUBJECT_REACH = 3


def _post(tokens: Sequence[str], i: int) -> bool:
    """After كان: a post in the accusative ("ضابطا"), a feminine post and its complement ("متحدثة باسم"),
    or a place in a team ("ضمن فريق"); not a definite subject ("كانت بعثة الناتو")."""
    word = tokens[i] if i < len(tokens) else ""
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    if word.endswith("ا") or word in _WITHIN:
        return True
    return word.endswith("ه") and not word.startswith("ال") and following in _POST_FOLLOW


def _dated_by_meeting(tokens: Sequence[str], lo: int, first: int) -> bool:
    """The alliance is named only to date the event: after or before its meeting or summit ("بعد أسبوع من
    اجتماعات الناتو في بروكسل", "عقب قمة الحلف"). A dinner or a show in Baghdad is then only held there."""
    if first - 1 < lo or tokens[first - 1] not in _MEETINGS:
        return False
    return any(tokens[k] in _TIME_RELATIONS for k in range(max(lo, first - 1 - _DATED_REACH), first - 1))


_MEETINGS = _words("اجتماعات", "اجتماع", "قمه", "اجتماعي", "مؤتمر", "مناورات", "قمم")
_TIME_RELATIONS = _words("بعد", "قبل", "عقب", "اثر", "خلال", "غداه", "عشيه")
_DATED_REACH = 3  # "بعد أسبوع من اجتماعات": a span of time may stand between


def _style_of(tokens: Sequence[str], first: int, last: int, lo: int) -> bool:
    """The Iraq side is the adjective of a cuisine, an art or a fashion ("دورة للطبخ العراقي", "الموسيقى
    العراقية"): a style, not the country, whatever course or mission word is near."""
    if first != last or first - 1 < lo or tokens[first] not in _IRAQI_ADJECTIVES:
        return False
    prev = tokens[first - 1]
    readings = {prev, prev[1:] if prev[:1] in _VENUE_CLITICS else prev, "ال" + prev[2:] if prev[:2] == "لل" else prev}
    return bool(readings & _STYLES)  # "للطبخ العراقي": ل + الطبخ


_IRAQI_ADJECTIVES = _words("العراقي", "العراقيه")
_STYLES = _words(
    "الطبخ", "طبخ", "المطبخ", "مطبخ", "الموسيقى", "الموسيقي", "المقام", "الشعر", "الفن", "التراث", "الفلكلور",
    "الازياء", "الخط", "المسرح", "الغناء", "الرقص", "الاطباق", "الخبز", "الشاي", "الحلويات", "الطعام",
)  # fmt: skip


def _venue_words(words: Sequence[str]) -> bool:
    """A sport or culture word, not in its other sense ("لاعب أساسي", "فاز بدعم")."""
    for i, word in enumerate(words):
        if word not in _VENUE and not (word[:1] in _VENUE_CLITICS and word[1:] in _VENUE):
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
    between = _between(tokens, lo, pair)
    for span in pair:
        items = _list_items(tokens, comma_before, span, lo, hi)
        own = groups.get(span[0])
        if len(items) < _LIST_ITEMS:
            continue
        if _places_list(tokens, min(items), lo):
            continue
        name = _ends_in_a_name(tokens, items, hi, groups)
        if own and all(groups.get(i) == own for i in _own_run(tokens, comma_before, items, groups) if i != name):
            continue
        # Both sides in the list that follows the sentence's verb are its subject, acting together
        # ("بحث الناتو والعراق والأمم المتحدة …"), not items of a list about something else.
        if _verb_subject(tokens, lo, min(items)) and all(any(a <= i <= b for i in items) for a, b in pair):
            continue
        if any(_addresses(tokens, lo, other, items) for other in pair if other != span):
            continue
        if between:
            continue
        return "enumeration"
    if any(_examples(tokens, comma_before, span, lo, hi) for span in pair):
        return "enumeration"
    joint_object = _joint_object(tokens, comma_before, lo, pair)
    if not between and not joint_object and _parties(tokens, comma_before, pair, lo, hi, groups):
        return "enumeration"
    if _another_or_ranked(tokens, pair, hi) or _sequence(tokens, comma_before, lo, hi, pair):
        return "enumeration"
    if _separate_partners(tokens, comma_before, lo, pair):
        return "enumeration"
    if _ordinal_parts(tokens, comma_before, pair, hi):
        return "two stories"
    if _figure_items(tokens, comma_before, lo, pair):
        return "enumeration"
    if _moves_on(tokens, lo, pair):
        return "two stories"
    # A roster beside a mission word may be a meeting's participants ("بين المشاركين وزير الدفاع العراقي،
    # وقائد بعثة الناتو، و…"): only a plain roster is a list.
    if not substantive and _roster(tokens, comma_before, lo, hi, pair):
        return "enumeration"
    if _career_then(tokens, lo, pair):
        return "past role"
    if _two_stories(tokens, comma_before, lo, hi, pair, groups):
        return "two stories"
    if _span_or_comparison(tokens, lo, hi, pair) or _trains_another(tokens, lo, hi, pair, groups):
        return "elsewhere"
    if not substantive and _compared_events(tokens, pair):
        return "elsewhere"
    if not substantive and _market_story(tokens, pair, words):
        return "market"

    # The two sides joined as one subject or object ("الناتو والحكومة العراقية افتتحا …") act together.
    spans = sorted(pair)
    joint = len(spans) == 2 and 0 < spans[1][0] - spans[0][1] <= 2 and conjoined(tokens[spans[0][1] + 1])
    substantive = substantive or joint

    before = set(tokens[lo:start])
    # A member of the alliance's team killed or wounded in Iraq is news of the mission there, whatever
    # clause names his post ("العسكري الكندي الذي قتل في بغداد كان ضمن بعثة الناتو").
    casualty = _casualty_in_iraq(tokens, lo, hi, pair)
    if (
        not casualty
        and before & _RELATIVE
        and (before & _PAST_ROLE or _past_deed(tokens, lo, start))
        and not _closed_relative(tokens, comma_before, lo, start)
        and not _closed_by_verb(tokens, comma_before, lo, start)
        and not _story_after_clause(tokens, comma_before, lo, hi, pair, groups)
    ):
        return "past role"
    if (
        not casualty
        and _aside_about_someone(tokens, comma_before, lo, hi, pair, groups)
        and not _story_after_clause(tokens, comma_before, lo, hi, pair, groups)
    ):
        return "past role"
    if _apposition(tokens, comma_before, lo, start, end) or _kin_job(tokens, lo, start, end):
        return "past role"
    if _former_aside(tokens, comma_before, lo, hi, start, end):
        return "past role"
    # "تخرج في/من الجامعة" is a biography; "مدرسة للناتو تخرج ضباطا عراقيين" is the mission graduating them.
    graduated = any(w == "تخرج" and nxt in ("في", "من") for w, nxt in pairwise(words))
    if (not substantive and (set(words) & _BIOGRAPHY or graduated)) or _obituary(words):
        return "past role"

    if place_kind := _place_clause(tokens, comma_before, lo, hi, pair, groups):
        return place_kind
    # "منتخب العراق يتدرب": a team's practice and its coach are sport, not the mission.
    sport = substantive and _team_practice(words, lo, pair, groups)
    plain = (
        not substantive
        or sport
        or _seat(tokens, comma_before, lo, pair)
        or _own_work_only(tokens, lo, hi, pair, groups)
    )
    where = (
        not _in_iraq(tokens, pair[1:], lo)
        or _held_elsewhere(tokens, lo, pair, groups)
        or _dated_by_meeting(tokens, lo, pair[0][0])
        or _former_place(tokens, hi, lo, pair)
        or _work_about(tokens, lo, pair)
    )
    if plain and where and _venue_words(words):
        return "venue"
    if any(_style_of(tokens, first, last, lo) for first, last in pair[1:]):
        return "venue"
    if _national_office(tokens, lo, pair):
        return "past role"

    for first, last in pair:
        word = tokens[first]
        prev = tokens[first - 1] if first > lo else ""
        if word in _NATIONALS and (prev in _NATIONALS_NOUNS or prev in _NUMBER_WORDS or prev.isdigit()):
            return "nationals"
        # An Iraqi officer or official surnamed al-Iraqi, beside a mission word and no other theatre, is Iraq's.
        if word == "العراقي" and first == last and (_surname(tokens, first, lo) or _speaker(tokens, first, lo)):
            officer = substantive and _officer(tokens, first, lo) and not set(words) & _THEATRES
            if not officer:
                return "surname"
        if word in _LATIN_IRAQI and first == last and (prev in _LATIN_ARTICLES or prev in _LATIN_GIVEN_NAMES):
            return "surname"  # "El Iraqi", "Karim Iraqi"
        if _origin(tokens, first, lo) or _born_in(tokens, first, lo):
            return "nationals"
        if _emigrated_from(tokens, first, lo, pair, groups):
            return "nationals"
        people = tokens[max(lo, first - 4) : first - 1]
        if prev in _FROM and any(strip_clitics(w).startswith(_ORIGIN_PEOPLE) for w in people):
            return "nationals"  # migrants from Iraq met by an operation elsewhere
        if word in _DEMONYMS and first == last and prev not in _FORCES and set(words) & _THEATRES:
            return "elsewhere"
        civilian = prev.startswith(_CIVILIANS) or strip_clitics(prev).startswith(_CIVILIANS)  # "بحارا", not ب + حارا
        if word in _ABROAD_DEMONYMS and first == last and civilian and set(words) & _THEATRES:
            return "elsewhere"  # "المتطوع العراقي … كيف دخلت قوات الحلف سراييفو": one Iraqi's memory of a theatre
        if word in _DEMONYMS and first == last and civilian and (not substantive or _own_job(tokens, last, hi)):
            return "nationals"  # trained Iraqi engineers are the mission's trainees, not bystanders
        # "عراقي يعمل طاهيا في قاعدة للناتو بألمانيا": a single Iraqi opening the sentence is the person (not
        # "عراقيون يتدربون في ألمانيا", the forces a mission may train abroad).
        alone = first == lo and word in _ONE_IRAQI and _abroad_only(tokens, lo, hi, groups)
        person = _met_abroad(tokens, lo, hi, first, groups) or alone
        if word in _ABROAD_DEMONYMS and first == last and person:
            return "nationals"
        if word in _NATIONALS and first == last and _placed_abroad(tokens, lo, hi, first, groups):
            return "nationals"
        if word in _ONE_IRAQI and first == last and not substantive and _met_person(tokens, lo, first):
            return "nationals"
        following = tokens[last + 1] if last < hi else ""
        if word in _NATIONALS and (following in _NUMBER_WORDS or following.isdigit()):
            return "nationals"  # "عراقيين اثنين"
        if _named_status(word, following, prev, last + 1 in groups):
            return "named status"
    if _named_or_compared(tokens, pair[0][0], lo) or _given_name(tokens, pair, lo):
        return "named status"
    if _standard_only(tokens, lo, hi, pair, groups) or _compared_members(tokens, lo, hi, pair):
        return "named status"
    if any(_history_subject(tokens, first, lo) for first, _ in pair):
        return "work"
    if _status_of_another(tokens, pair):
        return "named status"
    if any(_denied_link(tokens, first, lo) for first, _ in pair):
        return "no link"
    if not substantive and _neither_nor(tokens, lo, pair):
        return "no link"
    if _measured_by(tokens, lo, hi, pair, groups):
        return "named status"
    sides = frozenset(groups[first] for first, _ in pair if first in groups)
    if (
        not casualty
        and _career_clause(tokens, comma_before, lo, pair[0][0], start, groups, sides)
        and not _story_after_clause(tokens, comma_before, lo, hi, pair, groups)
    ):
        return "past role"
    if (not substantive or sport) and _landmark(tokens, lo, pair):
        return "venue"
    return None


def _place_clause(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    lo: int,
    hi: int,
    pair: Sequence[tuple[int, int]],
    groups: Mapping[int, str],
) -> str | None:
    """The alliance is named only in a relative clause about a place, after the other side: what a hotel, a
    hall or a camp hosted or housed before ("في فندق الرشيد ببغداد، الذي استضاف قبل سنوات اجتماعات مع
    الناتو", "معسكر التاجي، الذي كان يضم مدربين من الناتو") is the place's past ("venue"), and what a
    place abroad houses or hosts now ("مدينة مونس البلجيكية، التي تضم مقر قيادة الناتو", "قاعدة إنجرليك التي
    تستخدمها قوات الناتو") is where the alliance is, not Iraq ("elsewhere"). The story is what happens there."""
    if len(pair) < 2:
        return None
    (anchor_first, anchor_last), (partner_first, partner_last) = pair[0], pair[1]
    anchor, partner = groups.get(anchor_first), groups.get(partner_first)
    if anchor is None or partner is None:
        return None
    # An indefinite place takes its clause without a pronoun ("في مبنى بجنيف سبق أن استأجره الناتو").
    rel = next(
        (
            k
            for k in range(anchor_first - 1, lo, -1)
            if tokens[k] in _RELATIVE or _past_clause(tokens, k) or _indefinite_host(tokens, k, lo)
        ),
        None,
    )
    if rel is None:
        return None
    if tokens[rel] not in _RELATIVE and tokens[rel - 1] in _RELATIVE:
        rel -= 1  # "الذي سبق أن أقام فيه": the pronoun opens the clause
    window = range(rel - 1, max(lo, rel - _PLACE_REACH) - 1, -1)
    place = next((k for k in window if _HOST_PLACES.intersection(clitic_readings(tokens[k]))), None)
    if place is None:
        return None
    end = next((k for k in range(anchor_last + 1, hi + 1) if comma_before[k]), hi + 1)
    if any(comma_before[k] for k in range(rel + 1, anchor_first + 1)):
        return None  # the clause closed before the alliance is named: it is in the main clause
    inside = range(rel + 1, end)
    if any(groups.get(k) == anchor for k in range(lo, hi + 1) if not rel < k < end):
        return None
    verbs = tokens[rel + 1 : rel + 3]
    past = tokens[rel] not in _RELATIVE or any(w in _HOSTED for w in verbs)
    # The place's history may name both sides ("الفندق الذي استضاف اجتماعات بين مسؤولين عراقيين ووفود من
    # الناتو"): the event held there now is the story, and the other side is named outside the clause too.
    mission = any(groups.get(k) not in (anchor, partner, None) and tokens[k] not in _OWN_JOB for k in range(lo, hi + 1))
    # A clause without a pronoun is only read as the place's past where no mission word says otherwise.
    indefinite = _indefinite_host(tokens, rel, lo)
    if past and any(groups.get(k) == partner for k in range(lo, rel)) and not (indefinite and mission):
        return "venue"
    # …or the other side after the clause, as what the place hosts now ("فندق في فيلنيوس استضاف قمة الناتو
    # يستقبل مؤتمر رجال أعمال عراقيين"), with no mission word in the sentence.
    now = any(_imperfect(tokens[k]) for k in range(anchor_last + 1, partner_first))
    if past and partner_first > anchor_last and now and not mission:
        return "venue"
    if partner_last >= rel or any(groups.get(k) == partner for k in inside):
        return None
    abroad = not any(k in groups for k in range(place, rel)) and not _in_iraq(tokens, pair[1:], lo)
    # Iraq's forces there, or a mission word anywhere ("يتدرب ضباط عراقيون في مدينة … التي تضم مدرسة للناتو"),
    # make the place abroad where the alliance works with them.
    forces = partner_first > lo and tokens[partner_first - 1] in _FORCES
    if abroad and any(w in _HOSTS for w in verbs) and not forces and not mission:
        return "elsewhere"
    return None


_PLACE_REACH = 3  # "فندق بابل ببغداد، الذي": the place's name and town may stand between


def _indefinite_host(tokens: Sequence[str], k: int, lo: int) -> bool:
    """Token k is a hosting verb whose subject is an indefinite place just before it ("فندق في فيلنيوس
    استضاف قمة الناتو"): the clause describes the place as a relative clause would."""
    if tokens[k] not in _HOSTING:
        return False
    return any(w in _HOST_PLACES and not w.startswith("ال") for w in tokens[max(lo, k - _PLACE_REACH) : k])


_HOSTING = _words("استضاف", "استضافت", "شهد", "شهدت", "احتضن", "احتضنت")
# Places an event is held in, by the bare word (a reading without proclitics).
_HOST_PLACES = _words(
    "فندق", "الفندق", "قاعه", "القاعه", "مبني", "المبني", "معسكر", "المعسكر", "منتجع", "المنتجع", "مدينه",
    "المدينه", "قاعده", "القاعده", "قصر", "القصر", "مجمع", "المجمع", "ملعب", "الملعب", "مسرح", "المسرح",
)  # fmt: skip
# A place's past: it hosted, saw, housed, or used to ("كان يضم"), or once had ("سبق أن أقام فيه").
_HOSTED = _words(
    "استضاف", "استضافت", "شهد", "شهدت", "ضم", "ضمت", "احتضن", "احتضنت", "كان", "كانت", "سبق", "سبقت",
)  # fmt: skip
# What a place houses or hosts now, or who uses it.
_HOSTS = _words(
    "تضم", "يضم", "تستضيف", "يستضيف", "تحتضن", "يحتضن", "تستخدم", "يستخدم", "تستخدمها", "يستخدمها", "تستخدمه",
    "يستخدمه", "تاوي", "ياوي",
)  # fmt: skip


def _former_place(tokens: Sequence[str], hi: int, lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """The alliance names what a place once was ("قاعة الناتو السابقة تتحول إلى مطعم"): the place's past."""
    first, last = pair[0]
    if first - 1 < lo or last + 1 > hi or tokens[last + 1] not in _FORMER:
        return False
    return bool(_FORMER_SEATS.intersection(clitic_readings(tokens[first - 1])))


_FORMER_SEATS = _HOST_PLACES | _words("مقر", "المقر")


def _work_about(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """The alliance is what a poem, a film or a show is about ("قرأ قصيدة عن مدينته بروكسل وعن صخب قمم
    الناتو فيها"), and the other side is named before the work: the work's subject, not the story's."""
    first = pair[0][0]
    partner = min(f for f, _ in pair[1:]) if pair[1:] else first
    for v in range(max(lo, partner + 1), first - 1):
        if first - v > _ABOUT_REACH:
            continue
        word = tokens[v]
        if (word in _VENUE or (word[:1] in _VENUE_CLITICS and word[1:] in _VENUE)) and tokens[v + 1] in _ABOUT:
            return True
    # "يروي فيلم وثائقي قصة مترجم عراقي … يعمل في مؤتمرات يعقدها الناتو": both sides in the story a work tells.
    start = min(first, partner)
    for v in range(lo, start):
        word = tokens[v]
        if word in _VENUE or (word[:1] in _VENUE_CLITICS and word[1:] in _VENUE):
            told = tokens[v + 1 : min(start, v + _STORY_REACH + 1)]
            if any(w in _STORIES for w in told):
                return True
    return False


_ABOUT_REACH = 8  # "قصيدة عن مدينته بروكسل وعن صخب قمم الناتو": a second subject joined by وعن
_STORY_REACH = 2  # "فيلم وثائقي قصة": an adjective may stand between the work and its story
_STORIES = _words("قصه", "حكايه", "سيره", "قصص", "حكايات")


def _own_work_only(
    tokens: Sequence[str], lo: int, hi: int, pair: Sequence[tuple[int, int]], groups: Mapping[int, str]
) -> bool:
    """The only bonus words in the sentence are a person's own work verb ("حيث يعمل اليوم مترجما"): no mission."""
    sides = {groups.get(first) for first, _ in pair}
    bonus = [k for k in range(lo, hi + 1) if k in groups and groups[k] not in sides]
    return bool(bonus) and all(tokens[k] in _OWN_JOB for k in bonus)


def _officer(tokens: Sequence[str], first: int, lo: int) -> bool:
    """The person named al-Iraqi at `first` holds a rank of Iraq's forces or a seat in its state ("العميد
    نادية العراقي", "الفريق أول ركن كريم العراقي", "النائب حسن العراقي"): with a mission word beside the
    pair and no other theatre, an Iraqi officer or official dealing with the mission, whatever the surname."""
    window = tokens[max(lo, first - _RANK_WORDS - 1) : first - 1]
    rank = next((i for i, w in enumerate(window) if w in _OFFICER_RANKS), None)
    # "العقيد المغربي محمد العراقي": another country's adjective after the rank makes the officer its own.
    return rank is not None and not any(_nisba(w) for w in window[rank + 1 :] if w not in _OFFICER_RANKS)


_RANK_WORDS = 3  # "الفريق أول ركن كريم العراقي": the rank's own words stand before the name
_OFFICER_RANKS = _words(
    "العميد", "العقيد", "اللواء", "الفريق", "المقدم", "الرائد", "النقيب", "الملازم", "العماد", "ركن", "النائب",
    "النائبه",
)  # fmt: skip


def _mention_starts(groups: Mapping[int, str], side: str | None, lo: int, hi: int) -> list[int]:
    """The first token of each mention of `side` in lo..hi (a mention's later words carry its group too)."""
    return [k for k in range(lo, hi + 1) if groups.get(k) == side and groups.get(k - 1) != side]


def _standard_only(
    tokens: Sequence[str], lo: int, hi: int, pair: Sequence[tuple[int, int]], groups: Mapping[int, str]
) -> bool:
    """Every mention of the alliance in the sentence names a standard ("بنادق بمواصفات الناتو", "عيار 155 ملم
    المعتمد لدى الناتو") and no training or mission word is there: a calibre or a specification bought or
    met, not the alliance as a party."""
    anchor = groups.get(pair[0][0])
    named = _mention_starts(groups, anchor, lo, hi)
    if not named or any(strip_clitics(w).startswith(_TRAINING) for w in tokens[lo : hi + 1]):
        return False
    for k in named:
        # "عيار 7.62 ناتو": the calibre's figures stand between the standard and the name.
        j = k - 1
        while j > lo and tokens[j].isdigit():
            j -= 1
        prev = tokens[j] if j >= lo and j < k else ""
        adopted = j - 1 >= lo and (
            (tokens[j - 1] in _ADOPTED and prev in _BY) or (tokens[j - 1] in _COMPATIBLE and prev in _WITH)
        )
        if not (adopted or _STANDARDS.intersection(clitic_readings(prev))):
            return False
    return True


_STANDARDS = _words("معايير", "معيار", "مواصفات", "مقاييس", "مقياس", "عيار", "قياسات", "المعايير", "المواصفات")
_ADOPTED = _words(
    "المعتمد", "المعتمده", "المعتمدة", "المطابق", "المطابقه", "المستخدم", "المستخدمه",
    # …and without the article, after the type it qualifies ("من طراز معتمد في الناتو").
    "معتمد", "معتمده", "مطابق", "مطابقه",
)  # fmt: skip
_BY = _words("لدى", "في")
# Compatible with the alliance ("أنظمة متوافقة مع الناتو"): a specification, as its standards are.
_COMPATIBLE = _words(
    "متوافق", "متوافقه", "المتوافق", "المتوافقه", "متوافقا", "متوافقين", "متطابق", "متطابقه", "المتطابقه",
)  # fmt: skip
_WITH = _words("مع")
# Words of training, advice and the mission: with them a standard is what the mission teaches.
_TRAINING = tuple(normalize(w) for w in ("تدريب", "تدرب", "مدرب", "يدرب", "درب", "تاهيل", "بعث", "مهم", "مستشار"))


def _emigrated_from(
    tokens: Sequence[str], first: int, lo: int, pair: Sequence[tuple[int, int]], groups: Mapping[int, str]
) -> bool:
    """The place at `first` is where someone emigrated or fled from ("جندي هولندي، هاجرت عائلته من البصرة،
    يشارك في مناورة للناتو"): a person's origin, not the country; not when the alliance is who left."""
    if first - 2 < lo or tokens[first - 1] not in _FROM:
        return False
    window = range(first - 2, max(lo, first - _EMIGRATED_REACH) - 1, -1)
    verb = next((k for k in window if tokens[k] in _EMIGRATED), None)
    if verb is None:
        return False
    anchor = groups.get(pair[0][0])
    return not any(groups.get(k) == anchor for k in range(max(lo, verb - _EMIGRATED_REACH), first))


_EMIGRATED_REACH = 3  # "هاجرت عائلته من": the emigrant may stand between the verb and من
_EMIGRATED = _words(
    "هاجر", "هاجرت", "هاجروا", "نزح", "نزحت", "نزحوا", "فر", "فرت", "فروا", "لجا", "لجات", "لجاوا", "هرب", "هربت",
    "هربوا",
)  # fmt: skip


def _compared_members(tokens: Sequence[str], lo: int, hi: int, pair: Sequence[tuple[int, int]]) -> bool:
    """The alliance's member states as the other end of a comparison ("يقارن نسبة الإنفاق في العراق بنظيرتها في
    دول الحلف الأطلسي", "مقارنة: الإنفاق العسكري في العراق ودول الناتو"): a figure set beside theirs, no link."""
    first = pair[0][0]
    if first - 1 < lo or tokens[first - 1] not in _COUNTRIES_OF:
        return False
    return any(w in _COMPARISONS for w in tokens[lo : hi + 1])


_COMPARISONS = _words(
    "مقارنه", "يقارن", "تقارن", "قارن", "قارنت", "نظيرتها", "بنظيرتها", "نظيراتها", "بنظيراتها",
)  # fmt: skip


def _origin(tokens: Sequence[str], first: int, lo: int) -> bool:
    """The mention names the countries a person comes from ("مستثمر من دول الناتو": an investor from NATO's
    countries): a national of them, not the alliance acting. (Iraqi origin, أصل عراقي, is an ignore phrase.)"""
    prev = tokens[first - 1] if first > lo else ""
    if prev not in _COUNTRIES_OF or first - 3 < lo or tokens[first - 2] not in _FROM:
        return False
    # The person's noun may take a second word ("رجل أعمال من دول الناتو").
    people = tokens[max(lo, first - 4) : first - 2]
    return any(strip_clitics(w).startswith(_PRIVATE_PEOPLE) or w.startswith(_PRIVATE_PEOPLE) for w in people)


_COUNTRIES_OF = _words("دول", "احدى", "دوله", "بلدان")
# People on their own account: an investor, a tourist, a businessman, a student, a visitor.
_PRIVATE_PEOPLE = tuple(
    normalize(w) for w in ("مستثمر", "سائح", "سياح", "رجل", "رجال", "طالب", "زائر", "زوار", "مالك", "فنان", "مشجع")
)


def _denied_link(tokens: Sequence[str], first: int, lo: int) -> bool:
    """The side is named as having nothing to do with it ("وهي صفة أمريكية لا علاقة للحلف بها", "لا صلة
    للعراق بالهجوم", "لا صلة لها بحلف الأطلسي"), or as what the talks keep away from ("بعيدا عن ملفات
    الناتو", "بمعزل عن الحلف"): a denial, not a link."""
    before = tokens[max(lo, first - _DENIAL_REACH - 1) : first]
    denied = any(
        a in _DENIALS and b in _RELATION_NOUNS and (k + 2 >= len(before) or before[k + 2] in _OWNER_PRONOUNS)
        for k, (a, b) in enumerate(pairwise(before))
    )
    return denied or any(a in _APART and b in _FROM_APART for a, b in pairwise(before))


_DENIAL_REACH = 2
_DENIALS = _words("لا", "ولا")
_RELATION_NOUNS = _words("علاقه", "صله", "دخل", "شان")
_OWNER_PRONOUNS = _words("لها", "له", "لهم", "لهما", "لنا")  # "لا صلة لها بـ": whose link is denied
_APART = _words("بعيدا", "وبعيدا", "بمعزل", "وبمعزل", "بمنأى", "بمناي")
_FROM_APART = _words("عن", "من")


def _team_practice(words: Sequence[str], lo: int, pair: Sequence[tuple[int, int]], groups: Mapping[int, str]) -> bool:
    """A sports team is in the sentence and every bonus word is a training or coaching form ("منتخب العراق
    يتدرب في ملعب", "مدرب منتخب العراق يتفقد الملعب"): the team's practice, not the mission's training."""
    if not set(words) & _TEAMS:
        return False
    sides = {groups.get(first) for first, _ in pair}
    bonus = [w for k, w in enumerate(words, lo) if k in groups and groups[k] not in sides]
    return bool(bonus) and all(strip_clitics(w).startswith(_PRACTICE) for w in bonus)


_TEAMS = _words(
    "منتخب", "المنتخب", "لمنتخب", "للمنتخب", "ومنتخب", "والمنتخب", "لاعبو", "لاعبي", "اللاعبين", "اللاعبون",
)  # fmt: skip
_PRACTICE = tuple(normalize(w) for w in ("تدرب", "يتدرب", "تتدرب", "مدرب", "تدريب", "تدريبات", "درب", "معسكر"))


def _landmark(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """The alliance is named only as the landmark a place is near ("في قاعة قريبة من مقر الناتو", "قرب مقر
    حلف الناتو", "على بعد كيلومترين من مكان قمة الناتو") and Iraq only as someone's adjective ("مصممة
    عراقية", "مستثمر عراقي"): where a private event is, not the alliance acting."""
    first = pair[0][0]
    if not any(w in _NEAR for w in tokens[max(lo, first - _NEAR_REACH) : first]):
        return False
    for k, last in pair[1:]:
        prev = tokens[k - 1] if k > lo else ""
        if k != last or tokens[k] not in _ABROAD_DEMONYMS or prev in _FORCES or prev in _IRAQ_FORCES:
            return False
    return len(pair) > 1


_NEAR = _words(
    "قرب", "بالقرب", "قريب", "قريبه", "قريبا", "مجاور", "مجاوره", "بجوار", "جوار", "بمحاذاه", "محاذي", "كيلومتر",
    "كيلومترين", "كيلومترات", "امتار", "مترا", "خطوات", "القريب", "القريبه", "المجاور", "المجاوره",
)  # fmt: skip
_NEAR_REACH = 4  # "على بعد كيلومترين من مكان قمة الناتو": the distance, من and the place's nouns


def _trains_another(
    tokens: Sequence[str], lo: int, hi: int, pair: Sequence[tuple[int, int]], groups: Mapping[int, str]
) -> bool:
    """The training's object is another country's forces ("لتدريب حرس الحدود الأردني", "يدرب الجيش
    التونسي") and Iraq is named only as where something comes from ("التهريب من سوريا والعراق"): the
    mission is that country's, Iraq its neighbour."""
    anchor = groups.get(pair[0][0])
    partners = [first for first, _ in pair if groups.get(first, anchor) != anchor]
    if not partners or not all(_named_as_source(tokens, first, lo) for first in partners):
        return False
    for k in range(lo, hi + 1):
        if not strip_clitics(tokens[k]).startswith(_TRAINING_VERBS):
            continue
        after = tokens[k + 1 : min(hi, k + _TRAINEE_REACH) + 1]
        if after and after[0] in _TRAINEE_FORCES and any(_foreign_nisba(w) for w in after[1:]):
            return True
    return False


def _named_as_source(tokens: Sequence[str], first: int, lo: int) -> bool:
    """Iraq after من, alone or as the last of a و-list ("من العراق", "من سوريا والعراق")."""
    before = tokens[max(lo, first - 2) : first]
    listed = len(before) == 2 and before[0] in _FROM and conjoined(tokens[first])
    return bool(before) and (before[-1] in _FROM or listed)


def _foreign_nisba(word: str) -> bool:
    """Another country's adjective ("الأردني", "التونسية"), not Iraq's."""
    return _nisba(word) and word not in _IRAQI_ADJECTIVES


_TRAINING_VERBS = tuple(normalize(w) for w in ("تدريب", "يدرب", "تدرب", "درب", "تاهيل"))
_TRAINEE_FORCES = _words("الجيش", "جيش", "حرس", "قوات", "القوات", "الشرطه", "شرطه", "خفر", "وحدات", "ضباط")
_TRAINEE_REACH = 3  # "لتدريب حرس الحدود الأردني": the force's own words stand before its adjective


def _neither_nor(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """One side after a negated verb, the other after ولا ("ولم يشارك فيه العراق ولا الناتو"): neither
    takes part, so the sentence links neither to the story nor to each other."""
    spans = sorted(pair)
    if len(spans) != 2 or spans[1][0] < 1 or tokens[spans[1][0] - 1] not in _NOR:
        return False
    first = spans[0][0]
    return any(w in _NEGATED_VERBS for w in tokens[max(lo, first - _NEGATION_WORDS) : first])


_NOR = _words("ولا")
_NEGATED_VERBS = _words("لم", "ولم", "لا", "ليس", "ولن", "لن")
_NEGATION_WORDS = 3  # "ولم يشارك فيه العراق": the verb and its pronoun stand between


def _measured_by(
    tokens: Sequence[str], lo: int, hi: int, pair: Sequence[tuple[int, int]], groups: Mapping[int, str]
) -> bool:
    """Every mention of the alliance in the sentence is the level something is measured by ("برامجها بمستوى
    تدريب جنود الناتو", "بمستوى الناتو"): a yardstick, not the alliance as a party."""
    anchor = groups.get(pair[0][0])
    named = _mention_starts(groups, anchor, lo, hi)
    return bool(named) and all(
        any(w in _LEVELS for w in tokens[max(lo, k - _LEVEL_REACH) : k]) for k in named
    )


_LEVELS = _words("بمستوى", "بمستويات", "بمصاف", "مصاف")
_LEVEL_REACH = 3  # "بمستوى تدريب جنود الناتو": what is measured stands between


def _history_subject(tokens: Sequence[str], first: int, lo: int) -> bool:
    """The side is named as the history a book, a course or a talk is about ("ترجمت كتبا عن تاريخ الحلف
    الأطلسي", "a class on the history of Iraq"): the work is the story, not the side."""
    arabic = first - 2 >= lo and tokens[first - 1] in _HISTORY and tokens[first - 2] in _ABOUT
    latin = first - 2 >= lo and tokens[first - 2] == "history" and tokens[first - 1] == "of"
    return arabic or latin


_HISTORY = _words("تاريخ")
_ABOUT = _words("عن", "حول")


def _two_stories(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    lo: int,
    hi: int,
    pair: Sequence[tuple[int, int]],
    groups: Mapping[int, str],
) -> bool:
    """The sides stand in two clauses, each with its own subject, joined by a joiner of separate events
    ("الناتو يدعم كييف بينما العراق يستضيف مؤتمرا", "…، في حين انتقد الأمين العام للناتو …", "الناتو يحتفل
    بعيده، بغداد تحتفل …", "…، وكانت قد استهدفت من قبل مواقع في العراق"), and neither clause reaches the
    other side: the anchor's clause names no bonus word (a mission) and the partner's no anchor term (the
    back-reference الحلف included). Joined that way, a mission story ("الناتو يسحب مستشاريه بينما بغداد
    تطالب ببقائهم") keeps its mission word on the anchor's side."""
    spans = sorted(pair)
    if len(spans) != 2:
        return False
    (_, left_end), (right_first, _) = spans
    if right_first == left_end + 1:
        return False  # "الناتو والعراق يوقعان": one subject of two parties
    opening = range(left_end + 1, right_first + 1)
    joiner = next((k for k in opening if _opens_story(tokens, comma_before, k, right_first, groups)), None)
    if joiner is None or _announced_items(tokens, comma_before, lo, hi, spans[0][0]):
        return False
    # "…، ونوقشت خلالها أعداد المستشارين": the verb after the comma points back at the first clause's event.
    if joiner + 1 <= hi and comma_before[joiner] and tokens[joiner + 1] in _BACK_POINTERS:
        return False
    anchor, partner = pair[0], pair[-1]
    sides = {groups.get(anchor[0]), groups.get(partner[0])}
    anchor_clause = range(lo, joiner) if anchor[0] < joiner else range(joiner, hi + 1)
    partner_clause = range(joiner, hi + 1) if anchor[0] < joiner else range(lo, joiner)
    reaches = any(k in groups and groups[k] != groups.get(anchor[0]) for k in anchor_clause)
    return not reaches and not any(groups.get(k) == groups.get(anchor[0]) for k in partner_clause) and None not in sides


def _announced_items(tokens: Sequence[str], comma_before: Sequence[bool], lo: int, hi: int, first: int) -> bool:
    """A count and its noun announce the list the sides are items of ("تضمنت المذكرة ثلاثة مطالب: نشر نص
    الاتفاق مع الحلف، وتحديد عدد المستشارين، ووضع سقف زمني لبقاء البعثة في العراق"): three or more items,
    each after a comma and و, are one list, not separate stories."""
    count = next((k for k in range(lo, first) if tokens[k] in _ITEM_COUNTS), None)
    if count is None:
        return False
    joined = [k for k in range(count + 2, hi + 1) if comma_before[k] and conjoined(tokens[k])]
    return len(joined) >= _LIST_ITEMS - 1


_ITEM_COUNTS = _words(
    "ثلاثه", "ثلاث", "اربعه", "اربع", "خمسه", "خمس", "سته", "ست", "سبعه", "سبع", "ثمانيه", "ثماني", "تسعه", "تسع",
    "عشره", "عشر",
)  # fmt: skip


def _span_or_comparison(tokens: Sequence[str], lo: int, hi: int, pair: Sequence[tuple[int, int]]) -> bool:
    """NATO placed in another theatre ("تدخل الناتو في ليبيا", "NATO's 2011 Libya campaign") while Iraq is
    the other end of a span (من … إلى …, from … to …: a history of wars) or of a comparison ("الناتو يكرر في
    أوكرانيا أخطاء أمريكا في العراق"): the two are set side by side, not linked."""
    spans = sorted(pair)
    if len(spans) != 2:
        return False
    nato = pair[0]
    near = range(nato[1] + 1, min(hi, nato[1] + _THEATRE_REACH) + 1)
    if not any(_theatre(tokens[k]) for k in near):
        return False
    (first, first_end), (second, _) = spans
    opened = any(tokens[k] in _FROM_SPAN for k in range(max(lo, first - _SPAN_REACH), first))
    closed = any(tokens[k] in _TO_SPAN for k in range(max(first_end + 1, second - _SPAN_REACH), second))
    # A comparison runs from NATO's theatre to Iraq; Iraqis speaking of a repeat at home ("حذر ضباط عراقيون
    # من تكرار تجربة انسحاب الناتو من أفغانستان في بلادهم") are a side of it.
    iraq = pair[-1]
    return (opened and closed) or any(tokens[k] in _REPEATS for k in range(nato[1] + 1, iraq[0]))


def _compared_events(tokens: Sequence[str], pair: Sequence[tuple[int, int]]) -> bool:
    """كما or مثلما between the sides before the verb said before it ("توسع الناتو غيّر أوروبا كما غيّرت حرب
    2003 العراق", "… كما وقع …"): two events set side by side, one per side."""
    spans = sorted(pair)
    if len(spans) != 2:
        return False
    (_, first_end), (second, _) = spans
    # The repeated verb takes a subject of its own before the other side ("كما غيّرت حرب 2003 العراق"); with
    # none ("يدعم الناتو أوكرانيا كما يدعم العراق") the first side does both, which links it to the second.
    for k in range(first_end + 1, second - 2):
        if tokens[k] in _AS and any(_same_verb(tokens[j], tokens[k + 1]) for j in range(first_end + 1, k)):
            return True
    return False


def _same_verb(a: str, b: str) -> bool:
    """The same verb but for the feminine ت and the present's prefix ("غير", "غيرت"; "يخسر", "خسرت")."""
    return len(a) >= 3 and _verb_stem(a) == _verb_stem(b)


def _verb_stem(word: str) -> str:
    word = word.removesuffix("ت")
    return word[1:] if len(word) >= 4 and word[0] in "يت" else word


_AS = _words("كما", "مثلما")


def _market_story(tokens: Sequence[str], pair: Sequence[tuple[int, int]], words: Sequence[str]) -> bool:
    """A sentence about prices or markets whose sides are separate movers: the market, or another cause
    joined by و, stands between them ("أسعار النفط ترتفع بعد تحذيرات الناتو لموسكو وتوقف صادرات كركوك",
    "يترقب العراق تحركات الأسواق بعد رفع الناتو حالة التأهب"). One cause naming both ("بعد إعلان الناتو سحب
    قواته من العراق") is a link the market reacts to."""
    spans = sorted(pair)
    if len(spans) != 2 or not _MARKETS & set(words):
        return False
    between = range(spans[0][1] + 1, spans[1][0])
    # "مع تصاعد التوتر بين روسيا والناتو": the later side joined by و to another party is that cause.
    second = spans[1][0]
    joined = conjoined(tokens[second]) and second - 2 > spans[0][1] and tokens[second - 2] in _BETWEEN
    return joined or any(tokens[k] in _MARKETS or conjoined(tokens[k]) for k in between)
# Prices and markets: a market story names the events that moved them, not a link between them.
_MARKETS = _words(
    "اسعار", "لاسعار", "الاسعار", "باسعار", "الاسواق", "اسواق", "البورصه", "الاسهم", "برميل", "للبرميل",
)  # fmt: skip


_THEATRE_REACH = 4
_SPAN_REACH = 4
_FROM_SPAN = _words("من", "from")
_TO_SPAN = _words("الى", "to")
# Words of repeating or comparing one war with another ("يكرر أخطاء", "سيناريو العراق", "على غرار").
_REPEATS = _words(
    "يكرر", "تكرر", "تكرار", "يعيد", "تعيد", "اخطاء", "سيناريو", "دروس", "غرار", "مثلما", "repeats", "repeating",
    "mistakes", "lessons",
)  # fmt: skip


def _opens_story(
    tokens: Sequence[str], comma_before: Sequence[bool], k: int, partner: int, groups: Mapping[int, str]
) -> bool:
    """Token k opens a clause of its own: بينما, فيما (not "فيما يتعلق"), في حين, "وفي سياق منفصل", a comma and
    كان قد (background about the subject), or the side at `partner` as a new subject after a comma or و
    with its own verb or place ("والعراق يرفع", "، بغداد تحتفل", "، واحتفلت بغداد")."""
    word = tokens[k]
    following = tokens[k + 1] if k + 1 < len(tokens) else ""
    if word in _WHILE:
        return following not in _REGARDING
    if word in _IN and following in _WHEREAS:
        return True
    # "…، في وقت تشهد المنطقة توترا يمتد من اليمن إلى العراق": at a time when, a backdrop of its own.
    after_when = tokens[k + 2] if k + 2 < len(tokens) else ""
    if word in _IN and following in _WHEN and (_imperfect(after_when) or after_when in _BEFORE_CAREER):
        return True
    if word in _IN_CONTEXT and following in _CONTEXTS and k + 2 < len(tokens) and tokens[k + 2] in _OTHER:
        return True
    if comma_before[k] and word in _BEFORE_CAREER and following in _ALREADY_DONE:
        return True
    # Arabizi writes و apart ("el 3ira2 ta2ahal, w el nato ba3at …"): after a comma it opens the side's clause.
    if comma_before[k] and word in _LATIN_AND and k + 1 == partner:
        return True
    after = tokens[partner + 1] if partner + 1 < len(tokens) else ""
    if k == partner and (comma_before[k] or conjoined(word)):
        return _imperfect(after) or after in _AT_STORY
    # "، واحتفلت بغداد", "، وأعلن العراق": a comma and a verb with و (not a noun with the article; a verb
    # whose hamza folds to ال, "وألقى", is shorter than any such noun).
    article = word[1:].startswith("ال") and len(word) > 5
    return comma_before[k] and conjoined(word) and not article and k not in groups


_WHILE = _words("بينما", "وبينما", "فيما", "وفيما")
_REGARDING = _words("يتعلق", "يخص", "يتصل", "بعد", "بينها", "بينهم")
_IN = _words("في", "وفي")
_WHEREAS = _words("حين")
_WHEN = _words("وقت")
_IN_CONTEXT = _words("وفي", "في", "على")
_CONTEXTS = _words("سياق", "شان", "خبر", "صعيد")
_OTHER = _words("منفصل", "اخر", "ثان")
_AT_STORY = _words("في")
_LATIN_AND = _words("w", "wa")


def _own_job(tokens: Sequence[str], last: int, hi: int) -> bool:
    """The Iraqi's own job follows the demonym ("طبيبة عراقية تعمل في مستشفى"): the bonus word is about them."""
    return last + 2 <= hi and tokens[last + 1] in _OWN_JOB and tokens[last + 2] in _AT_JOB


def _met_person(tokens: Sequence[str], lo: int, first: int) -> bool:
    """The sentence opens with a verb of detaining, rescuing or hiring whose object is the single Iraqi at
    `first` (the subject and its place come between)."""
    verb = tokens[lo][1:] if tokens[lo][:1] in ("و", "ف") and tokens[lo][1:] in _MET_PERSON else tokens[lo]
    return verb in _MET_PERSON and first - lo <= _MET_REACH


_MET_REACH = 14
_AT_JOB = _words("في", "لدى", "مع", "بمستشفى", "بشركه")


def _given_name(tokens: Sequence[str], pair: Sequence[tuple[int, int]], lo: int) -> bool:
    """NATO without the article after a naming word earlier in the sentence: a name given to a brand or a
    team ("علامتها التجارية باسم ناتو كولا", "سمى فريق … نفسه ناتو كردستان")."""
    first = pair[0][0]
    word = tokens[first]
    indefinite = word.endswith("ناتو") and word[:-4] in _INDEFINITE_CLITICS
    if not indefinite or (first > lo and tokens[first - 1] in _NATO_NAMES):
        return False
    return any(tokens[k] in _NAMING for k in range(lo, first))


def _status_of_another(tokens: Sequence[str], pair: Sequence[tuple[int, int]]) -> bool:
    """A NATO status held by another country in what an Iraqi says ("قال محلل عراقي إن الأردن يتمتع لدى الناتو
    بوضع شريك الفرص المعززة"): the Iraq side speaks, a third country holds the status."""
    nato, iraq = pair[0], pair[-1]
    if iraq[0] > nato[0]:
        return False
    after = range(nato[1] + 1, min(len(tokens) - 1, nato[1] + _STATUS_REACH + 1))
    status = any(tokens[k] in _STATUS and tokens[k + 1] in _STATUS_HOLDERS for k in after)
    that = next((k for k in range(iraq[1] + 1, nato[0]) if tokens[k] in _THAT), None)
    return status and that is not None and that + 1 < nato[0]


_STATUS_REACH = 3
_STATUS = _words("وضع", "بوضع", "صفه", "بصفه", "مكانه", "بمكانه", "مرتبه", "بمرتبه")
_STATUS_HOLDERS = _words("شريك", "الشريك", "حليف", "الحليف", "مراقب", "المراقب", "عضو", "شريكا", "حليفا")


def _held_elsewhere(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]], groups: Mapping[int, str]) -> bool:
    """The event is held at a named place just after its own word, before either side ("جمع حفل خيري في
    بروكسل … تبرعات لمستشفى أطفال في الموصل"): Iraq is then whom it is for, not where it happens."""
    start = min(first for first, _ in pair)
    for v in range(lo, start):
        word = tokens[v]
        if word not in _VENUE and not (word[:1] in _VENUE_CLITICS and word[1:] in _VENUE):
            continue
        for k in range(v + 1, min(start, v + _VENUE_PLACE_REACH + 1)):
            place = tokens[k + 1] if k + 1 < start else ""
            if tokens[k] in _AT and place and (k + 1) not in groups and not place.startswith("ال"):
                return place not in _NOT_PLACES
    return False


_VENUE_PLACE_REACH = 3
# Nouns that follow في without naming a place ("في إطار", "في ظل", "في حضور").
_NOT_PLACES = _words("اطار", "ظل", "حضور", "ختام", "نهايه", "بدايه", "مقر", "ذكري", "يوم", "عام", "شهر")


def _seat(tokens: Sequence[str], comma_before: Sequence[bool], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """The anchor side stands in a comma clause naming what has its seat in a place ("…، مقر مركز تدريب
    للناتو"): a mission word there describes the place, not the story."""
    first = pair[0][0]
    return any(comma_before[k] and tokens[k] in _SEAT for k in range(max(lo, first - 4), first))


def _national_office(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """A secretary-general's name after another country's post ("وزير المالية النرويجي ينس ستولتنبرغ")."""
    for first, _ in pair:
        if not strip_clitics(tokens[first]).startswith(_SECRETARIES):
            continue
        before = tokens[max(lo, first - 4) : first]
        foreign = [w for w in before if w.startswith("ال") and w.endswith("ي") and w != "العراقي" and len(w) > 4]
        if foreign and any(w in _NATIONAL_POSTS for w in before):
            return True
    return False


def _between(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """The two sides follow بين joined by و: the parties of one relation, whatever list follows ("الاتفاق
    بين العراق والناتو، ومواقف الكتل منه")."""
    spans = sorted(pair)
    if len(spans) != 2 or spans[0][0] - 1 < lo or tokens[spans[0][0] - 1] not in _BETWEEN:
        return False
    return spans[1][0] == spans[0][1] + 1 and conjoined(tokens[spans[1][0]])


def _separate_partners(
    tokens: Sequence[str], comma_before: Sequence[bool], lo: int, pair: Sequence[tuple[int, int]]
) -> bool:
    """Each side is what "مع" joins someone else to, in items a comma and و separate ("والعلاقات مع العراق،
    والشراكة مع الناتو عبر مبادرة إسطنبول"): the subject's two partners, not partners of each other."""
    spans = sorted(pair)
    if len(spans) != 2 or any(first - 1 < lo or tokens[first - 1] not in _WITH for first, _ in spans):
        return False
    return any(comma_before[k] and conjoined(tokens[k]) for k in range(spans[0][1] + 1, spans[1][0] - 1))


_WITH = _words("مع")


def _ordinal_parts(
    tokens: Sequence[str], comma_before: Sequence[bool], pair: Sequence[tuple[int, int]], hi: int
) -> bool:
    """A comma and و open a numbered part between the sides ("الجزء الأول عن الدعم الأطلسي لكييف، والجزء
    الثاني عن الانتخابات في العراق", "، وثانيا …"): the parts of a programme or a paper are separate."""
    spans = sorted(pair)
    if len(spans) != 2:
        return False
    for k in range(spans[0][1] + 1, spans[1][0]):
        if not (comma_before[k] and conjoined(tokens[k])):
            continue
        if tokens[k] in _ORDINAL_ADVERBS or (k + 1 <= hi and tokens[k + 1] in _ORDINALS):
            return True
    return False


def _figure_items(
    tokens: Sequence[str], comma_before: Sequence[bool], lo: int, pair: Sequence[tuple[int, int]]
) -> bool:
    """Each side in its own item of a list of figures, the next opening with a comma, و and its figure
    ("يرى 60% أن الناتو مفيد، و45% يؤيدون سحب القوات … من العراق"): a poll's or a budget's separate lines."""
    spans = sorted(pair)
    if len(spans) != 2 or not any(w.isdigit() for w in tokens[lo : spans[0][0]]):
        return False
    return any(
        comma_before[k]
        and ((tokens[k][:1] == "و" and tokens[k][1:].isdigit()) or (tokens[k] == "و" and tokens[k + 1].isdigit()))
        for k in range(spans[0][1] + 1, spans[1][0])
    )


def _moves_on(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """A speaker moves from one subject to the other: "تناول في خطابه … العراق …، ثم انتقل إلى توسيع الناتو",
    "ينتقل من ملف العراق إلى انتقاد الناتو": two subjects of one speech or debate, not a link."""
    spans = sorted(pair)
    if len(spans) != 2:
        return False
    (first, first_end), (second, _) = spans
    for v in range(lo, second):
        if strip_clitics(tokens[v]) not in _MOVES or not any(
            tokens[k] in _TO_SPAN for k in range(max(v, first_end) + 1, second)
        ):
            continue
        if first_end < v and tokens[v - 1] in _THEN and set(tokens[lo:first]) & _SPEECH:
            return True
        if v < first and any(tokens[k] in _FROM and tokens[k + 1] in _SUBJECT_NOUNS for k in range(v + 1, first)):
            return True  # "انتقلت المحاورة من موضوع العراق": the speaker may stand between
    return False


_MOVES = _words("انتقل", "ينتقل", "تنتقل", "انتقلت", "ينتقلون", "انتقلوا")
_SPEECH = _words("تناول", "تناولت", "تحدث", "تحدثت", "تطرق", "تطرقت", "ناقش", "ناقشت", "استعرض", "استعرضت")
_SUBJECT_NOUNS = _words("ملف", "موضوع", "قضيه", "الحديث", "مسالة", "مساله")


_ORDINALS = _words("الثاني", "الثانيه", "الثالث", "الثالثه", "الرابع", "الرابعه", "الاخير", "الاخيره")
_ORDINAL_ADVERBS = _words("وثانيا", "وثالثا", "ورابعا", "واخيرا")


def _another_or_ranked(tokens: Sequence[str], pair: Sequence[tuple[int, int]], hi: int) -> bool:
    """"… للناتو وآخر عمل في بغداد": "and another" between the sides names a second person or thing; "دول
    الناتو في الصدارة وحل العراق في المرتبة": each side followed by its rank is a row of a table."""
    spans = sorted(pair)
    if len(spans) != 2:
        return False
    if any(tokens[k] in _ANOTHER for k in range(spans[0][1] + 1, spans[1][0])):
        return True
    # Each side's own rank ("في المرتبة", before the other side for the first): "رفع الناتو العراق إلى
    # مرتبة الدولة الشريكة" is one relation.
    ends = (spans[1][0] - 1, hi)
    return all(
        any(tokens[k] in _RANKS and tokens[k - 1] in _AT_RANK for k in range(b + 2, min(end, b + _RANK_REACH) + 1))
        for (_, b), end in zip(spans, ends, strict=True)
    )


def _sequence(
    tokens: Sequence[str], comma_before: Sequence[bool], lo: int, hi: int, pair: Sequence[tuple[int, int]]
) -> bool:
    """A side is an item of a sequence of three or more items joined by "، ثم" ("أوكرانيا أولا، ثم إسرائيل، ثم
    الجزائر، …، ثم العراق في المركز الثامن عشر"): a ranking or an order of stations, not a link."""
    thens = [k for k in range(lo + 1, hi + 1) if tokens[k] in _THEN and comma_before[k]]
    if len(thens) < _LIST_ITEMS - 1:
        return False
    return any(first - 1 in thens for first, _ in pair)


def _roster_word(tokens: Sequence[str], k: int, lo: int) -> bool:
    """A roster word at k; القائمة after a definite noun is its adjective ("الشراكة القائمة بين العراق والناتو":
    the existing partnership), not a list."""
    if tokens[k] not in _ROSTER:
        return False
    return tokens[k] not in _EXISTING or k == lo or not tokens[k - 1].startswith(_DEFINITE)


_EXISTING = _words("القائمه")


def _roster(
    tokens: Sequence[str], comma_before: Sequence[bool], lo: int, hi: int, pair: Sequence[tuple[int, int]]
) -> bool:
    """Both sides are people in a roster of three or more ("تضم قائمة المتحدثين … وزير النفط العراقي ونائبة
    الأمين العام للناتو ورئيس وزراء ماليزيا"): a roster word before them, a new item between them and one
    after."""
    spans = sorted(pair)
    if len(spans) != 2 or not any(_roster_word(tokens, k, lo) for k in range(lo, spans[0][0])):
        return False

    def item(k: int) -> bool:
        return comma_before[k] or conjoined(tokens[k])

    between = any(item(k) for k in range(spans[0][1] + 1, spans[1][0] + 1))
    return between and any(item(k) for k in range(spans[1][1] + 1, hi + 1))


def _career_then(tokens: Sequence[str], lo: int, pair: Sequence[tuple[int, int]]) -> bool:
    """A career verb before both sides and ثم between them: the stations of a career ("عمل لدى الأمم المتحدة
    في العراق ثم لدى الناتو", "شغل مناصب في شركة تعمل في العراق، ثم في وفد بلاده لدى الناتو")."""
    spans = sorted(pair)
    if len(spans) != 2 or not any(tokens[k] in _THEN for k in range(spans[0][1] + 1, spans[1][0])):
        return False
    for i in range(lo, spans[0][0]):
        verb = tokens[i][1:] if tokens[i][:1] == "و" and tokens[i][1:] in _CAREER else tokens[i]  # "وعمل"
        if verb in _CAREER and _career_verb(tokens, i, verb):
            return True
        # "دبلوماسي مثل بلاده لدى الناتو ثم في بغداد": represented one's country, a diplomat's stations.
        if verb in _REPRESENTED and i + 1 < spans[0][0] and tokens[i + 1] in _OWN_COUNTRY:
            return True
    return False


def _closed_relative(tokens: Sequence[str], comma_before: Sequence[bool], lo: int, start: int) -> bool:
    """The last relative clause before the pair is an aside between commas that closes before it ("المستشارة،
    التي خدمت سابقا في أفغانستان، تعمل مع بعثة الناتو"): it is about its antecedent, not the pair."""
    relative = next((i for i in range(start - 1, lo - 1, -1) if tokens[i] in _RELATIVE), None)
    if relative is None or not comma_before[relative]:
        return False
    return any(comma_before[k] for k in range(relative + 1, start + 1))


def _present_verb(word: str) -> bool:
    """A present-tense verb that opens a headline's main clause ("يقود", "تصل"): ي + a stem, or ت + a short
    stem (a longer ت-word is more often a verbal noun: تدريب, تطوير)."""
    return _imperfect(word) and (word[0] == "ي" or len(word) <= 4) and word not in _NOT_VERBS


_NOT_VERBS = _words("تحت", "تلك", "تم", "تمت", "يوم", "يونيو", "يوليو", "يناير")


def _clause_end(tokens: Sequence[str], comma_before: Sequence[bool], rel: int, hi: int) -> int | None:
    """Where a relative clause without commas ends: at a present-tense verb within a few words of its own
    verb ("الكولونيل الذي خدم سابقا في كوسوفو يقود اليوم فريق …", "العالمة التي رفضت منصبا في الناتو تقود
    مختبرا"): the antecedent's story goes on in the present, the clause told its past. Not after كان (a
    past habit: "التي كانت تؤمن"), and not past a comma or a complementiser (reported speech follows)."""
    for k in range(rel + 2, min(hi, rel + _CLAUSE_WORDS) + 1):
        if comma_before[k] or tokens[k] in _THAT:
            return None
        if _present_verb(tokens[k]) and tokens[k - 1] not in _BEFORE_CAREER:
            return k
    return None


_CLAUSE_WORDS = 9


def _closed_by_verb(tokens: Sequence[str], comma_before: Sequence[bool], lo: int, start: int) -> bool:
    """The last relative clause before the pair ends at a present-tense verb before it: the pair is in the
    main clause, about what the antecedent does now."""
    rel = next((i for i in range(start - 1, lo - 1, -1) if tokens[i] in _RELATIVE), None)
    if rel is None:
        return False
    end = _clause_end(tokens, comma_before, rel, start)
    return end is not None and end < start


def _person_clause(
    tokens: Sequence[str], comma_before: Sequence[bool], lo: int, hi: int, first: int, last: int
) -> tuple[int, int] | None:
    """The clause about someone that holds the tokens first..last, as [start, end): an aside between commas
    that opens with a relative pronoun or after an indefinite noun ("محام بريطاني، اشتهر بدفاعه عن جنود
    الناتو أمام المحاكم، قضية"), or a relative clause that a present-tense verb ends."""
    opening = next((k for k in range(first, lo, -1) if comma_before[k]), None)
    if opening is not None:
        close = next((k for k in range(last + 1, hi + 1) if comma_before[k]), None)
        prev = tokens[opening - 1]
        word = tokens[opening]
        about = word in _RELATIVE or (
            not prev.startswith(_DEFINITE)
            and not prev.isdigit()
            and word not in _THAT
            and word not in _PARTICLES
            and not conjoined(word)
            and opening != first
        )
        return (opening, close) if close is not None and about else None
    rel = next((k for k in range(first - 1, lo - 1, -1) if tokens[k] in _RELATIVE), None)
    if rel is None or rel == lo:
        return None
    end = _clause_end(tokens, comma_before, rel, hi)
    return (rel, end) if end is not None and end > last else None


def _about_the_past(tokens: Sequence[str], start: int, end: int) -> bool:
    """The clause at [start, end) tells something its antecedent once did: a career or a deed, a stance
    (refused, boycotted, fought, defended, became known for) or a time in the past (سابقا, العام الماضي, a
    year), and it does not open with a present-tense verb ("التي تعمل في …", "الذي يستضيف مدربين")."""
    words = tokens[start:end]
    opener = 1 if words[:1] and words[0] in _RELATIVE else 0
    verb = words[opener] if opener < len(words) else ""
    if verb[:1] == "ي" or verb in _CAREER_PRESENT or verb in _PRESENT_STATES:
        return False
    # "متقاعد، درّس في …": an antecedent named as retired or former has its past told after it; not a time
    # ("وفي وقت سابق، أكدت الحكومة …": earlier, a sentence adverb, and what follows is the news).
    retired = start > 0 and (tokens[start - 1] in _FORMER or tokens[start - 1] in _RETIRED) and not (
        start > 1 and tokens[start - 2] in _TIME_NOUNS
    )
    years = any(len(w) == 4 and w.isdigit() and w[:2] in ("19", "20") for w in words)
    readings = set(words) | {w[1:] for w in words if conjoined(w)}  # "وكان", "وعمل"
    return retired or years or bool(readings & _PAST_SIGNS)


_RETIRED = _words("متقاعد", "المتقاعد", "متقاعده", "المتقاعده", "متقاعدا")
# Times that سابق may qualify (في وقت سابق, في العام السابق, في مرحلة سابقة): an adverb, not a person's past.
_TIME_NOUNS = _words(
    "وقت", "الوقت", "فترة", "الفترة", "مرحلة", "المرحلة", "حين", "عام", "العام", "سنة", "السنة", "شهر", "الشهر",
    "أسبوع", "الأسبوع", "يوم", "اليوم", "موعد", "الموعد", "تاريخ", "عهد", "العهد",
)  # fmt: skip


# A present state of a thing or a body: it houses, supports, hosts ("التي تضم", "التي تدعمها").
_PRESENT_STATES = _words("تضم", "تدعم", "تدعمها", "تستضيف", "تشرف", "تقود", "تتولى", "تمول", "تحتضن")
_STANCES = _words(
    "رفض", "رفضت", "قاطع", "قاطعت", "عارض", "عارضت", "انتقد", "انتقدت", "قاتل", "قاتلت", "حارب", "حاربت",
    "دافع", "دافعت", "اشتهر", "اشتهرت", "عرف", "عرفت", "استقال", "استقالت", "فصل", "فصلت",
)  # fmt: skip
_PAST_TIMES = _words(
    "الماضي", "الماضيه", "لاحقا", "سابقا", "انذاك", "حينها", "حينذاك",
    # A decade of the last century ("في السبعينيات"), as a year is.
    "الخمسينيات", "الستينيات", "السبعينيات", "الثمانينيات", "التسعينيات",
)  # fmt: skip
_PAST_SIGNS = _PAST_ROLE | _PAST_DEEDS | _STANCES | _PAST_TIMES


def _aside_about_someone(
    tokens: Sequence[str],
    comma_before: Sequence[bool],
    lo: int,
    hi: int,
    pair: Sequence[tuple[int, int]],
    groups: Mapping[int, str],
) -> bool:
    """Every mention of the alliance in the sentence is inside a clause about someone (what they once did,
    refused or boycotted), and the sentence around that clause names neither the alliance nor a mission
    word ("زار وزير الثقافة المجري، الذي قاطع اجتماعا للناتو العام الماضي، شارع المتنبي في بغداد"): the
    story is what the person does, and the alliance is their past."""
    anchor = groups.get(pair[0][0])
    if anchor is None:
        return False
    partners = {groups.get(a) for a, _ in pair[1:]}
    # The same holds the other way round: the other side named only in the person's past ("تستضيف وزيرة
    # الخارجية الهولندية، التي زارت أربيل العام الماضي، اجتماعا لوزراء خارجية الناتو في لاهاي").
    readings: list[tuple[str, set[str | None]]] = [(anchor, partners)]
    readings += [(p, {anchor}) for p in partners if p is not None]
    for side, others in readings:
        named = [k for k in range(lo, hi + 1) if groups.get(k) == side]
        if not named:
            continue
        clause = _person_clause(tokens, comma_before, lo, hi, min(named), max(named))
        if clause is None:
            continue
        start, end = clause
        # "البرنامج، الذي أطلقته بعثة الناتو …": the alliance as the clause verb's subject did what the clause
        # tells; the clause is then about its deed, not someone's past.
        verb = start + 1 if tokens[start] in _RELATIVE else start
        if not _about_the_past(tokens, start, end) or (side == anchor and groups.get(verb + 1) == side):
            continue
        if side != anchor and any(groups.get(k) == anchor for k in range(lo, end)):
            continue  # the alliance's own people ("مبعوث الناتو، الذي زار بغداد الشهر الماضي، …") act for it
        around = [k for k in range(lo, hi + 1) if not start <= k < end and k in groups]
        if end <= hi and all(groups[k] in others or _own_title(tokens, k, start) for k in around):
            return True
    return False


def _own_title(tokens: Sequence[str], k: int, start: int) -> bool:
    """The bonus word at k is the person's own job, not the alliance's work: their title named as former
    ("مستشار أمني عراقي سابق، تعامل مع مستشاري الناتو …") or the verb of what they do ("تعمل المهندسة")."""
    return tokens[k] in _OWN_JOB or any(tokens[j] in _FORMER for j in range(k + 1, min(start, k + _TITLE_REACH + 1)))


_TITLE_REACH = 3  # "مستشار أمني عراقي سابق": two adjectives may stand between the title and سابق


def _obituary(words: Sequence[str]) -> bool:
    """A death is named ("توفي", "رحيل"), not the departure of forces ("بعد رحيل التحالف")."""
    for i, word in enumerate(words):
        if word not in _OBITUARY:
            continue
        if word in _DEPARTURE and i + 1 < len(words) and words[i + 1] in _DEPARTING:
            continue
        return True
    return False


def _named_or_compared(tokens: Sequence[str], first: int, lo: int) -> bool:
    """The mention at `first` is a name given to something ("لقب الناتو", "متجره الناتو") or the model
    another pact is compared with ("على غرار الناتو", "مقارنا إياه بالناتو")."""
    prev = tokens[first - 1] if first > lo else ""
    before = tokens[first - 2] if first - 1 > lo else ""
    return prev in _NAMING or prev in _COMPARED or (prev in _COMPARED_OBJECT and before in _COMPARED)


def _named_status(word: str, following: str, prev: str, following_mentioned: bool = False) -> bool:
    """"ناتو عربي", "ناتو شيعي", "الناتو الخليجي", "ناتو الخليج", "ناتو للطاقة": NATO as a name for another
    pact (not the bracketed "(ناتو)" after the alliance's full name). `following_mentioned`: the next word
    is a topic mention ("ناتو للعراق" is NATO for Iraq)."""
    if following in _PARTICLES:
        return False  # "وفد ناتو في أربيل": a preposition is no adjective (في ends in ي, إلى opens with ال)
    if word.endswith("ناتو") and word[:-4] in _INDEFINITE_CLITICS and prev not in _NATO_NAMES:
        # "ناتو النفط", "ناتو الخليج", "ناتو للطاقة": an indefinite NATO of a definite noun names another pact.
        if following.startswith("لل") and not following_mentioned:
            return True
        return following.endswith(("ي", "يه", "يا")) or following in _PACT_REGIONS or following.startswith("ال")
    return word == "الناتو" and following.startswith("ال") and following.endswith("ي") and len(following) > 4
