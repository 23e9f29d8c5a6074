"""Fake but schema-valid run folders: many models × many tasks, for the leaderboard's tests and
its build benchmark, without running a model.

Why not real runs: the leaderboard must be tested on hundreds of reports, with models that are
clearly apart and models within noise of each other, and with one run that a careful reader must
not rank with the others. ``write_generated_reports`` writes exactly that, deterministically for
a seed (same seed, same bytes): ``folder/gen-model-000/`` … each with ``report.json`` and
``report.md`` (``rundir.write_report``) and, when asked, ``samples/<task>.jsonl`` whose records
give the report's ``data_hash`` (``rundir.read_samples`` accepts them).

Tasks ``gen_<family>_NN`` go round-robin over the four families, each with its real primary
metric (qa ``emr``, summarisation ``rougeL``, ner ``strict_f1``, pseudonymisation ``leak_rate``,
lower is better) and one or two secondary metrics. Model ``k`` has an ability; odd models are
within noise of the model before them, the others drawn apart. The last model ran the first
task on a subset of its documents (as with ``--limit``): another ``data_hash`` and ``n_samples``,
so the leaderboard must show that cell apart. Pseudonymisation texts only hold masked
identifiers (``[NOM:1a2b3c4d]``), never a name in clear.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from partages_bench import __version__
from partages_bench.families import BUILTIN
from partages_bench.report import data_hash
from partages_bench.rundir import SAMPLES_DIR, write_report, write_samples
from partages_bench.schema import (
    MetricValue,
    ModelIdentity,
    Provenance,
    Report,
    SampleRecord,
    TaskResult,
)

# family → (primary metric, higher is better), then its secondary metrics likewise.
PRIMARY: dict[str, tuple[str, bool]] = {
    "qa": ("emr", True),
    "summarisation": ("rougeL", True),
    "ner": ("strict_f1", True),
    "pseudonymisation": ("leak_rate", False),
    "classification": ("macro_f1", True),
    "structuring": ("field_f1", True),
    "consultation": ("fact_recall", True),
    "teaching": ("accuracy", True),
    "coding": ("code_f1", True),
    "oncology": ("field_f1", True),
}
SECONDARY: dict[str, tuple[tuple[str, bool], ...]] = {
    "qa": (("hamming", True), ("unparsable_rate", False)),
    "summarisation": (("rouge1", True), ("rouge2", True)),
    "ner": (("strict_precision", True), ("strict_recall", True)),
    "pseudonymisation": (("redaction_recall", True), ("doc_leak_rate", False)),
    "classification": (("accuracy", True), ("distant_error_rate", False)),
    "structuring": (("field_precision", True), ("hallucinated_field_rate", False)),
    "consultation": (("section_coverage", True), ("contradiction_rate", False)),
    "teaching": (("premise_coverage", True), ("unparsable_rate", False)),
    "coding": (("principal_accuracy", True), ("invalid_code_rate", False)),
    "oncology": (("hallucinated_field_rate", False), ("unparsable_rate", False)),
}
# Binary per-sample statistics (a document is right or wrong); the others are scores in [0, 1].
BINARY_STATS = frozenset(
    {
        "emr",
        "unparsable_rate",
        "leak_rate",
        "doc_leak_rate",
        "accuracy",
        "distant_error_rate",
        "principal_accuracy",
    }
)
START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
LIBRARIES = {
    "lm_eval": "0.4.13",
    "transformers": "5.0.0",
    "torch": "2.9.1",
    "datasets": "4.4.1",
    "numpy": "2.3.5",
}
_Z95 = 1.96
_PROMPTS = {
    "qa": "Question : quel examen confirme le diagnostic de {topic} ? Réponses possibles : A-E.",
    "summarisation": "Résumez le dossier du patient hospitalisé pour {topic}.",
    "ner": "Repérez les entités médicales : patient suivi pour {topic}, traité par amoxicilline.",
    "pseudonymisation": (
        "Remplacez les identifiants : [NOM:{h1}] [PRENOM:{h2}], né le [DATE:{h3}], "
        "hospitalisé à [HOPITAL:{h4}] pour {topic}."
    ),
    "classification": "Quelle est la réponse au traitement de ce patient suivi pour {topic} ?",
    "structuring": "Remplissez le scénario du séjour : patient hospitalisé pour {topic}.",
    "consultation": "Rédigez l'observation : « Docteur, j'ai une {topic} depuis trois jours. »",
    "teaching": "Cas clinique : patient suivi pour {topic}. Quelle conduite tenir ? Expliquez.",
    "coding": "Codez en CIM-10 le séjour : patient hospitalisé pour {topic}, HTA, DT2.",
    "oncology": "Compte rendu anatomo-pathologique : carcinome chez un patient suivi pour {topic}.",
}
_TOPICS = (
    "pneumopathie",
    "insuffisance cardiaque",
    "diabète de type 2",
    "embolie pulmonaire",
    "pyélonéphrite",
    "fracture du col du fémur",
)

# The built-in families, in the registry's order (fake runs never load a family).
FAMILIES = tuple(module.rsplit(".", 1)[1] for module in BUILTIN)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


@dataclass(frozen=True)
class GeneratedTask:
    """A task's fixed facts, shared by every model (same task, same documents)."""

    name: str
    family: str
    difficulty: float
    n_samples: int
    secondary: tuple[tuple[str, bool], ...]

    @property
    def task_hash(self) -> str:
        return _sha256(f"gen-task:{self.name}")


