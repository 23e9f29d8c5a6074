"""Named-entity recognition by generative extraction, scored on character spans like a tagger.

A document is ``{id, text, entities: [{start, end, label, text, …}]}`` (end-exclusive
character offsets). The model lists its entities as JSON ``[{"text": …, "label": …}]``;
``extraction.parse_entity_list`` reads the answer, ``ground`` finds each listed text in the
document, and ``score_spans`` counts the SemEval-2013 task 9.1 outcomes of every schema.

Matching follows nervaluate (≥ 1.2) exactly, with end-exclusive offsets: two spans **overlap**
when they share at least one character. Gold and predicted spans are sorted by (start, end,
label); each prediction in turn takes one still-unmatched gold span (greedy, in that order):
the gold span its schema calls *correct* (the closest boundaries, Σ|Δstart| + |Δend|, for
``type``; the first on ties), else the first overlapping one as a *near miss*, else none.

==========  =====================================  =========  ===========================
schema      correct when the spans                 near miss  precision / recall
==========  =====================================  =========  ===========================
strict      have the same boundaries and label     INC        COR / ACT, COR / POS
exact       have the same boundaries               INC        COR / ACT, COR / POS
partial     have the same boundaries               PAR        (COR + ½PAR) / ACT, … / POS
type        overlap and have the same label        INC        COR / ACT, COR / POS
==========  =====================================  =========  ===========================

A prediction that takes no gold span is spurious (SPU); a gold span no prediction took is
missed (MIS). ACT = COR + INC + PAR + SPU (predicted), POS = COR + INC + PAR + MIS (gold), and
F1 = 2PR / (P + R). Per label, both sides are first restricted to that label (nervaluate's
per-entity results). nervaluate's default ``min_overlap_percentage=1`` also asks the overlap to
cover 1 % of the gold span, which differs from "one shared character" only for gold spans of
more than 100 characters.

An **assertion attribute** (a card's ``family_fields``: PARHAF infectiology's ``negation``) is
scored by ``score_attribute``: strict matching with (label, value) as the label — a span found
with the wrong value is a near miss (INC), so the model that reads "pas de bactériémie" as a
bacteraemia loses points —, and the value's accuracy over the strict matches. A missing or
invalid value is a value no gold has: wrong, never an error.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any

from partages_bench.families.extraction import Span, parse_entity_list
from partages_bench.schema import SampleRecord
from partages_bench.stats import as_statistic
from partages_bench.text import fold, fold_char

CATEGORIES = ("cor", "inc", "par", "mis", "spu")
_COR, _MIS, _SPU = (CATEGORIES.index(category) for category in ("cor", "mis", "spu"))
UNKNOWN_LABEL = "?"


def _same_boundaries(predicted: Span, gold: Span) -> bool:
    return predicted.start == gold.start and predicted.end == gold.end


def _overlap(predicted: Span, gold: Span) -> bool:
    return predicted.start < gold.end and gold.start < predicted.end


def _distance(predicted: Span, gold: Span) -> int:
    return abs(predicted.start - gold.start) + abs(predicted.end - gold.end)


@dataclass(frozen=True)
class Schema:
    """One matching schema: when a prediction is correct, and what an overlap otherwise is."""

    name: str
    correct: Callable[[Span, Span], bool]
    near_miss: str


def _strict(predicted: Span, gold: Span) -> bool:
    """strict: same start, same end, same label."""
    return _same_boundaries(predicted, gold) and predicted.label == gold.label


def _type(predicted: Span, gold: Span) -> bool:
    """type: some overlap and the same label (the closest gold span wins)."""
    return _overlap(predicted, gold) and predicted.label == gold.label


SCHEMAS = (
    Schema("strict", _strict, "inc"),
    Schema("exact", _same_boundaries, "inc"),
    Schema("partial", _same_boundaries, "par"),
    Schema("type", _type, "inc"),
)


def _match(
    gold: Sequence[Span],
    predicted: Sequence[Span],
    schema: Schema,
    pairs: list[tuple[int, int]] | None = None,
) -> list[int]:
    """COR, INC, PAR, MIS, SPU (``CATEGORIES``) of spans already sorted: a prediction's
    candidates end at the first gold span starting after it. ``pairs`` receives the (predicted,
    gold) indices of every COR match."""
    counts = [0] * len(CATEGORIES)
    if not gold or not predicted:  # most labels of a document: nothing to match
        counts[_MIS], counts[_SPU] = len(gold), len(predicted)
        return counts
    near_miss = CATEGORIES.index(schema.near_miss)
    taken: set[int] = set()
    for position, prediction in enumerate(predicted):
        best: int | None = None
        near: int | None = None
        for index, candidate in enumerate(gold):
            if candidate.start >= prediction.end:
                break
            if index in taken or candidate.end <= prediction.start:
                continue
            if schema.correct(prediction, candidate):
                if best is None or _distance(prediction, candidate) < _distance(
                    prediction, gold[best]
                ):
                    best = index
            elif near is None:
                near = index
        if best is not None:
            counts[_COR] += 1
            taken.add(best)
            if pairs is not None:
                pairs.append((position, best))
        elif near is not None:
            counts[near_miss] += 1
            taken.add(near)
        else:
            counts[_SPU] += 1
    counts[_MIS] = len(gold) - len(taken)
    return counts


def match(gold: Sequence[Span], predicted: Sequence[Span], schema: Schema) -> Counter[str]:
    """COR/INC/PAR/MIS/SPU counts of one document under one schema (see the module docstring)."""
    return Counter(
        dict(zip(CATEGORIES, _match(sorted(gold), sorted(predicted), schema), strict=True))
    )


@lru_cache(maxsize=16)
def _stat_keys(labels: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of ``score_spans``, in its order: per schema, the totals then each label's."""
    return tuple(
        f"{schema.name}{scope}_{category}"
        for schema in SCHEMAS
        for scope in ("", *(f".{label}" for label in labels))
        for category in CATEGORIES
    )


