"""``report pool``: runs of one model and one task template on several sites' data (hospitals
whose documents never leave them) as one report, with each site's metrics and the pooled ones.

Each site's run is scored where it ran; only its report and per-document statistics travel. The
pooled report's per-sample log is the concatenation of the sites' logs, site after site in the
order given, each record's group ``site`` set to its site and its doc id prefixed ``SITE:`` (two
sites' ids never collide), ``doc_index`` renumbered 0… in that order. Every metric is then the
card's aggregation over those records, exactly as one run over the concatenated documents would
compute it (micro figures pool the sites' counts, means weigh documents equally), and its 95 %
interval is the **stratified** percentile bootstrap: each resample draws, within each site, as
many documents as the site has (``stats.estimate_all`` with ``strata``), since the sites' sizes
are fixed by design, not drawn. Per-site values are the breakdown rows ``metric/site=NAME``
(each site's own values and intervals: the same seed gives the site's run's numbers).

Heterogeneity of the primary metric: the per-site values' minimum, maximum and range, and a
permutation test of equal sites: the statistic is the between-site variance
T = Σ_s n_s·(m_s − m̄)² / N (m_s the card's aggregation over site s's documents, m̄ = Σ n_s·m_s / N,
N = Σ n_s); documents are shuffled across sites (sizes kept) ``PERMUTATIONS`` times with the
run's seed, and p = (1 + #{T_perm ≥ T}) / (1 + permutations). It holds for any aggregation,
ratios and F1 included, since it recomputes the metric on each shuffled site.

Refused, naming both folders and the field: another model (identity key) or scoring setting
(``merge.require_one_evaluation``), a task whose template (``task_hash``), version or few-shot
count differs, two sites with the same data, a shard (merge it first), a task missing at a site.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import numpy as np

from .errors import UserError
from .merge import Run, _load, _require_same, require_one_evaluation
from .privacy import combined_in_clear
from .registry import Registry
from .report import data_hash, metric_specs, metric_values
from .rundir import read_samples
from .schema import (
    PooledSites,
    Report,
    SampleRecord,
    SiteHeterogeneity,
    TaskCard,
    TaskResult,
    safe_name,
)
from .stats import AGGREGATIONS, MetricSpec, to_columns

SITE = "site"
PERMUTATIONS = 999
POOLED_FIELDS = ("task_hash", "version", "num_fewshot", "split")
BOOTSTRAP_RULE = (
    "stratified by site: each resample draws, within each site, as many documents as it has"
)


def site_names(folders: Sequence[Path], names: Sequence[str] | None) -> list[str]:
    """``--site-names`` (one per run, in order), or the run folders' names."""
    chosen = list(names) if names else [folder.name for folder in folders]
    if len(chosen) != len(folders):
        raise UserError(f"--site-names: {len(chosen)} names for {len(folders)} runs")
    for name in chosen:
        try:
            safe_name(name)
        except ValueError as error:
            raise UserError(f"--site-names: {error}") from None
    if len(set(chosen)) != len(chosen):
        raise UserError(f"--site-names: a name is given twice ({', '.join(chosen)})")
    return chosen


def pooled_records(sites: Sequence[tuple[str, Sequence[SampleRecord]]]) -> list[SampleRecord]:
    """The sites' records concatenated in order: group ``site``, ids ``SITE:id``, renumbered."""
    records = []
    for site, site_records in sites:
        for record in sorted(site_records, key=lambda r: r.doc_index):
            records.append(
                record.model_copy(
                    update={
                        "doc_index": len(records),
                        "doc_id": f"{site}:{record.doc_id}",
                        "groups": record.groups | {SITE: site},
                    }
                )
            )
    return records


def _site_value(columns: dict[str, np.ndarray], spec: MetricSpec, rows: np.ndarray) -> float:
    subset = {key: values[rows] for key, values in columns.items()}
    return float(AGGREGATIONS[spec.aggregation](subset, spec.source))


def _between_variance(values: np.ndarray, sizes: np.ndarray) -> float:
    mean = float(np.sum(sizes * values) / np.sum(sizes))
    return float(np.sum(sizes * (values - mean) ** 2) / np.sum(sizes))


def heterogeneity(
    records: Sequence[SampleRecord],
    spec: MetricSpec,
    permutations: int = PERMUTATIONS,
    seed: int = 0,
) -> SiteHeterogeneity | None:
    """The spread of ``spec`` over the records' sites and the permutation test of equal sites
    (module docstring); None when a site's value is undefined (NaN)."""
    columns = to_columns([record.stats for record in records])
    labels = [record.groups[SITE] for record in records]
    order = list(dict.fromkeys(labels))
    rows = [np.flatnonzero(np.asarray(labels) == site) for site in order]
    sizes = np.array([len(r) for r in rows], dtype=np.float64)
    values = np.array([_site_value(columns, spec, r) for r in rows])
    if np.isnan(values).any():
        return None
    observed = _between_variance(values, sizes)
    rng = np.random.default_rng(seed)
    bounds = np.cumsum([0, *[len(r) for r in rows]])
    exceed = 0
    for _ in range(permutations):
        shuffled = rng.permutation(len(records))
        permuted = np.array(
            [_site_value(columns, spec, shuffled[start:end]) for start, end in pairwise(bounds)]
        )
        # A tolerance: the observed split is among the permutations, and rounding must not
        # put it below itself.
        if not np.isnan(permuted).any() and _between_variance(permuted, sizes) >= observed - 1e-12:
            exceed += 1
    return SiteHeterogeneity(
        metric=spec.name,
        minimum=float(values.min()),
        maximum=float(values.max()),
        range=float(values.max() - values.min()),
        statistic=observed,
        p_value=(1 + exceed) / (1 + permutations),
        permutations=permutations,
        seed=seed,
    )


