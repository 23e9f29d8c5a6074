"""The structuring family: a document read into a fixed set of typed fields, answered as one JSON
object (PARHAF's scenario: name, age, sex, modes of admission and discharge, diagnosis,
procedure, type of care; later, CIM-10 coding and oncology forms).

A task's card declares its fields (``metadata.family_fields``, the ``StructuringCard`` model
below): each field's comparison kind, one of ``rules.RULES`` — ``number`` (same number),
``category`` (same normalised value, through the card's synonym table), ``coded`` (same code
when the gold has one, and the same 3-character category counted apart; else the same
normalised description), ``text`` (same normalised text) — and the document field holding the
gold values (``record_field``: ``{field: {"text": str | None, "code": str | None}}``). The card
is the whole contract: adding a form is a card, no code.

The modules: ``rules`` (the comparison kinds), ``scoring`` (the answer parsed, the per-document
statistics and the prompt functions the tasks import), ``offline`` (``score structuring``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from partages_bench.family import Family, Prediction, ReplayError

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

Kind = Literal["number", "category", "coded", "text"]


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
        if self.synonyms and self.kind not in ("category", "number"):
            raise ValueError(f"synonyms are for category and number fields, not {self.kind}")
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


class StructuringFamily(Family):
    name = "structuring"
    description = "Documents into typed fields (JSON): per-field accuracy, field-level micro F1."
    card_fields = StructuringCard

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """A system's ``fields`` object written as the JSON a model answers; else ``output``."""
        if "fields" not in prediction:
            return super().replay_output(card, doc, prediction)
        if not isinstance(prediction["fields"], dict):
            raise ReplayError("fields must be an object {field: value}")
        return json.dumps(prediction["fields"], ensure_ascii=False)


FAMILY = StructuringFamily()