def score_spans(
    gold: Sequence[Span],
    predicted: Sequence[Span],
    labels: Iterable[str],
    unplaced: Sequence[str] = (),
) -> dict[str, float]:
    """Per-document statistics ``{schema}_{category}`` and ``{schema}.{label}_{category}`` for
    every schema and every label of ``labels`` (zeros included, so that columns never miss).

    ``unplaced`` holds the labels of predictions that have no span (hallucinated texts): each
    is spurious in every schema, overall and for its label."""
    labels = tuple(labels)
    gold, predicted = sorted(gold), sorted(predicted)
    by_label: dict[str, tuple[list[Span], list[Span]]] = {label: ([], []) for label in labels}
    for side, spans in enumerate((gold, predicted)):
        for span in spans:
            if span.label in by_label:
                by_label[span.label][side].append(span)
    spurious = Counter(unplaced)
    scopes = [(gold, predicted, len(unplaced))]
    scopes += [(*by_label[label], spurious[label]) for label in labels]
    values: list[int] = []
    for schema in SCHEMAS:
        for scope_gold, scope_predicted, unplaced_here in scopes:
            counts = _match(scope_gold, scope_predicted, schema)
            counts[_SPU] += unplaced_here
            values += counts
    return dict(zip(_stat_keys(labels), map(as_statistic, values), strict=True))


# --- labels ---------------------------------------------------------------------------------

_KEY = re.compile(r"[a-z0-9]+")


def label_key(raw: str) -> str:
    """Case, accents, spaces and punctuation do not matter: "Désordre", "DESORDRE" → "desordre"."""
    return "".join(_KEY.findall(fold(raw)))


