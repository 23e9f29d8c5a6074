"""Entity lists written by generative models: parsing and span records.

Shared by the families where a model lists what it found as JSON ``[{"text": …, "label": …}]``
(NER, pseudonymisation detect mode), and by structuring, whose answer is one JSON object
(``json_objects``). Parsing never fails: code fences, prose around the list, single quotes,
``{"entities": […]}`` wrappers and a truncated list (its complete objects) all read; an answer
with nothing usable is an empty prediction flagged ``parsed=False``. What a label may be, and
where a listed text stands in the document, is each family's business.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from partages_bench.text import strip_thinking


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character span, end exclusive."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class ParsedEntities:
    """What an answer lists, as (text, canonical label) in the order written; ``parsed`` is
    False when nothing usable was found; ``unknown_labels`` counts items dropped for a label
    outside the task's set. ``attributes``: when an attribute was asked for, each item's raw
    value of it, in the same order (None where the item has none)."""

    items: list[tuple[str, str]]
    parsed: bool
    unknown_labels: int
    attributes: list[Any] = field(default_factory=list)


_EMPTY_LIST = re.compile(r"\[\s*\]")
_TEXT_KEYS = ("text", "texte", "mention", "value", "valeur")
_LABEL_KEYS = ("label", "type", "category", "categorie", "catégorie", "entity_type", "étiquette")
_PARSE_ERRORS = (ValueError, TypeError, SyntaxError, MemoryError, RecursionError)


def _literal(source: str) -> Any:
    """``source`` read as JSON, else as a Python literal (single quotes); None if neither."""
    try:
        return json.loads(source)
    except _PARSE_ERRORS:
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.literal_eval(source)
    except _PARSE_ERRORS:
        return None


def json_objects(text: str, truncated: bool = False) -> list[dict[Any, Any]]:
    """Every complete ``{…}`` of the text that reads as a dict, innermost first. Strings are
    tracked inside braces only (prose apostrophes are not quotes), and a line break ends a
    string, so a truncated answer still yields its complete objects. With ``truncated``, an
    outermost object still open at the end also yields its complete members (the text up to
    its last top-level comma, closed), last, when that reads as a dict: an answer cut by the
    token budget keeps what it said."""
    found, opened, quote, escaped = [], [], "", False
    member_end = None  # the last top-level comma of the open outermost object
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char in (quote, "\n"):
                quote = ""
        elif char in "\"'" and opened:
            quote = char
        elif char == "{":
            if not opened:
                member_end = None
            opened.append(index)
        elif char == "," and len(opened) == 1:
            member_end = index
        elif char == "}" and opened:
            value = _literal(text[opened.pop() : index + 1])
            if isinstance(value, dict):
                found.append(value)
    if truncated and opened and member_end is not None:
        value = _literal(text[opened[0] : member_end] + "}")
        if isinstance(value, dict):
            found.append(value)
    return found


def _entry(item: Mapping[Any, Any]) -> tuple[str, str] | None:
    """(text, raw label) of one listed item, None if the object names no text."""
    fields = {str(key).casefold(): value for key, value in item.items()}
    listed = next((fields[key] for key in _TEXT_KEYS if key in fields), None)
    if isinstance(listed, bool) or not isinstance(listed, (str, int)) or not str(listed).strip():
        return None
    label = next((fields[key] for key in _LABEL_KEYS if key in fields), "")
    return str(listed).strip(), str(label)


def parse_entity_list(
    output: str | None, canonical_label: Callable[[str], str | None], attribute: str | None = None
) -> ParsedEntities:
    """The (text, label) items an answer lists, in the order written.

    Any object with a text field counts, wherever it stands: a list, ``{"entities": […]}``,
    code fences, prose around, single quotes, a truncated list (its complete objects). Labels
    are mapped by ``canonical_label``; items with an unknown or missing label are dropped and
    counted in ``unknown_labels``. ``parsed`` is False when no object names a text and no empty
    list ``[]`` is given either (then the prediction is empty and the answer unparsable). With
    ``attribute`` (a key such as ``negation``, read whatever its case), each kept item's value
    of it is returned in ``attributes`` as written (None when absent): judging it is the
    caller's business.
    """
    text = strip_thinking(output)
    items, attributes, unknown = [], [], 0
    for item in json_objects(text):
        entry = _entry(item)
        if entry is None:
            continue
        label = canonical_label(entry[1])
        if label is None:
            unknown += 1
            continue
        items.append((entry[0], label))
        if attribute is not None:
            fields = {str(key).casefold(): value for key, value in item.items()}
            attributes.append(fields.get(attribute.casefold()))
    parsed = bool(items) or unknown > 0 or _EMPTY_LIST.search(text) is not None
    return ParsedEntities(items, parsed, unknown, attributes)
