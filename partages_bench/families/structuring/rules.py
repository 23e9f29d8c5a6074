"""When a predicted field value equals the gold one: one rule per comparison kind.

A structuring card declares each field's kind (``number``, ``category``, ``coded``, ``text``,
``tnm``, ``category_set``);
the rule of that kind alone decides whether the model got the field right, so that a card says
everything about how a field is scored. Every rule reads values as ``Value`` (what the gold
record or the model's JSON gives: a text and maybe a code) and is exact: each docstring below
is the whole rule, which the family README and the task cards repeat.

Text is compared after ``normalise``: ``partages_bench.text.fold`` (NFKC, case folding, œ/æ
spelt out, accents stripped), then every run of characters that are not letters or digits
(punctuation, underscores, whitespace) one space, and the ends stripped: "Hôpital-de-jour" and
"hopital de  jour" are one value.

A value is **empty** when it is absent, or its normalised text and code are both empty or one of
``EMPTY_WORDS`` (a model asked for ``null`` may write "inconnu" or "non précisé" instead): an
empty prediction is no answer, and an empty gold value means the report has no such field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from partages_bench.text import fold

# Written for "no value": a model's words for null, normalised.
EMPTY_WORDS = frozenset(
    {
        "",
        "null",
        "none",
        "nan",
        "na",
        "n a",
        "nc",
        "nr",
        "inconnu",
        "inconnue",
        "non renseigne",
        "non renseignee",
        "non precise",
        "non precisee",
        "non mentionne",
        "non mentionnee",
        "non applicable",
        "aucun",
        "aucune",
    }
)
CATEGORY_LENGTH = 3
_NOT_WORD = re.compile(r"[\W_]+")
# A number as written: digits, maybe a decimal part after a comma or a point.
_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)")
# What a code may be once normalised: letters and digits only, with at least one digit.
_CODE = re.compile(r"[A-Z0-9]*[0-9][A-Z0-9]*")


@dataclass(frozen=True)
class Value:
    """One field's value: its text (a string, a description, a number and its unit) and its code
    (None: none given)."""

    text: str | None = None
    code: str | None = None


def normalise(text: str) -> str:
    """Folded (``text.fold``), every run of non-letters-or-digits one space, ends stripped."""
    return _NOT_WORD.sub(" ", fold(text)).strip()


def normalise_code(code: str) -> str:
    """A code as compared: upper case, without dots, spaces or dashes ("j18.9" → "J189")."""
    return re.sub(r"[\s.\-]+", "", code).upper()


def is_empty(value: Value) -> bool:
    """No text nor code worth reading (``EMPTY_WORDS`` count as none)."""
    return all(part is None or normalise(part) in EMPTY_WORDS for part in (value.text, value.code))


def _number(text: str | None) -> tuple[float, str] | None:
    """The first number of ``text`` and the word that follows it (its unit, normalised; ""
    when none), or None."""
    if text is None:
        return None
    match = _NUMBER.search(text)
    if match is None:
        return None
    unit = normalise(text[match.end() :]).split(" ", 1)[0]
    return float(match.group(1).replace(",", ".")), unit


def number_rule(predicted: Value, gold: Value, synonyms: Mapping[str, str]) -> bool:
    """number: the first number written in each text is the same ("67 ans", "67", 67.0 all
    read 67; a decimal comma is a point); when both texts name a unit (the normalised word
    right after the number), the units are the same once each is replaced by its canonical
    unit in the card's synonym table ("6 mois" is not "6 ans"; "67 years" is "67 ans" when the
    table says so). A gold text without a number is compared as ``text``."""
    gold_number = _number(gold.text)
    if gold_number is None:
        return text_rule(predicted, gold, synonyms)
    predicted_number = _number(predicted.text)
    if predicted_number is None:
        return False
    (gold_value, gold_unit), (value, unit) = gold_number, predicted_number
    same_unit = synonyms.get(unit, unit) == synonyms.get(gold_unit, gold_unit)
    return value == gold_value and (not unit or not gold_unit or same_unit)


def category_rule(predicted: Value, gold: Value, synonyms: Mapping[str, str]) -> bool:
    """category: the normalised texts are equal once each is replaced by its canonical value in
    the card's synonym table (a normalised variant → its normalised canonical value; a text
    not in the table stands for itself)."""
    if predicted.text is None or gold.text is None:
        return False
    canonical_predicted = normalise(predicted.text)
    canonical_gold = normalise(gold.text)
    return synonyms.get(canonical_predicted, canonical_predicted) == synonyms.get(
        canonical_gold, canonical_gold
    )


def text_rule(predicted: Value, gold: Value, synonyms: Mapping[str, str]) -> bool:
    """text: the normalised texts are equal (no synonyms, no partial credit)."""
    if predicted.text is None or gold.text is None:
        return False
    return normalise(predicted.text) == normalise(gold.text)


def predicted_code(value: Value) -> str | None:
    """The code a prediction gives: its ``code``, else its text when that text, normalised as a
    code, is letters and digits with at least one digit ("J18.9" alone reads as a code;
    "pneumonie" does not). None when it gives none."""
    if value.code is not None and normalise_code(value.code):
        return normalise_code(value.code)
    if value.text is None:
        return None
    code = normalise_code(value.text)
    return code if _CODE.fullmatch(code) else None


def code_exact(predicted: Value, gold: Value) -> bool:
    """coded, exact: the predicted code (``predicted_code``) equals the gold code, both
    normalised (``normalise_code``)."""
    code = predicted_code(predicted)
    return gold.code is not None and code is not None and code == normalise_code(gold.code)


def code_category(predicted: Value, gold: Value) -> bool:
    """coded, category: the first three characters of the normalised codes are equal (the
    CIM-10 category: J18.9 and J18.0 are both J18), and the gold code has at least three."""
    code = predicted_code(predicted)
    if gold.code is None or code is None:
        return False
    category = normalise_code(gold.code)[:CATEGORY_LENGTH]
    return len(category) == CATEGORY_LENGTH and code[:CATEGORY_LENGTH] == category


def coded_rule(predicted: Value, gold: Value, synonyms: Mapping[str, str]) -> bool:
    """coded: when the gold has a code, ``code_exact``; otherwise the normalised description
    (``text_rule``) — a prediction's text is its description, whether or not it gives a code."""
    if gold.code is not None and normalise_code(gold.code):
        return code_exact(predicted, gold)
    return text_rule(predicted, gold, synonyms)


