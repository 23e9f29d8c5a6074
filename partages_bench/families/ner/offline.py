"""``partages-bench score ner``: any entity extractor's spans scored as the NER tasks score a
model's (nervaluate's strict, exact, partial and type schemas; micro, macro and per label).

Gold, one document a line::

    {"doc_id": "d1", "text": "Douleur thoracique sous aspirine.",
     "entities": [{"start": 24, "end": 32, "label": "CHEM"}]}

Predictions: ``{"doc_id": "d1", "entities": [{"start": 24, "end": 32, "label": "CHEM"}]}`` or
with texts ``[{"text": "aspirine", "label": "CHEM"}]``, grounded in the gold text like a
model's answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
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
from partages_bench.families.extraction import Span
from partages_bench.inputs import InputFileError, strict_json
from partages_bench.schema import MetricValue, TaskCard

from .card import FAMILY_NAME, NERCard
from .scoring import (
    SCHEMAS,
    UNKNOWN_LABEL,
    Attribute,
    AttributedSpan,
    attribute_stats,
    label_key,
    label_reader,
    score_spans,
)
from .scoring import ground as ground_entities

# Every NER task shares one metric block (tasks/ner/_ner_template_yaml): any NER card will do.
SCORED_LIKE = "e3c_fr"
SCHEMA_NAMES = tuple(schema.name for schema in SCHEMAS)


def _offsets(where: str, entity: Any, text: str) -> tuple[int, int]:
    start, end = entity.get("start"), entity.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise InputFileError(f"{where} has bad offsets {start}-{end} (text of {len(text)} chars)")
    return start, end


def _gold(
    where: str, record: dict[str, Any], attribute: Attribute | None
) -> tuple[str, list[AttributedSpan]]:
    """The text and gold spans of one record, each with its attribute's value when the task has
    one (checked: one of the attribute's values)."""
    from partages_bench.scoring import entity_list, field

    text = field(where, record, "text")
    if not isinstance(text, str):
        raise InputFileError(f"{where}: text must be a string")
    spans = []
    for i, entity in enumerate(entity_list(where, record)):
        label = entity.get("label")
        if not isinstance(label, str) or not label:
            raise InputFileError(f"{where}: entities[{i}].label must be a non-empty string")
        value = ""
        if attribute is not None:
            value = entity.get(attribute.name)
            if value not in attribute.values:
                raise InputFileError(
                    f"{where}: entities[{i}].{attribute.name} is {value!r}, not one of "
                    f"{', '.join(attribute.values)}"
                )
        start, end = _offsets(f"{where}: entities[{i}]", entity, text)
        spans.append(AttributedSpan(start, end, label, value))
    return text, spans


@dataclass(frozen=True)
class _Listed:
    """A prediction record's entities in the order listed: each one's span (None: its text is
    nowhere in the document), label and attribute value as read."""

    placed: list[Span | None]
    labels: list[str]
    values: list[str]

    @property
    def spans(self) -> list[Span]:
        return sorted(span for span in self.placed if span is not None)

    @property
    def unplaced(self) -> list[str]:
        return [label for span, label in zip(self.placed, self.labels, strict=True) if not span]


def _predicted(
    where: str,
    text: str,
    record: dict[str, Any],
    read_label: Callable[[str], str],
    attribute: Attribute | None,
) -> _Listed:
    """Predicted entities with offsets ``{start, end, label}`` or with texts ``{text, label}``
    (grounded like a model's answer), and ``{attribute}`` when the task has one. A span listed
    twice stays twice (nervaluate counts the second spurious): never merged."""
    from partages_bench.scoring import entity_list

    entities = entity_list(where, record)
    labels = [read_label(str(entity.get("label", ""))) for entity in entities]
    placed: list[Span | None] = [None] * len(entities)
    by_text = []
    for i, (entity, label) in enumerate(zip(entities, labels, strict=True)):
        if "start" in entity or "end" in entity:
            placed[i] = Span(*_offsets(f"{where}: entities[{i}]", entity, text), label)
        elif isinstance(entity.get("text"), str):
            by_text.append(i)
        else:
            raise InputFileError(f"{where}: entities[{i}] needs start and end, or text")
    grounding = ground_entities(text, [(entities[i]["text"], labels[i]) for i in by_text])
    for i, span in zip(by_text, grounding.placed, strict=True):
        placed[i] = span
    values = [attribute.read(e.get(attribute.name)) for e in entities] if attribute else []
    return _Listed(placed, labels, values)


def _task(name: str | None) -> tuple[TaskCard, NERCard]:
    """The card whose metrics are reported, and what it declares (``--task``; else any NER
    card: they share one span metric block, and labels come from the files)."""
    from partages_bench.registry import Registry

    card = Registry.discover().card(name or SCORED_LIKE)
    if card.family != FAMILY_NAME:
        raise UserError(f"--task: task {name} is a {card.family} task, not an NER task")
    return card, NERCard.model_validate(card.family_fields)


def score_ner(
    gold_path: Path,
    predictions_path: Path,
    bootstrap_iterations: int,
    seed: int,
    task: str | None = None,
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """Gold ``{doc_id, text, entities: [{start, end, label}]}`` and predictions ``{doc_id,
    entities}`` (offsets, or texts grounded in the gold text like a model's answer), scored
    like the NER tasks over the labels of gold and predictions. With ``task``, scored as that
    task: its id field, its labels (another label is the wrong-type ``?``), its attribute (gold
    values checked, predicted ones read as a model's), its metrics and breakdowns."""
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_predictions, scored_record

    card, fields = _task(task)
    attribute = fields.attribute_spec()
    id_field = card.doc_id_field if task else "doc_id"
    pairs = pair_predictions(gold_path, predictions_path, id_field=id_field)
    golds = [_gold(f"{gold_path} doc '{key}'", gold, attribute) for key, gold, _ in pairs]
    if fields.labels:
        read_label = label_reader(fields.labels)
    else:
        gold_labels = sorted({span.label for _, spans in golds for span in spans})
        known = {label_key(label): label for label in gold_labels}

        @functools.cache  # a file spells its few labels again and again
        def read_label(raw: str) -> str:
            return known.get(label_key(raw), raw)

    predicted = [
        _predicted(f"{predictions_path} doc '{key}'", text, prediction, read_label, attribute)
        for (key, _, prediction), (text, _) in zip(pairs, golds, strict=True)
    ]
    labels = list(fields.labels) or sorted(
        {
            *(s.label for _, spans in golds for s in spans),
            *(s.label for p in predicted for s in p.spans),
        }
    )
    records = []
    for index, ((key, gold_record, _), (_, gold), listed) in enumerate(
        zip(pairs, golds, predicted, strict=True)
    ):
        count = len(listed.labels)
        stats = score_spans(gold, listed.spans, labels, listed.unplaced) | {
            "hallucinated_num": len(listed.unplaced),
            "hallucinated_den": count,
            "unknown_label_num": sum(label == UNKNOWN_LABEL for label in listed.labels),
            "unknown_label_den": count,
            "unparsable_num": 0,
            "unparsable_den": 1,
        }
        if attribute is not None:
            stats |= attribute_stats(
                gold,
                list(zip(listed.placed, listed.values, strict=True)),
                listed.labels,
                labels,
                attribute,
            )
        records.append(
            scored_record(
                card,
                index,
                key,
                gold_record,
                stats,
            )
        )
    return card, metric_values(card, records, bootstrap_iterations, seed)


def nest_ner_metrics(metrics: dict[str, MetricValue]) -> dict[str, Any]:
    """Flat NER metric names regrouped: ``{schema: {precision|recall|f1: {micro, macro,
    LABEL: value}}}``, the other metrics (hallucination_rate…) as they are."""
    nested: dict[str, Any] = {}
    for name, value in metrics.items():
        metric, _, label = name.partition("/label=")
        schema, _, measure = metric.partition("_")
        if schema not in SCHEMA_NAMES or "/" in measure:
            nested[name] = value.model_dump()
            continue
        scope = "macro" if measure.startswith("macro_") else (label or "micro")
        measure = measure.removeprefix("macro_")
        nested.setdefault(schema, {}).setdefault(measure, {})[scope] = value.model_dump()
    return nested


def score_command(
    gold: gold_option(
        "Gold JSONL {doc_id, text, entities: [{start, end, label}]} (with --task: the task's "
        "records, as data export writes them)."
    ),
    predictions: predictions_option(
        "JSONL {doc_id, entities: [{start, end, label}]} or [{text, label}] (grounded); with "
        "--task, the task's id field, and its attribute in each entity when it has one."
    ),
    task: Annotated[
        str | None,
        typer.Option(
            "--task", help="Score as this NER task: its labels, attribute, metrics, breakdowns."
        ),
    ] = None,
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score any entity extractor on spans: strict, exact, partial and type P/R/F1 (nervaluate's
    schemas), micro, macro and per label; with --task, as that task (an attribute such as
    negation scored too). JSON: {schema: {precision|recall|f1: {micro, macro, LABEL}}}, other
    metrics flat."""
    _, metrics = score_ner(gold, predictions, bootstrap, seed, task)
    if as_json:
        print(strict_json(nest_ner_metrics(metrics), indent=2))
    else:
        print_scores({"ner": metrics}, as_json=False)
