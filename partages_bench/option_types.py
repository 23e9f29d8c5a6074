"""Option values checked where they enter: typer callbacks that refuse an out-of-range number,
NaN, a malformed batch size or an empty task list while the command line is parsed, before any
file is read or model loaded. A refusal is click's ``BadParameter``, which ``cli.main`` prints
as one line naming the option (exit code 2).

The limits of ``run``'s options are ``options.LIMITS``, the table ``validate_options`` checks
again when a run starts: one rule, one wording, whether an option comes from the command line or
from a ``run.json``.

Kept free of heavy imports: the CLI imports it at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from .options import LIMITS, Limit, batch_size_problem

Callback = Callable[[Any, Any, Any], Any]


def _checked(limit: Limit) -> Callback:
    """A callback refusing what ``limit`` refuses; ``None`` (not given) passes."""

    def check(ctx: Any, param: Any, value: Any) -> Any:
        if value is not None and (problem := limit.problem(value)) is not None:
            raise typer.BadParameter(problem)
        return value

    return check


def in_range(
    low: float | None = None, high: float | None = None, low_open: bool = False
) -> Callback:
    """A callback refusing NaN, infinities and values outside ``[low, high]`` (``(low, high]``
    with ``low_open``); ``None`` (not given) passes."""
    return _checked(Limit(low, high, low_open))


def run_option(name: str) -> Callback:
    """The callback of ``run``'s option field ``name``: its limits in ``options.LIMITS``."""
    return _checked(LIMITS[name])


SEED = run_option("seed")  # every command's seed: one range
BOOTSTRAP = run_option("bootstrap_iterations")  # every command's resamples
COUNT = in_range(0)  # how many of something: 0 allowed
POSITIVE = in_range(1)  # at least one


def batch_size(ctx: Any, param: Any, value: str | None) -> str | None:
    """``--batch-size``: a positive integer, ``auto`` or ``auto:N`` (lm-eval's forms)."""
    if value is not None and (problem := batch_size_problem(value)) is not None:
        raise typer.BadParameter(problem)
    return value


def template_pool(ctx: Any, param: Any, value: str) -> str:
    """``--split`` of the generators: their template pool, ``test`` or ``dev``."""
    if value not in ("dev", "test"):
        raise typer.BadParameter(f"'{value}' is not 'dev' or 'test'")
    return value


def split_list(values: list[str]) -> list[str]:
    """``a,b`` and repeated options as one list, blanks dropped."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def task_selectors(ctx: Any, param: Any, value: list[str] | None) -> list[str] | None:
    """``--tasks``: given, it must name at least one task, family or suite."""
    if value and not split_list(value):
        raise typer.BadParameter(
            f"'{','.join(value)}' names no task; give task names, families or a suite"
        )
    return value
