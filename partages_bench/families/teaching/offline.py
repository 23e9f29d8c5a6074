"""Teaching outside a run: ``partages-bench score teaching --task casimedicos_explain --gold G
--predictions P`` (answers produced elsewhere, scored exactly as the task scores a model's, with
its card's metrics; BERTScore with ``--metrics …,bertscore``).

Gold: the task's canonical records, one a line (what ``data export casimedicos_explain --split
test`` writes)::

    {"id": "test-000", "case": "Enfant de 2 ans. …", "options": {"1": "…", …, "5": "…"},
     "answer": "4", "explanation": "…the doctors' explanation…",
     "premises": [{"part": "case", "start": 0, "end": 16, "text": "Enfant de 2 ans."}]}

Predictions: ``{"id": "test-000", "answer": "4", "explanation": "…"}``, or ``{"id": …,
"output": "<the model's raw answer>"}`` (parsed as the task parses it). An answer naming no
option is wrong and counted in ``unparsable_rate``; a gold record that breaks its schema is one
error naming the file and line (exit code 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from partages_bench.cli_common import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    AsJson,
    BertScoreLayers,
    BertScoreModel,
    Bootstrap,
    BootstrapSeed,
    console,
    gold_option,
    predictions_option,
    print_scores,
    text,
)
from partages_bench.errors import UserError
from partages_bench.inputs import InputFileError, strict_json
from partages_bench.option_types import split_list
from partages_bench.schema import MetricValue, TaskCard

from .card import FAMILY_NAME
from .scoring import Answer, case_stats, parse_answer, read_choice

BERTSCORE_METRICS = ("bertscore_f1", "bertscore_precision", "bertscore_recall")
METRIC_GROUPS = ("model_free", "bertscore")
TaskOption = Annotated[
    str | None,
    typer.Option(
        "--task",
        help="The teaching task whose card scores (metrics); default: the family's only task.",
    ),
]


def scored_card(task: str | None) -> TaskCard:
    """The card of ``task``, a teaching task; without a name, the family's only task."""
    from partages_bench.errors import UnknownTaskError
    from partages_bench.registry import Registry

    registry = Registry.discover()
    if task is None:
        names = sorted(c.name for c in registry.cards.values() if c.family == FAMILY_NAME)
        if len(names) != 1:
            raise UnknownTaskError(f"--task: name one of the teaching tasks ({names})")
        task = names[0]
    card = registry.card(task)
    if card.family != FAMILY_NAME:
        raise UnknownTaskError(f"--task {task}: a {card.family} task, not a teaching task")
    return card


def checked_gold(where: str, record: dict[str, Any]) -> dict[str, Any]:
    """A gold record with its fields checked: ``options`` an object of strings, ``answer`` one
    of its keys, ``explanation`` a string, ``premises`` a list of ``{part, text}``."""
    options = record.get("options")
    if not (
        isinstance(options, dict)
        and options
        and all(isinstance(value, str) for value in options.values())
    ):
        raise InputFileError(f"{where}: options must be an object {{key: text}}")
    if str(record.get("answer")) not in {str(key) for key in options}:
        raise InputFileError(
            f"{where}: answer {record.get('answer')!r} is not an option key "
            f"({', '.join(map(str, options))})"
        )
    if not isinstance(record.get("explanation"), str):
        raise InputFileError(f"{where}: explanation must be a string")
    premises = record.get("premises") or []
    if not isinstance(premises, list) or not all(
        isinstance(span, dict) and isinstance(span.get("text"), str) for span in premises
    ):
        raise InputFileError(f"{where}: premises must be a list of {{part, text}}")
    return record


def _answer(where: str, prediction: dict[str, Any], options: Sequence[str]) -> Answer:
    """A prediction's answer: its ``answer`` and ``explanation``, else its raw ``output``."""
    if "answer" in prediction:
        explanation = prediction.get("explanation", "")
        if not isinstance(explanation, str):
            raise InputFileError(f"{where}: explanation must be a string")
        return Answer(read_choice(prediction["answer"], options), explanation.strip())
    if "output" not in prediction:
        raise InputFileError(f"{where}: missing field 'answer' (or 'output')")
    output = prediction["output"]
    return parse_answer(output if isinstance(output, str) else None, options)


def score_teaching(
    card: TaskCard,
    gold_path: Path,
    predictions_path: Path,
    groups: Sequence[str],
    bertscore: Any,
    bootstrap_iterations: int,
    seed: int,
) -> tuple[dict[str, MetricValue], list[str]]:
    """Gold canonical records and predictions, scored like ``card``'s task (module doc);
    ``bertscore`` is a ``BertScorer`` or the reason it could not load (used only when
    ``groups`` holds ``bertscore``). Returns the metrics and the notes to show."""
    from partages_bench.families.summarisation.scoring import add_bertscore
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_located, scored_record

    unknown = sorted(set(groups) - set(METRIC_GROUPS))
    if unknown:
        raise UserError(
            f"--metrics: unknown {', '.join(unknown)}; choose among {', '.join(METRIC_GROUPS)}"
        )
    records = []
    pairs = pair_located(gold_path, predictions_path, card.doc_id_field)
    for index, (key, (gold_where, gold), (where, prediction)) in enumerate(pairs):
        doc = checked_gold(gold_where, gold)
        answer = _answer(where, prediction, [str(option) for option in doc["options"]])
        records.append(
            scored_record(
                card,
                index,
                key,
                doc,
                case_stats(answer, doc),
                output=answer.explanation,
                target=doc["explanation"],
            )
        )
    notes = []
    if "bertscore" in groups:
        if isinstance(bertscore, str):
            notes.append(f"BERTScore not computed: {bertscore}")
        else:
            # The records hold the explanations themselves (output: the answer's, target: the
            # doctors'), compared as they are.
            records = add_bertscore(records, bertscore, lambda explanation: explanation or "")
            described = ", ".join(f"{k} {v}" for k, v in bertscore.description.items())
            notes.append(f"BERTScore: {described}")
    kept = {
        name: metric
        for name, metric in card.metrics.items()
        if ("bertscore" if name in BERTSCORE_METRICS else "model_free") in groups
    }
    card = card.model_copy(update={"metrics": kept, "breakdown": []})
    return metric_values(card, records, bootstrap_iterations, seed), notes


def score_command(
    gold: gold_option("Gold: the task's canonical records (JSONL, as data export writes them)."),
    predictions: predictions_option("JSONL of {id, answer, explanation} (or {id, output})."),
    task: TaskOption = None,
    metrics: Annotated[
        str, typer.Option(help="Comma-separated: model_free (every other metric), bertscore.")
    ] = "model_free",
    bertscore_model: BertScoreModel = None,
    bertscore_layers: BertScoreLayers = None,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score answered and explained clinical cases as a teaching task does: accuracy, premise
    coverage, consistency, ROUGE-L, unparsable rate (no model needed), BERTScore on request."""
    card = scored_card(task)
    groups = split_list([metrics])
    scorer: object = None
    if "bertscore" in groups:
        from partages_bench.families.summarisation.scoring import load_bertscorer

        options = {} if bertscore_layers is None else {"num_layers": bertscore_layers}
        scorer = load_bertscorer(bertscore_model, **options)
    values, notes = score_teaching(card, gold, predictions, groups, scorer, bootstrap, seed)
    if as_json:
        payload = {card.name: {name: metric.model_dump() for name, metric in values.items()}}
        print(strict_json(payload | {"notes": notes}, indent=2, ensure_ascii=False))
        return
    print_scores({card.name: values}, as_json=False)
    for note in notes:
        console().print(f"[yellow]{text(note)}[/]")
