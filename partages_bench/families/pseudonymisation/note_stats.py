"""Per-note statistics: the keys every note yields, whatever the mode, and the statistics both
modes compute alike from which input tokens are in place (``protection_stats``): leaks,
protection, token redaction, utility and clinical.

Every note yields every key of its label scheme's ``stat_keys`` (``labels.LabelScheme``;
``STAT_KEYS`` for eds-pseudo's 13 labels), per label for each label of the scheme:

=================  ===========================================================================
statistic          keys (``{L}``: each label of the scheme) and rule
=================  ===========================================================================
leak (primary)     ``leak_num/_den``, ``leak.{L}_num/_den``: gold mentions a reader can still
                   find in the output (``leaks``) / gold mentions; ``doc_leak``: 1 if any
                   mention leaked, 0 otherwise (and for a note without PHI)
leak by role       ``leak_role.{R}_num/_den`` for each role of the scheme: the same, over the
                   gold mentions whose ``role`` is R (whose identifier it is: the patient's…)
token redaction    ``redact_tp/fp/fn``, ``redact.{L}_tp/fp/fn``: tp = gold PHI tokens not in
                   place, fn = gold PHI tokens in place, fp = non-PHI tokens not in place;
                   ``redact.{L}_fp`` = non-PHI tokens under a span predicted as L, detect mode
                   only (0 in rewrite mode: per-label precision means nothing there)
protection         ``protect_num/_den``, ``protect.{L}_num/_den``: entities none of whose
                   mentions leaked / entities
spans              ``span_strict_tp/fp/fn``, ``span_overlap_tp/fp/fn`` and per label,
                   ``span_unlabelled_tp/fp/fn``: detect mode only, zeros in rewrite mode
                   (``detect``), of the spans the system *listed* (see ``pseudonymisation``)
eds-pseudo         ``redact_eds_tp/fp/fn``, ``redact_full_eds_num/_den``, ``token_eds_tp/fp/fn``
                   and per label: eds-pseudo's « Redact », « Redact Full » and token scores on
                   edsnlp's tokens, punctuation included (``eds_scores``); detect mode only
utility            ``utility_num/_den``: non-PHI tokens in place / non-PHI tokens
kept spans         ``kept_num/_den``, for a scheme with ``kept`` labels: the note's
                   ``kept_spans`` (spans of those labels, no identifiers) whose every token is
                   in place / such spans
clinical           ``clinical_num/_den``: ``keep`` spans whose every token is in place /
                   ``keep`` spans; a note without ``keep`` counts its digit tokens outside PHI
surrogates         ``surrogate_valid_num/_den``, ``consistent_num/_den``, ``merged``: rewrite
                   mode only, zeros in detect mode (``rewrite``)
problems           ``unparsable``: 1 for unusable output; ``hallucinated_num/_den``: listed
                   texts not found in the note / listed items (detect mode, zeros in rewrite)
=================  ===========================================================================
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from partages_bench.families.pseudonymisation.labels import EDS_PSEUDO, LabelScheme
from partages_bench.families.pseudonymisation.leaks import as_published, is_leaked
from partages_bench.families.pseudonymisation.tokens import Tokens
from partages_bench.stats import as_statistic

_LABELLED_COUNTS = {
    "leak": ("num", "den"),
    "redact": ("tp", "fp", "fn"),
    "protect": ("num", "den"),
    "span_strict": ("tp", "fp", "fn"),
    "span_overlap": ("tp", "fp", "fn"),
    # eds-pseudo's token scores (``eds_scores``), detect mode only
    "redact_eds": ("tp", "fp", "fn"),
    "redact_full_eds": ("num", "den"),
    "token_eds": ("tp", "fp", "fn"),
}
_PLAIN_STATS = (
    "doc_leak",
    "utility_num",
    "utility_den",
    "clinical_num",
    "clinical_den",
    "surrogate_valid_num",
    "surrogate_valid_den",
    "consistent_num",
    "consistent_den",
    "merged",
    "unparsable",
    "hallucinated_num",
    "hallucinated_den",
    "span_unlabelled_tp",
    "span_unlabelled_fp",
    "span_unlabelled_fn",
)


@functools.cache
def stat_keys(scheme: LabelScheme = EDS_PSEUDO) -> tuple[str, ...]:
    """The keys every note of a scheme yields: per label for each of its labels, and the leaks
    of each of its roles (``leak_role.{R}_num/_den``, and ``leak_role_num/_den`` over mentions
    with a role)."""
    scopes = ("", *(f".{role}" for role in scheme.roles)) if scheme.roles else ()
    roles = tuple(f"leak_role{scope}_{kind}" for scope in scopes for kind in ("num", "den"))
    kept = ("kept_num", "kept_den") if scheme.kept else ()
    return (
        _PLAIN_STATS
        + tuple(
            f"{stat}{scope}_{kind}"
            for stat, kinds in _LABELLED_COUNTS.items()
            for scope in ("", *(f".{label}" for label in scheme.labels))
            for kind in kinds
        )
        + roles
        + kept
    )


STAT_KEYS = stat_keys()

Note = Mapping[str, Any]
EntityKey = tuple[str, str | int]


@dataclass(frozen=True)
class Mention:
    """A gold mention: its offsets, label and entity, and the tokens it overlaps."""

    start: int
    end: int
    label: str
    entity: EntityKey
    tokens: range
    role: str | None = None


@dataclass(frozen=True)
class Gold:
    """A note's gold mentions, and for each token the first mention overlapping it (its owner)
    and that mention's label (None outside PHI)."""

    mentions: list[Mention]
    owners: list[int | None]
    labels: list[str | None]


