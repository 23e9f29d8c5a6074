"""The functions the pseudonymisation task YAML name (``!function``), shared by the tasks of every
corpus through the mode templates (``tasks/pseudonymisation/_detect_template_yaml``,
``_rewrite_template_yaml``): prompts, example answers and per-note statistics. A corpus with its
own labels (``labels.LabelScheme``) makes its loader, example answers and ``process_results``
with ``scheme_datasets``, ``rewrite_target``, ``detect_results`` and ``rewrite_results``, and
names its scheme on its card (``family_fields.labels``)."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from partages_bench.families.ner.scoring import split_passages

from .labels import LabelScheme
from .schemes import detect_stats, identifiers, rewrite_stats
from .scoring import ground_listing, parse_detected, score_detect, score_rewrite

ProcessResults = Callable[[dict[str, Any], list[str]], dict[str, Any]]

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


def scheme_datasets(
    splits: Mapping[str, Sequence[Mapping[str, Any]]],
    scheme: LabelScheme,
    passage_chars: int | None = None,
) -> dict[str, Any]:
    """lm-eval datasets of a scheme's notes, one per split: with ``passage_chars``, each note
    cut into passages (the NER family's ``split_passages``: never inside a gold span, the
    ``kept`` ones included; the card then says ``combine: passages``); the ``kept`` spans left
    out of the gold (``schemes.identifiers``), so that example answers never list them."""

    def pieces(note: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [note] if passage_chars is None else split_passages(note, passage_chars)

    return note_datasets(
        {
            split: [identifiers(piece, scheme) for note in notes for piece in pieces(note)]
            for split, notes in splits.items()
        }
    )


def rewrite_target(scheme: LabelScheme) -> Callable[[dict[str, Any]], str]:
    """``doc_to_target_rewrite`` for a scheme's notes: each entity replaced, consistently, by a
    surrogate of its eds-pseudo counterpart (``LabelScheme.kind``), or by ``[LABEL]`` for a label
    without one."""

    def doc_to_target(doc: dict[str, Any]) -> str:
        text, pieces, cursor = doc["text"], [], 0
        for entity in sorted(doc["entities"], key=lambda e: e["start"]):
            candidates = _surrogate_pool().get(scheme.kind(entity["label"]))
            if candidates:
                pick = int(hashlib.sha256(entity["entity_id"].encode()).hexdigest(), 16)
                surrogate = candidates[pick % len(candidates)]
                if surrogate == entity["text"]:
                    surrogate = candidates[(pick + 1) % len(candidates)]
            else:
                surrogate = f"[{entity['label']}]"
            pieces += [text[cursor : entity["start"]], surrogate]
            cursor = entity["end"]
        return "".join([*pieces, text[cursor:]])

    return doc_to_target


def detect_results(scheme: LabelScheme) -> ProcessResults:
    """``process_results`` of a detect task on a scheme's notes (``schemes.detect_stats``)."""

    def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
        parsed = parse_detected(results[0], scheme)
        grounded = ground_listing(doc["text"], parsed.items)
        stats = detect_stats(
            doc,
            scheme,
            grounded.redacted,
            parsed.parsed,
            grounded.hallucinated,
            len(parsed.items),
            grounded.listed,
        )
        return {"stats": stats}

    return process_results


def rewrite_results(scheme: LabelScheme) -> ProcessResults:
    """``process_results`` of a rewrite task on a scheme's notes (``schemes.rewrite_stats``)."""

    def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
        return {"stats": rewrite_stats(doc, results[0], scheme)}

    return process_results
