"""The contract of a task family: what the core asks of a family, in one place.

A family (QA, summarisation, NER, pseudonymisation, or one a third-party package adds) is one
module or package that defines a subclass of ``Family`` and one instance of it. The core never
names a family: it asks the registry (``partages_bench.families``) for the family of a card and
reads its facts and hooks below. What a family brings:

- **facts as data**: ``holds_identifiers`` (its documents hold identifiers: sample logs are
  masked unless ``--log-phi``, and the leaderboard site withholds its samples),
  ``needs_model_metrics`` (some metrics load a model of their own, like BERTScore),
  ``default_in_suite`` (whether ``--tasks default`` runs its tasks);
- **its card fields**: ``card_fields``, a pydantic model of the ``metadata.family_fields`` block
  its task cards may hold (None: the block must be absent), validated when a card is read;
- **per-sample scoring**: done by its tasks' ``process_results`` (lm-eval), which return one
  ``stats`` dict of per-sample statistics; ``combiners`` reduce several lm-eval documents that
  share a doc id to one scored document (a card's ``combine``); the card's ``metrics`` say how
  statistics aggregate (``partages_bench.stats.AGGREGATIONS``, shared by every family: each is a
  function of per-sample totals, which is what gives every metric its bootstrap interval);
- **model metrics**: ``model_metrics`` returns what computes its model-based statistics over a
  task's records at once (BERTScore), or None;
- **offline scoring**: ``score_command``, the typer function behind ``partages-bench score
  <family>`` (outputs produced elsewhere, scored with the same code);
- **baselines**: reference systems (``Baseline``) that answer a document from the document
  alone; ``partages-bench run --model replay --model-args baseline=NAME`` runs one through the
  same pipeline as a model, and the leaderboard shows it as a baseline;
- **replay**: ``replay_output`` turns one line of a system's prediction file into the text the
  family's tasks parse (a span list from eds-pseudo becomes the JSON listing a model writes);
  ``replays_parts``: it answers each part of a combined document (an NER passage) from the
  whole document's prediction, so that a replay may run a task with a ``combine``;

Its tasks are lm-eval task folders, found like any other (the built-in ones under ``tasks/``; a
package's through the entry point group ``partages_bench.tasks``, see ``registry``).

Facts are class attributes, so that reading them imports nothing heavy; hooks import what they
need when called.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .schema import SampleRecord, TaskCard

Combiner = Callable[["Sequence[SampleRecord]"], "SampleRecord"]
Enrich = Callable[["list[SampleRecord]"], "list[SampleRecord]"]
# A prediction as a replay file holds it (one JSON object a document, without its id).
Prediction = Mapping[str, Any]


class ReplayError(ValueError):
    """A prediction a family cannot turn into an answer: the replay reader reports it with the
    file, line and field (exit code 2)."""


@dataclass(frozen=True)
class Baseline:
    """A reference system: answers a document of a task from the document alone (no model).

    ``answer(card, doc)`` returns a prediction as a replay file would hold it (for instance
    ``{"entities": [...], "text": "..."}``); the family's ``replay_output`` makes it the answer
    text. ``offline`` is the ``partages-bench baseline NAME`` command that writes predictions
    for a gold file (what ``score <family>`` reads), None if the baseline has none."""

    name: str
    description: str
    answer: Callable[[TaskCard, Mapping[str, Any]], Prediction]
    offline: Callable[..., None] | None = None


@dataclass(frozen=True)
class ModelMetricOptions:
    """What the run says about the models behind model metrics (``--bertscore-model``,
    ``--bertscore-layers``)."""

    model: str | None = None
    layers: int | None = None


class ModelMetrics(Protocol):
    """Statistics computed by a model over all of a task's records at once. ``check`` runs
    before anything is loaded (a bad option is one error, not a failed task); ``for_task``
    loads the model on first use and returns what adds the statistics (None when the model is
    not available) and the note that says which model computed them, or why not."""

    def check(self) -> None: ...

    def for_task(self, card: TaskCard) -> tuple[Enrich | None, str]: ...


class Family:
    """One task family; subclass it, set the facts, override the hooks it needs."""

    name: ClassVar[str]
    description: ClassVar[str]
    holds_identifiers: ClassVar[bool] = False
    needs_model_metrics: ClassVar[bool] = False
    default_in_suite: ClassVar[bool] = True
    card_fields: ClassVar[type[BaseModel] | None] = None
    combiners: ClassVar[Mapping[str, Combiner]] = {}
    replays_parts: ClassVar[bool] = False
    # What a record of the family's canonical schema must hold (field -> accepted types), its id
    # field first: checked on datasets declared outside the code (local dataset cards).
    record_fields: ClassVar[Mapping[str, tuple[type, ...]]] = {"id": (str,)}
    # The fields (and type) of each entity of a record's ``entities``, for families with spans.
    entity_fields: ClassVar[Mapping[str, type]] = {}

    def score_command(self) -> Callable[..., None] | None:
        """The typer function of ``partages-bench score <name>``; None: the family has none."""
        return None

    def baselines(self) -> Mapping[str, Baseline]:
        """Its reference systems by name (names are unique across families)."""
        return {}

    def model_metrics(self, options: ModelMetricOptions) -> ModelMetrics | None:
        """What computes its model-based statistics (only asked when ``needs_model_metrics``)."""
        return None

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """The answer text of a document from its prediction: by default its ``output`` field,
        a string as a model would write it (any other JSON value is written as JSON, which is
        what a model asked for JSON writes)."""
        if "output" not in prediction:
            raise ReplayError("missing field 'output' (the system's answer text)")
        output = prediction["output"]
        if output is None:
            return ""
        return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
