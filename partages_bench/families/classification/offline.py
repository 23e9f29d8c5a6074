"""Classification outside a run: ``partages-bench score classification --task NAME`` (answers
produced elsewhere, scored exactly as the task scores a model's, with its card's classes,
metrics and breakdown).

Gold: the task's canonical records, one a line (what ``data export NAME --split dev`` writes)::

    {"id": "r1", "text": "…", "speciality": "CANCERO ADULTE", "label": "MaladieStable",
     "justifications": [{"start": 120, "end": 151, "text": "…"}]}

The ``classification-cues`` baseline (``baseline classification-cues --task NAME --gold G
--output P``, or ``run --model replay --model-args baseline=classification-cues``) answers the
class of the last cue phrase of the card found in the document, and quotes its sentence.

Predictions: ``{"id": "r1", "label": "MaladieStable", "justification": "<quote>"}``, or
``{"id": "r1", "output": "<the model's raw answer>"}``. A label that is not one of the task's
classes, or an output with no readable answer, is a wrong answer counted in ``unparsable_rate``;
a gold record that breaks its schema is one error naming the file and line (exit code 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

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
from partages_bench.family import ReplayError
from partages_bench.inputs import InputFileError
from partages_bench.schema import MetricValue, TaskCard

from .card import FAMILY_NAME, ClassificationCard
from .scoring import (
    Answer,
    Span,
    document_stats,
    occurrences,
    parse_answer,
    read_label,
    read_quotes,
)

_SENTENCE_ENDS = ".!?\n"
TaskOption = Annotated[
    str | None,
    typer.Option(
        "--task",
        help="The classification task whose card scores (classes, metrics, breakdown); "
        "default: the family's only task.",
    ),
]


def scored_card(task: str | None) -> TaskCard:
    """The card of ``task``, a classification task; without a name, the family's only task."""
    from partages_bench.errors import UnknownTaskError
    from partages_bench.registry import Registry

    registry = Registry.discover()
    if task is None:
        names = sorted(c.name for c in registry.cards.values() if c.family == FAMILY_NAME)
        if len(names) != 1:
            raise UnknownTaskError(f"--task: name one of the classification tasks ({names})")
        task = names[0]
    card = registry.card(task)
    if card.family != FAMILY_NAME:
        raise UnknownTaskError(f"--task {task}: a {card.family} task, not a classification task")
    return card


def _gold(where: str, record: dict[str, Any], fields: ClassificationCard) -> tuple[str, list[Span]]:
    """The text and gold justification spans of a gold record, its label checked."""
    from partages_bench.scoring import field

    text, label = field(where, record, "text"), field(where, record, "label")
    if not isinstance(text, str):
        raise InputFileError(f"{where}: text must be a string")
    if label not in fields.classes:
        raise InputFileError(
            f"{where}: label {label!r} is not a class ({', '.join(fields.classes)})"
        )
    spans = record.get("justifications") or []
    if not isinstance(spans, list):
        raise InputFileError(f"{where}: justifications must be a list of {{start, end}}")
    checked = []
    for i, span in enumerate(spans):
        start, end = (span.get("start"), span.get("end")) if isinstance(span, dict) else (0, 0)
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise InputFileError(
                f"{where}: justifications[{i}] has bad offsets {start}-{end} "
                f"(text of {len(text)} chars)"
            )
        checked.append((start, end))
    return text, checked


def _answer(prediction: dict[str, Any], fields: ClassificationCard) -> Answer:
    """A prediction's answer: its ``label`` and ``justification``, else its raw ``output``."""
    if "label" in prediction:
        return Answer(
            read_label(prediction["label"], fields), read_quotes(prediction.get("justification"))
        )
    output = prediction.get("output")
    return parse_answer(output if isinstance(output, str) else None, fields)


def score_classification(
    card: TaskCard, gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> dict[str, MetricValue]:
    """Gold canonical records and ``{id, label, justification}`` predictions, scored like
    ``card``'s task (module doc)."""
    from partages_bench.report import metric_values
    from partages_bench.scoring import by_id, pair_predictions, scored_record

    fields = ClassificationCard.model_validate(card.family_fields)
    located = by_id(gold_path, card.doc_id_field)
    predicted = by_id(predictions_path, card.doc_id_field)
    records = []
    pairs = pair_predictions(gold_path, predictions_path, card.doc_id_field)
    for index, (key, gold, prediction) in enumerate(pairs):
        text, spans = _gold(located[key][0], gold, fields)
        if "label" not in prediction and "output" not in prediction:
            raise InputFileError(f"{predicted[key][0]}: missing field 'label' (or 'output')")
        stats = document_stats(_answer(prediction, fields), gold["label"], spans, text, fields)
        records.append(
            scored_record(
                card,
                index,
                key,
                gold,
                stats,
                output=str(prediction.get("label", prediction.get("output"))),
                target=gold["label"],
            )
        )
    return metric_values(card, records, bootstrap_iterations, seed)


def score_command(
    gold: gold_option("Gold: the task's canonical records (JSONL, as data export writes them)."),
    predictions: predictions_option("JSONL of {id, label, justification} (or {id, output})."),
    task: TaskOption = None,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score class labels and justifying quotes exactly as a classification task does
    (accuracy, macro-F1, per-class F1, confusion matrix, adjacent and distant errors)."""
    card = scored_card(task)
    print_scores(
        {card.name: score_classification(card, gold, predictions, bootstrap, seed)}, as_json
    )


def cue_prediction(card: TaskCard, doc: Mapping[str, Any]) -> dict[str, str]:
    """The ``classification-cues`` answer to one document: the class of the cue phrase of the
    card found last in its text (located as a quote is: case and spacing ignored; the longest
    on a tie), with the sentence that holds it as the justification; the card's ``fallback``
    and no quote when no cue is found (no fallback: no class, an unparsable answer)."""
    fields = ClassificationCard.model_validate(card.family_fields)
    if not fields.cues:
        raise ReplayError(f"task {card.name} declares no cues (metadata.family_fields.cues)")
    document = str(doc.get("text") or "")
    found = [
        (start, end, label)
        for label, phrases in fields.cues.items()
        for phrase in phrases
        for start, end in occurrences(phrase, document)
    ]
    if not found:
        return {"label": fields.fallback or "", "justification": ""}
    start, end, label = max(found)
    begin = max(document.rfind(mark, 0, start) for mark in _SENTENCE_ENDS) + 1
    ends = [document.find(mark, end) for mark in _SENTENCE_ENDS]
    stop = min((i for i in ends if i >= 0), default=len(document))
    return {"label": label, "justification": document[begin:stop].strip()}


def baseline_command(
    gold: gold_option("Gold: the task's canonical records (JSONL)."),
    output: Annotated[Path, typer.Option(help="Where to write the {id, label, justification}.")],
    task: TaskOption = None,
) -> None:
    """The class of the last cue phrase found in each document, its sentence quoted."""
    from partages_bench.outputs import write_jsonl
    from partages_bench.scoring import by_id

    card = scored_card(task)
    answers = [
        {card.doc_id_field: key} | cue_prediction(card, record)
        for key, (_, record) in by_id(gold, card.doc_id_field).items()
    ]
    write_jsonl(answers, output)
    console().print(f"{len(answers)} answers of classification-cues written to {text(output)}")
