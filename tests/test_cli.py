"""The command line as a user meets it: one-line errors with exit code 2, data and task lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import assert_one_line_error, cli

from partages_bench.data import DATASETS
from partages_bench.names import QUICK_LIMIT, QUICK_TASKS


def test_unknown_task(tmp_path: Path) -> None:
    result = cli("run", "--tasks", "nope", "--output", str(tmp_path / "r"))
    assert_one_line_error(result, "unknown task 'nope'", "frenchmedmcqa")


def test_unknown_backend(tmp_path: Path) -> None:
    result = cli("run", "--model", "gpt9", "--output", str(tmp_path / "r"))
    assert_one_line_error(result, "unknown backend 'gpt9'", "openai-chat")


def test_bad_model_args(tmp_path: Path) -> None:
    result = cli("run", "--model", "hf", "--model-args", "pretrained", "--output", str(tmp_path))
    assert_one_line_error(result, "--model-args: 'pretrained' is not key=value")


def test_missing_data_for_a_named_task(tmp_path: Path) -> None:
    result = cli("run", "--tasks", "frenchmedmcqa", "--output", str(tmp_path / "r"))
    assert_one_line_error(
        result, "dataset 'frenchmedmcqa'", "partages-bench data pull frenchmedmcqa"
    )


def test_unwritable_output(tmp_path: Path, shared_data: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli(
        "run",
        "--tasks",
        "frenchmedmcqa",
        "--data-dir",
        str(shared_data),
        "--output",
        str(blocker / "run"),
    )
    assert_one_line_error(result, f"{blocker / 'run'}: output folder is not writable")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = cli("--debug", "run", "--tasks", "nope", "--output", str(tmp_path))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_a_family_without_data_skips_and_says_how_to_get_it(tmp_path: Path) -> None:
    result = cli("run", "--tasks", "qa", "--output", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert "Skipped tasks" in result.stdout
    assert "partages-bench data pull frenchmedmcqa" in result.stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    task = report["tasks"]["frenchmedmcqa"]
    assert task["skipped"] == "not downloaded (offline)"
    assert task["remedy"] == "partages-bench data pull frenchmedmcqa"
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "get it with `partages-bench data pull frenchmedmcqa`" in markdown


def test_tasks_list_json_has_cards() -> None:
    result = cli("tasks", "list", "--json")
    cards = {card["name"]: card for card in json.loads(result.stdout)}
    assert cards["frenchmedmcqa"]["family"] == "qa"
    assert cards["frenchmedmcqa"]["licence"] == "Apache-2.0"
    ner = json.loads(cli("tasks", "list", "--family", "ner", "--json").stdout)
    assert {card["family"] for card in ner} == {"ner"}
    assert "frenchmedmcqa" not in {card["name"] for card in ner}


def test_tasks_validate_reports_a_broken_yaml(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("task: [oops\n")
    assert_one_line_error(cli("tasks", "validate", str(tmp_path)), "broken.yaml: invalid YAML")
    assert cli("tasks", "validate").returncode == 0


def test_data_list_shows_every_dataset_and_the_mirrored_ones_available(
    shared_data: Path,
) -> None:
    result = cli("data", "list", "--data-dir", str(shared_data), env={"COLUMNS": "200"})
    assert result.returncode == 0
    for name in DATASETS:
        assert name in result.stdout
    # Available: the datasets the mirror holds (the hub-only ones, MediQAl and PARHAF, it does not).
    mirrored = [name for name in DATASETS if (shared_data / name).is_dir()]
    assert len(mirrored) == 8
    assert result.stdout.count("yes") == len(mirrored)


@pytest.mark.e2e
def test_readme_demo_runs_the_quick_suite(tmp_path: Path, shared_data: Path) -> None:
    """The README's main job: the embedded SmolLM2 GGUF through lm-eval's hf backend on the
    quick suite, one task per family on real data (the mirror stands in for the download)."""
    output = tmp_path / "demo"
    result = cli(
        "run",
        "--model",
        "default",
        "--tasks",
        "quick",
        "--output",
        str(output),
        env={"PARTAGES_BENCH_DATA": str(shared_data)},
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((output / "report.json").read_text())
    assert report["model"]["name"] == "SmolLM2-135M-Instruct.Q4_1"
    assert report["model"]["args"]["gguf_file"] == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert report["provenance"]["limit"] == QUICK_LIMIT
    assert list(report["tasks"]) == list(QUICK_TASKS)
    for name, task in report["tasks"].items():
        assert task["skipped"] is None, name
        assert task["n_samples"] == QUICK_LIMIT, name
        assert task["primary_metric"] in task["metrics"], name
    assert report["tasks"]["frenchmedmcqa"]["num_fewshot"] == 3
    samples = [json.loads(line) for line in (output / "samples/frenchmedmcqa.jsonl").open()]
    # The real model, shown three examples, answers in letters that the parser reads.
    assert sum(s["stats"]["unparsable"] for s in samples) < len(samples)
    shown = cli("report", "show", str(output), "--all", env={"COLUMNS": "200"})
    assert shown.returncode == 0 and "hamming" in shown.stdout


@pytest.mark.e2e
def test_real_default_model_on_ner_and_reformulation(tmp_path: Path, shared_data: Path) -> None:
    """The real model's JSON entity lists and reformulations go through parsing and scoring."""
    output = tmp_path / "run"
    arguments = ["--tasks", "e3c_fr,refomed", "--limit", "2", "--data-dir", str(shared_data)]
    # Up to 512 new tokens a passage on CPU: minutes, not seconds.
    result = cli("run", "--model", "default", *arguments, "--output", str(output), timeout=1200)
    assert result.returncode == 0, result.stderr[-2000:]
    tasks = json.loads((output / "report.json").read_text())["tasks"]
    ner, reformulation = tasks["e3c_fr"], tasks["refomed"]
    assert ner["context_check"].startswith("every prompt fits")
    assert {"strict_f1", "partial_f1", "hallucination_rate"} <= set(ner["metrics"])
    samples = [json.loads(line) for line in (output / "samples/e3c_fr.jsonl").open()]
    assert sum(s["stats"]["hallucinated_den"] for s in samples) > 0  # it listed entities
    assert reformulation["n_samples"] == 2 and 0 <= reformulation["metrics"]["rougeL"]["value"] <= 1
    assert reformulation["notes"][0].startswith("BERTScore")  # the model used, or why none
