"""The gold facts of a consultation task's documents: carried by the record (``facts``), or
read from the ``facts.jsonl`` beside the task's YAML (``{"id", "facts": [fact, …]}`` a line),
which is how LabForSims2's derived facts (CC BY-SA 4.0) join the dialogues."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from partages_bench.errors import UserError

from .scoring import POLARITIES, TOPICS

FACTS_FILE = "facts.jsonl"
_FACT_FIELDS = ("id", "topic", "text", "polarity", "forms")


def check_fact(where: str, fact: Any) -> None:
    """One line naming the field when a fact is not ``{id, topic, text, polarity, forms:
    [[form, …], …], negated_forms?: [form, …]}`` with a known topic and polarity."""
    if not isinstance(fact, dict):
        raise UserError(f"{where}: a fact must be an object")
    for name in _FACT_FIELDS:
        if name not in fact:
            raise UserError(f"{where}: fact {fact.get('id')!r} has no field '{name}'")
    if fact["topic"] not in TOPICS:
        raise UserError(f"{where}: fact {fact['id']!r}: topic {fact['topic']!r} not in {TOPICS}")
    if fact["polarity"] not in POLARITIES:
        raise UserError(f"{where}: fact {fact['id']!r}: polarity must be one of {POLARITIES}")
    forms = fact["forms"]
    if (
        not isinstance(forms, list)
        or not forms
        or not all(isinstance(part, list) and part for part in forms)
        or not all(isinstance(form, str) and form.strip() for part in forms for form in part)
    ):
        raise UserError(f"{where}: fact {fact['id']!r}: forms must be non-empty lists of strings")
    negated = fact.get("negated_forms", [])
    if not isinstance(negated, list) or not all(isinstance(form, str) for form in negated):
        raise UserError(f"{where}: fact {fact['id']!r}: negated_forms must be a list of strings")


@cache
def task_facts(folder: str) -> dict[str, list[dict[str, Any]]]:
    """``facts.jsonl`` of a task folder: document id → its facts, each checked."""
    path = Path(folder) / FACTS_FILE
    if not path.is_file():
        raise UserError(f"{path}: no such file (the task's derived facts)")
    found: dict[str, list[dict[str, Any]]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("facts"), list):
            raise UserError(f"{where}: expected {{id, facts: [fact, …]}}")
        for fact in row["facts"]:
            check_fact(where, fact)
        found[str(row.get("id"))] = row["facts"]
    return found


def with_facts(records: Sequence[Mapping[str, Any]], folder: Path) -> list[dict[str, Any]]:
    """The records with their ``facts`` from the task folder's file (a record without facts
    there is an error naming it)."""
    facts = task_facts(str(folder))
    out = []
    for record in records:
        if record["id"] not in facts:
            raise UserError(f"{folder / FACTS_FILE}: no facts for document '{record['id']}'")
        out.append({**record, "facts": facts[record["id"]]})
    return out
