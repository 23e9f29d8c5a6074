"""Offline pseudonymisation scoring (`score pseudonymisation`) and the rule baseline, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partages_bench.cli import app
from partages_bench.errors import UserError
from partages_bench.families.pseudonymisation import offline as scoring
from partages_bench.families.pseudonymisation.offline import (
    rule_baseline_predictions,
    score_pseudonymisation,
)
from partages_bench.generator import generate_notes, write_jsonl


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    write_jsonl(generate_notes(12, 3, "test"), path)
    return path


def test_perfect_and_identity_systems(gold: Path, tmp_path: Path) -> None:
    notes = [json.loads(line) for line in gold.open()]
    perfect = tmp_path / "perfect.jsonl"
    write_jsonl(
        [
            {
                "note_id": n["note_id"],
                "entities": [{"text": e["text"], "label": e["label"]} for e in n["entities"]],
            }
            for n in notes
        ],
        perfect,
    )
    detect = score_pseudonymisation(gold, perfect, 100, 0)["detect"][1]
    assert detect["leak_rate"].value == 0.0
    assert detect["redaction_recall"].value == 1.0
    identity = tmp_path / "identity.jsonl"
    write_jsonl([{"note_id": n["note_id"], "text": n["text"]} for n in notes], identity)
    rewrite = score_pseudonymisation(gold, identity, 100, 0)["rewrite"][1]
    assert rewrite["leak_rate"].value == 1.0
    assert rewrite["utility"].value == 1.0


def test_offsets_and_eds_schema_are_accepted(tmp_path: Path) -> None:
    gold = tmp_path / "eds.jsonl"
    write_jsonl(
        [
            {
                "note_id": "n1",
                "note_text": "Patient DUPONT, tél 06 12 34 56 78.",
                "entities": [
                    {"start": 8, "end": 14, "label": "NOM"},
                    {"start": 20, "end": 34, "label": "TEL"},
                ],
            }
        ],
        gold,
    )
    predictions = tmp_path / "p.jsonl"
    write_jsonl(
        [{"note_id": "n1", "entities": [{"start": 20, "end": 34, "label": "PHONE"}]}], predictions
    )
    metrics = score_pseudonymisation(gold, predictions, 0, 0)["detect"][1]
    assert metrics["leak_rate"].value == pytest.approx(0.5)
    assert metrics["f1"].value == pytest.approx(2 / 3)


def test_listed_texts_score_spans_once_and_redact_everywhere(tmp_path: Path) -> None:
    """Issue 17: the surname listed once is also redacted inside the e-mail address, which
    protects the note but adds no spurious NOM span."""
    text = "Mme KHELIFI, joignable à y.khelifi@orange.fr."
    gold = tmp_path / "gold.jsonl"
    write_jsonl(
        [
            {
                "note_id": "k",
                "text": text,
                "entities": [
                    {"start": 4, "end": 11, "label": "NOM"},
                    {"start": 25, "end": 44, "label": "MAIL"},
                ],
            }
        ],
        gold,
    )
    predictions = tmp_path / "p.jsonl"
    listed = [{"text": "Khelifi", "label": "NOM"}, {"text": "y.khelifi@orange.fr", "label": "MAIL"}]
    write_jsonl([{"note_id": "k", "entities": listed}], predictions)
    metrics = score_pseudonymisation(gold, predictions, 0, 0)["detect"][1]
    assert metrics["precision"].value == metrics["recall"].value == 1.0
    assert metrics["unlabelled_f1"].value == 1.0
    assert metrics["leak_rate"].value == 0.0 and metrics["redact_eds"].value == 1.0
    assert metrics["token_precision_eds"].value == 1.0
    assert metrics["redact_full_eds"].value == 1.0


def test_bad_gold_offsets_name_the_note(tmp_path: Path) -> None:
    gold = tmp_path / "g.jsonl"
    write_jsonl(
        [{"note_id": "n1", "text": "abc", "entities": [{"start": 2, "end": 9, "label": "NOM"}]}],
        gold,
    )
    predictions = tmp_path / "p.jsonl"
    write_jsonl([{"note_id": "n1", "text": "abc"}], predictions)
    with pytest.raises(UserError, match=r"g\.jsonl note 'n1': entities\[0\] has bad offsets 2-9"):
        score_pseudonymisation(gold, predictions, 0, 0)


def test_cli_rule_baseline_then_score(gold: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    predictions = tmp_path / "rules.jsonl"
    result = runner.invoke(
        app, ["baseline", "pseudo-rules", "--gold", str(gold), "--output", str(predictions)]
    )
    assert result.exit_code == 0, result.output
    assert len(rule_baseline_predictions(gold)) == 12
    result = runner.invoke(
        app,
        [
            "score",
            "pseudonymisation",
            "--gold",
            str(gold),
            "--predictions",
            str(predictions),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    assert {"leak_rate", "doc_leak_rate", "f1"} <= set(scored["detect"])
    eds = ("redact_eds", "redact_full_eds", "token_precision_eds", "token_f1_eds")
    assert {*eds, "unlabelled_f1", "redact_eds/label=MAIL"} <= set(scored["detect"])
    assert {"leak_rate", "utility", "surrogate_validity"} <= set(scored["rewrite"])
    # Regexes find no names: some identifiers always leak.
    assert 0 < scored["detect"]["leak_rate"]["value"] < 1


def test_generate_pseudo_command(tmp_path: Path) -> None:
    out = tmp_path / "notes.jsonl"
    result = CliRunner().invoke(
        app, ["data", "generate-pseudo", "--n", "5", "--seed", "9", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in out.open()] == generate_notes(5, 9, "test")


def test_notes_scored_over_processes_give_the_serial_result(
    gold: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large inputs are scored over one process per core: same values, same order, and a bad
    prediction still stops the scoring with its one-line error."""
    predictions = tmp_path / "rules.jsonl"
    write_jsonl(rule_baseline_predictions(gold), predictions)
    serial = score_pseudonymisation(gold, predictions, 200, 0)
    monkeypatch.setattr(scoring, "PARALLEL_NOTES", 2)
    monkeypatch.setattr(scoring.os, "cpu_count", lambda: 2)
    assert score_pseudonymisation(gold, predictions, 200, 0) == serial
    rows = [json.loads(line) for line in predictions.open()]
    rows[5]["entities"] = [{"start": 4, "end": 2, "label": "NOM"}]
    write_jsonl(rows, predictions)
    with pytest.raises(UserError, match=r"entities\[0\] has bad offsets 4-2"):
        score_pseudonymisation(gold, predictions, 200, 0)
