"""Synthetic French clinical documents with exact PHI spans, deterministic for a seed.

One generator for the whole project: the pseudonymisation family evaluates on notes with gold
spans for AP-HP eds-pseudo's 13 labels and ``keep`` spans (non-PHI content that must survive),
and the summarisation family gets patient records (``generate_records``, in ``records.py``):
several documents of one ``ClinicalCase`` rendered with ``render_document``, typed key facts and
a reference summary. Templates are split into a dev pool (few-shot examples) and a disjoint
test pool, so a test note never reuses a template shown as an example.

Note ``i`` of ``generate_notes(n, seed, split)`` depends only on ``(seed, split, i)``: a larger
``n`` extends the list without changing its start. Nothing here touches the network.
"""

from __future__ import annotations

import random

from partages_bench.errors import UserError
from partages_bench.generator.clinical import ClinicalCase, make_case
from partages_bench.generator.documents import (
    CONTROL_TEMPLATES,
    DOC_TYPES,
    HARD_CASES,
    LABELS,
    POOLS,
    TEMPLATES,
    Note,
    Pool,
    Template,
    render_document,
    render_template,
)
from partages_bench.generator.records import (
    DIFFICULTIES,
    KEY_FACT_TYPES,
    Record,
    drug_lexicon,
    generate_record,
    generate_records,
)
from partages_bench.names import BENCHMARK_SEED
from partages_bench.outputs import write_jsonl

__all__ = [
    "BENCHMARK_SEED",
    "CONTROL_RATE",
    "DIFFICULTIES",
    "DOC_TYPES",
    "HARD_CASES",
    "KEY_FACT_TYPES",
    "LABELS",
    "POOLS",
    "TEMPLATES",
    "ClinicalCase",
    "Note",
    "Record",
    "Template",
    "drug_lexicon",
    "generate_note",
    "generate_notes",
    "generate_record",
    "generate_records",
    "make_case",
    "render_document",
    "write_jsonl",
]

# Share of PHI-free notes: they measure false positives of a pseudonymiser on clean text.
CONTROL_RATE = 0.07


def generate_note(seed: int, split: Pool, index: int) -> Note:
    """Note ``index`` of a (seed, split) stream, from its own random generator."""
    if split not in ("dev", "test"):
        raise UserError(f"split must be 'dev' or 'test', not {split!r}")
    rng = random.Random(f"{seed}:{split}:{index}")
    if rng.random() < CONTROL_RATE:
        template = rng.choice(CONTROL_TEMPLATES[split])
    else:
        template = rng.choice(POOLS[split, rng.choice(DOC_TYPES)])
    case = make_case(rng, "oncologie" if template.doc_type == "rcp_synthesis" else None)
    return {"note_id": f"gen-{split}-{seed}-{index:05d}", **render_template(case, template, rng)}


def generate_notes(n: int, seed: int, split: Pool) -> list[Note]:
    return [generate_note(seed, split, index) for index in range(n)]
