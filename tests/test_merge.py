"""One evaluation spread over nodes (shards of each task's documents, or disjoint task lists) and
merged back by ``report merge`` into the report and samples of a single run."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    QA,
    QA_LL,
    REGISTRY,
    assert_one_line_error,
    cli,
    edit,
    questions,
    quiet,
    with_task,
    write_run,
)
from helpers import run_options as options

from partages_bench.errors import UserError
from partages_bench.merge import merge_reports, write_merged
from partages_bench.rundir import SAMPLES_DIR, load_report
from partages_bench.runner import run
from partages_bench.schema import Report, SampleRecord
from partages_bench.sharding import Shard, select_shard

# Fields a merged report may differ in from the single run's: the clock, the command, shards.
UNCOMPARED = ("start_time", "end_time", "duration_seconds", "command", "shard", "merged_from")

# --- shards -------------------------------------------------------------------------------------


def test_shard_parses_k_of_n() -> None:
    assert Shard.parse("2/3") == Shard(2, 3)
    assert str(Shard.parse(" 1/1 ")) == "1/1"


@pytest.mark.parametrize(
    "text", ["0/3", "4/3", "1/0", "0/0", "-1/2", "a/b", "1.5/3", "3", "1/2/3", ""]
)
def test_invalid_shard_is_a_one_line_error_naming_the_option(text: str) -> None:
    with pytest.raises(UserError, match=r"^--shard: ") as error:
        Shard.parse(text)
    assert "\n" not in str(error.value)


# Passages of five documents; "a" comes back at position 8 (passages need not be contiguous).
DOC_IDS = ["a", "a", "b", "c", "c", "c", "d", "e", "a"]


def test_documents_are_dealt_round_robin_with_their_passages() -> None:
    indices = range(len(DOC_IDS))
    assert select_shard(DOC_IDS, indices, Shard(1, 2)) == [0, 1, 3, 4, 5, 7, 8]  # a, c, e
    assert select_shard(DOC_IDS, indices, Shard(2, 2)) == [2, 6]  # b, d
    assert select_shard(DOC_IDS, indices, Shard(2, 3)) == [2, 7]  # b, e
    assert select_shard(DOC_IDS, indices, Shard(1, 1)) == list(indices)
    assert select_shard(DOC_IDS, indices, Shard(6, 6)) == []


def test_documents_are_counted_among_the_positions_to_evaluate() -> None:
    """Positions left out (prompt too long) do not count: "b" is then the first document."""
    indices = [2, 3, 5, 6, 7]
    assert select_shard(DOC_IDS, indices, Shard(1, 2)) == [2, 6]  # b, d
    assert select_shard(DOC_IDS, indices, Shard(2, 2)) == [3, 5, 7]  # c, e


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shards_partition_the_positions_in_order(count: int) -> None:
    indices = [0, 1, 2, 4, 5, 6, 7, 8]
    shards = [select_shard(DOC_IDS, indices, Shard(k, count)) for k in range(1, count + 1)]
    assert sorted(i for shard in shards for i in shard) == indices
    for shard in shards:
        assert shard == sorted(shard)
        others = {DOC_IDS[i] for other in shards if other is not shard for i in other}
        assert not {DOC_IDS[i] for i in shard} & others


# --- merge rules, on run folders written here ---------------------------------------------------

SKIPPABLE = "mediqal_mcqm"


def comparable(report: Report) -> dict[str, Any]:
    content = report.model_dump()
    for key in UNCOMPARED:
        content["provenance"].pop(key)
    return content


def merge_error(*folders: Path) -> str:
    with pytest.raises(UserError) as error:
        merge_reports(folders, REGISTRY, command=["merge"])
    message = str(error.value)
    assert "\n" not in message
    return message


def test_shards_merge_into_the_unsharded_run(tmp_path: Path) -> None:
    single = write_run(
        tmp_path / "single", {QA: range(9), QA_LL: range(0, 20, 5)}, platform="node 2"
    )
    shards = [
        write_run(
            tmp_path / f"shard{k}",
            {QA: range(k - 1, 9, 3), QA_LL: range(5 * (k - 1), 20, 15)},
            shard=f"{k}/3",
            platform=f"node {k}",  # nodes may differ in what does not change scores
            start_time=f"2026-01-01T10:0{k}:00+00:00",
            end_time=f"2026-01-01T1{k}:00:00+00:00",
            duration_seconds=1000.0 * k,
        )
        for k in (2, 3, 1)
    ]
    report, samples = merge_reports(shards, REGISTRY, command=["partages-bench", "merge"])
    expected = load_report(single)
    assert comparable(report) == comparable(expected)
    assert list(report.tasks) == list(expected.tasks)
    assert samples[QA] == questions(range(9))
    p = report.provenance
    assert (p.start_time, p.end_time) == ("2026-01-01T10:01:00+00:00", "2026-01-01T13:00:00+00:00")
    assert p.duration_seconds == 3000.0
    assert (p.shard, p.command) == (None, ["partages-bench", "merge"])
    assert p.merged_from == [str(folder) for folder in shards]
    assert p.platform == "node 2"

    write_merged(tmp_path / "merged", report, samples)
    assert load_report(tmp_path / "merged") == report
    for task in (QA, QA_LL):
        written = (tmp_path / "merged" / SAMPLES_DIR / f"{task}.jsonl").read_bytes()
        assert written == (single / SAMPLES_DIR / f"{task}.jsonl").read_bytes()


def test_a_task_run_somewhere_replaces_its_skip_and_tasks_keep_suite_order(
    tmp_path: Path,
) -> None:
    a = write_run(tmp_path / "a", {QA_LL: "no data here", SKIPPABLE: "no data"})
    b = write_run(tmp_path / "b", {QA: range(3), QA_LL: range(0, 10, 5)})
    report, samples = merge_reports([a, b], REGISTRY, command=["merge"])
    assert list(report.tasks) == [QA, QA_LL, SKIPPABLE]
    assert report.tasks[SKIPPABLE].skipped == "no data"
    assert report.tasks[QA_LL] == load_report(b).tasks[QA_LL]
    assert set(samples) == {QA, QA_LL}


def test_every_input_must_be_a_run_folder(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    assert merge_error(a, tmp_path / "nowhere") == f"{tmp_path / 'nowhere'}: not a run folder"
    assert (
        merge_error(a, tmp_path / "a" / ".." / "a") == f"{tmp_path / 'a' / '..' / 'a'}: given twice"
    )
    (tmp_path / "empty").mkdir()
    assert "no report here" in merge_error(a, tmp_path / "empty")
    b = write_run(tmp_path / "b", {QA_LL: range(0, 10, 5)}, end_time=None)
    assert merge_error(a, b) == f"{b}: provenance.end_time: the run has not finished"


def test_samples_must_be_there_and_match_the_report(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    samples = a / SAMPLES_DIR / f"{QA}.jsonl"
    hashes = [hashlib.sha256(f"q{i}".encode()).hexdigest() for i in (1, 7)]
    samples.write_text(samples.read_text().replace(*hashes))
    assert merge_error(a).startswith(f"{samples}: not the records tasks.{QA}.data_hash of {a}")
    lines = [json.loads(line) for line in samples.read_text().splitlines()]
    del lines[1]["doc_hash"]
    samples.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert merge_error(a).startswith(f"{samples} line 2: doc_hash: missing")
    samples.write_text("{not json\n")
    assert merge_error(a).startswith(f"{samples} line 1: JSON: ")
    samples.unlink()
    assert merge_error(a) == f"{samples}: missing (task '{QA}' ran in {a})"


def test_runs_of_another_model_or_schema_are_refused(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    b = write_run(tmp_path / "b", {QA_LL: range(0, 10, 5)})
    model = load_report(b).model
    edit(b, lambda r: r.model_copy(update={"model": model.model_copy(update={"revision": "v2"})}))
    assert merge_error(a, b) == f"{b}: model.revision is 'v2', {a} has None"
    edit(b, lambda r: r.model_copy(update={"schema_version": 2}))
    assert merge_error(a, b) == (
        f"{b / 'report.json'}: not a valid report "
        "(schema_version: 2 is not a version this partages-bench reads (1))"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seed", 1),
        ("bootstrap_iterations", 20),
        ("limit", 5),
        ("apply_chat_template", True),
        ("partages_bench_version", "0.2.0"),
        ("libraries", {"lm_eval": "0.4.12"}),
    ],
)
def test_runs_with_another_score_setting_are_refused(
    tmp_path: Path, field: str, value: Any
) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    b = write_run(tmp_path / "b", {QA_LL: range(0, 10, 5)}, **{field: value})
    assert merge_error(a, b).startswith(f"{b}: provenance.{field} is {value!r}, {a} has ")


def test_a_task_in_two_unsharded_runs_is_refused(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    b = write_run(tmp_path / "b", {QA: range(3, 6)})
    assert merge_error(a, b) == f"task '{QA}' is in both {a} and {b}"
    c = write_run(tmp_path / "c", {QA: range(6, 9)}, shard="1/2")
    assert merge_error(c, a) == f"task '{QA}' is in both {a} and {c}"


def test_shards_must_cover_one_n_exactly_once(tmp_path: Path) -> None:
    one, two = (write_run(tmp_path / f"s{k}", {QA: [k]}, shard=f"{k}/3") for k in (1, 2))
    assert merge_error(one, two) == f"task '{QA}': no run folder for shard 3/3"
    again = write_run(tmp_path / "again", {QA: [4]}, shard="1/3")
    assert merge_error(one, again) == f"task '{QA}': shard 1/3 is in both {one} and {again}"
    other_n = write_run(tmp_path / "n2", {QA: [5]}, shard="2/2")
    assert (
        merge_error(one, other_n) == f"{other_n}: provenance.shard is 2/2, {one} has a shard of 3"
    )


def test_shards_must_be_of_the_same_task_and_disjoint(tmp_path: Path) -> None:
    one = write_run(tmp_path / "s1", {QA: [0, 2]}, shard="1/2")
    two = write_run(tmp_path / "s2", {QA: [1, 2]}, shard="2/2")
    assert merge_error(one, two) == (
        f"task '{QA}': document q2 (doc_index 2) is in both {one} and {two}"
    )
    two = write_run(tmp_path / "s2", {QA: [1, 3]}, shard="2/2")
    changes = {
        "task_hash": "0" * 64,
        "num_fewshot": 0,
        "context_check": "1 of 2 documents not evaluated",
        "truncated_or_skipped": 1,
        "notes": ["BERTScore: roberta"],
    }
    for field, value in changes.items():
        edit(two, with_task(QA, **{field: value}))
        assert merge_error(one, two).startswith(f"{two}: tasks.{QA}.{field} is {value!r}, {one} ")
        edit(two, with_task(QA, **{field: load_report(one).tasks[QA].model_dump()[field]}))
    assert merge_reports([one, two], REGISTRY)[0].tasks[QA].n_samples == 4


def test_a_task_unknown_here_needs_its_include_path(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    renamed = {"mine": load_report(a).tasks[QA].model_copy(update={"name": "mine"})}
    edit(a, lambda r: r.model_copy(update={"tasks": renamed}))
    assert (
        merge_error(a) == f"{a}: task 'mine' is unknown here (pass --include-path with its folder)"
    )


def test_the_merge_is_not_written_over_an_input(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    report, samples = merge_reports([a], REGISTRY)
    with pytest.raises(UserError, match="--output is one of the merged runs"):
        write_merged(a, report, samples)


def test_merge_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", {QA: range(3)})
    b = write_run(tmp_path / "b", {QA: range(3)})
    result = cli("report", "merge", str(a), str(b), "--output", str(tmp_path / "merged"))
    assert_one_line_error(result, f"task '{QA}' is in both {a} and {b}")


# --- real runs of the tiny model ----------------------------------------------------------------


def assert_same_run(merged: Path, single: Path) -> None:
    """Report (but the clock, the command and shards) and samples are the single run's."""
    assert comparable(load_report(merged)) == comparable(load_report(single))
    assert list(load_report(merged).tasks) == list(load_report(single).tasks)
    for samples in (single / SAMPLES_DIR).iterdir():
        assert (merged / SAMPLES_DIR / samples.name).read_bytes() == samples.read_bytes()


