"""Document classification with a justifying quote: answer parsing and per-document statistics.

The model writes ``{"label": CLASS, "justification": "<exact quote of the document>"}``.
``parse_answer`` reads the first JSON object of the answer that has a ``label`` (code fences,
prose around it, single quotes and a ``<think>`` block are tolerated); the label is compared
with the card's classes without case, accents, spaces or punctuation ("Maladie stable" is
MaladieStable). No such object, or a label that is not a class, is an **unparsable** answer:
wrong, never an exception, and counted in ``unparsable``.

Per document, with g the gold class and p the answer's class (None when unparsable), every
statistic in ``STAT_KEYS`` order (every document yields every key):

- ``correct`` = [p = g]; ``unparsable`` = [p is None]; ``adjacent_error``, ``distant_error``,
  ``off_axis_error``: the kind of a wrong readable answer (``ClassificationCard`` defines them);
  these five sum to 1;
- ``class_tp``, ``class_fp``, ``class_fn`` pooled over classes, and ``class.C_tp`` = [g = C and
  p = C], ``class.C_fp`` = [p = C ≠ g], ``class.C_fn`` = [g = C ≠ p] for every class C (an
  unparsable answer is a false negative of the gold class and a false positive of none, as
  scikit-learn counts a prediction outside its ``labels``);
- ``confusion.G as P_num`` = [g = G and p = P] for every gold class G and answer P (a class, or
  ``unparsable``), each with ``_den`` = 1: the ``ratio`` of a cell is the share of documents in
  it (× the number of documents = scikit-learn's ``confusion_matrix`` count);
  ``confusion_num`` = [p ≠ g] (the share off the diagonal), ``confusion_den`` = 1;
- ``justification_f1``: character-overlap F1 of the quote with the gold justification spans,
  2·|Q ∩ J| / (|Q| + |J|) with J the characters of the gold spans (their union) and Q those of
  the quote located in the document (below); 0 when no quote is given or found; NaN when the
  gold has no justification span (the metric is a mean over the documents that have one);
- ``justification_not_found`` = 1 when a quote is given that is nowhere in the document.

A quote is located in the document ignoring case, the quotation marks and punctuation around it,
and how much white space separates its words (a quote that reflows a line break is found). When
it occurs several times, the occurrence overlapping the gold spans most counts (the earliest on
a tie): the document alone cannot say which one the model meant. A justification given as a list
of quotes is the union of their characters. The quote is scored whatever the label.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from partages_bench.families.extraction import json_objects
from partages_bench.text import fold, strip_thinking

from .card import UNPARSABLE, ClassificationCard

_LABEL_KEYS = ("label", "classe", "class", "categorie")
_JUSTIFICATION_KEYS = ("justification", "citation", "quote")
_NOT_A_LETTER = re.compile(r"[\W_]+")
_AROUND_QUOTE = " \t\r\n\"'«»“”‘’….,;:"

Span = tuple[int, int]


@dataclass(frozen=True)
class Answer:
    """What an answer says: a class of the card (None: unparsable) and the quotes given."""

    label: str | None
    quotes: tuple[str, ...] = ()


def _key(text: str) -> str:
    return _NOT_A_LETTER.sub("", fold(text))


def read_label(raw: object, card: ClassificationCard) -> str | None:
    """The card's class that ``raw`` names (case, accents, spaces, punctuation ignored)."""
    if not isinstance(raw, str):
        return None
    wanted = _key(raw)
    return next((label for label in card.classes if _key(label) == wanted), None)


def read_quotes(raw: object) -> tuple[str, ...]:
    """The quotes of a justification: a string, or a list of strings (others ignored)."""
    items = raw if isinstance(raw, list) else [raw]
    return tuple(item for item in items if isinstance(item, str) and item.strip())


def _field(item: Mapping[Any, Any], keys: Sequence[str]) -> tuple[bool, Any]:
    fields = {_key(str(key)): value for key, value in item.items()}
    return next(((True, fields[key]) for key in keys if key in fields), (False, None))


def parse_answer(output: str | None, card: ClassificationCard) -> Answer:
    """The first JSON object of ``output`` with a label: its class (None if not one of the
    card's) and its quotes; ``Answer(None)`` when the answer holds no such object."""
    for item in json_objects(strip_thinking(output)):
        has_label, label = _field(item, _LABEL_KEYS)
        if has_label:
            return Answer(
                read_label(label, card), read_quotes(_field(item, _JUSTIFICATION_KEYS)[1])
            )
    return Answer(None)


