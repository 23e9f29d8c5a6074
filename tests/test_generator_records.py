"""Patient records for summarisation: determinism, pools, key facts the source states, reference."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partages_bench.cli import app
from partages_bench.errors import UserError
from partages_bench.generator import (
    DIFFICULTIES,
    KEY_FACT_TYPES,
    POOLS,
    TEMPLATES,
    drug_lexicon,
    generate_notes,
    generate_record,
    generate_records,
)
from partages_bench.generator.clinical import _ALLERGIES, SPECIALTIES
from partages_bench.generator.records import _ALLERGEN_ALIASES, _quantity_forms

SEED = 20240611
RECORDS_PER_SPLIT = 200
DOCUMENT_COUNTS = {"easy": range(2, 4), "medium": range(3, 5), "hard": range(5, 7)}
HEADER = re.compile(r"^=== (.+) \((\d\d/\d\d/\d{4})\) ===$", re.MULTILINE)


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return {split: generate_records(RECORDS_PER_SPLIT, SEED, split) for split in ("dev", "test")}


def all_records(records: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return records["dev"] + records["test"]


def found(part: list[str], text: str) -> bool:
    folded = text.casefold()
    return any(form.casefold() in folded for form in part)


def test_same_record_twice_and_a_longer_stream_keeps_its_start() -> None:
    assert generate_record(5, "test", 3) == generate_record(5, "test", 3)
    assert generate_records(12, 5, "test")[:4] == generate_records(4, 5, "test")
    assert generate_record(5, "test", 3) != generate_record(6, "test", 3)
    assert generate_record(5, "test", 3)["source"] != generate_record(5, "dev", 3)["source"]


def test_unknown_split_is_a_user_error() -> None:
    with pytest.raises(UserError, match="'dev' or 'test'"):
        generate_record(1, "train", 0)  # type: ignore[arg-type]


def test_schema(records: dict[str, list[dict[str, Any]]]) -> None:
    for split, stream in records.items():
        for index, record in enumerate(stream):
            assert set(record) == {
                "id", "specialty", "difficulty", "documents", "source", "key_facts", "reference",
            }  # fmt: skip
            assert record["id"] == f"rec-{split}-{SEED}-{index:05d}"
            assert record["specialty"] in SPECIALTIES
            assert len(record["documents"]) in DOCUMENT_COUNTS[record["difficulty"]]
            for document in record["documents"]:
                assert set(document) == {"doc_type", "template_id", "title", "date", "text"}
            for fact in record["key_facts"]:
                assert set(fact) == {"id", "type", "text", "forms"}
                assert fact["forms"] and all(fact["forms"])


def test_documents_are_one_case_in_chronological_order(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    for record in all_records(records):
        documents = record["documents"]
        days = [date.fromisoformat(document["date"]) for document in documents]
        assert days == sorted(days)
        assert {"hospitalisation_report", "discharge_summary"} <= {
            document["doc_type"] for document in documents
        }
        headers = HEADER.findall(record["source"])
        assert headers == [
            (d["title"], f"{day:%d/%m/%Y}") for d, day in zip(documents, days, strict=True)
        ]
        for document in documents:
            assert document["text"].rstrip() in record["source"]


def test_records_use_only_templates_of_their_pool(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    used: dict[str, set[str]] = {}
    for split, stream in records.items():
        pool_ids = {t.template_id for (pool, _), ts in POOLS.items() if pool == split for t in ts}
        used[split] = {d["template_id"] for record in stream for d in record["documents"]}
        assert used[split] <= pool_ids
        for record in stream:
            for document in record["documents"]:
                template = TEMPLATES[document["template_id"]]
                assert (template.pool, template.doc_type) == (split, document["doc_type"])
                assert not template.control
    assert not used["dev"] & used["test"]


def test_every_key_fact_is_stated_by_the_source(records: dict[str, list[dict[str, Any]]]) -> None:
    for record in all_records(records):
        for fact in record["key_facts"]:
            for part in fact["forms"]:
                assert found(part, record["source"]), (record["id"], fact)


def test_the_reference_states_every_key_fact_with_its_first_forms(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    for record in all_records(records):
        reference = record["reference"].casefold()
        for fact in record["key_facts"]:
            assert fact["text"] in record["reference"]
            for part in fact["forms"]:
                assert part[0].casefold() in reference, (record["id"], fact)
        assert "===" not in record["reference"]


def test_key_facts_are_typed_ordered_and_always_name_diagnosis_and_treatment(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    for record in all_records(records):
        types = [fact["type"] for fact in record["key_facts"]]
        assert types == sorted(types, key=KEY_FACT_TYPES.index)
        assert types.count("diagnosis") == 1
        assert "treatment" in types and "follow_up" in types
        ids = [fact["id"] for fact in record["key_facts"]]
        assert len(ids) == len(set(ids))
        assert all(fact["id"].startswith(f"{fact['type']}-") for fact in record["key_facts"])
    seen = Counter(fact["type"] for r in records["test"] for fact in r["key_facts"])
    assert set(seen) == set(KEY_FACT_TYPES)


def test_dates_and_doses_accept_other_spellings(records: dict[str, list[dict[str, Any]]]) -> None:
    procedure = next(
        fact for r in records["test"] for fact in r["key_facts"] if fact["type"] == "procedure"
    )
    day = date.fromisoformat(procedure["forms"][1][3])  # the ISO form
    assert procedure["forms"][1][:2] == [f"{day:%d/%m/%Y}", procedure["forms"][1][1]]
    assert {f"{day:%d.%m.%Y}", f"{day:%d/%m/%y}", f"{day:%d-%m-%Y}"} <= set(procedure["forms"][1])
    assert _quantity_forms("2,5 mg") == ["2,5 mg", "2.5 mg", "2,5mg", "2.5mg"]
    assert "5 432 pg/mL" in _quantity_forms("5432 pg/mL")
    assert {"75 μg", "75µg"} <= set(_quantity_forms("75 µg"))
    assert "605 nmol/24h" in _quantity_forms("605 nmol/24 h")
    assert _quantity_forms("7,28") == ["7,28", "7.28"]


def test_allergen_aliases_name_allergens_the_generator_writes() -> None:
    allergens = {"".join(text for text, _ in allergy).split(" (")[0] for allergy in _ALLERGIES}
    assert set(_ALLERGEN_ALIASES) <= allergens


def test_specialties_and_difficulties_all_occur_in_100_records(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    first = records["test"][:100]
    specialties = Counter(record["specialty"] for record in first)
    difficulties = Counter(record["difficulty"] for record in first)
    assert set(specialties) == set(SPECIALTIES)
    assert set(difficulties) == set(DIFFICULTIES)
    assert max(specialties.values()) - min(specialties.values()) <= 1  # stratified
    assert max(difficulties.values()) - min(difficulties.values()) <= 1
    # Tumour board syntheses appear, in oncology only.
    rcp = {
        r["specialty"] for r in first for d in r["documents"] if d["doc_type"] == "rcp_synthesis"
    }
    assert rcp == {"oncologie"}


def test_source_lengths_grow_with_difficulty(records: dict[str, list[dict[str, Any]]]) -> None:
    lengths = {
        difficulty: [len(r["source"]) for r in records["test"] if r["difficulty"] == difficulty]
        for difficulty in DIFFICULTIES
    }
    medians = [statistics.median(lengths[difficulty]) for difficulty in DIFFICULTIES]
    assert medians == sorted(medians)
    every = [length for values in lengths.values() for length in values]
    assert min(every) > 1500 and max(every) < 15000


def test_drug_lexicon_covers_every_drug_the_generator_writes(
    records: dict[str, list[dict[str, Any]]],
) -> None:
    lexicon = drug_lexicon()
    assert {"paracétamol", "énoxaparine", "amlodipine", "pénicilline", "sacubitril/valsartan"} <= (
        lexicon
    )
    for note in generate_notes(400, SEED, "dev") + generate_notes(400, SEED, "test"):
        for span in note["keep"]:
            if span["kind"] == "drug":
                assert note["text"][span["start"] : span["end"]] in lexicon
    for record in all_records(records):
        for fact in record["key_facts"]:
            if fact["type"] == "treatment":
                assert fact["forms"][0][0] in lexicon


def test_generate_records_command(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    result = CliRunner().invoke(
        app, ["data", "generate-records", "--n", "4", "--seed", "9", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in out.open()] == generate_records(4, 9, "test")
    dev = tmp_path / "dev.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "data",
            "generate-records",
            "--n",
            "2",
            "--seed",
            "9",
            "--split",
            "dev",
            "--out",
            str(dev),
        ],
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in dev.open()] == ["rec-dev-9-00000", "rec-dev-9-00001"]


def test_generate_records_command_rejects_an_unknown_split(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["data", "generate-records", "--split", "train", "--out", str(tmp_path / "x.jsonl")]
    )
    assert result.exit_code == 2
    assert "'train' is not 'dev' or 'test'" in result.output
