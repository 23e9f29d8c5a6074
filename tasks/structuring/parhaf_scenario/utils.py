"""PARHAF scenario: the reports, their eight scenario fields and the scorer (see README.md).

The fields, their comparison kinds and synonyms are the card's (``parhaf_scenario.yaml``,
``metadata.family_fields``): this module reads them from there, so the card is the only place
they are declared."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.structuring import structuring_card
from partages_bench.families.structuring.scoring import task_functions
from partages_bench.registry import read_card

DATASET = "parhaf"
CARD = read_card(Path(__file__).with_name("parhaf_scenario.yaml"))
_FUNCTIONS = task_functions(structuring_card(CARD))
doc_to_target = _FUNCTIONS.doc_to_target
process_results = _FUNCTIONS.process_results


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    """Every split of the canonical PARHAF records (train, dev, and test when the embargoed
    files are there), from ``data_dir`` (the run's ``--data-dir``), else
    ``$PARTAGES_BENCH_DATA`` or the pull folder; never the hub."""
    import datasets

    return {
        split: datasets.Dataset.from_list(records)
        for split, records in load_splits(DATASET, data_dir).items()
    }
