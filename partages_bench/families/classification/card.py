"""What a classification card adds (``metadata.family_fields``): its own module, so that the
family's modules import it without importing the family's package."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

FAMILY_NAME = "classification"

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
