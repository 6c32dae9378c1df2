"""Choose the context resolver's weight of a coherence feature on GeoVirus' TRAINING split
(oracle NER); validation printed as a check; the test split is never read here. Objective
acc@161 − 0.1 AUC; of the weights within 0.002 of the best, the strongest (as for
``contained`` and the focus weights).

* ``near``: the distance from a candidate to the nearest other name's current choice (beside
  ``spread``, the median distance); the weights are negative (closer is better);
* ``county_mate``: a town within a county the story names, or a county holding a town it
  names (:mod:`geoarena.nlp.county_mates`); the weights are positive.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_coherence_weights.py
--feature near|county_mate``
"""

from __future__ import annotations

import argparse
import dataclasses

from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.evaluation import oracle_summary
from geoarena.nlp.gazetteer import Gazetteer
from geoarena.nlp.resolution import ContextResolver, ContextWeights

GRIDS = {
    "near": (0.0, -0.5, -1.0, -2.0, -3.0, -4.0, -6.0),
    "county_mate": (0.0, 0.5, 1.0, 2.0, 3.0, 5.0),
}


def score(gaz, docs, weights) -> dict[str, float]:
    return oracle_summary(ContextResolver(gaz, weights), docs, gaz)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feature", choices=sorted(GRIDS), default="county_mate")
    feat = ap.parse_args().feature
    gaz = Gazetteer.open()
    splits = split_documents(read_geovirus(default_geovirus_path()), seed=0)

    def weights(w: float) -> ContextWeights:
        return dataclasses.replace(ContextWeights(), **{feat: w})

    rows = []
    for w in GRIDS[feat]:
        s = score(gaz, splits["train"], weights(w))
        rows.append((s["acc161"] - 0.1 * s["auc"], w))
        print(f"train {feat}={w:5}: acc161 {s['acc161']:.4f} auc {s['auc']:.4f}", flush=True)
    best = max(r[0] for r in rows)
    chosen = max((w for obj, w in rows if obj >= best - 0.002), key=abs)  # ties: the strongest
    for split in ("train", "val"):
        s0, s1 = score(gaz, splits[split], weights(0.0)), score(gaz, splits[split], weights(chosen))
        print(
            f"{split}: without acc161 {s0['acc161']:.4f} auc {s0['auc']:.4f} | "
            f"{feat}={chosen} acc161 {s1['acc161']:.4f} auc {s1['auc']:.4f}"
        )
    print(f"CHOSEN {feat} =", chosen)


if __name__ == "__main__":
    main()
