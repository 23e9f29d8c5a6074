"""casimedicos_fr: CasiMedicos-Arg clinical cases (canonical records of
``load_splits("casimedicos_fr")``), their prompts and scorer (see README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.teaching.scoring import format_answer, format_case, score_case


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        split: datasets.Dataset.from_list(rows)
        for split, rows in load_splits("casimedicos_fr", data_dir).items()
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"Cas clinique :\n{format_case(doc)}\n\nRéponse :"


def doc_to_target(doc: dict[str, Any]) -> str:
    """The doctors' answer in the format asked: the option number, then their explanation."""
    return format_answer(doc["answer"], doc["explanation"])


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return {"stats": score_case(doc, results[0])}
