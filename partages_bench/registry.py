"""Task registry: find task YAML files and read their cards without importing lm-eval.

Tasks are lm-eval task YAML, one folder a task (``tasks/<family>/<task>/<task>.yaml`` with its
``utils.py`` and ``README.md``). The card is the YAML's ``metadata`` block. Three sources:

1. the built-in tasks shipped with the package;
2. installed packages declaring an entry point in the group ``partages_bench.tasks`` whose value
   loads to a module (its folder is scanned), a path, or a callable returning a path;
3. folders given with ``--include-path``.

lm-eval drops a broken YAML silently (logged at DEBUG); this loader does not: every ``*.yaml``
(and every ``*.yml``, which lm-eval would ignore) under a task folder must parse and carry a valid
card, else ``TaskCardError`` names the file and the field. Reading cards only needs PyYAML and
pydantic, so ``tasks list`` stays fast.

``include:`` merges like lm-eval (the child's keys replace the template's whole values; a
``!function`` tag names a module beside the file that holds the tag) except for the card: the
child's ``metadata`` is merged over the template's, key by key at every depth, so that a family
template holds the metric block its tasks share, each task adds its own dataset, licence,
citation and metrics. (lm-eval keeps only the child's ``metadata``; it never reads the card.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from . import structured
from .errors import TaskCardError, UnknownTaskError
from .families import families, find_family
from .inputs import InputFileError, read_text, read_yaml
from .names import DEFAULT_SUITE as DEFAULT_SUITE
from .names import QUICK_SUITE, QUICK_TASKS
from .schema import TaskCard
from .taskfiles import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
from .taskfiles import builtin_tasks_dir as builtin_tasks_dir
from .taskfiles import entry_point_folders, include_dirs, task_files

_OUTPUT_TYPE_REQUIRES = {
    "generate_until": "generation",
    "multiple_choice": "loglikelihood",
    "loglikelihood": "loglikelihood",
    "loglikelihood_rolling": "loglikelihood",
}


class _FunctionRef(str):
    """The text of an ``!function module.name`` tag, kept as a string."""


class _CardLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading, with libyaml's parser when PyYAML has it (about 10× faster on our cards:
    ``tasks list`` reads every task YAML and its templates), and ``!function`` kept as text."""


_CardLoader.add_constructor(
    "!function", lambda loader, node: _FunctionRef(loader.construct_scalar(node))
)


_readers: list[set[Path]] = []


@contextmanager
def recording_reads() -> Iterator[set[Path]]:
    """The files that reading cards opens or looks for while the block runs (task YAML, their
    templates, the Python modules their ``!function`` tags name, missing ones included): what
    the cached listing of ``tasks list`` must watch."""
    read: set[Path] = set()
    _readers.append(read)
    try:
        yield read
    finally:
        _readers.remove(read)


def _note_read(path: Path) -> None:
    for read in _readers:
        read.add(path)


