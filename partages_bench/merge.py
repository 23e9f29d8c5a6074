"""``report merge``: the runs of one evaluation spread over several nodes (disjoint task lists, or
the shards of each task's documents from ``run --shard K/N``) as the report one node would write.

Metrics are recomputed from the merged per-sample log, never combined from the runs' numbers:
the bootstrap resamples documents in record order and corpus-level F1 sums counts, so only the
records in a single run's order (by ``doc_index``) give its values and intervals. Runs that could
not have come from one evaluation (another model, seed, limit or task version: the model identity,
``options.SCORE_SETTINGS``, ``SHARED_TASK_FIELDS``; a shard missing or given twice) are refused,
naming the folder and the field. Run folders are read, and the merged one written, by ``rundir``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from .errors import UserError
from .models import identity_key
from .options import SCORE_SETTINGS
from .outputs import check_output_folder, replace_entries, staging_folder
from .privacy import combined_in_clear
from .registry import Registry
from .report import data_hash, metric_values
from .rundir import (
    RUN_ENTRIES,
    SAMPLES_DIR,
    load_report,
    read_samples,
    write_report,
    write_samples,
)
from .schema import ModelIdentity, Report, SampleRecord, TaskCard, TaskResult
from .sharding import EMPTY_SHARD, Shard

# What the shards of one task have in common (metrics, n_samples and data_hash are each shard's).
SHARED_TASK_FIELDS = (
    "task_hash",
    "split",
    "num_fewshot",
    "context_check",
    "truncated_or_skipped",
    "notes",
)

Run = tuple[Path, Report]


def _require_same(
    prefix: str,
    fields: Iterable[str],
    folder: Path,
    actual: BaseModel,
    reference: Path,
    expected: BaseModel,
) -> None:
    """Refuse the first of ``fields`` where ``actual`` (from ``folder``) differs from
    ``expected`` (from ``reference``)."""
    for field in fields:
        mine, theirs = getattr(actual, field), getattr(expected, field)
        if mine != theirs:
            raise UserError(f"{folder}: {prefix}{field} is {mine!r}, {reference} has {theirs!r}")


def _load(folder: Path) -> Report:
    if not folder.is_dir():
        raise UserError(f"{folder}: not a run folder")
    report = load_report(folder)
    if report.provenance.end_time is None:
        raise UserError(f"{folder}: provenance.end_time: the run has not finished")
    return report


def require_one_evaluation(runs: Sequence[Run]) -> None:
    """Refuse runs of another model (its identity key) or scoring settings than the first
    (``options.SCORE_SETTINGS``), naming the folder and the field (``report merge``, ``report
    pool``)."""
    reference, first = runs[0]
    for folder, report in runs[1:]:  # one schema_version: load_report reads only its own
        if identity_key(report.model) != identity_key(first.model):
            # Another model; arguments that only change the speed (concurrency…) are allowed.
            fields = [f for f in ModelIdentity.model_fields if f not in ("args", "notes")]
            _require_same("model.", fields, folder, report.model, reference, first.model)
            raise UserError(
                f"{folder}: model.args is {report.model.args}, {reference} has {first.model.args}"
            )
        _require_same(
            "provenance.", SCORE_SETTINGS, folder, report.provenance, reference, first.provenance
        )


def _check_shards(name: str, runs: Sequence[Run]) -> None:
    """A task found in several runs must come from shards K/N of one N, each exactly once."""
    unsharded = [folder for folder, report in runs if report.provenance.shard is None]
    if len(runs) > 1 and unsharded:
        other = next(folder for folder, _ in runs if folder != unsharded[0])
        raise UserError(f"task '{name}' is in both {unsharded[0]} and {other}")
    if unsharded:
        return
    shards = [(folder, Shard.parse(report.provenance.shard or "")) for folder, report in runs]
    count = shards[0][1].count
    seen: dict[int, Path] = {}
    for folder, shard in shards:
        if shard.count != count:
            raise UserError(
                f"{folder}: provenance.shard is {shard}, {shards[0][0]} has a shard of {count}"
            )
        if shard.index in seen:
            raise UserError(
                f"task '{name}': shard {shard} is in both {seen[shard.index]} and {folder}"
            )
        seen[shard.index] = folder
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in seen]
    if missing:
        raise UserError(f"task '{name}': no run folder for shard {', '.join(missing)}")


def _merge_task(
    card: TaskCard, runs: Sequence[Run], empty: Sequence[Run]
) -> tuple[TaskResult, list[SampleRecord]]:
    """One task from the runs that evaluated it (``empty``: shards that held none of its
    documents): records in single-run order, metrics again."""
    _check_shards(card.name, [*runs, *empty])
    reference, first = runs[0][0], runs[0][1].tasks[card.name]
    found: dict[int, Path] = {}
    records = []
    for folder, report in runs:
        result = report.tasks[card.name]
        _require_same(f"tasks.{card.name}.", SHARED_TASK_FIELDS, folder, result, reference, first)
        for record in read_samples(folder, result):
            if record.doc_index in found:
                raise UserError(
                    f"task '{card.name}': document {record.doc_id} (doc_index "
                    f"{record.doc_index}) is in both {found[record.doc_index]} and {folder}"
                )
            found[record.doc_index] = folder
            records.append(record)
    records.sort(key=lambda record: record.doc_index)
    settings = runs[0][1].provenance
    result = first.model_copy(
        update={
            "metrics": metric_values(card, records, settings.bootstrap_iterations, settings.seed),
            "n_samples": len(records),
            "data_hash": data_hash(records),
            "samples_in_clear": combined_in_clear(
                report.tasks[card.name].samples_in_clear for _, report in runs
            ),
        }
    )
    return result, records


def merge_reports(
    folders: Sequence[Path], registry: Registry, command: Sequence[str] | None = None
) -> tuple[Report, dict[str, list[SampleRecord]]]:
    """The report and per-sample log a single run would have written, from the run folders an
    evaluation was spread over; ``command`` (default: this process's) goes in the provenance."""
    if not folders:
        raise UserError("report merge: no run folder given")
    seen = set()
    for folder in folders:
        if folder.resolve() in seen:
            raise UserError(f"{folder}: given twice")
        seen.add(folder.resolve())
    runs = [(folder, _load(folder)) for folder in folders]
    require_one_evaluation(runs)
    first = runs[0][1]
    ran: dict[str, list[Run]] = {}
    skipped: dict[str, TaskResult] = {}
    empty: dict[str, list[Run]] = {}
    for folder, report in runs:
        for name, result in report.tasks.items():
            if name not in registry.cards:
                raise UserError(
                    f"{folder}: task '{name}' is unknown here (pass --include-path with its folder)"
                )
            if result.skipped is None:
                ran.setdefault(name, []).append((folder, report))
            elif result.skipped == EMPTY_SHARD:
                empty.setdefault(name, []).append((folder, report))
            else:
                skipped.setdefault(name, result)
    merged = {
        name: _merge_task(registry.cards[name], task_runs, empty.get(name, []))
        for name, task_runs in ran.items()
    }
    for name, shards in empty.items():
        skipped.setdefault(name, shards[0][1].tasks[name])
    results = skipped | {name: result for name, (result, _) in merged.items()}
    # A single run lists its tasks in the order they were selected: the suite's.
    suite = list(registry.cards)
    tasks = {name: results[name] for name in sorted(results, key=suite.index)}
    provenances = [report.provenance for _, report in runs]
    provenance = first.provenance.model_copy(
        update={
            "start_time": min((p.start_time for p in provenances), key=datetime.fromisoformat),
            "end_time": max(
                (p.end_time for p in provenances if p.end_time), key=datetime.fromisoformat
            ),
            # The nodes ran side by side: the evaluation took as long as the slowest.
            "duration_seconds": max(p.duration_seconds or 0.0 for p in provenances),
            "resumed_at": sorted(
                (time for p in provenances for time in p.resumed_at), key=datetime.fromisoformat
            ),
            "shard": None,
            "merged_from": [str(folder) for folder in folders],
            "command": list(sys.argv if command is None else command),
        }
    )
    report = first.model_copy(update={"tasks": tasks, "provenance": provenance})
    return report, {name: records for name, (_, records) in merged.items()}


def _merged_from(folders: Sequence[str | Path]) -> set[Path]:
    return {Path(folder).resolve() for folder in folders}


def _previous_merge(merged_from: Sequence[str]) -> Callable[[Path], bool]:
    """Whether a folder holds a merge of the same runs (merging them again may replace it)."""

    def same_runs(folder: Path) -> bool:
        try:
            previous = load_report(folder)
        except UserError:
            return False
        return bool(previous.provenance.merged_from) and _merged_from(
            previous.provenance.merged_from
        ) == _merged_from(merged_from)

    return same_runs


def write_merged(
    output: Path,
    report: Report,
    samples: Mapping[str, Sequence[SampleRecord]],
    overwrite: bool = False,
) -> None:
    """``output`` laid out like a run folder: report.json, report.md and samples/<task>.jsonl.

    ``output`` must be new, empty, or a merge of the same runs (else ``overwrite``); the merge is
    written aside and moved in whole, so that a failure leaves ``output`` as it was."""
    merged_from = report.provenance.merged_from
    if output.resolve() in _merged_from(merged_from):
        raise UserError(f"{output}: --output is one of the merged runs; choose a new folder")
    check_output_folder(
        output, "--output", _previous_merge(merged_from), "a merge of the same runs", overwrite
    )
    with staging_folder(output) as staging:
        (staging / SAMPLES_DIR).mkdir()
        for task, records in samples.items():
            write_samples(staging, task, records)
        write_report(staging, report)
        # Every entry of a run is replaced: a merged run has no run.json or cache of its own.
        replace_entries(staging, output, RUN_ENTRIES)
