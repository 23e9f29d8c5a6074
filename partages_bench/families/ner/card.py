"""What an NER card may add (``metadata.family_fields``): its own module, so that the family's
modules import it without importing the family's package."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

if TYPE_CHECKING:
    from .scoring import Attribute

FAMILY_NAME = "ner"
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
