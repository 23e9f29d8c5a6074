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

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from partages_bench.family import Combiner, Family, Prediction, ReplayError

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

    from .scoring import Attribute

_ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]*")


class NERCard(BaseModel):
    """What an NER card may add (``metadata.family_fields``): ``labels``, the task's label set
    (what ``score ner --task`` scores; empty: the labels of gold and predictions), and an
    assertion ``attribute`` with its ``attribute_values`` (both or neither)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: tuple[str, ...] = ()
    attribute: str | None = None
    attribute_values: tuple[str, ...] = ()

    @field_validator("labels", "attribute_values")
    @classmethod
    def _distinct(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(values)) != len(values) or not all(value.strip() for value in values):
            raise ValueError("values must be distinct non-empty strings")
        return values

    @model_validator(mode="after")
    def _attribute_declared(self) -> NERCard:
        if self.attribute is not None and not _ATTRIBUTE_NAME.fullmatch(self.attribute):
            raise ValueError(f"attribute '{self.attribute}' must be a lower-case identifier")
        if (self.attribute is None) != (not self.attribute_values):
            raise ValueError("attribute and attribute_values go together")
        return self

    def attribute_spec(self) -> Attribute | None:
        from .scoring import Attribute

        if self.attribute is None:
            return None
        return Attribute(self.attribute, self.attribute_values)


def task_fields(task_file: Path) -> NERCard:
    """The ``family_fields`` of the NER card in ``task_file`` (a task's ``utils`` reads its own
    card, so that labels and attribute are declared once)."""
    from partages_bench.errors import TaskCardError
    from partages_bench.registry import read_card

    card = read_card(task_file)
    if card is None:
        raise TaskCardError(f"{task_file}: task: missing (an NER task file)")
    return NERCard.model_validate(card.family_fields)


def _combine_passages(records: Any) -> Any:
    from .scoring import combine_passages

    return combine_passages(records)


class NERFamily(Family):
    name = "ner"
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