def error_kind(gold: str, predicted: str | None, card: ClassificationCard) -> str:
    """``correct``, ``unparsable``, or the kind of a wrong answer: ``adjacent``, ``distant`` or
    ``off_axis`` (``ClassificationCard`` defines them)."""
    if predicted is None:
        return "unparsable"
    if predicted == gold:
        return "correct"
    gold_rank, predicted_rank = card.rank(gold), card.rank(predicted)
    if gold_rank is None or predicted_rank is None:
        return "off_axis"
    return "adjacent" if abs(gold_rank - predicted_rank) == 1 else "distant"


def occurrences(quote: str, text: str) -> list[Span]:
    """Where ``quote`` stands in ``text``: case, surrounding quotation marks and dots, and the
    white space between its words ignored."""
    words = quote.strip(_AROUND_QUOTE).split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(map(re.escape, words)), re.IGNORECASE)
    return [match.span() for match in pattern.finditer(text)]


def _characters(spans: Iterable[Span]) -> set[int]:
    return {index for start, end in spans for index in range(start, end)}


def justification_stats(
    quotes: Sequence[str], text: str, gold_spans: Sequence[Span]
) -> dict[str, float]:
    """``justification_f1`` and ``justification_not_found`` of one document (module doc)."""
    gold = _characters(gold_spans)
    quoted: set[int] = set()
    not_found = False
    for quote in quotes:
        found = occurrences(quote, text)
        if not found:
            not_found = True
            continue
        best = max(found, key=lambda span: (len(gold & _characters([span])), -span[0]))
        quoted |= _characters([best])
    f1 = 2 * len(quoted & gold) / (len(quoted) + len(gold)) if gold else math.nan
    return {"justification_f1": f1, "justification_not_found": float(not_found)}


def document_stats(
    answer: Answer, gold: str, gold_spans: Sequence[Span], text: str, card: ClassificationCard
) -> dict[str, float]:
    """Every statistic of one document (module doc), in one order for every document."""
    predicted = answer.label
    kind = error_kind(gold, predicted, card)
    stats = {
        name: float(kind == value)
        for name, value in (
            ("correct", "correct"),
            ("unparsable", "unparsable"),
            ("adjacent_error", "adjacent"),
            ("distant_error", "distant"),
            ("off_axis_error", "off_axis"),
        )
    }
    right = float(predicted == gold)
    stats |= {
        "class_tp": right,
        "class_fp": float(predicted is not None) - right,
        "class_fn": 1 - right,
    }
    for label in card.classes:
        stats[f"class.{label}_tp"] = float(gold == label == predicted)
        stats[f"class.{label}_fp"] = float(predicted == label != gold)
        stats[f"class.{label}_fn"] = float(gold == label != predicted)
    stats |= {"confusion_num": 1 - right, "confusion_den": 1.0}
    answered = predicted or UNPARSABLE
    for row in card.classes:
        for column in (*card.classes, UNPARSABLE):
            stats[f"confusion.{row} as {column}_num"] = float(row == gold and column == answered)
            stats[f"confusion.{row} as {column}_den"] = 1.0
    return stats | justification_stats(answer.quotes, text, gold_spans)


def gold_spans(doc: Mapping[str, Any]) -> list[Span]:
    """The gold justification spans of a canonical record (``justifications``)."""
    return [(span["start"], span["end"]) for span in doc.get("justifications") or []]


@cache
def task_card(task_file: Path) -> ClassificationCard:
    """The classification fields of the card in ``task_file`` (templates merged in)."""
    from partages_bench.registry import read_card

    card = read_card(task_file)
    if card is None:
        raise ValueError(f"{task_file}: not a task")
    return ClassificationCard.model_validate(card.family_fields)


def results_processor(
    task_file: Path,
) -> Callable[[dict[str, Any], list[str]], dict[str, dict[str, float]]]:
    """The ``process_results`` of a task whose documents are canonical records (``text``,
    ``label``, ``justifications``), with the classes of its own card."""

    def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
        card = task_card(task_file)
        answer = parse_answer(results[0], card)
        return {"stats": document_stats(answer, doc["label"], gold_spans(doc), doc["text"], card)}

    return process_results
