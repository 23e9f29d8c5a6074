"""A whole family added from outside partages-bench (``tests/plugin_family``, put on the path as
an installed distribution would be), end to end through the command line: listed, run on the
embedded model and as a replay, scored offline, its baseline, shown, compared and ranked — and
nothing in ``partages_bench/`` names it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import cli, write_jsonl

PLUGIN = Path(__file__).resolve().parent / "plugin_family"
PACKAGE = Path(__file__).resolve().parents[1] / "partages_bench"
ENV = {"PYTHONPATH": os.pathsep.join([str(PLUGIN), os.environ.get("PYTHONPATH", "")])}
QUESTIONS = 8
GOLD_YES = 4  # questions whose gold answer is « oui »


def plugin(*args: str) -> str:
    result = cli(*args, env=ENV, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def gold_rows() -> list[dict[str, str]]:
    sys.path.insert(0, str(PLUGIN))
    try:
        from partages_bench_yesno.questions import QUESTIONS as questions  # the task's data
    finally:
        sys.path.remove(str(PLUGIN))
    return [
        {"id": f"q{i}", "question": question, "answer": answer}
        for i, (question, answer) in enumerate(questions)
    ]


def report(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text())


def test_nothing_in_the_package_names_the_plugin_family() -> None:
    for path in PACKAGE.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yaml", ".md", ".html", ".js", ".css"):
            assert "yesno" not in path.read_text(encoding="utf-8"), path


def test_listed_with_its_family_and_card_fields() -> None:
    cards = json.loads(plugin("tasks", "list", "--family", "yesno", "--json"))
    assert [card["name"] for card in cards] == ["yesno_demo"]
    assert cards[0]["family"] == "yesno"
    shown = json.loads(plugin("tasks", "show", "yesno_demo").strip())
    assert shown["family_fields"] == {"positive": "oui", "negative": "non"}
    # default_in_suite = False: the default suite leaves the family out, naming it selects it.
    select = (
        "from partages_bench.registry import Registry; r = Registry.discover(); "
        "print(sorted({c.family for c in r.select(['default'])}), r.select(['yesno'])[0].name)"
    )
    found = subprocess.run(
        [sys.executable, "-c", select],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        check=True,
    ).stdout.split("] ")
    assert "yesno" not in found[0] and found[1].strip() == "yesno_demo"


def test_score_and_baseline_commands_come_from_the_family(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", gold_rows())
    answers = tmp_path / "always_yes.jsonl"
    plugin("baseline", "yesno-always-yes", "--gold", str(gold), "--output", str(answers))
    scores = json.loads(
        plugin("score", "yesno", "--gold", str(gold), "--predictions", str(answers), "--json")
    )
    assert scores["yesno"]["accuracy"]["value"] == GOLD_YES / QUESTIONS
    assert scores["yesno"]["unparsable_rate"]["value"] == 0.0


def test_replayed_system_and_baseline_are_compared_and_ranked(tmp_path: Path) -> None:
    rows = gold_rows()
    # A system right on every question but the last two (one unreadable, one missing).
    answers = [{"id": row["id"], "output": row["answer"].capitalize() + "."} for row in rows[:6]]
    answers.append({"id": rows[6]["id"], "output": "je ne sais pas"})
    system = write_jsonl(tmp_path / "system.jsonl", answers)
    plugin(
        "run",
        "--model",
        "replay",
        "--model-args",
        f"path={system},name=rule-system",
        "--tasks",
        "yesno_demo",
        "--output",
        str(tmp_path / "system"),
    )
    plugin(
        "run",
        "--model",
        "replay",
        "--model-args",
        "baseline=yesno-always-yes",
        "--tasks",
        "yesno_demo",
        "--output",
        str(tmp_path / "baseline"),
    )

    task = report(tmp_path / "system")["tasks"]["yesno_demo"]
    assert task["metrics"]["accuracy"]["value"] == 6 / QUESTIONS
    assert task["metrics"]["unparsable_rate"]["value"] == 2 / QUESTIONS  # the missing one: empty
    assert any(
        "1 of 8 documents have no prediction" in note and "'q7'" in note for note in task["notes"]
    )
    baseline = report(tmp_path / "baseline")["tasks"]["yesno_demo"]
    assert baseline["metrics"]["accuracy"]["value"] == GOLD_YES / QUESTIONS
    assert (task["task_hash"], task["data_hash"]) == (baseline["task_hash"], baseline["data_hash"])

    assert "rule-system (replay)" in plugin("report", "show", str(tmp_path / "system"))
    comparison = json.loads(
        plugin("compare", str(tmp_path / "baseline"), str(tmp_path / "system"), "--format", "json")
    )
    accuracy = next(m for m in comparison["metrics"] if m["metric"] == "accuracy")
    assert accuracy["delta"] == pytest.approx((6 - GOLD_YES) / QUESTIONS)

    site = tmp_path / "site"
    plugin("leaderboard", "build", str(tmp_path), "--out", str(site))
    board = json.loads((site / "data" / "leaderboard.json").read_text())
    kinds = {row["label"]: row["kind"] for row in board["rows"]}
    assert kinds == {"rule-system": "system", "yesno-always-yes (baseline)": "baseline"}
    assert [column["family"] for column in board["columns"] if column["kind"] == "family"] == [
        "yesno"
    ]


def test_a_file_for_other_documents_is_refused(tmp_path: Path) -> None:
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": "x1", "output": "oui"}])
    result = cli(
        "run",
        "--model",
        "replay",
        "--model-args",
        f"path={other}",
        "--tasks",
        "yesno_demo",
        "--output",
        str(tmp_path / "run"),
        env=ENV,
    )
    assert result.returncode == 2, result.stderr
    assert "'x1' is not a document of task yesno_demo" in result.stderr


@pytest.mark.e2e
def test_runs_on_the_embedded_model(tmp_path: Path) -> None:
    plugin("run", "--tasks", "yesno_demo", "--limit", "4", "--output", str(tmp_path / "run"))
    task = report(tmp_path / "run")["tasks"]["yesno_demo"]
    assert task["n_samples"] == 4 and task["family"] == "yesno"
    samples = (tmp_path / "run" / "samples" / "yesno_demo.jsonl").read_text().splitlines()
    stats = [json.loads(line)["stats"] for line in samples]
    assert all(set(s) == {"correct", "unparsable"} for s in stats)
