"""cim10_discharge: generated stays and their CIM-10 codes (see README.md); the prompt and the
scoring are the family's (``partages_bench.families.coding.scoring``)."""

from __future__ import annotations

from typing import Any

from partages_bench.generator.coding import generate_coding_documents
from partages_bench.names import BENCHMARK_SEED

# The benchmark: 120 test documents (test templates) and 6 examples (dev templates).
GENERATED_SEED = BENCHMARK_SEED
TEST_DOCUMENTS = 120
EXAMPLE_DOCUMENTS = 6


def load_dataset(**_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        "train": datasets.Dataset.from_list(
            generate_coding_documents(EXAMPLE_DOCUMENTS, GENERATED_SEED, "dev")
        ),
        "test": datasets.Dataset.from_list(
            generate_coding_documents(TEST_DOCUMENTS, GENERATED_SEED, "test")
        ),
    }
