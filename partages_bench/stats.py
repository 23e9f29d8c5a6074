"""Statistics core: metrics as aggregations of per-sample statistics, with bootstrap CIs.

Every task reports, for each sample (document), a few numbers — a 0/1 score, a Hamming score,
tp/fp/fn counts… — its *per-sample statistics*. A metric is an **aggregation** of those columns.
Aggregations are pure functions over numpy arrays whose *last* axis runs over samples, so the
same function computes the point estimate on shape ``(n,)`` and all bootstrap replicates at once
on shape ``(B, n)``. That is why corpus-level F1 gets a real confidence interval here, where
lm-eval reports "N/A" for any custom aggregation.

The 95 % interval is the percentile bootstrap over samples: ``B`` resamples of the ``n``
samples drawn with replacement from a seeded ``numpy.random.Generator`` (one ``(B, n)`` index
matrix), the aggregation recomputed on each, and the 2.5th and 97.5th percentiles taken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Columns = Mapping[str, np.ndarray]
Aggregation = Callable[[Columns, str], np.ndarray]

DEFAULT_BOOTSTRAP = 1000
DEFAULT_BOOTSTRAP_SEED = 1234
CONFIDENCE = 0.95
# Resamples are drawn in blocks so that memory stays flat for large corpora (B × n int64).
_MAX_INDEX_CELLS = 20_000_000


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), 0.0)


def _counts(columns: Columns, stat: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(columns[f"{stat}_{kind}"].sum(axis=-1) for kind in ("tp", "fp", "fn"))


def _fbeta(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, beta: float) -> np.ndarray:
    b2 = beta * beta
    return _safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)


def mean(columns: Columns, stat: str) -> np.ndarray:
    """Mean of the per-sample statistic ``stat`` (accuracy, EMR, Hamming score…)."""
    return columns[stat].mean(axis=-1)


def nanmean(columns: Columns, stat: str) -> np.ndarray:
    """Mean over the samples where ``stat`` is defined (a subset metric, e.g. single-answer
    accuracy); NaN if no resampled sample has it."""
    values = columns[stat]
    defined = ~np.isnan(values)
    total = np.where(defined, values, 0.0).sum(axis=-1)
    count = defined.sum(axis=-1)
    return np.where(count > 0, _safe_divide(total, count), np.nan)


def ratio(columns: Columns, stat: str) -> np.ndarray:
    """Pooled ratio Σ ``{stat}_num`` / Σ ``{stat}_den`` (e.g. leaked mentions / gold mentions)."""
    return _safe_divide(columns[f"{stat}_num"].sum(axis=-1), columns[f"{stat}_den"].sum(axis=-1))


def micro_precision(columns: Columns, stat: str) -> np.ndarray:
    """TP / (TP + FP) with ``{stat}_tp``, ``{stat}_fp`` summed over samples."""
    tp, fp, _ = _counts(columns, stat)
    return _safe_divide(tp, tp + fp)


def micro_recall(columns: Columns, stat: str) -> np.ndarray:
    """TP / (TP + FN) with ``{stat}_tp``, ``{stat}_fn`` summed over samples."""
    tp, _, fn = _counts(columns, stat)
    return _safe_divide(tp, tp + fn)


def micro_f1(columns: Columns, stat: str) -> np.ndarray:
    """Pooled F1 = 2·TP / (2·TP + FP + FN), counts summed over samples; 0 if nothing at all."""
    return _fbeta(*_counts(columns, stat), beta=1.0)


def micro_f2(columns: Columns, stat: str) -> np.ndarray:
    """Pooled F2 = 5·TP / (5·TP + 4·FN + FP): recall weighs four times precision (a missed
    identifier costs more than an over-redacted word)."""
    return _fbeta(*_counts(columns, stat), beta=2.0)


def _labels_with_counts(columns: Columns, stat: str, kinds: Sequence[str]) -> list[str]:
    """Labels ``L`` of the ``{stat}.{L}_{kind}`` columns with any non-zero count in the arrays
    given (scikit-learn's macro average runs over the labels of gold ∪ predictions)."""
    prefix = f"{stat}."
    labels = sorted(
        {key[len(prefix) :].rsplit("_", 1)[0] for key in columns if key.startswith(prefix)}
    )
    return [
        label
        for label in labels
        if any(np.any(columns[f"{prefix}{label}_{kind}"] > 0) for kind in kinds)
    ]


def label_macro_f1(columns: Columns, stat: str) -> np.ndarray:
    """Unweighted mean over labels of per-label F1, from ``{stat}.{label}_tp/fp/fn`` columns.

    The labels are those with any count in the arrays given; one absent from a bootstrap
    resample scores 0 there.
    """
    labels = _labels_with_counts(columns, stat, ("tp", "fp", "fn"))
    return np.mean([micro_f1(columns, f"{stat}.{label}") for label in labels], axis=0)


# SemEval-2013 task 9.1 outcomes (nervaluate): correct, incorrect, partial, missed, spurious.
_OUTCOMES = ("cor", "inc", "par", "mis", "spu")


def _credit_actual_possible(
    columns: Columns, stat: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cor, inc, par, mis, spu = (columns[f"{stat}_{kind}"].sum(axis=-1) for kind in _OUTCOMES)
    return cor + 0.5 * par, cor + inc + par + spu, cor + inc + par + mis


def span_precision(columns: Columns, stat: str) -> np.ndarray:
    """(COR + ½·PAR) / ACT, ACT = COR + INC + PAR + SPU, counts ``{stat}_cor…`` pooled over
    samples (nervaluate; PAR is 0 in every schema but ``partial``)."""
    credit, actual, _ = _credit_actual_possible(columns, stat)
    return _safe_divide(credit, actual)


def span_recall(columns: Columns, stat: str) -> np.ndarray:
    """(COR + ½·PAR) / POS, POS = COR + INC + PAR + MIS, counts pooled over samples."""
    credit, _, possible = _credit_actual_possible(columns, stat)
    return _safe_divide(credit, possible)


def span_f1(columns: Columns, stat: str) -> np.ndarray:
    """2·P·R / (P + R) of ``span_precision`` and ``span_recall``; 0 when both are 0."""
    precision, recall = span_precision(columns, stat), span_recall(columns, stat)
    return _safe_divide(2 * precision * recall, precision + recall)


def _span_macro(score: Aggregation) -> Aggregation:
    def macro(columns: Columns, stat: str) -> np.ndarray:
        labels = _labels_with_counts(columns, stat, _OUTCOMES)
        if not labels:
            return np.zeros(np.shape(next(iter(columns.values())))[:-1])
        return np.mean([score(columns, f"{stat}.{label}") for label in labels], axis=0)

    macro.__doc__ = (
        f"Unweighted mean over labels of per-label ``{score.__name__}`` (columns "
        "``{stat}.{label}_cor…``), over the labels with a gold or predicted span in the arrays."
    )
    return macro


span_macro_precision = _span_macro(span_precision)
span_macro_recall = _span_macro(span_recall)
span_macro_f1 = _span_macro(span_f1)


def class_macro_f1(columns: Columns, stat: str) -> np.ndarray:
    """Unweighted mean over classes of per-class F1, from per-sample ``{stat}_gold`` and
    ``{stat}_pred`` class ids (0 = no prediction, never a class).

    The classes are those seen as gold or (non-zero) prediction in the arrays given, so the
    point estimate equals scikit-learn's ``f1_score(average="macro", zero_division=0)`` with
    those labels; a class absent from a bootstrap resample scores 0 there, as in scikit-learn.
    """
    gold, pred = columns[f"{stat}_gold"], columns[f"{stat}_pred"]
    classes = np.union1d(np.unique(gold), np.unique(pred[pred != 0]))
    scores = [
        _fbeta(
            ((gold == label) & (pred == label)).sum(axis=-1),
            ((gold != label) & (pred == label)).sum(axis=-1),
            ((gold == label) & (pred != label)).sum(axis=-1),
            beta=1.0,
        )
        for label in classes
    ]
    return np.mean(scores, axis=0)


AGGREGATIONS: dict[str, Aggregation] = {
    "mean": mean,
    "nanmean": nanmean,
    "ratio": ratio,
    "micro_precision": micro_precision,
    "micro_recall": micro_recall,
    "micro_f1": micro_f1,
    "micro_f2": micro_f2,
    "label_macro_f1": label_macro_f1,
    "class_macro_f1": class_macro_f1,
    "span_precision": span_precision,
    "span_recall": span_recall,
    "span_f1": span_f1,
    "span_macro_precision": span_macro_precision,
    "span_macro_recall": span_macro_recall,
    "span_macro_f1": span_macro_f1,
}


@dataclass(frozen=True)
class MetricSpec:
    """How a reported metric is computed from the per-sample statistics.

    ``stat`` names the per-sample column (or the prefix of the tp/fp/fn columns for F1).
    """

    name: str
    aggregation: str = "mean"
    stat: str | None = None
    higher_is_better: bool = True

    @property
    def source(self) -> str:
        return self.stat or self.name


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float
    ci_high: float


def to_columns(per_sample: Sequence[Mapping[str, float]]) -> dict[str, np.ndarray]:
    """Turn a list of per-sample statistic dicts into float64 columns."""
    keys = sorted({key for sample in per_sample for key in sample})
    return {key: np.array([float(s.get(key, np.nan)) for s in per_sample]) for key in keys}


def bootstrap_indices(n: int, iterations: int, seed: int) -> np.ndarray:
    """The ``(iterations, n)`` resampling index matrix shared by every metric of a task."""
    return np.random.default_rng(seed).integers(0, n, size=(iterations, n))


def replicates(columns: Columns, spec: MetricSpec, indices: np.ndarray) -> np.ndarray:
    """The metric recomputed on each resample (row) of ``indices``: shape ``(B,)``."""
    aggregate = AGGREGATIONS[spec.aggregation]
    return np.concatenate(
        [
            aggregate({key: col[block] for key, col in columns.items()}, spec.source)
            for block in _blocks(indices)
        ]
    )


def estimate(
    columns: Columns,
    spec: MetricSpec,
    indices: np.ndarray | None,
) -> Estimate:
    """Point value and percentile-bootstrap 95 % interval of one metric."""
    aggregate = AGGREGATIONS[spec.aggregation]
    value = float(aggregate(columns, spec.source))
    n = len(next(iter(columns.values()))) if columns else 0
    if indices is None or n < 2:
        return Estimate(value, value, value)
    resampled = replicates(columns, spec, indices)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.nanpercentile(resampled, [tail, 100 - tail])
    return Estimate(value, float(low), float(high))


def estimate_all(
    per_sample: Sequence[Mapping[str, float]],
    specs: Sequence[MetricSpec],
    iterations: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_BOOTSTRAP_SEED,
) -> dict[str, Estimate]:
    """All metrics of one task, every one resampled with the same index matrix."""
    columns = to_columns(per_sample)
    n = len(per_sample)
    indices = bootstrap_indices(n, iterations, seed) if iterations > 0 and n > 1 else None
    return {spec.name: estimate(columns, spec, indices) for spec in specs}


def _blocks(indices: np.ndarray) -> list[np.ndarray]:
    rows = max(1, _MAX_INDEX_CELLS // max(1, indices.shape[1]))
    return [indices[start : start + rows] for start in range(0, indices.shape[0], rows)]
