"""``compare``: is a candidate checkpoint worse than a baseline, beyond what chance explains?

Two runs are paired document by document (``doc_id``): the delta of a metric (candidate −
baseline) gets a **paired bootstrap** interval — the same ``B`` resamples of the shared
documents are drawn in both runs (``stats.bootstrap_indices``, seeded) and each aggregation is
recomputed on both, corpus-level F1 included — and a two-sided p-value, the share of resampled
deltas on the far side of 0, doubled and capped at 1:
``p = min(1, 2 · min(#{Δ_b ≤ 0}, #{Δ_b ≥ 0}) / B)`` (identical runs: every Δ_b is 0, p = 1).

A metric **regresses** when its interval lies entirely beyond ``max_drop`` in its bad direction
(``higher_is_better``) and its p-value, Holm-adjusted over the tests of the blocking tasks, is
at most ``alpha``; it **improves** when its interval lies entirely on the good side of 0.
Runs of another task or other documents (``task_hash``, ``data_hash``) are refused unless
``allow_mismatch``, which compares the documents both runs share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .inputs import read_yaml, validated
from .registry import Registry
from .report import metric_specs
from .rundir import load_report, read_samples, samples_path
from .schema import (
    ComparePolicy,
    Comparison,
    MetricComparison,
    Report,
    SampleRecord,
    TaskCard,
    TaskPolicy,
    TaskResult,
    Verdict,
)
from .stats import (
    AGGREGATIONS,
    CONFIDENCE,
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    MetricSpec,
    bootstrap_indices,
    replicates,
    to_columns,
)

DEFAULT_ALPHA = 0.05
HASH_FIELDS = ("task_hash", "data_hash")


def load_policy(path: Path) -> ComparePolicy:
    """The policy YAML, validated: an unknown key is one error naming the file and the field."""
    content = read_yaml(path, missing="no policy file here")
    return validated(ComparePolicy, content or {}, str(path))


def _documents(folder: Path, result: TaskResult) -> list[SampleRecord]:
    """A task's per-sample log, each document once: documents are paired by ``doc_id``, and a
    second record of one would leave the other unpaired without a word."""
    records = read_samples(folder, result)
    lines: dict[str, int] = {}
    for line, record in enumerate(records, 1):
        if record.doc_id in lines:
            path = samples_path(folder, result.name)
            raise UserError(
                f"{path} line {line}: doc_id '{record.doc_id}' is also on line "
                f"{lines[record.doc_id]}; compare pairs documents by doc_id"
            )
        lines[record.doc_id] = line
    return records


def paired_bootstrap(
    baseline: list[SampleRecord],
    candidate: list[SampleRecord],
    spec: MetricSpec,
    indices: np.ndarray,
) -> tuple[float, float, np.ndarray]:
    """Baseline value, candidate value and the resampled deltas (candidate − baseline), the
    records of both runs being the same documents in the same order."""
    columns = [to_columns([r.stats for r in records]) for records in (baseline, candidate)]
    aggregate = AGGREGATIONS[spec.aggregation]
    base, cand = (float(aggregate(c, spec.source)) for c in columns)
    deltas = replicates(columns[1], spec, indices) - replicates(columns[0], spec, indices)
    return base, cand, deltas


def two_sided_p(deltas: np.ndarray) -> float:
    """``min(1, 2 · min(share of Δ_b ≤ 0, share of Δ_b ≥ 0))`` over the defined replicates."""
    defined = deltas[~np.isnan(deltas)]
    if defined.size == 0:
        return 1.0
    return float(min(1.0, 2 * min(np.mean(defined <= 0), np.mean(defined >= 0))))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error rate), in the order given."""
    order = np.argsort(p_values, kind="stable")
    count = len(p_values)
    adjusted = [0.0] * count
    running = 0.0
    for rank, position in enumerate(order):
        running = max(running, min(1.0, (count - rank) * p_values[position]))
        adjusted[position] = running
    return adjusted


def verdict(
    ci_low: float, ci_high: float, higher_is_better: bool, max_drop: float, significant: bool
) -> Verdict:
    """Regression: the interval of the change in the good direction lies below −max_drop (and
    the test is significant after correction); improvement: above 0."""
    sign = 1.0 if higher_is_better else -1.0
    low, high = sorted((sign * ci_low, sign * ci_high))
    if high < -max_drop and significant:
        return "regression"
    if low > 0:
        return "improvement"
    return "no significant change"


