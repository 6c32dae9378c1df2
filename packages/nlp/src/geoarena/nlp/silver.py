"""Silver-labelled resolution documents from a NER corpus, by distant supervision.

A NER corpus (CoNLL-2003: Reuters news, gold ``LOC`` spans, no coordinates) becomes training
documents for the learned ranker (:class:`~geoarena.nlp.resolution.LearnedRanker`) where the
writer qualified a place with its area: in "Paris, Texas" the qualifier says which Paris. Rules
(:func:`silver_document`):

* **qualified mention** — two gold spans ``X, Y`` (a comma and a space between them) where
  ``Y`` names a country or an admin-1 area (its main name, or a US state abbreviation such as
  "Ill." or "W.Va."), ``X`` has at least two candidates (:func:`~geoarena.nlp.candidates.
  generate_candidates`, exactly as the resolver sees them) and at least one of them lies
  inside ``Y`` and one outside. ``X``'s silver point is the most populous candidate inside
  ``Y`` that is of a lower level than ``Y`` (a city or admin-2 area in a state; also an admin-1
  area in a country). Names with one candidate carry no ranking signal and are skipped.
* **not a list** — a pair that belongs to a longer enumeration ("Lyon, Paris, Texas", "Texas,
  Oklahoma and Kansas": a gold span joined to the pair by a comma, "and" or "or") is skipped:
  there the comma separates items rather than qualifying one.
* **one sense per discourse** — every other mention of ``X``'s name in the document (compared
  by :func:`~geoarena.nlp.normalize.normalize_name`, as the resolver groups mentions) gets the
  same silver point; a name qualified twice into places more than 161 km apart is dropped.
* **the qualifier is masked** — the text ``", Y"`` of every used pair is cut from the document
  and ``Y``'s span dropped, so no resolver feature reads the qualifier that gave the label
  (``contained`` would copy it; ``ctx_admin1`` / ``ctx_country`` and the document focus would
  count it as context). Mentions of ``Y`` elsewhere in the document stay: they are ordinary
  context, as in any text.

Every other gold span stays as an unlabelled toponym (``nan`` coordinates): context for the
features, never a training row. Documents without a silver label are left out. The silver
points are gazetteer entities' own points, so the corpus convention is ``geonames``
(``conll-silver`` in :data:`~geoarena.nlp.conventions.CORPUS_CONVENTIONS`).

Command (counts of a file): ``python -m geoarena.nlp.silver FILE``.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from geoarena.nlp.candidates import generate_candidates
from geoarena.nlp.documents import Document, Toponym
from geoarena.nlp.gazetteer import Gazetteer, Place
from geoarena.nlp.geo_metrics import ACC_KM, haversine_km
from geoarena.nlp.normalize import normalize_name

#: ``Document.corpus`` of silver documents
SILVER_CORPUS = "conll-silver"
#: ``Toponym.label`` of a silver-labelled span
SILVER_LABEL = "silver"
#: the text between a place and its qualifier
QUALIFIER_GAP = ", "
#: the text that joins a gold span to a pair when the pair is part of an enumeration
LIST_GAPS = frozenset({", ", " and ", " or ", ", and ", ", or ", " & "})
#: how deep an area is: a label must be strictly deeper than its qualifier
_LEVEL = {"country": 0, "admin1": 1, "region": 1, "admin2": 2, "city": 2}


@dataclass(frozen=True)
class SilverLabel:
    """A qualified name's silver place, with the pair that gave it."""

    norm: str
    place: Place
    #: (index of the named span, index of the qualifier span) in the source document
    pair: tuple[int, int]


def qualifier_areas(gaz: Gazetteer, name: str) -> list[Place]:
    """The countries and admin-1 areas ``name`` names as a qualifier: under their main name,
    or as a US state abbreviation ("Ill.", "W.Va.", also written without its final dot)."""
    areas = [m.place for m in gaz.lookup(name) if m.main and m.place.kind in ("country", "admin1")]
    abbrev = gaz.lookup_abbreviation(name)
    if not abbrev and not name.endswith("."):
        abbrev = gaz.lookup_abbreviation(name + ".")
    return areas + [m.place for m in abbrev if m.place.kind in ("country", "admin1")]


def inside(place: Place, area: Place) -> bool:
    """``place`` lies in ``area`` (a country or an admin-1 area) and is of a lower level."""
    if _LEVEL.get(place.kind, -1) <= _LEVEL[area.kind]:
        return False
    if area.kind == "country":
        return place.country_code == area.country_code
    return bool(place.admin1_key) and place.admin1_key == area.admin1_key


def qualified_label(gaz: Gazetteer, name: str, qualifier: str, max_candidates: int = 40):
    """``(place, reason)``: the silver place of ``name`` qualified by ``qualifier``, or
    ``None`` and why not (``not-area``, ``unambiguous``, ``none-inside``, ``all-inside``)."""
    areas = qualifier_areas(gaz, qualifier)
    if not areas:
        return None, "not-area"
    cands = [m.place for m in generate_candidates(gaz, name, max_candidates)]
    if len(cands) < 2:
        return None, "unambiguous"
    within = [p for p in cands if any(inside(p, a) for a in areas)]
    if not within:
        return None, "none-inside"
    if len(within) == len(cands):
        return None, "all-inside"
    return max(within, key=lambda p: p.population), ""


