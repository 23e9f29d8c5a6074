"""``compare``: paired bootstrap of two runs' per-sample logs, Holm across tasks, the policy and
the exit codes, on run folders written here."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
from helpers import provenance

from partages_bench.compare import (
    compare_runs,
    holm,
    load_policy,
    paired_bootstrap,
    render_markdown,
)
from partages_bench.errors import UserError
from partages_bench.registry import Registry
from partages_bench.report import data_hash, metric_specs
from partages_bench.rundir import prepare_output, write_report, write_samples
from partages_bench.schema import (
    Comparison,
    MetricValue,
    ModelIdentity,
    Report,
    SampleRecord,
    TaskResult,
)
from partages_bench.stats import MetricSpec, bootstrap_indices, estimate_all

REGISTRY = Registry.discover()
QA, QA_LL, LEAK, NER = "frenchmedmcqa", "frenchmedmcqa_ll", "pseudo_detect_generated", "e3c_fr"
N = 200
PROVENANCE = provenance(
    libraries={"lm_eval": "0.4.13"},
    python="3.12",
    bootstrap_iterations=50,
    end_time="2026-01-01T11:00:00+00:00",
    duration_seconds=3600.0,
)


def records(stats: Sequence[Mapping[str, float]]) -> list[SampleRecord]:
    return [
        SampleRecord(
            doc_index=i,
            doc_id=f"d{i}",
            doc_hash=hashlib.sha256(f"d{i}".encode()).hexdigest(),
            prompt=f"document {i}",
            output="",
            target="",
            stats=dict(s),
        )
        for i, s in enumerate(stats)
    ]


def answers(flipped: int = 0, n: int = N) -> list[SampleRecord]:
    """QA records, 3 in 4 right; the first ``flipped`` right answers turned wrong."""
    right = [i % 4 != 0 for i in range(n)]
    flips = [i for i in range(n) if right[i]][:flipped]
    emr = [float(right[i] and i not in flips) for i in range(n)]
    return records([{"emr": e, "hamming": e, "unparsable": 0.0, "single_correct": e} for e in emr])


def leaks(leaked: int) -> list[SampleRecord]:
    """Notes of 5 identifiers each, the first ``leaked`` notes leaking 2 of them."""
    return records(
        [
            {"leak_num": 2.0 * (i < leaked), "leak_den": 5.0, "doc_leak": float(i < leaked)}
            for i in range(N)
        ]
    )


def write_run(folder: Path, tasks: Mapping[str, list[SampleRecord]], **hashes: str) -> Path:
    """A run folder as ``run`` writes it: report.json (primary metrics only, which is all a
    report needs) and samples/<task>.jsonl."""
    prepare_output(folder)
    results = {}
    for name, task_records in tasks.items():
        card = REGISTRY.card(name)
        write_samples(folder, name, task_records)
        (spec,) = (s for s in metric_specs(card, task_records) if s.name == card.primary_metric)
        estimate = estimate_all([r.stats for r in task_records], [spec], iterations=0)[spec.name]
        primary = MetricValue(**vars(estimate), higher_is_better=spec.higher_is_better)
        results[name] = TaskResult(
            name=name,
            family=card.family,
            version=card.version,
            primary_metric=card.primary_metric,
            metrics={spec.name: primary},
            n_samples=len(task_records),
            task_hash=hashes.get("task_hash", hashlib.sha256(name.encode()).hexdigest()),
            data_hash=data_hash(task_records),
        )
    model = ModelIdentity(backend="hf", lm_eval_model="hf", name=folder.name, args={})
    write_report(folder, Report(model=model, tasks=results, provenance=PROVENANCE))
    return folder


def compare(baseline: Path, candidate: Path, **options: object) -> Comparison:
    return compare_runs(baseline, candidate, REGISTRY, **options)  # type: ignore[arg-type]


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partages_bench", "compare", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},  # rich would wrap the table at 80
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# --- the statistics -----------------------------------------------------------------------------


def test_paired_bootstrap_equals_a_direct_numpy_computation() -> None:
    base, cand = answers(0, n=12), answers(3, n=12)
    indices = bootstrap_indices(12, 200, seed=7)
    b, c, deltas = paired_bootstrap(base, cand, MetricSpec("emr"), indices)
    x = np.array([r.stats["emr"] for r in base])
    y = np.array([r.stats["emr"] for r in cand])
    assert (b, c) == (x.mean(), y.mean()) == (0.75, 0.5)
    np.testing.assert_allclose(deltas, y[indices].mean(axis=1) - x[indices].mean(axis=1))


def test_holm_adjusts_step_down_and_keeps_the_order() -> None:
    # sorted 0.01, 0.03, 0.04 → ×3, ×2, ×1 → 0.03, 0.06, 0.06 (monotone)
    assert holm([0.04, 0.01, 0.03]) == pytest.approx([0.06, 0.03, 0.06])
    assert holm([0.5]) == [0.5]
    assert holm([0.6, 0.7]) == [1.0, 1.0]


# --- verdicts -----------------------------------------------------------------------------------


def test_identical_runs_show_no_change_with_p_one(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers()})
    (result,) = compare(base, cand).metrics
    assert (result.metric, result.delta, result.ci_low, result.ci_high) == ("emr", 0, 0, 0)
    assert result.p_value == result.p_adjusted == 1.0
    assert result.verdict == "no significant change"
    run = cli(base / "report.json", cand)
    assert run.returncode == 0, run.stderr
    assert "no significant change" in run.stdout


def test_thirty_answers_turned_wrong_are_a_regression_exit_1(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers(30)})
    run = cli(base, cand, "--format", "json")
    assert run.returncode == 1, run.stderr
    (result,) = Comparison.model_validate_json(run.stdout).metrics
    assert result.delta == pytest.approx(-30 / N)
    assert result.ci_high < 0 and result.p_value == 0.0
    assert result.verdict == "regression"


def test_two_answers_turned_wrong_are_not_significant_exit_0(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers(2)})
    (result,) = compare(base, cand).metrics
    assert result.delta == pytest.approx(-2 / N)
    assert result.ci_low < 0 <= result.ci_high
    assert 0.05 < result.p_value < 1
    assert result.verdict == "no significant change"
    assert cli(base, cand).returncode == 0


def test_documents_are_paired_by_id_not_position(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    shuffled = answers(30)
    order = np.random.default_rng(0).permutation(N)
    cand = write_run(tmp_path / "cand", {QA: [shuffled[i] for i in order]})
    ordered = write_run(tmp_path / "ordered", {QA: answers(30)})
    # The order of the records is part of data_hash: the shuffled run is "another" data set.
    assert compare(base, cand, allow_mismatch=True).metrics == compare(base, ordered).metrics


def test_a_rising_leak_rate_is_a_regression_a_falling_one_an_improvement(tmp_path: Path) -> None:
    low = write_run(tmp_path / "low", {LEAK: leaks(10)})
    high = write_run(tmp_path / "high", {LEAK: leaks(40)})
    (worse,) = compare(low, high).metrics
    assert worse.metric == "leak_rate" and not worse.higher_is_better
    assert worse.delta == pytest.approx(30 * 2 / (5 * N))
    assert worse.ci_low > 0 and worse.verdict == "regression"
    (better,) = compare(high, low).metrics
    assert better.ci_high < 0 and better.verdict == "improvement"


def test_a_corpus_level_metric_is_recomputed_on_each_resample(tmp_path: Path) -> None:
    """span_f1 pools counts: the delta is the difference of pooled F1s, not a mean of
    per-document F1s, and its resamples recompute the pooling."""

    def spans(correct: int) -> list[SampleRecord]:
        kinds = ("cor", "inc", "par", "mis", "spu")
        return records(
            [
                {f"strict_{k}": 0.0 for k in kinds}
                | {"strict_cor": float(i < correct) * 3, "strict_mis": 1.0, "strict_spu": 1.0}
                for i in range(40)
            ]
        )

    def pooled_f1(rows: np.ndarray) -> np.ndarray:
        cor = rows[..., 0].sum(-1)
        p, r = cor / (cor + rows[..., 1].sum(-1)), cor / (cor + rows[..., 2].sum(-1))
        return 2 * p * r / (p + r)

    base = write_run(tmp_path / "base", {NER: spans(30)})
    cand = write_run(tmp_path / "cand", {NER: spans(20)})
    (result,) = compare(base, cand, iterations=300, seed=3).metrics
    assert result.metric == "strict_f1"
    columns = [
        np.array([[r.stats["strict_cor"], r.stats["strict_spu"], r.stats["strict_mis"]] for r in s])
        for s in (spans(30), spans(20))
    ]
    assert result.baseline == pytest.approx(pooled_f1(columns[0]))
    assert result.candidate == pytest.approx(pooled_f1(columns[1]))
    indices = bootstrap_indices(40, 300, seed=3)
    deltas = pooled_f1(columns[1][indices]) - pooled_f1(columns[0][indices])
    low, high = np.percentile(deltas, [2.5, 97.5])
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    assert result.verdict == "regression"


def test_holm_across_tasks_turns_two_marginal_drops_into_no_regression(tmp_path: Path) -> None:
    """Alone, 4 answers turned wrong is a regression at 0.05; on two tasks at once Holm
    doubles the smaller p-value and neither is significant any more."""
    base = write_run(tmp_path / "base", {QA: answers(), QA_LL: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers(4), QA_LL: answers(4)})
    alone = write_run(tmp_path / "alone", {QA: answers(4)})
    solo = write_run(tmp_path / "solo", {QA: answers()})
    (single,) = compare(solo, alone).metrics
    assert single.verdict == "regression" and single.p_value == single.p_adjusted < 0.05
    both = compare(base, cand).metrics
    p_values = [m.p_value for m in both]
    assert [m.p_adjusted for m in both] == pytest.approx(holm(p_values))
    assert all(m.ci_high < 0 and m.p_value < 0.05 < m.p_adjusted for m in both)
    assert {m.verdict for m in both} == {"no significant change"}
    assert "Holm" in render_markdown(compare(base, cand))


# --- inputs -------------------------------------------------------------------------------------


def test_another_data_hash_is_refused_naming_the_task(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers()[:150]})
    line = one_line_error(cli(base, cand))
    assert f"task '{QA}'" in line and "data_hash" in line and "--allow-mismatch" in line
    comparison = compare(base, cand, allow_mismatch=True)
    assert comparison.metrics[0].n_shared == 150
    assert comparison.notes == [
        f"{QA}: data_hash differs; compared on the documents both runs share"
    ]


def test_another_task_hash_is_refused(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers()}, task_hash="other")
    with pytest.raises(UserError, match=rf"^task '{QA}': task_hash differs"):
        compare(base, cand)


def test_tasks_in_one_run_only_are_listed_not_compared(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers(), QA_LL: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers(), LEAK: leaks(3)})
    comparison = compare(base, cand)
    assert [m.task for m in comparison.metrics] == [QA]
    assert (comparison.only_in_baseline, comparison.only_in_candidate) == ([QA_LL], [LEAK])
    markdown = render_markdown(comparison)
    assert f"only in the baseline (not compared): {QA_LL}" in markdown
    assert f"only in the candidate (not compared): {LEAK}" in markdown


def test_a_non_blocking_regression_is_shown_but_exits_0(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers(), LEAK: leaks(10)})
    cand = write_run(tmp_path / "cand", {QA: answers(30), LEAK: leaks(10)})
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "default: {max_drop: 0.01, blocking: true}\n"
        "tasks:\n"
        f"  {LEAK}: {{metrics: [doc_leak_rate], max_drop: 0.0}}\n"
        f"  {QA}: {{blocking: false}}\n"
    )
    run = cli(base, cand, "--policy", policy, "--format", "markdown")
    assert run.returncode == 0, run.stderr
    assert "**No regression on blocking tasks**" in run.stdout
    row = next(line for line in run.stdout.splitlines() if line.startswith(f"| {QA} |"))
    assert "| 0.01 | no | **regression** |" in row
    metrics = [line.split(" | ")[1] for line in run.stdout.splitlines() if f"| {LEAK} |" in line]
    assert metrics == ["leak_rate ↓", "doc_leak_rate ↓"]
    qa, *pseudo = compare(base, cand, policy=load_policy(policy), policy_path=policy).metrics
    # Only the blocking tests form Holm's family: the non-blocking one keeps its raw p-value.
    assert not qa.blocking and qa.p_adjusted == qa.p_value
    assert [m.p_adjusted for m in pseudo] == pytest.approx(holm([m.p_value for m in pseudo]))


def test_a_drop_within_max_drop_is_not_a_regression(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers(30)})
    (result,) = compare(base, cand, max_drop=0.5).metrics
    assert result.verdict == "no significant change"
    assert cli(base, cand, "--max-drop", "0.5").returncode == 0


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("default: {max_drops: 0.1}", "default.max_drops"),
        ("tasks: {nope: {max_drop: 0.1}}", "tasks.nope"),
        (f"tasks: {{{QA}: {{max_drop: -1}}}}", f"tasks.{QA}.max_drop"),
        (f"tasks: {{{QA}: {{metrics: [nope]}}}}", f"tasks.{QA}.metrics"),
        ("default: {metrics: [leak_rate]}", "default.metrics"),
        ("colour: red", "colour"),
    ],
)
def test_a_bad_policy_is_one_line_naming_file_and_field(
    tmp_path: Path, content: str, field: str
) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    policy = tmp_path / "policy.yaml"
    policy.write_text(content + "\n")
    line = one_line_error(cli(base, base, "--policy", policy))
    assert f"{policy}: {field}" in line


def test_markdown_has_the_table_the_correction_and_the_settings(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    cand = write_run(tmp_path / "cand", {QA: answers(30)})
    markdown = render_markdown(compare(base, cand, iterations=1000, seed=5))
    lines = markdown.splitlines()
    assert lines[0] == f"## partages-bench compare: `{cand}` vs `{base}`"
    assert "**1 regression(s) on blocking tasks**" in lines
    header = lines.index(next(line for line in lines if line.startswith("| task |")))
    assert lines[header + 1].count("|") == lines[header].count("|")
    row = lines[header + 2]
    assert row.startswith(f"| {QA} | emr ↑ | 200 | 0.7500 | 0.6000 | -0.1500 [")
    assert row.endswith("| 0.0000 | 0.0000 | 0 | yes | **regression** |")
    assert "- correction: Holm over the p-values of the blocking tasks' tests, alpha 0.05" in lines
    assert any("1000 resamples, seed 5" in line for line in lines)


def test_unknown_metric_and_format_are_refused(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", {QA: answers()})
    assert "--metric: no compared task reports 'nope'" in one_line_error(
        cli(base, base, "--metric", "nope")
    )
    assert "--format: 'html'" in one_line_error(cli(base, base, "--format", "html"))
    assert "no report here" in one_line_error(cli(base, tmp_path / "missing"))
