"""From lm-eval's logged samples to our per-sample records and metrics."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import task_card

from partages_bench.errors import TaskCardError
from partages_bench.report import metric_values, sample_records, score_task, task_hash
from partages_bench.schema import MetricCard, TaskCard


def card(**metrics: MetricCard) -> TaskCard:
    return TaskCard(
        name="t",
        family="ner",
        dataset=None,
        licence="x",
        citation="x",
        version="1",
        primary_metric=next(iter(metrics)),
        metrics=metrics,
        requires="generation",
        path="t.yaml",
    )


def logged(doc_id: int, stats: dict[str, Any]) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "doc": {"id": f"d{doc_id}"},
        "doc_hash": f"h{doc_id}",
        "arguments": [("prompt", {})],
        "filtered_resps": ["output"],
        "target": "target",
        "metrics": ["stats"],
        "stats": stats,
    }


def test_dict_valued_metric_is_flattened_and_per_label_metrics_expand() -> None:
    task = card(f1=MetricCard(aggregation="micro_f1", stat="span", per_label=True))
    samples = [
        logged(
            1,
            {
                "span_tp": 2,
                "span_fp": 0,
                "span_fn": 1,
                "span.NOM_tp": 1,
                "span.NOM_fp": 0,
                "span.NOM_fn": 1,
                "span.TEL_tp": 1,
                "span.TEL_fp": 0,
                "span.TEL_fn": 0,
            },
        ),
        logged(
            0,
            {
                "span_tp": 0,
                "span_fp": 1,
                "span_fn": 0,
                "span.NOM_tp": 0,
                "span.NOM_fp": 1,
                "span.NOM_fn": 0,
                "span.TEL_tp": 0,
                "span.TEL_fp": 0,
                "span.TEL_fn": 0,
            },
        ),
    ]
    records = sample_records(task, samples)
    assert [r.doc_id for r in records] == ["d0", "d1"]
    assert records[1].stats["span.NOM_fn"] == 1.0
    values = metric_values(task, records, bootstrap_iterations=0, seed=0)
    assert set(values) == {"f1", "f1/label=NOM", "f1/label=TEL"}
    assert values["f1"].value == pytest.approx(4 / 6)
    assert values["f1/label=NOM"].value == pytest.approx(2 / 4)
    assert values["f1/label=TEL"].value == 1.0


@pytest.mark.parametrize(
    ("returned", "problem"),
    [
        ({"emr": 1.0}, "returned the key 'emr'"),
        ({"stats": {"emr": 1.0}, "emr": 1.0}, "returned the key 'emr'"),
        ({"stats": 1.0}, "returned 'stats' as a float, not a dict"),
        ({}, "returned no 'stats'"),
    ],
)
def test_statistics_come_only_as_the_stats_dict(returned: dict[str, Any], problem: str) -> None:
    """One convention for every task: a process_results returning anything but ``stats`` is named
    with its key, not read half-way."""
    sample = logged(0, {}) | {"metrics": list(returned)}
    del sample["stats"]
    with pytest.raises(TaskCardError, match=rf"^t\.yaml: task t: process_results {problem}; "):
        sample_records(card(emr=MetricCard()), [sample | returned])


def test_the_task_hash_never_depends_on_the_process() -> None:
    """A function lm-eval could not read the source of is dumped as its repr, with a memory
    address that changes from one process to the next."""
    first = {"doc_to_text": "<function doc_to_text at 0x7f291ebf8720>", "num_fewshot": 0}
    second = {"doc_to_text": "<function doc_to_text at 0x7fb64d1e8720>", "num_fewshot": 0}
    assert task_hash(first) == task_hash(second)
    assert task_hash(first) != task_hash({**first, "num_fewshot": 1})


def test_the_task_hash_covers_the_card_wherever_it_is_written() -> None:
    """lm-eval keeps only the task file's own metadata: a metric a family template defines
    reaches the hash through the card the registry read, not through lm-eval's config; the
    card's path (this machine's) does not."""
    config = {"task": "t", "metadata": {"version": "1.0"}}
    base = card(emr=MetricCard())
    assert task_hash(config, base) == task_hash(config, base.model_copy(update={"path": "/x.yaml"}))
    other_metric = base.model_copy(update={"metrics": {"emr": MetricCard(aggregation="nanmean")}})
    assert task_hash(config, base) != task_hash(config, other_metric)
    assert task_hash(config, base) != task_hash(config)


def test_a_metric_undefined_on_the_documents_is_left_out_and_noted() -> None:
    # Single-answer accuracy (nanmean) on two questions that both have several answers.
    card = task_card(
        family="qa",
        primary_metric="emr",
        metrics={
            "emr": MetricCard(),
            "accuracy_single": MetricCard(aggregation="nanmean", stat="single_correct"),
        },
    )
    samples = [
        {
            "doc_id": index,
            "doc": {"id": f"q{index}"},
            "doc_hash": f"h{index}",
            "target": "AB",
            "metrics": ["stats"],
            "stats": {"emr": float(index)},
            "arguments": [["Question ?", {}]],
            "filtered_resps": ["AB"],
        }
        for index in range(2)
    ]
    result, _ = score_task(card, {"samples": {"t": samples}, "configs": {"t": {}}}, 10, 1)
    assert set(result.metrics) == {"emr"}
    assert result.notes == ["undefined on these documents (none is in its subset): accuracy_single"]