def _read_yaml(path: Path, including: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The task YAML at ``path`` with its ``include:`` chain merged in (``including``: the files
    that led here, to refuse a cycle)."""
    _note_read(path)
    try:
        content = read_yaml(path, _CardLoader)
    except InputFileError as exc:
        raise TaskCardError(str(exc)) from None
    if not isinstance(content, dict):
        raise TaskCardError(f"{path}: expected a mapping at the top level")
    _check_function_refs(path, content)
    include = content.pop("include", None)
    if include is None:
        return content
    if not isinstance(include, str) or not include.strip():
        raise TaskCardError(f"{path}: include: must name one template file, not {include!r}")
    template_path = path.parent / include
    chain = (*including, path)
    if template_path.resolve() in {file.resolve() for file in chain}:
        cycle = " → ".join(file.name for file in (*chain, template_path))
        raise TaskCardError(f"{path}: include: {include} is included again ({cycle})")
    if not template_path.is_file():
        what = "a folder" if template_path.is_dir() else "no such file"
        raise TaskCardError(f"{path}: include: {include}: {what} beside it")
    template = _read_yaml(template_path, chain)
    merged = template | content
    if isinstance(template.get("metadata"), dict) and isinstance(content.get("metadata"), dict):
        merged["metadata"] = _deep_merge(template["metadata"], content["metadata"])
    return merged


def _deep_merge(template: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``template``, mappings merged key by key at every depth."""
    merged = dict(template)
    for key, value in child.items():
        below = merged.get(key)
        merged[key] = (
            _deep_merge(below, value)
            if isinstance(below, dict) and isinstance(value, dict)
            else value
        )
    return merged


def _defined_functions(module_path: Path) -> frozenset[str]:
    """Top-level names of a task's Python module, parsed once per version of the file: cards
    name several functions of the same ``utils.py``, and ``tasks list`` checks every card."""
    stat = module_path.stat()
    return _top_level_names(module_path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _top_level_names(module_path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    try:
        tree = ast.parse(read_text(module_path), filename=str(module_path))
    except InputFileError as exc:
        raise TaskCardError(str(exc)) from None
    except SyntaxError as exc:
        raise TaskCardError(f"{module_path}: syntax error line {exc.lineno}: {exc.msg}") from None
    return frozenset(
        {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        | {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
    )


def _check_function_refs(path: Path, config: dict[str, Any], prefix: str = "") -> None:
    """Every ``!function utils.fn`` of the file at ``path`` must name a function defined in
    ``utils.py`` beside that file — a template's beside the template, not beside the task that
    includes it: lm-eval resolves each file's tags from that file's own folder."""
    for key, value in config.items():
        field = f"{prefix}{key}"
        if isinstance(value, dict):
            _check_function_refs(path, value, f"{field}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _check_function_refs(path, item, f"{field}[{i}].")
        elif isinstance(value, _FunctionRef):
            module, _, name = value.rpartition(".")
            module_path = path.parent / f"{module.replace('.', '/')}.py"
            _note_read(module_path)
            if module_path.is_file() and name not in _defined_functions(module_path):
                raise TaskCardError(f"{path}: {field}: {module_path.name} defines no '{name}'")
            if not module_path.is_file() and "." not in module:
                raise TaskCardError(f"{path}: {field}: no module {module_path.name} beside it")


def read_card(path: Path) -> TaskCard | None:
    """Parse one task YAML and validate its card; ``None`` for a group file (no ``task``)."""
    if path.suffix == ".yml":
        raise TaskCardError(f"{path}: lm-eval only reads '.yaml' files; rename it")
    config = _read_yaml(path)
    if "task" not in config:
        if "group" in config:
            return None
        raise TaskCardError(f"{path}: task: missing (every YAML under a task folder is a task)")
    name = config["task"]
    if not isinstance(name, str) or not name:
        raise TaskCardError(f"{path}: task: must be a non-empty name")
    card_fields = config.get("metadata")
    if not isinstance(card_fields, dict):
        raise TaskCardError(f"{path}: metadata: missing (the task card lives there)")
    output_type = config.get("output_type", "generate_until")
    if not isinstance(output_type, str) or output_type not in _OUTPUT_TYPE_REQUIRES:
        raise TaskCardError(f"{path}: output_type: unknown value '{output_type}'")
    try:
        card = TaskCard(
            name=name,
            path=str(path),
            requires=_OUTPUT_TYPE_REQUIRES[output_type],
            **{k: v for k, v in card_fields.items() if k in TaskCard.model_fields},
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise TaskCardError(f"{path}: metadata.{field}: {error['msg']}") from None
    if card.primary_metric not in card.metrics:
        raise TaskCardError(
            f"{path}: metadata.primary_metric: '{card.primary_metric}' is not in metadata.metrics"
        )
    _check_family(path, card)
    if card.json_schema is not None:
        _note_read(path.parent / card.json_schema)
        structured.check_card(path, card)
    return card


def _check_family(path: Path, card: TaskCard) -> None:
    """The card's family is known, and what the family owns in the card is its own: a
    ``combine`` among its combiners, ``family_fields`` as its ``card_fields`` declares."""
    family = find_family(card.family)
    if family is None:
        known = ", ".join(families())
        raise TaskCardError(f"{path}: metadata.family: unknown family '{card.family}' ({known})")
    if card.combine is not None and card.combine not in family.combiners:
        known = ", ".join(family.combiners) or "none"
        raise TaskCardError(
            f"{path}: metadata.combine: '{card.combine}' is not a combiner of family "
            f"{family.name} ({known})"
        )
    if family.card_fields is None:
        if card.family_fields:
            raise TaskCardError(
                f"{path}: metadata.family_fields: family {family.name} adds no card field"
            )
        return
    try:
        family.card_fields.model_validate(card.family_fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise TaskCardError(f"{path}: metadata.family_fields.{field}: {error['msg']}") from None


@dataclass
class Registry:
    """All tasks known here, by name, with the folders lm-eval must index to build them."""

    task_dirs: list[Path]

    @classmethod
    def discover(cls, include_paths: Iterable[Path] = ()) -> Registry:
        entry_points = [folder for folder, _ in entry_point_folders()]
        return cls([builtin_tasks_dir(), *entry_points, *include_dirs(include_paths)])

    @cached_property
    def cards(self) -> dict[str, TaskCard]:
        cards: dict[str, TaskCard] = {}
        for folder in self.task_dirs:
            for path in task_files(folder):
                card = read_card(path)
                if card is None:
                    continue
                if card.name in cards:
                    raise TaskCardError(
                        f"{path}: task: '{card.name}' is already defined in {cards[card.name].path}"
                    )
                cards[card.name] = card
        _check_variants(cards.values(), cards)
        return cards

    def card(self, name: str) -> TaskCard:
        if name not in self.cards:
            raise UnknownTaskError(
                f"unknown task '{name}'; known tasks: {', '.join(sorted(self.cards)) or 'none'}"
            )
        return self.cards[name]

    def select(self, selectors: Sequence[str]) -> list[TaskCard]:
        """Expand task names, family names and the suites (``default``: every task of the
        families that are ``default_in_suite``; ``quick``: the demo's), keeping the given
        order."""
        chosen: dict[str, TaskCard] = {}
        known = families()
        for selector in selectors:
            if selector == DEFAULT_SUITE:
                matched = [c for c in self.cards.values() if known[c.family].default_in_suite]
            elif selector == QUICK_SUITE:
                matched = [self.card(name) for name in QUICK_TASKS]
            elif selector in known:
                matched = [c for c in self.cards.values() if c.family == selector]
            else:
                matched = [self.card(selector)]
            chosen.update((card.name, card) for card in matched)
        return list(chosen.values())


def _check_variants(checked: Iterable[TaskCard], known: dict[str, TaskCard]) -> None:
    """Each ``generative_variant`` must name a generative task among ``known``."""
    for card in checked:
        variant = card.generative_variant
        target = known.get(variant) if variant is not None else None
        if variant is not None and (target is None or target.requires != "generation"):
            raise TaskCardError(
                f"{card.path}: metadata.generative_variant: '{variant}' is not a known "
                "generative task"
            )


def validate_path(path: Path) -> list[TaskCard]:
    """Validate one YAML file or every YAML under a folder; raise on the first broken one, and
    on a folder without any (nothing validated is not "ok"). A ``generative_variant`` may name
    a task of the folder or a built-in one."""
    if not path.exists():
        raise TaskCardError(f"{path}: no such file or folder")
    files = [path] if path.is_file() else task_files(path)
    if not files:
        raise TaskCardError(f"{path}: no task YAML here (*.yaml): nothing to validate")
    cards = [card for file in files if (card := read_card(file)) is not None]
    _check_variants(cards, Registry.discover().cards | {card.name: card for card in cards})
    return cards
