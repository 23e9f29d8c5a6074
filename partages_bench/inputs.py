"""Reading the files a user hands us: one reader for every JSON, JSON-lines and YAML input
(score files, reports, ``run.json``, sample logs, policies, task YAML and their ``utils.py``).

Whatever goes wrong — the path is a folder, unreadable or a symlink loop, the bytes are not
UTF-8 (Latin-1, a binary file), the text is not JSON or YAML, a value breaks the schema — ends
as one ``InputFileError`` naming the file and the line or the field, never a traceback.
JSON is read strictly: ``NaN`` and ``Infinity`` are not JSON numbers and are refused by field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from .errors import UserError

if TYPE_CHECKING:  # pydantic's models cost ~70 ms to import: the CLI's start-up does without
    from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound="BaseModel")


class InputFileError(UserError):
    """An input file cannot be read, decoded or parsed, or breaks its schema."""


def _unreadable(path: Path, exc: OSError, missing: str | None = None) -> InputFileError:
    if isinstance(exc, FileNotFoundError):
        return InputFileError(f"{path}: {missing or exc.strerror}")
    return InputFileError(f"{path}: cannot read ({exc.strerror or exc})")


def _decoded(path: Path, data: bytes, first_line: int = 1) -> str:
    """``data`` (the file's text from line ``first_line`` on) decoded as UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputFileError(
            f"{path} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column "
            f"{column}; a Latin-1 or binary file?): save it as UTF-8"
        ) from None


def read_text(path: Path, missing: str | None = None) -> str:
    """The file's text, decoded as UTF-8; ``missing`` replaces the OS's words for a file that
    is not there (e.g. "no report here")."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc, missing) from None
    return _decoded(path, data)


class _NonFinite(str):
    """``NaN``, ``Infinity`` or ``-Infinity`` met while parsing, kept to be found by field."""


def _non_finite_field(value: Any, prefix: str = "") -> tuple[str, str] | None:
    """(field, token) of the first non-finite constant in a parsed JSON value."""
    if isinstance(value, _NonFinite):
        return prefix or "top level", str(value)
    if isinstance(value, dict):
        items = [(f"{prefix}.{key}" if prefix else str(key), item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{prefix}[{index}]", item) for index, item in enumerate(value)]
    else:
        return None
    for field, item in items:
        if isinstance(item, dict | list | _NonFinite):
            found = _non_finite_field(item, field)
            if found is not None:
                return found
    return None


def parse_json(text: str, where: str, by_line: bool = True) -> Any:
    """Strict JSON (no ``NaN``/``Infinity``); ``where`` names the file in errors, followed by
    the line ``by_line`` (else ``where`` already names it)."""
    constants: list[str] = []  # NaN, Infinity met: only then is the value searched for them

    def constant(token: str) -> _NonFinite:
        constants.append(token)
        return _NonFinite(token)

    try:
        value = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        line = f" line {exc.lineno}" if by_line else ""
        raise InputFileError(f"{where}{line}: invalid JSON ({exc.msg})") from None
    except RecursionError:
        raise InputFileError(f"{where}: invalid JSON (nested too deeply)") from None
    found = _non_finite_field(value) if constants else None
    if found is not None:
        field, token = found
        raise InputFileError(f"{where}: {field}: {token} is not a JSON number")
    return value


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def strict_json(value: Any, **options: Any) -> str:
    """``json.dumps`` as strict as ``parse_json`` reads: a NaN or infinite number (a metric
    undefined on the data) is written ``null``, never the bare ``NaN`` JSON does not have."""
    return json.dumps(_finite(value), allow_nan=False, **options)


def read_json(path: Path, missing: str | None = None) -> Any:
    """A JSON document."""
    return parse_json(read_text(path, missing), str(path))


def read_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Records of a JSON array or JSON-lines file, each with where it came from (``file line N``
    or ``file record N``) for error messages. JSON lines are parsed as they are read: the text
    of a large file is never held whole (100,000 notes are 0.3 GB of JSON)."""
    try:
        with path.open("rb") as handle:
            located = list(_located(path, handle))
    except OSError as exc:
        raise _unreadable(path, exc) from None
    for where, item in located:
        if not isinstance(item, dict):
            raise InputFileError(f"{where}: expected a JSON object")
    return located


def _located(path: Path, handle: BinaryIO) -> Iterator[tuple[str, Any]]:
    lines = iter(handle)
    blank = []  # the blank lines before the first character
    for first in lines:
        if first.strip():
            break
        blank.append(first)
    else:
        return
    if first.lstrip().startswith(b"["):
        items = parse_json(_decoded(path, b"".join([*blank, first, handle.read()])), str(path))
        yield from ((f"{path} record {i + 1}", item) for i, item in enumerate(items))
        return
    # Numbered as ``str.splitlines`` numbers them: it also breaks lines at the separators a
    # text line may hold (form feed, U+2028…).
    number = 0
    for raw in chain(blank, [first], lines):
        for line in _decoded(path, raw, number + 1).splitlines():
            number += 1
            if line.strip():
                where = f"{path} line {number}"
                yield where, parse_json(line, where, by_line=False)


def read_yaml(path: Path, loader: Any = None, missing: str | None = None) -> Any:
    """A YAML document (``loader``: PyYAML's safe loader unless given)."""
    import yaml

    text = read_text(path, missing)
    try:
        return yaml.load(text, Loader=loader or getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputFileError(f"{path}: invalid YAML{where}: {problem}") from None
    except RecursionError:
        raise InputFileError(f"{path}: invalid YAML (nested too deeply)") from None


def schema_error(exc: ValidationError) -> str:
    """``field: message`` of a pydantic error's first problem."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "top level"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}"


def validated(model: type[Model], value: Any, where: str) -> Model:
    """``value`` as a ``model``; a schema problem is one error naming ``where`` and the field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InputFileError(f"{where}: {schema_error(exc)}") from None
