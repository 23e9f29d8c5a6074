"""Task registry: cards are read without lm-eval, and broken YAML is reported, never dropped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import task_folder_copy

from partages_bench.errors import TaskCardError, UnknownTaskError
from partages_bench.families import family_names
from partages_bench.names import QUICK_TASKS
from partages_bench.registry import Registry, builtin_tasks_dir, validate_path
from partages_bench.report import task_hash

TASK_DIR = builtin_tasks_dir() / "qa" / "frenchmedmcqa"


def copy_task(tmp_path: Path, edit: tuple[str, str] | None = None, name: str = "t.yaml") -> Path:
    folder = task_folder_copy(tmp_path / "mytask")
    text = (TASK_DIR / "frenchmedmcqa.yaml").read_text(encoding="utf-8")
    text = text.replace("task: frenchmedmcqa", "task: my_mcqa")
    if edit:
        assert edit[0] in text
        text = text.replace(*edit)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_builtin_card_is_complete() -> None:
    card = Registry.discover().card("frenchmedmcqa")
    assert card.family == "qa"
    assert card.dataset == "frenchmedmcqa"
    assert card.primary_metric == "emr"
    assert card.requires == "generation"
    assert card.metrics["unparsable_rate"].higher_is_better is False
    assert "Labrak" in card.citation


def test_select_by_family_suite_and_name() -> None:
    registry = Registry.discover()
    assert [c.name for c in registry.select(["qa"])] == [
        "casimedicos_mcq_ll",
        "frenchmedmcqa",
        "frenchmedmcqa_ll",
        "frenchmedmcqa_nbr",
        "mediqal_mcqm",
        "mediqal_mcqu",
    ]
    assert "frenchmedmcqa" in [c.name for c in registry.select(["default"])]
    quick = registry.select(["quick"])
    assert [c.name for c in quick] == list(QUICK_TASKS)
    # One task per family, but classification and structuring: their only data (PARHAF) is on
    # the hub alone, a download the demo cannot count on; consultation and teaching, whose
    # answers (a whole note, an explanation of up to 768 tokens) are not the short ones the demo
    # runs on a CPU; coding, whose only documents are generated (the demo keeps real data where
    # a family has some) and whose prompts are whole discharge summaries; oncology, whose answer
    # is a 28-field JSON record.
    demo_families = set(family_names()) - {
        "classification",
        "structuring",
        "consultation",
        "teaching",
        "coding",
        "oncology",
    }
    assert sorted(c.family for c in quick) == sorted(demo_families)
    # Real data wherever the family has some: only pseudonymisation's notes are generated.
    assert [c.family for c in quick if c.dataset is None] == ["pseudonymisation"]
    with pytest.raises(UnknownTaskError, match="unknown task 'nope'"):
        registry.select(["nope"])


def test_include_path_adds_tasks(tmp_path: Path) -> None:
    copy_task(tmp_path)
    registry = Registry.discover([tmp_path])
    assert {"frenchmedmcqa", "my_mcqa"} <= set(registry.cards)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("task: my_mcqa", "task: [my_mcqa"), r"t\.yaml: invalid YAML \(line \d+\)"),
        (("metadata:\n", "metadata:\n  family: cardiology\n"), r"t\.yaml: metadata\.family: "),
        (('  version: "1.1"\n', ""), r"t\.yaml: metadata\.version: Field required"),
        (("  primary_metric: emr", "  primary_metric: f1"), r"metadata\.primary_metric: 'f1'"),
        (
            ("utils.doc_to_text", "utils.doc_to_txt"),
            r"doc_to_text: utils\.py defines no 'doc_to_txt'",
        ),
        (("output_type: generate_until", "output_type: generate"), r"output_type: unknown"),
    ],
)
def test_broken_card_names_file_and_field(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    path = copy_task(tmp_path, edit)
    with pytest.raises(TaskCardError, match=message):
        validate_path(path)
    with pytest.raises(TaskCardError, match=message):
        _ = Registry.discover([tmp_path]).cards


def test_a_template_function_is_looked_up_beside_the_template(tmp_path: Path) -> None:
    """lm-eval resolves ``!function utils.fn`` from the folder of the file naming it: a family
    template naming a dataset folder's utils.py is broken, however valid the task's folder is."""
    path = copy_task(tmp_path)
    with (tmp_path / "_qa_template_yaml").open("a", encoding="utf-8") as template:
        template.write("doc_to_text: !function utils.doc_to_text\n")
    with pytest.raises(TaskCardError, match=r"_qa_template_yaml: doc_to_text: no module utils"):
        validate_path(path)


def test_yml_suffix_is_reported_not_ignored(tmp_path: Path) -> None:
    copy_task(tmp_path, name="t.yml")
    with pytest.raises(TaskCardError, match=r"t\.yml: lm-eval only reads '\.yaml'"):
        validate_path(tmp_path)


def test_duplicate_task_name_is_an_error(tmp_path: Path) -> None:
    copy_task(tmp_path, ("task: my_mcqa", "task: frenchmedmcqa"))
    with pytest.raises(TaskCardError, match="'frenchmedmcqa' is already defined"):
        _ = Registry.discover([tmp_path]).cards


def test_entry_point_tasks_are_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    copy_task(tmp_path)
    entry = metadata.EntryPoint("extra", str(tmp_path), "partages_bench.tasks")
    monkeypatch.setattr(
        metadata, "entry_points", lambda group: [entry] if group == "partages_bench.tasks" else []
    )
    monkeypatch.setattr(metadata.EntryPoint, "load", lambda self: Path(self.value))
    assert "my_mcqa" in Registry.discover().cards


def test_lm_eval_builds_the_builtin_task_from_our_folders() -> None:
    """lm-eval indexes the same folder and knows the task by the same name."""
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=[str(builtin_tasks_dir())], include_defaults=False)
    assert set(Registry.discover().cards) <= set(manager.all_tasks)


def test_loaders_read_the_mirror_passed_with_the_task_metadata(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner gives the mirror to the loaders through lm-eval's task metadata, never the
    environment, and the task hash leaves it out; with no metadata (the ``lm_eval`` CLI on our
    YAML) a loader falls back on ``$PARTAGES_BENCH_DATA``."""
    from lm_eval.tasks import TaskManager, get_task_dict

    def task(**metadata: Any) -> Any:
        manager = TaskManager(
            include_path=[str(builtin_tasks_dir())], include_defaults=False, **metadata
        )
        return get_task_dict(["frenchmedmcqa"], manager)["frenchmedmcqa"]

    passed = task(metadata={"data_dir": shared_data})  # conftest unsets $PARTAGES_BENCH_DATA
    monkeypatch.setenv("PARTAGES_BENCH_DATA", str(shared_data))
    from_environment = task()
    assert len(passed.eval_docs) == len(from_environment.eval_docs) == 622
    assert task_hash(passed.dump_config()) == task_hash(from_environment.dump_config())


def test_tasks_list_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from partages_bench.cli import main\n"
        "sys.argv = ['partages-bench', 'tasks', 'list', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'lm_eval', 'datasets')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert '"frenchmedmcqa"' in result.stdout
    assert "HEAVY []" in result.stderr
