"""The registry of families and the family contract: built-ins and entry points, one error for
a broken or duplicate family, cards checked against their family, and no core module that
names a family."""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

import pytest

from partages_bench import families as registry
from partages_bench.errors import TaskCardError
from partages_bench.families import BUILTIN, FamilyError, family_names, get_family
from partages_bench.family import Family
from partages_bench.registry import read_card

PACKAGE = Path(registry.__file__).resolve().parents[1]


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> list[metadata.EntryPoint]:
    """Entry points of the families group that the test adds; the registry is read afresh."""
    added: list[metadata.EntryPoint] = []
    monkeypatch.setattr(
        registry,
        "entry_points",
        lambda group: added if group == registry.ENTRY_POINT_GROUP else [],
    )
    registry.families.cache_clear()
    yield added
    registry.families.cache_clear()


class Triage(Family):
    name = "triage"
    description = "A family defined by a test."


TRIAGE = Triage()


def test_the_built_in_families_in_their_order() -> None:
    assert family_names()[: len(BUILTIN)] == (
        "qa",
        "summarisation",
        "ner",
        "pseudonymisation",
        "classification",
        "structuring",
        "consultation",
        "teaching",
        "coding",
        "oncology",
    )
    assert get_family("pseudonymisation").holds_identifiers
    assert get_family("summarisation").needs_model_metrics
    assert not get_family("qa").holds_identifiers
    assert get_family("structuring").card_fields is not None


def test_an_entry_point_adds_a_family(plugins: list[metadata.EntryPoint]) -> None:
    plugins.append(metadata.EntryPoint("triage", f"{__name__}:TRIAGE", registry.ENTRY_POINT_GROUP))
    assert family_names()[-1] == "triage" and get_family("triage") is TRIAGE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"{__name__}:Family", "name None is not an identifier"),
        ("partages_bench.families.qa:FAMILY", "family 'qa' is already defined by"),
        ("no_such_module:FAMILY", "cannot be loaded (ModuleNotFoundError"),
        (f"{__name__}:PACKAGE", "is not a partages_bench.family.Family"),
    ],
)
def test_a_broken_family_is_one_error_naming_its_entry_point(
    plugins: list[metadata.EntryPoint], value: str, message: str
) -> None:
    plugins.append(metadata.EntryPoint("bad", value, registry.ENTRY_POINT_GROUP))
    with pytest.raises(FamilyError, match=r"^entry point bad = ") as raised:
        family_names()
    assert message in str(raised.value)


def _card(tmp_path: Path, **metadata_fields: object) -> Path:
    fields = {
        "version": "1.0",
        "family": "pseudonymisation",
        "dataset": None,
        "licence": "x",
        "citation": "x",
        "primary_metric": "m",
        "metrics": {"m": {}},
        **metadata_fields,
    }
    import yaml

    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"task": "t", "metadata": fields}))
    return path


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"family": "nope"}, "metadata.family: unknown family 'nope'"),
        ({"combine": "sentences"}, "metadata.combine: 'sentences' is not a combiner of family"),
        ({"family_fields": {"mode": "guess"}}, "metadata.family_fields.mode: "),
        ({"family_fields": {}}, "metadata.family_fields.mode: Field required"),
        (
            {"family_fields": {"mode": "detect", "labels": "i2b2"}},
            "metadata.family_fields.labels: .*'i2b2' is not a label scheme",
        ),
        ({"family": "qa", "family_fields": {"x": 1}}, "family qa adds no card field"),
    ],
)
def test_a_card_is_checked_against_its_family(
    tmp_path: Path, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(TaskCardError, match=message):
        read_card(_card(tmp_path, **fields))


def test_a_card_with_its_family_fields_is_read(tmp_path: Path) -> None:
    card = read_card(_card(tmp_path, family_fields={"mode": "detect"}))
    assert card is not None and card.family_fields == {"mode": "detect"}


def _strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_no_core_module_names_a_family() -> None:
    """Core modules ask the registry; only a family's own package (and the fake run folders of
    the tests, which stand for any family) spell a family's name in code."""
    names = set(family_names())
    outside = [
        path
        for path in PACKAGE.rglob("*.py")
        if "families" not in path.relative_to(PACKAGE).parts[:1]
        and path.relative_to(PACKAGE).parts[0] != "testing"
    ]
    assert outside
    # Words that are also a family's name: « consultation » is a date of the generator's case
    # timeline and an appointment word of its records, not the consultation family.
    same_word = {"generator/records.py": {"consultation"}}
    for path in outside:
        allowed = same_word.get(path.relative_to(PACKAGE).as_posix(), set())
        assert not (names & _strings(path)) - allowed, path
