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
from pathlib import Path
from typing import Any

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
from partages_bench.families.extraction import Span
from partages_bench.inputs import InputFileError, strict_json
from partages_bench.schema import MetricValue, SampleRecord, TaskCard

from .scoring import SCHEMAS, label_key, score_spans
from .scoring import ground as ground_entities

# Every NER task shares one metric block (tasks/ner/_ner_template_yaml): any NER card will do.
SCORED_LIKE = "e3c_fr"
SCHEMA_NAMES = tuple(schema.name for schema in SCHEMAS)


def _offsets(where: str, entity: Any, text: str) -> tuple[int, int]:
    start, end = entity.get("start"), entity.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise InputFileError(f"{where} has bad offsets {start}-{end} (text of {len(text)} chars)")
    return start, end


def _gold(where: str, record: dict[str, Any]) -> tuple[str, list[Span]]:
    from partages_bench.scoring import entity_list, field

    text = field(where, record, "text")
    if not isinstance(text, str):
        raise InputFileError(f"{where}: text must be a string")
    spans = []
    for i, entity in enumerate(entity_list(where, record)):
        label = entity.get("label")
        if not isinstance(label, str) or not label:
            raise InputFileError(f"{where}: entities[{i}].label must be a non-empty string")
        spans.append(Span(*_offsets(f"{where}: entities[{i}]", entity, text), label))
    return text, spans


def _predicted(
    where: str, text: str, record: dict[str, Any], read_label: Callable[[str], str]
) -> tuple[list[Span], list[str], int]:
    """Predicted spans, labels of the texts found nowhere, and how many entities were listed;
    entities come with offsets ``{start, end, label}`` or with texts ``{text, label}``. A span
    listed twice stays twice (nervaluate counts the second spurious): never merged."""
    from partages_bench.scoring import entity_list

    spans, items = [], []
    entities = entity_list(where, record)
    for i, entity in enumerate(entities):
        label = read_label(str(entity.get("label", "")))
        if "start" in entity or "end" in entity:
            spans.append(Span(*_offsets(f"{where}: entities[{i}]", entity, text), label))
        elif isinstance(entity.get("text"), str):
            items.append((entity["text"], label))
        else:
            raise InputFileError(f"{where}: entities[{i}] needs start and end, or text")
    grounding = ground_entities(text, items)
    return sorted([*spans, *grounding.spans]), grounding.hallucinated, len(entities)


def score_ner(
    gold_path: Path, predictions_path: Path, bootstrap_iterations: int, seed: int
) -> tuple[TaskCard, dict[str, MetricValue]]:
    """Gold ``{doc_id, text, entities: [{start, end, label}]}`` and predictions ``{doc_id,
    entities}`` (offsets, or texts grounded in the gold text like a model's answer), scored
    like the NER tasks over the labels of gold and predictions."""
    from partages_bench.registry import Registry
    from partages_bench.report import metric_values
    from partages_bench.scoring import pair_predictions

    pairs = pair_predictions(gold_path, predictions_path, id_field="doc_id")
    golds = [_gold(f"{gold_path} doc '{key}'", gold) for key, gold, _ in pairs]
    gold_labels = sorted({span.label for _, spans in golds for span in spans})
    known = {label_key(label): label for label in gold_labels}

    @functools.cache  # a file spells its few labels again and again
    def read_label(raw: str) -> str:
        return known.get(label_key(raw), raw)

    predicted = [
        _predicted(f"{predictions_path} doc '{key}'", text, prediction, read_label)
        for (key, _, prediction), (text, _) in zip(pairs, golds, strict=True)
    ]
    labels = sorted({*gold_labels, *(s.label for spans, _, _ in predicted for s in spans)})
    records = []
    for index, ((key, _, _), (_, gold), (spans, unplaced, listed)) in enumerate(
        zip(pairs, golds, predicted, strict=True)
    ):
        stats = score_spans(gold, spans, labels, unplaced) | {
            "hallucinated_num": len(unplaced),
            "hallucinated_den": listed,
            "unknown_label_num": 0,
            "unknown_label_den": listed,
            "unparsable_num": 0,
            "unparsable_den": 1,
        }
        records.append(
            SampleRecord(doc_index=index, doc_id=key, prompt="", output="", target="", stats=stats)
        )
    card = Registry.discover().card(SCORED_LIKE)
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
    gold: gold_option("Gold JSONL {doc_id, text, entities: [{start, end, label}]}."),
    predictions: predictions_option(
        "JSONL {doc_id, entities: [{start, end, label}]} or [{text, label}] (grounded)."
    ),
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score any entity extractor on spans: strict, exact, partial and type P/R/F1 (nervaluate's
    schemas), micro, macro and per label. JSON: {schema: {precision|recall|f1: {micro, macro,
    LABEL}}}."""
    _, metrics = score_ner(gold, predictions, bootstrap, seed)
    if as_json:
        print(strict_json(nest_ner_metrics(metrics), indent=2))
    else:
        print_scores({"ner": metrics}, as_json=False)
