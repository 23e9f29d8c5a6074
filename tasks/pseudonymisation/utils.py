"""Pseudonymisation tasks: data, prompts and per-note scores (see README.md).

Two modes on two corpora: **detect** (list the identifiers as JSON) and **rewrite** (return the
note with every identifier replaced by a surrogate), on notes from our generator and on AP-HP's
eds-pseudo fictitious notes. Scoring lives in ``partages_bench.families.pseudonymisation``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from partages_bench.data import load_splits
from partages_bench.families.pseudonymisation.scoring import (
    ground_listing,
    parse_detected,
    score_detect,
    score_rewrite,
)
from partages_bench.generator import generate_notes

# The generated benchmark: 200 test notes (test templates) and 20 example notes (dev templates).
GENERATED_SEED = 20261125
GENERATED_TEST_NOTES = 200
GENERATED_EXAMPLE_NOTES = 20
_SURROGATE_SEED = 7


def _datasets(splits: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    import datasets

    return {split: datasets.Dataset.from_list(rows) for split, rows in splits.items()}


def load_generated(**_metadata: Any) -> dict[str, Any]:
    return _datasets(
        {
            "train": generate_notes(GENERATED_EXAMPLE_NOTES, GENERATED_SEED, "dev"),
            "test": generate_notes(GENERATED_TEST_NOTES, GENERATED_SEED, "test"),
        }
    )


def load_eds_pseudo(**_metadata: Any) -> dict[str, Any]:
    return _datasets(load_splits("eds_pseudo_synthetic"))


def doc_to_text_detect(doc: dict[str, Any]) -> str:
    return f"Document :\n{doc['text']}\n\nIdentifiants (JSON) :"


def doc_to_target_detect(doc: dict[str, Any]) -> str:
    items = [{"text": e["text"], "label": e["label"]} for e in doc["entities"]]
    return json.dumps(items, ensure_ascii=False)


def doc_to_text_rewrite(doc: dict[str, Any]) -> str:
    return f"Document :\n{doc['text']}\n\nDocument pseudonymisé :"


@cache
def _surrogate_pool() -> dict[str, list[str]]:
    """Identifier texts by label, from generated notes never evaluated (dev pool, other seed)."""
    pool: dict[str, list[str]] = {}
    for note in generate_notes(100, _SURROGATE_SEED, "dev"):
        for entity in note["entities"]:
            pool.setdefault(entity["label"], []).append(entity["text"])
    return {label: sorted(set(texts)) for label, texts in pool.items()}


def doc_to_target_rewrite(doc: dict[str, Any]) -> str:
    """The example answer: each entity replaced, consistently, by a surrogate of its label."""
    text, pieces, cursor = doc["text"], [], 0
    for entity in sorted(doc["entities"], key=lambda e: e["start"]):
        candidates = _surrogate_pool()[entity["label"]]
        pick = int(hashlib.sha256(entity["entity_id"].encode()).hexdigest(), 16)
        surrogate = candidates[pick % len(candidates)]
        if surrogate == entity["text"]:
            surrogate = candidates[(pick + 1) % len(candidates)]
        pieces += [text[cursor : entity["start"]], surrogate]
        cursor = entity["end"]
    return "".join([*pieces, text[cursor:]])


def process_results_detect(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    parsed = parse_detected(results[0])
    grounded = ground_listing(doc["text"], parsed.items)
    stats = score_detect(
        doc,
        grounded.redacted,
        parsed.parsed,
        grounded.hallucinated,
        len(parsed.items),
        listed=grounded.listed,
    )
    return {"stats": stats}


def process_results_rewrite(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    return {"stats": score_rewrite(doc, results[0])}
