"""``run --shard auto``: the shard of a SLURM array job, read from its environment variables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import assert_one_line_error

from partages_bench.errors import UserError
from partages_bench.sharding import Shard, resolve_shard, select_shard, shard_from_environment

DOC_IDS = ["a", "a", "b", "c", "c", "c", "d", "e", "a", "f", "g"]


@pytest.mark.parametrize("first", [0, 1, 5])
def test_every_array_job_gets_one_shard_and_their_union_is_the_task(first: int) -> None:
    """An array MIN..MIN+N-1 gives shards 1/N..N/N once each; their positions partition the
    task's positions (each document in one shard)."""
    count = 4
    shards = [
        shard_from_environment(
            {
                "SLURM_ARRAY_TASK_ID": str(first + job),
                "SLURM_ARRAY_TASK_COUNT": str(count),
                "SLURM_ARRAY_TASK_MIN": str(first),
            }
        )
        for job in range(count)
    ]
    assert shards == [Shard(k, count) for k in range(1, count + 1)]
    positions = [select_shard(DOC_IDS, range(len(DOC_IDS)), shard) for shard in shards]
    assert sorted(i for part in positions for i in part) == list(range(len(DOC_IDS)))


def test_min_defaults_to_zero() -> None:
    environ = {"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "3"}
    assert shard_from_environment(environ) == Shard(1, 3)


def test_resolve_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    monkeypatch.setenv("SLURM_ARRAY_TASK_MIN", "1")
    monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "3")
    assert resolve_shard("auto") == "3/3"
    assert resolve_shard("2/5") == "2/5"
    assert resolve_shard(None) is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT not set"),
        ({"SLURM_ARRAY_TASK_ID": "1"}, "SLURM_ARRAY_TASK_COUNT not set"),
        ({"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"}, "not a whole number"),
        ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "2"}, "not 1 <= K <= N"),
        (
            {
                "SLURM_ARRAY_TASK_ID": "0",
                "SLURM_ARRAY_TASK_COUNT": "2",
                "SLURM_ARRAY_TASK_MIN": "1",
            },
            "give shard 0/2",
        ),
    ],
)
def test_missing_or_inconsistent_variables_are_one_line_errors(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(UserError, match=r"^--shard auto: ") as error:
        shard_from_environment(environ)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_cli_refuses_auto_outside_an_array(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_ARRAY_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "partages_bench",
            "run",
            "--model",
            "default",
            "--shard",
            "auto",
            "--output",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert_one_line_error(result, "--shard auto: SLURM_ARRAY_TASK_ID")
