"""QUAERO French Medical, EMEA and MEDLINE: passages and their scorer (see README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.ner.scoring import UMLS_ALIASES, passage_datasets, results_processor
from partages_bench.schema import UMLS_GROUPS

PASSAGE_CHARS = 400


def _subcorpus(name: str, data_dir: Path | None) -> dict[str, Any]:
    splits = load_splits("quaero_frenchmed", data_dir)
    return passage_datasets(
        {"train": splits[f"{name}_train"], "test": splits[f"{name}_test"]}, PASSAGE_CHARS
    )


def load_emea(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    return _subcorpus("emea", data_dir)


def load_medline(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    return _subcorpus("medline", data_dir)


process_results = results_processor(UMLS_GROUPS, UMLS_ALIASES)
