"""labforsims2_note: the dialogues, their derived facts, the prompt and the per-note scores (see
README.md). The facts (``facts.jsonl``, CC BY-SA 4.0) are written by
``scripts/labforsims2_facts.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.consultation.facts import with_facts
from partages_bench.families.consultation.scoring import note_stats

DATASET = "labforsims2_fr"
HERE = Path(__file__).parent


def documents(data_dir: Path | None = None) -> list[dict[str, Any]]:
    """The 41 dialogues (``test``), each with its ``facts``."""
    return with_facts(load_splits(DATASET, data_dir)["test"], HERE)


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    """The dialogues with their facts, from ``data_dir`` (the run's ``--data-dir``), else
    ``$PARTAGES_BENCH_DATA`` or the pull folder; never the hub."""
    import datasets

    return {"test": datasets.Dataset.from_list(documents(data_dir))}


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"Transcription :\n{doc['transcript']}\n\nObservation médicale :\n"


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return {"stats": note_stats(results[0] if results else "", doc["facts"], doc["transcript"])}


def doc_to_target(_doc: dict[str, Any]) -> str:
    """No reference note exists (the facts are the reference): nothing to show as a target."""
    return ""