def _run(path: Path) -> tuple[Path, Report]:
    return (path if path.is_dir() else path.parent), load_report(path)


def _paired(
    name: str, baseline: list[SampleRecord], candidate: list[SampleRecord]
) -> tuple[list[SampleRecord], list[SampleRecord]]:
    """The documents both runs evaluated, in the baseline's order, matched by ``doc_id``."""
    by_id = {record.doc_id: record for record in candidate}
    shared = [record for record in baseline if record.doc_id in by_id]
    if not shared:
        raise UserError(f"task '{name}': the two runs share no document (doc_id)")
    return shared, [by_id[record.doc_id] for record in shared]


def _task_policy(policy: ComparePolicy, name: str, max_drop: float | None) -> TaskPolicy:
    """A task's settings: its policy entry, then ``--max-drop``, then the policy's default."""
    entry = policy.tasks.get(name, TaskPolicy())
    default = policy.default
    drop = entry.max_drop
    if drop is None:
        drop = max_drop if max_drop is not None else default.max_drop
    blocking = entry.blocking if entry.blocking is not None else default.blocking
    return TaskPolicy(
        metrics=[*default.metrics, *entry.metrics],
        max_drop=drop or 0.0,
        blocking=blocking is not False,
    )


@dataclass(frozen=True)
class _Test:
    """One metric of one task, bootstrapped, before the correction across tests."""

    task: str
    spec: MetricSpec
    settings: TaskPolicy
    n_shared: int
    baseline: float
    candidate: float
    deltas: np.ndarray


def _check_hashes(
    name: str, base: TaskResult, cand: TaskResult, paths: tuple[Path, Path], allow: bool
) -> list[str]:
    """Refuse another task or other documents, or (``allow``) say what differs."""
    notes = []
    for field in HASH_FIELDS:
        theirs, mine = getattr(base, field), getattr(cand, field)
        if mine == theirs:
            continue
        if not allow:
            raise UserError(
                f"task '{name}': {field} differs ({theirs} in {paths[0]}, {mine} in {paths[1]}); "
                "pass --allow-mismatch to compare the shared documents"
            )
        notes.append(f"{name}: {field} differs; compared on the documents both runs share")
    return notes


def _task_tests(
    card: TaskCard,
    records: tuple[list[SampleRecord], list[SampleRecord]],
    settings: TaskPolicy,
    metrics: Sequence[str],
    policy: ComparePolicy,
    policy_path: Path | None,
    iterations: int,
    seed: int,
) -> list[_Test]:
    """The primary metric, the policy's and those of ``metrics`` the task has, bootstrapped
    with one index matrix."""
    specs = {spec.name: spec for spec in metric_specs(card, records[0])}
    for metric in settings.metrics:
        if metric not in specs:
            entry = policy.tasks.get(card.name, TaskPolicy())
            field = f"tasks.{card.name}" if metric in entry.metrics else "default"
            raise UserError(
                f"{policy_path}: {field}.metrics: '{metric}' is not a metric of {card.name}"
            )
    names = dict.fromkeys(
        [card.primary_metric, *settings.metrics, *(m for m in metrics if m in specs)]
    )
    n = len(records[0])
    indices = bootstrap_indices(n, iterations, seed)
    return [
        _Test(card.name, specs[m], settings, n, *paired_bootstrap(*records, specs[m], indices))
        for m in names
    ]


def _result(test: _Test, p_value: float, p_adjusted: float, alpha: float) -> MetricComparison:
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = (float(v) for v in np.nanpercentile(test.deltas, [tail, 100 - tail]))
    drop = test.settings.max_drop or 0.0
    hib = test.spec.higher_is_better
    return MetricComparison(
        task=test.task,
        metric=test.spec.name,
        higher_is_better=hib,
        n_shared=test.n_shared,
        baseline=test.baseline,
        candidate=test.candidate,
        delta=test.candidate - test.baseline,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        p_adjusted=p_adjusted,
        max_drop=drop,
        blocking=bool(test.settings.blocking),
        verdict=verdict(low, high, hib, drop, p_adjusted <= alpha),
    )


