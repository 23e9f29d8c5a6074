"""QUAERO French Medical, EMEA and MEDLINE: passages and their scorer (see README.md)."""

from __future__ import annotations

from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.ner.scoring import UMLS_ALIASES, passage_datasets, results_processor
from partages_bench.schema import UMLS_GROUPS

PASSAGE_CHARS = 400


def _subcorpus(name: str) -> dict[str, Any]:
    splits = load_splits("quaero_frenchmed")
    return passage_datasets(
        {"train": splits[f"{name}_train"], "test": splits[f"{name}_test"]}, PASSAGE_CHARS
    )


def load_emea(**_metadata: Any) -> dict[str, Any]:
    return _subcorpus("emea")


def load_medline(**_metadata: Any) -> dict[str, Any]:
    return _subcorpus("medline")


process_results = results_processor(UMLS_GROUPS, UMLS_ALIASES)
