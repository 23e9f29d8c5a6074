"""The NER family: entities listed by the model, grounded in the text and matched with
nervaluate's four schemas (E3C, QUAERO, Mantra GSC, PARHAF infectiology). Scoring:
``scoring``; offline scoring: ``offline``.

A card may declare (``metadata.family_fields``, ``NERCard``) its label set and an **assertion
attribute** of its entities — a key every gold entity carries and every listed item should give,
with its closed set of values (PARHAF infectiology: ``negation`` ∈ Present, Absent,
Indetermine). The family then scores the attribute too (``scoring.score_attribute``); nothing
here knows which task declares what.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from partages_bench.family import Combiner, Family, Prediction, ReplayError

from .card import FAMILY_NAME, NERCard, task_fields

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard


def _combine_passages(records: Any) -> Any:
    from .scoring import combine_passages

    return combine_passages(records)


class NERFamily(Family):
    name = FAMILY_NAME
    record_fields: ClassVar[Mapping[str, tuple[type, ...]]] = {
        "id": (str,),
        "text": (str,),
        "entities": (list,),
    }
    entity_fields: ClassVar[Mapping[str, type]] = {"start": int, "end": int, "label": str}
    description = "Named entities: strict, exact, partial and type P/R/F1 on spans."
    card_fields = NERCard
    replays_parts = True
    combiners: ClassVar[Mapping[str, Combiner]] = {"passages": _combine_passages}

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """For a passage (every built-in NER task cuts its documents), the report's
        ``entities`` with offsets into the report — a gold record of the task is one —: those
        inside the passage, listed as a model lists them, with the card's attribute; an answer
        text (``output``) for the whole report cannot be cut. Elsewhere, ``output``."""
        if "offset" not in doc:
            return super().replay_output(card, doc, prediction)
        if "entities" not in prediction:
            raise ReplayError(
                f"missing field 'entities' (offsets into the report): task {card.name} cuts "
                "reports into passages, and an answer text ('output') cannot be cut"
            )
        from .scoring import passage_answer

        attribute = NERCard.model_validate(card.family_fields).attribute
        return passage_answer(doc, prediction["entities"], attribute)

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command


FAMILY = NERFamily()

__all__ = ["FAMILY", "NERCard", "task_fields"]
