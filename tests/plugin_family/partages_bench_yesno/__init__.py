"""The ``yesno`` family: closed clinical questions answered « oui » or « non ».

What a family brings to partages-bench, and nothing else: its facts, the card fields it adds
(the two answer words), its offline ``score`` command and a baseline. Its task folder is
declared by the entry point ``partages_bench.tasks``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict

from partages_bench.cli_common import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    AsJson,
    Bootstrap,
    BootstrapSeed,
    gold_option,
    predictions_option,
    print_scores,
)
from partages_bench.family import Baseline, Family


class YesNoCard(BaseModel):
    """``metadata.family_fields`` of a yesno card: the two words an answer may be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positive: str = "oui"
    negative: str = "non"


def score_file(gold: Path, predictions: Path, bootstrap: int, seed: int) -> dict[str, Any]:
    """Gold ``{id, question, answer}`` and predictions ``{id, output}``, scored like the task."""
    from partages_bench.registry import Registry
    from partages_bench.report import metric_values
    from partages_bench.schema import SampleRecord
    from partages_bench.scoring import pair_predictions

    from .scoring import score

    card = Registry.discover().card("yesno_demo")
    words = YesNoCard.model_validate(card.family_fields)
    records = [
        SampleRecord(
            doc_index=index,
            doc_id=key,
            prompt="",
            output=str(prediction.get("output") or ""),
            target=str(record["answer"]),
            stats=score(
                str(prediction.get("output") or ""),
                str(record["answer"]),
                words.positive,
                words.negative,
            ),
        )
        for index, (key, record, prediction) in enumerate(pair_predictions(gold, predictions))
    ]
    return metric_values(card, records, bootstrap, seed)


def score_command(
    gold: gold_option("Gold JSONL {id, question, answer}."),
    predictions: predictions_option("JSONL {id, output}."),
    as_json: AsJson = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
) -> None:
    """Score answers to closed questions (oui / non): accuracy and unparsable rate."""
    print_scores({"yesno": score_file(gold, predictions, bootstrap, seed)}, as_json)


def always_yes(card: Any, doc: Mapping[str, Any]) -> dict[str, str]:
    return {"output": YesNoCard.model_validate(card.family_fields).positive}


def always_yes_command(
    gold: gold_option("Gold JSONL {id, question, answer}."),
    output: Annotated[Path, typer.Option(help="Where to write the {id, output} JSONL.")],
) -> None:
    """Answers « oui » to every question."""
    from partages_bench.inputs import read_records
    from partages_bench.outputs import write_jsonl

    write_jsonl(({"id": row["id"], "output": "oui"} for _, row in read_records(gold)), output)


class YesNoFamily(Family):
    name = "yesno"
    description = "Closed clinical questions answered oui or non."
    default_in_suite = False  # a test family: `--tasks default` leaves it out
    card_fields = YesNoCard

    def score_command(self) -> Callable[..., None]:
        return score_command

    def baselines(self) -> Mapping[str, Baseline]:
        return {
            "yesno-always-yes": Baseline(
                "yesno-always-yes", "Answers oui to every question.", always_yes, always_yes_command
            )
        }


FAMILY = YesNoFamily()
