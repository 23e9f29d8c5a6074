"""CasiMedicos-Arg, French: the archive's ``FR/{train,dev,test}.tsv`` to canonical clinical-case
records (case, five options, the correct answer, the doctors' explanation, argument spans).

The mirror holds the upstream archive ``casimedicos-arg.tar.gz`` byte for byte (its sha256 is
pinned); the converter reads its three French members without extracting anything.

Upstream format: one token a line, ``TOKEN TAG [QUALITY]``, a blank line between sentences;
tags are IOB2 argument components (``B-Premise``, ``I-Premise``, ``B-Claim``, ``I-Claim``,
``O``). A document starts at a sentence whose first token is ``QUESTION`` and reads::

    QUESTION TYPE: <speciality>
    CLINICAL CASE:                       (or "CLINICAL CASE :")
    <case sentences, the question last>
    1- <option> … 5- <option>            (an option may run over several sentences)
    BONNE RÉPONSE : <n>                  (train, test; "CORRECT ANSWER : <n>" in dev;
                                          "RÉPONSE CORRECTE : <n>" in two train documents)
    <explanation sentences>

Text is rebuilt by joining a sentence's tokens with one space and sentences with one space
(punctuation is attached to its token upstream, except French-style " :", " ?", " ;", " %").

A canonical record (the first test document, texts cut)::

    {"id": "test-000", "speciality": "GÉNÉTIQUE ET IMMUNOLOGIE",
     "case": "Enfant de 2 ans. Ses antécédents personnels comprennent : 3 épisodes d'otite
              moyenne aiguë, … Quel est le diagnostic le plus probable ?",
     "options": {"1": "Syndrome de Wiskott-Aldrich.", "2": "Syndrome d'hyper IgE.",
                 "3": "Hypogammaglobulinémie transitoire du nourrisson.",
                 "4": "Déficit immunitaire combiné sévère lié à l'X.",
                 "5": "Déficit immunitaire commun variable."},
     "answer": "4",
     "explanation": "Pour répondre correctement à cette question, il convient de noter …",
     "premises": [{"part": "case", "start": 0, "end": 16, "text": "Enfant de 2 ans."}, …],
     "claims": [{"part": "option_1", "start": 0, "end": 28,
                 "text": "Syndrome de Wiskott-Aldrich."}, …,
                {"part": "explanation", "start": 354, "end": 663,
                 "text": "Toutes ces données, … décrivent un déficit immunitaire qui …"}, …]}

``id`` is ``<split>-<index>`` (document order in the file, three digits); ``answer`` is the key
of the correct option; each span's ``start``/``end`` are character offsets into its ``part``
(``case``, ``explanation``, or ``option_<n>``), and ``text`` is that slice. Splits: ``train``,
``validation`` (upstream ``dev``), ``test``. A document whose answer line is missing, or
names no option, is a data error naming the member and document (none in the pinned archive:
the MANIFEST's "2 train items have no readable answer line" are the two "RÉPONSE CORRECTE"
ones, and its "2 train items with 4 options" write "2 - " with a space: every document has
five options here).
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from partages_bench.errors import UserError

ARCHIVE = "casimedicos-arg.tar.gz"
_MEMBERS = {"train": "train", "validation": "dev", "test": "test"}
_HEADER = re.compile(r"^QUESTION TYPE\s*:\s*(?P<speciality>.*)$")
_CASE = re.compile(r"^CLINICAL CASE\s*:?$")
_OPTION = re.compile(r"^(?P<key>[1-9])\s*-\s*")
# The answer line: "BONNE RÉPONSE : 3" (train, test), "CORRECT ANSWER : 3" (dev), and
# "RÉPONSE CORRECTE : 3" (two train documents).
ANSWER_LINE = re.compile(
    r"^(?:BONNE RÉPONSE|CORRECT ANSWER|RÉPONSE CORRECTE)\s*:\s*(?P<key>\d+)\s*$"
)

Token = tuple[str, str]  # the token, its IOB2 tag
Sentence = list[Token]


@dataclass
class _Part:
    """One text of a record being rebuilt (the case, an option, the explanation) with the
    argument spans found in it."""

    name: str
    text: str = ""
    spans: list[dict[str, Any]] = field(default_factory=list)

    def add(self, sentence: Sentence, skip: int = 0) -> None:
        """Append a sentence (its first ``skip`` characters left out: an option's "2- "),
        opening or extending the spans its tags mark."""
        open_span: dict[str, Any] | None = None
        offset = 0
        for token, tag in sentence:
            start, offset = offset, offset + len(token) + 1
            kept = token[max(0, skip - start) :] if start < skip else token
            if not kept:
                continue
            if self.text:
                self.text += " "
            begin = len(self.text)
            self.text += kept
            kind = tag[2:] if tag[:2] in ("B-", "I-") else None
            if kind is None:
                open_span = None
            elif tag.startswith("B-") or open_span is None or open_span["kind"] != kind:
                open_span = {"kind": kind, "start": begin, "end": len(self.text)}
                self.spans.append(open_span)
            else:
                open_span["end"] = len(self.text)

    def components(self, kind: str) -> list[dict[str, Any]]:
        return [
            {
                "part": self.name,
                "start": span["start"],
                "end": span["end"],
                "text": self.text[span["start"] : span["end"]],
            }
            for span in self.spans
            if span["kind"] == kind
        ]


def _sentences(lines: list[str]) -> Iterator[Sentence]:
    sentence: Sentence = []
    for line in lines:
        fields = line.split()
        if not fields:
            if sentence:
                yield sentence
            sentence = []
            continue
        sentence.append((fields[0], fields[1] if len(fields) > 1 else "O"))
    if sentence:
        yield sentence


def _words(sentence: Sentence) -> str:
    return " ".join(token for token, _ in sentence)


def _documents(lines: list[str]) -> list[list[Sentence]]:
    documents: list[list[Sentence]] = []
    for sentence in _sentences(lines):
        if sentence[0][0] == "QUESTION" or not documents:
            documents.append([])
        documents[-1].append(sentence)
    return documents


def _record(where: str, doc_id: str, sentences: list[Sentence]) -> dict[str, Any]:
    header = _HEADER.match(_words(sentences[0]))
    if header is None:
        raise UserError(f"{where}: document {doc_id}: does not start with 'QUESTION TYPE:'")
    case, explanation = _Part("case"), _Part("explanation")
    options: dict[str, _Part] = {}
    answer: str | None = None
    current = case
    for sentence in sentences[1:]:
        words = _words(sentence)
        if answer is None and _CASE.match(words) and current is case and not case.text:
            continue
        found = ANSWER_LINE.match(words)
        if answer is None and found:
            answer, current = found.group("key"), explanation
            continue
        option = _OPTION.match(words)
        if answer is None and option and option.group("key") == str(len(options) + 1):
            key = option.group("key")
            current = options[key] = _Part(f"option_{key}")
            current.add(sentence, skip=option.end())
            continue
        current.add(sentence)
    if answer is None:
        raise UserError(f"{where}: document {doc_id}: no answer line ('BONNE RÉPONSE : <n>')")
    if answer not in options:
        raise UserError(
            f"{where}: document {doc_id}: the answer {answer} is not an option "
            f"({', '.join(options)})"
        )
    parts = [case, *options.values(), explanation]
    return {
        "id": doc_id,
        "speciality": header.group("speciality").strip(),
        "case": case.text,
        "options": {key: part.text for key, part in options.items()},
        "answer": answer,
        "explanation": explanation.text,
        "premises": [span for part in parts for span in part.components("Premise")],
        "claims": [span for part in parts for span in part.components("Claim")],
    }


def convert_casimedicos_fr(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The French documents of the archive, as canonical records per split (module doc)."""
    path = folder / ARCHIVE
    splits: dict[str, list[dict[str, Any]]] = {}
    try:
        with tarfile.open(path, "r:gz") as archive:
            for split, member_split in _MEMBERS.items():
                member = f"casimedicos-arg/FR/{member_split}.tsv"
                handle = archive.extractfile(member)
                if handle is None:
                    raise UserError(f"{path}: {member} is not a file")
                lines = handle.read().decode("utf-8").splitlines()
                splits[split] = [
                    _record(f"{path}: {member}", f"{split}-{index:03d}", sentences)
                    for index, sentences in enumerate(_documents(lines))
                ]
    except KeyError as error:
        raise UserError(f"{path}: no member {error}") from None
    except (tarfile.TarError, OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: unreadable archive ({error})") from None
    return splits
