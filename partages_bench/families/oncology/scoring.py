"""An oncology answer read and scored against the gold tumour record of its document.

**Answer.** One JSON object ``{field: value}`` (``null``: no value), found as a structuring
answer is (``structuring.scoring.answer_object``: code fences, prose and single quotes read,
an object cut by the token budget keeps its complete members, the object naming the most
fields wins). A list (``rcp_decision``) is read as its items joined by "; "; any other value as
``structuring.scoring.read_value`` reads it (a string, a number, ``{value, unit}``). A value
whose normalised text is one of ``NOT_EVALUATED`` (« non évalué », « non réalisé »…) is no
value: the gold of a biomarker the report says was not evaluated is ``null``. No object naming
a field is **unparsable**: every field unanswered, counted in ``unparsable_rate``.

**Gold.** ``doc[record_field][field]``: null, a string, a number or a list of strings (read as
the answer is).

**Per document**: ``structuring.scoring.score_fields`` with each field's rule
(``structuring.rules``): ``{field}_correct`` (NaN when the gold has no value), ``field_tp``,
``field_fp``, ``field_fn`` (every field: an answer where the gold is null is a FP),
``hallucinated_field_num``/``_den``, ``unparsable``; and ``gold_field_tp``/``_fp``/``_fn``,
the same counts over the fields the gold fills only (``document_stats``). Category
synonyms: ``generator/content/oncology/vocabulary.yaml`` (a form → its canonical value).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from partages_bench.families.structuring.card import FieldCard
from partages_bench.families.structuring.rules import Value, normalise
from partages_bench.families.structuring.scoring import (
    Form,
    Values,
    answer_object,
    doc_to_text,
    read_value,
    score_fields,
)

from .card import OncologyCard

__all__ = ["doc_to_text"]

# Normalised words for "not evaluated": read as no value.
NOT_EVALUATED = frozenset(
    {
        "non evalue",
        "non evaluee",
        "non evaluable",
        "non realise",
        "non realisee",
        "non fait",
        "non teste",
        "not evaluated",
        "not assessed",
    }
)


def form_of(card: OncologyCard) -> Form:
    """The card's fields ready to score, each category field with its vocabulary synonyms."""
    from partages_bench.generator.oncology import vocabulary

    table = vocabulary()
    fields = {
        name: FieldCard(kind=kind, synonyms=table.get(name, {}) if kind != "tnm" else {})
        for name, kind in card.fields.items()
    }
    return Form(
        card.record_field,
        {name: field.kind for name, field in fields.items()},
        {name: field.synonym_table() for name, field in fields.items()},
    )


def read_oncology_value(raw: Any) -> Value:
    """One value of an answer or a gold record (see the module docstring)."""
    if isinstance(raw, list):
        items = [str(item) for item in raw if item is not None and not isinstance(item, dict)]
        value = Value(text="; ".join(items) if items else None)
    else:
        value = read_value(raw)
    if value.text is not None and normalise(value.text) in NOT_EVALUATED:
        return Value()
    return value


def read_record(record: Mapping[Any, Any], names: tuple[str, ...]) -> Values:
    """The card's fields of a record or answer object (keys matched case-insensitively)."""
    keys = {str(key).casefold(): value for key, value in record.items()}
    return {name: read_oncology_value(keys.get(name.casefold())) for name in names}


def parse_answer(output: str | None, names: tuple[str, ...]) -> Values | None:
    """The record of a model's answer, or None when no JSON object in it names a field."""
    found = answer_object(output, names)
    return None if found is None else read_record(found, names)


def gold_values(doc: Mapping[str, Any], form: Form) -> Values:
    return read_record(doc[form.record_field] or {}, form.names)


def document_stats(output: str | None, doc: Mapping[str, Any], form: Form) -> dict[str, float]:
    """Every statistic of one document: ``structuring.scoring.score_fields``'s, and the same
    counts over the fields the gold fills only (``gold_field_tp`` = ``field_tp``,
    ``gold_field_fp`` = ``field_fp`` − ``hallucinated_field_num``: wrong values where the gold
    has one, ``gold_field_fn`` = ``field_fn``)."""
    stats = score_fields(parse_answer(output, form.names), gold_values(doc, form), form)
    return stats | {
        "gold_field_tp": stats["field_tp"],
        "gold_field_fp": stats["field_fp"] - stats["hallucinated_field_num"],
        "gold_field_fn": stats["field_fn"],
    }


def gold_answer(doc: Mapping[str, Any], form: Form) -> str:
    """The gold record as the JSON a model should write (few-shot targets)."""
    record = doc[form.record_field] or {}
    return json.dumps({name: record.get(name) for name in form.names}, ensure_ascii=False)


class TaskFunctions(NamedTuple):
    doc_to_target: Callable[[Mapping[str, Any]], str]
    process_results: Callable[[Mapping[str, Any], list[str]], dict[str, dict[str, float]]]


def task_functions(card: OncologyCard) -> TaskFunctions:
    """A task's ``doc_to_target`` and ``process_results`` for its card's fields (the form built
    on first use: importing a task's ``utils`` reads no content)."""
    forms: list[Form] = []

    def form() -> Form:
        if not forms:
            forms.append(form_of(card))
        return forms[0]

    def doc_to_target(doc: Mapping[str, Any]) -> str:
        return gold_answer(doc, form())

    def process_results(doc: Mapping[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
        return {"stats": document_stats(results[0] if results else "", doc, form())}

    return TaskFunctions(doc_to_target, process_results)
