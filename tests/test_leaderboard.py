"""Leaderboard aggregation: normalisation, family and overall means, ties, comparability."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from helpers import provenance

from partages_bench.errors import UserError
from partages_bench.leaderboard import (
    Z_95,
    LoadedRun,
    build_leaderboard,
    load_runs,
    mean_with_interval,
    ranks,
)
from partages_bench.models import identity_key
from partages_bench.rundir import load_report, write_report
from partages_bench.schema import (
    LeaderboardCell,
    MetricValue,
    ModelIdentity,
    Report,
    TaskResult,
)

# task → (family, primary metric, higher is better)
TASKS = {
    "qa_a": ("qa", "emr", True),
    "qa_b": ("qa", "emr", True),
    "ner_a": ("ner", "strict_f1", True),
    "pseudo_a": ("pseudonymisation", "leak_rate", False),
}


def _result(task: str, value: float, half: float = 0.05, data_hash: str = "d0") -> TaskResult:
    family, metric, higher = TASKS[task]
    return TaskResult(
        name=task,
        family=family,
        version="1.0",
        primary_metric=metric,
        metrics={
            metric: MetricValue(
                value=value, ci_low=value - half, ci_high=value + half, higher_is_better=higher
            )
        },
        n_samples=100,
        task_hash=f"t-{task}",
        data_hash=f"{data_hash}-{task}",
    )


def _report(name: str, results: list[TaskResult], start: str = "2026-12-01T10:00:00") -> Report:
    return Report(
        model=ModelIdentity(backend="hf", lm_eval_model="hf", name=name, args={"pretrained": name}),
        tasks={result.name: result for result in results},
        provenance=provenance(start_time=start),
    )


def _write(folder: Path, report: Report) -> None:
    folder.mkdir(parents=True)
    write_report(folder, report)


def _board(*reports: Report, all_runs: bool = False):
    runs = [LoadedRun(Path(f"/runs/{i}"), report) for i, report in enumerate(reports)]
    return build_leaderboard(runs, {}, "test", all_runs=all_runs)


def _cells(board, key: str) -> dict[str, LeaderboardCell]:
    return {row.model.name: row.cells[key] for row in board.rows}


def test_lower_is_better_metric_is_flipped_with_its_interval() -> None:
    board = _board(_report("m", [_result("pseudo_a", 0.2, half=0.1)]))
    cell = _cells(board, "task:pseudo_a")["m"]
    assert cell.value == pytest.approx(0.8)
    assert (cell.ci_low, cell.ci_high) == (pytest.approx(0.7), pytest.approx(0.9))
    assert cell.raw is not None and cell.raw.value == 0.2


def test_family_score_is_the_mean_of_its_tasks_with_a_combined_interval() -> None:
    board = _board(_report("m", [_result("qa_a", 0.4, 0.1), _result("qa_b", 0.6, 0.1)]))
    cell = _cells(board, "family:qa")["m"]
    assert cell.value == pytest.approx(0.5)
    half = Z_95 * math.sqrt(2 * (0.2 / (2 * Z_95)) ** 2) / 2
    assert cell.ci_high - cell.value == pytest.approx(half)
    assert cell.value - cell.ci_low == pytest.approx(half)


def test_overall_is_the_mean_of_family_scores_not_of_tasks() -> None:
    results = [_result("qa_a", 0.2), _result("qa_b", 0.4), _result("ner_a", 0.9)]
    board = _board(_report("m", results))
    assert _cells(board, "overall")["m"].value == pytest.approx((0.3 + 0.9) / 2)
    assert [c.key for c in board.columns][:3] == ["overall", "family:qa", "family:ner"]


def test_ranks_mark_runs_that_are_not_separable_as_ties() -> None:
    assert ranks([(0.90, 0.01), (0.88, 0.01), (0.50, 0.01)]) == [(1, True), (1, True), (3, False)]
    assert ranks([(0.90, 0.001), (0.88, 0.001)]) == [(1, False), (2, False)]
    assert ranks([]) == []


def test_ranking_follows_the_normalised_direction() -> None:
    board = _board(
        _report("leaky", [_result("pseudo_a", 0.5, 0.02)]),
        _report("safe", [_result("pseudo_a", 0.1, 0.02)]),
    )
    cells = _cells(board, "task:pseudo_a")
    assert (cells["safe"].rank, cells["leaky"].rank) == (1, 2)
    assert [row.model.name for row in board.rows] == ["safe", "leaky"]


def test_run_on_another_data_subset_is_shown_apart_and_not_averaged() -> None:
    board = _board(
        _report("a", [_result("qa_a", 0.5), _result("qa_b", 0.5)]),
        _report("b", [_result("qa_a", 0.6), _result("qa_b", 0.5)]),
        _report("c", [_result("qa_a", 0.9, data_hash="limit8"), _result("qa_b", 0.5)]),
    )
    task, family = _cells(board, "task:qa_a"), _cells(board, "family:qa")
    assert not task["c"].comparable and task["c"].rank is None
    assert "other version or data subset" in task["c"].note
    assert family["c"].value is None and "qa_a" in family["c"].note
    assert family["a"].value == pytest.approx(0.5) and family["a"].rank is not None
    variants = board.variants["qa_a"]
    assert [v.reference for v in variants] == [True, False]
    assert len(variants[0].runs) == 2 and variants[1].data_hash == "limit8-qa_a"


def test_missing_or_skipped_task_leaves_no_family_score() -> None:
    skipped = _result("qa_b", 0.5).model_copy(update={"skipped": "needs log-likelihoods"})
    board = _board(
        _report("full", [_result("qa_a", 0.5), _result("qa_b", 0.5)]),
        _report("part", [_result("qa_a", 0.7), skipped]),
    )
    part = _cells(board, "task:qa_b")["part"]
    assert part.value is None and part.note == "skipped: needs log-likelihoods"
    assert _cells(board, "family:qa")["part"].value is None
    assert _cells(board, "overall")["part"].value is None
    assert board.rows[-1].model.name == "part"


def test_latest_run_per_model_unless_all_runs() -> None:
    old = _report("m", [_result("qa_a", 0.1)], start="2026-11-01T00:00:00")
    new = _report("m", [_result("qa_a", 0.3)], start="2026-12-01T00:00:00")
    board = _board(old, new)
    assert len(board.rows) == 1 and _cells(board, "task:qa_a")["m"].value == pytest.approx(0.3)
    assert "older run of m" in board.skipped_reports[0]
    everything = _board(old, new, all_runs=True)
    assert len(everything.rows) == 2 and len({row.slug for row in everything.rows}) == 2


def test_mean_interval_is_clipped_to_the_unit_range() -> None:
    cell = mean_with_interval([LeaderboardCell(value=0.99, ci_low=0.9, ci_high=1.0)])
    assert cell.ci_high == 1.0 and cell.ci_low == pytest.approx(0.94)


def test_load_runs_skips_shards_and_names_bad_files(tmp_path: Path) -> None:
    _write(tmp_path / "full", _report("m", [_result("qa_a", 0.5)]))
    shard = _report("m", [_result("qa_a", 0.5)])
    shard = shard.model_copy(
        update={"provenance": shard.provenance.model_copy(update={"shard": "1/2"})}
    )
    _write(tmp_path / "shard1", shard)
    runs, skipped = load_runs(tmp_path)
    assert [run.folder.name for run in runs] == ["full"]
    assert "shard 1/2" in skipped[0] and "report merge" in skipped[0]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text("{}")
    with pytest.raises(UserError, match=r"bad/report\.json: not a valid report"):
        load_runs(tmp_path)
    with pytest.raises(UserError, match="not a folder of reports"):
        load_runs(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"no report\.json found"):
        load_runs(tmp_path / "empty")


@pytest.mark.parametrize(
    ("task", "in_clear", "withheld"),
    [
        ("pseudo_a", True, True),  # --log-phi
        ("pseudo_a", False, False),  # masked by the runner
        ("pseudo_a", None, True),  # not recorded (older report): taken as in clear
        ("qa_a", None, False),  # a family without identifiers
        ("qa_a", True, True),  # recorded in clear whatever the family
    ],
)
def test_samples_are_withheld_by_the_recorded_fact_only(
    tmp_path: Path, task: str, in_clear: bool | None, withheld: bool
) -> None:
    """Issue 18: whether a sample log holds identifiers in clear is read from the report's
    ``samples_in_clear``, never guessed from the command line or run.json."""
    result = _result(task, 0.1).model_copy(update={"samples_in_clear": in_clear})
    report = _report("m", [result])
    _write(tmp_path / "run", report)
    # What the old guess read: neither says --log-phi, yet the fact decides.
    (tmp_path / "run" / "run.json").write_text(json.dumps({"log_phi": False}))
    board = build_leaderboard(load_runs(tmp_path)[0], {}, "t")
    assert board.rows[0].samples_withheld == ([task] if withheld else [])


def test_a_served_file_is_labelled_by_its_name_not_its_path() -> None:
    board = _board(
        _report("/srv/models/SmolLM2.Q4_1.gguf", [_result("qa_a", 0.5)]),
        _report("org/model-7b", [_result("qa_a", 0.5)]),
    )
    assert sorted(row.label for row in board.rows) == ["SmolLM2.Q4_1.gguf", "org/model-7b"]
    assert {row.slug[:-9] for row in board.rows} == {"smollm2-q4-1-gguf", "org-model-7b"}


def test_a_model_with_its_chat_template_is_another_row() -> None:
    plain = _report("m", [_result("qa_a", 0.5)])
    chat = plain.model_copy(
        update={"model": plain.model.model_copy(update={"chat_template": True})}
    )
    board = _board(plain, chat)
    assert sorted(row.label for row in board.rows) == ["m", "m (chat template)"]
    assert len({row.slug for row in board.rows}) == 2


def test_an_identity_without_chat_template_keeps_the_key_it_had_before_the_field() -> None:
    model = ModelIdentity(backend="hf", lm_eval_model="hf", name="m", args={"pretrained": "m"})
    # identity_key of this identity before ModelIdentity.chat_template existed: response
    # caches and leaderboard slugs of earlier runs stay valid.
    before = "ea574d6e639e27277b3563661867164a4420bb6bad871da27d3bc54525b8673c"
    assert identity_key(model) == before
    assert identity_key(model.model_copy(update={"chat_template": True})) != before


@pytest.mark.parametrize("applied", [False, True])
def test_an_old_report_takes_the_chat_template_from_its_provenance(
    tmp_path: Path, applied: bool
) -> None:
    report = _report("m", [_result("qa_a", 0.5)])
    data = json.loads(report.model_dump_json())
    del data["model"]["chat_template"]  # written before the field existed
    data["provenance"]["apply_chat_template"] = applied
    (tmp_path / "report.json").write_text(json.dumps(data))
    loaded = load_report(tmp_path)
    assert loaded.model.chat_template is applied
    assert (identity_key(loaded.model) == identity_key(report.model)) is not applied
