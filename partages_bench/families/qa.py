"""Multiple-choice QA with one or several correct options: answer parsing and per-sample scores.

The model writes option letters in free text. ``parse_letters`` turns that text into a set of
letters; output that cannot be parsed is the empty set, scored as wrong and counted in
``unparsable`` — never an exception.

Per question (FrenchMedMCQA paper definitions, Labrak et al. 2022):

- ``emr``: exact match ratio, 1 if the predicted set equals the gold set, else 0;
- ``hamming``: Hamming score |pred ∩ gold| / |pred ∪ gold| (1 when both are empty);
- ``unparsable``: 1 if no letter could be read from the output.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

OPTION_LETTERS = "abcde"

_LETTER = r"\(?\b([A-Ea-e])\b\)?"
_SEPARATOR = r"\s*(?:[,;/&+]|\bet\b|\band\b|-)?\s*"
# A run of option letters at the very start of the answer: "A, C", "(b) et (d)", "a;b;e".
_LEADING_RUN = re.compile(rf"^\s*{_LETTER}(?:{_SEPARATOR}{_LETTER})*(?![\w'])", re.IGNORECASE)
# Elsewhere only capital letters count, so that the French verb "a" is not read as option a.
_CAPITAL_RUN = re.compile(rf"\(?\b([A-E])\b\)?(?:{_SEPARATOR}\(?\b([A-E])\b\)?)*(?![\w'])")
_ANSWER_HEADER = re.compile(
    r"(?:bonnes?\s+)?r[ée]ponses?(?:\s*\(s\))?\s*(?:correctes?|exactes?|justes?)?\s*"
    r"(?:sont|est|:)\s*:?",
    re.IGNORECASE,
)
_SINGLE_LETTER = re.compile(r"\b([A-Ea-e])\b")


def _answer_segment(text: str) -> str:
    """The part of the output that holds the answer: after an answer header, else line one."""
    header = _ANSWER_HEADER.search(text)
    if header:
        return text[header.end() :].split("\n", 1)[0]
    return next((line for line in text.splitlines() if line.strip()), "")


def parse_letters(output: str | None) -> frozenset[str]:
    """Read the set of option letters (lower case) a model wrote; empty if none can be read."""
    if not output:
        return frozenset()
    text = unicodedata.normalize("NFKC", output).replace("*", "")
    segment = _answer_segment(text)
    run = _LEADING_RUN.match(segment) or _CAPITAL_RUN.search(segment)
    if run is None:
        return frozenset()
    return frozenset(letter.lower() for letter in _SINGLE_LETTER.findall(run.group(0)))


def score_answer(predicted: Iterable[str], gold: Iterable[str]) -> dict[str, float]:
    """Per-question statistics for a predicted and a gold set of letters."""
    pred, true = {p.lower() for p in predicted}, {g.lower() for g in gold}
    union = pred | true
    return {
        "emr": float(pred == true),
        "hamming": len(pred & true) / len(union) if union else 1.0,
        "unparsable": float(not pred),
    }


def format_letters(letters: Iterable[str]) -> str:
    """Gold letters as the model is asked to write them: ``A, C``."""
    return ", ".join(letter.upper() for letter in sorted(letters))
