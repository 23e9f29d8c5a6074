"""The ``partages-bench`` command line.

Start-up stays light (issue 11, benchmarks/cli_startup.py): lm-eval, torch and transformers,
and also the task registry and rich's console, are imported inside the commands that use them;
help is click's plain help, not typer's rich help.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
from typer.core import TyperCommand, TyperGroup

from . import option_types as checked
from .cli_common import (
    DEFAULT_BOOTSTRAP,
    DEFAULT_SEED,
    BertScoreLayers,
    BertScoreModel,
    Bootstrap,
    BootstrapSeed,
    console,
    table,
    text,
)
from .errors import RunInterrupted, UserError
from .listing import plain_arguments, run_plainly
from .names import BENCHMARK_SEED, DEFAULT_SUITE, QUICK_LIMIT, QUICK_SUITE
from .option_types import split_list as _split_list
from .sharding import resolve_shard

if TYPE_CHECKING:
    from rich.table import Table
    from typer._click import HelpFormatter

    from .schema import Report, TaskResult


class _PlainGroup(TyperGroup):
    """Lists each command with its first sentence whole, as rich help did (click's plain help
    cuts it at the terminal's width)."""

    def format_commands(self, ctx: typer.Context, formatter: HelpFormatter) -> None:
        rows = [
            (name, command.get_short_help_str(limit=sys.maxsize))
            for name in self.list_commands(ctx)
            if (command := self.get_command(ctx, name)) is not None and not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _typer(help: str, cls: type[TyperGroup] = _PlainGroup, **settings: bool) -> typer.Typer:
    """A command group with click's plain help: typer's rich help imports rich's markdown and
    traceback renderers (about 60 ms, a third of ``--help``)."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None, cls=cls, **settings)


class _PanelledCommand(TyperCommand):
    """Plain help that still groups options under their ``rich_help_panel``."""

    def format_options(self, ctx: typer.Context, formatter: HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            default = "Arguments" if param.param_type_name == "argument" else "Options"
            title = getattr(param, "rich_help_panel", None) or default
            sections.setdefault(title, []).append(record)
        for title, records in sections.items():
            with formatter.section(title):
                formatter.write_dl(records)


def _command(name: str, function: Callable[..., None]) -> click.Command:
    """A family's typer function as the click command ``name`` (plain help, like ours)."""
    single = typer.Typer(rich_markup_mode=None)
    single.command(name)(function)
    return typer.main.get_command(single)


class _FamilyCommands(_PlainGroup):
    """A group whose commands come from the registry of families, found when the group is
    listed or called (``score`` and ``baseline``: a family added by a package brings its own,
    with no edit here), after the group's own commands."""

    def family_commands(self) -> dict[str, Callable[..., None]]:
        raise NotImplementedError

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.family_commands()]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        function = self.family_commands().get(name)
        return None if function is None else _command(name, function)


class _ScoreCommands(_FamilyCommands):
    """``score FAMILY``, or ``score TASK``: the task's family command with ``--task TASK`` as
    its default (the card names the labels, fields or classes), for the families whose command
    takes ``--task``. Task names are not listed (there are many): the help says so."""

    def family_commands(self) -> dict[str, Callable[..., None]]:
        from .families import families

        return {
            name: command
            for name, family in families().items()
            if (command := family.score_command()) is not None
        }

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        from .registry import Registry

        card = Registry.discover().cards.get(name)
        function = None if card is None else self.family_commands().get(card.family)
        if card is None or function is None:
            return None
        command = _command(name, function)
        task = next((p for p in command.params if p.name == "task"), None)
        if task is None:
            raise UserError(
                f"score {name}: the {card.family} family's score command takes no --task; run "
                f"partages-bench score {card.family}"
            )
        task.default = name
        return command


class _BaselineCommands(_FamilyCommands):
    def family_commands(self) -> dict[str, Callable[..., None]]:
        from .families import families

        return {
            name: baseline.offline
            for family in families().values()
            for name, baseline in family.baselines().items()
            if baseline.offline is not None
        }


# The commands below come in the order of their groups: run, compare and rerun, then tasks,
# data, report and leaderboard; score and baseline list the families' commands.
app = _typer(
    "Benchmark suite and evaluation harness for French medical language models.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
tasks_app = _typer("List, show and validate tasks.")
data_app = _typer("Datasets: list, pull, audit, export.")
report_app = _typer("Read and merge score reports.")
score_app = _typer(
    "Score outputs produced elsewhere (any system): score FAMILY, or score TASK (its family's "
    "command for that task).",
    cls=_ScoreCommands,
)
baseline_app = _typer("Reference systems to compare models with.", cls=_BaselineCommands)
leaderboard_app = _typer("The leaderboard as a static site.")
app.add_typer(tasks_app, name="tasks")
app.add_typer(data_app, name="data")
app.add_typer(report_app, name="report")
app.add_typer(score_app, name="score")
app.add_typer(baseline_app, name="baseline")
app.add_typer(leaderboard_app, name="leaderboard")

_state = {"debug": False, "verbose": False}


IncludePaths = Annotated[
    list[Path] | None,
    typer.Option("--include-path", help="Extra folder of task YAML (repeatable)."),
]
Overwrite = Annotated[
    bool,
    typer.Option(
        help="Replace what the output folder holds when it is not this command's earlier "
        "output (else such a folder is refused)."
    ),
]
GeneratorSeed = Annotated[
    int, typer.Option(help="Seed: same seed, same documents.", callback=checked.SEED)
]
TemplatePool = Annotated[
    str, typer.Option(help="Template pool: test or dev.", callback=checked.template_pool)
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="PARTAGES_BENCH_DATA",
        help="Local mirror of the datasets (one folder per dataset, original files).",
    ),
]


@app.callback()
def _options(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Also show lm-eval's, transformers' and datasets' logs and bars."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (implies --verbose).")
    ] = False,
) -> None:
    _state["debug"] = debug
    _state["verbose"] = verbose or debug
    if not _state["verbose"]:
        from .quiet import quiet_libraries

        quiet_libraries()


ENDPOINT_PANEL = "OpenAI-compatible endpoints (openai-completions, openai-chat)"
VLLM_PANEL = "vLLM (--model vllm)"


@app.command(cls=_PanelledCommand)
def run(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Run folder for the report.")
    ] = None,
    model: Annotated[
        str,
        typer.Option(help="default | hf | vllm | openai-completions | openai-chat | replay"),
    ] = "default",
    model_args: Annotated[str, typer.Option(help="Backend arguments: k=v,k=v.")] = "",
    tasks: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Task names, family names (tasks list), or a suite: '{DEFAULT_SUITE}' "
            f"(every task, the default) or '{QUICK_SUITE}' (the demo: one task per family, "
            f"{QUICK_LIMIT} documents each).",
            callback=checked.task_selectors,
        ),
    ] = None,
    limit: Annotated[
        float | None,
        typer.Option(
            help=f"First N documents per task (below 1: a fraction; '{QUICK_SUITE}': "
            f"{QUICK_LIMIT} unless given).",
            callback=checked.run_option("limit"),
        ),
    ] = None,
    num_fewshot: Annotated[
        int | None,
        typer.Option(
            help="Few-shot examples per prompt.", callback=checked.run_option("num_fewshot")
        ),
    ] = None,
    batch_size: Annotated[
        str | None,
        typer.Option(
            help="Batch size, 'auto' or 'auto:N' (hf backends default to 8).",
            callback=checked.batch_size,
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed for lm-eval, few-shot and bootstrap.", callback=checked.SEED)
    ] = DEFAULT_SEED,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    apply_chat_template: Annotated[
        bool, typer.Option(help="Format prompts with the model's chat template.")
    ] = False,
    log_phi: Annotated[
        bool, typer.Option(help="Keep identifiers in clear in pseudonymisation sample logs.")
    ] = False,
    structured_output: Annotated[
        bool,
        typer.Option(
            help="Constrain the answers of tasks that offer a JSON schema to it (endpoints, "
            "vLLM); other tasks generate freely. Part of the model's identity.",
        ),
    ] = False,
    bertscore_model: BertScoreModel = None,
    bertscore_layers: BertScoreLayers = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="Only shard K of N (K/N) of each task's documents; 'auto': this SLURM array "
            "job's (SLURM_ARRAY_TASK_ID, _MIN, _COUNT); see report merge."
        ),
    ] = None,
    split: Annotated[
        str | None,
        typer.Option(
            help="Evaluate this split of every task's data instead of its own (PARHAF tasks: "
            "dev; 'test' once you hold the embargoed files); the report records it."
        ),
    ] = None,
    data_card: Annotated[
        list[Path] | None,
        typer.Option(
            help="A local dataset card (YAML) to use for this run without registering it "
            "(repeatable); its tasks are named TASK@ID in --tasks."
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            help="Continue the run in this folder with its recorded options: finished tasks are "
            "kept, answers already received are not asked again.",
        ),
    ] = None,
    max_length: Annotated[
        int | None,
        typer.Option(
            "--max-length",
            "--max-model-len",
            help="Context length in tokens (vLLM: max_model_len; endpoints: default what the "
            "server reports, else 2048).",
            callback=checked.run_option("max_length"),
        ),
    ] = None,
    tokenizer: Annotated[
        str | None,
        typer.Option(
            help="Tokenizer: hub id, folder, a GGUF file (exported once) or 'default' (the "
            "embedded model's); endpoints need one to measure prompts and score options.",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="The server's /v1 root, e.g. http://127.0.0.1:8000/v1.",
            rich_help_panel=ENDPOINT_PANEL,
        ),
    ] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="Name of the environment variable holding the API key (the key itself is "
            "never written anywhere).",
            rich_help_panel=ENDPOINT_PANEL,
        ),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            help="Requests in flight at once (default 1).",
            rich_help_panel=ENDPOINT_PANEL,
            callback=checked.run_option("concurrency"),
        ),
    ] = None,
    max_retries: Annotated[
        int | None,
        typer.Option(
            help="Retries of a failed request, with backoff (default 3); then the run stops, "
            "resumable.",
            rich_help_panel=ENDPOINT_PANEL,
            callback=checked.run_option("max_retries"),
        ),
    ] = None,
    timeout: Annotated[
        int | None,
        typer.Option(
            help="Seconds per request (default 300).",
            rich_help_panel=ENDPOINT_PANEL,
            callback=checked.run_option("timeout"),
        ),
    ] = None,
    extra_body: Annotated[
        str | None,
        typer.Option(
            help="JSON object merged into every request, e.g. '{\"repeat_penalty\": 1.0}' for "
            "plain greedy decoding on llama-cpp-python (part of the model's identity).",
            rich_help_panel=ENDPOINT_PANEL,
        ),
    ] = None,
    tensor_parallel_size: Annotated[
        int | None,
        typer.Option(
            help="GPUs per model replica.",
            rich_help_panel=VLLM_PANEL,
            callback=checked.run_option("tensor_parallel_size"),
        ),
    ] = None,
    data_parallel_size: Annotated[
        int | None,
        typer.Option(
            help="Model replicas (Ray, one per actor).",
            rich_help_panel=VLLM_PANEL,
            callback=checked.run_option("data_parallel_size"),
        ),
    ] = None,
    gpu_memory_utilization: Annotated[
        float | None,
        typer.Option(
            help="Share of each GPU's memory vLLM may take.",
            rich_help_panel=VLLM_PANEL,
            callback=checked.run_option("gpu_memory_utilization"),
        ),
    ] = None,
    include_path: IncludePaths = None,
    data_dir: DataDir = None,
    overwrite: Overwrite = False,
) -> None:
    """Evaluate a model on tasks and write DIR/report.json, report.md and samples/.

    Exit codes: 0 done, 2 bad input (one line naming what), 3 stopped by an endpoint failure
    (finished work saved; continue with --resume DIR)."""
    from .options import RESUME_BACKEND_OVERRIDES, RESUME_OVERRIDES, BackendOptions, RunOptions
    from .rundir import REPORT_JSON, REPORT_MD, RUN_OPTIONS_JSON
    from .runner import resume_options
    from .runner import run as run_tasks

    backend = BackendOptions(
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        max_retries=max_retries,
        timeout=timeout,
        tokenizer=tokenizer,
        max_length=max_length,
        extra_body=extra_body,
        tensor_parallel_size=tensor_parallel_size,
        data_parallel_size=data_parallel_size,
        gpu_memory_utilization=gpu_memory_utilization,
        structured_output=structured_output,
    )
    if resume is not None:
        # By name: typer carries its own copy of click's ParameterSource.
        given = {
            name
            for name in ctx.params
            if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"
        }
        allowed = {"resume", *RESUME_OVERRIDES, *RESUME_BACKEND_OVERRIDES}
        refused = sorted(given - allowed)
        if refused:
            flags = ", ".join("--" + name.replace("_", "-") for name in refused)
            raise UserError(
                f"--resume {resume} continues the run with its recorded options "
                f"({resume / RUN_OPTIONS_JSON}): drop {flags}"
            )
        overrides = {name: ctx.params[name] for name in given - {"resume"}}
        options = resume_options(resume, overrides, list(sys.argv))
    elif output is None:
        raise UserError("--output DIR is required (or --resume DIR to continue a run)")
    else:
        selectors = _split_list(tasks or [DEFAULT_SUITE])
        if limit is None and QUICK_SUITE in selectors:
            limit = QUICK_LIMIT
        options = RunOptions(
            output=output,
            model=model,
            model_args=model_args,
            tasks=selectors,
            include_paths=include_path or [],
            data_dir=data_dir,
            limit=int(limit) if limit is not None and limit >= 1 else limit,
            num_fewshot=num_fewshot,
            batch_size=batch_size,
            seed=seed,
            bootstrap_iterations=bootstrap,
            apply_chat_template=apply_chat_template,
            log_phi=log_phi,
            bertscore_model=bertscore_model,
            bertscore_layers=bertscore_layers,
            backend=backend,
            shard=resolve_shard(shard),
            split=split,
            data_cards=data_card or [],
            overwrite=overwrite,
        )
    report = run_tasks(options, console())
    _print_report(report)
    print(f"report written to {options.output / REPORT_JSON} and {REPORT_MD}")
    print(f"every metric: partages-bench report show {options.output} --all")


@app.command()
def compare(
    baseline: Annotated[Path, typer.Argument(help="Baseline run folder (or its report.json).")],
    candidate: Annotated[Path, typer.Argument(help="Candidate run folder (or report.json).")],
    max_drop: Annotated[
        float | None,
        typer.Option(
            help="Tolerated change in the bad direction, metric units (default 0).",
            callback=checked.in_range(0),
        ),
    ] = None,
    metric: Annotated[
        list[str] | None, typer.Option(help="Also compare this metric (repeatable).")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Level of the Holm-corrected tests.")] = 0.05,
    policy: Annotated[
        Path | None, typer.Option(help="YAML: per-task max_drop, metrics, blocking.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, markdown or json.")
    ] = "table",
    allow_mismatch: Annotated[
        bool, typer.Option(help="Compare despite another task_hash/data_hash (shared docs).")
    ] = False,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    seed: BootstrapSeed = DEFAULT_SEED,
    include_path: IncludePaths = None,
) -> None:
    """Compare a candidate run with a baseline, paired by document: deltas, paired-bootstrap CIs,
    Holm-corrected p-values and verdicts. Exit codes: 0 no regression, 1 a regression on a
    blocking task, 2 bad input."""
    from rich.table import Table

    from .compare import compare_runs, footnotes, load_policy, render_markdown
    from .registry import Registry

    if output_format not in ("table", "markdown", "json"):
        raise UserError(f"--format: '{output_format}' is not table, markdown or json")
    comparison = compare_runs(
        baseline,
        candidate,
        Registry.discover(include_path or []),
        policy=load_policy(policy) if policy is not None else None,
        policy_path=policy,
        metrics=_split_list(metric or []),
        max_drop=max_drop,
        alpha=alpha,
        iterations=bootstrap,
        seed=seed,
        allow_mismatch=allow_mismatch,
    )
    if output_format == "json":
        print(comparison.model_dump_json(indent=2))
    elif output_format == "markdown":
        print(render_markdown(comparison))
    else:
        shown = Table(
            "task", "metric", "n", "baseline", "candidate", "Δ [95 % CI]", "p (Holm)", "verdict"
        )
        for m in comparison.metrics:
            style = "red" if m.verdict == "regression" else ""
            shown.add_row(
                text(m.task + ("" if m.blocking else " (non-blocking)")),
                text(m.metric),
                str(m.n_shared),
                f"{m.baseline:.4f}",
                f"{m.candidate:.4f}",
                f"{m.delta:+.4f} [{m.ci_low:+.4f}, {m.ci_high:+.4f}]",
                f"{m.p_value:.4f} ({m.p_adjusted:.4f})",
                f"[{style}]{m.verdict}[/]" if style else m.verdict,
            )
        console().print(shown)
        for line in footnotes(comparison):
            console().print(line, markup=False)
    if comparison.regressions:
        sys.exit(1)


@app.command()
def rerun(
    folder: Annotated[Path, typer.Argument(help="A run folder (report.json and run.json).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for the new run [DIR/rerun].")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="The data mirror on this machine (default: the recorded one)."),
    ] = None,
    allow_other_software: Annotated[
        bool,
        typer.Option(help="Run even with another partages-bench, library or Python version."),
    ] = False,
    overwrite: Overwrite = False,
) -> None:
    """Repeat a run from its recorded options and check that the new report matches exactly:
    model identity, task and data hashes, sample counts, every metric and CI.

    Exit codes: 0 same, 1 something differs (task and field named), 2 bad input (no report or
    run.json, other software)."""
    from .rerun import rerun as repeat
    from .rerun import verdict_table
    from .rundir import REPORT_JSON

    old, _, found = repeat(folder, output, data_dir, allow_other_software, console(), overwrite)
    console().print(verdict_table(old, found))
    for difference in found:
        print(f"differs: {difference}")  # plain: one line each, never wrapped
    if found:
        sys.exit(1)
    console().print(f"[green]same[/] scores and hashes as {text(folder / REPORT_JSON)}")


