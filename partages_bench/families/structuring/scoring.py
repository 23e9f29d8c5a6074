"""A structuring answer read and scored against the gold fields of its document.

**Answer.** The model writes one JSON object ``{field: value}``. A value is a string, a number,
or an object ``{"code": …, "description": …}`` (``read_value``); ``null`` is no value. Code
fences, prose around the object and single quotes are read, and an object cut by the token
budget keeps its complete members (``extraction.json_objects``); of the objects found, the one
naming the most of the card's fields is the answer (the first on ties). An answer with no
object naming a field (``{}`` included) is **unparsable**: every field unanswered, never an
error.

**Per document**, for each field of the card with gold value ``g`` and predicted value ``p``
(``rules``: *empty*, and the field's rule deciding *correct*):

- ``{field}_correct``: 1 if ``p`` is correct, 0 if not; NaN when ``g`` is empty (the field's
  accuracy is over the documents whose gold has it: ``nanmean``);
- for a ``coded`` field, ``{field}_code_exact`` and ``{field}_code_category`` (``rules``:
  same code, same 3-character category); NaN when ``g`` has no code;
- ``field_tp``: fields with ``p`` filled and correct; ``field_fp``: fields with ``p`` filled
  and wrong, or ``g`` empty; ``field_fn``: fields with ``g`` filled and ``p`` not correct
  (empty or wrong). A wrong value is one FP and one FN, as a span with the wrong label in NER;
- ``hallucinated_field_num``: fields with ``p`` filled and ``g`` empty; ``_den``: fields with
  ``g`` empty (the rate: of the fields a report leaves empty, the share the model filled);
- ``unparsable``: 1 when the answer held no object naming a field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from partages_bench.families.extraction import json_objects
from partages_bench.text import strip_thinking

from .card import StructuringCard
from .rules import RULES, Value, code_category, code_exact, is_empty

Values = dict[str, Value]
_TEXT_KEYS = ("description", "text", "texte", "libelle", "label")
_VALUE_KEYS = ("value", "valeur")
_UNIT_KEYS = ("unit", "unite")


def _scalar(raw: Any) -> str | None:
    """A JSON scalar as text (``67.0`` → "67"); None for null, objects and lists."""
    if raw is None or isinstance(raw, (dict, list)):
        return None
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _first(fields: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    return next((text for key in keys if (text := _scalar(fields.get(key))) is not None), None)


def read_value(raw: Any) -> Value:
    """One answered value: a string or number is its text; an object gives its ``code`` and
    its text: ``description`` (or ``text``, ``libelle``, ``label``), else ``value`` followed by
    its ``unit`` when it has one; a list is read as its first item; anything else is none."""
    if isinstance(raw, list):
        return read_value(raw[0]) if raw else Value()
    if not isinstance(raw, dict):
        return Value(text=_scalar(raw))
    fields = {str(key).casefold(): value for key, value in raw.items()}
    text = _first(fields, _TEXT_KEYS)
    if text is None:
        text, unit = _first(fields, _VALUE_KEYS), _first(fields, _UNIT_KEYS)
        if text is not None and unit is not None:
            text = f"{text} {unit}"
    return Value(text=text, code=_first(fields, ("code",)))


def read_fields(answer: Mapping[Any, Any], names: tuple[str, ...]) -> Values:
    """The card's fields of an answer object (keys matched case-insensitively); a field it
    does not name has no value."""
    keys = {str(key).casefold(): value for key, value in answer.items()}
    return {name: read_value(keys.get(name.casefold())) for name in names}


def answer_object(output: str | None, names: tuple[str, ...]) -> dict[Any, Any] | None:
    """The JSON object of a model's answer naming the most of ``names`` (the first on ties),
    or None when no object in it names one."""
    wanted = {name.casefold() for name in names}
    best, named = None, 0
    for found in json_objects(strip_thinking(output), truncated=True):
        count = len(wanted & {str(key).casefold() for key in found})
        if count > named:
            best, named = found, count
    return best


def parse_answer(output: str | None, names: tuple[str, ...]) -> Values | None:
    """The fields of a model's answer, or None when no JSON object in it names a field."""
    best = answer_object(output, names)
    return None if best is None else read_fields(best, names)


