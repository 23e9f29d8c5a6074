"""Option values checked where they enter: typer callbacks that refuse an out-of-range number,
NaN, a malformed batch size or an empty task list while the command line is parsed, before any
file is read or model loaded. A refusal is click's ``BadParameter``, which ``cli.main`` prints
as one line naming the option (exit code 2).

Kept free of heavy imports: the CLI imports it at start-up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import typer

# numpy's legacy seeding (lm-eval's numpy_random_seed) takes 0 to 2**32 - 1; every seed option
# shares that range so that a seed that works for one command works for all.
MAX_SEED = 2**32 - 1
# Bootstrap resamples: an index matrix of documents × resamples is drawn (compare keeps it
# whole); beyond this the run takes hours or the memory runs out, for no visible gain.
MAX_BOOTSTRAP = 100_000
_BATCH_SIZE = re.compile(r"auto(:[1-9]\d*)?|[1-9]\d*")

Callback = Callable[[Any, Any, Any], Any]


def _text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range(low: float | None, high: float | None, low_open: bool) -> str:
    start = f"above {_text(low)}" if low_open else f"{_text(low)}"
    if high is None:
        return start if low_open else f"at least {start}"
    if low is None:
        return f"at most {_text(high)}"
    return f"{start}, at most {_text(high)}" if low_open else f"{start} to {_text(high)}"


def in_range(
    low: float | None = None, high: float | None = None, low_open: bool = False
) -> Callback:
    """A callback refusing NaN, infinities and values outside ``[low, high]`` (``(low, high]``
    with ``low_open``); ``None`` (not given) passes."""

    def check(ctx: Any, param: Any, value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, float) and not math.isfinite(value):
            raise typer.BadParameter(f"{_text(value)} is not a number")
        below = low is not None and (value <= low if low_open else value < low)
        if below or (high is not None and value > high):
            raise typer.BadParameter(
                f"{_text(value)} is out of range ({_range(low, high, low_open)})"
            )
        return value

    return check


SEED = in_range(0, MAX_SEED)
BOOTSTRAP = in_range(1, MAX_BOOTSTRAP)
COUNT = in_range(0)  # how many of something: 0 allowed
POSITIVE = in_range(1)  # at least one


def limit(ctx: Any, param: Any, value: float | None) -> float | None:
    """``--limit``: a number of documents (a whole number, at least 1) or a share (above 0,
    below 1)."""
    in_range(0, low_open=True)(ctx, param, value)
    if value is not None and value >= 1 and not value.is_integer():
        raise typer.BadParameter(f"{_text(value)} is not a whole number of documents")
    return value


def batch_size(ctx: Any, param: Any, value: str | None) -> str | None:
    """``--batch-size``: a positive integer, ``auto`` or ``auto:N`` (lm-eval's forms)."""
    if value is not None and not _BATCH_SIZE.fullmatch(value.strip()):
        raise typer.BadParameter(f"'{value}' is not a positive integer, 'auto' or 'auto:N'")
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
