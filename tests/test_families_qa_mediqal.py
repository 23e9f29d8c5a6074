"""MediQAl: conversion of the hub files, trust on first use of files pinned by revision only, and
both tasks end to end on the tiny model.

The real files are not here (hub only), so a small mirror in the exact hub schema is written for
each test: ``mcqu`` files as JSON arrays and ``mcqm`` files as JSON lines, since the card does not
say which layout the hub serves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import Serve
from rich.console import Console

from partages_bench.data import catalog, dataset_status, get_dataset, load_splits, pull, verify
from partages_bench.data.converters import MEDIQAL_FILES
from partages_bench.data.store import write_checksums
from partages_bench.errors import ChecksumError, UserError
from partages_bench.options import RunOptions
from partages_bench.runner import run

HUB = "https://huggingface.co"
RESOLVE = "datasets/ANR-MALADES/MediQAl/resolve/5af34948a74c7b8807c476204a21149ffb00ea2c"
CASE = "Patient de 54 ans, douleur thoracique depuis deux heures."
# Upstream answer strings, as the hub writes them or might: spaces, lower case.
ANSWERS = {"mcqu": ["A", "b", "C", "E"], "mcqm": ["A, C", "b,d", "A,B,E", "C,D"]}
SIZES = {"train": 4, "validation": 2, "test": 4}


def hub_record(exam: str, split: str, number: int) -> dict[str, Any]:
    """One question in the hub schema; clinical cases alternate null, empty and text."""
    return {
        "id": f"{exam}-{split}-{number}",
        "clinical_case": (None, "", CASE)[number % 3],
        "question": f"Question {number} ({split}) : quelle est la conduite à tenir ?",
        **{f"answer_{letter}": f"Proposition {letter.upper()}{number}" for letter in "abcde"},
        "correct_answers": ANSWERS[exam][number],
        "task": exam.upper(),
        "medical_subject": ("Cardiologie", "Pédiatrie")[number % 2],
        "question_type": ("Understanding", "Reasoning")[number % 2],
    }


def write_file(path: Path, records: list[dict[str, Any]]) -> None:
    """``mcqu`` as a JSON array, ``mcqm`` as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent.name == "mcqu":
        text = json.dumps(records, ensure_ascii=False, indent=1)
    else:
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    path.write_text(text, encoding="utf-8")


