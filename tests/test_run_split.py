"""``run --split``: a task evaluates the asked split of its data instead of its own test split
(PARHAF's embargoed ``test`` the day a user holds it); the report records the split of every
task, and a task whose data lacks the split is refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import assert_one_line_error, cli

from partages_bench.data import load_splits
from partages_bench.rundir import samples_path

TASK = "pseudo_detect_eds"


def run(tmp_path: Path, shared_data: Path, *extra: str) -> tuple[object, Path]:
    output = tmp_path / "run"
    args = ("--model", "replay", "--model-args", "baseline=pseudo-rules", "--tasks", TASK)
    result = cli(
        "run",
        *args,
        "--limit",
        "2",
        "--data-dir",
        str(shared_data),
        "--output",
        str(output),
        *extra,
        timeout=600,
    )
    return result, output


def test_the_asked_split_is_evaluated_and_recorded(tmp_path: Path, shared_data: Path) -> None:
    result, output = run(tmp_path, shared_data, "--split", "train")
    assert result.returncode == 0, result.stderr
    report = json.loads((output / "report.json").read_text())
    assert report["provenance"]["split"] == "train"
    assert report["tasks"][TASK]["split"] == "train"
    assert report["tasks"][TASK]["n_samples"] == 2
    samples = [json.loads(line) for line in samples_path(output, TASK).open()]
    train_ids = {
        note["note_id"] for note in load_splits("eds_pseudo_synthetic", shared_data)["train"]
    }
    assert {s["doc_id"] for s in samples} <= train_ids


def test_without_split_each_task_records_its_own(tmp_path: Path, shared_data: Path) -> None:
    result, output = run(tmp_path, shared_data)
    assert result.returncode == 0, result.stderr
    report = json.loads((output / "report.json").read_text())
    assert report["provenance"]["split"] is None
    assert report["tasks"][TASK]["split"] == "test"


def test_a_split_the_task_lacks_is_one_line_naming_it(tmp_path: Path, shared_data: Path) -> None:
    result, _ = run(tmp_path, shared_data, "--split", "validation")
    assert_one_line_error(
        result, f"task {TASK} has no split 'validation' (its splits: train, test)"
    )
