"""The generator's French content: data files beside the code, read once and checked as read.

Templates, specialty tables, lexicons and identity tables live in ``content/`` (YAML, and CSV
for the two geography tables; ``content/README.md`` describes them for whoever edits them) so
that a clinician can read and change them without reading Python; the modules keep the logic.

Contract: a file is read once per process (``functools.cache``; PyYAML's C loader when there is
one, as ``inputs.read_yaml`` reads) and checked against its schema before any of it is used. A
missing or unknown key, a repeated key, a value of the wrong type or a broken table row is one
``InputFileError`` naming the file and the field (``…/content/lab_tests.yaml: tests.hb.low:
expected a number, found text``), never a ``KeyError`` deep inside a generator. Checks that need
the code (a template's slots, a lab test's key, the markup's kinds) are made by the module that
owns it, with ``content_error`` for the same message shape.

Schemas are plain values: ``str``, ``bool``, ``int``, ``float`` (an integer is a float too);
``[s]`` a non-empty list of ``s``; ``(s1, s2)`` a list of exactly those items;
``{"key": s, "key?": s}`` a mapping with exactly these keys ("?": optional); ``{str: s}`` a
mapping with any keys; ``Check(problem)`` text that ``problem`` finds nothing wrong with (it
returns what is wrong, or None).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Hashable, Sized
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from partages_bench.inputs import InputFileError, read_text, read_yaml

CONTENT_DIR = Path(__file__).parent / "content"
SizedT = TypeVar("SizedT", bound=Sized)


class _ContentLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, refusing a key written twice in one mapping (YAML keeps the last one
    silently: a template or a lab test pasted twice would vanish without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:  # unhashable: the base class says so
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


@dataclass(frozen=True)
class Check:
    """A text value with a further check: ``problem(text)`` says what is wrong, or None."""

    problem: Callable[[str], str | None]


def one_of(*values: str) -> Check:
    """Text that is one of ``values``."""
    return Check(lambda text: None if text in values else f"expected one of {', '.join(values)}")


def content_error(name: str, field: str, problem: str) -> InputFileError:
    """The one error shape for the content: ``<file>: <field>: <problem>``."""
    return InputFileError(f"{CONTENT_DIR / name}: {field or 'top level'}: {problem}")


def at_least(items: SizedT, least: int, name: str, field: str) -> SizedT:
    """``items``, which a generator draws ``least`` of at once (``random.sample``)."""
    if len(items) < least:
        problem = f"needs at least {least} items (a case may draw {least} at once)"
        raise content_error(name, field, problem)
    return items


@cache
def _read(name: str) -> Any:
    return read_yaml(CONTENT_DIR / name, loader=_ContentLoader)


def load(name: str, schema: Any) -> Any:
    """The YAML file ``content/<name>``, checked against ``schema`` (see the module's doc)."""
    value = _read(name)
    _check(value, schema, name, "")
    return value


@cache
def load_table(name: str, columns: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The rows of ``content/<name>``, a ";"-separated table whose header is ``columns``; every
    cell is non-empty text."""
    lines = read_text(CONTENT_DIR / name).splitlines()
    rows = list(csv.reader(lines, delimiter=";"))
    if not rows or tuple(rows[0]) != columns:
        raise content_error(name, "line 1", f"the header must be {';'.join(columns)}")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(columns) or not all(cell.strip() for cell in row):
            raise content_error(
                name, f"line {number}", f"expected {len(columns)} non-empty cells separated by ;"
            )
    return tuple(tuple(cell.strip() for cell in row) for row in rows[1:])


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _check(value: Any, schema: Any, name: str, field: str) -> None:
    def wrong(expected: str) -> InputFileError:
        return content_error(name, field, f"expected {expected}, found {_kind(value)}")

    if isinstance(schema, list | tuple):
        if not isinstance(value, list):
            raise wrong("a list")
        if not value:
            raise content_error(name, field, "an empty list: leave the key out or add an item")
        if isinstance(schema, tuple) and len(value) != len(schema):
            raise content_error(name, field, f"expected {len(schema)} items, found {len(value)}")
        items = schema if isinstance(schema, tuple) else schema * len(value)
        for index, (item, item_schema) in enumerate(zip(value, items, strict=True)):
            _check(item, item_schema, name, f"{field}[{index}]")
    elif isinstance(schema, dict):
        if not isinstance(value, dict):
            raise wrong("a mapping")
        if str in schema:
            fields = dict.fromkeys(value, schema[str])
        else:
            fields = {key.removesuffix("?"): item for key, item in schema.items()}
            required = [key for key in schema if not key.endswith("?")]
            missing = [key for key in required if key not in value]
            unknown = [str(key) for key in value if key not in fields]
            if missing:
                raise content_error(name, field, f"missing key {missing[0]!r}")
            if unknown:
                known = ", ".join(fields)
                raise content_error(name, field, f"unknown key {unknown[0]!r} (known: {known})")
        for key, item in value.items():
            if not isinstance(key, str):
                raise content_error(name, field, f"key {key!r} is not text: write it in quotes")
            _check(item, fields[key], name, _join(field, key))
    elif isinstance(schema, Check):
        if not isinstance(value, str):
            raise wrong("text")
        problem = schema.problem(value)
        if problem:
            raise content_error(name, field, problem)
    elif schema is float:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise wrong("a number")
    elif schema is bool:
        if not isinstance(value, bool):
            raise wrong("true or false")
    elif schema is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise wrong("a whole number")
    elif schema is str:
        if not isinstance(value, str):
            raise wrong("text")
    else:
        raise TypeError(f"not a content schema: {schema!r}")