def label_reader(
    labels: Sequence[str], aliases: Mapping[str, str] | None = None
) -> Callable[[str], str]:
    """The task's canonical label of a raw one: a label of ``labels`` or one of its ``aliases``
    (French names, English names) whatever the spelling; ``UNKNOWN_LABEL`` otherwise — an
    entity with a label outside the set is a wrong-type prediction, not a missing one. With a
    single label, any label (or none) is that label."""
    if len(labels) == 1:
        return lambda _raw: labels[0]
    table = {label_key(label): label for label in labels}
    table |= {label_key(alias): label for alias, label in (aliases or {}).items()}
    return lambda raw: table.get(label_key(raw), UNKNOWN_LABEL)


# --- grounding --------------------------------------------------------------------------------

_PIECE = re.compile(r"\w+|[^\w\s]")


@lru_cache(maxsize=64)
def _folded(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` folded (``text.fold``) and, per folded character, its original index."""
    pieces = [fold_char(char) for char in text]
    origin = tuple(index for index, piece in enumerate(pieces) for _ in piece)
    return "".join(pieces), origin


def occurrences(text: str, listed: str) -> list[tuple[int, int]]:
    """Where a listed text stands in the document, left to right: case, accents and spacing
    ("d' un" for "d'un", several spaces for one) do not matter. Whole-word occurrences only,
    unless the text occurs nowhere as whole words (then inside words too)."""
    pieces = _PIECE.findall(fold(listed))
    if not pieces:
        return []
    body = re.escape(pieces[0])
    for before, piece in pairwise(pieces):
        gap = r"\s+" if before[-1].isalnum() and piece[0].isalnum() else r"\s*"
        body += gap + re.escape(piece)
    folded, origin = _folded(text)
    bounded = re.compile(rf"(?<!\w){body}(?!\w)")
    found = list(bounded.finditer(folded)) or list(re.finditer(body, folded))
    return [(origin[m.start()], origin[m.end() - 1] + 1) for m in found]


@dataclass(frozen=True)
class Grounding:
    """Predicted spans of one answer (a span twice when the answer repeats it), and the listed
    items that found no place; ``placed``: each listed item's span in the order listed (None for
    a hallucinated one), which pairs a span with what else the item says (its attribute)."""

    spans: list[Span]
    hallucinated: list[str]
    repeated: int
    placed: list[Span | None]


def ground(text: str, items: Sequence[tuple[str, str]]) -> Grounding:
    """Spans of the listed (text, label) items, in the order listed: each takes the leftmost
    occurrence (``occurrences``) not already taken with that label. An item whose text is
    nowhere in the document is **hallucinated** (its label is kept: a spurious prediction with
    no span, counted in ``hallucination_rate`` too); one whose occurrences are all taken is
    **repeated**: listing "fièvre" twice takes the second "fièvre" of the text, a third listing
    of it is the first "fièvre" again — a span predicted twice, which the matching scores as
    nervaluate scores a span listed twice (the second finds its gold span taken: spurious, or a
    near miss of another overlapping gold span). A model that repeats itself pays for it."""
    taken: set[Span] = set()
    placed: list[Span | None] = []
    hallucinated: list[str] = []
    repeated = 0
    for listed, label in items:
        where = occurrences(text, listed)
        if not where:
            hallucinated.append(label)
            placed.append(None)
            continue
        free = next((Span(s, e, label) for s, e in where if Span(s, e, label) not in taken), None)
        if free is None:
            repeated += 1
            placed.append(Span(*where[0], label))
        else:
            taken.add(free)
            placed.append(free)
    spans = sorted(span for span in placed if span is not None)
    return Grounding(spans, hallucinated, repeated, placed)


# --- an assertion attribute (negation…) ---------------------------------------------------------


@dataclass(frozen=True, order=True)
class AttributedSpan(Span):
    """A span with the value of its entity's assertion attribute (``UNKNOWN_LABEL`` when an
    answer gave none of the attribute's values)."""

    value: str = UNKNOWN_LABEL


@dataclass(frozen=True)
class Attribute:
    """An assertion attribute of a task's entities (a card's ``family_fields``): its name — the
    key of the value in a gold entity and in a model's listed item — and its values."""

    name: str
    values: tuple[str, ...]

    @cached_property
    def _table(self) -> dict[str, str]:
        return {label_key(value): value for value in self.values}

    def read(self, raw: Any) -> str:
        """The value a model wrote, whatever its case, accents or spacing ("indéterminé" →
        ``Indetermine``); ``UNKNOWN_LABEL`` for anything else (missing, a boolean, another
        word), which no gold value equals: a missing or invalid value is wrong, never a crash."""
        if not isinstance(raw, str):
            return UNKNOWN_LABEL
        return self._table.get(label_key(raw), UNKNOWN_LABEL)


def _same_assertion(predicted: Span, gold: Span) -> bool:
    """strict, and the same attribute value."""
    return _strict(predicted, gold) and getattr(predicted, "value", None) == getattr(
        gold, "value", None
    )


# Attribute-aware matching: nervaluate's strict schema with (label, value) as the label.
ASSERTION = Schema("assertion", _same_assertion, "inc")
_STRICT = SCHEMAS[0]


def score_attribute(
    gold: Sequence[AttributedSpan],
    predicted: Sequence[AttributedSpan],
    labels: Iterable[str],
    attribute: Attribute,
    unplaced: Sequence[tuple[str, str]] = (),
) -> dict[str, float]:
    """Per-document statistics of the attribute ``a`` (its name), every label and value listed
    (zeros included):

    - ``{a}_{category}``, ``{a}.{label}_{category}``: span, label **and** value right — strict
      matching with (label, value) as the label (``ASSERTION``), overall and per label (both
      sides restricted to the label);
    - ``{a}_value.{value}_{category}``: the same, both sides restricted to the spans with that
      value (gold spans with it, predictions that gave it);
    - ``{a}_agreement_num/_den`` (and ``.{label}``, ``_value.{value}`` by the gold span's label
      and value): of the strict (span and label) matches, those whose values agree / all.

    ``unplaced`` holds the (label, value) of predictions with no span (hallucinated): spurious
    in every count of their label and value."""
    labels = tuple(labels)
    name = attribute.name
    gold, predicted = sorted(gold), sorted(predicted)
    scopes: list[tuple[str, list[AttributedSpan], list[AttributedSpan], int]] = [
        (name, gold, predicted, len(unplaced))
    ]
    scopes += [
        (
            f"{name}.{label}",
            [span for span in gold if span.label == label],
            [span for span in predicted if span.label == label],
            sum(placeless == label for placeless, _ in unplaced),
        )
        for label in labels
    ]
    scopes += [
        (
            f"{name}_value.{value}",
            [span for span in gold if span.value == value],
            [span for span in predicted if span.value == value],
            sum(placeless == value for _, placeless in unplaced),
        )
        for value in attribute.values
    ]
    stats: dict[str, float] = {}
    for prefix, scope_gold, scope_predicted, unplaced_here in scopes:
        counts = _match(scope_gold, scope_predicted, ASSERTION)
        counts[_SPU] += unplaced_here
        stats |= {f"{prefix}_{c}": as_statistic(n) for c, n in zip(CATEGORIES, counts, strict=True)}
    pairs: list[tuple[int, int]] = []
    _match(gold, predicted, _STRICT, pairs)
    agreement = Counter[str]()
    for p, g in pairs:
        for prefix in ("", f".{gold[g].label}", f"_value.{gold[g].value}"):
            agreement[f"{prefix}_den"] += 1
            agreement[f"{prefix}_num"] += predicted[p].value == gold[g].value
    for prefix in (
        "",
        *(f".{label}" for label in labels),
        *(f"_value.{v}" for v in attribute.values),
    ):
        for part in ("num", "den"):
            stats[f"{name}_agreement{prefix}_{part}"] = as_statistic(agreement[f"{prefix}_{part}"])
    return stats


def attribute_metrics(attribute: Attribute) -> dict[str, dict[str, Any]]:
    """The metric block a card declares for its attribute ``a`` (``metadata.metrics``), named
    from the attribute and its values: ``{a}_f1``, ``{a}_precision``, ``{a}_recall`` (per label
    too), ``{a}_f1_{value}``, ``{a}_accuracy`` (per label too), ``{a}_accuracy_{value}`` and
    ``{a}_invalid_rate`` (value in lower case)."""
    a = attribute.name
    metrics: dict[str, dict[str, Any]] = {
        f"{a}_{measure}": {"aggregation": f"span_{measure}", "stat": a, "per_label": True}
        for measure in ("f1", "precision", "recall")
    }
    metrics |= {
        f"{a}_f1_{value.lower()}": {"aggregation": "span_f1", "stat": f"{a}_value.{value}"}
        for value in attribute.values
    }
    metrics[f"{a}_accuracy"] = {"aggregation": "ratio", "stat": f"{a}_agreement", "per_label": True}
    metrics |= {
        f"{a}_accuracy_{value.lower()}": {
            "aggregation": "ratio",
            "stat": f"{a}_agreement_value.{value}",
        }
        for value in attribute.values
    }
    metrics[f"{a}_invalid_rate"] = {
        "aggregation": "ratio",
        "stat": f"{a}_invalid",
        "higher_is_better": False,
    }
    return metrics


# --- one document -------------------------------------------------------------------------------


def gold_spans(doc: Mapping[str, Any]) -> list[Span]:
    return sorted(Span(e["start"], e["end"], e["label"]) for e in doc["entities"])


def gold_attributed(doc: Mapping[str, Any], attribute: Attribute) -> list[AttributedSpan]:
    return [
        AttributedSpan(e["start"], e["end"], e["label"], e[attribute.name]) for e in doc["entities"]
    ]


def score_answer(
    doc: Mapping[str, Any],
    output: str | None,
    labels: Sequence[str],
    read_label: Callable[[str], str],
    attribute: Attribute | None = None,
) -> dict[str, float]:
    """All statistics of one model answer on one document: ``score_spans`` counts, plus
    ``hallucinated_num/_den`` (listed items found nowhere / listed items), ``unknown_label_num/
    _den`` (items with a label outside the set / listed items) and ``unparsable_num/_den`` (1/1
    when the answer holds no entity list at all — the prediction is then empty —, 0/1 else).
    With an ``attribute``, its ``score_attribute`` statistics too, and ``{a}_invalid_num/_den``
    (listed items whose value is missing or none of the attribute's / listed items)."""
    parsed = parse_entity_list(output, read_label, attribute.name if attribute else None)
    grounding = ground(doc["text"], parsed.items)
    listed = len(parsed.items)
    unknown = sum(label == UNKNOWN_LABEL for _, label in parsed.items)
    stats = score_spans(gold_spans(doc), grounding.spans, labels, grounding.hallucinated)
    stats |= {
        "hallucinated_num": len(grounding.hallucinated),
        "hallucinated_den": listed,
        "unknown_label_num": unknown,
        "unknown_label_den": listed,
        "unparsable_num": float(not parsed.parsed),
        "unparsable_den": 1.0,
    }
    if attribute is None:
        return stats
    values = [attribute.read(raw) for raw in parsed.attributes]
    return stats | attribute_stats(
        gold_attributed(doc, attribute),
        list(zip(grounding.placed, values, strict=True)),
        [label for _, label in parsed.items],
        labels,
        attribute,
    )


def attribute_stats(
    gold: Sequence[AttributedSpan],
    listed: Sequence[tuple[Span | None, str]],
    listed_labels: Sequence[str],
    labels: Sequence[str],
    attribute: Attribute,
) -> dict[str, float]:
    """``score_attribute`` of the listed items — each its span (None: found nowhere) and its
    value as read —, and the ``{a}_invalid_num/_den`` rate."""
    predicted = [
        AttributedSpan(span.start, span.end, span.label, value)
        for span, value in listed
        if span is not None
    ]
    unplaced = [
        (label, value)
        for (span, value), label in zip(listed, listed_labels, strict=True)
        if span is None
    ]
    invalid = sum(value == UNKNOWN_LABEL for _, value in listed)
    return score_attribute(gold, predicted, labels, attribute, unplaced) | {
        f"{attribute.name}_invalid_num": as_statistic(invalid),
        f"{attribute.name}_invalid_den": as_statistic(len(listed)),
    }


def combine_passages(records: Sequence[SampleRecord]) -> SampleRecord:
    """The passages of one document as one scored document: their statistics summed (every
    statistic is a count, and no span crosses a passage boundary, so the sums are exactly the
    document's counts), their prompts, answers and targets joined in passage order."""
    stats: Counter[str] = Counter()
    for record in records:
        stats.update(record.stats)
    first = records[0]
    return first.model_copy(
        update={
            "prompt": "\n\n".join(r.prompt for r in records),
            "output": "\n\n".join(r.output for r in records),
            "target": "\n\n".join(r.target for r in records),
            "stats": dict(stats),
        }
    )


# --- passages -----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?:[.!?;:]\s+|\n\s*)")
_SPACE = re.compile(r"\s+")


def _cut(text: str, start: int, limit: int, blocked: bytearray) -> int:
    """Where the passage from ``start`` ends: the last sentence end (else the last space) within
    ``limit`` characters that cuts no entity, else the first such place after it, else the end."""
    if len(text) - start <= limit:
        return len(text)
    for pattern in (_SENTENCE_END, _SPACE):
        ends = [m.end() for m in pattern.finditer(text, start + 1, start + limit)]
        safe = [end for end in ends if not blocked[end]]
        if safe:
            return safe[-1]
    later = (m.end() for m in _SPACE.finditer(text, start + limit))
    return next((end for end in later if not blocked[end]), len(text))


def split_passages(doc: Mapping[str, Any], max_chars: int) -> list[dict[str, Any]]:
    """The document in passages of at most ``max_chars`` characters where the text allows, cut
    after a sentence end (else at a space) and never inside an entity, so that no prompt is
    long enough to be truncated. Each passage keeps the document's fields, its ``offset`` in
    the document and its ``passage`` number; its entities are those inside it, with offsets
    (and ``fragments``) relative to the passage. A single sentence longer than ``max_chars``
    with no safe space makes a longer passage (never a cut entity)."""
    text, entities = doc["text"], doc["entities"]
    blocked = bytearray(len(text) + 1)
    for entity in entities:
        for position in range(entity["start"] + 1, entity["end"]):
            blocked[position] = 1
    passages, start = [], 0
    while start < len(text):
        end = _cut(text, start, max_chars, blocked)
        first = start + len(text[start:end]) - len(text[start:end].lstrip())
        last = start + len(text[start:end].rstrip())
        inside = [e for e in entities if first <= e["start"] and e["end"] <= last]
        if first < last:
            passages.append(
                {
                    **doc,
                    "text": text[first:last],
                    "entities": [_shifted(e, first) for e in inside],
                    "offset": first,
                    "passage": len(passages),
                }
            )
        start = end
    placed = sum(len(p["entities"]) for p in passages)
    if placed != len(entities):
        raise ValueError(f"document {doc.get('id')}: an entity starts or ends on a space")
    return passages


def _shifted(entity: Mapping[str, Any], offset: int) -> dict[str, Any]:
    moved = {**entity, "start": entity["start"] - offset, "end": entity["end"] - offset}
    if "fragments" in entity:
        moved["fragments"] = [[a - offset, b - offset] for a, b in entity["fragments"]]
    return moved


# --- prompts and task plumbing ------------------------------------------------------------------

# French or English names a model may use for the UMLS groups (``label_reader``).
UMLS_ALIASES = {
    **dict.fromkeys(("Anatomie", "Anatomy", "Anatomique"), "ANAT"),
    **dict.fromkeys(("Chimie", "Chemical", "Médicament", "Substance", "Molécule"), "CHEM"),
    **dict.fromkeys(("Dispositif", "Dispositif médical", "Device"), "DEVI"),
    **dict.fromkeys(("Trouble", "Maladie", "Pathologie", "Symptôme", "Disorder"), "DISO"),
    **dict.fromkeys(("Géographie", "Geography", "Lieu", "Pays"), "GEOG"),
    **dict.fromkeys(("Être vivant", "Living being", "Organisme", "Personne"), "LIVB"),
    **dict.fromkeys(("Objet", "Object"), "OBJC"),
    **dict.fromkeys(("Phénomène", "Phenomenon"), "PHEN"),
    **dict.fromkeys(("Physiologie", "Physiology", "Fonction"), "PHYS"),
    **dict.fromkeys(("Procédure", "Procedure", "Acte", "Examen", "Traitement"), "PROC"),
}


def doc_to_text(doc: Mapping[str, Any]) -> str:
    return f"Texte :\n{doc['text']}\n\nEntités (JSON) :"


def doc_to_target(doc: Mapping[str, Any], attribute: str | None = None) -> str:
    """The gold entities as the model should list them, in text order (a discontinuous
    entity as the text of its outer extent, which is how it is scored), each with its value of
    ``attribute`` when the task has one."""
    entities = sorted(doc["entities"], key=lambda e: (e["start"], -e["end"], e["label"]))
    listed = [
        {"text": doc["text"][e["start"] : e["end"]], "label": e["label"]}
        | ({attribute: e.get(attribute)} if attribute else {})
        for e in entities
    ]
    return json.dumps(listed, ensure_ascii=False)


def entities_in_passage(
    doc: Mapping[str, Any], entities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The ``entities`` of a report (offsets into the whole report) that lie inside its passage
    ``doc`` (``split_passages``: ``offset``, ``text``), with offsets into the passage; an entity
    without whole-number offsets is a ``ReplayError`` naming it."""
    from partages_bench.family import ReplayError

    offset, length = doc["offset"], len(doc["text"])
    inside = []
    for i, entity in enumerate(entities):
        start, end = entity.get("start"), entity.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ReplayError(
                f"entities[{i}] has bad offsets {start}-{end} (a task cut into passages needs "
                "start and end in the report)"
            )
        if offset <= start and end <= offset + length:
            inside.append({**entity, "start": start - offset, "end": end - offset})
    return inside


def passage_answer(doc: Mapping[str, Any], entities: Any, attribute: str | None = None) -> str:
    """A replayed report's entities (offsets into the whole report, as ``score ner`` reads
    them) as the answer to one of its passages (``split_passages``): those inside the passage,
    listed as a model lists them (``doc_to_target``), with their ``attribute`` value as given."""
    from partages_bench.family import ReplayError

    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise ReplayError("entities must be a list of objects")
    inside = entities_in_passage(doc, entities)
    return doc_to_target({"text": doc["text"], "entities": inside}, attribute)


def passage_datasets(splits: Mapping[str, Sequence[Mapping[str, Any]]], max_chars: int) -> Any:
    """lm-eval datasets of passages (``split_passages``), one per split."""
    import datasets

    return {
        split: datasets.Dataset.from_list(
            [passage for doc in docs for passage in split_passages(doc, max_chars)]
        )
        for split, docs in splits.items()
    }


def results_processor(
    labels: Sequence[str],
    aliases: Mapping[str, str] | None = None,
    attribute: Attribute | None = None,
) -> Callable[[Mapping[str, Any], list[str]], dict[str, dict[str, float]]]:
    """A task's lm-eval ``process_results``: all statistics of a passage as one dict metric."""
    read_label = label_reader(labels, aliases)

    def process_results(doc: Mapping[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
        return {"stats": score_answer(doc, results[0], labels, read_label, attribute)}

    return process_results
