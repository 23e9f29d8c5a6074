"""The QA family: multiple-choice questions with one or several correct options
(FrenchMedMCQA, MediQAl). Scoring: ``scoring`` (answer parsing, per-question statistics);
offline scoring and the chance baseline: ``offline``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from partages_bench.family import Baseline, Combiner, Family

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard


def _combine_option_judgements(records: Any) -> Any:
    from .scoring import combine_option_judgements

    return combine_option_judgements(records)


def _random_answer(card: TaskCard, doc: Mapping[str, Any]) -> dict[str, str]:
    from .offline import random_prediction

    return random_prediction(card, doc)


class QAFamily(Family):
    name = "qa"
    description = "Multiple-choice questions: the letters of the correct options, or how many."
    combiners: ClassVar[Mapping[str, Combiner]] = {"option_judgements": _combine_option_judgements}

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def baselines(self) -> Mapping[str, Baseline]:
        from .offline import baseline_command

        return {
            "qa-random": Baseline(
                "qa-random",
                "Chance level: a uniformly random non-empty answer set per question.",
                _random_answer,
                baseline_command,
            )
        }


FAMILY = QAFamily()
