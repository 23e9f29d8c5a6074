"""The coding family: a hospital stay's documents coded in CIM-10 (ICD-10, French edition), the
PMSI's diagnoses; the model lists the codes as JSON, principal first.

The modules: ``cim10`` (the 22 chapters and their ranges, the code format and normalisation,
the subset table ``generator/content/cim10.csv``), ``scoring`` (the answer parsed, the
per-document statistics, the prompt functions the tasks import), ``offline`` (``score
coding``). Every rule: ``tasks/coding/README.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from partages_bench.family import Family, Prediction, ReplayError

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard

FAMILY_NAME = "coding"


class CodingFamily(Family):
    name = FAMILY_NAME
    description = (
        "Stays coded in CIM-10 (JSON list, principal first): principal accuracy, code and "
        "category micro/macro F1, invalid, hallucinated and negated-finding codes."
    )

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """A system's ``codes`` list written as the JSON a model answers; else ``output``."""
        if "codes" not in prediction:
            return super().replay_output(card, doc, prediction)
        codes = prediction["codes"]
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise ReplayError("codes must be a list of strings")
        return json.dumps({"codes": codes}, ensure_ascii=False)


FAMILY = CodingFamily()
