"""parhaf_response: PARHAF reports, their response-to-treatment class and justification spans
(canonical records of ``load_splits("parhaf_response")``), and their scorer (see README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.classification.scoring import results_processor


def load_dataset(data_dir: Path | None = None, **_metadata: Any) -> dict[str, Any]:
    import datasets

    return {
        split: datasets.Dataset.from_list(rows)
        for split, rows in load_splits("parhaf_response", data_dir).items()
    }


def doc_to_text(doc: dict[str, Any]) -> str:
    return f"Compte rendu :\n{doc['text']}\n\nRéponse (JSON) :"


def doc_to_target(doc: dict[str, Any]) -> str:
    """The expected answer: the class and the first gold justification span (in text order)."""
    spans = sorted(doc.get("justifications") or [], key=lambda span: span["start"])
    quote = spans[0]["text"] if spans else ""
    return json.dumps({"label": doc["label"], "justification": quote}, ensure_ascii=False)


process_results = results_processor(Path(__file__).with_name("parhaf_response.yaml"))
