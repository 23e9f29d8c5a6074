"""Statistics core: metrics as aggregations of per-sample statistics, with bootstrap CIs.

Every task reports, for each sample (document), a few numbers — a 0/1 score, a Hamming score,
tp/fp/fn counts… — its *per-sample statistics*. A metric is an **aggregation** of those columns.
Every aggregation here is a function of column **totals** (sums over the samples, such as
Σ tp or the number of samples of a class) and of which values occur (which labels have a
count): ``Totals`` gives both, over the samples themselves for the point estimate or over each
of B bootstrap resamples at once, so that the same function computes both. That is why
corpus-level F1 gets a real confidence interval here, where lm-eval reports "N/A" for any custom
aggregation.

The 95 % interval is the percentile bootstrap over samples: ``B`` resamples of the ``n``
samples drawn with replacement from a seeded ``numpy.random.Generator`` (one ``(B, n)`` index
matrix, drawn in blocks of rows), the aggregation recomputed on each, and the 2.5th and 97.5th
percentiles taken. With ``strata`` (a label per sample: its site in a pooled report) the
bootstrap is stratified: each resample draws, within each stratum, as many samples as the
stratum holds, so the strata's sizes are kept. A resample's totals are not summed sample by
sample: each block of rows becomes the ``(rows, n)`` matrix of how many times each sample was
drawn, and one matrix product with the ``(n, k)`` columns gives every total of every resample
of the block. For integer-valued columns (counts, 0/1 scores) that product is exact, so the
totals equal the sums of the resampled values bit for bit; any other column (a Hamming score,
a ROUGE score) is resampled and summed row by row as before, whose rounding the product would
not reproduce.
"""

from __future__ import annotations

import functools
import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from threadpoolctl import threadpool_limits

from .names import DEFAULT_BOOTSTRAP as DEFAULT_BOOTSTRAP
from .names import DEFAULT_SEED

Columns = Mapping[str, np.ndarray]
# A total is named by its column, or by a tuple naming a column derived from the columns.
Key = str | tuple[str, ...]
Derive = Callable[[Columns], np.ndarray]

CONFIDENCE = 0.95
# Resamples are drawn and counted in blocks of rows so that memory stays flat for large corpora
# (a block holds its int64 indices and its float64 draw counts).
_MAX_INDEX_CELLS = 4_000_000
# Above this, a float64 sum of integers may round (2**53).
_EXACT_INTEGERS = float(2**53)


class Totals(ABC):
    """Sums over samples of per-sample columns (and of columns derived from them), of shape
    ``shape``: ``()`` over the samples themselves, ``(B,)`` over each of B resamples."""

    keys: Collection[str]  # the per-sample columns
    size: int  # samples in each total (n)
    shape: tuple[int, ...]

    @abstractmethod
    def total(self, key: Key, derive: Derive | None = None) -> np.ndarray:
        """Σ over samples of column ``key``, or of ``derive(columns)`` named ``key``."""

    @abstractmethod
    def seen(self, key: str) -> np.ndarray:
        """The values of column ``key`` that the totals cover (a resample's: those drawn)."""


