"""FrenchMedMCQA: data, prompts and per-question scores of its three tasks (see README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.qa.scoring import (
    JUDGEMENTS,
    OPTION_LETTERS,
    format_letters,
    format_question,
    judge_option,
    parse_count,
    parse_letters,
    score_answer,
    score_count,
)


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    """The canonical splits from ``data_dir`` (the run's ``--data-dir``, which lm-eval passes with
    the task's metadata), else ``$PARTAGES_BENCH_DATA`` or the pull folder; never the hub."""
    import datasets

    return {
        split: datasets.Dataset.from_list(rows)
        for split, rows in load_splits("frenchmedmcqa", data_dir).items()
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"{format_question(doc['question'], doc['options'])}\nRéponse(s) :"


def doc_to_target(doc: dict[str, Any]) -> str:
    return format_letters(doc["correct_answers"])


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return {"stats": score_answer(parse_letters(results[0]), doc["correct_answers"])}


# Log-likelihood variant: each option judged on its own, "Oui" or "Non".


def expand_options(dataset: Any) -> Any:
    """One document per (question, option); the question id pairs them back (card ``combine``)."""
    import datasets

    return datasets.Dataset.from_list(
        [
            {**doc, "question_id": doc["id"], "option": letter}
            for doc in dataset
            for letter in OPTION_LETTERS
        ]
    )


def doc_to_text_option(doc: dict[str, Any]) -> str:
    question = format_question(doc["question"], doc["options"])
    return f"{question}\nLa proposition {doc['option'].upper()} est-elle exacte ?\nRéponse :"


def doc_to_target_option(doc: dict[str, Any]) -> int:
    return JUDGEMENTS.index("Oui" if doc["option"] in doc["correct_answers"] else "Non")


def process_results_option(
    doc: dict[str, Any], results: list[tuple[float, bool]]
) -> dict[str, dict[str, float]]:
    loglikelihoods = [loglikelihood for loglikelihood, _ in results]
    return {"stats": judge_option(loglikelihoods, doc["option"], doc["correct_answers"])}


# Task 2: how many options are correct.


def doc_to_text_count(doc: dict[str, Any]) -> str:
    return f"{format_question(doc['question'], doc['options'])}\nNombre de propositions exactes :"


def doc_to_target_count(doc: dict[str, Any]) -> str:
    return str(doc["nbr_correct_answers"])


def process_results_count(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return {"stats": score_count(parse_count(results[0]), doc["nbr_correct_answers"])}
