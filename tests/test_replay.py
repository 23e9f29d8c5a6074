"""``--model replay``: systems that are not LLMs through the tasks a model runs — eds-pseudo's
output format and the rule baseline on the pseudonymisation tasks, compared and ranked; a replay
scores exactly what ``score pseudonymisation`` scores from the same answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli

from partages_bench.data import load_splits

LIMIT = 4


def ok(*args: str) -> str:
    result = cli(*args, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def replay(model_args: str, task_options: tuple[str, ...], output: str) -> None:
    ok("run", "--model", "replay", "--model-args", model_args, *task_options, "--output", output)


def task(folder: Path, name: str) -> dict:
    return json.loads((folder / "report.json").read_text())["tasks"][name]


def test_eds_pseudo_output_and_the_rule_baseline_are_compared_and_ranked(
    tmp_path: Path, shared_data: Path
) -> None:
    notes = load_splits("eds_pseudo_synthetic", shared_data)["test"][:LIMIT]
    # What eds-pseudo writes: the note and its spans, exact here (a perfect system).
    predictions = tmp_path / "eds_pseudo.jsonl"
    predictions.write_text(
        "".join(
            json.dumps(
                {
                    "note_id": note["note_id"],
                    "note_text": note["text"],
                    "entities": [
                        {"start": e["start"], "end": e["end"], "label": e["label"]}
                        for e in note["entities"]
                    ],
                },
                ensure_ascii=False,
            )
            + "\n"
            for note in notes
        )
    )
    tasks = "pseudo_detect_eds,pseudo_rewrite_eds"
    common = ("--tasks", tasks, "--limit", str(LIMIT), "--data-dir", str(shared_data))
    runs = tmp_path / "runs"
    replay(f"path={predictions},name=eds-pseudo", common, str(runs / "eds"))
    replay("baseline=pseudo-rules", common, str(runs / "rules"))

    for name in tasks.split(","):
        system, rules = task(runs / "eds", name), task(runs / "rules", name)
        assert system["n_samples"] == rules["n_samples"] == LIMIT
        assert (system["task_hash"], system["data_hash"]) == (
            rules["task_hash"],
            rules["data_hash"],
        )
        assert system["metrics"]["leak_rate"]["value"] == 0.0  # every identifier found
        assert rules["metrics"]["leak_rate"]["value"] > 0.0  # the rules find no names
        assert not any("no prediction" in note for note in system["notes"])
    # Listed, then placed in the note as a model's listing is: nearly every span exactly.
    assert task(runs / "eds", "pseudo_detect_eds")["metrics"]["recall"]["value"] >= 0.95

    comparison = json.loads(
        ok("compare", str(runs / "rules"), str(runs / "eds"), "--format", "json")
    )
    leak = {m["task"]: m for m in comparison["metrics"] if m["metric"] == "leak_rate"}
    assert set(leak) == set(tasks.split(",")) and all(m["delta"] < 0 for m in leak.values())

    ok("leaderboard", "build", str(runs), "--out", str(tmp_path / "site"))
    board = json.loads((tmp_path / "site" / "data" / "leaderboard.json").read_text())
    assert {row["label"]: row["kind"] for row in board["rows"]} == {
        "eds-pseudo": "system",
        "pseudo-rules (baseline)": "baseline",
    }


def test_a_replay_scores_what_offline_scoring_scores(tmp_path: Path) -> None:
    """The rule baseline's answers, scored by ``score pseudonymisation`` and replayed through
    the generated-notes tasks (their first notes are ``data generate-pseudo``'s with the tasks'
    seed): the same statistics in the same order give every shared metric and interval bit for
    bit. A detection task lists the spans' texts as a model would, so offline scoring is given
    that listing; replaying the baseline by name gives the file's scores."""
    gold = tmp_path / "gold.jsonl"
    ok("data", "generate-pseudo", "--n", "6", "--seed", "20261125", "--out", str(gold))
    answers = tmp_path / "rules.jsonl"
    ok("baseline", "pseudo-rules", "--gold", str(gold), "--output", str(answers))
    texts = {json.loads(line)["note_id"]: json.loads(line)["text"] for line in gold.open()}
    listing = tmp_path / "listing.jsonl"
    with listing.open("w") as out:
        for line in answers.open():
            row = json.loads(line)
            spans = sorted(row["entities"], key=lambda e: (e["start"], e["end"]))
            items = [
                {"text": texts[row["note_id"]][e["start"] : e["end"]], "label": e["label"]}
                for e in spans
            ]
            out.write(json.dumps({"note_id": row["note_id"], "entities": items}) + "\n")
    offline = {
        mode: json.loads(
            ok(
                "score",
                "pseudonymisation",
                "--gold",
                str(gold),
                "--predictions",
                str(file),
                "--json",
            )
        )[mode]
        for mode, file in (("rewrite", answers), ("detect", listing))
    }
    tasks = "pseudo_detect_generated,pseudo_rewrite_generated"
    common = ("--tasks", tasks, "--limit", "6")
    replay(f"path={answers}", common, str(tmp_path / "file"))
    replay("baseline=pseudo-rules", common, str(tmp_path / "named"))

    for mode in ("detect", "rewrite"):
        name = f"pseudo_{mode}_generated"
        replayed = task(tmp_path / "file", name)["metrics"]
        shared = sorted(set(offline[mode]) & set(replayed))
        assert "leak_rate" in shared and len(shared) > 5
        assert {m: replayed[m] for m in shared} == {m: offline[mode][m] for m in shared}
        assert task(tmp_path / "named", name)["metrics"] == replayed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("baseline=nope", "unknown baseline"),
        ("path=/nonexistent.jsonl", "no such file"),
        ("", "needs --model-args path="),
        ("path=x,baseline=qa-random", "needs --model-args path="),
        ("file=x", "'file' is not an argument of --model replay"),
    ],
)
def test_bad_replay_arguments_are_one_line(tmp_path: Path, args: str, message: str) -> None:
    result = cli(
        "run",
        "--model",
        "replay",
        "--model-args",
        args,
        "--tasks",
        "frenchmedmcqa",
        "--output",
        str(tmp_path / "run"),
    )
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