@tasks_app.command("list")
def tasks_list(
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Cards as JSON.")] = False,
    include_path: IncludePaths = None,
) -> None:
    """List the tasks with their cards."""
    from .listing import listed_cards

    if family is not None:
        from .families import get_family

        get_family(family)
    cards = [
        card
        for card in listed_cards(include_path or [])
        if family is None or card["family"] == family
    ]
    if as_json:
        print(json.dumps(cards, indent=2, ensure_ascii=False))
        return
    shown = table(
        "task",
        "family",
        "dataset",
        "licence",
        "primary metric",
        "needs",
        "version",
        ids=("task", "dataset"),
    )
    for card in cards:
        shown.add_row(
            *map(
                text,
                (
                    card["name"],
                    card["family"],
                    card["dataset"] or "(generated)",
                    card["licence"],
                    card["primary_metric"],
                    card["requires"] + (", JSON schema" if card.get("json_schema") else ""),
                    card["version"],
                ),
            )
        )
    console().print(shown)


@tasks_app.command("show")
def tasks_show(name: str, include_path: IncludePaths = None) -> None:
    """Show one task's card."""
    from .registry import Registry

    card = Registry.discover(include_path or []).card(name)
    console().print_json(card.model_dump_json())


@tasks_app.command("validate")
def tasks_validate(
    path: Annotated[Path | None, typer.Argument(help="A task YAML or a folder of them.")] = None,
) -> None:
    """Check task YAML and cards; a broken one is reported with its file and field (exit 2)."""
    from .registry import Registry, validate_path

    if path is None:
        registry = Registry.discover()
        cards = list(registry.cards.values())
    else:
        cards = validate_path(path)
    console().print(f"[green]ok[/] {len(cards)} task(s): {', '.join(c.name for c in cards)}")


