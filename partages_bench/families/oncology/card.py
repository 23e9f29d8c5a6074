"""What an oncology card adds (``metadata.family_fields``): the document field holding the gold
record, and the record's fields with their comparison kinds. Its own
module so that the family descriptor, the scorer and ``score oncology`` share it without
importing one another (and without the generator's content: the synonym tables are read when
a task scores, not when a card is validated)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from partages_bench.families.structuring.card import Kind

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

FAMILY_NAME = "oncology"


class OncologyCard(BaseModel):
    """The gold record's document field (``{field: value | null}``) and each record field's
    comparison kind (one of ``structuring.rules.RULES``), in prompt order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_field: str = Field(default="record", description="document field of the gold record")
    fields: dict[str, Kind] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _identifiers(cls, fields: dict[str, Kind]) -> dict[str, Kind]:
        for name in fields:
            if not name.isidentifier():
                raise ValueError(f"field name '{name}' is not an identifier")
        return fields


def oncology_card(card: TaskCard) -> OncologyCard:
    """A card's oncology fields, validated (``read_card`` validated them once already)."""
    return OncologyCard.model_validate(card.family_fields)
