"""refomed: RefoMed-FR term → reformulation pairs and their scores (see README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.summarisation.scoring import summary_stats


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        split: datasets.Dataset.from_list(rows)
        for split, rows in load_splits("refomed_fr", data_dir).items()
    }


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return {"stats": summary_stats(results[0], doc["reformulation"], doc["term"])}
