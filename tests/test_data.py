"""Data layer against the real offline mirror: catalogue, verification, cache, pull over HTTP.

Everything runs offline: ``pull`` is exercised against a real HTTP server on 127.0.0.1 that serves
the shared mirror (or a tampered copy of it), and the Mantra-style zip path against a small zip
built here, since the real archive cannot be fetched offline.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import importlib
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from helpers import HttpServer, Serve

from partages_bench.data import (
    Archive,
    DatasetSpec,
    SourceFile,
    cache_dir,
    catalog,
    dataset_status,
    get_dataset,
    is_available,
    load_splits,
    locate,
    pull,
    verify,
)
from partages_bench.errors import (
    ChecksumError,
    DataPullError,
    DatasetMissingError,
    UnknownDatasetError,
    UserError,
)

# The package re-exports the function ``pull``, which shadows the submodule attribute.
pull_module = importlib.import_module("partages_bench.data.pull")

NAMES = (
    "frenchmedmcqa",
    "e3c_fr",
    "quaero_frenchmed",
    "mantra_gsc_fr",
    "eds_pseudo_synthetic",
    "refomed_fr",
    "labforsims2_fr",
    "casimedicos_fr",
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's home and mirror settings."""
    monkeypatch.setenv("PARTAGES_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PARTAGES_BENCH_HOME", str(tmp_path / "home"))
    for variable in ("PARTAGES_BENCH_DATA", "PARTAGES_BENCH_MIRROR_URL", "PARTAGES_BENCH_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def mirror(shared_data: Path) -> Path:
    """The real offline mirror (``../shared/data``, see conftest)."""
    return shared_data


def _writable_copy(mirror: Path, name: str, root: Path) -> Path:
    """Copy a dataset's declared files (not their read-only modes) under ``root``."""
    for source in get_dataset(name).files:
        target = root / name / source.local_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / name / source.local_path, target)
    return root / name


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


# --- catalogue and local mirror ---------------------------------------------------------------


def test_catalog_matches_the_mirror(mirror: Path) -> None:
    # mediqal and PARHAF: hub only, see test_families_qa_mediqal and test_data_parhaf
    parhaf = {"parhaf", "parhaf_pseudo", "parhaf_infectiology", "parhaf_response"}
    assert set(catalog.DATASETS) == {*NAMES, "mediqal", *parhaf}
    for name in NAMES:
        spec = get_dataset(name)
        assert spec.name == name
        assert len(spec.commit) == 40 and int(spec.commit, 16) >= 0
        assert spec.licence and spec.citation and spec.title
        packaged = catalog.CHECKSUM_DIR / f"{name}.sha256"
        assert packaged.read_bytes() == (mirror / name / "SHA256SUMS").read_bytes()
        declared = {f.local_path: f.sha256 for f in spec.files}
        assert declared == catalog.read_checksums(mirror / name / "SHA256SUMS")
    assert [f.commit for f in get_dataset("eds_pseudo_synthetic").files] == [
        None,  # LICENSE, from the dataset's commit (HEAD)
        "76beb8ea97cfa5140f1f819a897c7084751cf528",
        "1fa4bc9044ada4563609c562c289b1ad64200461",
        None,  # data/templates.txt
    ]
    mantra = get_dataset("mantra_gsc_fr").files
    assert sum(f.archive is not None for f in mantra) == 500
    assert all(f.remote_path == f.local_path for f in mantra)
    quaero = {f.local_path: f for f in get_dataset("quaero_frenchmed").files}
    assert quaero["corpus/train/EMEA/annotation.conf"].remote_path == (
        "CLEF_2017/dataset/corpus/train/EMEA/annotation.conf"
    )
    assert quaero["LICENSE-GFDL-1.3.txt"].url is not None


def test_unknown_dataset_lists_known_names() -> None:
    known = "known datasets: casimedicos_fr, e3c_fr, eds_pseudo_synthetic"
    with pytest.raises(UnknownDatasetError, match=known):
        get_dataset("frenchmedqa")


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_verifies_in_the_mirror(mirror: Path, name: str) -> None:
    spec = get_dataset(name)
    assert locate(spec, mirror) == mirror / name
    verify(spec, mirror / name)


def test_locate_searches_explicit_then_env_then_pull_dir(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = get_dataset("refomed_fr")
    assert not is_available(spec)
    assert dataset_status(spec) == dataset_status(spec, tmp_path / "nowhere")
    assert dataset_status(spec).location is None
    monkeypatch.setenv("PARTAGES_BENCH_DATA", str(mirror))
    status = dataset_status(spec)
    assert (status.available, status.location, status.licence) == (
        True,
        mirror / "refomed_fr",
        "CC-BY-NC-4.0",
    )
    pulled = _writable_copy(mirror, "refomed_fr", tmp_path / "home" / "data")
    monkeypatch.delenv("PARTAGES_BENCH_DATA")
    assert locate(spec) == pulled
    (pulled / "Licence.md").unlink()  # incomplete copies do not count
    assert locate(spec) is None


# --- conversion and cache ---------------------------------------------------------------------


def test_frenchmedmcqa_is_converted_once_then_read_from_cache(
    mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = get_dataset("frenchmedmcqa")
    assert spec.converter is not None
    calls: list[Path] = []

    def counting(folder: Path) -> dict[str, list[dict[str, Any]]]:
        calls.append(folder)
        assert spec.converter is not None
        return spec.converter(folder)

    monkeypatch.setitem(catalog.DATASETS, spec.name, dataclasses.replace(spec, converter=counting))
    first = load_splits("frenchmedmcqa", data_dir=mirror)
    assert {split: len(records) for split, records in first.items()} == {
        "train": 2170,
        "validation": 312,
        "test": 622,
    }
    keys = {"id", "question", "options", "correct_answers", "nbr_correct_answers", "subject_name"}
    for records in first.values():
        assert len({r["id"] for r in records}) == len(records)
        for record in records:
            assert set(record) == keys
            assert list(record["options"]) == ["a", "b", "c", "d", "e"]
            answers = record["correct_answers"]
            assert answers == sorted(set(answers)) and set(answers) <= set("abcde")
            assert record["nbr_correct_answers"] == len(answers) >= 1
    second = load_splits("frenchmedmcqa", data_dir=mirror)
    assert len(calls) == 1
    assert second == first
    assert len(list(cache_dir().glob("frenchmedmcqa/*/train.jsonl"))) == 1


def test_missing_dataset_names_it_and_the_pull_command(tmp_path: Path) -> None:
    with pytest.raises(DatasetMissingError) as caught:
        load_splits("frenchmedmcqa", data_dir=tmp_path / "empty")
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path / "empty" / "frenchmedmcqa") in message
    assert "partages-bench data pull frenchmedmcqa" in message
    assert "PARTAGES_BENCH_DATA" in message


def test_dataset_without_converter_is_a_user_error(
    mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = dataclasses.replace(get_dataset("refomed_fr"), converter=None)
    monkeypatch.setattr("partages_bench.data.store.get_dataset", lambda name: bare)
    with pytest.raises(UserError, match="no task uses it yet"):
        load_splits("refomed_fr", data_dir=mirror)


def test_refomed_pairs_are_read_from_its_tab_separated_files(mirror: Path) -> None:
    splits = load_splits("refomed_fr", data_dir=mirror)
    assert {split: len(rows) for split, rows in splits.items()} == {
        "train": 3981,
        "validation": 1063,
        "test": 1253,
    }
    assert splits["test"][0] == {
        "id": "test-2",
        "term": "affection néoplasique",
        "reformulation": (
            "affection splénique , gastrique , génito-urinaire , endocrinien , vésicale"
        ),
    }


def test_corrupted_mirror_is_rejected(mirror: Path, tmp_path: Path) -> None:
    folder = _writable_copy(mirror, "frenchmedmcqa", tmp_path / "mirror")
    _flip_byte(folder / "corpus" / "dev.json")
    with pytest.raises(ChecksumError, match=r"corpus/dev\.json has sha256 \w{12}…, expected"):
        load_splits("frenchmedmcqa", data_dir=tmp_path / "mirror")
    assert not list(cache_dir().rglob("*.jsonl"))


# --- pull over a local HTTP server ------------------------------------------------------------


def test_pull_from_an_http_mirror_verifies_and_skips_present_files(
    mirror: Path, serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(mirror)
    seen: list[tuple[int, int]] = []
    folder = pull(
        "frenchmedmcqa",
        to=tmp_path / "pulled",
        base_url=server.url,
        progress=lambda done, total: seen.append((done, total)),
    )
    monkeypatch.setenv("PARTAGES_BENCH_MIRROR_URL", server.url + "/")
    pull("eds_pseudo_synthetic", to=tmp_path / "pulled")
    assert folder == tmp_path / "pulled" / "frenchmedmcqa"
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    for name in ("frenchmedmcqa", "eds_pseudo_synthetic"):
        verify(get_dataset(name), tmp_path / "pulled" / name)
    assert len(server.paths) == 3 + 4
    assert "/eds_pseudo_synthetic/data/gen_dataset/train.jsonl" in server.paths

    pull("frenchmedmcqa", to=tmp_path / "pulled", base_url=server.url)
    pull("eds_pseudo_synthetic", to=tmp_path / "pulled")
    assert len(server.paths) == 7


def test_pull_rejects_a_corrupted_download(serve: Serve, tmp_path: Path, mirror: Path) -> None:
    _flip_byte(
        _writable_copy(mirror, "frenchmedmcqa", tmp_path / "served") / "corpus" / "test.json"
    )
    server = serve(tmp_path / "served")
    with pytest.raises(ChecksumError, match=r"corpus/test\.json from http://127\.0\.0\.1"):
        pull("frenchmedmcqa", to=tmp_path / "pulled", base_url=server.url)
    corpus = tmp_path / "pulled" / "frenchmedmcqa" / "corpus"
    assert sorted(p.name for p in corpus.iterdir()) == ["dev.json"]  # no bad or partial file


def test_offline_mode_refuses_before_any_request(
    serve: Serve, tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(mirror)
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", "1")
    with pytest.raises(DataPullError, match="PARTAGES_BENCH_OFFLINE"):
        pull("frenchmedmcqa", to=tmp_path / "pulled", base_url=server.url)
    assert server.paths == []


@pytest.mark.parametrize(
    ("value", "offline"),
    [
        *((v, False) for v in ("", "0", "false", "no", "off", "False", " OFF ")),
        *((v, True) for v in ("1", "true", "yes", "on", "TRUE", "Yes", " on ")),
    ],
)
def test_the_offline_variable_has_one_reading(
    value: str, offline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", value)
    assert pull_module.is_offline() is offline


@pytest.mark.parametrize(
    ("value", "reason"), [("false", "download failed: no network"), ("On", "offline")]
)
def test_run_reads_the_offline_variable_as_data_pull_does(
    value: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``false`` is online for ``run`` too (it once read any value but 0 as offline)."""
    from partages_bench import runner
    from partages_bench.registry import Registry

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise UserError("no network")

    monkeypatch.setattr(runner, "pull", no_network)
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", value)
    cards = [c for c in Registry.discover().select(["qa"]) if c.dataset == "frenchmedmcqa"]
    _, skipped = runner.plan_tasks(cards, ["qa"], None)
    assert skipped["frenchmedmcqa"].reason == f"not downloaded ({reason})"


@pytest.mark.parametrize("value", ["2", "maybe", "offline", "y"])
def test_another_offline_value_is_one_error_naming_the_variable(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", value)
    with pytest.raises(
        UserError, match=rf"^\$PARTAGES_BENCH_OFFLINE: '{value}' is not a yes or no"
    ):
        pull_module.is_offline()
    with pytest.raises(UserError, match="PARTAGES_BENCH_OFFLINE"):
        pull("frenchmedmcqa", to=tmp_path / "pulled")


def test_network_errors_are_one_line_user_errors(serve: Serve, tmp_path: Path) -> None:
    server = serve(tmp_path)  # serves nothing: every file is a 404
    with pytest.raises(DataPullError) as caught:
        pull("refomed_fr", to=tmp_path / "pulled", base_url=server.url)
    assert str(caught.value) == (
        f"cannot download {server.url}/refomed_fr/Licence.md: HTTP 404 File not found"
    )


# --- archive sources (Mantra) -----------------------------------------------------------------

TOY_REPO = "example/toy"
TOY_COMMIT = "a" * 40
LICENSE_COMMIT = "b" * 40
ANN = "Toy-GSC/French/EMEA/0001.ann"
TOY_MEMBERS = {
    "Toy-GSC/French/EMEA/0001.txt": "Prendre un comprimé par jour.\n".encode(),
    ANN: "T1\tC0994475 12 20\tcomprimé\n".encode(),
}


@pytest.fixture
def toy(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[DatasetSpec, HttpServer]:
    """A Mantra-like dataset: LICENSE at another commit, two members of a zip served locally."""
    served = tmp_path / "served" / TOY_REPO
    (served / LICENSE_COMMIT).mkdir(parents=True)
    (served / LICENSE_COMMIT / "LICENSE").write_bytes(b"GPL-3.0\n")
    (served / TOY_COMMIT).mkdir()
    zipped = served / TOY_COMMIT / "Toy-GSC-brat.zip"
    with zipfile.ZipFile(zipped, "w") as bundle:
        for member, data in TOY_MEMBERS.items():
            bundle.writestr(member, data)
        bundle.writestr("Toy-GSC/English/EMEA/0001.txt", b"Take one tablet a day.\n")
        bundle.writestr("__MACOSX/Toy-GSC/French/EMEA/._0001.txt", b"\x00")
    archive = Archive("Toy-GSC-brat.zip", _sha(zipped.read_bytes()))
    spec = DatasetSpec(
        name="toy",
        title="Toy GSC",
        licence="GPL-3.0",
        citation="Nobody (2025). Toy.",
        repository=TOY_REPO,
        commit=TOY_COMMIT,
        hub_id=None,
        hub_revision=None,
        files=(
            SourceFile("LICENSE", _sha(b"GPL-3.0\n"), "LICENSE", commit=LICENSE_COMMIT),
            *(SourceFile(p, _sha(data), p, archive=archive) for p, data in TOY_MEMBERS.items()),
        ),
    )
    monkeypatch.setitem(catalog.DATASETS, "toy", spec)
    server = serve(tmp_path / "served")
    monkeypatch.setattr(pull_module, "GITHUB_RAW", server.url)
    return spec, server


def test_pull_extracts_declared_archive_members(
    toy: tuple[DatasetSpec, HttpServer], tmp_path: Path
) -> None:
    spec, server = toy
    folder = pull("toy", to=tmp_path / "pulled")
    verify(spec, folder)
    for member, data in TOY_MEMBERS.items():
        assert (folder / member).read_bytes() == data
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == sorted(
        ["LICENSE", *TOY_MEMBERS]
    )
    assert sorted(server.paths) == [
        f"/{TOY_REPO}/{TOY_COMMIT}/Toy-GSC-brat.zip",
        f"/{TOY_REPO}/{LICENSE_COMMIT}/LICENSE",
    ]
    pull("toy", to=tmp_path / "pulled")
    assert len(server.paths) == 2


def _with_file(spec: DatasetSpec, local_path: str, **changes: Any) -> DatasetSpec:
    files = tuple(
        dataclasses.replace(f, **changes) if f.local_path == local_path else f for f in spec.files
    )
    return dataclasses.replace(spec, files=files)


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        ({"sha256": _sha(b"pinned bytes")}, ChecksumError, r"EMEA/0001\.ann from .*zip has"),
        ({"remote_path": "Toy-GSC/French/EMEA/9999.ann"}, DataPullError, "no member"),
    ],
    ids=["corrupted-member", "absent-member"],
)
def test_pull_rejects_a_bad_archive_member(
    toy: tuple[DatasetSpec, HttpServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, str],
    error: type[Exception],
    pattern: str,
) -> None:
    spec, _ = toy
    monkeypatch.setitem(catalog.DATASETS, "toy", _with_file(spec, ANN, **change))
    with pytest.raises(error, match=pattern):
        pull("toy", to=tmp_path / "pulled")
    assert not (tmp_path / "pulled" / "toy" / ANN).exists()


def test_pull_rejects_a_corrupted_archive(
    toy: tuple[DatasetSpec, HttpServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, _ = toy
    archive = Archive("Toy-GSC-brat.zip", _sha(b"another zip"))
    files = tuple(dataclasses.replace(f, archive=archive) if f.archive else f for f in spec.files)
    monkeypatch.setitem(catalog.DATASETS, "toy", dataclasses.replace(spec, files=files))
    with pytest.raises(ChecksumError, match=r"Toy-GSC-brat\.zip has sha256"):
        pull("toy", to=tmp_path / "pulled")
    assert not (tmp_path / "pulled" / "toy" / "Toy-GSC").exists()


# --- run: missing data is pulled when the network is allowed ----------------------------------


def test_run_pulls_a_missing_dataset_unless_offline(
    mirror: Path, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partages_bench.registry import Registry
    from partages_bench.runner import plan_tasks

    # The shared mirror has no MediQAl: only the FrenchMedMCQA tasks can be pulled from it.
    cards = [c for c in Registry.discover().select(["qa"]) if c.dataset == "frenchmedmcqa"]
    monkeypatch.setenv("PARTAGES_BENCH_OFFLINE", "1")
    runnable, skipped = plan_tasks(cards, ["qa"], None)
    assert not runnable
    assert skipped["frenchmedmcqa"].reason == "not downloaded (offline)"
    assert skipped["frenchmedmcqa"].remedy == "partages-bench data pull frenchmedmcqa"

    monkeypatch.delenv("PARTAGES_BENCH_OFFLINE")
    server = serve(mirror)
    monkeypatch.setenv("PARTAGES_BENCH_MIRROR_URL", server.url)
    runnable, skipped = plan_tasks(cards, ["qa"], None)
    assert {card.name for card in runnable} == {
        "frenchmedmcqa",
        "frenchmedmcqa_ll",
        "frenchmedmcqa_nbr",
    }
    assert not skipped
    assert len(server.paths) == 3
    assert is_available(get_dataset("frenchmedmcqa"))


def test_eds_pseudo_notes_are_deduplicated_trimmed_and_linked(mirror: Path) -> None:
    splits = load_splits("eds_pseudo_synthetic", data_dir=mirror)
    assert (len(splits["train"]), len(splits["test"])) == (50, 879)
    notes = splits["train"] + splits["test"]
    assert len({note["note_id"] for note in notes}) == 929
    for note in notes:
        for entity in note["entities"]:
            surface = note["text"][entity["start"] : entity["end"]]
            assert surface == entity["text"] == surface.strip()
            same = [e for e in note["entities"] if e["entity_id"] == entity["entity_id"]]
            assert {(e["label"], e["text"]) for e in same} == {(entity["label"], entity["text"])}
    # 6,566 spans in the file, 304 of them on the 88 repeated lines.
    assert sum(len(note["entities"]) for note in notes) == 6262


# --- NER datasets -----------------------------------------------------------------------------

NER_ENTITY_KEYS = {"id", "start", "end", "label", "text", "fragments", "discontinuous"}


def _check_ner_documents(docs: list[dict[str, Any]]) -> None:
    """Canonical NER documents: unique ids; entities sorted by (start, end, label), each once,
    inside the text, ``text`` their outer extent, ``fragments`` in order within it."""
    assert len({doc["id"] for doc in docs}) == len(docs)
    for doc in docs:
        assert set(doc) == {"id", "text", "subcorpus", "entities"}
        keys = [(e["start"], e["end"], e["label"]) for e in doc["entities"]]
        assert keys == sorted(set(keys))
        for entity in doc["entities"]:
            assert set(entity) == NER_ENTITY_KEYS
            assert 0 <= entity["start"] < entity["end"] <= len(doc["text"])
            assert entity["text"] == doc["text"][entity["start"] : entity["end"]]
            bounds = [offset for fragment in entity["fragments"] for offset in fragment]
            assert bounds == sorted(bounds) and bounds[0] == entity["start"]
            assert bounds[-1] == entity["end"]
            assert entity["discontinuous"] or len(entity["fragments"]) == 1


def _entity_tuples(doc: dict[str, Any]) -> list[tuple[int, int, str, str]]:
    return [(e["start"], e["end"], e["label"], e["text"]) for e in doc["entities"]]


def test_e3c_fr_official_split_and_outer_extents(mirror: Path) -> None:
    splits = load_splits("e3c_fr", data_dir=mirror)
    assert {split: len(docs) for split, docs in splits.items()} == {"train": 36, "test": 45}
    # As many as the CLINENTITY elements (596 / 731): no span is annotated twice.
    assert [sum(len(d["entities"]) for d in docs) for docs in splits.values()] == [596, 731]
    docs = splits["train"] + splits["test"]
    _check_ner_documents(docs)
    assert {d["subcorpus"] for d in docs} == {"E3C"}
    assert {e["label"] for d in docs for e in d["entities"]} == {"CLINENTITY"}
    discontinuous = [e for d in docs for e in d["entities"] if e["discontinuous"]]
    assert len(discontinuous) == 59
    assert all(e["fragments"] == [[e["start"], e["end"]]] for e in discontinuous)
    first = next(d for d in splits["train"] if d["id"] == "FR100003")
    assert (115, 144, "CLINENTITY", "diabète non-insulinodépendant") in _entity_tuples(first)


# Entities (T lines, per the MANIFEST) less those repeating the span and label of an earlier one.
QUAERO_ENTITIES = {
    "emea_train": 2695,
    "emea_validation": 2260,
    "emea_test": 2204 - 4,
    "medline_train": 2994 - 1,
    "medline_validation": 2977 - 1,
    "medline_test": 3103 - 5,
}


def test_quaero_frenchmed_subcorpora_nested_and_discontinuous(mirror: Path) -> None:
    splits = load_splits("quaero_frenchmed", data_dir=mirror)
    assert {split: len(docs) for split, docs in splits.items()} == {
        "emea_train": 11,
        "emea_validation": 12,
        "emea_test": 15,
        "medline_train": 833,
        "medline_validation": 832,
        "medline_test": 833,
    }
    assert {s: sum(len(d["entities"]) for d in docs) for s, docs in splits.items()} == (
        QUAERO_ENTITIES
    )
    # MANIFEST: 27 / 15 / 42 / 13 / 21 / 23, less 3 repeated outer extents.
    assert {
        split: sum(e["discontinuous"] for d in docs for e in d["entities"])
        for split, docs in splits.items()
    } == {
        "emea_train": 27,
        "emea_validation": 15,
        "emea_test": 41,
        "medline_train": 13,
        "medline_validation": 20,
        "medline_test": 22,
    }
    for split, docs in splits.items():
        _check_ner_documents(docs)
        assert {d["subcorpus"] for d in docs} == {split.split("_")[0].upper()}
    labels = collections.Counter(e["label"] for d in splits["emea_train"] for e in d["entities"])
    assert labels == {
        "ANAT": 247,
        "CHEM": 727,
        "DEVI": 48,
        "DISO": 736,
        "GEOG": 22,
        "LIVB": 273,
        "OBJC": 71,
        "PHEN": 19,
        "PHYS": 119,
        "PROC": 433,
    }
    medline = {d["id"]: d for d in splits["medline_train"] + splits["medline_validation"]}
    assert _entity_tuples(medline["10051979"]) == [
        (0, 10, "PROC", "Traitement"),
        (15, 36, "DISO", "métastases hépatiques"),
        (26, 36, "ANAT", "hépatiques"),
        (41, 48, "DISO", "cancers"),
        (41, 60, "DISO", "cancers colorectaux"),
    ]
    # Listed upstream as "DISO 18 27;4 10" (covered text "ectopique artère").
    reordered = next(e for e in medline["3553580"]["entities"] if e["id"] == "T4")
    assert (reordered["start"], reordered["end"], reordered["fragments"]) == (
        4,
        27,
        [[4, 10], [18, 27]],
    )


MANTRA_PATENTS_TRAIN = [
    "Patents/0503_dEP-2057148-B1.u0003",
    "Patents/0508_dEP-2124944-B1.u0016",
    "Patents/0509_dEP-1181366-B1.u0026",
    "Patents/0510_dEP-1663257-B1.u0006",
    "Patents/0517_dEP-1416970-B1.u0026",
    "Patents/0521_dEP-1682537-B1.u0012",
    "Patents/0534_dEP-1537104-B1.u0009",
    "Patents/0540_dEP-1624870-B1.u0029",
    "Patents/0544_dEP-1414451-B1.u0019",
    "Patents/0545_dEP-1267840-B1.u0013",
]


def test_mantra_gsc_fr_groups_from_notes_and_seeded_split(mirror: Path) -> None:
    splits = load_splits("mantra_gsc_fr", data_dir=mirror)
    assert {split: len(docs) for split, docs in splits.items()} == {"train": 50, "test": 200}
    subcorpora = {
        s: collections.Counter(d["subcorpus"] for d in docs) for s, docs in splits.items()
    }
    assert subcorpora == {
        "train": {"EMEA": 20, "Medline": 20, "Patents": 10},
        "test": {"EMEA": 80, "Medline": 80, "Patents": 40},
    }
    train_ids = [d["id"] for d in splits["train"]]
    test_ids = [d["id"] for d in splits["test"]]
    assert [i for i in train_ids if i.startswith("Patents/")] == MANTRA_PATENTS_TRAIN
    assert not set(train_ids) & set(test_ids) and len({*train_ids, *test_ids}) == 250
    converter = get_dataset("mantra_gsc_fr").converter
    assert converter is not None
    again = converter(mirror / "mantra_gsc_fr")
    assert [[d["id"] for d in again[s]] for s in ("train", "test")] == [train_ids, test_ids]

    docs = {d["id"]: d for d in splits["train"] + splits["test"]}
    _check_ner_documents(list(docs.values()))
    assert all(i.startswith(f"{d['subcorpus']}/") for i, d in docs.items())
    entities = collections.Counter()
    discontinuous = collections.Counter()
    for doc in docs.values():
        entities[doc["subcorpus"]] += len(doc["entities"])
        discontinuous[doc["subcorpus"]] += sum(e["discontinuous"] for e in doc["entities"])
    # 431 / 279 / 342 T lines, less 60 / 27 / 27 repeats of a span and group (other CUIs).
    assert entities == {"EMEA": 371, "Medline": 252, "Patents": 315}
    assert discontinuous == {"EMEA": 10, "Medline": 1, "Patents": 3}
    assert (37, 45, "CHEM", "PROTELOS") in _entity_tuples(docs["EMEA/0001_d327.u55"])
    # Deviant notes: "OBJC|CHEM" (a CHEM entity has the same span), then swapped fields.
    assert {e["label"] for e in docs["EMEA/0070_d265.u52"]["entities"] if e["id"] == "T6"} == {
        "OBJC"
    }
    assert (106, 117, "OBJC", "littérature") in _entity_tuples(docs["Medline/0321_d7569194.u1"])
    assert (207, 224, "CHEM", "récepteur du PDGF") in _entity_tuples(
        docs["Patents/0532_dEP-1506175-B1.u0059"]
    )


@pytest.mark.parametrize(
    ("ann", "pattern"),
    [
        (
            'T1\tC1 0 4\tTake\n#1\tAnnotatorNotes T1\t"C1", "x", "Finding", "Finding"\n',
            "no usable label",
        ),
        ("T1\tC1 0 4\tTake\n", "no usable label"),
        (
            'T1\tC1 0 4\tTaken\n#1\tAnnotatorNotes T1\t"C1", "x", "Finding", "DISO"\n',
            "covers 'Taken'",
        ),
        (
            'T1\tC1 5 99\tone\n#1\tAnnotatorNotes T1\t"C1", "x", "Finding", "DISO"\n',
            "outside the text",
        ),
        ("T1\tC1 0 x\tTake\n", "not a BRAT entity line"),
    ],
    ids=["no-group", "no-note", "covered-text", "out-of-text", "bad-offsets"],
)
def test_bad_brat_entity_names_file_and_entity(tmp_path: Path, ann: str, pattern: str) -> None:
    folder = tmp_path / "Mantra-GSC" / "French" / "EMEA_ec22-cui-best_man"
    folder.mkdir(parents=True)
    (folder / "0001_d1.u1.txt").write_text("Take one.\n", encoding="utf-8")
    (folder / "0001_d1.u1.ann").write_text(ann, encoding="utf-8")
    converter = get_dataset("mantra_gsc_fr").converter
    assert converter is not None
    with pytest.raises(UserError, match=rf"0001_d1\.u1\.ann line 1: .*{pattern}"):
        converter(tmp_path)
