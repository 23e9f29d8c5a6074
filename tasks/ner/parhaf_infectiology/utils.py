"""PARHAF infectiology: passages of hospital reports and their scorer, labels and the negation
attribute read from the task's own card (``family_fields``; see README.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.ner import task_fields
from partages_bench.families.ner.scoring import doc_to_target as ner_target
from partages_bench.families.ner.scoring import passage_datasets, results_processor

FIELDS = task_fields(Path(__file__).with_name("parhaf_infectiology.yaml"))
# Reports average about 4,000 characters: passages of 1,000 fit a 2,048-token context with
# the instructions, one few-shot passage and the 512-token answer budget (a test checks it).
PASSAGE_CHARS = 1000


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    return passage_datasets(load_splits("parhaf_infectiology", data_dir), PASSAGE_CHARS)


def doc_to_target(doc: Mapping[str, Any]) -> str:
    return ner_target(doc, FIELDS.attribute)


process_results = results_processor(FIELDS.labels, attribute=FIELDS.attribute_spec())
