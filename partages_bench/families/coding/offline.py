"""``partages-bench score coding [--task cim10_discharge]``: codes produced elsewhere, scored
exactly as the task scores a model's answer (its card's metrics, breakdowns included).

Gold, one a line (what ``data generate-coding`` writes, or a user's own annotated stays):
``{"doc_id": "s1", "codes": ["I50.0", "I10"], "distractors": [{"code": "I26.9", "kind":
"negated"}]}`` — ``codes`` principal first, each a valid CIM-10 code
(``cim10.is_valid``); ``distractors`` optional. Predictions: ``{"doc_id": "s1", "codes": […]}``
(a system's list) or ``{"doc_id": "s1", "output": "<the model's raw answer>"}``, read as a run
reads them (``CodingFamily.replay_output``, then ``scoring.parse_codes``): an unreadable answer
predicts no code and counts in ``unparsable_rate``.
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

FAMILY_NAME = "coding"  # the descriptor's name (not imported from it: no import cycle)
DEFAULT_TASK = "cim10_discharge"


def check_gold(where: str, record: dict[str, Any]) -> None:
    """A gold record's ``codes`` are a non-empty list of valid CIM-10 codes; its optional
    ``distractors`` a list of ``{code, kind}`` objects with a valid code."""
    from partages_bench.scoring import field

    from .cim10 import is_valid, normalise

    codes = field(where, record, "codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise InputFileError(f"{where}: codes must be a non-empty list of strings")
    distractors = record.get("distractors") or []
    if not isinstance(distractors, list) or not all(
        isinstance(item, dict) and isinstance(item.get("code"), str) for item in distractors
    ):
        raise InputFileError(f"{where}: distractors must be a list of {{code, kind}} objects")
    for code in [*codes, *(item["code"] for item in distractors)]:
        if not is_valid(normalise(code)):
            raise InputFileError(f"{where}: {code!r} is not a CIM-10 code")


def coding_card(task: str) -> TaskCard:
    from partages_bench.registry import Registry

    card = Registry.discover().card(task)
    if card.family != FAMILY_NAME:
        raise UserError(f"--task {task}: a {card.family} task, not a coding one")
    return card


def score_coding(
    task: str, gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """Gold records and ``{doc_id, codes}`` or ``{doc_id, output}`` predictions, scored like
    the task ``task``."""
    from partages_bench.families import get_family
    from partages_bench.family import ReplayError
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_located, scored_record

    from .scoring import gold_codes, parse_codes, score_codes

    card = coding_card(task)
    family = get_family(FAMILY_NAME)
    records = []
    pairs = pair_located(gold_path, predictions_path, card.doc_id_field)
    for index, (key, (gold_where, gold), (where, prediction)) in enumerate(pairs):
        check_gold(gold_where, gold)
        try:
            output = family.replay_output(card, gold, prediction)
        except ReplayError as exc:
            raise InputFileError(f"{where}: {exc}") from None
        codes, distractors = gold_codes(gold)
        records.append(
            scored_record(
                card,
                index,
                key,
                gold,
                score_codes(parse_codes(output), codes, distractors),
                output=output,
            )
        )
    return card, metric_values(card, records, bootstrap_iterations, seed)


def score_command(
    gold: gold_option("Gold: JSONL {doc_id, codes: [principal, …], distractors?}."),
    predictions: predictions_option("JSONL {doc_id, codes: [...]} or {doc_id, output: raw text}."),
    task: Annotated[
        str, typer.Option(help="The coding task whose card gives the metrics.")
    ] = DEFAULT_TASK,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score CIM-10 codes as a coding task does: principal accuracy, code and category
    P/R/F1, invalid, hallucinated and negated-finding codes, per chapter."""
    card, metrics = score_coding(task, gold, predictions, bootstrap, seed)
    print_scores({card.name: metrics}, as_json)
