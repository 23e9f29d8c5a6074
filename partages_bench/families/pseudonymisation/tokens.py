"""The family's tokens: maximal runs of letters or of digits of the folded text (``text.fold``:
NFKC, case, accents, œ/æ), with their offsets in the original text. Leak tests, the alignment of
a rewrite and every token statistic are on them (eds-pseudo's statistics excepted, on edsnlp's
tokens: ``eds_scores``)."""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from partages_bench.text import TOKEN, fold, fold_char

DIGIT = re.compile(r"\d")
_TOKEN_OR_GAP = re.compile(f"({TOKEN.pattern})")


@dataclass(frozen=True)
class Tokens:
    """A text's normalised tokens and their character offsets, one tuple of each."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    norms: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.norms)

    def overlapping(self, start: int, end: int) -> range:
        """Indices of the tokens overlapping characters ``[start, end)``."""
        first = bisect_right(self.ends, start)
        return range(first, max(first, bisect_left(self.starts, end)))


@functools.lru_cache(maxsize=65536)  # surrogates are compared again and again
def normalise(text: str) -> str:
    """The tokens of ``text`` joined by single spaces: ``"M. DUPONT-Léa, 12/03"`` →
    ``"m dupont lea 12 03"``; punctuation is only a separator."""
    return " ".join(TOKEN.findall(fold(text)))


@functools.lru_cache(maxsize=8)  # both modes of a note tokenise its text (scoring._note_stats)
def tokenise(text: str) -> Tokens:
    """Normalised tokens with their character offsets in ``text``: split of the folded text
    into gaps and tokens, offsets the running sum of their lengths, mapped back to ``text``
    only where a character folds to more or less than one ("œ" → "oe")."""
    parts = _TOKEN_OR_GAP.split(fold(text))  # gap, token, gap, …, token, gap
    offsets = list(accumulate(map(len, parts), initial=0))
    starts, ends = offsets[1:-1:2], offsets[2::2]
    if any(len(fold_char(char)) != 1 for char in set(text)):
        lengths = np.fromiter(map(len, map(fold_char, text)), np.intp, len(text))
        origin = np.repeat(np.arange(len(text)), lengths)
        starts = origin[starts].tolist()
        ends = (origin[np.subtract(ends, 1, dtype=np.intp)] + 1).tolist()
    return Tokens(tuple(starts), tuple(ends), tuple(parts[1::2]))
