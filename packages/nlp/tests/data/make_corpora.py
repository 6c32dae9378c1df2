"""Tiny geoparsing and NER corpora in their real on-disk formats: GeoVirus / LGL / WikToR XML,
GeoWebNews brat (text + annotation) and a custom-label NER JSON. Values are real-world
coordinates, rounded; the sets are tiny on purpose.

Part of the NLP test fixtures: ``make_data.py`` calls these (``make_all``)."""

from __future__ import annotations

import json
from pathlib import Path

GEOVIRUS_TEXT_1 = "Flooding hit Paris in Texas, United States, on Monday; officials in Austin said."
GEOVIRUS_TEXT_2 = "Paris and Lyon in France reported cases; the U.S. sent aid."


def _loc(name: str, text: str, lat: float, lon: float, alt: str = "", occurrence: int = 0) -> str:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(name, start + 1)
    alt_xml = f"<altName>{alt}</altName>" if alt else ""
    # GeoVirus offsets are one higher than Python's
    return (
        f"<location><name>{name}</name><start>{start + 1}</start><end>{start + len(name) + 1}</end>"
        f"<lat>{lat}</lat><lon>{lon}</lon><page>https://en.wikipedia.org/wiki/{name}</page>{alt_xml}</location>"
    )


def geovirus_xml() -> str:
    t1, t2 = GEOVIRUS_TEXT_1, GEOVIRUS_TEXT_2
    locs1 = [
        _loc("Paris", t1, 33.66, -95.55),
        _loc("Texas", t1, 31.0, -100.0),
        _loc("United States", t1, 40.0, -100.0),
        _loc("Austin", t1, 30.27, -97.74),
    ]
    locs2 = [
        _loc("Paris", t2, 48.86, 2.35),
        _loc("Lyon", t2, 45.76, 4.84),
        _loc("France", t2, 46.0, 2.0),
        _loc("U.S.", t2, 40.0, -100.0, alt="United States"),
    ]
    # the real file's quirks: a doubled <location> wrapping two locations, and a commented-out article
    doubled = "<location>" + locs2[0] + locs2[1] + "</location>"
    return (
        "<articles>\n"
        f"<article><source>https://en.wikinews.org/wiki/A</source><text>{t1}</text><locations>{''.join(locs1)}"
        "</locations></article>\n"
        f"<article><source>https://en.wikinews.org/wiki/B</source><text>{t2}</text><locations>{doubled}"
        f"{''.join(locs2[2:])}</locations></article>\n"
        "</articles>\n<!--<article>--><!--<text></text>--><!--</article>-->\n"
    )


def lgl_xml() -> str:
    text = "Residents of Springfield, Illinois met in Chicago."
    tops = []
    for name, lat, lon, gid in (
        ("Springfield", 39.80, -89.64, 4250542),
        ("Illinois", 40.0, -89.0, 4896861),
        ("Chicago", 41.85, -87.65, 4887398),
    ):
        s = text.index(name)
        tops.append(
            f'<toponym><start>{s}</start><end>{s + len(name)}</end><gaztag geonameid="{gid}">'
            f"<name>{name}</name><fclass>P</fclass><fcode>PPLA</fcode><lat>{lat}</lat><lon>{lon}</lon>"
            f"<country>US</country><admin1>IL</admin1></gaztag><phrase>{name}</phrase></toponym>"
        )
    s = text.index("Residents")
    return (
        f'<articles><article docid="38765806"><domain>sj-r.com</domain><url>http://x</url>'
        f"<title>t</title><text>{text}</text><toponyms>{''.join(tops)}"
        f"<toponym><start>{s}</start><end>{s + 9}</end><phrase>Residents</phrase></toponym>"
        "</toponyms></article></articles>\n"
    )


def wiktor_xml() -> str:
    text = "Lyon is a city in France. Lyon lies on the Rhone."
    idx = "".join(
        f"<toponym><start>{i}</start><end>{i + 4}</end></toponym>"
        for i in (0, text.index("Lyon", 1))
    )
    return (
        f'<articles><article number="1"><pageTitle>Lyon</pageTitle><toponymName>Lyon</toponymName>'
        f"<lat>45.76</lat><lon>4.84</lon><url>https://en.wikipedia.org/wiki/Lyon</url><text>{text}</text>"
        f"<toponymIndices>{idx}</toponymIndices></article></articles>\n"
    )


def geowebnews(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = (
        "TITLE: Visit LINK: http://www.12news.com/article/1\n"
        "British officials visited Paris and London."
    )
    (folder / "0.txt").write_text(text, encoding="utf-8")
    p, lo, b = text.index("Paris"), text.index("London"), text.index("British")
    (folder / "0.ann").write_text(
        f"T1\tLiteral {p} {p + 5}\tParis\n#1\tAnnotatorNotes T1\t48.8566,2.3522\n"
        f"T2\tLiteral {lo} {lo + 6}\tLondon\n#2\tAnnotatorNotes T2\thttp://www.geonames.org/2643743\n"
        f"T3\tDemonym {b} {b + 7}\tBritish\n",
        encoding="utf-8",
    )


NER_EXAMPLES = [
    (
        "Aid reached the Dadaab camp near the Tana River after floods in Garissa County.",
        [("Dadaab camp", "CAMP"), ("Tana River", "RIVER"), ("Garissa County", "DISASTER_AREA")],
    ),
    (
        "Cholera spread from Kutupalong camp along the Naf River into Cox's Bazar district.",
        [
            ("Kutupalong camp", "CAMP"),
            ("Naf River", "RIVER"),
            ("Cox's Bazar district", "DISASTER_AREA"),
        ],
    ),
    (
        "Families left Zaatari camp while the Jordan River flooded the Ghor valley.",
        [("Zaatari camp", "CAMP"), ("Jordan River", "RIVER"), ("Ghor valley", "DISASTER_AREA")],
    ),
    (
        "The Niger River burst its banks and Minawao camp took in people from Maiduguri region.",
        [("Niger River", "RIVER"), ("Minawao camp", "CAMP"), ("Maiduguri region", "DISASTER_AREA")],
    ),
]


def geo_ner_json(folder: Path) -> Path:
    """Annotated JSON with custom labels (the same examples in every split: a memorisation check)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = []
    for i, (text, ents) in enumerate(NER_EXAMPLES):
        spans = [[text.index(s), text.index(s) + len(s), label] for s, label in ents]
        data.append({"id": f"ex{i}", "text": text, "entities": sorted(spans)})
    for split in ("train", "val", "test"):
        (folder / f"{split}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder
