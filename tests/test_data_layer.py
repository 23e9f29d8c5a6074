"""Data layer against the real offline mirror: catalogue, verification, cache, pull over HTTP.

Everything runs offline: ``pull`` is exercised against a real HTTP server on 127.0.0.1 that serves
the shared mirror (or a tampered copy of it), and the Mantra-style zip path against a small zip
built here, since the real archive cannot be fetched offline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import HttpServer, Serve

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
    assert set(catalog.DATASETS) == {*NAMES, "mediqal"}  # mediqal: hub only, see test_mediqal
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
    with pytest.raises(UnknownDatasetError, match="known datasets: e3c_fr, eds_pseudo_synthetic"):
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


def test_dataset_without_converter_is_a_user_error(mirror: Path) -> None:
    with pytest.raises(UserError, match="no task uses it yet"):
        load_splits("e3c_fr", data_dir=mirror)


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
        family_hint="ner",
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
    assert "offline, no download tried" in skipped["frenchmedmcqa"]

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
