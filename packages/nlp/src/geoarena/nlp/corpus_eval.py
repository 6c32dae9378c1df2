"""Corpus-agnostic evaluation of a geoparser: any corpus a reader knows, with gold toponyms
(resolution only) and end to end, timed. Used by ``tools/geoparse.py --eval``."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from geoarena.nlp.conventions import convention_of, corpus_id_points
from geoarena.nlp.corpora import Document
from geoarena.nlp.evaluation import kind_breakdown, oracle_mentions, score_document, summarize


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
    t0 = time.perf_counter()
    if oracle:
        resolved = [parser.resolver.resolve(d.text, oracle_mentions(d)) for d in docs]
    else:
        resolved = parser.parse_many([d.text for d in docs])
    seconds = time.perf_counter() - t0
    id_points = corpus_id_points(docs)
    scores = [
        score_document(d, r, parser.gaz, not oracle, id_points) for d, r in zip(docs, resolved)
    ]
    conv = convention_of(docs[0].corpus if docs else "")
    notes = [
        f"point convention: {conv.points}; demonyms annotated: {conv.annotates_demonyms}",
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
    if rep.setting == "end to end":
        for label, suffix in (("geotagged gold", ""), ("all gold", "_all")):
            parts = []
            for mode in ("exact", "overlap"):
                p, r, f = (m[f"rec_{k}_{mode}{suffix}"] for k in ("precision", "recall", "f1"))
                parts.append(f"{mode} P {p:.3f} R {r:.3f} F1 {f:.3f}")
            lines.append(f"recognition vs {label}: " + " | ".join(parts))
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
    d = rep.as_dict()
    lines.append(
        f"throughput {d['docs_per_s']:.1f} docs/s, {d['chars_per_s'] / 1000:.1f} k chars/s "
        f"({rep.seconds:.2f} s)"
    )
    return "\n".join(lines)
