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

from pydantic import BaseModel, ConfigDict, Field, model_validator

from partages_bench.family import Baseline, Family, Prediction, ReplayError

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

# The column of the confusion matrix for an answer with no readable class.
UNPARSABLE = "unparsable"


class ClassificationCard(BaseModel):
    """What a classification card adds (``metadata.family_fields``).

    ``classes``: every class a document may have, in the order reports list them; the model's
    label must be one of them (read without case, accents, spaces or punctuation), any other
    answer is unparsable and wrong.

    ``ordered``: the classes that lie on one clinical axis, in its order (for a RECIST-like
    response to treatment: ReponseComplete < ReponsePartielle < MaladieStable <
    MaladieProgressive); the others (NonApplicable, NonDetermine) lie outside it. With ``rank``
    the position of a class on that axis, a wrong answer (readable, not the gold class) is:

    - an **adjacent** error when gold and answer are both on the axis and ``|rank(gold) -
      rank(answer)| = 1`` (Partial called Stable, Stable called Progressive);
    - a **distant** ("clinically ordered") error when both are on the axis and ``|rank(gold) -
      rank(answer)| >= 2`` (Progressive called Complete or Partial, Stable called Complete,
      Complete called Stable…): a reading that reverses the clinical meaning;
    - an **off-axis** error when the gold or the answer is outside the axis (Stable called
      NonDetermine, NonApplicable called Progressive).

    So every document is exactly one of: correct, adjacent error, distant error, off-axis error,
    unparsable.

    ``cues`` (optional): phrases that announce a class (``{"MaladieStable": ["maladie
    stable"]}``), and ``fallback``, the class when none is found: what the ``classification-cues``
    baseline reads (a card without cues has no such baseline).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    classes: list[str] = Field(min_length=2)
    ordered: list[str] = Field(default_factory=list)
    cues: dict[str, list[str]] = Field(default_factory=dict)
    fallback: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ClassificationCard:
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("classes must be distinct")
        if UNPARSABLE in self.classes or any(not c or " " in c for c in self.classes):
            raise ValueError(f"classes must be words without spaces, none '{UNPARSABLE}'")
        if len(set(self.ordered)) != len(self.ordered) or not set(self.ordered) <= set(
            self.classes
        ):
            raise ValueError("ordered must list distinct classes, each one of classes")
        if not set(self.cues) <= set(self.classes) or self.fallback not in {None, *self.classes}:
            raise ValueError("cues and fallback must name classes")
        return self

    def rank(self, label: str) -> int | None:
        """The position of ``label`` on the ordered axis; None off the axis."""
        return self.ordered.index(label) if label in self.ordered else None


def _json_answer(prediction: Prediction) -> str:
    """A ``{label, justification}`` prediction as the JSON answer a model writes (a label that
    is not a class, or not a string, is then an unparsable answer, as a model's would be)."""
    answer = {"label": prediction["label"], "justification": prediction.get("justification", "")}
    return json.dumps(answer, ensure_ascii=False)


def _cue_answer(card: TaskCard, doc: Mapping[str, Any]) -> dict[str, str]:
    from .offline import cue_prediction

    return cue_prediction(card, doc)


class ClassificationFamily(Family):
    name = "classification"
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