def make_tasks(n_tasks: int, rng: random.Random, samples_per_task: int) -> list[GeneratedTask]:
    """``n_tasks`` tasks, families round-robin; ``samples_per_task`` (if > 0) fixes their size."""
    tasks = []
    for index in range(n_tasks):
        family = FAMILIES[index % len(FAMILIES)]
        number = index // len(FAMILIES) + 1
        n = samples_per_task or rng.randrange(100, 601)
        secondary = SECONDARY[family][: rng.randint(1, 2)]
        tasks.append(
            GeneratedTask(f"gen_{family}_{number:02d}", family, rng.gauss(0, 0.6), n, secondary)
        )
    return tasks


def abilities(n_models: int, rng: random.Random) -> list[float]:
    """Model abilities (logit scale): even models drawn apart, each odd model within noise of
    the one before it, so a leaderboard has both clear gaps and ties."""
    drawn: list[float] = []
    for k in range(n_models):
        drawn.append(drawn[-1] + rng.gauss(0, 0.02) if k % 2 else rng.gauss(0, 1.0))
    return drawn


def _ci(value: float, n: int) -> tuple[float, float]:
    """A normal-approximation 95 % interval, as wide as a bootstrap over ``n`` documents gives."""
    half = _Z95 * math.sqrt(max(value * (1 - value), 1e-4) / n)
    return _clip(value - half), _clip(value + half)


def _metric(value: float, n: int, higher_is_better: bool) -> MetricValue:
    low, high = _ci(value, n)
    return MetricValue(value=value, ci_low=low, ci_high=high, higher_is_better=higher_is_better)


def _quality(task: GeneratedTask, ability: float, rng: random.Random) -> float:
    """Probability that the model gets a document right (higher is better, in any family)."""
    return _sigmoid(ability - task.difficulty + 0.3 + rng.gauss(0, 0.05))


def _expected(higher_is_better: bool, quality: float, rng: random.Random) -> float:
    """A metric's value for a model of this quality: leak rates stay low, like real ones."""
    if not higher_is_better:
        return _clip(0.4 * (1 - quality) + rng.gauss(0, 0.01))
    return _clip(quality + rng.gauss(0, 0.03))


def _stat(name: str, expected: float, rng: random.Random) -> float:
    if name in BINARY_STATS:
        return float(rng.random() < expected)
    return round(_clip(rng.gauss(expected, 0.15)), 4)


def _consistent(stats: dict[str, float]) -> dict[str, float]:
    """Per-sample statistics that do not contradict each other: an exact answer was parsed and
    has a Hamming score of 1; a document (one name to hide) leaks exactly when its name does."""
    if stats.get("emr"):
        for name, value in (("hamming", 1.0), ("unparsable_rate", 0.0)):
            if name in stats:
                stats[name] = value
    if "doc_leak_rate" in stats:
        stats["doc_leak_rate"] = stats["leak_rate"]
    return stats


def _texts(task: GeneratedTask, doc: int, stats: dict[str, float]) -> tuple[str, str, str]:
    """Prompt, output and target of one document: short French, identifiers only masked."""
    topic = _TOPICS[doc % len(_TOPICS)]
    h1, h2, h3, h4 = (_sha256(f"{task.name}:{doc}:{i}")[:8] for i in range(4))
    prompt = _PROMPTS[task.family].format(topic=topic, h1=h1, h2=h2, h3=h3, h4=h4)
    if task.family == "qa":
        return prompt, "B" if stats["emr"] else "D", "B"
    if task.family == "pseudonymisation":
        name = f"[NOM:{h1}]" if stats["leak_rate"] else "[NOM]"
        pattern = "{} [PRENOM], né le [DATE], hospitalisé à [HOPITAL] pour {}."
        return prompt, pattern.format(name, topic), pattern.format("[NOM]", topic)
    if task.family == "ner":
        target = f"DISO: {topic}; CHEM: amoxicilline"
        return prompt, target if stats["strict_f1"] >= 0.5 else f"DISO: {topic}", target
    return prompt, f"Patient hospitalisé pour {topic}, évolution favorable.", f"Séjour: {topic}."


