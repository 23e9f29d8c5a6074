"""The NER family: entities listed by the model, grounded in the text and matched with
nervaluate's four schemas (E3C, QUAERO, Mantra GSC). Scoring: ``scoring``; offline scoring:
``offline``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from partages_bench.family import Combiner, Family


def _combine_passages(records: Any) -> Any:
    from .scoring import combine_passages

    return combine_passages(records)


class NERFamily(Family):
    name = "ner"
    description = "Named entities: strict, exact, partial and type P/R/F1 on spans."
    combiners: ClassVar[Mapping[str, Combiner]] = {"passages": _combine_passages}

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command


FAMILY = NERFamily()
