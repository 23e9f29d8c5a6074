"""Typed records shared by every stage: task cards, per-sample results and score reports.

One module so that a reader follows data → run → score → report → compare → site with a
single vocabulary. Reports are pydantic models written as JSON (``report.json``); the
per-sample log is one ``SampleRecord`` per line in ``samples/<task>.jsonl``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

RequestType = Literal["loglikelihood", "generation"]
# The 10 UMLS semantic groups, the label set of QUAERO and Mantra GSC.
UMLS_GROUPS = ("ANAT", "CHEM", "DEVI", "DISO", "GEOG", "LIVB", "OBJC", "PHEN", "PHYS", "PROC")
# Names of partages_bench.stats.AGGREGATIONS, spelled out here so that reading a card validates
# them without importing numpy (a test keeps them in sync).
AggregationName = Literal[
    "mean",
    "nanmean",
    "ratio",
    "micro_precision",
    "micro_recall",
    "micro_f1",
    "micro_f2",
    "label_macro_f1",
    "class_macro_f1",
    "span_precision",
    "span_recall",
    "span_f1",
    "span_macro_precision",
    "span_macro_recall",
    "span_macro_f1",
]
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.@-]+")


def safe_name(value: str) -> str:
    """A task or metric name: it becomes a file name (``samples/<task>.jsonl``), so only letters,
    digits and ``_ . @ -``, never ``..`` (a report naming ``../../x`` is refused when read)."""
    if not _SAFE_NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"{value!r} is not a name: letters, digits and _ . @ - only, no '..'")
    return value


def metric_name(value: str) -> str:
    """A metric, or a metric of one breakdown group: ``NAME`` or ``NAME/FIELD=VALUE`` (the value
    is data, any text on one line)."""
    name, slash, group = value.partition("/")
    safe_name(name)
    if slash:
        field, equals, label = group.partition("=")
        safe_name(field)
        if not equals or any(ord(c) < 32 for c in label):
            raise ValueError(f"{value!r} is not a metric name (NAME or NAME/FIELD=VALUE)")
    return value


SafeName = Annotated[str, AfterValidator(safe_name)]
MetricName = Annotated[str, AfterValidator(metric_name)]


class _Record(BaseModel):
    # defer_build: a model's validator is built on its first use, not at import; the CLI
    # imports every record type and ``tasks list`` uses two of them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class MetricCard(_Record):
    """A metric a task reports: how to aggregate its per-sample statistic, and its direction."""

    aggregation: AggregationName = "mean"
    stat: str | None = None
    higher_is_better: bool = True
    per_label: bool = Field(
        default=False, description="also report it per label, from {stat}.{label}_… statistics"
    )
    optional: bool = Field(
        default=False,
        description="computed only when its model is available (BERTScore); a note says why not",
    )
    description: str = ""


class TaskCard(_Record):
    """What a task is, read from the ``metadata`` block of its lm-eval YAML."""

    name: SafeName
    family: str = Field(description="its family (partages_bench.families; checked when read)")
    language: str = "fr"
    dataset: str | None = Field(description="our dataset id (None: data generated, no download)")
    licence: str
    citation: str
    version: str
    description: str = ""
    primary_metric: str
    metrics: dict[str, MetricCard]
    requires: RequestType
    doc_id_field: str = Field(default="id", description="document field that identifies a sample")
    generative_variant: str | None = Field(
        default=None,
        description="for a log-likelihood task: the task asking the same by generation, for "
        "backends without log-probabilities (chat endpoints)",
    )
    combine: str | None = Field(
        default=None,
        description="how lm-eval documents sharing one doc id become one (one of its family's "
        "combiners; checked when read)",
    )
    breakdown: list[str] = Field(
        default_factory=list,
        description="document fields whose values split every metric (e.g. medical_subject)",
    )
    family_fields: dict[str, Any] = Field(
        default_factory=dict,
        description="the fields its family adds to a card (the family's card_fields; checked "
        "when read)",
    )
    json_schema: str | None = Field(
        default=None,
        description="a JSON Schema of the answer, a file beside the task YAML: sent to backends "
        "that constrain decoding with run --structured-output (partages_bench.structured)",
    )
    path: str = Field(description="the YAML file the card was read from")


class MetricValue(_Record):
    """A metric and its 95 % interval. Values may be negative (BERTScore rescaled with its
    baseline is, below the baseline); a reversed interval is refused."""

    value: float
    ci_low: float
    ci_high: float
    higher_is_better: bool

    @model_validator(mode="after")
    def _ordered(self) -> MetricValue:
        if self.ci_low > self.ci_high:
            raise ValueError(f"ci_low {self.ci_low} is above ci_high {self.ci_high}")
        return self


class SiteHeterogeneity(_Record):
    """How far apart the sites of a pooled task are on one metric (``report pool``)."""

    metric: str
    minimum: float = Field(description="lowest per-site value")
    maximum: float = Field(description="highest per-site value")
    range: float = Field(description="maximum − minimum")
    statistic: float = Field(
        description="between-site variance Σ_s n_s·(m_s − m̄)² / N, m_s the site's value, m̄ the "
        "size-weighted mean of the m_s, N = Σ n_s"
    )
    p_value: float | None = Field(
        description="permutation test of equal sites: (1 + #{permutations with a statistic ≥ "
        "the observed}) / (1 + permutations); None when a site's value is undefined"
    )
    permutations: int
    seed: int


class PooledSites(_Record):
    """The sites a pooled task was computed from (``report pool``)."""

    sizes: dict[SafeName, int] = Field(description="site → documents evaluated there")
    runs: dict[SafeName, str] = Field(description="site → its run folder")
    data_hashes: dict[SafeName, str | None] = Field(description="site → its data hash")
    bootstrap: str = Field(
        description="how the pooled CIs were drawn (stratified by site, sizes kept)"
    )
    heterogeneity: SiteHeterogeneity | None = Field(
        default=None, description="of the primary metric"
    )


class TaskResult(_Record):
    name: SafeName
    family: str
    version: str
    dataset: str | None = None
    primary_metric: MetricName
    metrics: dict[MetricName, MetricValue] = Field(default_factory=dict)
    n_samples: int = 0
    num_fewshot: int = 0
    task_hash: str | None = None
    data_hash: str | None = None
    split: str | None = Field(
        default=None, description="the split of the dataset evaluated (None: not recorded)"
    )
    truncated_or_skipped: int = Field(
        default=0, description="documents not evaluated because their prompt could not fit"
    )
    context_check: str | None = Field(
        default=None, description="what the prompt-length check found (partages_bench.context)"
    )
    notes: list[str] = Field(
        default_factory=list, description="what else a reader must know (BERTScore model…)"
    )
    skipped: str | None = Field(default=None, description="why the task did not run")
    samples_in_clear: bool | None = Field(
        default=None,
        description="whether the task's sample log holds identifiers in clear (a "
        "pseudonymisation run with --log-phi; True if any merged run's does); None: not "
        "recorded (older reports), taken as in clear for a family whose documents hold "
        "identifiers (its family's holds_identifiers)",
    )
    remedy: str | None = Field(
        default=None,
        description="for a skipped task, the command that makes it runnable "
        "(partages-bench data pull DATASET)",
    )
    pooled: PooledSites | None = Field(
        default=None,
        description="a task pooled over sites by report pool: its sites (per-site values are "
        "the breakdown rows metric/site=NAME)",
    )


class ModelIdentity(_Record):
    backend: str = Field(description="our backend name (default, hf, vllm, openai-…)")
    lm_eval_model: str = Field(description="the lm-eval model type it maps to")
    name: str
    args: dict[str, str] = Field(description="model arguments, secrets removed")
    weights_sha256: str | None = None
    tokenizer_sha256: str | None = Field(
        default=None, description="sha256 of the GGUF file a --tokenizer was exported from"
    )
    revision: str | None = None
    chat_template: bool = Field(
        default=False,
        description="prompts formatted with the model's chat template (--apply-chat-template; "
        "always on a chat endpoint): the same weights with and without it are two models",
    )
    structured_output: bool = Field(
        default=False,
        description="answers of tasks offering a JSON schema constrained to it "
        "(--structured-output): the same weights with and without it are two models",
    )
    notes: list[str] = Field(
        default_factory=list, description="how the backend was set up (endpoint context length…)"
    )


class Provenance(_Record):
    partages_bench_version: str
    git_sha: str | None
    libraries: dict[str, str | None]
    python: str
    platform: str
    seed: int
    bootstrap_iterations: int
    limit: int | float | None
    batch_size: str | None
    apply_chat_template: bool
    command: list[str]
    start_time: str
    end_time: str | None = None
    duration_seconds: float | None = None
    shard: str | None = Field(
        default=None, description="'K/N' when the run evaluated shard K of N of each task"
    )
    split: str | None = Field(
        default=None,
        description="the split asked with --split for every task (None: each task's own)",
    )
    merged_from: list[str] = Field(
        default_factory=list, description="the run folders a merged report was made from"
    )
    resumed_at: list[str] = Field(
        default_factory=list, description="when the run was continued with --resume"
    )

    @field_validator("start_time", "end_time", "resumed_at")
    @classmethod
    def _iso_times(cls, value: str | list[str] | None) -> str | list[str] | None:
        """Times are ISO 8601 (``report merge`` orders them, the leaderboard picks the latest)."""
        for time in value if isinstance(value, list) else [value]:
            if time is None:
                continue
            try:
                datetime.fromisoformat(time)
            except ValueError:
                raise ValueError(f"{time!r} is not an ISO 8601 time") from None
        return value


class Report(_Record):
    schema_version: int = SCHEMA_VERSION
    model: ModelIdentity
    tasks: dict[SafeName, TaskResult]
    provenance: Provenance

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"{version} is not a version this partages-bench reads ({SCHEMA_VERSION})"
            )
        return version

    @model_validator(mode="after")
    def _keyed_by_name(self) -> Report:
        for key, task in self.tasks.items():
            if task.name != key:
                raise ValueError(f"tasks.{key}.name is {task.name!r}, not its key")
        return self

    @model_validator(mode="before")
    @classmethod
    def _chat_template_from_provenance(cls, data: Any) -> Any:
        """A report written before ``model.chat_template`` existed recorded the chat template
        in its provenance only: its model identity takes it from there."""
        if not isinstance(data, dict):
            return data
        model, provenance = data.get("model"), data.get("provenance")
        if (
            isinstance(model, dict)
            and "chat_template" not in model
            and isinstance(provenance, dict)
        ):
            chat_template = bool(provenance.get("apply_chat_template", False))
            return data | {"model": model | {"chat_template": chat_template}}
        return data


class SampleRecord(_Record):
    """One evaluated document: what the model saw and said, and its per-sample statistics."""

    doc_index: int = Field(
        description="lm-eval position of the document (of its first lm-eval document when "
        "several make one) in the evaluated split: the same in every shard, so sorting by it "
        "gives a single run's order"
    )
    doc_id: str = Field(description="stable document id from the data, used to pair runs")
    doc_hash: str = Field(
        default="",
        description="sha256 of the evaluated document: lm-eval's doc_hash, or for a record "
        "combined from several lm-eval documents the sha256 of theirs joined by newlines, in "
        "doc order; empty in sample files written before it existed and in offline scoring "
        "(score …), which has no lm-eval document",
    )
    prompt: str
    output: str
    target: str
    stats: dict[str, float]
    groups: dict[str, str] = Field(default_factory=dict, description="values of breakdown fields")


class TaskPolicy(_Record):
    """What ``compare`` checks on one task (the policy file's ``default`` or a ``tasks`` entry)."""

    metrics: list[str] = Field(
        default_factory=list, description="metrics compared besides the primary metric"
    )
    max_drop: float | None = Field(
        default=None, ge=0, description="tolerated change in the bad direction, metric units"
    )
    blocking: bool | None = Field(default=None, description="a regression fails the comparison")


class ComparePolicy(_Record):
    """The ``--policy`` YAML of ``compare``: per-task thresholds and which tasks block."""

    default: TaskPolicy = Field(default_factory=TaskPolicy)
    tasks: dict[str, TaskPolicy] = Field(default_factory=dict)


Verdict = Literal["regression", "improvement", "no significant change"]


class MetricComparison(_Record):
    """One metric of one task in two runs, paired over the documents both evaluated."""

    task: str
    metric: str
    higher_is_better: bool
    n_shared: int
    baseline: float
    candidate: float
    delta: float = Field(description="candidate − baseline, metric units")
    ci_low: float = Field(description="paired-bootstrap 95 % interval of the delta")
    ci_high: float
    p_value: float = Field(description="two-sided paired-bootstrap p-value of the delta")
    p_adjusted: float = Field(description="Holm-adjusted over the blocking tests; else p_value")
    max_drop: float
    blocking: bool
    verdict: Verdict


class Comparison(_Record):
    baseline: str
    candidate: str
    metrics: list[MetricComparison]
    only_in_baseline: list[str] = Field(default_factory=list)
    only_in_candidate: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="mismatches compared anyway")
    correction: str = "Holm"
    alpha: float
    bootstrap_iterations: int
    seed: int

    @property
    def regressions(self) -> list[MetricComparison]:
        """The regressions that fail the comparison (exit code 1)."""
        return [m for m in self.metrics if m.blocking and m.verdict == "regression"]


