"""Cached re-run: the same run a second time with ``--resume`` against the first run.

Why: a run that stopped (an endpoint down, a node lost, Ctrl-C) or is asked again must not pay
for the model twice: finished tasks are kept from the report, finished answers come from the
run's response cache, and nothing loads the model when nothing is left to ask. Target: the
second run ≥ 20× faster than the first.

Both as subprocesses, as a user types them: ``partages-bench run --model default --tasks T
--limit N --output D``, then ``partages-bench run --resume D``; the second must leave the
report's scores unchanged (checked).

    .venv/bin/python benchmarks/cached_rerun.py [--tasks T,…] [--limit N]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import BIN, Figure, load_average, offline_env, print_figures, timed

from partages_bench.rundir import load_report

TARGET = 20.0


def measure(tasks: str = "frenchmedmcqa,pseudo_detect_generated", limit: int = 8) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cached-rerun-") as root:
        folder = Path(root) / "run"
        partages_bench = str(BIN / "partages-bench")
        first = timed(
            [partages_bench, "run", "--model", "default", "--tasks", tasks, "--limit", str(limit),
             "--output", str(folder)],
            offline_env(),
        )  # fmt: skip
        before = load_report(folder).tasks
        second = timed([partages_bench, "run", "--resume", str(folder)], offline_env())
        if load_report(folder).tasks != before:
            raise RuntimeError("the resumed run changed the report's task results")
    return {"tasks": tasks, "limit": limit, "first_s": first, "second_s": second}


def figures(result: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            "cached re-run: first / second",
            result["first_s"] / result["second_s"],
            TARGET,
            at_least=True,
            detail=f"{result['tasks']}, --limit {result['limit']}: {result['first_s']:.1f} s, "
            f"then --resume {result['second_s']:.2f} s (report unchanged)",
        )
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="frenchmedmcqa,pseudo_detect_generated")
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args(argv)
    print(f"load average at start: {load_average()}")
    print_figures(figures(measure(args.tasks, args.limit)))
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
