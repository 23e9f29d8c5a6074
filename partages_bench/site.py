"""The leaderboard as a static site: every number rendered into HTML at build time.

The site must open from ``file://`` on an offline machine, so nothing is fetched when a page
opens: no JSON loaded by script, no CDN, no font. ``assets/site.js`` only sorts and filters the
table already in the page. Pages are rendered by jinja2 with autoescaping on (model names,
outputs and prompts are untrusted text); the per-family bar chart is inline SVG drawn here.

Layout of the output folder::

    index.html                      main table (overall + families; a filter shows tasks)
    models/<slug>.html              provenance, every metric of every task, chart
    tasks/<task>.html               every metric per run, per task/data variant; the task card
    tasks/<task>/samples-<k>.html   per-document drill-down, 25 documents a page
    reports/<slug>/report.{json,md} the raw reports, copied
    data/leaderboard.{json,csv}     the board, for other tools
    assets/site.{css,js}
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from .errors import UserError
from .outputs import copy_file, inside, replace_entries, staging_folder, write_text
from .rundir import REPORT_JSON, REPORT_MD, read_samples, samples_path
from .schema import (
    Leaderboard,
    LeaderboardCell,
    LeaderboardColumn,
    LeaderboardRow,
    SampleRecord,
    TaskCard,
    TaskResult,
    TaskVariant,
)
from .stats import AGGREGATIONS, to_columns

SAMPLES_PER_PAGE = 25
COMPARED_RUNS = 10  # runs whose outputs the drill-down shows side by side, by default
BOARD_JSON = Path("data") / "leaderboard.json"
BOARD_CSV = Path("data") / "leaderboard.csv"
ASSETS = ("site.css", "site.js")


def leaderboard_dir() -> Path:
    """Templates and static files: inside an installed wheel, or ``leaderboard/`` of a checkout."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "_leaderboard"
    return installed if installed.is_dir() else package_dir.parent / "leaderboard"


# --- Small pure helpers, also used as template filters ---


def safe_name(name: str) -> str:
    """A task or family name usable as a file name and a URL fragment as is."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def fmt(value: float | None) -> str:
    """A score as the site shows it: 3 decimals, an em dash when there is none."""
    return "—" if value is None or math.isnan(value) else f"{value:.3f}"


def ci_text(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"[{fmt(low)}, {fmt(high)}]"


def rank_text(cell: LeaderboardCell) -> str:
    """``3``, or ``=3`` when another run shares the rank."""
    if cell.rank is None:
        return ""
    return f"={cell.rank}" if cell.tied else str(cell.rank)


def column_anchor(column: LeaderboardColumn) -> str:
    """The id of the section of a model page that a cell of ``column`` links to."""
    if column.kind == "overall":
        return "overall"
    if column.kind == "family":
        return f"family-{safe_name(column.family or column.label)}"
    return f"task-{safe_name(column.tasks[0])}"


def cell_title(column: LeaderboardColumn, cell: LeaderboardCell) -> str:
    """The tooltip of a cell: everything it shows, in words."""
    parts = [f"{column.label}: {fmt(cell.value)}"]
    if cell.ci_low is not None and cell.ci_high is not None:
        parts.append(f"95 % CI {ci_text(cell.ci_low, cell.ci_high)}")
    if cell.rank is not None:
        parts.append(f"rank {cell.rank}" + (" (tied)" if cell.tied else ""))
    if cell.note:
        parts.append(cell.note)
    return "; ".join(parts)


def sort_value(cell: LeaderboardCell) -> str:
    """What the table sorts on: empty (always last) for a missing or non-comparable value."""
    return "" if cell.value is None or not cell.comparable else repr(cell.value)


def samples_page(task: str, page: int) -> str:
    """Path of a drill-down page, relative to the site root."""
    return f"tasks/{safe_name(task)}/samples-{page}.html"


def paginate(items: Sequence, size: int = SAMPLES_PER_PAGE) -> list[Sequence]:
    """``items`` in pages of ``size``; one empty page when there is nothing (the link exists)."""
    return [items[start : start + size] for start in range(0, len(items), size)] or [items[:0]]


def metric_directions(results: Iterable[TaskResult]) -> list[tuple[str, bool]]:
    """Every metric the results report, in report order, with its direction."""
    directions: dict[str, bool] = {}
    for result in results:
        for name, metric in result.metrics.items():
            directions.setdefault(name, metric.higher_is_better)
    return list(directions.items())


def board_csv(board: Leaderboard) -> str:
    """One line per run: its identity, then value, CI, rank and comparability of every column
    (a value with ``comparable`` False was computed on another task version or data subset)."""
    fields = ("value", "ci_low", "ci_high", "rank", "comparable")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["slug", "label", "backend"]
        + [f"{column.key}:{field}" for column in board.columns for field in fields]
    )
    for row in board.rows:
        values = []
        for column in board.columns:
            cell = row.cells.get(column.key)
            values += ["" if cell is None else _csv_value(getattr(cell, f)) for f in fields]
        writer.writerow([*map(_csv_text, (row.slug, row.label, row.model.backend)), *values])
    return out.getvalue()


# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(text: str) -> str:
    """A text cell (a model's name is the user's) as a spreadsheet shows it, never as a formula:
    prefixed with ``'`` when it starts like one."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_value(value: float | int | bool | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else repr(value)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    ci_low: float | None
    ci_high: float | None


