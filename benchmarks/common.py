"""What every benchmark script shares: the figure it reports against its target, medians, the
machine's load (two shared cores make every timing noisy, so each script prints it)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO.parent / "shared" / "data"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Figure:
    """One measured figure and its target: ``value`` must be at most (or, with
    ``at_least``, at least) ``target``; no target: reported for the record."""

    name: str
    value: float
    target: float | None
    unit: str = "×"
    at_least: bool = False
    detail: str = ""

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.at_least else self.value <= self.target

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "—"}[self.passed]

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return f"{'≥' if self.at_least else '≤'} {self.target:g} {self.unit}".strip()

    def value_text(self) -> str:
        return f"{self.value:.3g} {self.unit}".strip()


def load_average() -> str:
    return f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of a command run to completion (its output discarded; failure raises)."""
    began = time.perf_counter()
    subprocess.run(
        command,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    return time.perf_counter() - began


def offline_env() -> dict[str, str]:
    """Nothing may reach a hub while a benchmark runs (and a retrying download would be timed)."""
    return {
        "PARTAGES_BENCH_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PARTAGES_BENCH_DATA": str(DATA_DIR),
    }


def print_figures(figures: Sequence[Figure]) -> None:
    width = max(len(figure.name) for figure in figures)
    print(f"{'figure':<{width}}  {'value':>12}  {'target':>12}  verdict")
    for figure in figures:
        print(
            f"{figure.name:<{width}}  {figure.value_text():>12}  {figure.target_text:>12}  "
            f"{figure.verdict}"
        )
        if figure.detail:
            print(f"{'':<{width}}  {figure.detail}")
