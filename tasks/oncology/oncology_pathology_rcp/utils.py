"""oncology_pathology_rcp: generated pathology reports and RCP syntheses, their tumour records
and the scorer (see README.md).

The fields and their comparison kinds are the card's (``oncology_pathology_rcp.yaml``,
``metadata.family_fields``); the category synonyms are the generator's vocabulary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.families.oncology import oncology_card
from partages_bench.families.oncology.scoring import task_functions
from partages_bench.generator.oncology import generate_oncology
from partages_bench.names import BENCHMARK_SEED
from partages_bench.registry import read_card

# The benchmark: 80 test documents (test phrasings, 10 a site and document type) and 8 example
# documents (dev phrasings).
GENERATED_SEED = BENCHMARK_SEED
TEST_DOCUMENTS = 80
EXAMPLE_DOCUMENTS = 8
CARD = read_card(Path(__file__).with_name("oncology_pathology_rcp.yaml"))
_FUNCTIONS = task_functions(oncology_card(CARD))
doc_to_target = _FUNCTIONS.doc_to_target
process_results = _FUNCTIONS.process_results


def load_dataset(**_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        "train": datasets.Dataset.from_list(
            generate_oncology(EXAMPLE_DOCUMENTS, GENERATED_SEED, "dev")
        ),
        "test": datasets.Dataset.from_list(
            generate_oncology(TEST_DOCUMENTS, GENERATED_SEED, "test")
        ),
    }