# Leaderboard: what ``leaderboard build`` computes from a folder of reports, rendered as the
# static site and exported as ``data/leaderboard.json``.

ColumnKind = Literal["overall", "family", "task"]


class LeaderboardColumn(_Record):
    """A column of the main table: the overall score, a family's score or one task's."""

    key: str = Field(description="'overall', 'family:<family>' or 'task:<task>'")
    kind: ColumnKind
    label: str
    family: str | None = None
    tasks: list[str] = Field(
        default_factory=list, description="the tasks averaged (a task column: itself)"
    )
    metric: str | None = Field(default=None, description="a task column: its primary metric")
    higher_is_better: bool = Field(
        default=True, description="direction of the raw metric (cells are normalised)"
    )
    task_hash: str | None = Field(default=None, description="a task column: the runs it compares")
    data_hash: str | None = None


class LeaderboardCell(_Record):
    """One run's score in one column, normalised so that higher is better."""

    value: float | None = Field(description="normalised score; None when it cannot be computed")
    ci_low: float | None = None
    ci_high: float | None = None
    raw: MetricValue | None = Field(
        default=None, description="a task cell: the primary metric as the report gives it"
    )
    rank: int | None = Field(
        default=None, description="1 + the number of runs significantly better; None: unranked"
    )
    tied: bool = Field(default=False, description="another run has the same rank")
    comparable: bool = Field(
        default=True,
        description="False: computed on another task version or data subset than the column, "
        "shown apart and never averaged in",
    )
    note: str = Field(default="", description="why a value is missing, partial or apart")


