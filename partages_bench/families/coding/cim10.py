"""The CIM-10 (ICD-10, French edition) as the coding family knows it: the WHO's 22 chapters with
their code ranges, the code format, and the subset table the generator codes from
(``generator/content/cim10.csv``: code, official French label, chapter).

A code is **valid** when it has the CIM-10 format — a letter, two digits, then optionally a dot
and one or two characters (digits, or ``X`` as a placeholder: the ATIH's 5-character codes such
as ``E66.00``) — and its 3-character category falls in a chapter's range. We ship no full list
of the ~42 000 codes: a well-formed code of an existing chapter range counts as valid even if it
is not in the table (``E11.8`` is valid; ``E95`` is not, no chapter holds it). The table is read
and checked on first use: each code's format, each chapter consistent with the ranges below, no
code twice. Light module (no numpy): card validation and ``tasks list`` may import it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from partages_bench.errors import UserError

TABLE_PATH = Path(__file__).resolve().parents[2] / "generator" / "content" / "cim10.csv"

# The 22 chapters of the WHO ICD-10 (2019 edition): (chapter, first category, last category).
CHAPTERS: tuple[tuple[str, str, str], ...] = (
    ("I", "A00", "B99"),  # certaines maladies infectieuses et parasitaires
    ("II", "C00", "D48"),  # tumeurs
    ("III", "D50", "D89"),  # maladies du sang et des organes hématopoïétiques
    ("IV", "E00", "E90"),  # maladies endocriniennes, nutritionnelles et métaboliques
    ("V", "F00", "F99"),  # troubles mentaux et du comportement
    ("VI", "G00", "G99"),  # maladies du système nerveux
    ("VII", "H00", "H59"),  # maladies de l'œil et de ses annexes
    ("VIII", "H60", "H95"),  # maladies de l'oreille et de l'apophyse mastoïde
    ("IX", "I00", "I99"),  # maladies de l'appareil circulatoire
    ("X", "J00", "J99"),  # maladies de l'appareil respiratoire
    ("XI", "K00", "K93"),  # maladies de l'appareil digestif
    ("XII", "L00", "L99"),  # maladies de la peau et du tissu cellulaire sous-cutané
    ("XIII", "M00", "M99"),  # maladies du système ostéo-articulaire et du tissu conjonctif
    ("XIV", "N00", "N99"),  # maladies de l'appareil génito-urinaire
    ("XV", "O00", "O99"),  # grossesse, accouchement et puerpéralité
    ("XVI", "P00", "P96"),  # certaines affections de la période périnatale
    ("XVII", "Q00", "Q99"),  # malformations congénitales et anomalies chromosomiques
    ("XVIII", "R00", "R99"),  # symptômes, signes et résultats anormaux non classés ailleurs
    ("XIX", "S00", "T98"),  # lésions traumatiques, empoisonnements et certaines autres conséquences
    ("XX", "V01", "Y98"),  # causes externes de morbidité et de mortalité
    ("XXI", "Z00", "Z99"),  # facteurs influant sur l'état de santé et motifs de recours
    ("XXII", "U00", "U99"),  # codes d'utilisation particulière
)
CHAPTER_NAMES = tuple(chapter for chapter, _, _ in CHAPTERS)
CODE_FORMAT = re.compile(r"[A-Z][0-9]{2}(\.[0-9X]{1,2})?")
_UNDOTTED = re.compile(r"([A-Z][0-9]{2})([0-9X]{1,2})")
_MARKS = " \t\n\r+*†"  # dagger and asterisk marks written after a code


def normalise(raw: str) -> str:
    """A written code in the table's form: upper case, spaces and dagger/asterisk marks
    removed, the dot inserted when left out (``"i500"`` → ``"I50.0"``). Any other text is
    returned stripped and upper-cased (it then fails ``is_valid``)."""
    code = "".join(raw.split()).upper().strip(_MARKS)
    undotted = _UNDOTTED.fullmatch(code)
    return f"{undotted[1]}.{undotted[2]}" if undotted else code


def category(code: str) -> str:
    """The 3-character category of a normalised code (``I50.0`` → ``I50``)."""
    return code[:3]


def chapter_of(code: str) -> str | None:
    """The roman numeral of the chapter whose range holds the code's category; None for a code
    of bad format or a category outside every chapter."""
    if not CODE_FORMAT.fullmatch(code):
        return None
    head = category(code)
    return next((name for name, first, last in CHAPTERS if first <= head <= last), None)


def is_valid(code: str) -> bool:
    """Whether a normalised code is a CIM-10 code: the format and a chapter's range."""
    return chapter_of(code) is not None


@dataclass(frozen=True)
class Cim10Entry:
    code: str
    label: str
    chapter: str


class Cim10TableError(UserError):
    """A bad row of the CIM-10 table: one line naming the file and the line."""


@cache
def table(path: Path = TABLE_PATH) -> dict[str, Cim10Entry]:
    """The subset table by code, checked: ``code;label;chapter`` rows after the header (lines
    starting with ``#`` are comments), each code well formed, its chapter the one its range
    gives, no code twice."""
    from partages_bench.inputs import read_text

    lines = [line for line in read_text(path).splitlines() if not line.startswith("#")]
    rows = list(csv.reader(lines, delimiter=";"))
    if not rows or rows[0] != ["code", "label", "chapter"]:
        raise Cim10TableError(f"{path}: the header must be code;label;chapter")
    entries: dict[str, Cim10Entry] = {}
    for number, row in enumerate(rows[1:], start=2):
        where = f"{path}: row {number}"
        if len(row) != 3 or not all(cell.strip() for cell in row):
            raise Cim10TableError(f"{where}: expected 3 non-empty cells separated by ;")
        code, label, chapter = (cell.strip() for cell in row)
        if not CODE_FORMAT.fullmatch(code):
            raise Cim10TableError(f"{where}: {code!r} is not a CIM-10 code (A00, A00.0, A00.00)")
        if chapter_of(code) != chapter:
            raise Cim10TableError(
                f"{where}: {code} is in chapter {chapter_of(code)}, not {chapter}"
            )
        if code in entries:
            raise Cim10TableError(f"{where}: {code} is listed twice")
        entries[code] = Cim10Entry(code, label, chapter)
    return entries
