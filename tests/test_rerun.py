"""``partages-bench rerun``: a run repeated from its report folder gives the same report."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import SHARED_DATA, assert_one_line_error, cli, quiet
from helpers import run_options as options

from partages_bench.rerun import Difference, differences
from partages_bench.rundir import load_report
from partages_bench.runner import run


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"no data mirror at {SHARED_DATA} (set PARTAGES_BENCH_TEST_DATA)")
    folder = tmp_path_factory.mktemp("original") / "run"
    run(options(tiny_model, SHARED_DATA, folder), quiet())
    return folder


@pytest.fixture
def original(finished_run: Path, tmp_path: Path) -> Path:
    """A copy of the finished run that a test may tamper with."""
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


def edit_report(folder: Path, edit: Callable[[dict], None]) -> None:
    path = folder / "report.json"
    report = json.loads(path.read_text())
    edit(report)
    path.write_text(json.dumps(report))


def test_a_rerun_matches_and_warns_of_another_commit(original: Path) -> None:
    edit_report(original, lambda r: r["provenance"].update(git_sha="0" * 40))
    result = cli("rerun", str(original))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"provenance.git_sha was {'0' * 40}" in result.stdout
    assert "same scores and hashes" in result.stdout
    again = load_report(original / "rerun")
    assert again.tasks == load_report(original).tasks
    assert again.provenance.command[-2:] == ["rerun", str(original)]


def test_a_tampered_metric_is_named(original: Path, tmp_path: Path) -> None:
    def tamper(report: dict) -> None:
        report["tasks"]["frenchmedmcqa"]["metrics"]["hamming"]["value"] += 0.01

    edit_report(original, tamper)
    result = cli("rerun", str(original), "--output", str(tmp_path / "again"))
    assert result.returncode == 1, result.stdout + result.stderr
    named = [line for line in result.stdout.splitlines() if line.startswith("differs: ")]
    assert len(named) == 1
    assert named[0].startswith("differs: frenchmedmcqa: metrics.hamming.value was ")
    assert (tmp_path / "again" / "report.json").is_file()


def test_bad_input_and_other_software_are_refused_before_running(
    original: Path, tmp_path: Path
) -> None:
    edit_report(original, lambda r: r["provenance"]["libraries"].update(lm_eval="0.4.0"))
    result = cli("rerun", str(original))
    assert_one_line_error(result, "provenance.libraries.lm_eval was 0.4.0, here 0.4.13")
    assert not (original / "rerun").exists()
    anyway = cli("rerun", str(original), "--allow-other-software")
    assert anyway.returncode == 0, anyway.stdout + anyway.stderr
    assert "warning provenance.libraries.lm_eval was 0.4.0, here 0.4.13" in anyway.stdout

    (original / "run.json").unlink()
    assert_one_line_error(cli("rerun", str(original)), "run.json: nothing to rerun")
    (tmp_path / "empty").mkdir()
    assert_one_line_error(cli("rerun", str(tmp_path / "empty")), "report.json: no report here")


def test_differences_name_the_model_task_and_field(finished_run: Path) -> None:
    old = load_report(finished_run)
    task = old.tasks["frenchmedmcqa"]
    other_model = old.model.model_copy(update={"weights_sha256": "f" * 64})
    new = old.model_copy(
        update={
            "model": other_model,
            "tasks": {"frenchmedmcqa": task.model_copy(update={"data_hash": "x"}), "extra": task},
        }
    )
    assert differences(old, old) == []
    assert differences(old, new) == [
        Difference("model", "identity", old.model.name, old.model.name),
        Difference("frenchmedmcqa", "data_hash", task.data_hash, "x"),
        Difference("extra", "task", False, True),
    ]