def compare_runs(
    baseline: Path,
    candidate: Path,
    registry: Registry,
    *,
    policy: ComparePolicy | None = None,
    policy_path: Path | None = None,
    metrics: Sequence[str] = (),
    max_drop: float | None = None,
    alpha: float = DEFAULT_ALPHA,
    iterations: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
    allow_mismatch: bool = False,
) -> Comparison:
    """Every task both runs evaluated: primary metric, ``metrics`` and the policy's, compared."""
    if iterations < 1:
        raise UserError(f"--bootstrap: {iterations} resamples; give at least 1")
    if not 0 < alpha < 1:
        raise UserError(f"--alpha: {alpha} is not between 0 and 1")
    policy = policy or ComparePolicy()
    for name in policy.tasks:
        if name not in registry.cards:
            raise UserError(f"{policy_path}: tasks.{name}: unknown task")
    (base_folder, base_report), (cand_folder, cand_report) = _run(baseline), _run(candidate)
    ran = [
        {name for name, task in report.tasks.items() if task.skipped is None}
        for report in (base_report, cand_report)
    ]
    tests: list[_Test] = []
    notes: list[str] = []
    for name in (n for n in base_report.tasks if n in ran[0] & ran[1]):
        base_task, cand_task = base_report.tasks[name], cand_report.tasks[name]
        notes += _check_hashes(name, base_task, cand_task, (baseline, candidate), allow_mismatch)
        if name not in registry.cards:
            raise UserError(f"task '{name}' is unknown here (pass --include-path with its folder)")
        records = _paired(
            name, _documents(base_folder, base_task), _documents(cand_folder, cand_task)
        )
        settings = _task_policy(policy, name, max_drop)
        tests += _task_tests(
            registry.cards[name], records, settings, metrics, policy, policy_path, iterations, seed
        )
    compared = {test.spec.name for test in tests}
    missing = [m for m in metrics if m not in compared]
    if missing:
        raise UserError(f"--metric: no compared task reports '{missing[0]}'")
    p_values = [two_sided_p(test.deltas) for test in tests]
    adjusted = list(p_values)
    blocking = [i for i, test in enumerate(tests) if test.settings.blocking]
    for position, value in zip(blocking, holm([p_values[i] for i in blocking]), strict=True):
        adjusted[position] = value
    return Comparison(
        baseline=str(baseline),
        candidate=str(candidate),
        metrics=[_result(*row, alpha) for row in zip(tests, p_values, adjusted, strict=True)],
        only_in_baseline=sorted(ran[0] - ran[1]),
        only_in_candidate=sorted(ran[1] - ran[0]),
        notes=notes,
        alpha=alpha,
        bootstrap_iterations=iterations,
        seed=seed,
    )


def footnotes(comparison: Comparison) -> list[str]:
    """What a reader needs beside the table: tasks not compared, mismatches, the settings."""
    return [
        *(f"only in the baseline (not compared): {t}" for t in comparison.only_in_baseline),
        *(f"only in the candidate (not compared): {t}" for t in comparison.only_in_candidate),
        *comparison.notes,
        f"correction: {comparison.correction} over the p-values of the blocking tasks' tests, "
        f"alpha {comparison.alpha:g}",
        f"paired bootstrap over shared documents: {comparison.bootstrap_iterations} resamples, "
        f"seed {comparison.seed}; p = min(1, 2 · share of resampled Δ on the far side of 0)",
    ]


def render_markdown(comparison: Comparison) -> str:
    """A table and the settings, for a CI job summary or a pull-request comment."""
    regressions = comparison.regressions
    headline = (
        f"**{len(regressions)} regression(s) on blocking tasks**"
        if regressions
        else "**No regression on blocking tasks**"
    )
    lines = [
        f"## partages-bench compare: `{comparison.candidate}` vs `{comparison.baseline}`",
        "",
        headline,
        "",
        "| task | metric | n | baseline | candidate | Δ [95 % CI] | p | p (Holm) | max drop "
        "| blocking | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in comparison.metrics:
        better = "↑" if m.higher_is_better else "↓"
        verdict_text = f"**{m.verdict}**" if m.verdict == "regression" else m.verdict
        lines.append(
            f"| {m.task} | {m.metric} {better} | {m.n_shared} | {m.baseline:.4f} "
            f"| {m.candidate:.4f} | {m.delta:+.4f} [{m.ci_low:+.4f}, {m.ci_high:+.4f}] "
            f"| {m.p_value:.4f} | {m.p_adjusted:.4f} | {m.max_drop:g} "
            f"| {'yes' if m.blocking else 'no'} | {verdict_text} |"
        )
    return "\n".join([*lines, "", *(f"- {line}" for line in footnotes(comparison)), ""])
