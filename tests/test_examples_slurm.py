"""``examples/slurm/``: the scripts parse, and the array's index arithmetic covers every
(checkpoint, shard) exactly once (fake SLURM variables, DRY_RUN prints the commands)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import REPO_ROOT

SLURM = REPO_ROOT / "examples" / "slurm"


@pytest.mark.parametrize("script", sorted(p.name for p in SLURM.iterdir() if p.suffix != ".md"))
def test_scripts_parse(script: str) -> None:
    assert subprocess.run(["bash", "-n", str(SLURM / script)]).returncode == 0


def _job(script: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SLURM / script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PLAN": str(SLURM / "plan.sh"), "DRY_RUN": "1", **env},
        timeout=30,
    )


def test_every_checkpoint_and_shard_is_one_array_job(tmp_path: Path) -> None:
    checkpoints = ["/scratch/ckpt/step-1000", "/scratch/ckpt/step-2000", "org/model-7b"]
    (tmp_path / "checkpoints.txt").write_text("# checkpoints\n" + "\n".join(checkpoints) + "\n\n")
    shards = 3
    commands = []
    for index in range(len(checkpoints) * shards):
        job = _job("evaluate.sbatch", tmp_path, SLURM_ARRAY_TASK_ID=str(index), SHARDS=str(shards))
        assert job.returncode == 0, job.stderr
        commands.append(job.stdout.split())
    runs = {(c[c.index("--model-args") + 1], c[c.index("--shard") + 1]) for c in commands}
    expected = {(f"pretrained={c}", f"{k}/{shards}") for c in checkpoints for k in (1, 2, 3)}
    assert runs == expected and len(commands) == len(expected)
    outputs = {c[c.index("--output") + 1] for c in commands}
    assert len(outputs) == len(commands)
    # One index past the array names what is wrong.
    past = _job("evaluate.sbatch", tmp_path, SLURM_ARRAY_TASK_ID="9", SHARDS="3")
    assert past.returncode == 2 and "no checkpoint 4" in past.stderr
    merge = _job("merge.sbatch", tmp_path, SHARDS=str(shards)).stdout.splitlines()
    assert len(merge) == len(checkpoints) + 1
    assert all(" report merge " in line for line in merge[:-1])
    assert " leaderboard build runs/merged " in merge[-1]