@data_app.command("list")
def data_list(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Datasets as JSON.")] = False,
) -> None:
    """Datasets with their licence, their hub revision (hub datasets) and whether they are
    available here."""
    from .data import DATASETS, dataset_status

    datasets = []
    for spec in DATASETS.values():
        status = dataset_status(spec, data_dir)
        # A hub id without a revision is only where else the data can be found, not our source.
        hub = spec.hub_revision is not None
        datasets.append(
            {
                "name": spec.name,
                "title": spec.title,
                "licence": spec.licence,
                "hub_id": spec.hub_id if hub else None,
                "revision": spec.hub_revision,
                "pinned_by": "sha256" if status.pinned_by_sha256 else "revision only",
                "available": status.available,
                "location": None if status.location is None else str(status.location),
                "pull": f"partages-bench data pull {spec.name}",
            }
        )
    if as_json:
        print(json.dumps(datasets, indent=2, ensure_ascii=False))
        return
    columns = ("dataset", "title", "licence", "hub revision", "pinned by", "available", "location")
    shown = table(*columns, ids=("dataset",))
    for dataset in datasets:
        revision = dataset["revision"]
        shown.add_row(
            dataset["name"],
            text(dataset["title"]),
            dataset["licence"],
            "-" if revision is None else text(f"{dataset['hub_id']}@{revision[:12]}"),
            dataset["pinned_by"],
            "[green]yes[/]" if dataset["available"] else "[red]no[/]",
            text(dataset["location"] or "-"),
        )
    console().print(shown)
    missing = [dataset["pull"] for dataset in datasets if not dataset["available"]]
    if missing:
        # Plain lines, never wrapped: commands to copy.
        print("Not here; get them with (or point --data-dir to a mirror):")
        print("\n".join(f"  {command}" for command in missing))
    from .data.local import registered

    for dataset_id, entry in registered().items():
        print(f"local  {dataset_id}  family {entry['family']}  {len(entry['sha256'])} file(s)")


@data_app.command("add")
def data_add(
    card: Annotated[Path, typer.Argument(help="A local dataset card (YAML).")],
) -> None:
    """Validate a local dataset card and its records, record the sha256 of its files and
    register it for this user (then ``--tasks TASK@ID`` runs on it)."""
    from .data.local import register

    local, splits, sums = register(card)
    sizes = ", ".join(f"{split} {len(records)}" for split, records in splits.items())
    print(
        f"local dataset {local.id} ({local.family}, {local.format}) registered: {sizes} "
        f"records; {len(sums)} file(s) checksummed"
    )


@data_app.command("pull")
def data_pull(
    name: str,
    to: Annotated[Path | None, typer.Option(help="Destination folder (mirror layout).")] = None,
) -> None:
    """Download a dataset from its pinned source and verify every checksum."""
    from rich.progress import Progress

    from .data import pull

    with Progress(console=console()) as progress:
        bar = progress.add_task(f"pull {text(name)}", total=None)
        folder = pull(
            name,
            to=to,
            progress=lambda done, total: progress.update(bar, completed=done, total=total),
        )
    from .data import get_dataset

    if get_dataset(name).pinned_by_sha256:
        console().print(
            f"[green]ok[/] {text(name)} in {text(folder)}: every file matches its pinned sha256"
        )
    else:
        console().print(
            f"[green]ok[/] {text(name)} in {text(folder)}: pinned by revision only; the "
            f"sha256 of what was received is recorded in {text(folder / 'SHA256SUMS')} and "
            "checked from now on"
        )


