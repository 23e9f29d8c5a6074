"""The summarisation family: French ROUGE, key-fact recall, unsupported content, lengths, and
BERTScore (a model of its own, loaded once a run). Scoring: ``scoring``; offline scoring:
``offline``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from partages_bench.family import Enrich, Family, ModelMetricOptions

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard


@dataclass
class BertScoreMetrics:
    """BERTScore for the summarisation tasks of a run: the model is loaded once, on first use,
    and is never skipped or swapped silently: each task's notes name the model and layer, or
    say why BERTScore was not computed.

    ``candidate`` and ``reference``: the texts compared, from a record's answer and target (by
    default ``add_bertscore``'s: the answer without reasoning, the target as it is); the
    teaching family reuses this hook with its own (the explanations of both)."""

    options: ModelMetricOptions
    candidate: Callable[[str | None], str] | None = None
    reference: Callable[[str], str] | None = None
    _loaded: Any = None

    def check(self) -> None:
        """A model outside bert_score's table of tuned layers needs ``--bertscore-layers``."""
        if self.options.model and self.options.layers is None:
            from .scoring import check_bertscore_layers

            check_bertscore_layers(self.options.model)

    def for_task(self, card: TaskCard) -> tuple[Enrich | None, str]:
        from .scoring import add_bertscore, load_bertscorer

        if self._loaded is None:
            layers = self.options.layers
            self._loaded = load_bertscorer(
                self.options.model, **({} if layers is None else {"num_layers": layers})
            )
        if isinstance(self._loaded, str):
            return None, f"BERTScore not computed: {self._loaded}"
        scorer = self._loaded
        described = ", ".join(f"{key} {value}" for key, value in scorer.description.items())
        texts = {"candidate": self.candidate, "reference": self.reference}
        chosen = {name: text for name, text in texts.items() if text is not None}
        return (lambda records: add_bertscore(records, scorer, **chosen)), f"BERTScore: {described}"


class SummarisationFamily(Family):
    name = "summarisation"
    description = "Summaries of records: key facts, unsupported content, ROUGE, BERTScore."
    needs_model_metrics = True

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def model_metrics(self, options: ModelMetricOptions) -> BertScoreMetrics:
        return BertScoreMetrics(options)


FAMILY = SummarisationFamily()
