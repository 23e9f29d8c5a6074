"""Where task files are: the folders searched and the task YAML in them, for the registry and
for the cached listing of ``tasks list`` (``listing``), which must find them without importing
PyYAML or pydantic."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from .errors import TaskCardError

ENTRY_POINT_GROUP = "partages_bench.tasks"


def builtin_tasks_dir() -> Path:
    """The built-in task folder: inside an installed wheel, or ``tasks/`` of a source checkout."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "_builtin_tasks"
    return installed if installed.is_dir() else package_dir.parent / "tasks"


def entry_point_folders() -> list[tuple[Path, bool]]:
    """The folder of each entry point of ``ENTRY_POINT_GROUP``, and whether a callable computed
    it (then it may differ from one call to the next)."""
    from importlib import metadata  # about 40 ms: only when the entry points are read

    folders = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        target = entry_point.load()
        if isinstance(target, ModuleType):
            folders.append((Path(target.__file__ or "").parent, False))
        else:
            folders.append((Path(target() if callable(target) else target), callable(target)))
    return folders


def include_dirs(include_paths: Iterable[Path]) -> list[Path]:
    """The ``--include-path`` folders, resolved; one that is not a folder is an error."""
    folders = []
    for extra in include_paths:
        if not Path(extra).is_dir():
            raise TaskCardError(f"{extra}: --include-path is not a folder")
        folders.append(Path(extra).resolve())
    return folders


def task_files(folder: Path) -> list[Path]:
    """Every ``*.yaml`` and ``*.yml`` file under ``folder``, sorted."""
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
