"""The functions the pseudonymisation task YAML name (``!function``), shared by the tasks of every
corpus through the mode templates (``tasks/pseudonymisation/_detect_template_yaml``,
``_rewrite_template_yaml``): prompts, example answers and per-note statistics."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .scoring import ground_listing, parse_detected, score_detect, score_rewrite

_SURROGATE_SEED = 7


def note_datasets(splits: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """lm-eval datasets of notes, one per split."""
    import datasets

    return {split: datasets.Dataset.from_list(rows) for split, rows in splits.items()}


def doc_to_text_detect(doc: dict[str, Any]) -> str:
    return f"Document :\n{doc['text']}\n\nIdentifiants (JSON) :"


def doc_to_target_detect(doc: dict[str, Any]) -> str:
    items = [{"text": e["text"], "label": e["label"]} for e in doc["entities"]]
    return json.dumps(items, ensure_ascii=False)


def doc_to_text_rewrite(doc: dict[str, Any]) -> str:
    return f"Document :\n{doc['text']}\n\nDocument pseudonymisé :"


@functools.cache
def _surrogate_pool() -> dict[str, list[str]]:
    """Identifier texts by label, from generated notes never evaluated (dev pool, other seed)."""
    from partages_bench.generator import generate_notes  # only tasks need it, not scoring

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
