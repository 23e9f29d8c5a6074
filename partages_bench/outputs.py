"""Every file the command line writes, and the folders it writes into (issue 18).

- **One atomic write.** Bytes go to a temporary file beside the target (same folder, so that the
  rename never crosses file systems), are flushed and fsync'ed, then renamed over the target. A
  failure at any point — a full disk, Ctrl-C — removes the temporary file and leaves the old
  target as it was; an ``OSError`` becomes one line naming the file.
- **Paths inside their folder.** A name read from a report (a task) becomes a path part only
  through ``inside``, which refuses a path that resolves outside its folder (``..``, an absolute
  part, a symbolic link pointing elsewhere).
- **Output folders guarded.** A command writes into a missing or empty folder, or one holding its
  own earlier output (``check_output_folder``); anything else is refused unless ``--overwrite``.
  A folder written as a whole (a merged run) is made aside and moved in by ``replace_entries``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from .errors import UserError

_CHUNK = 1 << 20


def _write_chunk(stream: BinaryIO, chunk: bytes) -> None:
    """Every byte the CLI writes to a file goes through here (a test makes it fail midway, as a
    full disk does)."""
    stream.write(chunk)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (not every file system lets a folder be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_error(path: Path, error: OSError) -> UserError:
    return UserError(f"{path}: cannot write ({error.strerror or error})")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary sibling of ``target`` for the block to fill; it replaces ``target`` (fsync'ed
    first) only if the block succeeds, and is removed whatever happens."""
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield temp
        with temp.open("rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except OSError as error:
        raise write_error(target, error) from error
    finally:
        with contextlib.suppress(OSError):  # never there, or its folder never made
            temp.unlink(missing_ok=True)
    _fsync_folder(target.parent)


def write_chunks(target: Path, chunks: Iterable[bytes]) -> None:
    """``target`` made of ``chunks`` (streamed: a large file is never held whole), atomically."""
    with atomic_path(target) as temp, temp.open("wb") as stream:
        for chunk in chunks:
            _write_chunk(stream, chunk)


def write_bytes(target: Path, data: bytes) -> None:
    write_chunks(target, [data])


def write_text(target: Path, text: str) -> None:
    write_chunks(target, [text.encode("utf-8")])


def write_lines(target: Path, lines: Iterable[str]) -> None:
    """A text file of ``lines`` (each ending with its newline: JSONL), UTF-8, atomically."""
    write_chunks(target, (line.encode("utf-8") for line in lines))


def write_jsonl(records: Iterable[Mapping[str, Any]], target: Path) -> None:
    """One JSON object a line, UTF-8 and unescaped so that French stays readable; atomic."""
    write_lines(target, (json.dumps(record, ensure_ascii=False) + "\n" for record in records))


def copy_file(source: Path, target: Path) -> None:
    """``source``'s bytes as ``target``, atomically."""

    def chunks() -> Iterator[bytes]:
        with source.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk

    write_chunks(target, chunks())


def inside(folder: Path, *parts: str) -> Path:
    """``folder/parts…``, refused (one line naming it) when it resolves outside ``folder``:
    a ``..`` or absolute part, or a symbolic link to elsewhere, on the way or at the end."""
    path = folder.joinpath(*parts)
    root = folder.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise UserError(f"{path}: resolves outside {folder} ({resolved}); refused")
    return path


def check_output_folder(
    folder: Path, option: str, ours: Callable[[Path], bool], what: str, overwrite: bool
) -> None:
    """Refuse (exit 2, naming the folder) to write into ``folder`` unless it is missing, empty,
    ``ours`` (holds this command's earlier output, described by ``what``) or ``overwrite``."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise UserError(f"{option} {folder}: exists and is not a folder")
    if overwrite or not any(folder.iterdir()) or ours(folder):
        return
    raise UserError(
        f"{option} {folder}: not empty and not {what}; choose a new folder, or pass "
        "--overwrite to replace it"
    )


def remove_entries(folder: Path, names: Sequence[str]) -> None:
    """Remove the files or folders ``names`` of ``folder`` (those of an output being replaced)."""
    for name in names:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def staging_folder(target: Path) -> Iterator[Path]:
    """A new hidden folder beside ``target`` for the block to fill; removed whatever happens
    (``replace_entries`` moves its content into ``target`` first on success)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{target.name}-"
        staging = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=target.parent))
    except OSError as error:
        raise write_error(target, error) from error
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would hide a published folder from a web server
        yield staging
    except OSError as error:
        raise write_error(target, error) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def replace_entries(staging: Path, target: Path, names: Sequence[str]) -> None:
    """Move the entries ``names`` of ``staging`` into ``target``, replacing the target's (an
    entry missing from ``staging`` is removed from ``target``); other entries of ``target`` stay.

    Renames only, the old entries set aside first and put back if a rename fails, so that
    ``target`` never holds half of the new output; ``names`` are moved in order (the file that
    marks a complete output last). A missing ``target`` is ``staging`` renamed."""
    try:
        if not target.exists():
            os.replace(staging, target)
            _fsync_folder(target.parent)
            return
        aside = staging / f".replaced-{uuid.uuid4().hex[:12]}"
        aside.mkdir()
    except OSError as error:
        raise write_error(target, error) from error
    moved: list[str] = []
    placed: list[str] = []
    try:
        for name in names:
            if (target / name).exists() or (target / name).is_symlink():
                os.replace(target / name, aside / name)
                moved.append(name)
        for name in names:
            if (staging / name).exists():
                os.replace(staging / name, target / name)
                placed.append(name)
    except OSError as error:
        remove_entries(target, placed)
        for name in moved:
            os.replace(aside / name, target / name)
        raise write_error(target, error) from error
    _fsync_folder(target)
