"""The structuring family: a document read into a fixed set of typed fields, answered as one JSON
object (PARHAF's scenario: name, age, sex, modes of admission and discharge, diagnosis,
procedure, type of care; later, CIM-10 coding and oncology forms).

A task's card declares its fields (``metadata.family_fields``, the ``StructuringCard`` model
below): each field's comparison kind, one of ``rules.RULES`` — ``number`` (same number),
``category`` (same normalised value, through the card's synonym table), ``coded`` (same code
when the gold has one, and the same 3-character category counted apart; else the same
normalised description), ``text`` (same normalised text) — and the document field holding the
gold values (``record_field``: ``{field: {"text": str | None, "code": str | None}}``). The card
is the whole contract: adding a form is a card, no code.

The modules: ``card`` (the card's fields), ``rules`` (the comparison kinds), ``scoring`` (the
answer parsed, the per-document statistics and the prompt functions the tasks import),
``offline`` (``score structuring``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from partages_bench.family import Family, Prediction, ReplayError

from .card import FAMILY_NAME, FieldCard, StructuringCard, structuring_card

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

__all__ = ["FAMILY", "FieldCard", "StructuringCard", "structuring_card"]


class StructuringFamily(Family):
    name = FAMILY_NAME
    description = "Documents into typed fields (JSON): per-field accuracy, field-level micro F1."
    card_fields = StructuringCard

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """A system's ``fields`` object written as the JSON a model answers; else ``output``."""
        if "fields" not in prediction:
            return super().replay_output(card, doc, prediction)
        if not isinstance(prediction["fields"], dict):
            raise ReplayError("fields must be an object {field: value}")
        return json.dumps(prediction["fields"], ensure_ascii=False)


FAMILY = StructuringFamily()
