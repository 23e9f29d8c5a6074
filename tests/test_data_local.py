"""Local dataset cards (partages_bench/data/local.py): validation, ``data add``, checksums."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partages_bench.cli import app, main
from partages_bench.data.local import LocalCardError, load_card, load_local, read_records
from partages_bench.errors import UserError

NOTES = [
    (
        "n1",
        "Patient traité par amoxicilline pour une pneumopathie.",
        [("CLINENTITY", "amoxicilline")],
    ),
    ("n2", "Douleur thoracique et dyspnée depuis trois jours.", [("CLINENTITY", "dyspnée")]),
    ("n3", "Scanner abdominal sans anomalie.", [("CLINENTITY", "Scanner")]),
]


def _brat(folder: Path) -> None:
    folder.mkdir(parents=True)
    for doc_id, text, entities in NOTES:
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        lines = []
        for number, (label, covered) in enumerate(entities, start=1):
            start = text.index(covered)
            lines.append(f"T{number}\t{label} {start} {start + len(covered)}\t{covered}")
        (folder / f"{doc_id}.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _card(path: Path, **fields: object) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(fields, sort_keys=False), encoding="utf-8")
    return path


def _jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def _pseudo_records() -> list[dict]:
    text = "Patient : Martin Paul, né le 03/01/1970."
    start = text.index("Martin Paul")
    entity = {"start": start, "end": start + 11, "label": "NOM", "text": "Martin Paul"}
    return [
        {"note_id": f"d{i}", "text": text, "entities": [entity], "service": "cardio"}
        for i in range(3)
    ]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PARTAGES_BENCH_HOME", str(tmp_path / "home"))
    return tmp_path


def test_brat_card_reads_the_entities(tmp_path: Path) -> None:
    _brat(tmp_path / "notes")
    card = load_card(
        _card(
            tmp_path / "c.yaml",
            id="chu_x",
            family="ner",
            licence="interne",
            format="brat",
            splits={"test": "notes"},
        )
    )
    records = read_records(card)["test"]
    assert [r["id"] for r in records] == ["n1", "n2", "n3"]
    first = records[0]
    entity = first["entities"][0]
    assert entity["label"] == "CLINENTITY"
    assert first["text"][entity["start"] : entity["end"]] == "amoxicilline"


def test_data_add_registers_lists_and_refuses_a_changed_file(home: Path) -> None:
    _jsonl(home / "notes.jsonl", _pseudo_records())
    card = _card(
        home / "c.yaml",
        id="chu_lille_notes",
        family="pseudonymisation",
        owner="CHU",
        format="jsonl",
        splits={"test": "notes.jsonl"},
        metadata=["service"],
        private=True,
    )
    runner = CliRunner()
    added = runner.invoke(app, ["data", "add", str(card)])
    assert added.exit_code == 0, added.output
    assert "chu_lille_notes" in added.output and "test 3" in added.output
    listed = runner.invoke(app, ["data", "list"])
    assert "local  chu_lille_notes" in listed.output
    local, splits, digest = load_local(
        "chu_lille_notes", "pseudonymisation", "pseudo_detect_generated"
    )
    assert local.private and len(splits["test"]) == 3 and len(digest) == 64
    with pytest.raises(LocalCardError, match=r"family 'ner'.*family 'pseudonymisation'"):
        load_local("chu_lille_notes", "ner", "e3c_fr")
    _jsonl(home / "notes.jsonl", _pseudo_records()[:2])
    with pytest.raises(LocalCardError, match=r"notes\.jsonl: changed since"):
        load_local("chu_lille_notes", "pseudonymisation", "pseudo_detect_generated")


def test_csv_card_maps_columns(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("ident,texte,site\na,Bonjour,lille\n", encoding="utf-8")
    card = load_card(
        _card(
            tmp_path / "c.yaml",
            id="x",
            family="classification",
            licence="l",
            format="csv",
            splits={"test": "d.csv"},
            metadata=["site"],
            columns={"id": "ident", "text": "texte"},
        )
    )
    assert read_records(card)["test"] == [{"id": "a", "text": "Bonjour", "site": "lille"}]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"family": "ner", "licence": "l", "format": "jsonl", "splits": {"test": "d.jsonl"}},
            "field 'id': missing",
        ),
        (
            {
                "id": "x",
                "family": "nope",
                "licence": "l",
                "format": "jsonl",
                "splits": {"test": "d.jsonl"},
            },
            "line 2: field 'family': unknown family 'nope'",
        ),
        (
            {
                "id": "x",
                "family": "ner",
                "licence": "l",
                "format": "xml",
                "splits": {"test": "d.jsonl"},
            },
            "line 4: field 'format': unknown format 'xml'",
        ),
        (
            {
                "id": "x",
                "family": "ner",
                "licence": "l",
                "format": "jsonl",
                "splits": {"test": "absent.jsonl"},
            },
            "field 'splits': split 'test'",
        ),
    ],
)
def test_card_errors_are_one_line_and_exit_2(
    tmp_path: Path,
    fields: dict,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "d.jsonl").write_text("", encoding="utf-8")
    card = _card(tmp_path / "c.yaml", **fields)
    monkeypatch.setattr(sys, "argv", ["partages-bench", "data", "add", str(card)])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and message in line and "c.yaml" in line


def test_a_record_missing_a_field_is_named_with_its_line(tmp_path: Path) -> None:
    _jsonl(tmp_path / "d.jsonl", [{"id": "a", "text": "t", "entities": []}, {"id": "b"}])
    card = load_card(
        _card(
            tmp_path / "c.yaml",
            id="x",
            family="ner",
            licence="l",
            format="jsonl",
            splits={"test": "d.jsonl"},
        )
    )
    with pytest.raises(LocalCardError, match=r"d\.jsonl line 2: field 'text': missing"):
        read_records(card)


def test_e3c_template_runs_on_a_brat_card(home: Path) -> None:
    """n1 answered right, n2 and n3 unanswered: P = 1, R = 1/3, F1 = 2 * 1/3 / (4/3) = 0.5."""
    _brat(home / "notes")
    card = _card(
        home / "c.yaml",
        id="chu_ner",
        family="ner",
        licence="interne",
        format="brat",
        splits={"test": "notes"},
    )
    text = NOTES[0][1]
    start = text.index("amoxicilline")
    entity = {"start": start, "end": start + 12, "label": "CLINENTITY"}
    _jsonl(home / "pred.jsonl", [{"doc_id": "n1", "entities": [entity]}])
    out = home / "run"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--model",
            "replay",
            "--model-args",
            f"path={home / 'pred.jsonl'}",
            "--tasks",
            "e3c_fr@chu_ner",
            "--data-card",
            str(card),
            "--num-fewshot",
            "0",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    task = json.loads((out / "report.json").read_text())["tasks"]["e3c_fr"]
    assert task["dataset"] == "chu_ner" and task["n_samples"] == 3
    assert task["metrics"]["strict_f1"]["value"] == pytest.approx(0.5)
    assert str(home) not in (out / "report.json").read_text()


def test_pseudo_template_runs_on_a_registered_jsonl_card(home: Path) -> None:
    _jsonl(home / "notes.jsonl", _pseudo_records())
    card = _card(
        home / "c.yaml",
        id="chu_lille_notes",
        family="pseudonymisation",
        owner="CHU",
        format="jsonl",
        splits={"test": "notes.jsonl"},
    )
    runner = CliRunner()
    assert runner.invoke(app, ["data", "add", str(card)]).exit_code == 0
    out = home / "run"
    result = runner.invoke(
        app,
        [
            "run",
            "--model",
            "replay",
            "--model-args",
            "baseline=pseudo-rules",
            "--tasks",
            "pseudo_detect_generated@chu_lille_notes",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    task = json.loads((out / "report.json").read_text())["tasks"]["pseudo_detect_generated"]
    assert task["dataset"] == "chu_lille_notes" and task["n_samples"] == 3
    assert any("local dataset chu_lille_notes" in note for note in task["notes"])


def test_a_task_of_another_family_is_refused_naming_both(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _jsonl(home / "notes.jsonl", _pseudo_records())
    card = _card(
        home / "c.yaml",
        id="lille",
        family="pseudonymisation",
        owner="CHU",
        format="jsonl",
        splits={"test": "notes.jsonl"},
    )
    argv = [
        "partages-bench",
        "run",
        "--model",
        "replay",
        "--model-args",
        "baseline=pseudo-rules",
        "--tasks",
        "e3c_fr@lille",
        "--data-card",
        str(card),
        "--output",
        str(home / "r"),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "family 'ner'" in err and "family 'pseudonymisation'" in err


def test_a_private_card_is_refused_while_private_runs_do_not_exist(home: Path) -> None:
    # A run writes prompts and outputs in clear; a card that forbids it must not run.
    _jsonl(home / "notes.jsonl", _pseudo_records())
    card = _card(
        home / "c.yaml",
        id="chu_private",
        family="pseudonymisation",
        owner="CHU",
        format="jsonl",
        splits={"test": "notes.jsonl"},
        private=True,
    )
    result = CliRunner().invoke(
        app,
        ["run", "--model", "replay", "--model-args", "baseline=pseudo-rules",
         "--tasks", "pseudo_detect_generated@chu_private", "--data-card", str(card),
         "--output", str(home / "run")],
    )  # fmt: skip
    # The CLI's entry point turns this UserError into one line and exit code 2.
    assert isinstance(result.exception, UserError)
    assert "chu_private is private" in str(result.exception)
    assert not (home / "run" / "samples").exists()


def test_the_cards_metadata_fields_are_breakdowns_of_the_report(home: Path) -> None:
    records = _pseudo_records()
    records[2]["service"] = "pneumo"
    _jsonl(home / "notes.jsonl", records)
    card = _card(
        home / "c.yaml",
        id="chu_services",
        family="pseudonymisation",
        owner="CHU",
        format="jsonl",
        splits={"test": "notes.jsonl"},
        metadata=["service"],
    )
    out = home / "run"
    result = CliRunner().invoke(
        app,
        ["run", "--model", "replay", "--model-args", "baseline=pseudo-rules",
         "--tasks", "pseudo_detect_generated@chu_services", "--data-card", str(card),
         "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "report.json").read_text())["tasks"]["pseudo_detect_generated"][
        "metrics"
    ]
    assert {"leak_rate/service=cardio", "leak_rate/service=pneumo"} <= set(metrics)
