"""Converters from a dataset's original files to canonical records, one list per split.

A converter takes the verified dataset folder and returns ``{split: [record, ...]}`` with splits
named ``train`` / ``validation`` / ``test``, prefixed by the subset when a dataset has several
(``mcqm_test``). Records are plain JSON-able dicts: the store caches them as JSONL, keyed by the
source checksums and the converter version, so any change to a converter's output must bump
``converter_version`` in the catalogue.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from partages_bench.errors import UserError

Record = dict[str, Any]
Splits = dict[str, list[Record]]

_MCQA_SPLITS = {"train": "train.json", "validation": "dev.json", "test": "test.json"}
_MCQA_LETTERS = ("a", "b", "c", "d", "e")


def convert_frenchmedmcqa(folder: Path) -> Splits:
    """FrenchMedMCQA ``corpus/{train,dev,test}.json`` (JSON arrays) to canonical MCQ records.

    Records keep ``id``, ``question``, ``options`` (the upstream ``answers``, letters a-e),
    ``correct_answers`` (sorted lower-case letters), ``nbr_correct_answers`` and
    ``subject_name``; ``type`` is dropped because the test file lacks it. ``train.json`` holds
    one exact duplicate record (same id, same content): only its first occurrence is kept, so
    train has 2,170 records instead of 2,171.
    """
    splits: Splits = {}
    for split, filename in _MCQA_SPLITS.items():
        items = json.loads((folder / "corpus" / filename).read_text(encoding="utf-8"))
        seen: set[str] = set()
        records: list[Record] = []
        for item in items:
            if item["id"] in seen:
                continue
            seen.add(item["id"])
            records.append(
                {
                    "id": item["id"],
                    "question": item["question"],
                    "options": {letter: item["answers"][letter] for letter in _MCQA_LETTERS},
                    "correct_answers": sorted(a.lower() for a in item["correct_answers"]),
                    "nbr_correct_answers": int(item["nbr_correct_answers"]),
                    "subject_name": item["subject_name"],
                }
            )
        splits[split] = records
    return splits


# MediQAl: canonical split name -> file in the hub layout (the catalogue declares these files).
MEDIQAL_FILES = {
    f"{exam}_{split}": f"{exam}/{split}.json"
    for exam in ("mcqu", "mcqm")
    for split in ("train", "validation", "test")
}


def _json_records(path: Path) -> list[Record]:
    """Records of a file holding one JSON array or JSON lines: the hub reads both from ``.json``
    files and the MediQAl card does not say which layout it uses."""
    text = path.read_text(encoding="utf-8")
    is_array = text.lstrip().startswith("[")
    chunks = [text] if is_array else text.splitlines()
    parsed: list[Any] = []
    for lines_before, chunk in enumerate(chunks):
        if not chunk.strip():
            continue
        try:
            parsed.append(json.loads(chunk))
        except json.JSONDecodeError as error:
            line = lines_before + error.lineno
            raise UserError(f"{path}: line {line}: invalid JSON ({error.msg})") from None
    return parsed[0] if is_array else parsed


def _answer_letters(value: object) -> list[str] | None:
    """Sorted lower-case letters of ``"A"``, ``"A,C"`` or ``"a, c"``; None if ``value`` is not
    a comma-separated list of option letters."""
    if not isinstance(value, str):
        return None
    letters = {part.strip().lower() for part in value.split(",") if part.strip()}
    if not letters or not letters <= set(_MCQA_LETTERS):
        return None
    return sorted(letters)


def convert_mediqal(folder: Path) -> Splits:
    """MediQAl ``{mcqu,mcqm}/{train,validation,test}.json`` to canonical MCQ records.

    Records keep ``id``, ``question``, ``clinical_case`` (None when absent or empty),
    ``options`` (upstream ``answer_a`` … ``answer_e``), ``correct_answers`` (sorted lower-case
    letters, from the comma-separated upstream string), ``medical_subject`` and
    ``question_type``; ``task`` is dropped (it repeats the subset). A record whose answer is
    not a list of letters A-E is a data error, never dropped silently.
    """
    splits: Splits = {}
    for split, relative in MEDIQAL_FILES.items():
        path = folder / relative
        records: list[Record] = []
        for item in _json_records(path):
            answers = _answer_letters(item.get("correct_answers"))
            if answers is None:
                raise UserError(
                    f"{path}: record {item.get('id')!r}: correct_answers "
                    f"{item.get('correct_answers')!r} holds no option letters A-E"
                )
            records.append(
                {
                    "id": item["id"],
                    "question": item["question"],
                    "clinical_case": (item.get("clinical_case") or "").strip() or None,
                    "options": {letter: item[f"answer_{letter}"] for letter in _MCQA_LETTERS},
                    "correct_answers": answers,
                    "medical_subject": item["medical_subject"],
                    "question_type": item["question_type"],
                }
            )
        splits[split] = records
    return splits


EDS_PSEUDO_FEWSHOT = 50
_EDS_PSEUDO_SEED = "eds_pseudo_synthetic"


def convert_eds_pseudo(folder: Path) -> Splits:
    """AP-HP's fictitious notes (``data/gen_dataset/train.jsonl``) to canonical notes.

    - 88 lines repeat an earlier record exactly (44 note ids): each note is kept once (929).
    - Spans are trimmed of surrounding whitespace (three DATE spans end with a space).
    - Mentions of one note with the same label and the same text are one entity (``entity_id``):
      upstream does not link mentions, and the same string twice is the same person or number.
    - Upstream has a single set: a seeded draw of 50 notes is the ``train`` split (few-shot
      examples only) and the other 879 are ``test``. ``templates.txt`` is not used (146 of its
      templates are notes of this file).
    """
    path = folder / "data" / "gen_dataset" / "train.jsonl"
    notes: dict[str, Record] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        item = json.loads(line)
        if item["note_id"] in notes:
            continue
        text = item["note_text"]
        entities, ids = [], {}
        for span in sorted(item["entities"], key=lambda e: e["start"]):
            start, end = span["start"], span["end"]
            surface = text[start:end]
            start += len(surface) - len(surface.lstrip())
            end -= len(surface) - len(surface.rstrip())
            if start >= end:
                raise UserError(f"{path} line {number}: empty span {span} in {item['note_id']}")
            key = (span["label"], text[start:end])
            ids.setdefault(key, f"{item['note_id']}:e{len(ids)}")
            entities.append(
                {
                    "start": start,
                    "end": end,
                    "label": span["label"],
                    "text": text[start:end],
                    "entity_id": ids[key],
                }
            )
        notes[item["note_id"]] = {"note_id": item["note_id"], "text": text, "entities": entities}
    ordered = sorted(notes)
    fewshot = set(random.Random(_EDS_PSEUDO_SEED).sample(ordered, EDS_PSEUDO_FEWSHOT))
    return {
        "train": [notes[k] for k in ordered if k in fewshot],
        "test": [notes[k] for k in ordered if k not in fewshot],
    }
