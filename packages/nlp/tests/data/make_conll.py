"""Write tiny CoNLL NER files (the CoNLL-2003 column layout: token POS chunk tag) for the
``conll`` corpus reader: one in IOB2 and one in IOB1 with an OntoNotes-style GPE, a demonym
(MISC), an organisation, a two-token location and two adjacent locations.

Run: ``python packages/nlp/tests/data/make_conll.py OUT_DIR`` (the tests call ``write_conll``).
"""

from __future__ import annotations

import sys
from pathlib import Path

#: sentences as "token/TAG" words, per document — IOB2 (B- opens every entity)
IOB2_DOCS = [
    [
        "Flooding/O hit/O Paris/B-LOC ,/O Texas/B-LOC ,/O on/O Monday/O ;/O officials/O in/O "
        "Austin/B-LOC said/O ./O",
    ],
]

#: IOB1 (I- opens an entity; B- only between two adjacent entities of one type)
IOB1_DOCS = [
    [
        "French/I-MISC police/O in/O Lyon/I-LOC and/O the/O Rhone/I-LOC Valley/I-LOC (/O "
        "France/I-GPE )/O told/O Reuters/I-ORG ./O",
        "Chicago/I-LOC Springfield/B-LOC route/O closed/O",
    ],
    ["No/O places/O here/O ./O"],
]


def _lines(docs: list[list[str]]) -> str:
    out = []
    for doc in docs:
        out += ["-DOCSTART- -X- -X- O", ""]
        for sent in doc:
            for word in sent.split():
                tok, tag = word.rsplit("/", 1)
                out.append(f"{tok} NN O {tag}")
            out.append("")
    return "\n".join(out) + "\n"


def write_conll(folder: Path) -> dict[str, Path]:
    """``conll_iob2`` and ``conll_iob1`` files under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"conll_iob2": folder / "iob2.txt", "conll_iob1": folder / "iob1.txt"}
    paths["conll_iob2"].write_text(_lines(IOB2_DOCS), encoding="utf-8")
    paths["conll_iob1"].write_text(_lines(IOB1_DOCS), encoding="utf-8")
    return paths


if __name__ == "__main__":
    for name, path in write_conll(Path(sys.argv[1] if len(sys.argv) > 1 else ".")).items():
        print(name, path)
