"""The classification family: one class a document, justified by a quote of the document
(PARHAF's response to treatment). Scoring: ``scoring`` (answer parsing, per-document statistics);
offline scoring: ``offline``.

The model answers ``{"label": CLASS, "justification": "<exact quote of the document>"}``. A
card names its classes and, among them, those that lie on one clinically ordered axis
(``ClassificationCard``), which splits the wrong answers into adjacent and distant errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from partages_bench.family import Baseline, Family, Prediction, ReplayError

from .card import FAMILY_NAME, UNPARSABLE, ClassificationCard

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard


def _json_answer(prediction: Prediction) -> str:
    """A ``{label, justification}`` prediction as the JSON answer a model writes (a label that
    is not a class, or not a string, is then an unparsable answer, as a model's would be)."""
    answer = {"label": prediction["label"], "justification": prediction.get("justification", "")}
    return json.dumps(answer, ensure_ascii=False)


def _cue_answer(card: TaskCard, doc: Mapping[str, Any]) -> dict[str, str]:
    from .offline import cue_prediction

    return cue_prediction(card, doc)


class ClassificationFamily(Family):
    name = FAMILY_NAME
    description = "One class a document with a justifying quote: accuracy, macro-F1, quote F1."
    card_fields = ClassificationCard

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def baselines(self) -> Mapping[str, Baseline]:
        from .offline import baseline_command

        return {
            "classification-cues": Baseline(
                "classification-cues",
                "The class of the last cue phrase of the card found in the document (the "
                "fallback class if none), its sentence quoted as the justification.",
                _cue_answer,
                baseline_command,
            )
        }

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """``output`` as it is; else ``label`` and ``justification`` as the JSON a model
        writes."""
        if "output" in prediction:
            return super().replay_output(card, doc, prediction)
        if "label" in prediction:
            return _json_answer(prediction)
        raise ReplayError("missing field 'output' (or 'label' and 'justification')")


FAMILY = ClassificationFamily()

__all__ = ["FAMILY", "UNPARSABLE", "ClassificationCard"]