def _gap(doc: Document, i: int, j: int) -> str:
    return doc.text[doc.toponyms[i].end : doc.toponyms[j].start]


def _in_list(doc: Document, i: int) -> bool:
    """The pair (``i``, ``i + 1``) is joined to a neighbouring gold span like a list item."""
    n = len(doc.toponyms)
    before = i > 0 and _gap(doc, i - 1, i) in LIST_GAPS
    after = i + 2 < n and _gap(doc, i + 1, i + 2) in LIST_GAPS
    return before or after


def find_labels(
    doc: Document, gaz: Gazetteer, stats: Counter | None = None, max_candidates: int = 40
) -> list[SilverLabel]:
    """The silver labels of ``doc`` (one per name; see the module docstring); ``stats``
    counts every qualified pair seen and why one was not used."""
    stats = Counter() if stats is None else stats
    found: dict[str, list[SilverLabel]] = {}
    tops = doc.toponyms
    for i in range(len(tops) - 1):
        if _gap(doc, i, i + 1) != QUALIFIER_GAP:
            continue
        stats["pairs"] += 1
        if _in_list(doc, i):
            stats["skip:list"] += 1
            continue
        place, why = qualified_label(gaz, tops[i].name, tops[i + 1].name, max_candidates)
        if place is None:
            stats[f"skip:{why}"] += 1
            continue
        norm = normalize_name(tops[i].name)
        found.setdefault(norm, []).append(SilverLabel(norm, place, (i, i + 1)))
    out = []
    for labs in found.values():
        first = labs[0].place
        far = [
            float(haversine_km(first.lat, first.lon, lab.place.lat, lab.place.lon)) > ACC_KM
            for lab in labs
        ]
        if any(far):
            stats["skip:conflict"] += len(labs)
            continue
        stats["labelled-pairs"] += len(labs)
        out.extend(labs)
    return out


def _cut(text: str, spans: Sequence[tuple[int, int]], cuts: Sequence[tuple[int, int]]):
    """``text`` without the ``cuts`` intervals, and ``spans`` moved accordingly (a span must
    not overlap a cut)."""
    cuts = sorted(cuts)
    parts, pos = [], 0
    for a, b in cuts:
        parts.append(text[pos:a])
        pos = b
    parts.append(text[pos:])

    def shift(x: int) -> int:
        return x - sum(b - a for a, b in cuts if b <= x)

    return "".join(parts), [(shift(s), shift(e)) for s, e in spans]


def silver_document(
    doc: Document, gaz: Gazetteer, stats: Counter | None = None, max_candidates: int = 40
) -> Document | None:
    """``doc`` with silver points on its qualified names (and their other mentions), the
    qualifiers masked out; ``None`` when no name could be labelled."""
    stats = Counter() if stats is None else stats
    labels = find_labels(doc, gaz, stats, max_candidates)
    if not labels:
        return None
    by_norm = {lab.norm: lab.place for lab in labels}
    dropped = {lab.pair[1] for lab in labels}
    cuts = [(doc.toponyms[lab.pair[0]].end, doc.toponyms[lab.pair[1]].end) for lab in labels]
    kept = [t for k, t in enumerate(doc.toponyms) if k not in dropped]
    text, spans = _cut(doc.text, [(t.start, t.end) for t in kept], cuts)
    tops = []
    for t, (s, e) in zip(kept, spans):
        place = by_norm.get(normalize_name(t.name))
        if place is None:
            tops.append(Toponym(t.name, s, e, label=t.label))
            continue
        tops.append(Toponym(t.name, s, e, place.lat, place.lon, place.geonameid, "", SILVER_LABEL))
        stats["silver-toponyms"] += 1
    stats["documents"] += 1
    stats["silver-names"] += len(by_norm)
    return Document(f"silver-{doc.doc_id}", text, tops, source=doc.source, corpus=SILVER_CORPUS)


def silver_documents(
    docs: Sequence[Document], gaz: Gazetteer, stats: Counter | None = None
) -> list[Document]:
    """The silver documents of ``docs`` (those with at least one label), in order."""
    out = [silver_document(d, gaz, stats) for d in docs]
    return [d for d in out if d is not None]


def read_conll_silver(
    path: str | Path, gaz: Gazetteer | None = None, stats: Counter | None = None
) -> list[Document]:
    """A CoNLL NER file (:func:`~geoarena.nlp.conll_ner.read_conll`) → silver documents
    (``gaz``: the default gazetteer, :meth:`Gazetteer.open`, when not given)."""
    from geoarena.nlp.conll_ner import read_conll

    return silver_documents(read_conll(path), gaz or Gazetteer.open(), stats)


def main(argv: Sequence[str]) -> int:
    """Print the silver counts of each CoNLL file in ``argv``."""
    for path in argv:
        stats: Counter = Counter()
        docs = read_conll_silver(path, stats=stats)
        n_top = sum(len(d.toponyms) for d in docs)
        unlabelled = sum(1 for d in docs for t in d.toponyms if math.isnan(t.lat))
        print(f"{path}: {len(docs)} silver documents, {n_top} gold spans ({unlabelled} unlabelled)")
        for k, v in sorted(stats.items()):
            print(f"  {k:16s} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