def write_hub_files(folder: Path) -> Path:
    for relative in MEDIQAL_FILES.values():
        exam, split = relative.removesuffix(".json").split("/")
        write_file(folder / relative, [hub_record(exam, split, n) for n in range(SIZES[split])])
    return folder


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A mirror root holding ``mediqal/`` in the hub layout, without ``SHA256SUMS``."""
    write_hub_files(tmp_path / "mirror" / "mediqal")
    return tmp_path / "mirror"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


# --- catalogue and conversion -----------------------------------------------------------------


def test_catalog_pins_the_hub_revision_only() -> None:
    spec = get_dataset("mediqal")
    assert (spec.licence, spec.converter_version) == ("CC-BY-4.0", 1)
    assert spec.hub_revision == spec.commit == RESOLVE.rsplit("/", 1)[1]
    assert [f.url for f in spec.files] == [f"{HUB}/{RESOLVE}/{p}" for p in MEDIQAL_FILES.values()]
    assert all(f.sha256 is None for f in spec.files)
    assert not spec.pinned_by_sha256
    assert not dataset_status(spec).pinned_by_sha256
    assert get_dataset("frenchmedmcqa").pinned_by_sha256


def test_converter_reads_both_layouts_and_normalises_answers(mirror: Path) -> None:
    splits = load_splits("mediqal", data_dir=mirror)
    assert {name: len(records) for name, records in splits.items()} == {
        f"{exam}_{split}": size for exam in ("mcqu", "mcqm") for split, size in SIZES.items()
    }
    assert [r["correct_answers"] for r in splits["mcqm_test"]] == [
        ["a", "c"],
        ["b", "d"],
        ["a", "b", "e"],
        ["c", "d"],
    ]
    assert [r["correct_answers"] for r in splits["mcqu_train"]] == [["a"], ["b"], ["c"], ["e"]]
    assert [r["clinical_case"] for r in splits["mcqu_test"]] == [None, None, CASE, None]
    assert splits["mcqm_validation"][1] == {
        "id": "mcqm-validation-1",
        "question": "Question 1 (validation) : quelle est la conduite à tenir ?",
        "clinical_case": None,
        "options": {letter: f"Proposition {letter.upper()}1" for letter in "abcde"},
        "correct_answers": ["b", "d"],
        "medical_subject": "Pédiatrie",
        "question_type": "Reasoning",
    }


@pytest.mark.parametrize("answer", ["", "F", "A;C", None])
def test_a_record_without_answer_letters_is_a_one_line_error(
    mirror: Path, answer: str | None
) -> None:
    path = mirror / "mediqal" / "mcqm" / "train.json"
    records = [hub_record("mcqm", "train", n) for n in range(SIZES["train"])]
    records[2]["correct_answers"] = answer
    write_file(path, records)
    with pytest.raises(UserError) as caught:
        load_splits("mediqal", data_dir=mirror)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: record 'mcqm-train-2': correct_answers {answer!r}")


def test_invalid_json_names_the_file_and_line(mirror: Path) -> None:
    path = mirror / "mediqal" / "mcqm" / "test.json"
    path.write_text(path.read_text(encoding="utf-8") + "{oops\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{re.escape(str(path))}: line 5: invalid JSON"):
        load_splits("mediqal", data_dir=mirror)


# --- trust on first use -----------------------------------------------------------------------


def test_recorded_checksums_guard_the_files_and_key_the_cache(mirror: Path) -> None:
    folder = mirror / "mediqal"
    recorded = {p: sha256(folder / p) for p in MEDIQAL_FILES.values()}
    # A file the record does not list is accepted as it is.
    write_checksums(folder, {p: h for p, h in recorded.items() if p != "mcqm/train.json"})
    assert load_splits("mediqal", data_dir=mirror)["mcqu_test"][0]["question"].startswith("Q")
    write_checksums(folder, recorded)

    path = folder / "mcqu" / "test.json"
    records = [hub_record("mcqu", "test", n) for n in range(SIZES["test"])]
    records[0]["question"] = "Nouvelle question"
    write_file(path, records)
    with pytest.raises(ChecksumError, match=r"mcqu/test\.json has sha256 .* recorded in .*SHA256S"):
        load_splits("mediqal", data_dir=mirror)

    # A new record (a pull from a fixed source) is a new cache key: no stale conversion.
    write_checksums(folder, recorded | {"mcqu/test.json": sha256(path)})
    assert load_splits("mediqal", data_dir=mirror)["mcqu_test"][0]["question"] == (
        "Nouvelle question"
    )


def test_pull_records_what_it_received_then_detects_a_change(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = write_hub_files(tmp_path / "served" / RESOLVE)
    server = serve(tmp_path / "served")
    spec = get_dataset("mediqal")
    local = tuple(
        dataclasses.replace(f, url=(f.url or "").replace(HUB, server.url)) for f in spec.files
    )
    monkeypatch.setitem(catalog.DATASETS, "mediqal", dataclasses.replace(spec, files=local))
    monkeypatch.delenv("PARTAGES_BENCH_OFFLINE")
    monkeypatch.delenv("PARTAGES_BENCH_MIRROR_URL", raising=False)
    root = tmp_path / "pulled"

    folder = pull("mediqal", to=root)
    assert sorted(server.paths) == sorted(f"/{RESOLVE}/{p}" for p in MEDIQAL_FILES.values())
    recorded = catalog.read_checksums(folder / "SHA256SUMS")
    assert recorded == {p: sha256(served / p) for p in MEDIQAL_FILES.values()}
    assert verify(get_dataset("mediqal"), folder) == recorded
    first = load_splits("mediqal", data_dir=root)
    pull("mediqal", to=root)
    assert len(server.paths) == 6  # every file recorded and intact: nothing downloaded

    changed = "mcqm/test.json"
    flip_byte(folder / changed)
    with pytest.raises(ChecksumError, match=r"mcqm/test\.json has sha256 .* recorded in"):
        load_splits("mediqal", data_dir=root)
    flip_byte(served / changed)  # the source now serves other bytes: the record wins
    with pytest.raises(ChecksumError, match=r"mcqm/test\.json from http.*the file was not kept"):
        pull("mediqal", to=root)
    flip_byte(served / changed)
    pull("mediqal", to=root)
    assert server.paths[6:] == [f"/{RESOLVE}/{changed}"] * 2
    assert catalog.read_checksums(folder / "SHA256SUMS") == recorded
    assert load_splits("mediqal", data_dir=root) == first


# --- both tasks on the tiny model -------------------------------------------------------------


def test_both_tasks_run_with_breakdowns(tiny_model: Path, mirror: Path, tmp_path: Path) -> None:
    options = RunOptions(
        output=tmp_path / "run",
        model="hf",
        model_args=f"pretrained={tiny_model},device=cpu",
        tasks=["mediqal_mcqm", "mediqal_mcqu"],
        data_dir=mirror,
        batch_size="4",
        bootstrap_iterations=100,
        command=["partages-bench", "run", "(test)"],
    )
    report = run(options, Console(file=io.StringIO()))
    mcqm, mcqu = report.tasks["mediqal_mcqm"], report.tasks["mediqal_mcqu"]
    assert (mcqm.n_samples, mcqm.num_fewshot, mcqm.primary_metric) == (4, 3, "emr")
    assert (mcqu.n_samples, mcqu.num_fewshot, mcqu.primary_metric) == (4, 3, "accuracy")
    groups = [
        "question_type=Reasoning",
        "question_type=Understanding",
        "medical_subject=Cardiologie",
        "medical_subject=Pédiatrie",
    ]
    assert set(mcqm.metrics) == {
        f"{metric}{group}"
        for metric in ("emr", "hamming", "unparsable_rate")
        for group in ["", *(f"/{g}" for g in groups)]
    }
    assert {"accuracy", "unparsable_rate", "accuracy/question_type=Reasoning"} <= set(mcqu.metrics)
    assert "hamming" not in mcqu.metrics

    samples = {
        task: [json.loads(line) for line in (tmp_path / "run" / "samples" / f"{task}.jsonl").open()]
        for task in ("mediqal_mcqm", "mediqal_mcqu")
    }
    assert samples["mediqal_mcqm"][1]["target"] == "B, D"
    assert all(s["prompt"].endswith("\nRéponse(s) :") for s in samples["mediqal_mcqm"])
    assert all(s["prompt"].endswith("\nRéponse :") for s in samples["mediqal_mcqu"])
    assert (
        f"Cas clinique : {CASE}\nQuestion : Question 2 (test)"
        in samples["mediqal_mcqu"][2]["prompt"]
    )
    assert set(samples["mediqal_mcqu"][0]["stats"]) == {"emr", "unparsable"}
    assert samples["mediqal_mcqm"][0]["groups"] == {
        "question_type": "Understanding",
        "medical_subject": "Cardiologie",
    }
