"""FrenchMedMCQA: data, prompts and per-question scores of its three tasks (see README.md)."""

from __future__ import annotations

from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.qa import (
    answer_sets,
    best_answer,
    format_letters,
    format_question,
    parse_count,
    parse_letters,
    score_answer,
    score_count,
)

ANSWER_SETS = answer_sets()


def load_dataset(**_metadata: Any) -> dict[str, Any]:
    """The canonical splits from the local mirror or pull folder (never the hub)."""
    import datasets

    return {
        split: datasets.Dataset.from_list(rows)
        for split, rows in load_splits("frenchmedmcqa").items()
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"{format_question(doc['question'], doc['options'])}\nRéponse(s) :"


def doc_to_target(doc: dict[str, Any]) -> str:
    return format_letters(doc["correct_answers"])


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    return score_answer(parse_letters(results[0]), doc["correct_answers"])


# Log-likelihood variant: the 31 possible answers are the choices.


def doc_to_choice(doc: dict[str, Any]) -> list[str]:
    return ANSWER_SETS


def doc_to_target_index(doc: dict[str, Any]) -> int:
    return ANSWER_SETS.index(format_letters(doc["correct_answers"]))


def process_results_loglikelihood(
    doc: dict[str, Any], results: list[tuple[float, bool]]
) -> dict[str, float]:
    predicted = best_answer([loglikelihood for loglikelihood, _ in results], ANSWER_SETS)
    return score_answer(predicted, doc["correct_answers"])


# Task 2: how many options are correct.


def doc_to_text_count(doc: dict[str, Any]) -> str:
    return f"{format_question(doc['question'], doc['options'])}\nNombre de propositions exactes :"


def doc_to_target_count(doc: dict[str, Any]) -> str:
    return str(doc["nbr_correct_answers"])


def process_results_count(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    return score_count(parse_count(results[0]), doc["nbr_correct_answers"])
