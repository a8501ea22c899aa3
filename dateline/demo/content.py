"""Original demo stories in the shape of the model page: headline, time, dateline, paragraphs
with quotations, byline. Invented people and places' events; no real reporting is copied."""

from __future__ import annotations

from typing import Any

SECTIONS = [
    ("World", "world", "Reports from our correspondents and the wires."),
    ("Economy", "economy", "Markets, trade, farming and work."),
    ("Culture", "culture", "Books, music, heritage and the arts."),
    ("العربية", "arabic", "أخبار باللغة العربية."),
]

AUTHORS = [
    (
        "Layla Haddad",
        "Basra correspondent",
        "Layla covers the south: water, ports and the people who work them.",
    ),
    ("Omar Saleh", "Economy editor", "Omar has reported on trade and farming for twelve years."),
    (
        "Nour Kareem",
        "Culture writer",
        "Nour writes about books, music and the restoration of old cities.",
    ),
    ("سارة الجبوري", "مراسلة بغداد", "تغطي سارة الشؤون المحلية والثقافية في بغداد."),
]

# (section slug, headline, standfirst, place, source, hours ago, body, bylines, tags, image colour,
#  language). Body items: ("p", text), ("q", quotation, speaker, role) or
#  ("img", caption, credit, colour).
Colour = tuple[int, int, int]
Story = tuple[
    str, str, str, str, str, int, list[tuple[Any, ...]], list[str], list[str], Colour, str
]

STORIES: list[Story] = [
    (
        "world",
        "River authority opens a second pumping station on the Shatt al-Arab",
        "The station is meant to keep salt water out of farm canals during the dry months.",
        "Basra",
        "Dateline Wire",
        3,
        [
            (
                "p",
                "The regional water authority said on Monday that a second pumping station had started work on the lower river, two years after construction began.",
            ),
            (
                "p",
                "Engineers said the station can move enough fresh water into the canal network to hold back the tide of salt water that creeps upstream each summer.",
            ),
            (
                "q",
                "We cannot stop the sea, but we can give the farmers a season they can plan for.",
                "Hadi Nasser",
                "chief engineer of the water authority",
            ),
            (
                "p",
                "Farmers' unions welcomed the opening but asked for a public timetable of pumping hours, saying earlier promises had not been kept.",
            ),
            (
                "q",
                "Show us the schedule on paper and we will believe it.",
                "Karim Abbas",
                "head of a local farmers' union",
            ),
        ],
        ["Layla Haddad"],
        ["water", "Basra", "farming"],
        (31, 97, 141),
        "en",
    ),
    (
        "world",
        "Border crossing reopens to lorries after three-week closure",
        "",
        "Safwan",
        "Dateline Wire",
        9,
        [
            (
                "p",
                "The crossing reopened to commercial traffic at dawn, officials said, after repairs to the inspection lanes were finished ahead of schedule.",
            ),
            (
                "p",
                "Drivers who had waited in a line stretching several kilometres said they were relieved but tired.",
            ),
            (
                "q",
                "Three weeks in the cab is a long time. I am glad to be moving.",
                "Salim Yousef",
                "lorry driver",
            ),
        ],
        ["Layla Haddad", "Guest: Ahmed Rasool"],
        ["trade", "transport"],
        (120, 72, 40),
        "en",
    ),
    (
        "economy",
        "Date growers report their best harvest in a decade",
        "Cooler nights and new irrigation helped, growers say — but prices are falling.",
        "Karbala",
        "Dateline Staff",
        26,
        [
            (
                "p",
                "Growers in the province say the harvest is the largest they can remember, with some orchards picking a third more fruit than last year.",
            ),
            (
                "q",
                "The trees were thirsty for years. This year we could finally give them water on time.",
                "Fatima Jawad",
                "orchard owner",
            ),
            (
                "p",
                "Traders warned that the surplus was already pushing wholesale prices down, and called for more cold storage so fruit could be sold through the winter.",
            ),
            (
                "p",
                "The agriculture ministry said it would publish export figures at the end of the month.",
            ),
        ],
        ["Omar Saleh"],
        ["farming", "exports"],
        (150, 110, 30),
        "en",
    ),
    (
        "economy",
        "Small businesses queue for new electronic payment terminals",
        "A bank scheme offers terminals free for the first year.",
        "Erbil",
        "Dateline Wire",
        50,
        [
            (
                "p",
                "Shop owners lined up outside two bank branches to sign up for card terminals offered without rental fees for twelve months.",
            ),
            (
                "q",
                "Half my customers ask if they can pay by card. Now I can say yes.",
                "Rana Aziz",
                "pharmacy owner",
            ),
            (
                "p",
                "The bank said it had received more than four thousand applications in the first week.",
            ),
        ],
        ["Omar Saleh"],
        ["banking", "small business"],
        (40, 120, 90),
        "en",
    ),
    (
        "culture",
        "Old-city bookshop reopens after a two-year restoration",
        "Its owners saved the carved wooden shelves; the roof had to be rebuilt from scratch.",
        "Mosul",
        "Dateline Staff",
        30,
        [
            (
                "p",
                "The bookshop, which has traded on the same street for three generations, opened its doors again on Thursday to a queue of readers.",
            ),
            (
                "p",
                "Restorers rebuilt the roof and repaired the shelves by hand, matching the old carving with timber from a local workshop.",
            ),
            (
                "img",
                "The restored reading room, with its original shelves.",
                "Dateline illustration",
                (130, 90, 60),
            ),
            (
                "q",
                "People kept stopping by during the work to ask when they could come back. Today they came.",
                "Yusuf Khalil",
                "the shop's owner",
            ),
        ],
        ["Nour Kareem"],
        ["books", "heritage", "Mosul"],
        (110, 60, 120),
        "en",
    ),
    (
        "culture",
        "Youth orchestra plays its first concert in the restored theatre",
        "",
        "Baghdad",
        "Dateline Staff",
        75,
        [
            (
                "p",
                "Sixty young musicians played to a full house in the restored national theatre on Saturday night.",
            ),
            (
                "q",
                "For some of them it was the first time on a real stage.",
                "Mariam Taha",
                "the orchestra's conductor",
            ),
            ("p", "The orchestra plans a tour of four cities in the spring."),
        ],
        ["Nour Kareem"],
        ["music", "Baghdad"],
        (60, 60, 70),
        "en",
    ),
    (
        "arabic",
        "افتتاح معرض للكتاب في بغداد بمشاركة مئة دار نشر",
        "يستمر المعرض عشرة أيام ويضم ندوات للقراءة للأطفال.",
        "بغداد",
        "وكالة أخبار دايتلاين",
        6,
        [
            (
                "p",
                "افتتح صباح اليوم معرض للكتاب في بغداد بمشاركة أكثر من مئة دار نشر محلية وعربية.",
            ),
            (
                "q",
                "نريد أن يجد كل قارئ كتاباً يناسبه، صغيراً كان أم كبيراً.",
                "علي حسن",
                "مدير المعرض",
            ),
            ("p", "وقال منظمون إن المعرض سيستقبل الزوار يومياً حتى ساعة متأخرة من المساء."),
        ],
        ["سارة الجبوري"],
        ["كتب", "بغداد"],
        (20, 90, 80),
        "ar",
    ),
]

# The lead pictures' credit line, in each story's language.
IMAGE_CREDIT = {"en": "Dateline illustration", "ar": "رسم توضيحي من دايتلاين"}

CORRECTION = (
    "Date growers report their best harvest in a decade",
    "An earlier version of this story gave the wrong province for one of the orchards quoted.",
)
