"""``report pool``: three simulated hospitals' runs of one model and one task template pooled
into one report (per-site rows, pooled values equal to one run over the concatenated documents,
stratified CI), and refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from helpers import REGISTRY, SETTINGS, cli, edit, with_task, write_run

from partages_bench.errors import UserError
from partages_bench.merge import write_merged
from partages_bench.pool import pool_reports, pooled_records
from partages_bench.report import data_hash, metric_values
from partages_bench.rundir import load_report, read_samples, write_report, write_samples
from partages_bench.schema import SampleRecord
from partages_bench.stats import MetricSpec, bootstrap_indices, estimate_all

TASK = "frenchmedmcqa"
# Three hospitals: sizes and success rates far apart (the stratified CI must be narrower).
SITES = {"chu_a": (120, 0.9), "chu_b": (40, 0.2), "cancer_c": (70, 0.55)}


def _records(site: str, n: int, rate: float) -> list[SampleRecord]:
    rng = np.random.default_rng(len(site) * 1000 + n)
    return [
        SampleRecord(
            doc_index=i,
            doc_id=f"q{i}",  # the same ids at every site
            doc_hash=hashlib.sha256(f"{site}/{i}".encode()).hexdigest(),
            prompt="",
            output="",
            target="",
            stats={
                "emr": float(rng.random() < rate),
                "hamming": float(rng.integers(0, 5)) / 4,
                "unparsable": float(rng.random() < 0.1),
                "single_correct": float(i % 2),
            },
        )
        for i in range(n)
    ]


def _site_run(folder: Path, records: list[SampleRecord]) -> Path:
    write_run(folder, {TASK: range(2)})
    write_samples(folder, TASK, records)
    card = REGISTRY.card(TASK)
    edit(
        folder,
        with_task(
            TASK,
            metrics=metric_values(card, records, SETTINGS["bootstrap_iterations"], 1234),
            n_samples=len(records),
            data_hash=data_hash(records),
        ),
    )
    return folder


@pytest.fixture
def sites(tmp_path: Path) -> dict[str, tuple[Path, list[SampleRecord]]]:
    out = {}
    for site, (n, rate) in SITES.items():
        records = _records(site, n, rate)
        out[site] = (_site_run(tmp_path / site, records), records)
    return out


def test_pooled_values_equal_one_run_over_the_concatenated_documents(
    sites: dict[str, tuple[Path, list[SampleRecord]]], tmp_path: Path
) -> None:
    report, samples = pool_reports([folder for folder, _ in sites.values()], REGISTRY)
    result = report.tasks[TASK]
    concatenated = pooled_records([(site, records) for site, (_, records) in sites.items()])
    single = metric_values(REGISTRY.card(TASK), concatenated, 50, 1234)
    pooled = {k: v.value for k, v in result.metrics.items() if "/site=" not in k}
    assert pooled == {k: v.value for k, v in single.items()}
    assert result.n_samples == sum(n for n, _ in SITES.values())
    # Per-site rows are each site's own values (and CIs: same seed).
    for site, (folder, _) in sites.items():
        own = load_report(folder).tasks[TASK].metrics
        for metric, value in own.items():
            assert result.metrics[f"{metric}/site={site}"] == value
    assert result.pooled is not None
    assert result.pooled.sizes == {site: n for site, (n, _) in SITES.items()}
    spread = result.pooled.heterogeneity
    assert spread is not None and spread.metric == "emr"
    site_emr = [result.metrics[f"emr/site={site}"].value for site in SITES]
    assert spread.range == pytest.approx(max(site_emr) - min(site_emr))
    assert spread.p_value == pytest.approx(1 / 1000)  # sites 0.9 / 0.2 / 0.55 apart
    # Ids are prefixed by site, never colliding; each record keeps its site.
    ids = [record.doc_id for record in samples[TASK]]
    assert len(set(ids)) == len(ids) and ids[0] == "chu_a:q0"
    assert {record.groups["site"] for record in samples[TASK]} == set(SITES)
    # Written like a run folder, it reads back.
    write_merged(tmp_path / "pooled", report, samples)
    assert load_report(tmp_path / "pooled").tasks[TASK] == result
    assert len(read_samples(tmp_path / "pooled", result)) == result.n_samples


def test_stratified_ci_is_narrower_than_the_naive_one_when_sites_differ(
    sites: dict[str, tuple[Path, list[SampleRecord]]],
) -> None:
    records = pooled_records([(site, records) for site, (_, records) in sites.items()])
    stats = [r.stats for r in records]
    spec = [MetricSpec("emr")]
    strata = [r.groups["site"] for r in records]
    naive = estimate_all(stats, spec, 2000, 7)["emr"]
    stratified = estimate_all(stats, spec, 2000, 7, strata)["emr"]
    assert naive.value == stratified.value
    assert stratified.ci_high - stratified.ci_low < naive.ci_high - naive.ci_low
    # Every stratified resample keeps each site's documents within the site.
    indices = bootstrap_indices(len(records), 50, 7, strata)
    labels = np.asarray(strata)
    assert (labels[indices] == labels).all()
    assert (bootstrap_indices(len(records), 50, 7) == bootstrap_indices(len(records), 50, 7)).all()


def test_heterogeneity_test_does_not_reject_equal_sites(tmp_path: Path) -> None:
    folders = [
        _site_run(tmp_path / site, _records(site, n, 0.5))
        for site, n in (("s1", 60), ("s2", 45), ("s3", 80))
    ]
    report, _ = pool_reports(folders, REGISTRY, ["s1", "s2", "s3"])
    spread = report.tasks[TASK].pooled.heterogeneity
    assert spread is not None and spread.p_value > 0.01


def test_refuses_another_model_template_or_the_same_data(
    sites: dict[str, tuple[Path, list[SampleRecord]]], tmp_path: Path
) -> None:
    folders = [folder for folder, _ in sites.values()]
    other = tmp_path / "other"
    _site_run(other, _records("other", 30, 0.5))
    report = load_report(other)
    write_report(
        other, report.model_copy(update={"model": report.model.model_copy(update={"name": "big"})})
    )
    with pytest.raises(UserError, match=r"model\.name is 'big'"):
        pool_reports([folders[0], other], REGISTRY)
    edit(folders[1], with_task(TASK, task_hash="another template"))
    with pytest.raises(UserError, match=f"tasks.{TASK}.task_hash is 'another template'"):
        pool_reports(folders, REGISTRY)
    with pytest.raises(UserError, match="the same data twice"):
        same = tmp_path / "same"
        _site_run(same, sites["chu_a"][1])
        pool_reports([folders[0], same], REGISTRY)


def test_cli_pool_then_compare_and_leaderboard(
    sites: dict[str, tuple[Path, list[SampleRecord]]], tmp_path: Path
) -> None:
    folders = [str(folder) for folder, _ in sites.values()]
    pooled = tmp_path / "runs" / "pooled"
    result = cli("report", "pool", *folders, "--output", str(pooled), "--site-names", "a,b,c")
    assert result.returncode == 0, result.stderr
    assert "emr/site=a" in load_report(pooled).tasks[TASK].metrics
    compare = cli("compare", str(pooled), str(pooled))
    assert compare.returncode == 0, compare.stderr
    board = cli("leaderboard", "build", str(tmp_path / "runs"), "--out", str(tmp_path / "site"))
    assert board.returncode == 0, board.stderr
    pages = "".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))
    assert "site=a" in pages
    refused = cli("report", "pool", folders[0], folders[0], "--output", str(tmp_path / "x"))
    assert refused.returncode == 2 and "given twice" in refused.stderr
