"""Leak tests: whether a gold identifier can still be read in what a system publishes (the
rewritten note, or the note with its detected spans redacted): kept in place, written anywhere as
the same tokens, as another spelling of the same number, or as the same date in another format
(``is_leaked``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from partages_bench.families.pseudonymisation.labels import DATE_LABELS, NUMERIC_LABELS
from partages_bench.families.pseudonymisation.tokens import DIGIT, TOKEN
from partages_bench.text import Date, find_dates, fold, same_date

# A mention this short (initials "A.", "P.E.") is a common French word too ("a", "à"): it
# leaks only where it stands, never because the same letters occur elsewhere.
_SHORT_MENTION = 2

# Digit groups separated only by spaces, dots, dashes or slashes read as one number.
_DIGIT_RUN = re.compile(r"\d+(?:[ \t./-]+\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")
_PHONE_PREFIXES = ("0033", "330", "33", "0")


@dataclass(frozen=True)
class Published:
    """What a reader of the output sees, prepared once for every mention's leak test."""

    tokens: str
    digit_runs: list[list[str]]
    digits: str  # each run's digits, runs separated by "|": what a number must be a piece of
    dates: list[Date]


def as_published(output: str) -> Published:
    """``output`` folded and read once: its tokens, digit runs and dates."""
    folded = fold(output)
    runs = [_DIGIT_GROUP.findall(m.group()) for m in _DIGIT_RUN.finditer(folded)]
    return Published(
        tokens=f" {' '.join(TOKEN.findall(folded))} ",
        digit_runs=runs,
        digits="|".join("".join(run) for run in runs),
        dates=[date for _, _, date in find_dates(folded)],
    )


def _number_spellings(digits: str, label: str) -> set[str]:
    """The digit strings that spell the same identifier: a French phone number with or without
    ``+33``/``0033``/``(0)``/``0`` in front; any other number only as itself."""
    if label == "TEL":
        for prefix in _PHONE_PREFIXES:
            national = digits[len(prefix) :]
            if digits.startswith(prefix) and len(national) == 9 and national[0] != "0":
                return {digits, national, "0" + national, "33" + national, "0033" + national}
    return {digits}


def _joins_groups(groups: Sequence[str], digits: str) -> bool:
    """Whether ``digits`` is the concatenation of consecutive *whole* groups of one run: a
    number never leaks as a piece of a longer one (ZIP 75013 is not in 1750130)."""
    for first in range(len(groups)):
        joined = ""
        for group in groups[first:]:
            joined += group
            if not digits.startswith(joined):
                break
            if joined == digits:
                return True
    return False


def is_leaked(mention: str, label: str, published: Published, kept: bool) -> bool:
    """Whether a gold mention can still be read in the output, in this order:

    1. a mention ``kept`` in place leaks (even glued to the next word, as in
       "Dr MadeleineMariniere", where no token equals it): see ``note_stats._kept_in_place``;
    2. a mention of at most 2 letters/digits (an initial) leaks only so: searching the whole
       output would find "A." in the verb "a";
    3. any other mention leaks if its tokens appear as a contiguous token sequence of the
       output ("12/03/2021" leaks as "12 03 2021"; "A" never matches inside "Anne");
    4. numeric labels (TEL, SECU, IPP, NDA, ZIP) also leak through their digits alone: the
       mention's digits equal consecutive whole digit groups of one output run, groups joined
       by spaces, dots, dashes or slashes ("06.12.34.56.78" leaks "06 12 34 56 78"; a phone
       also with or without +33/0033/(0)), never a piece of a longer group;
    5. dates also leak if the output holds the same date in another format (``find_dates``).

    The test is on the whole output: a mention whose text also occurs outside identifiers
    counts as leaked, since the reader cannot tell which occurrence was the identifier.
    """
    folded = fold(mention)
    tokens = TOKEN.findall(folded)
    if kept or sum(map(len, tokens)) <= _SHORT_MENTION:
        return kept
    if f" {' '.join(tokens)} " in published.tokens:
        return True
    if label in NUMERIC_LABELS:
        digits = "".join(DIGIT.findall(folded))
        spellings = [
            spelling
            for spelling in (_number_spellings(digits, label) if digits else ())
            if spelling in published.digits
        ]
        return any(
            _joins_groups(run, spelling) for run in published.digit_runs for spelling in spellings
        )
    return label in DATE_LABELS and any(
        same_date(gold, seen) for _, _, gold in find_dates(folded) for seen in published.dates
    )
