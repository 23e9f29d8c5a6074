"""Offline QA scoring (`score qa`) on external files, and the seeded random baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write_jsonl
from typer.testing import CliRunner

from partages_bench.cli import app
from partages_bench.errors import UserError
from partages_bench.families.qa.offline import random_qa_predictions, score_qa
from partages_bench.families.qa.scoring import format_letters

GOLD = [
    {"id": "q1", "question": "?", "answers": dict.fromkeys("abcde", "x"), "correct_answers": ["a"]},
    {
        "id": "q2",
        "question": "?",
        "answers": dict.fromkeys("abcde", "x"),
        "correct_answers": ["b", "d"],
    },
    {"id": "q3", "question": "?", "answers": dict.fromkeys("abcde", "x"), "correct_answers": ["c"]},
]


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(GOLD), encoding="utf-8")
    return path


def test_scores_match_the_definitions(gold: Path, tmp_path: Path) -> None:
    predictions = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"id": "q2", "output": "Les bonnes réponses sont B et C."},
            {"id": "q1", "output": " A"},
            {"id": "q3", "output": None},
        ],
        ensure_ascii=True,
    )
    _, metrics = score_qa(gold, predictions, bootstrap_iterations=200, seed=0)
    assert metrics["emr"].value == pytest.approx(1 / 3)
    assert metrics["hamming"].value == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert metrics["unparsable_rate"].value == pytest.approx(1 / 3)
    assert metrics["accuracy_single"].value == pytest.approx(1 / 2)


def test_gold_as_jsonl_and_perfect_predictions(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "gold.jsonl", GOLD)
    perfect = write_jsonl(
        tmp_path / "p.jsonl",
        [{"id": g["id"], "output": format_letters(g["correct_answers"])} for g in GOLD],
    )
    _, metrics = score_qa(gold, perfect, bootstrap_iterations=100, seed=0)
    assert metrics["emr"].value == metrics["hamming"].value == 1.0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "q1", "output": "A"}], r"p\.jsonl: no prediction for 2 of 3 gold records"),
        ([{"id": "zz", "output": "A"}], r"p\.jsonl line 1: id 'zz' is not in"),
        ([{"output": "A"}], r"p\.jsonl line 1: missing field 'id'"),
        (
            [{"id": "q1", "output": "A"}, {"id": "q1", "output": "B"}],
            r"line 2: id 'q1' appears twice",
        ),
    ],
)
def test_bad_predictions_name_the_file_and_line(
    gold: Path, tmp_path: Path, rows: list[dict], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        score_qa(gold, write_jsonl(tmp_path / "p.jsonl", rows), 100, 0)


def test_invalid_json_line_and_bad_gold(gold: Path, tmp_path: Path) -> None:
    broken = tmp_path / "p.jsonl"
    broken.write_text('{"id": "q1", "output": "A"}\n{oops\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"p\.jsonl line 2: invalid JSON"):
        score_qa(gold, broken, 100, 0)
    bad_gold = write_jsonl(tmp_path / "g.jsonl", [{"id": "q1", "correct_answers": ["z"]}])
    predictions = write_jsonl(tmp_path / "q.jsonl", [{"id": "q1", "output": "A"}])
    with pytest.raises(UserError, match=r"g\.jsonl id 'q1': correct_answers must be"):
        score_qa(bad_gold, predictions, 100, 0)


def test_cli_json_keys_and_random_baseline(gold: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    predictions = tmp_path / "random.jsonl"
    result = runner.invoke(
        app, ["baseline", "qa-random", "--gold", str(gold), "--output", str(predictions)]
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in predictions.open()] == ["q1", "q2", "q3"]
    assert random_qa_predictions(gold, 0) == random_qa_predictions(gold, 0)
    result = runner.invoke(
        app, ["score", "qa", "--gold", str(gold), "--predictions", str(predictions), "--json"]
    )
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)["frenchmedmcqa"]
    assert {"emr", "hamming", "unparsable_rate"} <= set(scored)
    assert scored["unparsable_rate"]["value"] == 0.0


def test_random_baseline_on_the_real_test_split_is_at_chance(
    shared_data: Path, tmp_path: Path
) -> None:
    gold = shared_data / "frenchmedmcqa" / "corpus" / "test.json"
    predictions = write_jsonl(tmp_path / "r.jsonl", random_qa_predictions(gold, seed=0))
    _, metrics = score_qa(gold, predictions, 200, 0)
    # One of the 31 possible answers at random: EMR near 1/31.
    assert metrics["emr"].ci_low < 1 / 31 < metrics["emr"].ci_high