@data_app.command("audit")
def data_audit(
    name: str,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="The observed contract as JSON.")] = False,
) -> None:
    """A hub snapshot's configs as they are (splits, rows, columns, label values) and how they
    differ from the dataset's declared contract (exit 2 if they do)."""
    from .data import get_dataset
    from .data.snapshot import check_contract, contract_differences, observed_contract
    from .data.store import snapshot_tables

    spec = get_dataset(name)
    folder, tables = snapshot_tables(name, data_dir)
    assert spec.snapshot is not None  # snapshot_tables refuses other datasets
    contract = spec.snapshot.contract
    observed = observed_contract(tables, contract)
    differences = contract_differences(contract, tables)
    if as_json:
        payload = {
            "dataset": name,
            "hub_id": spec.snapshot.repo_id,
            "revision": spec.snapshot.revision,
            "folder": str(folder),
            "configs": observed,
            "differences": differences,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        _print_audit(name, f"{spec.snapshot.repo_id}@{spec.snapshot.revision}", folder, observed)
        if not differences:
            console().print(f"[green]ok[/] {text(name)} matches its contract")
    check_contract(name, contract, tables)


def _print_audit(name: str, source: str, folder: Path, observed: dict[str, Any]) -> None:
    """The observed contract as plain lines: configs, splits, columns, values with counts."""
    print(f"{name}: {source} in {folder}")
    for config, splits in observed.items():
        print(f"config {config}")
        for split, seen in splits.items():
            print(f"  split {split}: {seen['rows']} rows; columns: {', '.join(seen['columns'])}")
            for column, counts in seen["values"].items():
                shown = ", ".join(f"{value} ({count})" for value, count in counts.items())
                print(f"    {column}: {shown}")
            for column, keys in seen["fields"].items():
                print(f"    {column} fields: {', '.join(keys)}")


@data_app.command("export")
def data_export(
    name: str,
    split: Annotated[str, typer.Option(help="The split to export (data export lists them).")],
    out: Annotated[Path, typer.Option(help="Where to write the records (JSONL).")],
    data_dir: DataDir = None,
) -> None:
    """The canonical records of one split of a dataset, as the tasks read them (JSONL)."""
    from .data import load_splits
    from .outputs import write_jsonl

    splits = load_splits(name, data_dir)
    if split not in splits:
        raise UserError(f"{name} has no split {split!r}; its splits: {', '.join(splits)}")
    write_jsonl(splits[split], out)
    console().print(f"{len(splits[split])} {text(name)} {split} records written to {text(out)}")


def _write_generated(
    what: str,
    generate: Callable[[int, int, str], list[Any]],
    n: int,
    seed: int,
    split: str,
    out: Path,
) -> None:
    """What every ``data generate-…`` command does: ``n`` items of a seeded generator's
    ``split`` (its template pool) written as JSONL, and one line saying so."""
    from .outputs import write_jsonl

    write_jsonl(generate(n, seed, split), out)
    console().print(f"{n} {split} {what} (seed {seed}) written to {text(out)}")


@data_app.command("generate-pseudo")
def data_generate_pseudo(
    out: Annotated[Path, typer.Option(help="Where to write the notes JSONL.")],
    n: Annotated[int, typer.Option(help="Number of notes.", callback=checked.POSITIVE)] = 200,
    seed: GeneratorSeed = BENCHMARK_SEED,
    split: TemplatePool = "test",
) -> None:
    """Synthetic French clinical notes with gold identifier spans (no network, deterministic)."""
    from .generator import generate_notes

    _write_generated("notes", generate_notes, n, seed, split, out)


@data_app.command("generate-dialogues")
def data_generate_dialogues(
    out: Annotated[Path, typer.Option(help="Where to write the dialogues JSONL.")],
    n: Annotated[int, typer.Option(help="Number of dialogues.", callback=checked.POSITIVE)] = 60,
    seed: GeneratorSeed = BENCHMARK_SEED,
    split: TemplatePool = "test",
) -> None:
    """Synthetic French consultation dialogues with the patient's facts (no network): the gold
    of `score consultation --task consultation_note_generated`."""
    from .generator.dialogues import generate_dialogues

    _write_generated("dialogues", generate_dialogues, n, seed, split, out)


@data_app.command("generate-coding")
def data_generate_coding(
    out: Annotated[Path, typer.Option(help="Where to write the documents JSONL.")],
    n: Annotated[int, typer.Option(help="Number of documents.", callback=checked.POSITIVE)] = 120,
    seed: GeneratorSeed = BENCHMARK_SEED,
    split: TemplatePool = "test",
) -> None:
    """Synthetic French discharge summaries and hospitalisation reports with their CIM-10 codes
    and distractors (no network): the gold of `score coding --task cim10_discharge`."""
    from .generator.coding import generate_coding_documents

    _write_generated("coding documents", generate_coding_documents, n, seed, split, out)


@data_app.command("generate-oncology")
def data_generate_oncology(
    out: Annotated[Path, typer.Option(help="Where to write the documents JSONL.")],
    n: Annotated[int, typer.Option(help="Number of documents.", callback=checked.POSITIVE)] = 80,
    seed: GeneratorSeed = BENCHMARK_SEED,
    split: TemplatePool = "test",
) -> None:
    """Synthetic French pathology reports and RCP syntheses with their tumour record (no
    network): the gold of `score oncology --task oncology_pathology_rcp`."""
    from .generator.oncology import generate_oncology

    _write_generated("oncology documents", generate_oncology, n, seed, split, out)


@data_app.command("generate-records")
def data_generate_records(
    out: Annotated[Path, typer.Option(help="Where to write the records JSONL.")],
    n: Annotated[
        int, typer.Option(help="Number of patient records.", callback=checked.POSITIVE)
    ] = 200,
    seed: GeneratorSeed = BENCHMARK_SEED,
    split: TemplatePool = "test",
) -> None:
    """Synthetic French patient records with key facts and a reference summary (no network)."""
    from .generator import generate_records

    _write_generated("records", generate_records, n, seed, split, out)


@report_app.command("show")
def report_show(
    path: Path,
    all_metrics: Annotated[
        bool, typer.Option("--all", help="Every metric and breakdown, one table per task.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole report as JSON.")] = False,
) -> None:
    """Print a report (a run folder or a report.json): one row per task, its primary metric."""
    from .rundir import load_report

    report = load_report(path)
    if as_json:
        print(report.model_dump_json(indent=2))
        return
    _print_report(report, all_metrics)
    if not all_metrics:
        print(f"every metric: partages-bench report show {path} --all")


@report_app.command("merge")
def report_merge(
    runs: Annotated[
        list[Path], typer.Argument(help="Run folders: shards or task lists of one evaluation.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the merged run.")],
    include_path: IncludePaths = None,
    overwrite: Overwrite = False,
) -> None:
    """Merge runs spread over nodes into the report (and samples/) a single run would write."""
    from .merge import merge_reports, write_merged
    from .registry import Registry
    from .rundir import REPORT_JSON

    report, samples = merge_reports(runs, Registry.discover(include_path or []))
    write_merged(output, report, samples, overwrite)
    _print_report(report)
    console().print(f"report written to [bold]{text(output / REPORT_JSON)}[/]")


@report_app.command("pool")
def report_pool(
    runs: Annotated[
        list[Path], typer.Argument(help="Run folders: one per site, same model and tasks.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the pooled run.")],
    site_names: Annotated[
        str | None,
        typer.Option(help="Comma-separated site names, one per run (default: folder names)."),
    ] = None,
    include_path: IncludePaths = None,
    overwrite: Overwrite = False,
) -> None:
    """Pool several sites' runs: per-site metrics, pooled metrics (stratified bootstrap) and
    the sites' heterogeneity, in one report."""
    from .merge import write_merged
    from .pool import pool_reports
    from .registry import Registry
    from .rundir import REPORT_JSON

    names = _split_list(site_names) if site_names else None
    report, samples = pool_reports(runs, Registry.discover(include_path or []), names)
    write_merged(output, report, samples, overwrite)
    _print_report(report)
    console().print(f"report written to [bold]{text(output / REPORT_JSON)}[/]")


@leaderboard_app.command("build")
def leaderboard_build(
    reports_dir: Annotated[
        Path, typer.Argument(help="Folder of run folders (each with its report.json).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder of the site (replaced if a site).")],
    title: Annotated[str, typer.Option(help="Title of the site.")] = "partages-bench leaderboard",
    all_runs: Annotated[
        bool, typer.Option("--all-runs", help="Every run, not only the latest of each model.")
    ] = False,
    compare_runs: Annotated[
        int,
        typer.Option(
            help="Runs whose outputs the per-document drill-down shows side by side.",
            callback=checked.POSITIVE,
        ),
    ] = 10,
    include_path: IncludePaths = None,
) -> None:
    """Build the leaderboard's static site: open OUT/index.html from disk, no server needed."""
    from .leaderboard import build_leaderboard, load_runs
    from .registry import Registry
    from .site import write_site

    runs, skipped = load_runs(reports_dir)
    cards = Registry.discover(include_path or []).cards
    board = build_leaderboard(runs, cards, title, all_runs=all_runs, skipped=skipped)
    write_site(board, out, compared_runs=compare_runs)
    console().print(
        f"{len(board.rows)} runs, {len(board.variants)} tasks: site written to "
        f"[bold]{text(out / 'index.html')}[/]"
    )


def _status(task: TaskResult) -> str:
    if task.skipped is None:
        return "ok"
    return "failed" if task.skipped.startswith("failed:") else "skipped"


def _print_report(report: Report, all_metrics: bool = False) -> None:
    """One row per task (its primary metric with CI, and status), the skipped tasks with the
    command that gets each, and with ``all_metrics`` every metric of every task."""
    from .models import describe
    from .report import format_metric

    out = console()
    summary = table(
        "task",
        "n",
        "primary metric",
        "value [95 % CI]",
        "status",
        ids=("task",),
        title=text(describe(report.model)),
    )
    for task in report.tasks.values():
        status = _status(task)
        if task.skipped is not None:
            summary.add_row(task.name, "-", task.primary_metric, "-", f"[yellow]{text(status)}[/]")
            continue
        value = format_metric(task.metrics[task.primary_metric])
        summary.add_row(task.name, str(task.n_samples), task.primary_metric, value, text(status))
    out.print(summary)
    skipped = [task for task in report.tasks.values() if task.skipped is not None]
    if skipped:
        out.print(_skipped_table(skipped, out.width))
    if all_metrics:
        for task in report.tasks.values():
            if task.skipped is not None:
                continue
            shown = table(
                "metric",
                "value [95 % CI]",
                "better",
                ids=("metric",),
                title=f"{task.name} (n = {task.n_samples}"
                + (f", split {task.split})" if task.split else ")"),
            )
            for name, metric in task.metrics.items():
                label = f"[bold]{text(name)}[/]" if name == task.primary_metric else text(name)
                better = "higher" if metric.higher_is_better else "lower"
                shown.add_row(label, format_metric(metric), better)
            out.print(shown)
            for note in task.notes:
                out.print(f"[dim]{text(note)}[/]", highlight=False)


def _skipped_table(skipped: list[TaskResult], width: int) -> Table:
    """task, dataset, reason and the command that gets it; where the terminal is too narrow for
    all of them whole, the dataset column goes (the command names the dataset)."""
    columns = ["task", "dataset", "reason", "get it with"]
    rows = [
        [task.name, task.dataset or "-", text(task.skipped or ""), text(task.remedy or "-")]
        for task in skipped
    ]
    whole = [0, 1, 3]  # columns never cut
    needed = sum(max(len(row[i]) for row in [columns, *rows]) for i in whole)
    # Borders and padding (3 a column, 1 more at the edge) and at least 16 for the reasons.
    if needed + 3 * len(columns) + 1 + 16 > width:
        columns.pop(1)
        rows = [row[:1] + row[2:] for row in rows]
    shown = table(*columns, ids=("task", "dataset", "get it with"), title="Skipped tasks")
    for row in rows:
        shown.add_row(*row)
    return shown


def _usage_error(exc: typer.TyperException) -> str | None:
    """A usage error of click's (a bad option value, an unknown option) as one line; None for
    help shown instead of a command (a group called without its command)."""
    message = exc.format_message()
    if "\n" in message.strip():
        return None
    param, ctx = getattr(exc, "param", None), getattr(exc, "ctx", None)
    if isinstance(exc, typer.BadParameter) and param is not None and exc.message:
        flags = [opt for opt in param.opts if opt.startswith("--")] or [param.human_readable_name]
        return f"{flags[0]}: {exc.message}"
    return f"{message} (see '{ctx.command_path} --help')" if ctx is not None else message


def _one_line(exc: BaseException) -> tuple[str, int] | None:
    """The ``error:`` line and exit code of an error the user can act on; None for a bug."""
    if isinstance(exc, UserError | RunInterrupted):
        return str(exc), exc.exit_code
    if isinstance(exc, typer.TyperException):
        line = _usage_error(exc)
        return None if line is None else (line, getattr(exc, "exit_code", 2))
    if isinstance(exc, OSError):
        # The backstop for paths nothing checked before (an output under a file, a full disk).
        where = f"{exc.filename}: " if exc.filename is not None else ""
        return f"{where}{exc.strerror or exc}", UserError.exit_code
    return None


def main() -> None:
    """Entry point: an error the user can act on is one line on stderr, ``error: …``, with its
    exit code (2 bad input, 3 a run stopped by its endpoint); ``--debug`` adds the traceback
    and keeps the code. Bad option values (click's usage errors, ``option_types``' checks) are
    one line too; help asked for, or shown for a group without its command, stays help. An
    ``OSError`` naming a file is one line naming the file.

    Typer runs outside standalone mode so that its errors reach here: typer 0.29 raises its own
    copy of click's exceptions, under ``typer.TyperException``. Ctrl-C exits 130."""
    try:
        arguments = plain_arguments(sys.argv[1:])
        if arguments is None:
            code = app(standalone_mode=False)
        else:  # a plain `tasks list`: no typer parsing, hence no pydantic (listing.py)
            code = run_plainly(tasks_list, arguments)
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        sys.exit(1)
    except (UserError, RunInterrupted, typer.TyperException, OSError) as exc:
        found = _one_line(exc)
        if found is None:
            if not isinstance(exc, typer.TyperException):
                raise
            exc.show()  # type: ignore[attr-defined]  # help, as click prints it
            sys.exit(getattr(exc, "exit_code", 2))
        if _state["debug"]:
            import traceback

            traceback.print_exc()
        # Plain print: rich would wrap a long message over several lines; a line break quoted
        # from elsewhere (a server's answer) would too.
        line = " ".join(part.strip() for part in found[0].splitlines() if part.strip())
        print(f"error: {line}", file=sys.stderr)
        sys.exit(found[1])
    if isinstance(code, int):
        sys.exit(code)
