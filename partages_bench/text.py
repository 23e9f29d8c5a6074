"""French clinical text, read one way everywhere: folding, reasoning blocks, and the formats of
dates, phone numbers and e-mail addresses.

The task families (NER, pseudonymisation, summarisation, QA), the rule-based pseudonymisation
baseline and the masking of identifiers in logs must agree on these, and none of them should
import another family's module to get them: they live here. Family-specific rules (what a token
is for a given score, which label a mention has) stay in each family. Every pattern and fold here
is part of the scores: changing one changes numbers.

- **Folding** (``fold``, ``fold_char``): NFKC, case folding, œ/æ spelt out ("Œdème" is "oedeme"),
  accents stripped, character by character so that offsets map back. ``strip_accents`` is the
  accent stripping alone.
- **Reasoning** (``strip_thinking``): a ``<think>…</think>`` block is not part of the answer.
- **Formats** (``EMAIL``, ``FRENCH_PHONE``, ``MONTH``, ``YEAR``, ``find_dates``, ``same_date``):
  what an identifier of each kind looks like in a French note, and when two dates are one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# --- folding ----------------------------------------------------------------------------------

# French ligatures that NFKC keeps: "Œdème" and "Oedeme" are one word.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def strip_accents(text: str) -> str:
    """``text`` decomposed (NFKD) without its combining marks: "Hélène" → "Helene"; case and
    œ/æ are left as they are."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """One character folded (see ``fold``): maybe empty, maybe several ("œ" → "oe")."""
    return strip_accents(unicodedata.normalize("NFKC", char).casefold().translate(LIGATURES))


class _FoldTable(dict[int, str]):
    """``fold_char`` of each character code met, for ``str.translate``."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """NFKC, case folding, œ/æ spelt out, accents stripped, character by character (so that
    offsets map back): ``fold_char`` of each character, in one ``str.translate`` (notes and
    answers are folded several times each; a call per character was a large part of scoring)."""
    return text.translate(_FOLD_TABLE)


# --- reasoning --------------------------------------------------------------------------------

# A token of folded text: a run of letters, or a run of digits (what pseudonymisation compares,
# and how label names are read).
TOKEN = re.compile(r"[^\W\d_]+|\d+")

_THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)


def strip_thinking(output: str | None) -> str:
    """The answer without ``<think>…</think>`` reasoning (an unclosed one runs to the end)."""
    return _THINKING.sub("", output or "")


# --- formats ----------------------------------------------------------------------------------

Date = tuple[int, int, int]  # day, month, year as written (a two-digit year stays two-digit)

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Ten digits 0X… in any grouping, or +33/0033/(33) then an optional (0) or 0 and nine digits;
# one space, dot or dash at most between digits, and never a piece of a longer number.
FRENCH_PHONE = re.compile(
    r"(?<![\d+])(?<!\d[ .-])"
    r"(?:\(?(?:\+|00)?33\)?[ .-]?(?:\(0\)|0)?[ .-]?|0[ .-]?)[1-9](?:[ .-]?\d){8}"
    r"(?![ .-]?\d)"
)
MONTH = (
    r"(?:janv(?:ier)?|f[ée]v(?:r(?:ier)?)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t"
    r"|sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?)\b\.?"
)
# A year from 1800 to 2099, not inside a longer number.
YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)")
_MONTH_PREFIXES = (
    ("jan", 1),
    ("fev", 2),
    ("mar", 3),
    ("avr", 4),
    ("mai", 5),
    ("juin", 6),
    ("juil", 7),
    ("aou", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
)
# Each date pattern starts with its first digit and checks what precedes the date after it
# ("(?<!\d\d)" after the first digit is "(?<!\d)" before it): a pattern that starts with a
# lookbehind is tried at every character of a note, which tripled the cost of ``find_dates``.
_NUMERIC_DATE = re.compile(
    r"(?P<d>\d(?<!\d\d)(?<!\d[./|-]\d)\d?)(?P<sep>[./|-])(?P<m>\d{1,2})(?P=sep)"
    r"(?P<y>\d{4}|\d{2})(?![./|-]?\d)"
)
_ISO_DATE = re.compile(r"(?P<y>\d(?<![\d./|-]\d)\d{3})-(?P<m>\d{2})-(?P<d>\d{2})(?!-?\d)")
_NAMED_DATE = re.compile(
    rf"(?P<d>\d(?<!\d\d)\d?)(?:er)?\s+(?P<month>{MONTH})\s+(?P<y>\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)


def find_dates(text: str) -> list[tuple[int, int, Date]]:
    """Full dates written the French way, with their offsets: ``12/03/2021`` (or with ``.``,
    ``-``, ``|``; two-digit years), ``2021-03-12``, ``12 mars 2021`` (``1er``, abbreviations,
    any case and accents). Day-month order only; a day above 31 or a month above 12 is no date."""
    found = []
    for pattern in (_NUMERIC_DATE, _ISO_DATE, _NAMED_DATE):
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = int(parts["m"]) if "m" in parts else _month_number(parts["month"])
            day, year = int(parts["d"]), int(parts["y"])
            if 1 <= day <= 31 and 1 <= month <= 12:
                found.append((match.start(), match.end(), (day, month, year)))
    return sorted(found)


def _month_number(name: str) -> int:
    folded = fold(name)
    return next(number for prefix, number in _MONTH_PREFIXES if folded.startswith(prefix))


def same_date(a: Date, b: Date) -> bool:
    """Same day and month, and same year — a two-digit year equals any year with its last two
    digits (``12/03/21`` is ``12 mars 2021``)."""
    return a[:2] == b[:2] and (a[2] == b[2] or (min(a[2], b[2]) < 100 and a[2] % 100 == b[2] % 100))
