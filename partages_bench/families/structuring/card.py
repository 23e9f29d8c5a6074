"""What a structuring card adds (``metadata.family_fields``): its fields, each with its
comparison kind and synonym table, and the document field holding the gold values. Its own
module so that the family descriptor, the scorer and ``score structuring`` share it without
importing one another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

FAMILY_NAME = "structuring"
Kind = Literal["number", "category", "coded", "text", "tnm", "category_set"]


class FieldCard(BaseModel):
    """One field of a structuring card: how it is compared, what it is, and its synonym table
    (canonical value → the variants that mean it): the values of a ``category``, the units of
    a ``number``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    description: str = ""
    synonyms: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _synonyms_of_categories_only(self) -> FieldCard:
        if self.synonyms and self.kind not in ("category", "category_set", "number"):
            raise ValueError(
                f"synonyms are for category, category_set and number fields, not {self.kind}"
            )
        return self

    def synonym_table(self) -> dict[str, str]:
        """Each normalised variant → its normalised canonical value (what ``category_rule`` and
        ``number_rule`` read); a variant of two canonical values is refused."""
        from .rules import normalise

        table: dict[str, str] = {}
        for canonical, variants in self.synonyms.items():
            for variant in (canonical, *variants):
                key, value = normalise(variant), normalise(canonical)
                if table.setdefault(key, value) != value:
                    raise ValueError(
                        f"synonym '{variant}' stands for both '{table[key]}' and '{value}'"
                    )
        return table


class StructuringCard(BaseModel):
    """What a structuring card adds (``metadata.family_fields``): the document field holding
    the gold values, and the fields in the order the prompt and the report list them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_field: str = Field(
        description="document field of the gold values: {field: {text, code}} (null: no value)"
    )
    fields: dict[str, FieldCard] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _names_and_synonyms(cls, fields: dict[str, FieldCard]) -> dict[str, FieldCard]:
        for name, field in fields.items():
            if not name.isidentifier():
                raise ValueError(f"field name '{name}' is not an identifier")
            try:
                field.synonym_table()
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return fields


def structuring_card(card: TaskCard) -> StructuringCard:
    """A card's structuring fields, validated (``read_card`` validated them once already)."""
    return StructuringCard.model_validate(card.family_fields)
