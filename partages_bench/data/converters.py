"""Converters from a dataset's original files to canonical records, one list per split.

A converter takes the verified dataset folder and returns ``{split: [record, ...]}`` with splits
named ``train`` / ``validation`` / ``test``. Records are plain JSON-able dicts: the store caches
them as JSONL, keyed by the source checksums and the converter version, so any change to a
converter's output must bump ``converter_version`` in the catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
