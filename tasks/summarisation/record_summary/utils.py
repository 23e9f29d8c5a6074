"""record_summary: generated patient records, the prompt and per-record scores (see README.md)."""

from __future__ import annotations

from functools import cache
from typing import Any

from partages_bench.families.summarisation.scoring import DrugLexicon, summary_stats
from partages_bench.generator import BENCHMARK_SEED, KEY_FACT_TYPES, drug_lexicon, generate_records

# The benchmark: 100 test records (test templates) and 10 example records (dev templates).
GENERATED_SEED = BENCHMARK_SEED
TEST_RECORDS = 100
EXAMPLE_RECORDS = 10


def load_dataset(**_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        "train": datasets.Dataset.from_list(
            generate_records(EXAMPLE_RECORDS, GENERATED_SEED, "dev")
        ),
        "test": datasets.Dataset.from_list(generate_records(TEST_RECORDS, GENERATED_SEED, "test")),
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"Dossier patient :\n{doc['source']}\n\nSynthèse de sortie :"


@cache
def _drugs() -> DrugLexicon:
    return DrugLexicon(drug_lexicon())


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    stats = summary_stats(
        results[0], doc["reference"], doc["source"], doc["key_facts"], KEY_FACT_TYPES, _drugs()
    )
    return {"stats": stats}
