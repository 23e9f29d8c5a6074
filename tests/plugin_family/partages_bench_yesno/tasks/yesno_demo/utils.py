"""yesno_demo: eight closed questions written for the test, and their per-question scores."""

from __future__ import annotations

from typing import Any

from partages_bench_yesno.questions import QUESTIONS
from partages_bench_yesno.scoring import score


def load_dataset(**_metadata: Any) -> dict[str, Any]:
    import datasets

    rows = [
        {"id": f"q{i}", "question": question, "answer": answer}
        for i, (question, answer) in enumerate(QUESTIONS)
    ]
    return {"test": datasets.Dataset.from_list(rows)}


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    return {"stats": score(results[0], doc["answer"], "oui", "non")}
