"""Shards of each task's documents (``run --shard K/N``), so that one evaluation can be spread
over N nodes and merged back by ``report merge`` into the report of a single run.

Documents, not lm-eval positions, are dealt out: the passages of one note (the options of one
question) share a doc id and are scored as one document, so they must stay in one shard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
