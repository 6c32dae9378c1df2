"""Choose the context resolver's weight of the admin-containment feature ("Charleston, W.Va.":
a candidate inside the area named right after the mention) on GeoVirus' TRAINING split (oracle
NER), validation printed as a check; the test split is never read here.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_containment.py``
"""

from __future__ import annotations

import dataclasses

from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_summary
from geoarena.nlp.gazetteer import Gazetteer
from geoarena.nlp.resolution import ContextResolver, ContextWeights

WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)


def score(gaz, docs, weights) -> dict[str, float]:
    return oracle_summary(ContextResolver(gaz, weights), docs, gaz)


def main() -> None:
    gaz = Gazetteer.open()
    splits = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    rows = []
    for w in WEIGHTS:
        cw = dataclasses.replace(ContextWeights(), contained=w)
        s = score(gaz, splits["train"], cw)
        rows.append((s["acc161"] - 0.1 * s["auc"], w))
        print(f"train contained={w:4}: acc161 {s['acc161']:.4f} auc {s['auc']:.4f}", flush=True)
    best = max(r[0] for r in rows)
    chosen = max(w for obj, w in rows if obj >= best - 0.002)  # ties: the stronger prior
    for split in ("train", "val"):
        s0 = score(gaz, splits[split], dataclasses.replace(ContextWeights(), contained=0.0))
        s1 = score(gaz, splits[split], dataclasses.replace(ContextWeights(), contained=chosen))
        print(
            f"{split}: without acc161 {s0['acc161']:.4f} auc {s0['auc']:.4f} | "
            f"contained={chosen} acc161 {s1['acc161']:.4f} auc {s1['auc']:.4f}"
        )
    print("CHOSEN contained =", chosen)


if __name__ == "__main__":
    main()
