"""``tasks list`` from the cached card index, and its plain command lines run without typer's
parsing (issue 17): the same output as the registry gives, and an index that follows every
change of what the cards come from."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import task_folder_copy

from partages_bench import cli, listing
from partages_bench.errors import TaskCardError
from partages_bench.registry import Registry, builtin_tasks_dir

TASK_DIR = builtin_tasks_dir() / "qa" / "frenchmedmcqa"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the times the cards are read by the registry (index misses)."""
    counted: list[int] = []
    read_cards = listing._read_cards

    def counting(include_paths: Any) -> Any:
        counted.append(1)
        return read_cards(include_paths)

    monkeypatch.setattr(listing, "_read_cards", counting)
    return counted


def my_task(folder: Path, version: str = "1.1", task: str = "my_mcqa") -> Path:
    """A copy of frenchmedmcqa named ``task`` in ``folder`` (created with its templates and
    utils.py)."""
    task_folder_copy(folder)
    text = (TASK_DIR / "frenchmedmcqa.yaml").read_text(encoding="utf-8")
    text = text.replace("task: frenchmedmcqa", f"task: {task}")
    text = text.replace('version: "1.1"', f'version: "{version}"')
    path = folder / f"{task}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def versions(include: list[Path]) -> dict[str, str]:
    return {card["name"]: card["version"] for card in listing.listed_cards(include)}


def test_cards_are_the_registry_cards_from_the_index_too(reads: list[int]) -> None:
    expected = [card.model_dump() for card in Registry.discover().cards.values()]
    assert listing.listed_cards() == expected
    assert listing.listed_cards() == expected
    assert len(reads) == 1
    assert [path.name for path in listing.index_dir().iterdir()] == [listing._index_file([]).name]


def test_a_changed_added_or_removed_task_file_is_seen(tmp_path: Path, reads: list[int]) -> None:
    include = [tmp_path / "extra"]
    task = my_task(include[0])
    assert versions(include)["my_mcqa"] == "1.1"
    task.write_text(task.read_text().replace('version: "1.1"', 'version: "1.2"'))  # same size
    assert versions(include)["my_mcqa"] == "1.2"
    other = my_task(include[0] / "sub", task="other_mcqa")
    assert "other_mcqa" in versions(include)
    other.unlink()
    assert "other_mcqa" not in versions(include)
    assert versions(include)["my_mcqa"] == "1.2"
    assert len(reads) == 4


def test_templates_and_python_modules_are_watched(tmp_path: Path, reads: list[int]) -> None:
    include = [tmp_path / "extra"]
    my_task(include[0])
    assert "my_mcqa" in versions(include)
    template = include[0] / "_frenchmedmcqa_template_yaml"
    text = template.read_text()
    template.write_text(text.replace("metadata:\n", "metadata:\n  language: en\n"))
    assert (
        next(c for c in listing.listed_cards(include) if c["name"] == "my_mcqa")["language"] == "en"
    )  # the dataset's template was read again (its card fields win over the family's)
    utils = include[0] / "utils.py"
    utils.write_text(utils.read_text().replace("def doc_to_text(", "def renamed("))
    with pytest.raises(TaskCardError, match=r"utils\.py defines no 'doc_to_text'"):
        listing.listed_cards(include)
    assert len(reads) == 3


