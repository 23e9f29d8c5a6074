"""``partages-bench score structuring --task NAME``: fields produced elsewhere, scored exactly as
the task NAME scores a model's answer (its card's fields, rules and metrics, breakdowns
included).

Gold: the task's canonical records, one a line (what ``data export`` writes), e.g. for
``parhaf_scenario``::

    {"id": "r1", "text": "…", "speciality": "PNEUMOLOGIE",
     "scenario": {"age": {"text": "67 ans", "code": null},
                  "primary_diagnosis": {"text": "Pneumopathie", "code": "J18.9"}, …}}

Predictions: ``{"id": "r1", "fields": {"age": 67, "primary_diagnosis": {"code": "J18.9"}, …}}``
(a system's object) or ``{"id": "r1", "output": "<the model's raw answer>"}``, read as a run
reads them (``StructuringFamily.replay_output``, then ``scoring.parse_answer``): an unreadable
answer scores every field unanswered and counts in ``unparsable_rate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from partages_bench.cli_common import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    AsJson,
    Bootstrap,
    BootstrapSeed,
    gold_option,
    predictions_option,
    print_scores,
)
from partages_bench.errors import UserError
from partages_bench.inputs import InputFileError
from partages_bench.schema import MetricValue, TaskCard

from .card import FAMILY_NAME, StructuringCard, structuring_card

DEFAULT_TASK = "parhaf_scenario"


def _check_gold(
    where: str, record: dict[str, Any], record_field: str, names: tuple[str, ...]
) -> None:
    """A gold record's fields are ``{field: null | {"text": str | null, "code": str | null}}``."""
    from partages_bench.scoring import field

    block = field(where, record, record_field)
    if not isinstance(block, dict):
        raise InputFileError(f"{where}: {record_field} must be an object {{field: value}}")
    for name in names:
        value = block.get(name)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(
            isinstance(value.get(part), (str, type(None))) for part in ("text", "code")
        ):
            raise InputFileError(
                f"{where}: {record_field}.{name} must be null or {{text, code}} (strings or null)"
            )


def structuring_card_of(task: str) -> tuple[TaskCard, StructuringCard]:
    """The task's card and its structuring fields; a task of another family is refused."""
    from partages_bench.registry import Registry

    card = Registry.discover().card(task)
    if card.family != FAMILY_NAME:
        raise UserError(f"--task {task}: a {card.family} task, not a structuring one")
    return card, structuring_card(card)


def score_structuring(
    task: str, gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """Canonical gold records and ``{id, fields}`` or ``{id, output}`` predictions, scored
    like the task ``task``."""
    from partages_bench.families import get_family
    from partages_bench.family import ReplayError
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_located, scored_record

    from .scoring import Form, gold_values, parse_answer, score_fields

    card, fields = structuring_card_of(task)
    family = get_family(FAMILY_NAME)
    form = Form.of(fields)
    records = []
    pairs = pair_located(gold_path, predictions_path, card.doc_id_field)
    for index, (key, (gold_where, gold), (where, prediction)) in enumerate(pairs):
        _check_gold(gold_where, gold, form.record_field, form.names)
        try:
            output = family.replay_output(card, gold, prediction)
        except ReplayError as exc:
            raise InputFileError(f"{where}: {exc}") from None
        stats = score_fields(parse_answer(output, form.names), gold_values(gold, form), form)
        records.append(
            scored_record(
                card,
                index,
                key,
                gold,
                stats,
                output=output,
            )
        )
    return card, metric_values(card, records, bootstrap_iterations, seed)


def score_command(
    gold: gold_option("Gold: the task's canonical records (JSONL, as `data export` writes)."),
    predictions: predictions_option(
        "JSONL {id, fields: {field: value}} or {id, output: raw model text}."
    ),
    task: Annotated[
        str, typer.Option(help="The structuring task whose card gives fields and metrics.")
    ] = DEFAULT_TASK,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score structured fields as a structuring task does: per-field accuracy, code match,
    field-level micro P/R/F1, hallucinated fields, per speciality."""
    card, metrics = score_structuring(task, gold, predictions, bootstrap, seed)
    print_scores({card.name: metrics}, as_json)
