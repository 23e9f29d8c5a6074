"""Output a person can read (issue 17): libraries silenced unless --verbose, one row per task,
skipped tasks with the command that gets them, tables that never cut what a user copies, and
JSON where a script reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli, provenance

from partages_bench.data import DATASETS
from partages_bench.registry import Registry
from partages_bench.rundir import write_report
from partages_bench.schema import MetricValue, ModelIdentity, Report, TaskResult

NARROW = {"COLUMNS": "80"}
# What the libraries print when left alone (seen in runs before issue 17).
LIBRARY_NOISE = (
    "Custom kwargs can be passed",
    "it/s]",
    "Running generate_until requests",
    "Checking cached requests",
    "Loading weights",
    "Converting and de-quantizing",
    "WARNING",
    "Warning",
)


def assert_whole(text: str, *words: str) -> None:
    """Each word appears whole on one line: not cut (…), not folded over two lines."""
    assert "…" not in text, text
    for word in words:
        assert any(word in line for line in text.splitlines()), f"{word!r} cut in:\n{text}"


def test_data_list_never_cuts_ids_or_commands() -> None:
    result = cli("data", "list", "--data-dir", "/nonexistent", env=NARROW)
    assert result.returncode == 0, result.stderr
    assert_whole(result.stdout, *DATASETS)
    # The commands to copy, each on a line of its own.
    lines = {line.strip() for line in result.stdout.splitlines()}
    assert {f"partages-bench data pull {name}" for name in DATASETS} <= lines


def test_data_list_json(shared_data: Path) -> None:
    result = cli("data", "list", "--data-dir", str(shared_data), "--json")
    datasets = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert set(datasets) == set(DATASETS)
    assert datasets["frenchmedmcqa"]["available"] is True
    assert datasets["frenchmedmcqa"]["location"] == str(shared_data / "frenchmedmcqa")
    assert datasets["mediqal"]["pull"] == "partages-bench data pull mediqal"


def test_tasks_list_never_cuts_task_names_or_datasets() -> None:
    result = cli("tasks", "list", env=NARROW)
    assert result.returncode == 0, result.stderr
    cards = Registry.discover().cards.values()
    assert_whole(
        result.stdout,
        *(card.name for card in cards),
        *(card.dataset for card in cards if card.dataset),
    )


def test_skipped_tasks_are_one_table_with_the_command_that_gets_them(tmp_path: Path) -> None:
    """Offline without data: every task of the families is skipped, no model is loaded."""
    output = tmp_path / "run"
    result = cli("run", "--tasks", "qa,ner", "--output", str(output), env=NARROW)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads((output / "report.json").read_text())
    tasks = report["tasks"]
    assert_whole(
        result.stdout,
        *tasks,
        *(f"partages-bench data pull {task['dataset']}" for task in tasks.values()),
    )
    assert result.stdout.count("Skipped tasks") == 1
    # One short reason a dataset, not a paragraph a task.
    assert {task["skipped"] for task in tasks.values()} == {"not downloaded (offline)"}
    wide = cli("report", "show", str(output), env={"COLUMNS": "200"})
    header = next(line for line in wide.stdout.splitlines() if "reason" in line)
    assert "dataset" in header  # dropped only where the terminal is too narrow for it whole
    assert "not downloaded (offline)" in wide.stdout


def _report_with_long_names() -> Report:
    def metric(value: float) -> MetricValue:
        return MetricValue(
            value=value, ci_low=value - 0.1, ci_high=value + 0.1, higher_is_better=True
        )

    metrics = {"key_fact_recall": metric(0.5)} | {
        f"key_fact_recall/label={label}": metric(0.4)
        for label in ("MEDICATION_DOSE", "DATE_HOSPITALISATION", "ANTECEDENT_CHIRURGICAL")
    }
    return Report(
        model=ModelIdentity(
            backend="hf", lm_eval_model="hf", name="m", args={"pretrained": "m"}, chat_template=True
        ),
        tasks={
            "pseudo_rewrite_generated": TaskResult(
                name="pseudo_rewrite_generated",
                family="summarisation",
                version="1.0",
                primary_metric="key_fact_recall",
                metrics=metrics,
                n_samples=8,
                notes=["BERTScore not computed: offline"],
            )
        },
        provenance=provenance(limit=8, apply_chat_template=True, start_time="2026-12-01T10:00:00"),
    )


def test_report_show_summary_all_and_json(tmp_path: Path) -> None:
    report = _report_with_long_names()
    write_report(tmp_path, report)
    summary = cli("report", "show", str(tmp_path), env=NARROW)
    assert summary.returncode == 0, summary.stderr
    assert_whole(summary.stdout, "pseudo_rewrite_generated", "m (hf, chat template)")
    rows = [line for line in summary.stdout.splitlines() if "pseudo_rewrite_generated" in line]
    # The interval may wrap at 80 columns; the task name never does.
    assert len(rows) == 1 and "0.500 [0.400," in rows[0] and "ok" in rows[0]
    assert "label=" not in summary.stdout  # breakdowns only with --all
    assert f"partages-bench report show {tmp_path} --all" in summary.stdout

    every = cli("report", "show", str(tmp_path), "--all", env=NARROW)
    assert_whole(every.stdout, *report.tasks["pseudo_rewrite_generated"].metrics)
    assert "BERTScore not computed: offline" in every.stdout

    shown = cli("report", "show", str(tmp_path), "--json")
    assert Report.model_validate_json(shown.stdout) == report


QUIET_PROBE = """
import logging, sys, warnings
from partages_bench.quiet import quiet_libraries, silence_lm_eval, silence_loaded_libraries
if sys.argv[1] == "quiet":
    quiet_libraries()
