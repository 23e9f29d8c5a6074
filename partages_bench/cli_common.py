"""What every command shares, the built-in ones and those a family brings (``score <family>``,
``baseline NAME``): the console, literal text, tables that never cut an id, metric tables, and
the option aliases whose help and defaults are defined here once (``--json``, ``--bootstrap``,
``--seed``, ``--gold``, ``--predictions``, the BERTScore model).

Kept free of heavy imports: the CLI imports it at start-up (rich is imported on first use).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import option_types as checked
from .inputs import strict_json
from .names import DEFAULT_BOOTSTRAP as DEFAULT_BOOTSTRAP
from .names import DEFAULT_SEED as DEFAULT_SEED
from .options import MAX_BOOTSTRAP, MAX_SEED

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from .schema import MetricValue


@cache
def console() -> Console:
    """The console, made on first use: ``--help`` needs none (rich.console costs ~20 ms)."""
    from rich.console import Console

    return Console()


def text(value: object) -> str:
    """A user's string (a name, a path, a reason) as rich prints it literally: ``[/x]`` in a
    model name must neither crash the table nor ``[red]`` recolour it."""
    from rich.markup import escape

    return escape(str(value))


def table(*columns: str, ids: Collection[str] = (), **settings: Any) -> Table:
    """A table that never cuts what a user copies (a task, a dataset, a metric, a command):
    those columns never wrap, and the others fold, never cut, to make room."""
    from rich.table import Table

    made = Table(**settings)
    for column in columns:
        if column in ids:
            made.add_column(column, no_wrap=True)
        else:
            made.add_column(column, overflow="fold")
    return made


def print_scores(results: Mapping[str, Mapping[str, MetricValue]], as_json: bool) -> None:
    """Metrics per task (or mode): JSON ``{task: {metric: {value, ci_low, …}}}`` or tables."""
    if as_json:
        payload = {
            task: {name: metric.model_dump() for name, metric in metrics.items()}
            for task, metrics in results.items()
        }
        print(strict_json(payload, indent=2))
        return
    from rich.table import Table

    from .report import format_metric

    for task, metrics in results.items():
        shown = Table("metric", "value [95 % CI]", "better", title=task)
        for name, metric in metrics.items():
            better = "higher" if metric.higher_is_better else "lower"
            shown.add_row(text(name), format_metric(metric), better)
        console().print(shown)


AsJson = Annotated[bool, typer.Option("--json", help="Metrics as JSON on stdout.")]
Bootstrap = Annotated[
    int,
    typer.Option(
        help=f"Bootstrap resamples for the 95 % CIs (1 to {MAX_BOOTSTRAP}).",
        callback=checked.BOOTSTRAP,
    ),
]
BootstrapSeed = Annotated[
    int,
    typer.Option("--seed", help=f"Bootstrap seed (0 to {MAX_SEED}).", callback=checked.SEED),
]


def gold_option(what: str) -> Any:
    """``--gold FILE``, described by the family (its schema)."""
    return Annotated[Path, typer.Option("--gold", help=what)]


def predictions_option(what: str) -> Any:
    """``--predictions FILE``, described by the family (its schema)."""
    return Annotated[Path, typer.Option("--predictions", help=what)]


BertScoreModel = Annotated[
    str | None,
    typer.Option(
        help="BERTScore model: hub id or local folder (default: bert_score's French model, "
        "bert-base-multilingual-cased, which needs the hub or its cache).",
        envvar="PARTAGES_BENCH_BERTSCORE_MODEL",
    ),
]
BertScoreLayers = Annotated[
    int | None,
    typer.Option(
        help="BERTScore layer, required for a model bert_score has no default for.",
        callback=checked.run_option("bertscore_layers"),
    ),
]
