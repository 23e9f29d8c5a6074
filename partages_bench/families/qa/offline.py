"""QA outside a run: ``partages-bench score qa`` (answers produced elsewhere, scored exactly as the
``frenchmedmcqa`` task scores them) and the chance baseline ``qa-random``.

Gold: FrenchMedMCQA's schema, one question a record::

    {"id": "q1", "question": "…", "answers": {"a": "…", …, "e": "…"},
     "correct_answers": ["a", "c"]}

Predictions: ``{"id": "q1", "output": "A, C"}`` (the raw text; unreadable text is a wrong
answer, counted in ``unparsable_rate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from partages_bench import option_types as checked
from partages_bench.cli_common import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    AsJson,
    Bootstrap,
    BootstrapSeed,
    console,
    gold_option,
    predictions_option,
    print_scores,
    text,
)
from partages_bench.inputs import InputFileError
from partages_bench.schema import MetricValue, TaskCard

from .scoring import parse_letters, random_answer, score_answer

# The card whose metrics offline scoring reports (every letter task shares them).
SCORED_LIKE = "frenchmedmcqa"
LETTERS = "abcde"
# The chance baseline's seed: its answers are the same in every run and file.
BASELINE_SEED = 0


def _gold_letters(where: str, record: dict[str, Any]) -> list[str]:
    from partages_bench.scoring import field

    letters = field(where, record, "correct_answers")
    if (
        not isinstance(letters, list)
        or not letters
        or not all(isinstance(x, str) and x.lower() in LETTERS and len(x) == 1 for x in letters)
    ):
        raise InputFileError(f"{where}: correct_answers must be a list of letters a-e")
    return letters


def score_qa(
    gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """FrenchMedMCQA-schema gold and ``{id, output}`` predictions, scored like ``frenchmedmcqa``."""
    from partages_bench.registry import Registry
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_predictions, scored_record

    card = Registry.discover().card(SCORED_LIKE)
    records = []
    for index, (key, gold, prediction) in enumerate(pair_predictions(gold_path, predictions_path)):
        letters = _gold_letters(f"{gold_path} id '{key}'", gold)
        output = prediction.get("output")
        output = "" if output is None else str(output)
        records.append(
            scored_record(
                card,
                index,
                key,
                gold,
                score_answer(parse_letters(output), letters),
                output=output,
                target=",".join(letters),
            )
        )
    return card, metric_values(card, records, bootstrap_iterations, seed)


def random_qa_predictions(gold_path: Path, seed: int) -> list[dict[str, str]]:
    """A chance-level system: a uniformly random non-empty answer set per question, seeded."""
    from partages_bench.scoring import by_id

    return [{"id": key, "output": random_answer(seed, key)} for key in by_id(gold_path, "id")]


def random_prediction(card: TaskCard, doc: Mapping[str, Any]) -> dict[str, str]:
    """The chance baseline's answer to one document of a task: a random non-empty letter set
    (the same as ``random_qa_predictions`` gives its question), or, for a task that scores the
    number of correct options (a ``count`` statistic), a random number of them."""
    key = str(doc.get(card.doc_id_field, ""))
    if any((metric.stat or name) == "count" for name, metric in card.metrics.items()):
        count = len(random_answer(BASELINE_SEED, key).split(","))
        return {"output": str(count)}
    return {"output": random_answer(BASELINE_SEED, key)}


def score_command(
    gold: gold_option("Gold questions: FrenchMedMCQA schema, JSON or JSONL."),
    predictions: predictions_option("JSONL of {id, output} (raw model text)."),
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score multiple-choice answers exactly as the frenchmedmcqa task does (EMR, Hamming…)."""
    card, metrics = score_qa(gold, predictions, bootstrap, seed)
    print_scores({card.name: metrics}, as_json)


def baseline_command(
    gold: gold_option("Gold questions: FrenchMedMCQA schema."),
    output: Annotated[Path, typer.Option(help="Where to write the {id, output} JSONL.")],
    seed: Annotated[
        int, typer.Option(help="Seed of the random answers.", callback=checked.SEED)
    ] = BASELINE_SEED,
) -> None:
    """Chance level: a uniformly random non-empty answer set per question."""
    from partages_bench.outputs import write_jsonl

    answers = random_qa_predictions(gold, seed)
    write_jsonl(answers, output)
    console().print(f"{len(answers)} random answers written to {text(output)}")