@dataclass(frozen=True)
class Form:
    """A card's fields ready to score: the document field of the gold values, each field's
    kind, and each field's synonym table (``FieldCard.synonym_table``), in the card's order."""

    record_field: str
    kinds: dict[str, str]
    synonyms: dict[str, dict[str, str]]

    @classmethod
    def of(cls, card: StructuringCard) -> Form:
        return cls(
            card.record_field,
            {name: field.kind for name, field in card.fields.items()},
            {name: field.synonym_table() for name, field in card.fields.items()},
        )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.kinds)


def gold_values(record: Mapping[str, Any], form: Form) -> Values:
    """The gold fields of a document: ``record[record_field][field]`` as ``{text, code}``
    (null, or a field left out: no value). The data layer's converters and ``offline`` check
    the shape before."""
    block = record[form.record_field] or {}
    values = {}
    for name in form.names:
        raw = block.get(name) or {}
        values[name] = Value(text=raw.get("text"), code=raw.get("code"))
    return values


def score_fields(predicted: Values | None, gold: Values, form: Form) -> dict[str, float]:
    """Every statistic of one document (see the module docstring), in the same key order for
    every document; ``predicted`` None is an unparsable answer."""
    stats: dict[str, float] = {}
    tp = fp = fn = invented = gold_empty = 0
    for name, kind in form.kinds.items():
        answer = (predicted or {}).get(name, Value())
        expected = gold[name]
        filled, has_gold = not is_empty(answer), not is_empty(expected)
        correct = filled and has_gold and RULES[kind](answer, expected, form.synonyms[name])
        stats[f"{name}_correct"] = float(correct) if has_gold else math.nan
        if kind == "coded":
            has_code = has_gold and expected.code is not None
            for stat, rule in (("code_exact", code_exact), ("code_category", code_category)):
                stats[f"{name}_{stat}"] = float(rule(answer, expected)) if has_code else math.nan
        tp += correct
        fp += filled and not correct
        fn += has_gold and not correct
        invented += filled and not has_gold
        gold_empty += not has_gold
    return stats | {
        "field_tp": float(tp),
        "field_fp": float(fp),
        "field_fn": float(fn),
        "hallucinated_field_num": float(invented),
        "hallucinated_field_den": float(gold_empty),
        "unparsable": float(predicted is None),
    }


def gold_answer(record: Mapping[str, Any], form: Form) -> str:
    """The gold fields as the JSON a model should write (few-shot targets): a value with a code
    as ``{"code", "description"}``, any other as its text, no value as ``null``."""
    answer: dict[str, Any] = {}
    for name, value in gold_values(record, form).items():
        if value.code is not None:
            answer[name] = {"code": value.code, "description": value.text}
        else:
            answer[name] = value.text
    return json.dumps(answer, ensure_ascii=False)


def doc_to_text(doc: Mapping[str, Any]) -> str:
    return f"Compte rendu :\n{doc['text']}\n\nJSON :"


class TaskFunctions(NamedTuple):
    """What a structuring task's YAML names from its ``utils.py``, for its card's fields."""

    doc_to_target: Callable[[Mapping[str, Any]], str]
    process_results: Callable[[Mapping[str, Any], list[str]], dict[str, dict[str, float]]]


def task_functions(card: StructuringCard) -> TaskFunctions:
    """A task's ``doc_to_target`` (the gold JSON, for few-shot examples) and
    ``process_results`` (the answer parsed and scored) for its card's fields."""
    form = Form.of(card)

    def doc_to_target(doc: Mapping[str, Any]) -> str:
        return gold_answer(doc, form)

    def process_results(doc: Mapping[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
        predicted = parse_answer(results[0] if results else "", form.names)
        return {"stats": score_fields(predicted, gold_values(doc, form), form)}

    return TaskFunctions(doc_to_target, process_results)