def _records(
    task: GeneratedTask, n: int, expected: dict[str, float], rng: random.Random
) -> list[SampleRecord]:
    """The first ``n`` documents of the task, with per-sample statistics drawn around the
    metrics' expected values."""
    records = []
    for doc in range(n):
        stats = _consistent({name: _stat(name, value, rng) for name, value in expected.items()})
        prompt, output, target = _texts(task, doc, stats)
        records.append(
            SampleRecord(
                doc_index=doc,
                doc_id=f"doc-{doc + 1:04d}",
                doc_hash=_sha256(f"gen-doc:{task.name}:{doc}"),
                prompt=prompt,
                output=output,
                target=target,
                stats=stats,
            )
        )
    return records


def _data_hash(task: GeneratedTask, n: int) -> str:
    """The hash ``report.data_hash`` gives the first ``n`` documents, without building them."""
    return _sha256("\n".join(_sha256(f"gen-doc:{task.name}:{doc}") for doc in range(n)))


def _task_result(
    task: GeneratedTask,
    ability: float,
    subset: bool,
    with_samples: bool,
    rng: random.Random,
) -> tuple[TaskResult, list[SampleRecord]]:
    """One model's result on one task; ``subset``: only the first half of the documents."""
    n = task.n_samples // 2 if subset else task.n_samples
    quality = _quality(task, ability, rng)
    primary, direction = PRIMARY[task.family]
    metrics = [(primary, direction), *task.secondary]
    expected = {name: _expected(hib, quality, rng) for name, hib in metrics}
    records = _records(task, n, expected, rng) if with_samples else []
    if records:
        expected = {name: sum(r.stats[name] for r in records) / n for name in expected}
    result = TaskResult(
        name=task.name,
        family=task.family,
        version="1.0",
        dataset=f"partages/{task.name}",
        primary_metric=primary,
        metrics={name: _metric(expected[name], n, hib) for name, hib in metrics},
        n_samples=n,
        task_hash=task.task_hash,
        data_hash=data_hash(records) if records else _data_hash(task, n),
        notes=[f"evaluated on the first {n} of {task.n_samples} documents"] if subset else [],
        samples_in_clear=False,  # identifiers are masked (module docstring)
    )
    return result, records


def _provenance(
    k: int, name: str, folder: Path, tasks: Sequence[GeneratedTask], seconds: float
) -> Provenance:
    start = START + timedelta(minutes=90 * k)
    return Provenance(
        partages_bench_version=__version__,
        git_sha=_sha256(f"gen-git:{k // 10}")[:40],
        libraries=LIBRARIES,
        python="3.12.3",
        platform="Linux-6.8.0-x86_64-with-glibc2.39",
        seed=1234,
        bootstrap_iterations=1000,
        limit=None,
        batch_size="8",
        apply_chat_template=False,
        command=[
            "partages-bench",
            "run",
            "--model",
            "hf",
            "--model-args",
            f"pretrained=partages/{name}",
            "--tasks",
            ",".join(task.name for task in tasks),
            "--output",
            str(Path("runs") / folder.name),
        ],
        start_time=start.isoformat(timespec="seconds"),
        end_time=(start + timedelta(seconds=round(seconds))).isoformat(timespec="seconds"),
        duration_seconds=float(round(seconds)),
    )


def write_generated_reports(
    folder: Path, n_models: int, n_tasks: int, seed: int = 0, samples_per_task: int = 0
) -> list[Path]:
    """Write ``n_models`` run folders of ``n_tasks`` tasks each under ``folder`` and return them
    in model order; ``samples_per_task`` > 0 also writes that many samples per task (at least 2,
    so that the last model's subset of the first task is a smaller one)."""
    if n_models < 1 or n_tasks < 1:
        raise ValueError(f"need at least one model and one task, not {n_models} and {n_tasks}")
    if samples_per_task < 0 or samples_per_task == 1:
        raise ValueError(f"samples_per_task must be 0 or at least 2, not {samples_per_task}")
    rng = random.Random(f"gen-reports:{seed}")
    tasks = make_tasks(n_tasks, rng, samples_per_task)
    levels = abilities(n_models, rng)
    runs = []
    for k, ability in enumerate(levels):
        name = f"gen-model-{k:03d}"
        run = folder / name
        model_rng = random.Random(f"gen-reports:{seed}:{name}")
        results: dict[str, TaskResult] = {}
        samples: dict[str, list[SampleRecord]] = {}
        for index, task in enumerate(tasks):
            subset = k == n_models - 1 and index == 0
            results[task.name], samples[task.name] = _task_result(
                task, ability, subset, samples_per_task > 0, model_rng
            )
        seconds = sum(result.n_samples for result in results.values()) * 0.8
        report = Report(
            model=ModelIdentity(
                backend="hf",
                lm_eval_model="hf",
                name=name,
                args={"pretrained": f"partages/{name}"},
                weights_sha256=_sha256(f"gen-weights:{seed}:{name}"),
            ),
            tasks=results,
            provenance=_provenance(k, name, run, tasks, seconds),
        )
        run.mkdir(parents=True, exist_ok=True)
        for task_name, records in samples.items():
            if records:
                (run / SAMPLES_DIR).mkdir(exist_ok=True)
                write_samples(run, task_name, records)
        write_report(run, report)
        runs.append(run)
    return runs
