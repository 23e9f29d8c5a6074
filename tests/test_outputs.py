"""Issue 18, output destroyed: every file the CLI writes is written atomically (a full disk or
Ctrl-C leaves the earlier file as it was and no temporary file), and a command refuses an output
folder holding something else than its own earlier output unless --overwrite."""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import QA, QA_LL, quiet, write_run

from partages_bench import cli, outputs
from partages_bench.errors import UserError
from partages_bench.generator import generate_notes, write_jsonl
from partages_bench.options import RunOptions
from partages_bench.rundir import REPORT_JSON, RUN_OPTIONS_JSON, SAMPLES_DIR
from partages_bench.runner import run
from partages_bench.testing.fake_runs import write_generated_reports

# --- helpers ------------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) and its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """Temporary files or staging folders a command left behind (``outputs``' names)."""
    return sorted(str(path) for path in folder.rglob("*") if path.name.endswith(".tmp"))


def full_disk_after(monkeypatch: pytest.MonkeyPatch, room: int) -> None:
    """Every write through ``outputs`` fails with ENOSPC once ``room`` bytes are written (the
    last chunk cut, as a full disk cuts a file mid-line)."""

    def write(stream: object, chunk: bytes) -> None:
        nonlocal room
        if len(chunk) > room:
            stream.write(chunk[:room])  # type: ignore[attr-defined]
            room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        stream.write(chunk)  # type: ignore[attr-defined]
        room -= len(chunk)

    monkeypatch.setattr(outputs, "_write_chunk", write)


def main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """``partages-bench ARGS`` in this process (so that a test can fill the disk): the exit code
    and the error, which must be one line ``error: …`` on stderr."""
    monkeypatch.setattr(sys, "argv", ["partages-bench", *args])
    try:
        cli.main()
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    error = capsys.readouterr().err.strip()
    if code == 2:
        assert len(error.splitlines()) == 1 and error.startswith("error: "), error
    return code, error


# --- the atomic writer ----------------------------------------------------------------------------

WRITERS: dict[str, Callable[[Path], None]] = {
    "text": lambda target: outputs.write_text(target, "new\n" * 50_000),
    "bytes": lambda target: outputs.write_bytes(target, b"new\n" * 50_000),
    "jsonl": lambda target: outputs.write_lines(target, ('{"n": 1}\n' for _ in range(50_000))),
    "copy": lambda target: outputs.copy_file(Path(outputs.__file__), target),
}


@pytest.mark.parametrize("writer", WRITERS)
def test_a_full_disk_keeps_the_old_file_and_no_temporary_file(
    writer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old, good\n")
    full_disk_after(monkeypatch, 1000)
    with pytest.raises(UserError) as error:
        WRITERS[writer](target)
    assert str(error.value) == f"{target}: cannot write (No space left on device)"
    assert target.read_text() == "old, good\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")

    def lines() -> Iterator[str]:
        yield "new\n"
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        outputs.write_lines(target, lines())
    assert target.read_text() == "old\n"
    assert [path.name for path in tmp_path.iterdir()] == ["out.jsonl"]


def test_a_written_file_replaces_the_old_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "out.jsonl"
    write_jsonl([{"a": "é"}, {"b": 2}], target)
    assert target.read_text(encoding="utf-8") == '{"a": "é"}\n{"b": 2}\n'
    write_jsonl([{"c": 3}], target)
    assert target.read_text(encoding="utf-8") == '{"c": 3}\n'


# --- every command on a full disk keeps its earlier output --------------------------------------


def _notes(tmp_path: Path) -> Path:
    gold = tmp_path / "gold.jsonl"
    write_jsonl(generate_notes(20, 7, "test"), gold)
    return gold


def _merged(tmp_path: Path) -> tuple[list[str], Path]:
    """Two runs of one evaluation and their merge (the earlier output of merging them again)."""
    a = write_run(tmp_path / "a", {QA: range(6)})
    b = write_run(tmp_path / "b", {QA_LL: range(4)})
    return [str(a), str(b)], tmp_path / "merged"


def _generate_pseudo(tmp: Path) -> tuple[list[str], Path]:
    out = tmp / "notes.jsonl"
    return ["data", "generate-pseudo", "--n", "20", "--seed", "3", "--out", str(out)], out


def _generate_records(tmp: Path) -> tuple[list[str], Path]:
    out = tmp / "records.jsonl"
    return ["data", "generate-records", "--n", "3", "--seed", "3", "--out", str(out)], out


def _generate_oncology(tmp: Path) -> tuple[list[str], Path]:
    out = tmp / "oncology.jsonl"
    return ["data", "generate-oncology", "--n", "4", "--seed", "3", "--out", str(out)], out


def _pseudo_rules(tmp: Path) -> tuple[list[str], Path]:
    out = tmp / "predictions.jsonl"
    return ["baseline", "pseudo-rules", "--gold", str(_notes(tmp)), "--output", str(out)], out


def _merge(tmp: Path) -> tuple[list[str], Path]:
    runs, out = _merged(tmp)
    return ["report", "merge", *runs, "--output", str(out)], out


def _leaderboard(tmp: Path) -> tuple[list[str], Path]:
    write_generated_reports(tmp / "runs", 2, 4, seed=1, samples_per_task=3)
    out = tmp / "site"
    return ["leaderboard", "build", str(tmp / "runs"), "--out", str(out)], out


# Each gives the command's arguments and the output they write, under a folder.
FULL_DISK_COMMANDS: dict[str, Callable[[Path], tuple[list[str], Path]]] = {
    "data generate-pseudo": _generate_pseudo,
    "data generate-records": _generate_records,
    "data generate-oncology": _generate_oncology,
    "baseline pseudo-rules": _pseudo_rules,
    "report merge": _merge,
    "leaderboard build": _leaderboard,
}


