"""E3C French layer 1: passages of clinical cases and their scorer (see README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.ner.scoring import passage_datasets, results_processor

LABELS = ("CLINENTITY",)
PASSAGE_CHARS = 400


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    return passage_datasets(load_splits("e3c_fr", data_dir), PASSAGE_CHARS)


process_results = results_processor(LABELS)
