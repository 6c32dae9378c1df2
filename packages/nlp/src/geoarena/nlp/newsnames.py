"""Names that news text uses for places besides the places' own names, read from registry data.

* **Demonyms and adjectival forms** ("American", "Russian", "Palestinians"): countryinfo's
  per-country ``demonym`` field (MIT; the same countryinfo 1.0.1 wheel the gazetteer already
  reads for Factbook points and UN M49 regions), plus the regular English plural. A form shared
  by several countries or territories ("American": United States, Northern Mariana Islands;
  "French": France and five overseas territories) denotes the most populous of them.
* **US state demonyms** ("Texan", "Californians", "West Virginian"): the English demonym
  endings (:data:`DEMONYM_SUFFIXES`) after a state's name from the ``us`` package's table,
  kept where SCOWL's American English word list (Debian ``wamerican``) holds the derived word:
  the list says which of "Texan", "Texasan", "Texaser" English uses, nobody's corpus does.
  A form that is a country's demonym ("Georgian") stays the country's.
* **US state abbreviations**: AP style ("W.Va.", "S.C.", "Calif.") from the ``ap_abbr`` field of
  the ``us`` package's state table (``us==4.0.0``, BSD-3-Clause, Sunlight Labs), read from its
  ``us/states.py`` as data with :mod:`ast` — never imported (it would import jellyfish) — and
  postal codes ("WV", "SC") from GeoNames' US admin-1 codes, which are the postal codes; the
  older Government Printing Office forms AP does not use ("Tex.", "Kans.", "N.Mex.") from
  :data:`geoarena.nlp.aliases.TRADITIONAL_STATE_ABBREVIATIONS`, a table kept by hand.

Nothing here was chosen on a corpus: every form comes from the tables as published. The
gazetteer stores them as an alias table; :func:`alias_kind` and :func:`alias_candidates` read
it back for a name as written.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from geoarena.core.errors import DataError
from geoarena.nlp.aliases import TRADITIONAL_STATE_ABBREVIATIONS
from geoarena.nlp.normalize import normalize_name

if TYPE_CHECKING:  # the gazetteer's build reads this module
    from geoarena.nlp.gazetteer import Gazetteer, NameMatch

#: endings whose English plural is the word itself ("Chinese", "British", "French", "Swiss")
_NO_PLURAL_ENDINGS = ("ese", "sh", "tch", "nch", "ss", "x", "z")


def demonym_plural(word: str) -> str | None:
    """The regular English plural of a demonym ("Americans", "Iraqis"), ``None`` when the
    plural is the word itself or the word has several tokens ending in a plural-less one."""
    if not word or word.lower().endswith(_NO_PLURAL_ENDINGS):
        return None
    return word + "s"


def countryinfo_demonyms(folder: Path, population: dict[str, int]) -> dict[str, str]:
    """Demonym form → ISO2 of the most populous country carrying it (singular and plural),
    from countryinfo's per-country JSON files in ``folder``; countries not in ``population``
    (the gazetteer's own country table) are skipped."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise DataError("no country JSON files", folder)
    best: dict[str, tuple[int, str]] = {}
    for f in files:
        try:
            d = json.loads(f.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"not valid JSON ({exc})", f) from None
        iso = ((d.get("ISO") or {}).get("alpha2") or "") if isinstance(d, dict) else ""
        raw = d.get("demonym") if isinstance(d, dict) else None
        if not iso or iso not in population or not isinstance(raw, str):
            continue
        for form in raw.replace("/", ",").split(","):
            form = form.strip()
            if len(form) < 3:
                continue
            for variant in (form, demonym_plural(form)):
                if variant and best.get(variant, (-1, ""))[0] < population[iso]:
                    best[variant] = (population[iso], iso)
    return {form: iso for form, (_, iso) in best.items()}


#: English demonym endings, after a name or after the name less its last letter: Texas → Texan,
#: Virginia → Virginian, Ohio → Ohioan, Oregon → Oregonian, Kentucky → Kentuckian, Vermont →
#: Vermonter, Wisconsin → Wisconsinite, Michigan → Michigander
DEMONYM_SUFFIXES = ("n", "an", "ian", "er", "ite", "der")


def derived_demonyms(name: str, words: frozenset[str]) -> list[str]:
    """The demonyms of a place name that a :data:`DEMONYM_SUFFIXES` ending makes and the word
    list ``words`` holds, derived from the name's last word ("West Virginia" → "West
    Virginian"); names of more than two words have none ("District of Columbia")."""
    parts = name.split()
    if not parts or len(parts) > 2:
        return []
    *head, last = parts
    found = [
        " ".join([*head, stem + end])
        for stem in (last, last[:-1])
        for end in DEMONYM_SUFFIXES
        if stem + end in words and stem + end != last
    ]
    return list(dict.fromkeys(found))


def read_word_list(path: Path) -> frozenset[str]:
    """One word per line (``/usr/share/dict`` format), as written (case kept)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("word list is missing", path)
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip())


def common_word_names(norms: Iterable[str], word_list: Path | None) -> list[str]:
    """The one-word name keys that are also a lower-case English word of the word list
    ("orange", "mobile", "centre", "lakes", "capital"): written capitalised they open
    sentences and name firms, teams and regions of nowhere in particular, so the gazetteer
    matcher does not take them alone (spaCy's entities still can). The caller leaves out the
    names of countries and continents ("China", "Turkey", "Chad", "US"): news means those.
    Empty without a list."""
    if word_list is None:
        return []
    lower = {w for w in read_word_list(word_list) if w.islower()}
    return sorted({n for n in norms if " " not in n and n in lower})


def us_state_demonyms(states_py: Path, words: frozenset[str]) -> dict[str, str]:
    """Demonym form (singular and plural) → postal code, for the US states of the ``us``
    package's table (:func:`derived_demonyms` over ``words``)."""
    out: dict[str, str] = {}
    for fields in _state_literals(states_py):
        name, abbr = fields.get("name"), fields.get("abbr")
        if not isinstance(name, str) or not isinstance(abbr, str) or fields.get("is_territory"):
            continue
        for form in derived_demonyms(name, words):
            for variant in (form, demonym_plural(form)):
                if variant:
                    out[variant] = abbr
    return out


def _state_literals(states_py: Path) -> list[dict]:
    """The fields of every current ``State(**{...})`` literal in the ``us`` package's
    ``us/states.py`` (read with :mod:`ast`, never imported)."""
    path = Path(states_py)
    if not path.is_file():
        raise DataError("us package state table is missing", path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot parse the us state table ({exc})", path) from None
    out: list[dict] = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "State"
            and node.keywords
            and isinstance(node.keywords[0].value, ast.Dict)
        ):
            continue
        fields = {}
        for k, v in zip(node.keywords[0].value.keys, node.keywords[0].value.values):
            if isinstance(k, ast.Constant) and isinstance(v, ast.Constant):
                fields[k.value] = v.value
        if not fields.get("is_obsolete"):
            out.append(fields)
    return out


def us_state_abbreviations(states_py: Path) -> dict[str, str]:
    """AP-style abbreviation ("W.Va.") → postal code ("WV") from the ``us`` package's
    ``us/states.py``: every ``State(**{...})`` literal with an ``ap_abbr``."""
    out: dict[str, str] = {}
    for fields in _state_literals(states_py):
        ap, abbr = fields.get("ap_abbr"), fields.get("abbr")
        if isinstance(ap, str) and isinstance(abbr, str) and ap:
            out[ap] = abbr
    if not out:
        raise DataError("no State(...) entries with ap_abbr", states_py)
    return out


def news_alias_rows(
    countryinfo_dir: Path | None,
    us_states_py: Path | None,
    countries: dict,
    country_rowid: dict[str, int],
    admin1_rowid: dict[str, int],
    main_names: dict[str, int],
    word_list: Path | None = None,
) -> list[tuple[str, int, str]]:
    """The gazetteer store's ``alias_names`` rows ``(form, place rowid, kind)``: demonyms
    (normalised form, kind ``demonym``), US postal codes (``postal``) and AP-style
    abbreviations (``abbrev``, as written); with ``word_list``, US state demonyms (kind
    ``demonym``). A demonym that is the own name of another place in
    ``main_names`` (countryinfo gives "Djibouti" for Djibouti, whose capital has that name;
    "Somali" is an Ethiopian region) is left out: that place's own name wins over a demonym
    reading. The caller decides which places outrank a demonym (the build passes areas and
    large cities, not a hamlet called "Canadian")."""
    rows: list[tuple[str, int, str]] = []
    if countryinfo_dir is not None:
        pop = {c["iso"]: int(c.get("population") or 0) for c in countries.values()}
        pop = {cc: p for cc, p in pop.items() if cc in country_rowid}
        for form, cc in countryinfo_demonyms(countryinfo_dir, pop).items():
            norm = normalize_name(form)
            if main_names.get(norm, country_rowid[cc]) == country_rowid[cc]:
                rows.append((norm, country_rowid[cc], "demonym"))
    for code, rowid in admin1_rowid.items():
        cc, a1 = code.split(".", 1)
        if cc == "US" and len(a1) == 2 and a1.isalpha():
            rows.append((a1, rowid, "postal"))  # GeoNames' US admin-1 codes are postal codes
    if us_states_py is not None:
        for ap, postal in us_state_abbreviations(us_states_py).items():
            rowid = admin1_rowid.get(f"US.{postal}")
            if rowid is not None and "." in ap:  # "Texas" is the name itself
                rows.append((ap, rowid, "abbrev"))
        taken = {form for form, _, kind in rows if kind == "abbrev"}
        for form, postal in TRADITIONAL_STATE_ABBREVIATIONS.items():
            rowid = admin1_rowid.get(f"US.{postal}")
            if rowid is not None and form not in taken:
                rows.append((form, rowid, "abbrev"))
    if us_states_py is not None and word_list is not None:
        taken = {form for form, _, kind in rows if kind == "demonym"}
        for form, postal in us_state_demonyms(us_states_py, read_word_list(word_list)).items():
            norm, rowid = normalize_name(form), admin1_rowid.get(f"US.{postal}")
            if rowid is not None and norm not in taken and main_names.get(norm, rowid) == rowid:
                rows.append((norm, rowid, "demonym"))
    return rows


def alias_kind(gaz: Gazetteer, name: str) -> str:
    """``abbrev`` when ``name`` is a US state abbreviation as written ("W.Va.", "Calif." — also
    without its final dot, as NER spans end — or a postal code), ``demonym`` when it is a
    demonym or adjectival form ("Russian", "Americans"), else ``""``."""
    if gaz.lookup_abbreviation(name) or (
        not name.endswith(".") and gaz.lookup_abbreviation(name + ".")
    ):
        return "abbrev"
    return "demonym" if gaz.lookup_demonym(name) else ""


def alias_candidates(gaz: Gazetteer, name: str) -> list[NameMatch]:
    """The entity an abbreviation or demonym names (empty for other names). A demonym of a
    country also names an admin-1 area of another country that bears the country's name and
    has at least its population: "Georgian" is a citizen of Georgia or a resident of the US
    state, and context decides (Niger State, smaller than Niger, does not compete)."""
    kind = alias_kind(gaz, name)
    if kind == "abbrev":
        return list(gaz.lookup_abbreviation(name) or gaz.lookup_abbreviation(name + "."))
    if kind != "demonym":
        return []
    found = list(gaz.lookup_demonym(name))
    for c in [m.place for m in found if m.place.kind == "country"]:
        found += [
            m
            for m in gaz.lookup(c.name)
            if m.main
            and m.place.kind == "admin1"
            and m.place.country_code != c.country_code
            and m.place.population >= c.population
        ]
    return found
