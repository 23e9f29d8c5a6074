"""MediQAl: data, prompts and per-question scores of its MCQU and MCQM tasks (see README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.qa.scoring import (
    format_letters,
    format_question,
    parse_letters,
    score_answer,
)

# Per-question statistics each task logs: those its card's metrics read.
_MCQU_STATS = ("emr", "unparsable")
_MCQM_STATS = ("emr", "hamming", "unparsable")


def load_dataset(exam: str, data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    """One exam's splits (``mcqu`` or ``mcqm``, from the task's dataset_kwargs) as
    train/validation/test, from ``data_dir`` (the run's ``--data-dir``, passed with the task's
    metadata), else ``$PARTAGES_BENCH_DATA`` or the pull folder; never the hub."""
    import datasets

    splits = load_splits("mediqal", data_dir)
    return {
        split: datasets.Dataset.from_list(splits[f"{exam}_{split}"])
        for split in ("train", "validation", "test")
    }


def _question(doc: dict[str, Any]) -> str:
    return format_question(doc["question"], doc["options"], context=doc["clinical_case"])


def doc_to_text_mcqu(doc: dict[str, Any]) -> str:
    return f"{_question(doc)}\nRéponse :"


def doc_to_text_mcqm(doc: dict[str, Any]) -> str:
    return f"{_question(doc)}\nRéponse(s) :"


def doc_to_target(doc: dict[str, Any]) -> str:
    return format_letters(doc["correct_answers"])


def _scores(
    doc: dict[str, Any], results: list[str], stats: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    scores = score_answer(parse_letters(results[0]), doc["correct_answers"])
    return {"stats": {name: scores[name] for name in stats}}


def process_results_mcqu(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return _scores(doc, results, _MCQU_STATS)


def process_results_mcqm(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return _scores(doc, results, _MCQM_STATS)