def test_include_paths_and_the_package_version_key_the_index(
    tmp_path: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    include = [tmp_path / "extra"]
    my_task(include[0])
    assert "my_mcqa" in versions(include)
    assert "my_mcqa" not in versions([])
    assert "my_mcqa" in versions(include)
    assert len(reads) == 2
    monkeypatch.setattr(listing, "__version__", "99.0")
    assert "my_mcqa" in versions(include)
    assert len(reads) == 3
    with pytest.raises(TaskCardError, match="--include-path is not a folder"):
        listing.listed_cards([tmp_path / "missing"])


def test_installing_or_removing_an_entry_point_package_is_seen(
    tmp_path: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    my_task(site / "extra_tasks")
    (site / "extra_tasks" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(site))
    assert "my_mcqa" not in versions([])
    info = site / "extra_tasks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-tasks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[partages_bench.tasks]\nextra = extra_tasks\n")
    assert "my_mcqa" in versions([])
    assert "my_mcqa" in versions([])
    (info / "entry_points.txt").unlink()
    (info / "METADATA").unlink()
    info.rmdir()
    assert "my_mcqa" not in versions([])
    assert len(reads) == 3


def test_a_folder_computed_by_a_callable_is_never_cached(
    tmp_path: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    my_task(tmp_path / "extra")
    entry = metadata.EntryPoint("extra", "somewhere:folder", "partages_bench.tasks")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [entry])
    monkeypatch.setattr(metadata.EntryPoint, "load", lambda self: lambda: tmp_path / "extra")
    assert "my_mcqa" in versions([])
    assert "my_mcqa" in versions([])
    assert len(reads) == 2


@pytest.mark.parametrize("spoil", ["corrupt", "unwritable"])
def test_a_broken_or_unwritable_cache_only_costs_time(
    tmp_path: Path, reads: list[int], monkeypatch: pytest.MonkeyPatch, spoil: str
) -> None:
    expected = [card.model_dump() for card in Registry.discover().cards.values()]
    if spoil == "unwritable":
        (tmp_path / "file").write_text("")
        monkeypatch.setenv("PARTAGES_BENCH_HOME", str(tmp_path / "file"))
    else:
        listing.listed_cards()
        listing._index_file([]).write_text('{"environment": ')
    assert listing.listed_cards() == expected
    assert listing.listed_cards() == expected
    assert len(reads) == 2  # unwritable: both read; corrupt: written, then read and rewritten


@pytest.mark.parametrize(
    ("command_line", "expected"),
    [
        ("tasks list", {"family": None, "as_json": False, "include_path": None}),
        (
            "tasks list --json --family ner --include-path a --include-path=b",
            {"family": "ner", "as_json": True, "include_path": [Path("a"), Path("b")]},
        ),
        ("tasks list --family=qa", {"family": "qa", "as_json": False, "include_path": None}),
        ("tasks list --help", None),
        ("tasks list --family", None),
        ("tasks list --family --json", None),
        ("tasks list --family=", None),
        ("tasks list --family qa --family ner", None),
        ("tasks list --json --json", None),
        ("tasks list --json=1", None),
        ("tasks list extra", None),
        ("--debug tasks list", None),
        ("tasks show frenchmedmcqa", None),
    ],
)
def test_only_plain_command_lines_skip_typer(command_line: str, expected: Any) -> None:
    assert listing.plain_arguments(command_line.split()) == expected


def test_a_completion_request_goes_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_PARTAGES_BENCH_COMPLETE", "bash_complete")
    assert listing.plain_arguments(["tasks", "list"]) is None


def run_main(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["partages-bench", *argv])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "options",
    [[], ["--json"], ["--family", "ner"], ["--family=qa", "--json"], ["--family", "nope"]],
)
def test_the_plain_path_prints_what_typer_prints(
    options: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    with monkeypatch.context() as through_typer:
        through_typer.setattr(cli, "plain_arguments", lambda argv: None)
        expected = run_main(["tasks", "list", *options], capsys, monkeypatch)
    assert expected[0] == (2 if "nope" in options else 0)
    for _ in range(2):  # index written, then read
        assert run_main(["tasks", "list", *options], capsys, monkeypatch) == expected


def test_json_output_is_the_registry_cards(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = [card.model_dump() for card in Registry.discover().cards.values()]
    for _ in range(2):
        code, out, _ = run_main(["tasks", "list", "--json"], capsys, monkeypatch)
        assert code == 0
        assert out == json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    assert os.listdir(listing.index_dir())
