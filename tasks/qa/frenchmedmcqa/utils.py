"""FrenchMedMCQA, generative: data, prompt and per-question scores (see README.md)."""

from __future__ import annotations

from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.qa import (
    OPTION_LETTERS,
    format_letters,
    parse_letters,
    score_answer,
)


def load_dataset(**_metadata: Any) -> dict[str, Any]:
    """The canonical splits from the local mirror or pull folder (never the hub)."""
    import datasets

    return {
        split: datasets.Dataset.from_list(rows)
        for split, rows in load_splits("frenchmedmcqa").items()
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    options = "\n".join(f"{letter.upper()}. {doc['options'][letter]}" for letter in OPTION_LETTERS)
    return f"Question : {doc['question']}\n{options}\nRéponse(s) :"


def doc_to_target(doc: dict[str, Any]) -> str:
    return format_letters(doc["correct_answers"])


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    return score_answer(parse_letters(results[0]), doc["correct_answers"])