class LeaderboardRow(_Record):
    """One run of the leaderboard (the latest run of a model, or every run with --all-runs)."""

    slug: str = Field(description="file-name-safe id: models/<slug>.html, reports/<slug>/")
    label: str
    kind: Literal["model", "system", "baseline"] = Field(
        default="model",
        description="a model run through lm-eval, a system's outputs replayed (--model replay "
        "path=…), or a built-in baseline replayed (baseline=…)",
    )
    model: ModelIdentity
    provenance: Provenance
    source: str = Field(description="the run folder the report was read from")
    cells: dict[str, LeaderboardCell] = Field(description="column key → cell")
    tasks: dict[str, TaskResult] = Field(description="every task of the report, as reported")
    samples_withheld: list[str] = Field(
        default_factory=list,
        description="tasks whose sample texts are not published (identifiers logged in clear)",
    )


class TaskVariant(_Record):
    """Runs of one task that share a task hash and a data hash: comparable with each other."""

    task: str
    task_hash: str | None
    data_hash: str | None
    version: str
    n_samples: int
    runs: list[str] = Field(description="slugs of the runs")
    reference: bool = Field(description="the variant the leaderboard's column compares")


class Leaderboard(_Record):
    title: str
    built_at: str
    partages_bench_version: str
    normalisation: str = Field(description="the rule making every score higher-is-better")
    aggregation: str = Field(description="how family and overall scores and their CIs are made")
    ties: str = Field(description="the rule marking ranks that are not separable")
    columns: list[LeaderboardColumn]
    rows: list[LeaderboardRow]
    variants: dict[str, list[TaskVariant]] = Field(description="task → variants, reference first")
    cards: dict[str, TaskCard] = Field(description="cards of the tasks found in the registry")
    skipped_reports: list[str] = Field(
        default_factory=list, description="reports not used and why (shards, older runs)"
    )
