"""From a folder of score reports to the leaderboard's numbers (pure; ``site`` renders them).

Only comparable numbers stand side by side: a task column compares the runs that share its
reference variant (task hash and data hash: same prompt, same items); a run of another variant
is kept apart, flagged, and never averaged into a family or overall score. Family and overall
scores exist only for runs that have every task (every family) of the column, so that two
scores in one column are always means over the same tasks.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from . import __version__
from .errors import UserError
from .families import family_names
from .models import identity_key
from .outputs import inside
from .privacy import identifiers_in_clear
from .replay import REPLAY, is_baseline
from .rundir import REPORT_JSON, load_report
from .schema import (
    Leaderboard,
    LeaderboardCell,
    LeaderboardColumn,
    LeaderboardRow,
    Report,
    TaskCard,
    TaskResult,
    TaskVariant,
)

Z_95 = 1.959963984540054

NORMALISATION = (
    "Every primary metric is a proportion in [0, 1]. Where lower is better (leak rate), the "
    "score is 1 − value and its interval [1 − high, 1 − low]; otherwise the value as reported."
)
AGGREGATION = (
    "A family score is the mean of the normalised primary metrics of the family's tasks; the "
    "overall score is the mean of the family scores. A run gets a family (overall) score only "
    "when it has every task (family) of the column on the compared task and data version. "
    "Intervals of means: each task's 95 % bootstrap interval read as ±1.96 standard errors, "
    "errors combined as independent (normal approximation)."
)
TIES = (
    "Rank = 1 + the number of runs significantly better in that column (difference larger "
    "than 1.96 × the combined standard error of the two scores, from their 95 % intervals). "
    "Runs whose ranks are equal (=) are not statistically separable."
)


@dataclass(frozen=True)
class LoadedRun:
    """A report and the run folder it was read from (its samples/ are beside it)."""

    folder: Path
    report: Report


def load_runs(reports_dir: Path) -> tuple[list[LoadedRun], list[str]]:
    """Every ``report.json`` under ``reports_dir``, and notes on the ones left out (shards)."""
    if not reports_dir.is_dir():
        raise UserError(f"{reports_dir}: not a folder of reports")
    runs, skipped = [], []
    for path in sorted(reports_dir.rglob(REPORT_JSON)):
        report = load_report(inside(path.parent, REPORT_JSON))
        if report.provenance.shard is not None:
            skipped.append(
                f"{path.parent}: shard {report.provenance.shard} of a run (merge the shards "
                "with `partages-bench report merge` and publish the merged report)"
            )
            continue
        runs.append(LoadedRun(path.parent, report))
    if not runs:
        raise UserError(f"{reports_dir}: no report.json found (give the folder of run folders)")
    return runs, skipped


def _started(run: LoadedRun) -> str:
    return run.report.provenance.start_time


def latest_per_model(runs: Sequence[LoadedRun]) -> tuple[list[LoadedRun], list[str]]:
    """The most recent run of each model identity, and notes on the older ones."""
    by_model: dict[str, list[LoadedRun]] = defaultdict(list)
    for run in runs:
        by_model[identity_key(run.report.model)].append(run)
    kept, older = [], []
    for model_runs in by_model.values():
        model_runs.sort(key=_started)
        kept.append(model_runs[-1])
        older += [
            f"{run.folder}: older run of {run.report.model.name} (started {_started(run)}; "
            f"--all-runs keeps it)"
            for run in model_runs[:-1]
        ]
    return sorted(kept, key=lambda run: str(run.folder)), older


def normalised(value: float, higher_is_better: bool) -> float:
    """The score on a higher-is-better scale (see NORMALISATION)."""
    return value if higher_is_better else 1.0 - value


def standard_error(ci_low: float, ci_high: float) -> float:
    """A 95 % interval read as ±1.96 standard errors."""
    return (ci_high - ci_low) / (2 * Z_95)


def mean_with_interval(cells: Sequence[LeaderboardCell]) -> LeaderboardCell:
    """The mean of ``cells`` with the normal-approximation interval of AGGREGATION."""
    values = [cell.value for cell in cells if cell.value is not None]
    errors = [
        standard_error(cell.ci_low, cell.ci_high)
        for cell in cells
        if cell.ci_low is not None and cell.ci_high is not None
    ]
    mean = sum(values) / len(values)
    half_width = Z_95 * math.sqrt(sum(e * e for e in errors)) / len(errors)
    return LeaderboardCell(
        value=mean, ci_low=max(0.0, mean - half_width), ci_high=min(1.0, mean + half_width)
    )


def ranks(scores: Sequence[tuple[float, float]]) -> list[tuple[int, bool]]:
    """(rank, tied) for each (value, standard error), by the rule of TIES."""
    result = [
        1
        + sum(
            other - value > Z_95 * math.hypot(error, other_error) for other, other_error in scores
        )
        for value, error in scores
    ]
    counts = defaultdict(int)
    for rank in result:
        counts[rank] += 1
    return [(rank, counts[rank] > 1) for rank in result]


def _ranked(cells: dict[str, LeaderboardCell]) -> dict[str, LeaderboardCell]:
    """``cells`` (slug → cell) with ranks on the comparable ones that have a value."""
    ranked = {
        slug: cell
        for slug, cell in cells.items()
        if cell.comparable and cell.value is not None and cell.ci_low is not None
    }
    scores = [(c.value, standard_error(c.ci_low, c.ci_high)) for c in ranked.values()]
    for (slug, cell), (rank, tied) in zip(ranked.items(), ranks(scores), strict=True):
        cells[slug] = cell.model_copy(update={"rank": rank, "tied": tied})
    return cells


def display_name(run: LoadedRun) -> str:
    """The model's name as a reader knows it: a served file's name rather than its full path
    (llama-cpp-python serves a GGUF under its path); hub ids are kept whole. A run with the
    chat template or structured output says so: it is another row than the same model without."""
    model = run.report.model
    name = Path(model.name).name if Path(model.name).is_absolute() else model.name
    if run_kind(run) == "baseline":
        return f"{name} (baseline)"
    settings = [
        setting
        for setting, used in (
            ("chat template", model.chat_template),
            ("structured output", model.structured_output),
        )
        if used
    ]
    return f"{name} ({', '.join(settings)})" if settings else name


def run_kind(run: LoadedRun) -> Literal["model", "system", "baseline"]:
    """A model, a system whose outputs were replayed, or a built-in baseline replayed."""
    model = run.report.model
    if is_baseline(model.args, model.backend):
        return "baseline"
    return "system" if model.backend == REPLAY else "model"


def _slug(run: LoadedRun, all_runs: bool) -> str:
    key = identity_key(run.report.model)
    if all_runs:
        key = hashlib.sha256(f"{key}:{_started(run)}".encode()).hexdigest()
    name = re.sub(r"[^A-Za-z0-9]+", "-", display_name(run)).strip("-").lower()[:40]
    return f"{name or 'model'}-{key[:8]}"


def _variants(
    task: str, results: Mapping[str, TaskResult], started: Mapping[str, str]
) -> list[TaskVariant]:
    """The task's variants, reference first: the one most runs share, then the most items,
    then the most recent run."""
    groups: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for slug, result in results.items():
        groups[result.task_hash, result.data_hash].append(slug)

    def preference(item: tuple[tuple[str | None, str | None], list[str]]) -> tuple:
        slugs = item[1]
        return (len(slugs), results[slugs[0]].n_samples, max(started[s] for s in slugs))

    ordered = sorted(groups.items(), key=preference, reverse=True)
    return [
        TaskVariant(
            task=task,
            task_hash=task_hash,
            data_hash=data_hash,
            version=results[slugs[0]].version,
            n_samples=results[slugs[0]].n_samples,
            runs=slugs,
            reference=index == 0,
        )
        for index, ((task_hash, data_hash), slugs) in enumerate(ordered)
    ]


def task_cell(result: TaskResult | None, reference: TaskVariant) -> LeaderboardCell:
    """One run's cell in a task column: its normalised primary metric, or why there is none."""
    if result is None:
        return LeaderboardCell(value=None, note="not run")
    if result.skipped is not None:
        return LeaderboardCell(value=None, note=f"skipped: {result.skipped}")
    metric = result.metrics.get(result.primary_metric)
    if metric is None:
        return LeaderboardCell(value=None, note=f"no {result.primary_metric} in the report")
    low, high = sorted(
        normalised(bound, metric.higher_is_better) for bound in (metric.ci_low, metric.ci_high)
    )
    cell = LeaderboardCell(
        value=normalised(metric.value, metric.higher_is_better),
        ci_low=low,
        ci_high=high,
        raw=metric,
    )
    if not all(0.0 <= x <= 1.0 for x in (metric.value, metric.ci_low, metric.ci_high)):
        return cell.model_copy(
            update={"comparable": False, "note": f"{result.primary_metric} is not in [0, 1]"}
        )
    if (result.task_hash, result.data_hash) != (reference.task_hash, reference.data_hash):
        return cell.model_copy(
            update={
                "comparable": False,
                "note": f"other version or data subset (task hash {str(result.task_hash)[:12]}, "
                f"data hash {str(result.data_hash)[:12]}, n = {result.n_samples}): not compared",
            }
        )
    return cell


