"""LabForSims2 (``labforsims2_fr``): the catalogue entry and its converter, on the shared mirror."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from partages_bench.data import catalog, get_dataset, load_splits
from partages_bench.data.converters import convert_labforsims2_fr
from partages_bench.data.pull import github_url
from partages_bench.errors import UserError

NAME = "labforsims2_fr"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTAGES_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PARTAGES_BENCH_HOME", str(tmp_path / "home"))
    for variable in ("PARTAGES_BENCH_DATA", "PARTAGES_BENCH_MIRROR_URL", "PARTAGES_BENCH_OFFLINE"):
        monkeypatch.delenv(variable, raising=False)


def test_catalogue_pins_the_upstream_commit_and_every_file() -> None:
    spec = get_dataset(NAME)
    assert spec.licence == "CC-BY-SA-4.0"
    assert spec.repository == "kleag/labforsims2-corpus"
    assert spec.commit == "0926b03eed0a6bc8ce91361fb2ae71d86ab97ac7"
    assert spec.pinned_by_sha256
    paths = {source.local_path for source in spec.files}
    assert len(paths) == 46  # 41 dialogues, 3 single-turn files, LICENCE, README.md
    assert {f"dialogues/Interne{n:02d}/dialogues" for n in range(1, 42)} <= paths
    assert "Laleye" in spec.citation and "LREC 2020" in spec.citation
    assert github_url(spec.repository, spec.commit, "LICENCE") == (
        "https://raw.githubusercontent.com/kleag/labforsims2-corpus/"
        "0926b03eed0a6bc8ce91361fb2ae71d86ab97ac7/LICENCE"
    )


def test_packaged_checksums_are_the_mirrors(shared_data: Path) -> None:
    packaged = catalog.CHECKSUM_DIR / f"{NAME}.sha256"
    assert packaged.read_bytes() == (shared_data / NAME / "SHA256SUMS").read_bytes()


def test_dialogues_are_read_turn_by_turn_with_their_codes(shared_data: Path) -> None:
    splits = load_splits(NAME, data_dir=shared_data)
    assert list(splits) == ["test"]
    records = splits["test"]
    assert [record["id"] for record in records] == [f"Interne{n:02d}" for n in range(1, 42)]
    turns = [turn for record in records for turn in record["turns"]]
    # the MANIFEST's 909 and 909 less Interne02's repeated 25 pairs
    assert Counter(turn["speaker"] for turn in turns) == {"doctor": 884, "patient": 884}
    patient = Counter(turn["category"] for turn in turns if turn["speaker"] == "patient")
    assert patient == {"00": 73, "01": 59, "02": 45, "03": 48, "04": 161, "05": 457, "06": 41}
    second = records[1]["turns"]
    assert len(second) == 50 and len({turn["code"] for turn in second}) == 50
    eighth = records[7]
    assert eighth["dialogue"] == 8
    age = next(turn for turn in eighth["turns"] if turn["code"] == "p08010047")
    assert age == {
        "code": "p08010047",
        "speaker": "patient",
        "topic": "personal",
        "subtopic": "age",
        "category": "01",
        "subcategory": "004",
        "text": "7 et 9 ans.",
    }
    assert eighth["transcript"].splitlines()[1] == (
        "Patient : Bonjour. Eh ben j’ai mal au ventre. J’ai eu mal au ventre très fort, là, hier."
    )
    two_digit_line = next(t for t in eighth["turns"] if t["code"] == "d080500210")
    assert (two_digit_line["topic"], two_digit_line["subtopic"]) == ("present_illness", "change")


def test_a_line_without_a_code_names_the_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / NAME
    shutil.copytree(shared_data / NAME / "dialogues", folder / "dialogues")
    target = folder / "dialogues" / "Interne03" / "dialogues"
    target.chmod(0o644)
    lines = target.read_text(encoding="utf-8").splitlines()
    target.write_text("\n".join([lines[0], "Bonjour sans code", *lines[1:]]), encoding="utf-8")
    with pytest.raises(UserError, match=r"Interne03/dialogues: line 2: expected '<turn code>"):
        convert_labforsims2_fr(folder)


def test_a_code_of_another_dialogue_is_refused(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / NAME
    shutil.copytree(shared_data / NAME / "dialogues", folder / "dialogues")
    target = folder / "dialogues" / "Interne05" / "dialogues"
    target.chmod(0o644)
    text = target.read_text(encoding="utf-8")
    target.write_text("d06000000 Bonjour.\n" + text, encoding="utf-8")
    with pytest.raises(UserError, match=r"line 1: turn code d06000000 is not of dialogue 5"):
        convert_labforsims2_fr(folder)
