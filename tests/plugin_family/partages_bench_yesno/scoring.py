"""Closed questions: the answer is « oui » or « non ». ``parse`` reads the first word of the
answer; anything else is unparsable (scored as wrong). Per question: ``correct`` (1 if the
answer is the gold one) and ``unparsable`` (1 if no answer could be read)."""

from __future__ import annotations

import re

_FIRST_WORD = re.compile(r"\W*(\w+)")


def parse(output: str, positive: str, negative: str) -> str | None:
    found = _FIRST_WORD.match(output or "")
    word = found[1].casefold() if found else ""
    return word if word in (positive, negative) else None


def score(output: str, gold: str, positive: str, negative: str) -> dict[str, float]:
    answer = parse(output, positive, negative)
    return {"correct": float(answer == gold), "unparsable": float(answer is None)}
