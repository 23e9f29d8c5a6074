"""``partages-bench score consultation --task NAME``: notes written elsewhere, scored exactly as
the task NAME scores a model's answer (its card's metrics).

Gold: the task's documents, one a line: a dialogue record as ``data export`` writes it
(``{"id", "transcript", …}``), with its ``facts`` or without them (then they are read from the
task folder's ``facts.jsonl``, by id). Predictions: ``{"id", "output": "<the note>"}``; a
missing or non-string output is one error naming the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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

FAMILY_NAME = "consultation"
DEFAULT_TASK = "labforsims2_note"


def consultation_card(task: str) -> TaskCard:
    from partages_bench.registry import Registry

    card = Registry.discover().card(task)
    if card.family != FAMILY_NAME:
        raise UserError(f"--task {task}: a {card.family} task, not a consultation one")
    return card


def score_consultation(
    task: str, gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """Gold documents and ``{id, output}`` predictions, scored like the task ``task``."""
    from partages_bench.report import metric_values
    from partages_bench.scoring import field, pair_located, scored_record

    from .facts import check_fact, task_facts
    from .scoring import note_stats

    card = consultation_card(task)
    folder = Path(card.path).parent
    records = []
    pairs = pair_located(gold_path, predictions_path, card.doc_id_field)
    for index, (key, (gold_where, gold), (where, prediction)) in enumerate(pairs):
        transcript = field(gold_where, gold, "transcript")
        if not isinstance(transcript, str):
            raise InputFileError(f"{gold_where}: transcript must be a string")
        if "facts" in gold:
            facts = gold["facts"]
            if not isinstance(facts, list):
                raise InputFileError(f"{gold_where}: facts must be a list")
            for fact in facts:
                check_fact(gold_where, fact)
        else:
            known = task_facts(str(folder))
            if key not in known:
                raise InputFileError(f"{gold_where}: no facts for '{key}' in the task's facts")
            facts = known[key]
        output = field(where, prediction, "output")
        if output is not None and not isinstance(output, str):
            raise InputFileError(f"{where}: output must be a string (the note)")
        records.append(
            scored_record(
                card,
                index,
                key,
                gold,
                note_stats(output, facts, transcript),
                output=output or "",
            )
        )
    return card, metric_values(card, records, bootstrap_iterations, seed)


def score_command(
    gold: gold_option("Gold: the task's documents (JSONL, as `data export` writes them)."),
    predictions: predictions_option("JSONL {id, output: the note}."),
    task: Annotated[
        str, typer.Option(help="The consultation task whose card gives the metrics.")
    ] = DEFAULT_TASK,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score consultation notes as a consultation task does: fact recall (per topic),
    contradictions, unsupported content, sections, length."""
    card, metrics = score_consultation(task, gold, predictions, bootstrap, seed)
    print_scores({card.name: metrics}, as_json)
