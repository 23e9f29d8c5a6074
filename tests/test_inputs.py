"""Offline scoring reads its inputs as it did before JSON lines were parsed as they are read
(issue 17): same records, same line numbers, same errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from partages_bench.inputs import InputFileError, read_records


def test_json_lines_and_arrays_give_the_same_records(tmp_path: Path) -> None:
    lines = tmp_path / "a.jsonl"
    lines.write_text('\n  \n{"id": 1}\r\n\n{"id": 2}', encoding="utf-8")
    assert read_records(lines) == [(f"{lines} line 3", {"id": 1}), (f"{lines} line 5", {"id": 2})]
    array = tmp_path / "a.json"
    array.write_text('\n [{"id": 1},\n {"id": 2}]\n', encoding="utf-8")
    assert read_records(array) == [
        (f"{array} record 1", {"id": 1}),
        (f"{array} record 2", {"id": 2}),
    ]
    empty = tmp_path / "empty.jsonl"
    empty.write_text(" \n\n", encoding="utf-8")
    assert read_records(empty) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1}\n{"id": \n', r"b\.jsonl line 2: invalid JSON"),
        # A line separator inside a string ends the line, as str.splitlines always did.
        ('{"id": 1}\n{"text": "a\u2028b"}\n', r"b\.jsonl line 2: invalid JSON"),
        ('{"id": 1}\n[1]\n', r"b\.jsonl line 2: expected a JSON object"),
        ('\n[{"id": 1},\n oops]', r"b\.jsonl line 3: invalid JSON"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        read_records(path)
