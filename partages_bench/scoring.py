"""Offline scoring: outputs produced elsewhere, scored with the same code and metrics as a run.
What every family's ``score`` command shares: reading a gold file and a predictions file and
pairing their records by id; each family's reader is its ``offline`` module.

Input files are JSON arrays or JSON lines. Every problem with them is a ``UserError`` naming the
file, the line or record, and the field; a model's malformed answer is never a problem, only a
wrong answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .inputs import InputFileError, read_records

if TYPE_CHECKING:
    from .schema import SampleRecord, TaskCard


def field(where: str, record: dict[str, Any], name: str) -> Any:
    if name not in record:
        raise InputFileError(f"{where}: missing field '{name}'")
    return record[name]


def entity_list(where: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    entities = field(where, record, "entities")
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise InputFileError(f"{where}: entities must be a list of objects")
    return entities


def by_id(path: Path, id_field: str) -> dict[str, tuple[str, dict[str, Any]]]:
    indexed: dict[str, tuple[str, dict[str, Any]]] = {}
    for where, record in read_records(path):
        key = str(field(where, record, id_field))
        if key in indexed:
            raise InputFileError(f"{where}: {id_field} '{key}' appears twice")
        indexed[key] = (where, record)
    if not indexed:
        raise InputFileError(f"{path}: no records")
    return indexed


Located = tuple[str, dict[str, Any]]  # where a record is (file line N), and the record


def pair_located(
    gold_path: Path, predictions_path: Path, id_field: str = "id"
) -> list[tuple[str, Located, Located]]:
    """(id, gold, prediction) in gold order, each record with where it is (for errors naming a
    file line); every id must be on both sides."""
    gold = by_id(gold_path, id_field)
    predictions = by_id(predictions_path, id_field)
    for key, (where, _) in predictions.items():
        if key not in gold:
            raise InputFileError(f"{where}: {id_field} '{key}' is not in {gold_path}")
    missing = [key for key in gold if key not in predictions]
    if missing:
        raise InputFileError(
            f"{predictions_path}: no prediction for {len(missing)} of {len(gold)} gold records "
            f"(first: {id_field} '{missing[0]}')"
        )
    return [(key, located, predictions[key]) for key, located in gold.items()]


def pair_predictions(
    gold_path: Path, predictions_path: Path, id_field: str = "id"
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, gold record, prediction record) in gold order; every id must be on both sides."""
    return [
        (key, gold, prediction)
        for key, (_, gold), (_, prediction) in pair_located(gold_path, predictions_path, id_field)
    ]


def scored_record(
    card: TaskCard,
    index: int,
    key: str,
    gold: dict[str, Any],
    stats: dict[str, float],
    output: str = "",
    target: str = "",
) -> SampleRecord:
    """One scored document of a ``score`` command, as a run logs it: no prompt, the output and
    target the family shows, its statistics, and the card's breakdown fields read from the gold
    record (so ``score`` breaks the metrics down as a run does)."""
    from .schema import SampleRecord

    groups = {name: str(gold.get(name)) for name in card.breakdown}
    return SampleRecord(
        doc_index=index,
        doc_id=key,
        prompt="",
        output=output,
        target=target,
        stats=stats,
        groups=groups,
    )
