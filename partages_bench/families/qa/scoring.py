"""Multiple-choice QA with one or several correct options: answer parsing and per-sample scores.

The model writes option letters in free text. ``parse_letters`` turns that text into a set of
letters; output that cannot be parsed is the empty set, scored as wrong and counted in
``unparsable`` — never an exception.

Per question (FrenchMedMCQA paper definitions, Labrak et al. 2022), with P the predicted and G
the gold set of letters:

- ``emr``: exact match ratio, 1 if P = G, else 0;
- ``hamming``: Hamming score |P ∩ G| / |P ∪ G| (1 when both are empty);
- ``unparsable``: 1 if no letter could be read from the output;
- ``single_correct``: ``emr`` for questions with exactly one gold answer, absent otherwise
  (its mean is the plain accuracy on the single-answer subset).

The log-likelihood formulation judges each option on its own ("La proposition C est-elle
exacte ? Oui / Non"): one document per (question, option), and ``combine_option_judgements``
turns the five judgements of a question back into a predicted set, scored as above.
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from collections.abc import Iterable, Sequence

from partages_bench.schema import SampleRecord
from partages_bench.text import strip_thinking

OPTION_LETTERS = "abcde"

_LETTER = r"\(?\b([A-Ea-e])\b\)?"
_SEPARATOR = r"\s*(?:[,;/&+]|\bet\b|\band\b|-)?\s*"
# A run of option letters at the very start of the answer: "A, C", "(b) et (d)", "a;b;e".
_LEADING_RUN = re.compile(rf"^{_LETTER}(?:{_SEPARATOR}{_LETTER})*(?![\w'])", re.IGNORECASE)
# Letters written together at the start: "ACD" (distinct capitals only).
_GLUED_RUN = re.compile(r"^([A-E]{2,5})(?![\w'])")
# Elsewhere only capital letters count, so that the French verb "a" is not read as option a.
_CAPITAL_RUN = re.compile(rf"\(?\b([A-E])\b\)?(?:{_SEPARATOR}\(?\b([A-E])\b\)?)*(?![\w'])")
_ANSWER_HEADER = re.compile(
    r"(?:bonnes?\s+)?(?:r[ée]ponses?|propositions?|options?)(?:\s*\(s\))?\s*"
    r"(?:correctes?|exactes?|justes?|vraies?)?\s*(?:sont|est|:)\s*:?",
    re.IGNORECASE,
)
# Words that may stand before the letters: "la C", "les propositions B et D", "Option A".
_FILLER = re.compile(
    r"^(?:(?:la|les|le|l'|option|options|proposition|propositions|r[ée]ponses?|lettres?)\s*)+",
    re.IGNORECASE,
)
_OPTION_LINE = re.compile(r"^\s*\(?([A-E])[.)]\s")
_SINGLE_LETTER = re.compile(r"\b([A-Ea-e])\b")
_OPENING_PUNCTUATION = " \t*_[{\"'«“"


def _answer_segment(text: str) -> str:
    """The part of the output that holds the answer: after an answer header, else line one."""
    header = _ANSWER_HEADER.search(text)
    if header:
        text = text[header.end() :]
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return _FILLER.sub("", first_line.strip().lstrip(_OPENING_PUNCTUATION))


def _option_lines(text: str) -> frozenset[str] | None:
    """Letters of consecutive option lines ("A. Le suc…" / "C. La salive…"), if the answer is
    written that way; an echo of all five options in order is no answer at all."""
    lines = [line for line in text.splitlines() if line.strip()]
    letters = []
    for line in lines:
        match = _OPTION_LINE.match(line)
        if match is None:
            break
        letters.append(match.group(1).lower())
    if len(letters) < 2:
        return None
    if letters == list(OPTION_LETTERS):
        return frozenset()
    return frozenset(letters)


def parse_letters(output: str | None) -> frozenset[str]:
    """Read the set of option letters (lower case) a model wrote; empty if none can be read."""
    if not output:
        return frozenset()
    text = strip_thinking(unicodedata.normalize("NFKC", output)).replace("*", "")
    listed = _option_lines(text)
    if listed is not None:
        return listed
    segment = _answer_segment(text)
    glued = _GLUED_RUN.match(segment)
    if glued and len(set(glued.group(1))) == len(glued.group(1)):
        return frozenset(glued.group(1).lower())
    run = _LEADING_RUN.match(segment) or _CAPITAL_RUN.search(segment)
    if run is None:
        return frozenset()
    return frozenset(letter.lower() for letter in _SINGLE_LETTER.findall(run.group(0)))


_COUNT_WORDS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5}
_COUNT = re.compile(r"\b([1-5]|un|une|deux|trois|quatre|cinq)\b", re.IGNORECASE)


def parse_count(output: str | None) -> int | None:
    """How many answers the model says are correct (1–5), read like the letters: after a
    header, else on the first line; ``None`` if no number can be read."""
    if not output:
        return None
    text = strip_thinking(unicodedata.normalize("NFKC", output)).replace("*", "")
    match = _COUNT.search(_answer_segment(text))
    if match is None:
        return None
    word = match.group(1).lower()
    return _COUNT_WORDS.get(word) or int(word)


def score_count(predicted: int | None, gold: int) -> dict[str, float]:
    """Per-question statistics for the number of correct answers: ``correct``, ``unparsable``
    and the classes (``count_gold``, ``count_pred``; 0 = unreadable) that macro-F1 needs."""
    return {
        "correct": float(predicted == gold),
        "unparsable": float(predicted is None),
        "count_gold": float(gold),
        "count_pred": float(predicted or 0),
    }


def score_answer(predicted: Iterable[str], gold: Iterable[str]) -> dict[str, float]:
    """Per-question statistics for a predicted and a gold set of letters."""
    pred, true = {p.lower() for p in predicted}, {g.lower() for g in gold}
    union = pred | true
    stats = {
        "emr": float(pred == true),
        "hamming": len(pred & true) / len(union) if union else 1.0,
        "unparsable": float(not pred),
    }
    if len(true) == 1:
        stats["single_correct"] = stats["emr"]
    return stats


def format_question(question: str, options: dict[str, str], context: str | None = None) -> str:
    """The question block of every French MCQ prompt: optional clinical case, question, options
    as ``A.``–``E.``."""
    lines = [f"Cas clinique : {context}"] if context else []
    lines.append(f"Question : {question}")
    lines += [f"{letter.upper()}. {options[letter]}" for letter in sorted(options)]
    return "\n".join(lines)


def format_letters(letters: Iterable[str]) -> str:
    """Letters as the model is asked to write them: ``A, C``."""
    return ", ".join(letter.upper() for letter in sorted(letters))


def answer_sets(letters: str = OPTION_LETTERS) -> list[str]:
    """Every non-empty answer, formatted: ``A``, ``B``, … ``A, B``, … ``A, B, C, D, E`` (31)."""
    return [
        format_letters(subset)
        for size in range(1, len(letters) + 1)
        for subset in itertools.combinations(letters, size)
    ]


def random_answer(seed: int, key: str, letters: str = OPTION_LETTERS) -> str:
    """A uniformly random non-empty answer set, reproducible per (seed, question key)."""
    choices = answer_sets(letters)
    return random.Random(f"{seed}:{key}").choice(choices)


JUDGEMENTS = ["Oui", "Non"]


def judge_option(
    loglikelihoods: Sequence[float], option: str, gold: Iterable[str]
) -> dict[str, float]:
    """Per-option statistics: which option, whether it is correct, and the model's preference
    for "Oui" over "Non" (log-likelihood difference; > 0 means it judges the option exact)."""
    return {
        "option": float(OPTION_LETTERS.index(option)),
        "gold": float(option in {g.lower() for g in gold}),
        "yes_margin": loglikelihoods[0] - loglikelihoods[1],
    }


def combine_option_judgements(records: Sequence[SampleRecord]) -> SampleRecord:
    """The five judged options of one question as one scored question.

    The prediction is every option judged exact (yes_margin > 0); if none is, the prediction is
    empty — a wrong answer, counted in ``unparsable`` (reported as ``empty_rate``).
    """
    letters = [OPTION_LETTERS[int(r.stats["option"])] for r in records]
    predicted = {
        letter for letter, r in zip(letters, records, strict=True) if r.stats["yes_margin"] > 0
    }
    gold = {letter for letter, r in zip(letters, records, strict=True) if r.stats["gold"] == 1}
    first = records[0]
    return first.model_copy(
        update={
            "prompt": "\n\n".join(r.prompt for r in records),
            "output": format_letters(predicted),
            "target": format_letters(gold),
            "stats": score_answer(predicted, gold),
        }
    )
