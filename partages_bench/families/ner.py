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
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from partages_bench.families.extraction import Span, fold, fold_char, parse_entity_list

CATEGORIES = ("cor", "inc", "par", "mis", "spu")
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


def match(gold: Sequence[Span], predicted: Sequence[Span], schema: Schema) -> Counter[str]:
    """COR/INC/PAR/MIS/SPU counts of one document under one schema (see the module docstring)."""
    gold, predicted = sorted(gold), sorted(predicted)
    counts: Counter[str] = Counter(dict.fromkeys(CATEGORIES, 0))
    taken: set[int] = set()
    for prediction in predicted:
        best: int | None = None
        near: int | None = None
        for index, candidate in enumerate(gold):
            if index in taken or not _overlap(prediction, candidate):
                continue
            if schema.correct(prediction, candidate):
                if best is None or _distance(prediction, candidate) < _distance(
                    prediction, gold[best]
                ):
                    best = index
            elif near is None:
                near = index
        if best is not None:
            counts["cor"] += 1
            taken.add(best)
        elif near is not None:
            counts[schema.near_miss] += 1
            taken.add(near)
        else:
            counts["spu"] += 1
    counts["mis"] = len(gold) - len(taken)
    return counts


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
    stats: dict[str, float] = {}
    for schema in SCHEMAS:
        counts = match(gold, predicted, schema)
        counts["spu"] += len(unplaced)
        stats |= {f"{schema.name}_{category}": n for category, n in counts.items()}
        for label in labels:
            counts = match(
                [s for s in gold if s.label == label],
                [s for s in predicted if s.label == label],
                schema,
            )
            counts["spu"] += unplaced.count(label)
            stats |= {f"{schema.name}.{label}_{category}": n for category, n in counts.items()}
    return stats


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
    """``text`` folded (``extraction.fold``) and, per folded character, its original index."""
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
    """Predicted spans of one answer, and the listed items that found no place."""

    spans: list[Span]
    hallucinated: list[str]
    repeated: int


def ground(text: str, items: Sequence[tuple[str, str]]) -> Grounding:
    """Spans of the listed (text, label) items, in the order listed: each takes the leftmost
    occurrence (``occurrences``) not already taken with that label. An item whose text is
    nowhere in the document is **hallucinated** (its label is kept: a spurious prediction with
    no span, counted in ``hallucination_rate`` too); one whose occurrences are all taken is
    **repeated** and adds nothing (listing "fièvre" twice takes the second "fièvre" of the text,
    a third listing of it nothing)."""
    taken: set[Span] = set()
    hallucinated: list[str] = []
    repeated = 0
    for listed, label in items:
        where = occurrences(text, listed)
        if not where:
            hallucinated.append(label)
            continue
        free = next((Span(s, e, label) for s, e in where if Span(s, e, label) not in taken), None)
        if free is None:
            repeated += 1
        else:
            taken.add(free)
    return Grounding(sorted(taken), hallucinated, repeated)


# --- one document -------------------------------------------------------------------------------


def gold_spans(doc: Mapping[str, Any]) -> list[Span]:
    return sorted(Span(e["start"], e["end"], e["label"]) for e in doc["entities"])


def score_answer(
    doc: Mapping[str, Any],
    output: str | None,
    labels: Sequence[str],
    read_label: Callable[[str], str],
) -> dict[str, float]:
    """All statistics of one model answer on one document: ``score_spans`` counts, plus
    ``hallucinated_num/_den`` (listed items found nowhere / listed items), ``unknown_label_num/
    _den`` (items with a label outside the set / listed items) and ``unparsable`` (1 when the
    answer holds no entity list at all; the prediction is then empty)."""
    parsed = parse_entity_list(output, read_label)
    grounding = ground(doc["text"], parsed.items)
    listed = len(parsed.items)
    unknown = sum(label == UNKNOWN_LABEL for _, label in parsed.items)
    stats = score_spans(gold_spans(doc), grounding.spans, labels, grounding.hallucinated)
    return stats | {
        "hallucinated_num": len(grounding.hallucinated),
        "hallucinated_den": listed,
        "unknown_label_num": unknown,
        "unknown_label_den": listed,
        "unparsable": float(not parsed.parsed),
    }
