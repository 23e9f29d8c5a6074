"""Mantra GSC French: units and their scorer (see README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.ner.scoring import UMLS_ALIASES, passage_datasets, results_processor
from partages_bench.schema import UMLS_GROUPS

PASSAGE_CHARS = 400


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    return passage_datasets(load_splits("mantra_gsc_fr", data_dir), PASSAGE_CHARS)


process_results = results_processor(UMLS_GROUPS, UMLS_ALIASES)