def tnm_component(text: str | None, letter: str | None = None) -> str | None:
    """A TNM component as compared: in the text folded, upper-cased and without spaces, the
    first ``letter`` followed by a category (``IS``, ``X`` or 0–4) with its optional
    subcategory (A–D) and ``MI``. What stands before it is not read, so prefixes do not count
    ("ypT2", "pT2", "cT2" all read "T2"); "pT2aN1M0" read for N is "N1", "N1mi" is "N1MI";
    annotations such as "(sn)", "(i+)" or "(m)" are not compared. A text starting
    with the category itself ("2a") is read with ``letter`` before it. ``letter`` None: the
    text's own first letter. None when no component is found."""
    if text is None:
        return None
    compact = re.sub(r"\s+", "", fold(text)).upper()
    if letter is None:
        match = re.search(r"[TNM]", compact)
        if match is None:
            return None
        letter = match.group(0)
    if re.match(r"(IS|X|[0-4])", compact):
        compact = letter + compact
    found = re.search(rf"{letter}(IS|X|[0-4])([A-D])?(MI)?", compact)
    return None if found is None else found.group(0)


def tnm_rule(predicted: Value, gold: Value, synonyms: Mapping[str, str]) -> bool:
    """tnm: one TNM component (T, N or M, the gold's letter) is the same once each side is read
    by ``tnm_component``: prefix-insensitive ("pT2a", "cT2a", "ypT2a", "T2a", "2a" are one
    value), subcategory-sensitive ("T2" is not "T2a"), and a whole classification answered
    for one component is read for that component ("pT2aN1M0" for N is "N1")."""
    expected = tnm_component(gold.text)
    if expected is None:
        return text_rule(predicted, gold, synonyms)
    return tnm_component(predicted.text, expected[0]) == expected


_ITEM_SEPARATORS = re.compile(r"[;,/+]|\bet\b|\bpuis\b|\bthen\b|\band\b")


def category_items(text: str | None, synonyms: Mapping[str, str]) -> frozenset[str]:
    """The categories of a list written as text: split at ``;``, ``,``, ``/``, ``+`` and the
    words "et", "puis", "then", "and", each item normalised and replaced by its canonical value
    in the synonym table; empty items dropped."""
    if text is None:
        return frozenset()
    items = (normalise(item) for item in _ITEM_SEPARATORS.split(fold(text)))
    return frozenset(synonyms.get(item, item) for item in items if item)


def category_set_rule(predicted: Value, gold: Value, synonyms: Mapping[str, str]) -> bool:
    """category_set: the same set of categories (``category_items``: order and repetition do
    not count, each item through the synonym table); no partial credit."""
    gold_items = category_items(gold.text, synonyms)
    return bool(gold_items) and category_items(predicted.text, synonyms) == gold_items


Rule = Callable[[Value, Value, Mapping[str, str]], bool]
RULES: dict[str, Rule] = {
    "number": number_rule,
    "category": category_rule,
    "coded": coded_rule,
    "text": text_rule,
    "tnm": tnm_rule,
    "category_set": category_set_rule,
}
