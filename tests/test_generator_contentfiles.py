"""The generator's content files: a broken one is one error naming the file and the field.

The package's own files are read when the generator is imported (so every other generator test
also checks that they load); these tests point the reader at a folder of broken copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from partages_bench.generator import clinical, contentfiles, documents
from partages_bench.generator.documents import Template
from partages_bench.inputs import InputFileError

CARDIOLOGY = (contentfiles.CONTENT_DIR / "specialties" / "cardiologie.yaml").read_text("utf-8")


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty content folder in place of the package's, and no file read from before."""
    monkeypatch.setattr(contentfiles, "CONTENT_DIR", tmp_path)
    _forget()
    yield tmp_path
    _forget()


def _forget() -> None:
    """Files are read once: forget them so that the next load reads the folder again."""
    contentfiles._read.cache_clear()
    contentfiles.load_table.cache_clear()


def _fails(folder: Path, name: str, text: str, load: Callable[[], object], message: str) -> None:
    """Writing ``text`` to ``name`` makes ``load()`` fail with ``<file>: <message>…``."""
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    _forget()
    with pytest.raises(InputFileError) as error:
        load()
    assert str(error.value).startswith(f"{folder / name}: {message}"), str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: x\nb: [y]\n", "top level: unknown key 'b' (known: a, c)"),
        ("c: [y]\n", "top level: missing key 'a'"),
        ("a: [x]\n", "a: expected text, found a list"),
        ("a: x\nc: []\n", "c: an empty list: leave the key out or add an item"),
        ("a: x\nc: [y, 3]\n", "c[1]: expected text, found a number"),
        ("a: x\nc: [y, '[dose:1 g']\n", "c[1]: brackets that are not [kind:text] markup"),
        ("a: x\nc: ['[dosage:1 g] x']\n", "c[0]: brackets that are not [kind:text] markup"),
        ("a: x\na: y\n", "invalid YAML (line 2): key 'a' written twice"),
        ("a: 'x\n", "invalid YAML (line 2): found unexpected end of stream"),
    ],
)
def test_schema_errors_name_file_and_field(content: Path, text: str, message: str) -> None:
    load = partial(contentfiles.load, "x.yaml", {"a": str, "c?": [clinical.MARKUP]})
    _fails(content, "x.yaml", text, load, message)


def test_drug_lines_have_three_parts(content: Path) -> None:
    message = "[0]: expected 'name; strength; posology', found 'bisoprolol; 2,5 mg'"
    load = partial(contentfiles.load, "d.yaml", [clinical.DRUG])
    _fails(content, "d.yaml", "- 'bisoprolol; 2,5 mg'\n", load, message)
    assert clinical.parse_drug("bisoprolol ;2,5 mg; 1 cp") == clinical.Drug(
        "bisoprolol", "2,5 mg", "1 cp"
    )


def test_a_condition_names_known_lab_tests(content: Path) -> None:
    """A copy of a real specialty with a misspelt lab key: the field says which condition."""
    broken = CARDIOLOGY.replace("labs: {ntprobnp:", "labs: {ntprobnpp:", 1)
    name = "specialties/cardiologie.yaml"
    message = "conditions[0].labs.ntprobnpp: no lab test 'ntprobnpp' in lab_tests.yaml"
    _fails(content, name, broken, partial(clinical._specialty, name), message)


def test_ages_and_optional_keys_of_a_condition(content: Path) -> None:
    name = "specialties/cardiologie.yaml"
    swapped = CARDIOLOGY.replace("ages: [55, 92]", "ages: [92, 55]", 1)
    load = partial(clinical._specialty, name)
    _fails(content, name, swapped, load, "conditions[0].ages: the youngest age comes first")
    unknown_sex = CARDIOLOGY.replace("ages: [55, 92]", "ages: [55, 92]\n    sex: H", 1)
    _fails(content, name, unknown_sex, load, "conditions[0].sex: expected one of M, F")


def test_templates_refuse_unknown_slots_and_lone_braces(content: Path) -> None:
    name = "templates/nurse_note.yaml"
    misspelt = Template("ide_9", "nurse_note", "dev", "{patient:prenon}\n")
    with pytest.raises(InputFileError, match=r"nurse_note\.yaml: ide_9: unknown slot"):
        documents._check(misspelt, name)
    phi_in_control = Template("ide_9", "nurse_note", "dev", "{patient:nom}\n", control=True)
    with pytest.raises(InputFileError, match="unknown slot of a control template"):
        documents._check(phi_in_control, name)
    body = "- id: ide_9\n  pool: dev\n  body: |\n    Le patient {\n"
    (content / "templates").mkdir()
    for doc_type in documents.DOC_TYPES:
        (content / f"templates/{doc_type}.yaml").write_text(body.replace("ide_9", doc_type))
    with pytest.raises(
        InputFileError, match=r"hospitalisation_report\.yaml: \[0\]\.body: expected '\}'"
    ):
        documents._load_templates()


def test_tables_check_header_and_cells(content: Path) -> None:
    columns = ("name", "postcode", "insee")
    load = partial(contentfiles.load_table, "c.csv", columns)
    _fails(
        content, "c.csv", "nom;cp;insee\n", load, "line 1: the header must be name;postcode;insee"
    )
    text = "name;postcode;insee\nParis;75004;75104\nLyon;69003\n"
    _fails(content, "c.csv", text, load, "line 3: expected 3 non-empty cells separated by ;")


def test_at_least_as_many_as_a_case_draws() -> None:
    with pytest.raises(InputFileError, match=r"history\.yaml: allergies: needs at least 2 items"):
        contentfiles.at_least(("latex",), 2, "history.yaml", "allergies")