def _pool_task(
    card: TaskCard, runs: Sequence[Run], sites: Sequence[str], settings: Report
) -> tuple[TaskResult, list[SampleRecord]]:
    name = card.name
    reference, first = runs[0][0], runs[0][1].tasks[name]
    seen_data: dict[str | None, Path] = {}
    per_site = []
    for (folder, report), site in zip(runs, sites, strict=True):
        result = report.tasks.get(name)
        if result is None or result.skipped is not None:
            raise UserError(f"{folder}: task '{name}' did not run there, {reference} ran it")
        _require_same(f"tasks.{name}.", POOLED_FIELDS, folder, result, reference, first)
        if result.data_hash in seen_data:
            raise UserError(
                f"{folder}: tasks.{name}.data_hash is that of {seen_data[result.data_hash]}: "
                "the same data twice, not two sites"
            )
        seen_data[result.data_hash] = folder
        per_site.append((site, read_samples(folder, result)))
    records = pooled_records(per_site)
    iterations, seed = settings.provenance.bootstrap_iterations, settings.provenance.seed
    breakdown = [field for field in card.breakdown if field != SITE]
    pooled_card = card.model_copy(update={"breakdown": [*breakdown, SITE]})
    specs = {spec.name: spec for spec in metric_specs(card, records)}
    primary = specs.get(card.primary_metric)
    spread = None if primary is None else heterogeneity(records, primary, PERMUTATIONS, seed)
    sizes = {site: len(site_records) for site, site_records in per_site}
    results = [report.tasks[name] for _, report in runs]
    datasets = list(dict.fromkeys(r.dataset for r in results if r.dataset))
    notes = list(first.notes)
    notes.append(
        "pooled over "
        + ", ".join(f"{site} (n={n})" for site, n in sizes.items())
        + f"; CIs {BOOTSTRAP_RULE}"
    )
    if spread is not None:
        notes.append(
            f"sites' {spread.metric}: {spread.minimum:.4g} to {spread.maximum:.4g} "
            f"(range {spread.range:.4g}); permutation test of equal sites p = "
            f"{spread.p_value:.3g} ({spread.permutations} permutations)"
        )
    result = first.model_copy(
        update={
            "dataset": "+".join(datasets) if datasets else None,
            "metrics": metric_values(pooled_card, records, iterations, seed, strata=SITE),
            "n_samples": len(records),
            "data_hash": data_hash(records),
            "truncated_or_skipped": sum(r.truncated_or_skipped for r in results),
            "samples_in_clear": combined_in_clear(r.samples_in_clear for r in results),
            "notes": notes,
            "pooled": PooledSites(
                sizes=sizes,
                runs={site: str(folder) for (folder, _), site in zip(runs, sites, strict=True)},
                data_hashes={site: r.data_hash for site, r in zip(sites, results, strict=True)},
                bootstrap=BOOTSTRAP_RULE,
                heterogeneity=spread,
            ),
        }
    )
    return result, records


def pool_reports(
    folders: Sequence[Path],
    registry: Registry,
    names: Sequence[str] | None = None,
    command: Sequence[str] | None = None,
) -> tuple[Report, dict[str, list[SampleRecord]]]:
    """One report from the runs of several sites (module docstring), and its per-sample log."""
    if len(folders) < 2:
        raise UserError("report pool: give at least two sites' run folders")
    if len({folder.resolve() for folder in folders}) != len(folders):
        raise UserError("report pool: a run folder is given twice")
    sites = site_names(folders, names)
    runs = [(folder, _load(folder)) for folder in folders]
    for folder, report in runs:
        if report.provenance.shard is not None:
            raise UserError(
                f"{folder}: shard {report.provenance.shard} of a run (report merge its shards "
                "first, then pool the merged run)"
            )
    require_one_evaluation(runs)
    reference, first = runs[0]
    names_ran = [name for name, result in first.tasks.items() if result.skipped is None]
    for folder, report in runs[1:]:
        extra = [n for n, r in report.tasks.items() if r.skipped is None and n not in names_ran]
        if extra:
            raise UserError(f"{folder}: task '{extra[0]}' ran there, not in {reference}")
    tasks: dict[str, TaskResult] = {}
    samples: dict[str, list[SampleRecord]] = {}
    for name, result in first.tasks.items():
        if result.skipped is not None:
            tasks[name] = result
            continue
        if name not in registry.cards:
            raise UserError(
                f"{reference}: task '{name}' is unknown here (pass --include-path with its folder)"
            )
        tasks[name], samples[name] = _pool_task(registry.cards[name], runs, sites, first)
    provenances = [report.provenance for _, report in runs]
    provenance = first.provenance.model_copy(
        update={
            "start_time": min((p.start_time for p in provenances), key=datetime.fromisoformat),
            "end_time": max(
                (p.end_time for p in provenances if p.end_time), key=datetime.fromisoformat
            ),
            "duration_seconds": max(p.duration_seconds or 0.0 for p in provenances),
            "resumed_at": [],
            "merged_from": [str(folder) for folder in folders],
            "command": list(sys.argv if command is None else command),
        }
    )
    return first.model_copy(update={"tasks": tasks, "provenance": provenance}), samples
