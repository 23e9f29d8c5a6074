"""Shards of each task's documents (``run --shard K/N``), so that one evaluation can be spread
over N nodes and merged back by ``report merge`` into the report of a single run.

Documents, not lm-eval positions, are dealt out: the passages of one note (the options of one
question) share a doc id and are scored as one document, so they must stay in one shard.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import UserError

_SHARD = re.compile(r"(\d+)/(\d+)")
# Why a shard run skipped a task: it counts as that shard, with no record, in ``report merge``.
EMPTY_SHARD = "no document of this task falls in this shard"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise UserError(f"--shard: '{self}' needs 1 <= K <= N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.fullmatch(text.strip())
        if match is None:
            raise UserError(f"--shard: '{text}' is not K/N (two whole numbers, e.g. 2/4)")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


AUTO = "auto"
# The scheduler's array variables ``run --shard auto`` reads, per scheduler: (index, count, min).
_SCHEDULERS = {
    "SLURM": ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"),
}


def _whole(name: str, environ: Mapping[str, str]) -> int:
    text = environ[name]
    if not text.strip().isdigit():
        raise UserError(f"--shard auto: {name} is {text!r}, not a whole number")
    return int(text)


def shard_from_environment(environ: Mapping[str, str] | None = None) -> Shard:
    """The shard of this job of a SLURM job array (``sbatch --array=MIN-MAX``).

    K = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN + 1 and N = SLURM_ARRAY_TASK_COUNT;
    SLURM_ARRAY_TASK_MIN is taken as 0 when unset (an array ``--array=0-(N-1)``), so arrays
    starting at 1 (``--array=1-N``) work whenever SLURM sets it (it always does). The array must
    be contiguous with step 1 (``%`` throttling is fine): any other gives a K outside 1..N,
    refused. Missing variables are a one-line error."""
    environ = os.environ if environ is None else environ
    index_name, count_name, min_name = _SCHEDULERS["SLURM"]
    missing = [name for name in (index_name, count_name) if name not in environ]
    if missing:
        raise UserError(
            f"--shard auto: {' and '.join(missing)} not set (run it inside a SLURM job array, "
            "sbatch --array, or pass --shard K/N)"
        )
    index, count = _whole(index_name, environ), _whole(count_name, environ)
    first = _whole(min_name, environ) if min_name in environ else 0
    k = index - first + 1
    if count < 1 or not 1 <= k <= count:
        raise UserError(
            f"--shard auto: {index_name}={index}, {min_name}={first} and {count_name}={count} "
            f"give shard {k}/{count}, not 1 <= K <= N (the array must be MIN-MAX, step 1)"
        )
    return Shard(k, count)


def resolve_shard(text: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """``--shard``'s value as the run records it: ``auto`` becomes this array job's ``K/N``."""
    if text is None or text.strip() != AUTO:
        return text
    return str(shard_from_environment(environ))


def select_shard(doc_ids: Sequence[str], indices: Sequence[int], shard: Shard) -> list[int]:
    """The positions among ``indices`` (kept in their order: lm-eval expects them ascending)
    whose document falls in ``shard``; ``doc_ids[i]`` is the doc id at position ``i``.

    The g-th distinct document, in order of first appearance, goes to shard g % N + 1: shards
    differ by at most one document, and every position of a document goes where it goes.
    """
    ordinals: dict[str, int] = {}
    return [
        i
        for i in indices
        if ordinals.setdefault(doc_ids[i], len(ordinals)) % shard.count == shard.index - 1
    ]
