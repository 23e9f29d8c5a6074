"""Per-note scoring of the pseudonymisation tasks, in one import: what the task folders, the
offline scorer and the baselines use (the package docstring describes the modes and statistics).
"""

from __future__ import annotations

from partages_bench.families.extraction import Span
from partages_bench.families.pseudonymisation.detect import (
    ground,
    ground_listing,
    parse_detected,
    redact,
    score_detect,
)
from partages_bench.families.pseudonymisation.labels import LABELS, canonical_label
from partages_bench.families.pseudonymisation.note_stats import STAT_KEYS
from partages_bench.families.pseudonymisation.rewrite import score_rewrite
from partages_bench.families.pseudonymisation.tokens import normalise

__all__ = [
    "LABELS",
    "STAT_KEYS",
    "Span",
    "canonical_label",
    "ground",
    "ground_listing",
    "normalise",
    "parse_detected",
    "redact",
    "score_detect",
    "score_rewrite",
]
