"""The oncology family: a pathology report or a tumour board (RCP) synthesis read into a tumour
record (site, laterality, histology, grade, TNM components, stage, margins, biomarkers, RCP
decision), answered as one JSON object with ``null`` where the document says nothing.

Scored with the structuring family's rules (``structuring.rules``: one comparison a field
kind, ``tnm`` and ``category_set`` included) and its per-document statistics
(``structuring.scoring.score_fields``); category synonyms come from the generator's
vocabulary (``generator/content/oncology/vocabulary.yaml``), the same table the documents are
written from. The modules: ``card`` (the card's fields), ``scoring`` (the answer and the gold
read, the statistics, the prompt functions), ``offline`` (``score oncology``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from partages_bench.family import Family, Prediction, ReplayError

from .card import FAMILY_NAME, OncologyCard, oncology_card

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

__all__ = ["FAMILY", "OncologyCard", "oncology_card"]


class OncologyFamily(Family):
    name = FAMILY_NAME
    description = (
        "Pathology and RCP reports into a tumour record (JSON): per-field accuracy, field micro "
        "F1, hallucinated fields, per cancer site."
    )
    card_fields = OncologyCard

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """A system's ``record`` object written as the JSON a model answers; else ``output``."""
        if "record" not in prediction:
            return super().replay_output(card, doc, prediction)
        if not isinstance(prediction["record"], dict):
            raise ReplayError("record must be an object {field: value}")
        return json.dumps(prediction["record"], ensure_ascii=False)


FAMILY = OncologyFamily()