def test_spread_runs_merge_into_the_single_run(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    """Two shards, and a split of the task list, merged: the two-task run's report and samples.
    The first 12 e3c_fr passages are 2 notes (11 passages and 1): one in each shard. Zero-shot:
    with few-shot examples a shard's prompts are not yet a single run's (next test)."""
    tasks = ["e3c_fr", "frenchmedmcqa"]  # in suite order, the order a merged report lists

    def run_tasks(folder: Path, names: list[str], shard: str | None = None) -> None:
        # One batch a task: the random model writes its 512 tokens once per batch, not thrice.
        settings = {"limit": 12, "num_fewshot": 0, "batch_size": "12", "shard": shard}
        run(options(tiny_model, shared_data, folder, tasks=names, **settings), quiet())

    single = tmp_path / "single"
    run_tasks(single, tasks)
    assert [r.n_samples for r in load_report(single).tasks.values()] == [2, 12]
    shards = [tmp_path / f"shard{k}" for k in (1, 2)]
    for k, folder in enumerate(shards, 1):
        run_tasks(folder, tasks, shard=f"{k}/2")
    assert [r.n_samples for r in load_report(shards[1]).tasks.values()] == [1, 6]
    report, samples = merge_reports(shards, REGISTRY, command=["merge"])
    write_merged(tmp_path / "merged", report, samples)
    assert_same_run(tmp_path / "merged", single)

    for task in tasks:
        run_tasks(tmp_path / task, [task])
    folders = [str(tmp_path / task) for task in reversed(tasks)]
    result = cli("report", "merge", *folders, "--output", str(tmp_path / "by-task"))
    assert result.returncode == 0, result.stderr
    assert "frenchmedmcqa" in result.stdout
    assert_same_run(tmp_path / "by-task", single)
    assert load_report(tmp_path / "by-task").provenance.merged_from == folders


def test_shards_with_few_shot_examples_see_the_single_run_prompts(
    tiny_model: Path, shared_data: Path, tmp_path: Path
) -> None:
    for folder, shard in [("single", None), ("shard1", "1/2"), ("shard2", "2/2")]:
        run(options(tiny_model, shared_data, tmp_path / folder, shard=shard), quiet())
    _, samples = merge_reports([tmp_path / "shard1", tmp_path / "shard2"], REGISTRY)
    single = tmp_path / "single" / SAMPLES_DIR / "frenchmedmcqa.jsonl"
    expected = [SampleRecord.model_validate_json(line) for line in single.read_text().splitlines()]
    assert [r.prompt for r in samples["frenchmedmcqa"]] == [r.prompt for r in expected]
