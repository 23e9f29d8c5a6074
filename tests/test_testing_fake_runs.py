"""The fake run folders the leaderboard is tested and benchmarked on must be ones the harness
itself accepts: valid reports, sample logs that match their data hash, the same bytes for a seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from partages_bench.rundir import REPORT_MD, SAMPLES_DIR, load_report, read_samples
from partages_bench.testing.fake_runs import FAMILIES, write_generated_reports


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_reports_and_samples_are_valid(tmp_path: Path) -> None:
    runs = write_generated_reports(tmp_path, n_models=3, n_tasks=6, seed=1, samples_per_task=12)
    assert [run.name for run in runs] == ["gen-model-000", "gen-model-001", "gen-model-002"]
    for run in runs:
        assert (run / REPORT_MD).is_file()
        report = load_report(run)
        assert report.model.name == run.name
        assert report.provenance.end_time is not None
        assert list(report.tasks) == [f"gen_{family}_01" for family in FAMILIES[:6]]
        for result in report.tasks.values():
            records = read_samples(run, result)
            assert len(records) == result.n_samples
            primary = result.metrics[result.primary_metric]
            assert 0 <= primary.ci_low <= primary.value <= primary.ci_high <= 1
            assert primary.higher_is_better == (result.family != "pseudonymisation")
            assert 2 <= len(result.metrics) <= 3
            if result.family == "pseudonymisation":
                assert all("[NOM:" in record.prompt for record in records)


def test_families_round_robin_without_samples(tmp_path: Path) -> None:
    (run,) = write_generated_reports(tmp_path, n_models=1, n_tasks=2 * len(FAMILIES) + 1)
    report = load_report(run)
    assert [t.family for t in report.tasks.values()] == [*FAMILIES, *FAMILIES, FAMILIES[0]]
    assert not (run / SAMPLES_DIR).exists()
    assert all(100 <= t.n_samples <= 600 for t in report.tasks.values())


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        write_generated_reports(tmp_path / name, 4, 5, seed=7, samples_per_task=5)
    write_generated_reports(tmp_path / "c", 4, 5, seed=8, samples_per_task=5)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")


@pytest.mark.parametrize("samples", [0, 10])
def test_last_model_ran_first_task_on_a_subset(tmp_path: Path, samples: int) -> None:
    runs = write_generated_reports(tmp_path, 4, 3, seed=2, samples_per_task=samples)
    reports = [load_report(run) for run in runs]
    first, other = "gen_qa_01", "gen_summarisation_01"
    hashes = {r.tasks[first].data_hash for r in reports[:-1]}
    assert len(hashes) == 1
    last = reports[-1].tasks[first]
    assert last.data_hash not in hashes
    assert last.n_samples < reports[0].tasks[first].n_samples
    assert last.task_hash == reports[0].tasks[first].task_hash
    assert len({r.tasks[other].data_hash for r in reports}) == 1


def test_models_differ(tmp_path: Path) -> None:
    runs = write_generated_reports(tmp_path, 10, 4, seed=0)
    values = {load_report(run).tasks["gen_qa_01"].metrics["emr"].value for run in runs}
    assert len(values) == 10


@pytest.mark.parametrize(
    ("models", "tasks", "samples"), [(0, 1, 0), (1, 0, 0), (1, 1, 1), (1, 1, -2)]
)
def test_bad_sizes(tmp_path: Path, models: int, tasks: int, samples: int) -> None:
    with pytest.raises(ValueError):
        write_generated_reports(tmp_path, models, tasks, samples_per_task=samples)
    assert not list(tmp_path.iterdir())