class SampleTotals(Totals):
    """Totals over the samples of ``columns`` (the last axis runs over samples). Remembers
    every total asked for: a resample's totals are among them (its labels are among the
    data's)."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.keys = columns.keys()
        shape = np.shape(next(iter(columns.values()))) if columns else (0,)
        self.size, self.shape = shape[-1], shape[:-1]
        self.requests: dict[Key, Derive | None] = {}
        self._totals: dict[Key, np.ndarray] = {}

    def total(self, key: Key, derive: Derive | None = None) -> np.ndarray:
        if key not in self._totals:
            self.requests[key] = derive
            values = self.columns[key] if derive is None else derive(self.columns)
            self._totals[key] = values.sum(axis=-1)
        return self._totals[key]

    def seen(self, key: str) -> np.ndarray:
        return self.columns[key]


def _exact_in_product(values: np.ndarray) -> bool:
    """Whether a matrix product with draw counts sums ``values`` exactly: integers, small
    enough that no partial sum of n of them rounds."""
    return bool(
        np.all(np.isfinite(values))
        and np.all(values == np.trunc(values))
        and len(values) * np.max(np.abs(values), initial=0.0) < _EXACT_INTEGERS
    )


def _draw_counts(block: np.ndarray, n: int) -> np.ndarray:
    """How many times each of the ``n`` samples is drawn in each resample (row) of the block."""
    counts = np.empty(block.shape)
    for row, indices in zip(counts, block, strict=True):
        row[:] = np.bincount(indices, minlength=n)
    return counts


class ResampledTotals(Totals):
    """The totals ``requests`` (``SampleTotals.requests``) over each bootstrap resample of
    ``columns``, all computed in one pass over the index blocks (rows of the index matrix)."""

    def __init__(
        self,
        columns: Columns,
        requests: Mapping[Key, Derive | None],
        blocks: Iterable[np.ndarray],
    ) -> None:
        self.columns = columns
        self.keys = columns.keys()
        self.size = len(next(iter(columns.values())))
        # Integer-valued columns go through the product, each distinct one once (in a task many
        # are equal: all zeros, or the same denominator); the others are summed row by row.
        rows: dict[bytes, int] = {}
        distinct: list[np.ndarray] = []
        product_row: dict[Key, int] = {}
        summed: dict[Key, np.ndarray] = {}
        for key, derive in requests.items():
            values = np.asarray(columns[key] if derive is None else derive(columns), np.float64)
            if not _exact_in_product(values):
                summed[key] = values
                continue
            digest = hashlib.blake2b(values, digest_size=16).digest()
            product_row[key] = rows.setdefault(digest, len(rows))
            if len(distinct) < len(rows):
                distinct.append(values)
        matrix = np.stack(distinct) if distinct else np.empty((0, self.size))
        products: list[np.ndarray] = []
        sums: dict[Key, list[np.ndarray]] = {key: [] for key in summed}
        self._drawn = np.zeros(self.size, dtype=bool)
        # One BLAS thread: the products are small, and BLAS threads that wait for a busy core
        # (scoring workers, any other load) made them 5 to 15 times slower (issue 17). The
        # product of integers is exact, so the threads never change a total.
        with threadpool_limits(limits=1, user_api="blas"):
            for block in blocks:
                counts = _draw_counts(block, self.size)
                self._drawn |= counts.any(axis=0)
                products.append(matrix @ counts.T)  # (k, rows)
                for key, values in summed.items():
                    sums[key].append(values[block].sum(axis=-1))
        product = np.concatenate(products, axis=1)
        self.shape = (product.shape[1],)
        self._totals = {key: product[row] for key, row in product_row.items()}
        self._totals |= {key: np.concatenate(parts) for key, parts in sums.items()}

    def total(self, key: Key, derive: Derive | None = None) -> np.ndarray:
        return self._totals[key]

    def seen(self, key: str) -> np.ndarray:
        return self.columns[key][self._drawn]


Aggregation = Callable[[Columns | Totals, str], np.ndarray]


def _aggregation(function: Callable[[Totals, str], np.ndarray]) -> Aggregation:
    """An aggregation that also takes columns (the last axis running over samples)."""

    @functools.wraps(function)
    def aggregate(columns: Columns | Totals, stat: str) -> np.ndarray:
        totals = columns if isinstance(columns, Totals) else SampleTotals(columns)
        return function(totals, stat)

    return aggregate


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), 0.0)


def _counts(totals: Totals, stat: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(totals.total(f"{stat}_{kind}") for kind in ("tp", "fp", "fn"))


def _fbeta(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, beta: float) -> np.ndarray:
    b2 = beta * beta
    return _safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)


@_aggregation
def mean(totals: Totals, stat: str) -> np.ndarray:
    """Mean of the per-sample statistic ``stat`` (accuracy, EMR, Hamming score…)."""
    return totals.total(stat) / totals.size


@_aggregation
def nanmean(totals: Totals, stat: str) -> np.ndarray:
    """Mean over the samples where ``stat`` is defined (a subset metric, e.g. single-answer
    accuracy); NaN if no resampled sample has it, or no sample at all (a subset none of the
    documents is in: ``frenchmedmcqa --limit 2`` on two multi-answer questions)."""

    def values(columns: Columns) -> np.ndarray:
        if stat in columns:
            return columns[stat]
        return np.full(len(next(iter(columns.values()), ())), np.nan)

    def defined(columns: Columns) -> np.ndarray:
        return ~np.isnan(values(columns))

    total = totals.total(
        ("defined values", stat), lambda columns: np.where(defined(columns), values(columns), 0.0)
    )
    count = totals.total(("defined", stat), defined)
    return np.where(count > 0, _safe_divide(total, count), np.nan)


@_aggregation
def ratio(totals: Totals, stat: str) -> np.ndarray:
    """Pooled ratio Σ ``{stat}_num`` / Σ ``{stat}_den`` (e.g. leaked mentions / gold mentions)."""
    return _safe_divide(totals.total(f"{stat}_num"), totals.total(f"{stat}_den"))


@_aggregation
def micro_precision(totals: Totals, stat: str) -> np.ndarray:
    """TP / (TP + FP) with ``{stat}_tp``, ``{stat}_fp`` summed over samples."""
    tp, fp, _ = _counts(totals, stat)
    return _safe_divide(tp, tp + fp)


@_aggregation
def micro_recall(totals: Totals, stat: str) -> np.ndarray:
    """TP / (TP + FN) with ``{stat}_tp``, ``{stat}_fn`` summed over samples."""
    tp, _, fn = _counts(totals, stat)
    return _safe_divide(tp, tp + fn)


@_aggregation
def micro_f1(totals: Totals, stat: str) -> np.ndarray:
    """Pooled F1 = 2·TP / (2·TP + FP + FN), counts summed over samples; 0 if nothing at all."""
    return _fbeta(*_counts(totals, stat), beta=1.0)


@_aggregation
def micro_f2(totals: Totals, stat: str) -> np.ndarray:
    """Pooled F2 = 5·TP / (5·TP + 4·FN + FP): recall weighs four times precision (a missed
    identifier costs more than an over-redacted word)."""
    return _fbeta(*_counts(totals, stat), beta=2.0)


def _labels_with_counts(totals: Totals, stat: str, kinds: Sequence[str]) -> list[str]:
    """Labels ``L`` of the ``{stat}.{L}_{kind}`` columns with any non-zero count in the samples
    covered (scikit-learn's macro average runs over the labels of gold ∪ predictions)."""
    prefix = f"{stat}."
    labels = sorted(
        {key[len(prefix) :].rsplit("_", 1)[0] for key in totals.keys if key.startswith(prefix)}
    )
    return [
        label
        for label in labels
        if any(np.any(totals.seen(f"{prefix}{label}_{kind}") > 0) for kind in kinds)
    ]


@_aggregation
def label_macro_f1(totals: Totals, stat: str) -> np.ndarray:
    """Unweighted mean over labels of per-label F1, from ``{stat}.{label}_tp/fp/fn`` columns.

    The labels are those with any count in the samples covered (every resample's samples, for
    the replicates); one absent from a bootstrap resample scores 0 there.
    """
    labels = _labels_with_counts(totals, stat, ("tp", "fp", "fn"))
    return np.mean([micro_f1(totals, f"{stat}.{label}") for label in labels], axis=0)


# SemEval-2013 task 9.1 outcomes (nervaluate): correct, incorrect, partial, missed, spurious.
_OUTCOMES = ("cor", "inc", "par", "mis", "spu")


def _credit_actual_possible(totals: Totals, stat: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cor, inc, par, mis, spu = (totals.total(f"{stat}_{kind}") for kind in _OUTCOMES)
    return cor + 0.5 * par, cor + inc + par + spu, cor + inc + par + mis


@_aggregation
def span_precision(totals: Totals, stat: str) -> np.ndarray:
    """(COR + ½·PAR) / ACT, ACT = COR + INC + PAR + SPU, counts ``{stat}_cor…`` pooled over
    samples (nervaluate; PAR is 0 in every schema but ``partial``)."""
    credit, actual, _ = _credit_actual_possible(totals, stat)
    return _safe_divide(credit, actual)


@_aggregation
def span_recall(totals: Totals, stat: str) -> np.ndarray:
    """(COR + ½·PAR) / POS, POS = COR + INC + PAR + MIS, counts pooled over samples."""
    credit, _, possible = _credit_actual_possible(totals, stat)
    return _safe_divide(credit, possible)


@_aggregation
def span_f1(totals: Totals, stat: str) -> np.ndarray:
    """2·P·R / (P + R) of ``span_precision`` and ``span_recall``; 0 when both are 0."""
    precision, recall = span_precision(totals, stat), span_recall(totals, stat)
    return _safe_divide(2 * precision * recall, precision + recall)


def _span_macro(score: Aggregation) -> Aggregation:
    def macro(totals: Totals, stat: str) -> np.ndarray:
        labels = _labels_with_counts(totals, stat, _OUTCOMES)
        if not labels:
            return np.zeros(totals.shape)
        return np.mean([score(totals, f"{stat}.{label}") for label in labels], axis=0)

    macro.__doc__ = (
        f"Unweighted mean over labels of per-label ``{score.__name__}`` (columns "
        "``{stat}.{label}_cor…``), over the labels with a gold or predicted span in the samples."
    )
    return _aggregation(macro)


span_macro_precision = _span_macro(span_precision)
span_macro_recall = _span_macro(span_recall)
span_macro_f1 = _span_macro(span_f1)


@_aggregation
def class_macro_f1(totals: Totals, stat: str) -> np.ndarray:
    """Unweighted mean over classes of per-class F1, from per-sample ``{stat}_gold`` and
    ``{stat}_pred`` class ids (0 = no prediction, never a class).

    The classes are those seen as gold or (non-zero) prediction in the samples covered, so the
    point estimate equals scikit-learn's ``f1_score(average="macro", zero_division=0)`` with
    those labels; a class absent from a bootstrap resample scores 0 there, as in scikit-learn.
    """
    gold_key, pred_key = f"{stat}_gold", f"{stat}_pred"
    predicted = totals.seen(pred_key)
    classes = np.union1d(np.unique(totals.seen(gold_key)), np.unique(predicted[predicted != 0]))

    def count(kind: str, label: float, is_gold: bool, is_pred: bool) -> np.ndarray:
        def derive(columns: Columns) -> np.ndarray:
            gold, pred = columns[gold_key], columns[pred_key]
            return ((gold == label) == is_gold) & ((pred == label) == is_pred)

        return totals.total((kind, stat, str(label)), derive)

    scores = [
        _fbeta(
            count("tp", label, True, True),
            count("fp", label, False, True),
            count("fn", label, True, False),
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


@functools.lru_cache(maxsize=4096)
def as_statistic(value: float) -> float:
    """``float(value)``, one object per recent distinct value: per-sample statistics are mostly
    small counts, and 100 000 documents of 200 statistics each would otherwise hold 20 million
    float objects."""
    return float(value)


def to_columns(per_sample: Sequence[Mapping[str, float]]) -> dict[str, np.ndarray]:
    """Turn a list of per-sample statistic dicts into float64 columns (NaN where a sample lacks
    a key). Samples that all list the same keys in the same order, as a task's do, are read in
    one pass."""
    order = list(per_sample[0]) if per_sample else []
    if all(list(sample) == order for sample in per_sample):
        values = chain.from_iterable(sample.values() for sample in per_sample)
        matrix = np.fromiter(values, np.float64, len(per_sample) * len(order))
        rows = np.ascontiguousarray(matrix.reshape(len(per_sample), len(order)).T)
        return dict(sorted(zip(order, rows, strict=True)))
    keys = sorted({key for sample in per_sample for key in sample})
    return {key: np.array([float(s.get(key, np.nan)) for s in per_sample]) for key in keys}


def strata_positions(strata: Sequence[object]) -> list[np.ndarray]:
    """The positions of each stratum (one label per sample), strata in order of first label."""
    positions: dict[object, list[int]] = {}
    for i, label in enumerate(strata):
        positions.setdefault(label, []).append(i)
    return [np.asarray(p, dtype=np.int64) for p in positions.values()]


def _draw(
    rng: np.random.Generator, rows: int, n: int, strata: Sequence[np.ndarray] | None
) -> np.ndarray:
    """``rows`` resamples of ``n`` samples. Unstratified: n draws among all samples. Stratified:
    each stratum's positions get draws among that stratum's samples only (its size kept), the
    strata drawn in turn from the same generator."""
    if strata is None:
        return rng.integers(0, n, size=(rows, n))
    block = np.empty((rows, n), dtype=np.int64)
    for positions in strata:
        block[:, positions] = positions[rng.integers(0, len(positions), (rows, len(positions)))]
    return block


def bootstrap_indices(
    n: int, iterations: int, seed: int, strata: Sequence[object] | None = None
) -> np.ndarray:
    """The ``(iterations, n)`` resampling index matrix shared by every metric of a task (the
    blocks of ``_index_blocks`` put together); ``strata`` (a label per sample): stratified."""
    if strata is None:
        return np.random.default_rng(seed).integers(0, n, size=(iterations, n))
    return np.concatenate(list(_index_blocks(n, iterations, seed, strata)))


def _index_blocks(
    n: int, iterations: int, seed: int, strata: Sequence[object] | None = None
) -> Iterator[np.ndarray]:
    """The rows of ``bootstrap_indices(n, iterations, seed, strata)`` in blocks, drawn as they
    are needed: a generator draws the same numbers in one call or in several."""
    rng = np.random.default_rng(seed)
    groups = None if strata is None else strata_positions(strata)
    rows = max(1, _MAX_INDEX_CELLS // n)
    for start in range(0, iterations, rows):
        yield _draw(rng, min(rows, iterations - start), n, groups)


def _blocks(indices: np.ndarray) -> list[np.ndarray]:
    rows = max(1, _MAX_INDEX_CELLS // max(1, indices.shape[1]))
    return [indices[start : start + rows] for start in range(0, indices.shape[0], rows)]


def replicates(columns: Columns, spec: MetricSpec, indices: np.ndarray) -> np.ndarray:
    """The metric recomputed on each resample (row) of ``indices``: shape ``(B,)``."""
    aggregate = AGGREGATIONS[spec.aggregation]
    sample = SampleTotals(columns)
    aggregate(sample, spec.source)  # learns which totals the resamples need
    return aggregate(ResampledTotals(columns, sample.requests, _blocks(indices)), spec.source)


def _interval(value: float, resampled: np.ndarray) -> Estimate:
    """``value`` with the percentile-bootstrap 95 % interval of its replicates (NaN when no
    replicate is defined, e.g. a ratio whose denominator is 0 in every document)."""
    if np.isnan(resampled).all():
        return Estimate(value, math.nan, math.nan)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.nanpercentile(resampled, [tail, 100 - tail])
    return Estimate(value, float(low), float(high))


def estimate_all(
    per_sample: Sequence[Mapping[str, float]],
    specs: Sequence[MetricSpec],
    iterations: int = DEFAULT_BOOTSTRAP,
    seed: int = DEFAULT_SEED,
    strata: Sequence[object] | None = None,
) -> dict[str, Estimate]:
    """All metrics of one task with their intervals, every one resampled with the same index
    matrix, whose totals are computed once for all of them. ``strata`` (a label per sample,
    e.g. its site): the stratified bootstrap, each resample drawing within each stratum as many
    samples as it has (    stratum by stratum: ``bootstrap_indices`` puts the blocks together)."""
    columns = to_columns(per_sample)
    sample = SampleTotals(columns)
    values = {
        spec.name: float(AGGREGATIONS[spec.aggregation](sample, spec.source)) for spec in specs
    }
    n = len(per_sample)
    if iterations <= 0 or n < 2 or not sample.requests:
        return {name: Estimate(value, value, value) for name, value in values.items()}
    resampled = ResampledTotals(
        columns, sample.requests, _index_blocks(n, iterations, seed, strata)
    )
    return {
        spec.name: _interval(
            values[spec.name], AGGREGATIONS[spec.aggregation](resampled, spec.source)
        )
        for spec in specs
    }