def read_gold(note: Note, tokens: Tokens) -> Gold:
    """Mentions with their entity (``entity_id`` and label; else the mention alone)."""
    mentions = []
    for index, entity in enumerate(note.get("entities") or []):
        start, end, label = entity["start"], entity["end"], entity["label"]
        entity_id = entity.get("entity_id")
        key = (label, index if entity_id is None else str(entity_id))
        role = entity.get("role")
        mentions.append(Mention(start, end, label, key, tokens.overlapping(start, end), role))
    owners: list[int | None] = [None] * len(tokens)
    for index, mention in enumerate(mentions):
        for word in mention.tokens:
            if owners[word] is None:
                owners[word] = index
    labels = [None if owner is None else mentions[owner].label for owner in owners]
    return Gold(mentions, owners, labels)


@functools.cache
def _column_keys(stat: str, kind: str, label: str) -> tuple[str, str]:
    """The total and per-label column names, formatted once (``add`` runs per mention)."""
    return f"{stat}_{kind}", f"{stat}.{label}_{kind}"


def add(stats: Counter[str], stat: str, kind: str, label: str, amount: int = 1) -> None:
    """Count in the total column and in the label's column."""
    total, labelled = _column_keys(stat, kind, label)
    stats[total] += amount
    stats[labelled] += amount


def _clinical_units(note: Note, tokens: Tokens, gold: Gold) -> list[range]:
    """What must survive verbatim: the note's ``keep`` spans; without them, each digit token
    outside PHI (doses, lab values, scores)."""
    keep = note.get("keep")
    if keep is None:
        return [
            range(index, index + 1)
            for index, norm in enumerate(tokens.norms)
            if gold.labels[index] is None and norm.isdigit()
        ]
    return [tokens.overlapping(span["start"], span["end"]) for span in keep]


def in_place_blocks(pairs: Sequence[tuple[int, int]], n_tokens: int) -> list[range | None]:
    """For each input token in place, its block: the maximal run of (input, output) pairs
    consecutive on both sides; None for a token not in place."""
    blocks: list[range | None] = [None] * n_tokens
    start = 0
    for index in range(1, len(pairs) + 1):
        previous = pairs[index - 1]
        if index == len(pairs) or pairs[index] != (previous[0] + 1, previous[1] + 1):
            first, stop = pairs[start][0], previous[0] + 1
            blocks[first:stop] = [range(first, stop)] * (stop - first)
            start = index
    return blocks


def _kept_in_place(words: range, blocks: Sequence[range | None]) -> bool:
    """Whether a mention stands unchanged where it stood: all its tokens in place, within blocks
    (aligned ``equal`` blocks, or runs of unredacted tokens) that also hold some other token —
    a lone word equal by chance ("A." aligned to the verb "a") is no evidence."""
    around = [blocks[word] for word in words]
    return bool(words) and all(
        block is not None and (block.start < words.start or block.stop > words.stop)
        for block in around
    )


def protection_stats(
    note: Note,
    tokens: Tokens,
    gold: Gold,
    blocks: Sequence[range | None],
    output: str,
    scheme: LabelScheme = EDS_PSEUDO,
) -> Counter[str]:
    """Leak, entity protection, token redaction (without per-label fp), utility and clinical
    statistics of one output, given the block in place around each input token; a mention is
    compared as its scheme's ``kind`` says, and counted under its role too when it has one."""
    in_place = [block is not None for block in blocks]
    stats: Counter[str] = Counter()
    published = as_published(output)
    entity_leaked: dict[EntityKey, bool] = {}
    for mention in gold.mentions:
        leaked = is_leaked(
            note["text"][mention.start : mention.end],
            scheme.kind(mention.label),
            published,
            _kept_in_place(mention.tokens, blocks),
        )
        add(stats, "leak", "den", mention.label)
        add(stats, "leak", "num", mention.label, leaked)
        if mention.role is not None:
            add(stats, "leak_role", "den", mention.role)
            add(stats, "leak_role", "num", mention.role, leaked)
        entity_leaked[mention.entity] = entity_leaked.get(mention.entity, False) or leaked
    stats["doc_leak"] = int(stats["leak_num"] > 0)
    for (label, _), leaked in entity_leaked.items():
        add(stats, "protect", "den", label)
        add(stats, "protect", "num", label, not leaked)
    for (label, kept), count in Counter(zip(gold.labels, in_place, strict=True)).items():
        if label is None:
            stats["utility_den"] += count
            stats["utility_num"] += kept * count
            stats["redact_fp"] += (not kept) * count
        else:
            add(stats, "redact", "fn" if kept else "tp", label, count)
    for span in note.get("kept_spans") or ():
        stats["kept_den"] += 1
        words = tokens.overlapping(span["start"], span["end"])
        stats["kept_num"] += all(in_place[word] for word in words)
    units = _clinical_units(note, tokens, gold)
    stats["clinical_den"] = len(units)
    stats["clinical_num"] = sum(all(in_place[index] for index in unit) for unit in units)
    return stats


def as_stats(stats: Counter[str], scheme: LabelScheme = EDS_PSEUDO) -> dict[str, float]:
    """The flat per-note dict: every key of the scheme's ``stat_keys``, zeros included."""
    flat = dict.fromkeys(stat_keys(scheme), as_statistic(0))
    flat.update((key, as_statistic(value)) for key, value in stats.items() if key in flat)
    return flat
