"""Scoring logic of each task family, shared by the task folders and offline scoring."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from partages_bench.families import ner, qa
from partages_bench.schema import SampleRecord

# Per-document reductions named by a card's ``combine``: several lm-eval documents (options of
# a question, passages of a long note) become one scored document.
COMBINERS: dict[str, Callable[[Sequence[SampleRecord]], SampleRecord]] = {
    "option_judgements": qa.combine_option_judgements,
    "passages": ner.combine_passages,
}


def unaggregated(values: list[object]) -> float:
    """lm-eval ``aggregation`` for a metric whose per-sample value is a dict of statistics: we
    aggregate those ourselves (with bootstrap CIs); lm-eval's own number would mean nothing."""
    return float("nan")