def mean_cell(parts: Mapping[str, LeaderboardCell], what: str) -> LeaderboardCell:
    """The mean of ``parts`` (name → cell) when every part is comparable and has a value."""
    missing = [name for name, cell in parts.items() if cell.value is None or not cell.comparable]
    if missing:
        return LeaderboardCell(
            value=None,
            note=f"{len(parts) - len(missing)} of {len(parts)} {what}; "
            f"missing or not comparable: {', '.join(missing)}",
        )
    return mean_with_interval(list(parts.values()))


def build_leaderboard(
    runs: Sequence[LoadedRun],
    cards: Mapping[str, TaskCard],
    title: str,
    all_runs: bool = False,
    skipped: Sequence[str] = (),
) -> Leaderboard:
    """The leaderboard of ``runs`` (the latest per model unless ``all_runs``)."""
    notes = list(skipped)
    if not all_runs:
        runs, older = latest_per_model(runs)
        notes += older
    by_slug = {_slug(run, all_runs): run for run in runs}
    started = {slug: _started(run) for slug, run in by_slug.items()}

    ran: dict[str, dict[str, TaskResult]] = defaultdict(dict)
    family_of: dict[str, str] = {}
    for slug, run in by_slug.items():
        for name, result in run.report.tasks.items():
            if result.skipped is None:
                ran[name][slug] = result
                family_of[name] = result.family
    families = [f for f in family_names() if f in family_of.values()]
    families += sorted(set(family_of.values()) - set(families))
    task_names = sorted(ran, key=lambda name: (families.index(family_of[name]), name))
    variants = {name: _variants(name, ran[name], started) for name in task_names}

    cells: dict[str, dict[str, LeaderboardCell]] = {}
    columns: list[LeaderboardColumn] = []
    for name in task_names:
        reference = variants[name][0]
        first = ran[name][reference.runs[0]]
        metric = first.metrics.get(first.primary_metric)
        columns.append(
            LeaderboardColumn(
                key=f"task:{name}",
                kind="task",
                label=name,
                family=family_of[name],
                tasks=[name],
                metric=first.primary_metric,
                higher_is_better=metric.higher_is_better if metric else True,
                task_hash=reference.task_hash,
                data_hash=reference.data_hash,
            )
        )
        cells[f"task:{name}"] = _ranked(
            {
                slug: task_cell(run.report.tasks.get(name), reference)
                for slug, run in by_slug.items()
            }
        )
    for family in families:
        tasks = [name for name in task_names if family_of[name] == family]
        key = f"family:{family}"
        columns.append(
            LeaderboardColumn(key=key, kind="family", label=family, family=family, tasks=tasks)
        )
        cells[key] = _ranked(
            {
                slug: mean_cell({t: cells[f"task:{t}"][slug] for t in tasks}, "tasks")
                for slug in by_slug
            }
        )
    columns.append(
        LeaderboardColumn(key="overall", kind="overall", label="overall", tasks=task_names)
    )
    cells["overall"] = _ranked(
        {
            slug: mean_cell({f: cells[f"family:{f}"][slug] for f in families}, "families")
            for slug in by_slug
        }
    )
    columns = [columns[-1], *columns[len(task_names) : -1], *columns[: len(task_names)]]

    rows = [
        LeaderboardRow(
            slug=slug,
            label=display_name(run) + (f" ({started[slug]})" if all_runs else ""),
            kind=run_kind(run),
            model=run.report.model,
            provenance=run.report.provenance,
            source=str(run.folder),
            cells={column.key: cells[column.key][slug] for column in columns},
            tasks=dict(run.report.tasks),
            samples_withheld=sorted(
                name for name, result in run.report.tasks.items() if identifiers_in_clear(result)
            ),
        )
        for slug, run in by_slug.items()
    ]
    rows.sort(key=lambda row: _row_order(row.cells["overall"], row.label))
    return Leaderboard(
        title=title,
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        partages_bench_version=__version__,
        normalisation=NORMALISATION,
        aggregation=AGGREGATION,
        ties=TIES,
        columns=columns,
        rows=rows,
        variants=variants,
        cards={name: cards[name] for name in task_names if name in cards},
        skipped_reports=notes,
    )


def _row_order(overall: LeaderboardCell, label: str) -> tuple:
    """Best overall first; runs without an overall score last, by name."""
    return (overall.value is None, -(overall.value or 0.0), label)
