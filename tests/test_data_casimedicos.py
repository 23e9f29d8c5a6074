"""CasiMedicos-Arg (French) read from the shared mirror: split sizes, the three answer lines,
options over several sentences, argument spans as offsets into their part."""

from __future__ import annotations

import io
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from partages_bench.data import get_dataset, load_splits
from partages_bench.data.casimedicos import ANSWER_LINE, convert_casimedicos_fr
from partages_bench.errors import UserError


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTAGES_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PARTAGES_BENCH_DATA", raising=False)


@pytest.fixture
def splits(shared_data: Path) -> dict[str, list[dict]]:
    return convert_casimedicos_fr(shared_data / "casimedicos_fr")


def _part(record: dict, name: str) -> str:
    if name.startswith("option_"):
        return record["options"][name.removeprefix("option_")]
    return record[name]


def test_catalogue_pins_the_archive_by_commit_and_sha256(shared_data: Path) -> None:
    spec = get_dataset("casimedicos_fr")
    assert spec.repository == "ixa-ehu/antidote-casimedicos"
    assert spec.commit == "bead23e4bd1235440c4ff5b37ae7f2f81ea7c738"
    assert spec.pinned_by_sha256
    files = {f.local_path: f for f in spec.files}
    assert set(files) == {"LICENSE", "README.md", "casimedicos-arg.tar.gz"}
    assert files["casimedicos-arg.tar.gz"].remote_path == "casimedicos-arg.tar.gz"
    assert "CC-BY-4.0" in spec.licence and "CC0" in spec.licence


def test_split_sizes_answers_and_five_options(shared_data: Path) -> None:
    splits = load_splits("casimedicos_fr", shared_data)
    assert {name: len(rows) for name, rows in splits.items()} == {
        "train": 381,
        "validation": 55,
        "test": 117,
    }
    # The MANIFEST's count of the test answers 1/2/3/4/5.
    assert Counter(r["answer"] for r in splits["test"]) == {
        "1": 23,
        "2": 22,
        "3": 38,
        "4": 24,
        "5": 10,
    }
    for rows in splits.values():
        for record in rows:
            assert list(record["options"]) == ["1", "2", "3", "4", "5"], record["id"]
            assert all(record["options"].values()) and record["explanation"], record["id"]
            assert not record["explanation"].startswith(("BONNE", "CORRECT", "RÉPONSE"))


def test_the_three_answer_lines_are_read() -> None:
    assert ANSWER_LINE.match("BONNE RÉPONSE : 3").group("key") == "3"  # train, test
    assert ANSWER_LINE.match("CORRECT ANSWER : 2").group("key") == "2"  # dev
    assert ANSWER_LINE.match("RÉPONSE CORRECTE : 3").group("key") == "3"  # two train documents
    assert ANSWER_LINE.match("BONNE RÉPONSE : 3 car") is None


def test_dev_document_with_its_english_answer_line(splits: dict[str, list[dict]]) -> None:
    first = splits["validation"][0]
    assert first["id"] == "validation-000"
    assert first["speciality"] == "GÉNÉTIQUE ET IMMUNOLOGIE"
    assert first["case"].startswith("Une fillette de 8 ans (cas index) est diagnostiquée")
    assert first["case"].endswith("Le DPI est-il indiqué dans ce cas ?")
    assert first["options"]["2"].startswith("Elle est indiquée après détection de la mutation")
    assert first["answer"] == "2"
    assert first["explanation"].startswith("La première étape consiste à détecter la mutation")
    assert [p["part"] for p in first["premises"]] == ["case", "case", "case"]
    assert first["premises"][1]["text"].startswith("Son père (dont la NF1")


def test_spaced_option_number_and_option_continuations(splits: dict[str, list[dict]]) -> None:
    # train-034 writes "2 - Travestissement délirant." (a space before the dash)
    record = splits["train"][34]
    assert record["options"]["2"] == "Travestissement délirant."
    assert record["answer"] == "5"
    # Some options run over several sentences: the next sentences stay in the option.
    continued = [
        r for rows in splits.values() for r in rows for o in r["options"].values() if ". " in o
    ]
    assert continued


def test_spans_are_offsets_into_their_part(splits: dict[str, list[dict]]) -> None:
    parts: Counter[str] = Counter()
    for rows in splits.values():
        for record in rows:
            for kind in ("premises", "claims"):
                for span in record[kind]:
                    assert _part(record, span["part"])[span["start"] : span["end"]] == span["text"]
                    parts[f"{kind}:{span['part'].split('_')[0]}"] += 1
    # Premises: the case findings, and some in the explanation; claims in options and explanation.
    assert parts["premises:case"] == 1273 + 179 + 385
    assert parts["premises:explanation"] == 331 + 43 + 59
    assert parts["claims:option"] > 0 and parts["claims:explanation"] > 0


def _archive(folder: Path, dev: str) -> None:
    folder.mkdir()
    with tarfile.open(folder / "casimedicos-arg.tar.gz", "w:gz") as archive:
        for name in ("train", "dev", "test"):
            data = (dev if name == "dev" else "").encode()
            info = tarfile.TarInfo(f"casimedicos-arg/FR/{name}.tsv")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_a_document_without_answer_line_is_one_error(tmp_path: Path) -> None:
    dev = "QUESTION O\nTYPE: O\nX O\n\nUn B-Premise\ncas I-Premise\n\n1- O\nA O\n\n"
    _archive(tmp_path / "bad", dev)
    with pytest.raises(UserError, match=r"dev.tsv: document validation-000: no answer line"):
        convert_casimedicos_fr(tmp_path / "bad")


def test_an_answer_naming_no_option_is_one_error(tmp_path: Path) -> None:
    dev = "QUESTION O\nTYPE: O\nX O\n\n1- O\nA O\n\nCORRECT O\nANSWER O\n: O\n7 O\n\n"
    _archive(tmp_path / "bad", dev)
    with pytest.raises(UserError, match=r"answer 7 is not an option \(1\)"):
        convert_casimedicos_fr(tmp_path / "bad")
