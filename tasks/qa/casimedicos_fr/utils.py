"""casimedicos_fr (QA): CasiMedicos-Arg clinical cases answered by log-likelihood of the option
number (see README.md); the explained variant is tasks/teaching/casimedicos_fr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.qa.scoring import score_answer
from partages_bench.families.teaching.scoring import format_case

CHOICES = ("1", "2", "3", "4", "5")


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        split: datasets.Dataset.from_list(rows)
        for split, rows in load_splits("casimedicos_fr", data_dir).items()
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"Cas clinique :\n{format_case(doc)}\n\nRéponse :"


def doc_to_target(doc: dict[str, Any]) -> int:
    return CHOICES.index(doc["answer"])


def process_results(
    doc: dict[str, Any], results: list[tuple[float, bool]]
) -> dict[str, dict[str, float]]:
    """The option of highest log-likelihood (the first on a tie), scored as a one-option set
    (``emr``: the statistic the card's accuracy reads)."""
    loglikelihoods = [loglikelihood for loglikelihood, _ in results]
    chosen = CHOICES[loglikelihoods.index(max(loglikelihoods))]
    return {"stats": {"emr": score_answer({chosen}, {doc["answer"]})["emr"]}}
