"""The teaching family: clinical-case reasoning answered and explained as a teacher would for a
student (CasiMedicos: Spanish MIR residency-exam cases in French translation, five options, the
doctors' explanation annotated with argument components).

Why a family of its own and not a QA variant: QA scores an answer set (exact match, Hamming);
here the answer is one option among five and what is measured is mostly the explanation — the
case findings it cites (premise coverage against the doctors' Premise spans), whether it argues
for the option given (consistency), and its closeness to the doctors' text (French ROUGE-L and
BERTScore, a model metric QA does not load). The answer-only loglikelihood variant stays in QA
(``casimedicos_mcq_ll``), scored like every single-answer MCQ.

The modules: ``scoring`` (answer parsing, content words, the per-case statistics and prompt
functions the tasks import), ``offline`` (``score teaching``). BERTScore reuses the
summarisation family's hook (``BertScoreMetrics``), comparing the explanations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from partages_bench.families.summarisation import BertScoreMetrics
from partages_bench.family import Family, ModelMetricOptions, Prediction, ReplayError

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

from .card import FAMILY_NAME

__all__ = ["FAMILY", "FAMILY_NAME"]


def _explanation(text: str | None) -> str:
    from .scoring import explanation_of

    return explanation_of(text)


class TeachingFamily(Family):
    name = FAMILY_NAME
    description = (
        "Clinical cases answered and explained for students: accuracy, premise coverage, "
        "consistency, ROUGE-L, BERTScore."
    )
    needs_model_metrics = True

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def model_metrics(self, options: ModelMetricOptions) -> BertScoreMetrics:
        """BERTScore of the answer's explanation against the doctors' (the gold target is
        written in the answer format, so both are read by one parser)."""
        return BertScoreMetrics(options, candidate=_explanation, reference=_explanation)

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """``output`` as it is; else ``answer`` and ``explanation`` written in the answer
        format the tasks ask for (``4\\nExplication : …``)."""
        if "output" in prediction or "answer" not in prediction:
            return super().replay_output(card, doc, prediction)
        from .scoring import format_answer

        explanation = prediction.get("explanation", "")
        if not isinstance(explanation, str):
            raise ReplayError("explanation must be a string")
        return format_answer(str(prediction["answer"]), explanation)


FAMILY = TeachingFamily()