def bar_chart(bars: Sequence[Bar], title: str) -> Markup:
    """Horizontal bars with 95 % CI whiskers, as inline SVG (styled by site.css, so it follows
    the light or dark theme); the title says the numbers for screen readers."""
    label_width, plot_width, value_width, row_height = 150, 320, 120, 28
    bounds = [b for bar in bars for b in (bar.value, bar.ci_low, bar.ci_high) if b is not None]
    low, high = min([0.0, *bounds]), max([1.0, *bounds])

    def x(value: float) -> float:
        return round(label_width + (value - low) / (high - low) * plot_width, 1)

    summary = "; ".join(
        f"{bar.label} {fmt(bar.value)} {ci_text(bar.ci_low, bar.ci_high)}" for bar in bars
    )
    height = row_height * len(bars) + 24
    width = label_width + plot_width + value_width
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}: {escape(summary)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}: {escape(summary)}</title>",
        f'<line class="axis" x1="{x(low)}" y1="0" x2="{x(low)}" y2="{height - 20}"/>',
    ]
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text class="tick" x="{x(tick)}" y="{height - 6}" text-anchor="middle">'
            f"{tick:.1f}</text>"
        )
    for index, bar in enumerate(bars):
        top = index * row_height + 4
        middle = top + row_height / 2 - 2
        parts.append(
            f'<text class="label" x="{label_width - 8}" y="{middle + 4}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
        )
        if bar.value is not None:
            parts.append(
                f'<rect class="bar" x="{x(low)}" y="{top}" height="{row_height - 8}" '
                f'width="{max(0.0, round(x(bar.value) - x(low), 1))}"/>'
            )
        if bar.ci_low is not None and bar.ci_high is not None:
            left, right = x(bar.ci_low), x(bar.ci_high)
            parts += [
                f'<line class="whisker" x1="{left}" y1="{middle}" x2="{right}" y2="{middle}"/>',
                f'<line class="whisker" x1="{left}" y1="{top + 4}" x2="{left}" '
                f'y2="{top + row_height - 12}"/>',
                f'<line class="whisker" x1="{right}" y1="{top + 4}" x2="{right}" '
                f'y2="{top + row_height - 12}"/>',
            ]
        parts.append(
            f'<text class="value" x="{label_width + plot_width + 8}" y="{middle + 4}">'
            f"{fmt(bar.value)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def family_chart(board: Leaderboard, row: LeaderboardRow) -> Markup:
    """The run's family scores as a bar chart."""
    bars = [
        Bar(column.label, cell.value, cell.ci_low, cell.ci_high)
        for column in board.columns
        if column.kind == "family" and (cell := row.cells.get(column.key)) is not None
    ]
    return bar_chart(bars, f"Family scores of {row.label} (95 % CI)")


def sample_stat(record: SampleRecord, card: TaskCard | None, primary: str) -> float | None:
    """The task's primary metric computed on this one document (its aggregation on a single
    sample), so that micro F1 from tp/fp/fn counts gives a per-document F1 too."""
    metric = card.metrics.get(primary) if card else None
    if metric is None:
        value = record.stats.get(primary)
        return None if value is None else float(value)
    try:
        value = float(
            AGGREGATIONS[metric.aggregation](to_columns([record.stats]), metric.stat or primary)
        )
    except KeyError:
        return None
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class RunSamples:
    """One run's sample log of a task, keyed by document id."""

    row: LeaderboardRow
    records: Mapping[str, SampleRecord]


@dataclass(frozen=True)
class RunOutput:
    """One run's answer to a document (None: the run did not evaluate it)."""

    row: LeaderboardRow
    record: SampleRecord | None
    stat: float | None

    @property
    def stats_text(self) -> str:
        """Every per-sample statistic, ``name value · …`` (built here, not in the template's
        inner loop: the drill-down renders one per run and document)."""
        if self.record is None:
            return ""
        return " · ".join(f"{key} {fmt(value)}" for key, value in self.record.stats.items())


@dataclass(frozen=True)
class Document:
    """A document as the drill-down shows it: its gold and every run's answer."""

    doc_id: str
    target: str
    shared_prompt: str | None
    runs: list[RunOutput]


def documents(
    runs: Sequence[RunSamples], stat: Callable[[SampleRecord], float | None]
) -> list[Document]:
    """Every document any run evaluated, in evaluation order (doc_index)."""
    order: dict[str, int] = {}
    for run in runs:
        for doc_id, record in run.records.items():
            order[doc_id] = min(order.get(doc_id, record.doc_index), record.doc_index)
    result = []
    for doc_id in sorted(order, key=lambda d: (order[d], d)):
        outputs = []
        for run in runs:
            record = run.records.get(doc_id)
            outputs.append(RunOutput(run.row, record, None if record is None else stat(record)))
        present = [o.record for o in outputs if o.record is not None]
        prompts = {record.prompt for record in present}
        result.append(
            Document(
                doc_id=doc_id,
                target=present[0].target,
                shared_prompt=prompts.pop() if len(prompts) == 1 else None,
                runs=outputs,
            )
        )
    return result


# --- Writing the site ---


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(leaderboard_dir() / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fmt=fmt,
        ci=lambda m: ci_text(m.ci_low, m.ci_high),
        rank=rank_text,
        anchor=column_anchor,
        cell_title=cell_title,
        sort_value=sort_value,
        safe_name=safe_name,
    )
    env.globals.update(samples_page=samples_page)
    return env


class _Pages:
    """Renders templates into the output folder, each page knowing its way back to the root."""

    def __init__(self, board: Leaderboard, out: Path) -> None:
        self.env = _environment()
        self.board = board
        self.out = out

    def write(self, path: str, template: str, **context: object) -> None:
        root = "../" * path.count("/")
        html = self.env.get_template(template).render(board=self.board, root=root, **context)
        write_text(self.out / path, html)


def _task_names(board: Leaderboard) -> list[str]:
    """Tasks in column order, then any other task a report holds (skipped everywhere)."""
    names = [c.tasks[0] for c in board.columns if c.kind == "task"]
    others = {name for row in board.rows for name in row.tasks} - set(names)
    return names + sorted(others)


def _dataset_source(dataset: str | None) -> dict[str, str] | None:
    """Title, licence and source repository of a catalogued dataset (None for other ids)."""
    if dataset is None:
        return None
    from .data.catalog import DATASETS

    spec = DATASETS.get(dataset)
    if spec is None:
        return None
    host = "huggingface.co/datasets" if spec.repository == spec.hub_id else "github.com"
    return {
        "title": spec.title,
        "licence": spec.licence,
        "citation": spec.citation,
        "repository": spec.repository,
        "commit": spec.commit,
        "url": f"https://{host}/{spec.repository}/tree/{spec.commit}",
    }


def _reference_samples(
    board: Leaderboard, reference: TaskVariant | None, task: str, compared_runs: int
) -> tuple[list[RunSamples], list[str]]:
    """Sample logs of the first ``compared_runs`` runs of the reference variant, in leaderboard
    order, and notes on the runs left out."""
    in_reference = set(reference.runs if reference else [])
    rows = [row for row in board.rows if row.slug in in_reference]
    runs, notes = [], []
    if len(rows) > compared_runs:
        notes.append(
            f"Outputs of the first {compared_runs} of the {len(rows)} runs in leaderboard order "
            "(build with --compare-runs N to show more)."
        )
    for row in rows[:compared_runs]:
        if task in row.samples_withheld:
            notes.append(
                f"{row.label}: sample texts withheld (identifiers logged in clear, or not "
                "recorded as masked)"
            )
            continue
        folder = Path(row.source)
        if not samples_path(folder, task).is_file():
            notes.append(f"{row.label}: no sample log published")
            continue
        try:
            records = read_samples(folder, row.tasks[task])
        except UserError as exc:
            notes.append(f"{row.label}: sample log not shown ({exc})")
            continue
        runs.append(RunSamples(row, {record.doc_id: record for record in records}))
    return runs, notes


def _write_task(pages: _Pages, task: str, compared_runs: int) -> None:
    board = pages.board
    card = board.cards.get(task)
    variants = board.variants.get(task, [])
    reference = variants[0] if variants else None
    rows = {row.slug: row for row in board.rows}
    primary = (
        card.primary_metric
        if card
        else next((row.tasks[task].primary_metric for row in board.rows if task in row.tasks), "")
    )
    variant_rows = [[rows[slug] for slug in variant.runs] for variant in variants]
    runs, notes = _reference_samples(board, reference, task, compared_runs)
    docs = documents(runs, lambda record: sample_stat(record, card, primary))
    doc_pages = paginate(docs)
    pages.write(
        f"tasks/{safe_name(task)}.html",
        "task.html.j2",
        task=task,
        card=card,
        source=_dataset_source(card.dataset if card else None),
        primary=primary,
        variants=[
            (variant, runs, metric_directions(row.tasks[task] for row in runs))
            for variant, runs in zip(variants, variant_rows, strict=True)
        ],
        skipped=[row for row in board.rows if task in row.tasks and row.tasks[task].skipped],
        n_documents=len(docs),
        n_pages=len(doc_pages),
    )
    for number, page_docs in enumerate(doc_pages, 1):
        pages.write(
            samples_page(task, number),
            "samples.html.j2",
            task=task,
            primary=primary,
            runs=[run.row for run in runs],
            notes=notes,
            documents=page_docs,
            page=number,
            n_pages=len(doc_pages),
            n_documents=len(docs),
            first=(number - 1) * SAMPLES_PER_PAGE + 1,
        )


def _copy_report(row: LeaderboardRow, out: Path) -> list[str]:
    """Copy the run's report files into ``reports/<slug>/``; the names of those that exist."""
    copied = []
    for name in (REPORT_JSON, REPORT_MD):
        source = inside(Path(row.source), name)
        if source.is_file():
            copy_file(source, out / "reports" / row.slug / name)
            copied.append(name)
    return copied


def _write_model(pages: _Pages, row: LeaderboardRow) -> None:
    families: dict[str, list[str]] = {}
    for name, result in row.tasks.items():
        families.setdefault(result.family, []).append(name)
    columns = {column.family: column for column in pages.board.columns if column.kind == "family"}
    pages.write(
        f"models/{row.slug}.html",
        "model.html.j2",
        row=row,
        chart=family_chart(pages.board, row),
        families=[
            (family, columns.get(family), sorted(names)) for family, names in families.items()
        ],
        reports=_copy_report(row, pages.out),
    )


def _not_compared(board: Leaderboard) -> list[tuple[LeaderboardRow, LeaderboardColumn]]:
    return [
        (row, column)
        for column in board.columns
        for row in board.rows
        if (cell := row.cells.get(column.key)) is not None and not cell.comparable
    ]


def _render(board: Leaderboard, out: Path, compared_runs: int) -> None:
    pages = _Pages(board, out)
    tasks = _task_names(board)
    families = [column.family for column in board.columns if column.kind == "family"]
    pages.write(
        "index.html",
        "index.html.j2",
        families=families,
        tasks=[(task, board.cards.get(task)) for task in tasks],
        not_compared=_not_compared(board),
    )
    for row in board.rows:
        _write_model(pages, row)
    for task in tasks:
        _write_task(pages, task, compared_runs)
    write_text(out / BOARD_JSON, board.model_dump_json(indent=2) + "\n")
    write_text(out / BOARD_CSV, board_csv(board))
    for asset in ASSETS:
        copy_file(leaderboard_dir() / "static" / asset, out / "assets" / asset)


def _check_output(out: Path) -> None:
    """Refuse to overwrite anything but an empty folder or a site this command built."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / BOARD_JSON).is_file():
        raise UserError(
            f"--out {out}: not empty and not a previous leaderboard site (no {BOARD_JSON})"
        )


def write_site(board: Leaderboard, out: Path, compared_runs: int = COMPARED_RUNS) -> None:
    """Write the site into ``out``, replacing a previous site only once the new one is complete;
    the drill-down shows the outputs of the first ``compared_runs`` runs side by side (a page
    grows with documents × runs)."""
    if compared_runs < 1:
        raise UserError(f"--compare-runs: {compared_runs} is not a positive number of runs")
    _check_output(out)
    with staging_folder(out) as staging:
        _render(board, staging, compared_runs)
        previous = [entry.name for entry in out.iterdir()] if out.is_dir() else []
        # The board's JSON last: it marks a complete site (_check_output).
        names = sorted({*previous, *(entry.name for entry in staging.iterdir())} - {"data"})
        replace_entries(staging, out, [*names, "data"])
