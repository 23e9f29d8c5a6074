"""``tasks list`` at about the cost of the CLI framework alone (issue 17): the cards from a cached
index, and a plain command line run without typer's option parsing.

Why: typer 0.29 coerces every non-boolean option through a pydantic ``TypeAdapter``, so running
any command with such an option imports pydantic (about as long as typer itself), and reading
the cards takes PyYAML and pydantic again; together they were most of ``tasks list``'s 4.2× the
start-up of ``import typer, rich`` (benchmarks/cli_startup.py). So:

- ``plain_arguments`` recognises a plain ``tasks list`` (only ``--family VALUE``, ``--json`` and
  ``--include-path PATH``, each well-formed) and ``cli.main`` calls the command function itself
  (``run_plainly``); any other command line, ``--help``, an unknown or malformed option, goes to
  typer as before, so help and error messages are typer's own.
- ``listed_cards`` gives every card as ``TaskCard.model_dump()`` does, from a JSON index in the
  user cache (``$PARTAGES_BENCH_HOME/cards``, else ``~/.cache/partages-bench/cards``), one file
  per set of task folders and Python path. The index holds while nothing it came from changed:
  the same partages-bench version, Python, and registry and schema code; the same modification
  times of the ``sys.path`` folders (installing or removing any distribution, hence any
  entry-point package, changes its folder's); the same task files in every task folder
  (built-in, entry points, ``--include-path``), and the same size and CRC-32 of every file
  reading the cards looked at (task YAML, templates, ``utils.py``, those found missing too).
  Otherwise the registry reads the cards (and raises on a broken one) and the index is written
  again. Entry points whose folder a callable computes are never cached. A cache folder that
  cannot be read or written only makes the listing slower.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .taskfiles import builtin_tasks_dir, entry_point_folders, include_dirs, task_files

INDEX_FORMAT = 1
HOME_ENV = "PARTAGES_BENCH_HOME"
# What makes a card.
_CODE = ("listing.py", "registry.py", "schema.py", "structured.py", "taskfiles.py")

Card = dict[str, Any]


def plain_arguments(argv: Sequence[str]) -> dict[str, Any] | None:
    """The keyword arguments of ``cli.tasks_list`` for a plain ``tasks list`` command line, else
    None (typer handles it). Plain: each option once (``--include-path`` repeatable), values
    given as ``--name VALUE`` or ``--name=VALUE``, none empty or starting with ``-``; no shell
    completion request."""
    if list(argv[:2]) != ["tasks", "list"] or any(
        name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ
    ):
        return None
    family: str | None = None
    as_json = False
    include: list[Path] = []
    rest = list(argv[2:])
    while rest:
        option = rest.pop(0)
        if option == "--json" and not as_json:
            as_json = True
            continue
        name, equals, value = option.partition("=")
        if name not in ("--family", "--include-path") or (name == "--family" and family):
            return None
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)
        if not value or value.startswith("-"):
            return None
        if name == "--family":
            family = value
        else:
            include.append(Path(value))
    return {"family": family, "as_json": as_json, "include_path": include or None}


def run_plainly(command: Callable[..., None], arguments: dict[str, Any]) -> None:
    """Run a command as typer's main would once the options are parsed: Ctrl-C exits with 130,
    a closed output pipe exits with 1 without a traceback."""
    try:
        command(**arguments)
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
        sys.stderr = PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
        sys.exit(1)


def index_dir() -> Path:
    """``$PARTAGES_BENCH_HOME/cards`` or ``~/.cache/partages-bench/cards``."""
    home = os.environ.get(HOME_ENV, "").strip()
    root = Path(home).expanduser() if home else Path.home() / ".cache" / "partages-bench"
    return root / "cards"


def _stamp(path: Path | str) -> list[int] | None:
    """Size and CRC-32 of a file's bytes; None if it cannot be read (missing)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return [len(data), zlib.crc32(data)]


def _mtime_ns(folder: str) -> int | None:
    try:
        return os.stat(folder or ".").st_mtime_ns
    except OSError:
        return None


def _environment() -> dict[str, Any]:
    """What the cards depend on besides the task files."""
    package = Path(__file__).parent
    return {
        "format": INDEX_FORMAT,
        "version": __version__,
        "python": sys.version,
        "code": [_stamp(package / name) for name in _CODE],
        "sys_path": [[entry, _mtime_ns(entry)] for entry in sys.path],
    }


def _index_file(include_paths: Sequence[Path]) -> Path:
    include = [str(Path(path).resolve()) for path in include_paths]
    key = json.dumps([str(builtin_tasks_dir()), include, sys.path])
    return index_dir() / f"cards-{zlib.crc32(key.encode()):08x}.json"


def _files(folders: Sequence[Path]) -> list[str]:
    return [str(path) for folder in folders for path in task_files(folder)]


def _cached(index: Path, include_paths: Sequence[Path]) -> list[Card] | None:
    """The cards of a valid index, else None."""
    try:
        cached = json.loads(index.read_text(encoding="utf-8"))
        if cached["environment"] != _environment():
            return None
        folders = [builtin_tasks_dir(), *map(Path, cached["entry_points"])]
        folders += include_dirs(include_paths)
        if _files(folders) != cached["task_files"]:
            return None
        if any(_stamp(path) != stamp for path, stamp in cached["read"].items()):
            return None
        cards = cached["cards"]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return cards if isinstance(cards, list) else None


def _write(index: Path, content: dict[str, Any]) -> None:
    """Write the index atomically; any failure leaves no index."""
    temporary = index.with_name(f"{index.name}.{os.getpid()}.tmp")
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, index)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _read_cards(include_paths: Sequence[Path]) -> tuple[list[Card], dict[str, Any] | None]:
    """The cards read by the registry, and the index recording what they came from (None when
    it cannot be cached)."""
    from .registry import Registry, recording_reads

    environment = _environment()  # before reading: a change meanwhile invalidates the index
    entry_points = entry_point_folders()
    folders = [builtin_tasks_dir(), *(folder for folder, _ in entry_points)]
    registry = Registry([*folders, *include_dirs(include_paths)])
    with recording_reads() as read:
        cards = [card.model_dump() for card in registry.cards.values()]
    listed = _files(registry.task_dirs)
    printed = json.dumps(cards, indent=2, ensure_ascii=False)
    if any(dynamic for _, dynamic in entry_points) or (
        json.dumps(json.loads(printed), indent=2, ensure_ascii=False) != printed
    ):
        return cards, None
    return cards, {
        "environment": environment,
        "entry_points": [str(folder) for folder, _ in entry_points],
        "task_files": listed,
        "read": {str(path): _stamp(path) for path in sorted({*map(Path, listed), *read})},
        "cards": json.loads(printed),
    }


def listed_cards(include_paths: Sequence[Path] = ()) -> list[Card]:
    """Every task's card as ``TaskCard.model_dump()`` gives it, in the registry's order."""
    try:
        index: Path | None = _index_file(include_paths)
    except (OSError, RuntimeError, KeyError):  # no home folder
        index = None
    cards = _cached(index, include_paths) if index is not None else None
    if cards is not None:
        return cards
    cards, content = _read_cards(include_paths)
    if index is not None and content is not None:
        _write(index, content)
    return cards
