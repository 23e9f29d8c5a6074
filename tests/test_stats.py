"""The statistics core: aggregations and seeded bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from partages_bench.stats import MetricSpec, bootstrap_indices, estimate_all, micro_f1


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.mark.parametrize(("successes", "n"), [(60, 200), (150, 200), (500, 622)])
def test_bootstrap_ci_of_a_mean_matches_wilson(successes: int, n: int) -> None:
    scores = [{"emr": 1.0}] * successes + [{"emr": 0.0}] * (n - successes)
    estimate = estimate_all(scores, [MetricSpec("emr")], iterations=4000, seed=7)["emr"]
    low, high = wilson_interval(successes, n)
    assert estimate.value == pytest.approx(successes / n)
    # Percentile bootstrap and Wilson agree to within about a point on these sizes.
    assert estimate.ci_low == pytest.approx(low, abs=0.012)
    assert estimate.ci_high == pytest.approx(high, abs=0.012)


def test_bootstrap_is_seeded_and_deterministic() -> None:
    scores = [{"x": float(i % 3 == 0)} for i in range(101)]
    first = estimate_all(scores, [MetricSpec("x")], seed=3)
    second = estimate_all(scores, [MetricSpec("x")], seed=3)
    other = estimate_all(scores, [MetricSpec("x")], seed=4)
    assert first == second
    assert first != other


def test_micro_f1_pools_counts_and_gets_a_real_interval() -> None:
    per_doc = [
        {"s_tp": 3, "s_fp": 1, "s_fn": 0},
        {"s_tp": 0, "s_fp": 2, "s_fn": 4},
        {"s_tp": 5, "s_fp": 0, "s_fn": 1},
    ] * 20
    result = estimate_all(per_doc, [MetricSpec("f1", "micro_f1", stat="s")], seed=1)["f1"]
    tp, fp, fn = 8 * 20, 3 * 20, 5 * 20
    assert result.value == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert result.ci_low < result.value < result.ci_high


def test_micro_f1_is_zero_without_any_entity() -> None:
    zeros = {"s_tp": np.zeros(4), "s_fp": np.zeros(4), "s_fn": np.zeros(4)}
    assert micro_f1(zeros, "s") == 0.0


def test_vectorised_bootstrap_equals_a_loop() -> None:
    rng = np.random.default_rng(0)
    values = rng.random(50)
    indices = bootstrap_indices(50, 200, seed=11)
    looped = sorted(values[row].mean() for row in indices)
    estimate = estimate_all([{"v": v} for v in values], [MetricSpec("v")], iterations=200, seed=11)
    assert estimate["v"].ci_low == pytest.approx(np.percentile(looped, 2.5))
    assert estimate["v"].ci_high == pytest.approx(np.percentile(looped, 97.5))


def test_single_sample_has_a_degenerate_interval() -> None:
    estimate = estimate_all([{"v": 0.5}], [MetricSpec("v")])["v"]
    assert (estimate.value, estimate.ci_low, estimate.ci_high) == (0.5, 0.5, 0.5)


def test_macro_f1_agrees_with_scikit_learn() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(5)
    gold = rng.integers(1, 6, size=300)
    pred = np.where(rng.random(300) < 0.5, gold, rng.integers(0, 6, size=300))
    per_sample = [{"c_gold": g, "c_pred": p} for g, p in zip(gold, pred, strict=True)]
    ours = estimate_all(per_sample, [MetricSpec("f1", "class_macro_f1", stat="c")], seed=2)["f1"]
    labels = sorted(set(gold) | (set(pred) - {0}))
    reference = f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    assert ours.value == pytest.approx(reference, abs=1e-12)
    assert ours.ci_low < ours.value < ours.ci_high


def test_nanmean_averages_the_defined_subset() -> None:
    per_sample = [{"s": 1.0}, {}, {"s": 0.0}, {"s": 1.0}, {}]
    result = estimate_all(per_sample, [MetricSpec("s", "nanmean")], seed=1)["s"]
    assert result.value == pytest.approx(2 / 3)
    assert 0.0 <= result.ci_low <= result.value <= result.ci_high <= 1.0


def test_nanmean_of_a_subset_no_sample_is_in_is_undefined_not_an_error() -> None:
    # frenchmedmcqa's single-answer accuracy on documents that all have several answers.
    per_sample = [{"emr": 1.0}, {"emr": 0.0}, {"emr": 1.0}]
    specs = [MetricSpec("emr", "mean"), MetricSpec("single", "nanmean")]
    result = estimate_all(per_sample, specs, seed=1)
    assert result["emr"].value == pytest.approx(2 / 3)
    assert math.isnan(result["single"].value)
    assert math.isnan(result["single"].ci_low) and math.isnan(result["single"].ci_high)


def test_card_schema_knows_every_aggregation() -> None:
    from typing import get_args

    from partages_bench.schema import AggregationName
    from partages_bench.stats import AGGREGATIONS

    assert set(get_args(AggregationName)) == set(AGGREGATIONS)


def test_pooled_ratio_precision_recall_and_f2() -> None:
    per_doc = [
        {"s_tp": 3, "s_fp": 1, "s_fn": 2, "leak_num": 1, "leak_den": 4},
        {"s_tp": 1, "s_fp": 0, "s_fn": 0, "leak_num": 0, "leak_den": 6},
    ]
    specs = [
        MetricSpec("p", "micro_precision", stat="s"),
        MetricSpec("r", "micro_recall", stat="s"),
        MetricSpec("f2", "micro_f2", stat="s"),
        MetricSpec("leak", "ratio", stat="leak"),
    ]
    result = estimate_all(per_doc, specs, iterations=0)
    precision, recall = 4 / 5, 4 / 6
    assert result["p"].value == pytest.approx(precision)
    assert result["r"].value == pytest.approx(recall)
    assert result["f2"].value == pytest.approx(5 * precision * recall / (4 * precision + recall))
    assert result["leak"].value == pytest.approx(1 / 10)


def test_label_macro_f1_agrees_with_scikit_learn_on_tagged_items() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(3)
    labels = ["NOM", "DATE", "TEL"]
    per_doc, gold_all, pred_all = [], [], []
    for _ in range(40):
        gold = rng.choice(labels, size=5)
        pred = np.where(rng.random(5) < 0.6, gold, rng.choice(labels, size=5))
        gold_all += list(gold)
        pred_all += list(pred)
        per_doc.append(
            {
                f"s.{label}_{kind}": float(count)
                for label in labels
                for kind, count in (
                    ("tp", np.sum((gold == label) & (pred == label))),
                    ("fp", np.sum((gold != label) & (pred == label))),
                    ("fn", np.sum((gold == label) & (pred != label))),
                )
            }
        )
    ours = estimate_all(per_doc, [MetricSpec("f1", "label_macro_f1", stat="s")], iterations=0)
    assert ours["f1"].value == pytest.approx(f1_score(gold_all, pred_all, average="macro"))


def test_label_macro_f1_ignores_labels_never_seen() -> None:
    per_doc = [
        {"s.A_tp": 1, "s.A_fp": 0, "s.A_fn": 1, "s.B_tp": 0, "s.B_fp": 0, "s.B_fn": 0},
        {"s.A_tp": 1, "s.A_fp": 0, "s.A_fn": 0, "s.B_tp": 0, "s.B_fp": 0, "s.B_fn": 0},
    ]
    ours = estimate_all(per_doc, [MetricSpec("f1", "label_macro_f1", stat="s")], iterations=0)
    assert ours["f1"].value == pytest.approx(0.8)  # label A only: 2·2 / (2·2 + 0 + 1)
