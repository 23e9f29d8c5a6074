"""PARHAF: hub snapshots read offline, converted to canonical records, trusted on first use.

The fixtures (``tests/fixtures/parhaf/<dataset>/``, written by ``make_fixtures.py``) are small
snapshots in the hub layout with reports written for these tests; the real data is hub only.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import assert_one_line_error, cli
from typer.testing import CliRunner

from partages_bench.cli import app
from partages_bench.data import cache_dir, catalog, get_dataset, load_splits, locate, pull
from partages_bench.data.parhaf import (
    INFECTIOLOGY_LABELS,
    PSEUDO_LABELS,
    RESPONSE_LABELS,
    convert_parhaf,
)
from partages_bench.data.snapshot import ContractError, snapshot_sha256s
from partages_bench.data.store import write_checksums
from partages_bench.errors import ChecksumError, DataPullError, DatasetMissingError, UserError

FIXTURES = Path(__file__).parent / "fixtures" / "parhaf"
PARHAF = ("parhaf", "parhaf_pseudo", "parhaf_infectiology", "parhaf_response")
REVISIONS = {
    "parhaf": ("HealthDataHub/PARHAF", "0a88093ff16168494fdb17aa40a040107171ed9d"),
    "parhaf_pseudo": (
        "HealthDataHub/PARHAF-pseudo-annotated",
        "4d866f075a4d91c4e5ce0058feedd6da1d8e879a",
    ),
    "parhaf_infectiology": (
        "HealthDataHub/PARHAF-infectiology-annotated",
        "452cfeeec0987b8088a6b9294f00dd4f735a5980",
    ),
    "parhaf_response": (
        "HealthDataHub/PARHAF-response_to_treatment-annotated",
        "a100ab2742614821898bc6880c0bff0c9a5bdccd",
    ),
}


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A writable copy of the four fixture snapshots (no ``SHA256SUMS``)."""
    root = tmp_path / "mirror"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def rewrite(path: Path, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Rewrite a parquet file with its rows changed (the schema inferred again)."""
    rows = change(pq.read_table(path).to_pylist())
    pq.write_table(pa.Table.from_pylist(rows), path)


def by_id(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in records}


# --- catalogue ----------------------------------------------------------------------------------


def test_catalog_declares_the_four_snapshots_by_revision() -> None:
    for name in PARHAF:
        spec = get_dataset(name)
        assert spec.snapshot is not None
        assert (spec.hub_id, spec.hub_revision) == REVISIONS[name]
        assert (spec.snapshot.repo_id, spec.snapshot.revision) == REVISIONS[name]
        assert spec.licence == "CC-BY-4.0"
        assert "arXiv:2603.20494" in spec.citation
        assert spec.files == () and not spec.pinned_by_sha256
    assert set(PARHAF) < set(catalog.DATASETS)


def test_a_snapshot_is_located_by_its_card(mirror: Path, tmp_path: Path) -> None:
    spec = get_dataset("parhaf_pseudo")
    assert locate(spec, mirror) == mirror / "parhaf_pseudo"
    (tmp_path / "empty" / "parhaf_pseudo").mkdir(parents=True)
    assert locate(spec, tmp_path / "empty") is None
    with pytest.raises(DatasetMissingError, match="run `partages-bench data pull parhaf_pseudo`"):
        load_splits("parhaf_pseudo", tmp_path / "empty")


# --- conversion ---------------------------------------------------------------------------------


def test_pseudo_records_have_native_labels_roles_and_linked_entities() -> None:
    splits = load_splits("parhaf_pseudo", FIXTURES)
    assert {split: len(records) for split, records in splits.items()} == {"train": 5, "dev": 3}
    record = by_id(splits["train"])["pseudo-train-01"]
    assert record["speciality"] == "CARDIOLOGIE"
    assert record["text"].startswith("COMPTE RENDU D'HOSPITALISATION - Service de cardiologie\n")
    first, second = record["entities"][:2]
    assert first == {
        "start": 71,
        "end": 77,
        "text": "Claire",
        "label": "FIRST_NAME",
        "role": "Patient",
        "entity_id": "pseudo-train-01:e0",
    }
    assert (second["text"], second["label"], second["role"]) == ("DUVAL", "LAST_NAME", "Patient")
    # Same label, same text: one entity, whatever the role (the daughter shares the name).
    duval = [e for e in record["entities"] if e["text"] == "DUVAL"]
    assert [e["role"] for e in duval] == ["Patient", "Carer"]
    assert {e["entity_id"] for e in duval} == {"pseudo-train-01:e1"}
    date = next(e for e in record["entities"] if e["label"] == "UNIDENTIFYING_DATE")
    assert (date["text"], date["role"]) == ("2009", None)

    everything = [e for records in splits.values() for r in records for e in r["entities"]]
    assert {e["label"] for e in everything} == set(PSEUDO_LABELS)
    assert {e["role"] for e in everything} == {"Patient", "Carer", "Other", None}
    for records in splits.values():
        for r in records:
            assert all(r["text"][e["start"] : e["end"]] == e["text"] for e in r["entities"])
            assert r["entities"] == sorted(
                r["entities"], key=lambda e: (e["start"], e["end"], e["label"])
            )
    long = by_id(splits["dev"])["pseudo-dev-03"]
    assert 8_000 < len(long["text"]) < 10_000
    assert long["entities"][-1]["label"] == "URL"


def test_infectiology_records_are_ner_documents_with_negation() -> None:
    splits = load_splits("parhaf_infectiology", FIXTURES)
    assert {split: len(records) for split, records in splits.items()} == {"train": 5, "dev": 3}
    record = by_id(splits["train"])["infectio-train-01"]
    assert record["speciality"] == "MALADIES INFECTIEUSES"
    negated = next(e for e in record["entities"] if e["label"] == "Bacteriemie")
    # The fixture's spans have no begin/end: located by their text.
    start = record["text"].index("pas de bactériémie")
    assert negated == {
        "id": "infectio-train-01-T3",
        "start": start,
        "end": start + len("pas de bactériémie"),
        "label": "Bacteriemie",
        "text": "pas de bactériémie",
        "fragments": [[start, start + len("pas de bactériémie")]],
        "discontinuous": False,
        "negation": "Absent",
    }
    everything = [e for records in splits.values() for r in records for e in r["entities"]]
    assert {e["label"] for e in everything} == set(INFECTIOLOGY_LABELS)
    assert Counter(e["negation"] for e in everything) == {
        "Present": 25,
        "Absent": 4,
        "Indetermine": 4,
    }
    assert 8_000 < len(by_id(splits["dev"])["infectio-dev-03"]["text"]) < 10_000


def test_response_records_have_the_label_and_justifications() -> None:
    splits = load_splits("parhaf_response", FIXTURES)
    records = by_id([r for records in splits.values() for r in records])
    assert {r["label"] for r in records.values()} == set(RESPONSE_LABELS)
    assert {r["speciality"] for r in records.values()} == {"INCONNUE"}  # no such column
    partial = records["response-dev-02"]
    assert partial["label"] == "ReponsePartielle"
    text = "diminution de 45 % de la somme des lésions cibles"
    start = partial["text"].index(text)
    assert partial["justifications"] == [{"start": start, "end": start + len(text), "text": text}]
    # Null begin/end in the file: located by its text.
    stable = records["response-train-03"]["justifications"]
    assert [j["text"] for j in stable] == ["lésions cibles stables (variation de -8 %)"]
    assert records["response-train-04"]["justifications"] == []
    assert [j["text"] for j in records["response-dev-03"]["justifications"]] == [
        "prise de contraste nouvelle controlatérale",
        "Progression selon les critères RANO",
    ]


def test_scenario_records_have_the_eight_fields_as_text_and_code() -> None:
    splits = load_splits("parhaf", FIXTURES)
    assert {split: len(records) for split, records in splits.items()} == {"train": 5, "dev": 3}
    train = by_id(splits["train"])
    baby = train["parhaf-train-03"]
    assert baby["speciality"] == "MEDECINE PEDIATRIQUE"
    assert baby["scenario"] == {
        "name": {"text": "Léo Martin", "code": None},
        "age": {"text": "8 mois", "code": None},
        "sex": {"text": "M", "code": None},
        "admission_mode": {"text": "Urgences", "code": None},
        "discharge_mode": {"text": "Domicile", "code": None},
        "primary_diagnosis": {
            "text": "Bronchiolite aiguë à virus respiratoire syncytial",
            "code": None,
        },
        "primary_procedure": {"text": None, "code": None},
        "type_of_care": {"text": "Hospitalisation complète", "code": None},
    }
    kidney = train["parhaf-train-04"]["scenario"]
    assert kidney["name"] == kidney["type_of_care"] == {"text": None, "code": None}
    assert kidney["primary_diagnosis"] == {
        "text": "Insuffisance rénale aiguë, sans précision",
        "code": "N17.9",
    }  # the first of two
    assert kidney["primary_procedure"]["code"] == "JVJF004"
    surgery = train["parhaf-train-02"]
    assert surgery["text"] == (
        "Cholécystectomie par cœlioscopie chez Mme Nadia Haddad, 42 ans, pour cholécystite "
        "lithiasique. Intervention sans difficulté.\n\nPrise en charge en chirurgie "
        "ambulatoire, sortie le soir même au domicile."
    )
    assert by_id(splits["dev"])["parhaf-dev-03"]["scenario"]["primary_diagnosis"] == {
        "text": None,
        "code": None,
    }


def test_scenario_sequences_may_come_as_a_dict_of_lists() -> None:
    """``datasets`` decodes a ``Sequence`` of a struct declared in a card as a dict of lists."""
    row = {
        "id": "case-1",
        "specialty": "UROLOGIE",
        "documents": {"type": ["CRO", "CRH"], "text": ["Premier.", "  Second. "]},
        "suggested_scenario": {
            "age": {"value": 61, "unit": None},
            "primary_diagnosis": {"code": [None, "N40"], "description": ["", "Hyperplasie"]},
            "sex": "  ",
        },
    }
    (record,) = convert_parhaf({"default": {"test": [row]}})["test"]
    assert record["text"] == "Premier.\n\nSecond."
    assert record["scenario"]["age"] == {"text": "61", "code": None}
    assert record["scenario"]["primary_diagnosis"] == {"text": "Hyperplasie", "code": "N40"}
    assert record["scenario"]["sex"] == record["scenario"]["name"] == {"text": None, "code": None}


def test_the_public_layout_without_dev_gets_a_seeded_dev_draw() -> None:
    """The hub's PARHAF has a train split only: a fifth of its cases, drawn with a fixed seed,
    become dev (the same draw every time, whatever the row order); a declared dev is kept."""
    rows = [
        {"id": f"case-{n:02d}", "specialty": "UROLOGIE", "documents": [], "suggested_scenario": {}}
        for n in range(10)
    ]
    splits = convert_parhaf({"default": {"train": rows}})
    again = convert_parhaf({"default": {"train": rows[::-1]}})
    assert [len(splits["train"]), len(splits["dev"])] == [8, 2]
    assert {r["id"] for r in splits["dev"]} == {r["id"] for r in again["dev"]}
    assert not {r["id"] for r in splits["dev"]} & {r["id"] for r in splits["train"]}
    declared = convert_parhaf({"default": {"train": rows[:6], "dev": rows[6:]}})
    assert [r["id"] for r in declared["dev"]] == ["case-06", "case-07", "case-08", "case-09"]


# --- errors -------------------------------------------------------------------------------------


def test_a_span_not_in_its_report_is_one_error_naming_it(mirror: Path) -> None:
    def misspell(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[1]["span_text"] = "Pseudomonas aeruginosa"
        return rows

    rewrite(mirror / "parhaf_infectiology/data/spans/spans_dev.parquet", misspell)
    with pytest.raises(UserError) as caught:
        load_splits("parhaf_infectiology", mirror)
    assert str(caught.value) == (
        "parhaf_infectiology: report 'infectio-dev-01': span 'Pseudomonas aeruginosa' has no "
        "begin/end and does not occur in the report text"
    )


def test_offsets_that_do_not_cover_the_span_are_an_error(mirror: Path) -> None:
    def shift(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[0]["begin"] += 1
        return rows

    rewrite(mirror / "parhaf_pseudo/data/spans/spans_train.parquet", shift)
    with pytest.raises(UserError, match=r"^parhaf_pseudo: report 'pseudo-train-01': span 'Claire'"):
        load_splits("parhaf_pseudo", mirror)


def test_offsets_that_went_through_pandas_are_read(mirror: Path) -> None:
    """A table with a missing offset saved by pandas holds floats, NaN for the missing one."""
    spans = mirror / "parhaf_response/data/spans/spans_train.parquet"
    frame = pq.read_table(spans).to_pandas()
    assert frame["begin"].dtype == "float64" and frame["begin"].isna().sum() == 1
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), spans)
    assert load_splits("parhaf_response", mirror) == load_splits("parhaf_response", FIXTURES)


def test_a_span_of_an_unknown_report_is_an_error(mirror: Path) -> None:
    def orphan(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[-1]["report"] = "response-dev-99"
        return rows

    rewrite(mirror / "parhaf_response/data/spans/spans_dev.parquet", orphan)
    with pytest.raises(UserError) as caught:
        load_splits("parhaf_response", mirror)
    assert str(caught.value) == (
        "parhaf_response: split 'dev': span 'Progression selon les critères RANO' belongs to "
        "report 'response-dev-99', which has no document_metadata row"
    )


# --- trust on first use and the caches ----------------------------------------------------------


def test_recorded_checksums_guard_every_file_of_the_snapshot(mirror: Path) -> None:
    folder = mirror / "parhaf_response"
    recorded = snapshot_sha256s(folder)
    assert sorted(recorded) == [
        "README.md",
        "data/document_metadata/document_metadata_dev.parquet",
        "data/document_metadata/document_metadata_train.parquet",
        "data/spans/spans_dev.parquet",
        "data/spans/spans_train.parquet",
    ]
    write_checksums(folder, recorded)
    assert len(load_splits("parhaf_response", mirror)["dev"]) == 3
    (folder / "notes.txt").write_text("un fichier non listé est accepté tel quel\n")
    assert len(load_splits("parhaf_response", mirror)["dev"]) == 3

    spans = folder / "data/spans/spans_dev.parquet"
    rewrite(spans, lambda rows: rows[:1])
    with pytest.raises(ChecksumError, match=r"spans_dev\.parquet has sha256 .* recorded in .*SHA"):
        load_splits("parhaf_response", mirror)
    spans.unlink()
    with pytest.raises(DatasetMissingError, match=r"spans_dev\.parquet is missing \(listed in"):
        load_splits("parhaf_response", mirror)


def test_a_changed_file_is_read_again_not_served_from_a_stale_build(mirror: Path) -> None:
    """``datasets`` served the old build of a changed folder (issue 20): each checksum set gets a
    cache of its own, for the records and for ``datasets``."""
    first = load_splits("parhaf_response", mirror)
    assert by_id(first["dev"])["response-dev-01"]["label"] == "NonDetermine"

    def relabel(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows[0]["attribute_Nomenclature"] = "NonApplicable"
        return rows

    rewrite(
        mirror / "parhaf_response/data/document_metadata/document_metadata_dev.parquet", relabel
    )
    second = load_splits("parhaf_response", mirror)
    assert by_id(second["dev"])["response-dev-01"]["label"] == "NonApplicable"
    assert second["train"] == first["train"]
    entries = sorted((cache_dir() / "parhaf_response").iterdir())
    assert len(entries) == 2 and all((entry / "datasets").is_dir() for entry in entries)


# --- the contract -------------------------------------------------------------------------------


def test_a_renamed_column_is_one_error_naming_dataset_config_and_column(mirror: Path) -> None:
    def rename(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {("attribute_Negation" if k == "attribute_NEGATION" else k): v for k, v in row.items()}
            for row in rows
        ]

    rewrite(mirror / "parhaf_infectiology/data/spans/spans_dev.parquet", rename)
    with pytest.raises(ContractError) as caught:
        load_splits("parhaf_infectiology", mirror)
    assert str(caught.value) == (
        "parhaf_infectiology: does not match its contract: config 'spans', split 'dev': column "
        "'attribute_NEGATION' is missing (columns: attribute_LABEL, attribute_Negation, report, "
        "span_text, span_type)"
    )
    result = cli("data", "audit", "parhaf_infectiology", "--data-dir", str(mirror))
    assert_one_line_error(result, "config 'spans', split 'dev': column 'attribute_NEGATION'")
    assert "  split dev: 14 rows; columns: report, span_text, span_type, attribute_LABEL, " in (
        result.stdout
    )
    assert "    attribute_Negation: Absent (2), Indetermine (1), Present (11)\n" in result.stdout


def test_an_unknown_label_is_one_error_listing_the_unexpected_values(mirror: Path) -> None:
    def relabel(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            if row["attribute_Categorie"] == "CITY":
                row["attribute_Categorie"] = "LOCATION"
        rows[0]["attribute_RolePER"] = "Doctor"
        return rows

    rewrite(mirror / "parhaf_pseudo/data/spans/spans_train.parquet", relabel)
    with pytest.raises(ContractError) as caught:
        load_splits("parhaf_pseudo", mirror)
    message = str(caught.value)
    assert message.startswith(
        "parhaf_pseudo: does not match its contract: config 'spans', split 'train': column "
        "'attribute_Categorie' has unexpected values 'LOCATION' (3) (allowed: ADDRESS, CITY, "
    )
    assert message.endswith(
        "; config 'spans', split 'train': column 'attribute_RolePER' has unexpected values "
        "'Doctor' (1) (allowed: Carer, Other, Patient)"
    )
    assert "\n" not in message


def test_audit_shows_the_observed_contract(mirror: Path) -> None:
    result = cli("data", "audit", "parhaf_pseudo", "--data-dir", str(mirror), "--json")
    assert result.returncode == 0, result.stderr
    audit = json.loads(result.stdout)
    assert (audit["hub_id"], audit["revision"]) == REVISIONS["parhaf_pseudo"]
    assert audit["differences"] == []
    dev = audit["configs"]["spans"]["dev"]
    assert dev["rows"] == 32
    assert dev["values"]["attribute_RolePER"] == {"Carer": 4, "None": 18, "Other": 4, "Patient": 6}
    assert audit["configs"]["document_metadata"]["train"]["columns"] == [
        "report",
        "full_text",
        "specialty",
    ]
    refused = cli("data", "audit", "frenchmedmcqa")
    assert_one_line_error(refused, "'frenchmedmcqa' is not a hub snapshot")


# --- export -------------------------------------------------------------------------------------


def test_export_writes_the_records_a_task_reads(mirror: Path, tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    result = cli(
        "data",
        "export",
        "parhaf_response",
        "--split",
        "dev",
        "--out",
        str(out),
        "--data-dir",
        str(mirror),
    )
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == load_splits("parhaf_response", mirror)["dev"]
    assert '"label": "NonDetermine"' in lines[0]  # French stays readable: no \\u escapes
    missing = cli(
        "data",
        "export",
        "parhaf_response",
        "--split",
        "test",
        "--out",
        str(out),
        "--data-dir",
        str(mirror),
    )
    assert_one_line_error(missing, "parhaf_response has no split 'test'; its splits: train, dev")


def test_export_works_for_every_dataset(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "refomed.jsonl"
    arguments = ("--split", "test", "--out", str(out), "--data-dir", str(shared_data))
    result = cli("data", "export", "refomed_fr", *arguments)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records == load_splits("refomed_fr", shared_data)["test"]


# --- pull ---------------------------------------------------------------------------------------

TOKEN = "hf_NotARealTokenButSecret42"


def fake_hub(monkeypatch: pytest.MonkeyPatch, served: Path) -> list[dict[str, Any]]:
    """``huggingface_hub.snapshot_download`` copying ``served`` (and writing the hub's ``.cache``
    bookkeeping, as it does); returns the calls it got."""
    import huggingface_hub

    calls: list[dict[str, Any]] = []

    def snapshot_download(repo_id: str, **options: Any) -> str:
        calls.append({"repo_id": repo_id, **options})
        local = Path(options["local_dir"])
        shutil.copytree(served, local, dirs_exist_ok=True)
        (local / ".cache" / "huggingface").mkdir(parents=True, exist_ok=True)
        (local / ".cache" / "huggingface" / "README.md.metadata").write_text("etag\n")
        return str(local)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    monkeypatch.delenv("PARTAGES_BENCH_OFFLINE")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return calls


def test_pull_downloads_the_snapshot_by_revision_and_records_every_file(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = mirror / "parhaf_pseudo"
    calls = fake_hub(monkeypatch, served)
    root = tmp_path / "pulled"
    result = CliRunner().invoke(app, ["data", "pull", "parhaf_pseudo", "--to", str(root)])
    assert result.exit_code == 0, result.output
    assert calls == [
        {
            "repo_id": "HealthDataHub/PARHAF-pseudo-annotated",
            "revision": "4d866f075a4d91c4e5ce0058feedd6da1d8e879a",
            "repo_type": "dataset",
            "local_dir": calls[0]["local_dir"],
            "token": TOKEN,
        }
    ]
    folder = root / "parhaf_pseudo"
    recorded = catalog.read_checksums(folder / "SHA256SUMS")
    assert recorded == snapshot_sha256s(served) and len(recorded) == 5  # card + 4 parquet files
    # The token reached the library and nothing else: not the output, not a file.
    assert TOKEN not in result.output
    for path in root.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes(), path
    assert [p.name for p in root.iterdir()] == ["parhaf_pseudo"]  # no temporary folder left
    assert load_splits("parhaf_pseudo", root) == load_splits("parhaf_pseudo", FIXTURES)

    CliRunner().invoke(app, ["data", "pull", "parhaf_pseudo", "--to", str(root)])
    assert len(calls) == 1  # complete and verified: nothing downloaded

    spans = folder / "data/spans/spans_dev.parquet"
    spans.write_bytes(spans.read_bytes()[:-1] + b"\0")
    with pytest.raises(ChecksumError, match=r"spans_dev\.parquet has sha256"):
        load_splits("parhaf_pseudo", root)
    pull("parhaf_pseudo", to=root)  # a damaged file is fetched again
    assert len(calls) == 2 and snapshot_sha256s(folder) == recorded

    (served / "README.md").write_text("autre carte\n", encoding="utf-8")
    spans.unlink()
    with pytest.raises(ChecksumError, match=r"README\.md from HealthDataHub.*nothing was kept"):
        pull("parhaf_pseudo", to=root)
    assert not spans.exists() and catalog.read_checksums(folder / "SHA256SUMS") == recorded


def test_pull_is_refused_offline_and_hub_errors_are_one_line(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_hub(monkeypatch, mirror / "parhaf")
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", "1")
    with pytest.raises(DataPullError, match="PARTAGES_BENCH_OFFLINE is set"):
        pull("parhaf", to=tmp_path / "offline")
    assert calls == []
    monkeypatch.delenv("PARTAGES_BENCH_OFFLINE")

    import huggingface_hub

    def refused(repo_id: str, **options: Any) -> str:
        raise OSError(f"401 Client Error: Unauthorized for {repo_id} (token {options['token']})")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", refused)
    with pytest.raises(DataPullError) as caught:
        pull("parhaf", to=tmp_path / "gated")
    assert str(caught.value) == (
        "parhaf: cannot download HealthDataHub/PARHAF at revision "
        "0a88093ff16168494fdb17aa40a040107171ed9d from the hub: 401 Client Error: Unauthorized "
        "for HealthDataHub/PARHAF (token ***); if the dataset is gated, accept its conditions on "
        "the hub and set $HF_TOKEN"
    )


# --- the card decides the splits ----------------------------------------------------------------


def test_an_embargoed_test_split_declared_in_the_card_is_read(mirror: Path) -> None:
    """The day a user has the test files in the same layout, declared in the card."""
    folder = mirror / "parhaf_response"
    for config in ("document_metadata", "spans"):
        dev = folder / f"data/{config}/{config}_dev.parquet"
        test = dev.with_name(f"{config}_test.parquet")
        shutil.copyfile(dev, test)
        rewrite(test, lambda rows: [{**r, "report": r["report"] + "-test"} for r in rows])
    card = folder / "README.md"
    declared = card.read_text(encoding="utf-8")
    for config in ("document_metadata", "spans"):
        line = f"    path: data/{config}/{config}_dev.parquet\n"
        test = f"  - split: test\n    path: data/{config}/{config}_test.parquet\n"
        declared = declared.replace(line, line + test)
    card.write_text(declared, encoding="utf-8")
    splits = load_splits("parhaf_response", mirror)
    assert list(splits) == ["train", "dev", "test"]
    assert [r["id"] for r in splits["test"]] == [f"{r['id']}-test" for r in splits["dev"]]
    assert [r["label"] for r in splits["test"]] == [r["label"] for r in splits["dev"]]


def test_a_file_the_card_declares_but_the_folder_lacks_is_one_error(mirror: Path) -> None:
    missing = mirror / "parhaf_pseudo/data/document_metadata/document_metadata_dev.parquet"
    missing.unlink()
    with pytest.raises(UserError) as caught:
        load_splits("parhaf_pseudo", mirror)
    message = str(caught.value)
    assert message == (
        f"{mirror / 'parhaf_pseudo'}: cannot read the snapshot with datasets: Unable to find "
        f"'{missing}' with any supported extension […]"
    )
