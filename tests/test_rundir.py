"""``rundir``: the run folder's layout, and every read of it checked (a report against its schema,
a sample log against its report's ``data_hash``, ``run.json`` against ``run``'s options)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import provenance

from partages_bench.errors import UserError
from partages_bench.inputs import InputFileError
from partages_bench.options import BackendOptions, RunOptions, run_settings
from partages_bench.report import data_hash, render_markdown
from partages_bench.rundir import (
    CACHE_DIR,
    REPORT_JSON,
    REPORT_MD,
    RUN_ENTRIES,
    RUN_OPTIONS_JSON,
    SAMPLES_DIR,
    cache_path,
    load_report,
    read_samples,
    recorded_options,
    remove_earlier_run,
    same_run,
    samples_path,
    save_run_options,
    write_report,
    write_samples,
)
from partages_bench.schema import MetricValue, ModelIdentity, Report, SampleRecord, TaskResult

TASK = "t"


def records(count: int) -> list[SampleRecord]:
    return [
        SampleRecord(
            doc_index=i,
            doc_id=f"d{i}",
            doc_hash=f"h{i}",
            prompt="p",
            output="o",
            target="o",
            stats={"em": 1.0},
        )
        for i in range(count)
    ]


def result(logged: list[SampleRecord]) -> TaskResult:
    return TaskResult(
        name=TASK,
        family="qa",
        version="1",
        primary_metric="em",
        metrics={"em": MetricValue(value=1.0, ci_low=1.0, ci_high=1.0, higher_is_better=True)},
        n_samples=len(logged),
        task_hash="t" * 64,
        data_hash=data_hash(logged),
    )


def test_the_layout_is_the_one_runs_have_always_had() -> None:
    assert (REPORT_JSON, REPORT_MD, RUN_OPTIONS_JSON, SAMPLES_DIR, CACHE_DIR) == (
        "report.json",
        "report.md",
        "run.json",
        "samples",
        "cache",
    )
    assert RUN_ENTRIES[-1] == REPORT_JSON  # the file that marks a complete output, moved last
    assert samples_path(Path("run"), TASK) == Path("run/samples/t.jsonl")
    assert cache_path(Path("run"), "ab" * 32) == Path("run/cache/abababababababab.sqlite")


def test_a_report_is_written_as_json_and_markdown_and_read_back(tmp_path: Path) -> None:
    model = ModelIdentity(backend="hf", lm_eval_model="hf", name="m", args={"pretrained": "m"})
    report = Report(model=model, tasks={TASK: result(records(2))}, provenance=provenance())
    write_report(tmp_path, report)
    assert (tmp_path / REPORT_JSON).read_text() == report.model_dump_json(indent=2) + "\n"
    assert (tmp_path / REPORT_MD).read_text() == render_markdown(report)
    assert load_report(tmp_path) == load_report(tmp_path / REPORT_JSON) == report


def test_a_sample_log_is_read_only_if_its_report_was_scored_from_it(tmp_path: Path) -> None:
    logged = records(3)
    write_samples(tmp_path, TASK, logged)
    assert read_samples(tmp_path, result(logged)) == logged
    with pytest.raises(UserError, match=r"t\.jsonl: not the records tasks\.t\.data_hash"):
        read_samples(tmp_path, result(logged[:2]))


def test_a_task_name_never_leaves_the_run_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="resolves outside"):
        write_samples(tmp_path, "../../elsewhere", records(1))


def test_run_json_gives_back_the_options_with_only_the_overrides_a_resume_allows(
    tmp_path: Path,
) -> None:
    options = RunOptions(
        output=tmp_path,
        model="openai-completions",
        tasks=["qa"],
        seed=7,
        backend=BackendOptions(base_url="http://h/v1", timeout=30),
        command=["partages-bench", "run"],
    )
    save_run_options(options)
    assert json.loads((tmp_path / RUN_OPTIONS_JSON).read_text()) == run_settings(options)
    assert same_run(options)(tmp_path)
    assert not same_run(RunOptions(output=tmp_path, seed=8))(tmp_path)

    overrides = {"timeout": 60, "batch_size": "4", "seed": 9, "base_url": "http://other/v1"}
    again = recorded_options(tmp_path, overrides, "resume")
    assert again.seed == 7  # what is evaluated is never overridden
    assert again.backend.base_url == "http://h/v1"
    assert (again.batch_size, again.backend.timeout) == ("4", 60)  # how fast may change
    assert (again.tasks, again.include_paths) == (["qa"], [])


def test_a_missing_run_json_says_there_is_nothing_to_resume(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"run\.json: nothing to rerun"):
        recorded_options(tmp_path, {}, "rerun")


def test_a_new_run_drops_the_earlier_logs_and_answers(tmp_path: Path) -> None:
    write_samples(tmp_path, TASK, records(1))
    (tmp_path / CACHE_DIR).mkdir()
    (tmp_path / RUN_OPTIONS_JSON).write_text("{}")
    remove_earlier_run(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [RUN_OPTIONS_JSON]
