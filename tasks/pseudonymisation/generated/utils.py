"""Pseudonymisation tasks on generated notes: the notes (see README.md); prompts and scores are the
family's (``partages_bench.families.pseudonymisation.task_functions``, named by the mode
templates). The loader calls the family's ``note_datasets`` as ``_datasets``, the name its
source (part of the task hash) has always called."""

from __future__ import annotations

from typing import Any

from partages_bench.families.pseudonymisation.task_functions import note_datasets as _datasets
from partages_bench.generator import BENCHMARK_SEED, generate_notes

# The generated benchmark: 200 test notes (test templates) and 20 example notes (dev templates).
GENERATED_SEED = BENCHMARK_SEED
GENERATED_TEST_NOTES = 200
GENERATED_EXAMPLE_NOTES = 20


def load_generated(**_metadata: Any) -> dict[str, Any]:
    return _datasets(
        {
            "train": generate_notes(GENERATED_EXAMPLE_NOTES, GENERATED_SEED, "dev"),
            "test": generate_notes(GENERATED_TEST_NOTES, GENERATED_SEED, "test"),
        }
    )
