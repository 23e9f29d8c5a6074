"""Rule-based pseudonymisation baseline: regular expressions for the identifiers that have a
format — e-mails, NIR, phones, IPP/NDA numbers after their keyword, dates, postcodes before a
town. It finds **no names, towns, addresses or hospitals** (NOM, PRENOM, VILLE, ADRESSE,
HOPITAL): what a model adds over a few regexes shows there.

``detect`` gives spans for ``score_detect``; ``rewrite`` replaces each by ``[LABEL]`` for
``score_rewrite``. Where two rules find overlapping spans, the rule listed first in ``_RULES``
wins (a NIR is not also read as a phone number and a date).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from stdnum.fr import nir

from partages_bench.families.pseudonymisation.scoring import Span, redact
from partages_bench.text import EMAIL, FRENCH_PHONE, MONTH, find_dates

# Every place where 15 characters (digits, or 2A/2B for Corsica) separated by at most one space
# or dot each could start; the NIR key decides.
_NIR_CANDIDATE = re.compile(r"(?<![\w.])(?=(\d(?:[ .]?[\dAB]){12}(?:[ .]?\d){2})(?!\w))")
_NUMBER_AFTER_KEYWORD = re.compile(
    r"\b(?P<keyword>IPP|NDA|N°\s*(?:de\s+)?s[ée]jour|num[ée]ro\s+(?:de\s+)?s[ée]jour)"
    r"[\s:#()=-]*(?:n°\s*)?(?P<number>\d{6,})(?!\d)",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(rf"\b{MONTH}\s+\d{{4}}(?!\d)", re.IGNORECASE)
# A département number, three digits, then a capitalised word of three letters or more
# ("75013 Paris", "69003, LYON"; not "25000 UI").
_POSTCODE = re.compile(
    r"(?<![\d.,])(?:0[1-9]|[1-8]\d|9[0-578])\d{3}(?=,?[ \t]+[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'-]{2,})"
)


def _emails(text: str) -> Iterator[Span]:
    """MAIL: ``name@domain.tld``."""
    for match in EMAIL.finditer(text):
        yield Span(match.start(), match.end(), "MAIL")


def _numbers_after_keyword(text: str) -> Iterator[Span]:
    """IPP, NDA: six digits or more right after "IPP", "NDA", "N° (de) séjour" or "numéro de
    séjour" (then maybe ":", "#", "=", brackets or "n°"); IPP gives IPP, the others NDA."""
    for match in _NUMBER_AFTER_KEYWORD.finditer(text):
        label = "IPP" if match["keyword"].upper() == "IPP" else "NDA"
        yield Span(match.start("number"), match.end("number"), label)


def _nirs(text: str) -> Iterator[Span]:
    """SECU: 15 characters, with or without spaces or dots, whose NIR key is valid."""
    for match in _NIR_CANDIDATE.finditer(text):
        if nir.is_valid(match[1]):
            yield Span(match.start(1), match.end(1), "SECU")


def _phones(text: str) -> Iterator[Span]:
    """TEL: French numbers (``FRENCH_PHONE``): ten digits 0X… in any grouping, or +33/0033/(33)
    with an optional "(0)"; spaces, dots, dashes or nothing between digits."""
    for match in FRENCH_PHONE.finditer(text):
        yield Span(match.start(), match.end(), "TEL")


def _dates(text: str) -> Iterator[Span]:
    """DATE: full dates (``find_dates``: 12/03/2021, 12.03.21, 2021-03-12, 1er mars 2021) and
    a month name with a year ("mars 2021"). Birth dates are not told apart."""
    for start, end, _ in find_dates(text):
        yield Span(start, end, "DATE")
    for match in _MONTH_YEAR.finditer(text):
        yield Span(match.start(), match.end(), "DATE")


def _postcodes(text: str) -> Iterator[Span]:
    """ZIP: five digits (a valid département) followed by a capitalised word, maybe after a
    comma."""
    for match in _POSTCODE.finditer(text):
        yield Span(match.start(), match.end(), "ZIP")


_RULES: tuple[Callable[[str], Iterator[Span]], ...] = (
    _emails,
    _numbers_after_keyword,
    _nirs,
    _phones,
    _dates,
    _postcodes,
)


def detect(text: str) -> list[Span]:
    """Every identifier the rules find, in text order; a span overlapping one found by an
    earlier rule (or earlier by the same rule) is dropped."""
    accepted: list[Span] = []
    for rule in _RULES:
        for span in rule(text):
            if all(span.end <= kept.start or kept.end <= span.start for kept in accepted):
                accepted.append(span)
    return sorted(accepted)


def rewrite(text: str) -> str:
    """The note with each detected identifier replaced by ``[LABEL]``."""
    return redact(text, detect(text))