@pytest.mark.parametrize("command", FULL_DISK_COMMANDS)
def test_a_command_failing_on_a_full_disk_keeps_its_earlier_output(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's cases: ``data generate-pseudo`` on a full disk replaced a good file with
    204,800 bytes cut mid-line; a merge left a folder without report.json."""
    args, output = FULL_DISK_COMMANDS[command](tmp_path)
    assert main(monkeypatch, capsys, *args)[0] == 0
    before = snapshot(tmp_path)
    full_disk_after(monkeypatch, 2000)
    code, error = main(monkeypatch, capsys, *args)
    assert code == 2 and "cannot write (No space left on device)" in error
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []
    assert output.exists()


def test_a_run_failing_on_a_full_disk_keeps_the_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run used to leave ``.report.json.tmp``; now the earlier report stays whole."""
    options = RunOptions(output=tmp_path / "run", tasks=["qa"], command=["(test)"])
    run(options, quiet())  # no QA data here: every task skipped, no model loaded
    before = snapshot(tmp_path)
    full_disk_after(monkeypatch, 500)
    with pytest.raises(UserError, match=r"report\.json: cannot write \(No space left"):
        run(options, quiet())
    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []


# --- output folders: this command's earlier output, or refused ----------------------------------


def _other_run(folder: Path) -> Path:
    """A finished run of other options, with a sample log: the output a careless command would
    destroy."""
    write_run(folder, {QA: range(4)})
    (folder / RUN_OPTIONS_JSON).write_text(json.dumps({"tasks": [QA], "limit": 4}))
    return folder


def _strangers(folder: Path) -> Path:
    folder.mkdir()
    (folder / "thesis.tex").write_text("not a run")
    return folder


def _same_run(folder: Path) -> Path:
    run(RunOptions(output=folder, tasks=["qa"], seed=5, command=["(test)"]), quiet())
    return folder


RUN = ["run", "--tasks", "qa", "--seed", "5"]  # no QA data here: every task skipped, no model
GUARDED: list[tuple[str, Callable[[Path], Path], list[str], int, str]] = [
    # (case, earlier output, command (OUT: the folder), exit code, words of the error)
    ("run, bad option", _other_run, [*RUN, "--limit", "-2", "--output", "OUT"], 2, "--limit: -2"),
    (
        "run, other run",
        _other_run,
        [*RUN, "--output", "OUT"],
        2,
        "OUT: not empty and not a run with the same options",
    ),
    ("run, other files", _strangers, [*RUN, "--output", "OUT"], 2, "--output OUT: not empty"),
    ("run, bad seed", _same_run, [*RUN[:-2], "--seed", "-1", "--output", "OUT"], 2, "--seed"),
    ("run, same command", _same_run, [*RUN, "--output", "OUT"], 0, ""),
    ("run --overwrite", _other_run, [*RUN, "--output", "OUT", "--overwrite"], 0, ""),
    (
        "merge, other run",
        _other_run,
        ["report", "merge", "A", "B", "-o", "OUT"],
        2,
        "OUT: not empty and not a merge",
    ),
    (
        "merge, files",
        _strangers,
        ["report", "merge", "A", "B", "-o", "OUT"],
        2,
        "--output OUT: not empty",
    ),
    (
        "merge --overwrite",
        _other_run,
        ["report", "merge", "A", "B", "-o", "OUT", "--overwrite"],
        0,
        "",
    ),
    (
        "site, other files",
        _strangers,
        ["leaderboard", "build", "A", "--out", "OUT"],
        2,
        "--out OUT: not empty",
    ),
]


@pytest.mark.parametrize(
    ("earlier", "command", "code", "words"),
    [case[1:] for case in GUARDED],
    ids=[case[0] for case in GUARDED],
)
def test_an_output_folder_holding_something_else_is_refused_untouched(
    earlier: Callable[[Path], Path],
    command: list[str],
    code: int,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = earlier(tmp_path / "out")
    a = write_run(tmp_path / "a", {QA: range(6)})
    b = write_run(tmp_path / "b", {QA_LL: range(4)})
    names = {"OUT": str(out), "A": str(a), "B": str(b)}
    before = snapshot(out)
    result, error = main(monkeypatch, capsys, *(names.get(arg, arg) for arg in command))
    assert result == code, error
    if code == 2:
        assert words.replace("OUT", str(out)) in error
        assert snapshot(out) == before
    elif "--overwrite" in command:
        # Replaced: no sample log or options of the earlier run left to mix with the new ones.
        after = snapshot(out)
        samples = f"{SAMPLES_DIR}/{QA}.jsonl"
        assert after[REPORT_JSON] != before[REPORT_JSON]
        assert after.get(samples) != before[samples]
        assert (RUN_OPTIONS_JSON in after) == (command[0] == "run")
    assert leftovers(tmp_path) == []


def test_merging_the_same_runs_again_replaces_the_earlier_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs, output = _merged(tmp_path)
    merge = ["report", "merge", *runs, "--output", str(output)]
    assert main(monkeypatch, capsys, *merge)[0] == 0
    (output / "notes.txt").write_text("mine")  # not a run's file: kept
    assert main(monkeypatch, capsys, *merge)[0] == 0
    assert (output / "notes.txt").read_text() == "mine"
    code, error = main(monkeypatch, capsys, "report", "merge", runs[0], "--output", str(output))
    assert code == 2 and "not a merge of the same runs" in error
