"""``partages-bench score oncology --task NAME``: tumour records produced elsewhere, scored
exactly as the task NAME scores a model's answer (its card's fields and metrics, the per-site
breakdown included).

Gold: one document a line, as ``data generate-oncology`` writes them::

    {"id": "d1", "text": "…", "site": "breast", "document_type": "pathology",
     "record": {"er_percent": 90, "tnm_t": "T2", "rcp_decision": ["chirurgie"], "psa": null, …}}

Predictions: ``{"id": "d1", "record": {field: value}}`` (a system's record) or
``{"id": "d1", "output": "<the model's raw answer>"}``, read as a run reads them
(``OncologyFamily.replay_output``, then ``scoring.parse_answer``): an unreadable answer scores
every field unanswered and counts in ``unparsable_rate``.
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

from .card import FAMILY_NAME, OncologyCard, oncology_card

DEFAULT_TASK = "oncology_pathology_rcp"
_SCALARS = (str, int, float, type(None))


def check_gold(
    where: str, record: dict[str, Any], record_field: str, names: tuple[str, ...]
) -> None:
    """A gold document's record is ``{field: null | string | number | [string, …]}``."""
    from partages_bench.scoring import field

    block = field(where, record, record_field)
    if not isinstance(block, dict):
        raise InputFileError(f"{where}: {record_field} must be an object {{field: value}}")
    for name in names:
        value = block.get(name)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            continue
        if isinstance(value, bool) or not isinstance(value, _SCALARS):
            raise InputFileError(
                f"{where}: {record_field}.{name} must be null, a string, a number or a list of "
                "strings"
            )


def oncology_card_of(task: str) -> tuple[TaskCard, OncologyCard]:
    """The task's card and its oncology fields; a task of another family is refused."""
    from partages_bench.registry import Registry

    card = Registry.discover().card(task)
    if card.family != FAMILY_NAME:
        raise UserError(f"--task {task}: a {card.family} task, not an oncology one")
    return card, oncology_card(card)


def score_oncology(
    task: str, gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """Gold documents and ``{id, record}`` or ``{id, output}`` predictions, scored like the
    task ``task``."""
    from partages_bench.families import get_family
    from partages_bench.family import ReplayError
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_located, scored_record

    from .scoring import document_stats, form_of

    card, fields = oncology_card_of(task)
    family = get_family(FAMILY_NAME)
    form = form_of(fields)
    records = []
    pairs = pair_located(gold_path, predictions_path, card.doc_id_field)
    for index, (key, (gold_where, gold), (where, prediction)) in enumerate(pairs):
        check_gold(gold_where, gold, form.record_field, form.names)
        try:
            output = family.replay_output(card, gold, prediction)
        except ReplayError as exc:
            raise InputFileError(f"{where}: {exc}") from None
        records.append(
            scored_record(
                card,
                index,
                key,
                gold,
                document_stats(output, gold, form),
                output=output,
            )
        )
    return card, metric_values(card, records, bootstrap_iterations, seed)


def score_command(
    gold: gold_option("Gold: documents with their record (JSONL, as data generate-oncology)."),
    predictions: predictions_option(
        "JSONL {id, record: {field: value}} or {id, output: raw model text}."
    ),
    task: Annotated[
        str, typer.Option(help="The oncology task whose card gives fields and metrics.")
    ] = DEFAULT_TASK,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score tumour records as an oncology task does: per-field accuracy, field micro P/R/F1,
    hallucinated fields, unparsable answers, per cancer site."""
    card, metrics = score_oncology(task, gold, predictions, bootstrap, seed)
    print_scores({card.name: metrics}, as_json)