silence_loaded_libraries()
from tqdm import tqdm
for _ in tqdm(range(3), disable=False, desc="a library's bar"):
    pass
logging.getLogger("lm_eval.api.task").warning("a library's warning")
warnings.warn("a stray warning", UserWarning)
silence_lm_eval()
from lm_eval import evaluator
evaluator.get_git_commit_hash()  # run outside any git repository
print("ours", file=sys.stderr)
"""


@pytest.mark.parametrize("mode", ["quiet", "verbose"])
def test_libraries_are_silenced_unless_verbose(mode: str, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    result = subprocess.run(
        [sys.executable, "-c", QUIET_PROBE, mode],
        capture_output=True,
        text=True,
        env=environment | {"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    noise = ("a library's bar", "a library's warning", "a stray warning", "not a git repository")
    if mode == "quiet":
        assert result.stderr == "ours\n"
    else:
        assert [text for text in noise if text not in result.stderr] == [], result.stderr


def test_a_failing_run_still_prints_its_error(tmp_path: Path) -> None:
    result = cli("run", "--tasks", "frenchmedmcqa", "--output", str(tmp_path / "r"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: task 'frenchmedmcqa': dataset 'frenchmedmcqa'")


@pytest.mark.e2e
def test_a_real_run_shows_our_output_only(tmp_path: Path, shared_data: Path) -> None:
    """The default model on one task: no lm-eval, transformers or tqdm output; one line of
    plan, one per task, then the summary table with one row per task."""
    output = tmp_path / "run"
    arguments = ["--tasks", "frenchmedmcqa", "--limit", "2", "--data-dir", str(shared_data)]
    command = ["run", "--model", "default", *arguments, "--output", str(output)]
    result = cli(*command, env=NARROW, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    everything = result.stdout + result.stderr
    assert [noise for noise in LIBRARY_NOISE if noise in everything] == [], everything
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "SmolLM2-135M-Instruct.Q4_1 (default): 1 task to run"
    assert lines[1].startswith("✓ frenchmedmcqa: emr ") and "(2 documents, " in lines[1]
    rows = [line for line in lines if line.startswith("│ frenchmedmcqa ")]
    assert len(rows) == 1 and rows[0].rstrip("│ ").endswith("ok")
    assert f"every metric: partages-bench report show {output} --all" in lines
