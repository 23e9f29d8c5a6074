"""consultation_note_generated: generated dialogues and their facts, the prompt and the per-note
scores (see README.md)."""

from __future__ import annotations

from typing import Any

from partages_bench.families.consultation.scoring import note_stats
from partages_bench.generator.dialogues import generate_dialogues
from partages_bench.names import BENCHMARK_SEED

# The benchmark: 60 test dialogues (test phrasings) and 6 example dialogues (dev phrasings).
GENERATED_SEED = BENCHMARK_SEED
TEST_DIALOGUES = 60
EXAMPLE_DIALOGUES = 6


def load_dataset(**_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        "train": datasets.Dataset.from_list(
            generate_dialogues(EXAMPLE_DIALOGUES, GENERATED_SEED, "dev")
        ),
        "test": datasets.Dataset.from_list(
            generate_dialogues(TEST_DIALOGUES, GENERATED_SEED, "test")
        ),
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"Transcription :\n{doc['transcript']}\n\nObservation médicale :\n"


def doc_to_target(doc: dict[str, Any]) -> str:
    """A note stating every fact (few-shot examples): one section a line, facts by topic."""
    sections = {
        "reason": "Motif",
        "present_illness": "Histoire de la maladie",
        "history": "Antécédents",
        "treatment": "Traitements",
        "lifestyle": "Mode de vie",
        "personal": "Mode de vie",
    }
    lines: dict[str, list[str]] = {}
    for fact in doc["facts"]:
        section = "Allergies" if fact["subtopic"] == "allergy" else sections[fact["topic"]]
        texts = lines.setdefault(section, [])
        if fact["text"] not in texts:  # two numbers of one symptom: one line
            texts.append(fact["text"])
    return "\n".join(f"{section} : " + " ; ".join(texts) for section, texts in lines.items())


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return {"stats": note_stats(results[0] if results else "", doc["facts"], doc["transcript"])}
