"""Pseudonymisation of French clinical notes: output parsing and per-note statistics.

A note is ``{note_id, text, entities: [{start, end, label, text, entity_id}], keep?}`` with
end-exclusive character offsets and eds-pseudo's 13 labels (``LABELS``). An **entity** is the
set of mentions sharing ``entity_id`` *and* label (a mention without ``entity_id`` is an entity
of its own): a generator that gives a person's first and last names one id still gets one entity
per name part, each with its own label and its own surrogate. ``keep`` lists non-identifier
spans that must survive (drugs, doses, lab values…).

Two task modes share one scorer. **detect**: the model lists the identifiers as JSON;
``parse_detected`` reads them, ``ground`` finds them in the note, and ``score_detect`` scores the
note with those spans redacted (each replaced by ``[LABEL]``). **rewrite**: the model returns the
note with every identifier replaced by a surrogate; ``score_rewrite`` aligns input and output
word tokens (``difflib.SequenceMatcher``, ``_equal_pairs``). An input token is **in place** when
it survives where it stood: in rewrite mode, it is aligned to an equal output token; in detect
mode, it overlaps no predicted span. Unusable output protects nothing: unparsable JSON is an
empty prediction, an empty rewrite is scored as the unchanged note; both count in ``unparsable``.

Tokens are maximal runs of letters or of digits after NFKC, case folding and accent stripping
(``normalise``), except for the eds-pseudo statistics, on edsnlp's tokens.

In detect mode a system's spans play two parts. The spans **listed** — one per listed item, as
``ground_listing`` places it, or the offsets a system gives — are what span and label-aware token
scores compare with the gold (``span_*``, ``token_eds``). The spans **redacted** — the listed ones
and every other occurrence of a listed text — are what a reader of the output no longer sees,
which leak, protection, redaction, utility and clinical statistics score. A surname listed once
and redacted wherever it stands, inside an e-mail address too, protects the whole note without
adding spurious NOM spans.

Every note yields every key of ``STAT_KEYS`` (per label for all 13 labels):

=================  ===========================================================================
statistic          keys (``{L}``: each of the 13 labels) and rule
=================  ===========================================================================
leak (primary)     ``leak_num/_den``, ``leak.{L}_num/_den``: gold mentions a reader can still
                   find in the output (``_leaked``) / gold mentions; ``doc_leak``: 1 if any
                   mention leaked, 0 otherwise (and for a note without PHI)
token redaction    ``redact_tp/fp/fn``, ``redact.{L}_tp/fp/fn``: tp = gold PHI tokens not in
                   place, fn = gold PHI tokens in place, fp = non-PHI tokens not in place;
                   ``redact.{L}_fp`` = non-PHI tokens under a span predicted as L, detect mode
                   only (0 in rewrite mode: per-label precision means nothing there)
protection         ``protect_num/_den``, ``protect.{L}_num/_den``: entities none of whose
                   mentions leaked / entities
spans              ``span_strict_tp/fp/fn``, ``span_overlap_tp/fp/fn`` and per label,
                   ``span_unlabelled_tp/fp/fn``: detect mode only, zeros in rewrite mode
                   (``_span_stats``), of the spans the system *listed* (see below)
eds-pseudo         ``redact_eds_tp/fp/fn``, ``redact_full_eds_num/_den``, ``token_eds_tp/fp/fn``
                   and per label: eds-pseudo's « Redact », « Redact Full » and token scores on
                   edsnlp's tokens, punctuation included (``eds_scores``); detect mode only
utility            ``utility_num/_den``: non-PHI tokens in place / non-PHI tokens
clinical           ``clinical_num/_den``: ``keep`` spans whose every token is in place /
                   ``keep`` spans; a note without ``keep`` counts its digit tokens outside PHI
surrogates         ``surrogate_valid_num/_den``, ``consistent_num/_den``, ``merged``: rewrite
                   mode only, zeros in detect mode (``_surrogate_stats``)
problems           ``unparsable``: 1 for unusable output; ``hallucinated_num/_den``: listed
                   texts not found in the note / listed items (detect mode, zeros in rewrite)
=================  ===========================================================================
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import accumulate, combinations, groupby, pairwise
from typing import Any

import numpy as np
from stdnum.fr import nir

from partages_bench.families.eds_scores import eds_counts
from partages_bench.families.extraction import (
    ParsedEntities,
    Span,
    fold_char,
    parse_entity_list,
    strip_thinking,
)
from partages_bench.stats import as_statistic

LABELS = (
    "NOM",
    "PRENOM",
    "DATE",
    "DATE_NAISSANCE",
    "ADRESSE",
    "VILLE",
    "ZIP",
    "TEL",
    "MAIL",
    "SECU",
    "IPP",
    "NDA",
    "HOPITAL",
)
# Identifiers compared by their digits only, whatever the spelling.
NUMERIC_LABELS = frozenset({"TEL", "SECU", "IPP", "NDA", "ZIP"})
DATE_LABELS = frozenset({"DATE", "DATE_NAISSANCE"})

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
STAT_KEYS = _PLAIN_STATS + tuple(
    f"{stat}{scope}_{kind}"
    for stat, kinds in _LABELLED_COUNTS.items()
    for scope in ("", *(f".{label}" for label in LABELS))
    for kind in kinds
)

Note = Mapping[str, Any]
Date = tuple[int, int, int]
EntityKey = tuple[str, str | int]


# --- text normalisation -------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_DIGIT = re.compile(r"\d")
# A mention this short (initials "A.", "P.E.") is a common French word too ("a", "à"): it
# leaks only where it stands, never because the same letters occur elsewhere.
_SHORT_MENTION = 2


_TOKEN_OR_GAP = re.compile(f"({_TOKEN.pattern})")


class _FoldTable(dict[int, str]):
    """``extraction.fold_char`` of each character code met, for ``str.translate``."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def _fold(text: str) -> str:
    """``extraction.fold(text)`` in one ``str.translate``: each note and output is folded several
    times, and calling ``fold_char`` once per character was a large part of scoring one."""
    return text.translate(_FOLD_TABLE)


@dataclass(frozen=True)
class _Tokens:
    """A text's normalised tokens and their character offsets, one tuple of each."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    norms: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.norms)

    def overlapping(self, start: int, end: int) -> range:
        """Indices of the tokens overlapping characters ``[start, end)``."""
        first = bisect_right(self.ends, start)
        return range(first, max(first, bisect_left(self.starts, end)))


@functools.lru_cache(maxsize=65536)  # surrogates are compared again and again
def normalise(text: str) -> str:
    """The tokens of ``text`` joined by single spaces: ``"M. DUPONT-Léa, 12/03"`` →
    ``"m dupont lea 12 03"``; punctuation is only a separator."""
    return " ".join(_TOKEN.findall(_fold(text)))


@functools.lru_cache(maxsize=8)  # both modes of a note tokenise its text (scoring._note_stats)
def _tokens(text: str) -> _Tokens:
    """Normalised tokens with their character offsets in ``text``: split of the folded text
    into gaps and tokens, offsets the running sum of their lengths, mapped back to ``text``
    only where a character folds to more or less than one ("œ" → "oe")."""
    parts = _TOKEN_OR_GAP.split(_fold(text))  # gap, token, gap, …, token, gap
    offsets = list(accumulate(map(len, parts), initial=0))
    starts, ends = offsets[1:-1:2], offsets[2::2]
    if any(len(fold_char(char)) != 1 for char in set(text)):
        lengths = np.fromiter(map(len, map(fold_char, text)), np.intp, len(text))
        origin = np.repeat(np.arange(len(text)), lengths)
        starts = origin[starts].tolist()
        ends = (origin[np.subtract(ends, 1, dtype=np.intp)] + 1).tolist()
    return _Tokens(tuple(starts), tuple(ends), tuple(parts[1::2]))


def _digits(text: str) -> str:
    return "".join(_DIGIT.findall(_fold(text)))


# --- formats (also used by the rule-based baseline) ---------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Ten digits 0X… in any grouping, or +33/0033/(33) then an optional (0) or 0 and nine digits;
# one space, dot or dash at most between digits, and never a piece of a longer number.
FRENCH_PHONE = re.compile(
    r"(?<![\d+])(?<!\d[ .-])"
    r"(?:\(?(?:\+|00)?33\)?[ .-]?(?:\(0\)|0)?[ .-]?|0[ .-]?)[1-9](?:[ .-]?\d){8}"
    r"(?![ .-]?\d)"
)
MONTH = (
    r"(?:janv(?:ier)?|f[ée]v(?:r(?:ier)?)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t"
    r"|sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?)\b\.?"
)
_MONTH_PREFIXES = (
    ("jan", 1),
    ("fev", 2),
    ("mar", 3),
    ("avr", 4),
    ("mai", 5),
    ("juin", 6),
    ("juil", 7),
    ("aou", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
)
# Each date pattern starts with its first digit and checks what precedes the date after it
# ("(?<!\d\d)" after the first digit is "(?<!\d)" before it): a pattern that starts with a
# lookbehind is tried at every character of a note, which tripled the cost of ``find_dates``.
_NUMERIC_DATE = re.compile(
    r"(?P<d>\d(?<!\d\d)(?<!\d[./|-]\d)\d?)(?P<sep>[./|-])(?P<m>\d{1,2})(?P=sep)"
    r"(?P<y>\d{4}|\d{2})(?![./|-]?\d)"
)
_ISO_DATE = re.compile(r"(?P<y>\d(?<![\d./|-]\d)\d{3})-(?P<m>\d{2})-(?P<d>\d{2})(?!-?\d)")
_NAMED_DATE = re.compile(
    rf"(?P<d>\d(?<!\d\d)\d?)(?:er)?\s+(?P<month>{MONTH})\s+(?P<y>\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}(?!\d)")


def find_dates(text: str) -> list[tuple[int, int, Date]]:
    """Full dates written the French way, with their offsets: ``12/03/2021`` (or with ``.``,
    ``-``, ``|``; two-digit years), ``2021-03-12``, ``12 mars 2021`` (``1er``, abbreviations,
    any case and accents). Day-month order only; a day above 31 or a month above 12 is no date."""
    found = []
    for pattern in (_NUMERIC_DATE, _ISO_DATE, _NAMED_DATE):
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = int(parts["m"]) if "m" in parts else _month_number(parts["month"])
            day, year = int(parts["d"]), int(parts["y"])
            if 1 <= day <= 31 and 1 <= month <= 12:
                found.append((match.start(), match.end(), (day, month, year)))
    return sorted(found)


def _month_number(name: str) -> int:
    folded = _fold(name)
    return next(number for prefix, number in _MONTH_PREFIXES if folded.startswith(prefix))


def same_date(a: Date, b: Date) -> bool:
    """Same day and month, and same year — a two-digit year equals any year with its last two
    digits (``12/03/21`` is ``12 mars 2021``)."""
    return a[:2] == b[:2] and (a[2] == b[2] or (min(a[2], b[2]) < 100 and a[2] % 100 == b[2] % 100))


# --- leaks --------------------------------------------------------------------------------

# Digit groups separated only by spaces, dots, dashes or slashes read as one number.
_DIGIT_RUN = re.compile(r"\d+(?:[ \t./-]+\d+)*")
_DIGIT_GROUP = re.compile(r"\d+")
_PHONE_PREFIXES = ("0033", "330", "33", "0")


@dataclass(frozen=True)
class _Published:
    """What a reader of the output sees, prepared once for every mention's leak test."""

    tokens: str
    digit_runs: list[list[str]]
    digits: str  # each run's digits, runs separated by "|": what a number must be a piece of
    dates: list[Date]


def _published(output: str) -> _Published:
    folded = _fold(output)
    runs = [_DIGIT_GROUP.findall(m.group()) for m in _DIGIT_RUN.finditer(folded)]
    return _Published(
        tokens=f" {' '.join(_TOKEN.findall(folded))} ",
        digit_runs=runs,
        digits="|".join("".join(run) for run in runs),
        dates=[date for _, _, date in find_dates(folded)],
    )


def _number_spellings(digits: str, label: str) -> set[str]:
    """The digit strings that spell the same identifier: a French phone number with or without
    ``+33``/``0033``/``(0)``/``0`` in front; any other number only as itself."""
    if label == "TEL":
        for prefix in _PHONE_PREFIXES:
            national = digits[len(prefix) :]
            if digits.startswith(prefix) and len(national) == 9 and national[0] != "0":
                return {digits, national, "0" + national, "33" + national, "0033" + national}
    return {digits}


def _joins_groups(groups: Sequence[str], digits: str) -> bool:
    """Whether ``digits`` is the concatenation of consecutive *whole* groups of one run: a
    number never leaks as a piece of a longer one (ZIP 75013 is not in 1750130)."""
    for first in range(len(groups)):
        joined = ""
        for group in groups[first:]:
            joined += group
            if not digits.startswith(joined):
                break
            if joined == digits:
                return True
    return False


def _leaked(mention: str, label: str, published: _Published, kept: bool) -> bool:
    """Whether a gold mention can still be read in the output, in this order:

    1. a mention ``kept`` in place leaks (even glued to the next word, as in
       "Dr MadeleineMariniere", where no token equals it): see ``_kept_in_place``;
    2. a mention of at most 2 letters/digits (an initial) leaks only so: searching the whole
       output would find "A." in the verb "a";
    3. any other mention leaks if its tokens appear as a contiguous token sequence of the
       output ("12/03/2021" leaks as "12 03 2021"; "A" never matches inside "Anne");
    4. numeric labels (TEL, SECU, IPP, NDA, ZIP) also leak through their digits alone: the
       mention's digits equal consecutive whole digit groups of one output run, groups joined
       by spaces, dots, dashes or slashes ("06.12.34.56.78" leaks "06 12 34 56 78"; a phone
       also with or without +33/0033/(0)), never a piece of a longer group;
    5. dates also leak if the output holds the same date in another format (``find_dates``).

    The test is on the whole output: a mention whose text also occurs outside identifiers
    counts as leaked, since the reader cannot tell which occurrence was the identifier.
    """
    folded = _fold(mention)
    tokens = _TOKEN.findall(folded)
    if kept or sum(map(len, tokens)) <= _SHORT_MENTION:
        return kept
    if f" {' '.join(tokens)} " in published.tokens:
        return True
    if label in NUMERIC_LABELS:
        digits = "".join(_DIGIT.findall(folded))
        spellings = [
            spelling
            for spelling in (_number_spellings(digits, label) if digits else ())
            if spelling in published.digits
        ]
        return any(
            _joins_groups(run, spelling) for run in published.digit_runs for spelling in spellings
        )
    return label in DATE_LABELS and any(
        same_date(gold, seen) for _, _, gold in find_dates(folded) for seen in published.dates
    )


# --- per-note statistics shared by both modes ----------------------------------------------


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    label: str
    entity: EntityKey
    tokens: range


@dataclass(frozen=True)
class _Gold:
    """A note's gold mentions, and for each token the first mention overlapping it (its owner)
    and that mention's label (None outside PHI)."""

    mentions: list[_Mention]
    owners: list[int | None]
    labels: list[str | None]


def _gold(note: Note, tokens: _Tokens) -> _Gold:
    """Mentions with their entity (``entity_id`` and label; else the mention alone)."""
    mentions = []
    for index, entity in enumerate(note.get("entities") or []):
        start, end, label = entity["start"], entity["end"], entity["label"]
        entity_id = entity.get("entity_id")
        key = (label, index if entity_id is None else str(entity_id))
        mentions.append(_Mention(start, end, label, key, tokens.overlapping(start, end)))
    owners: list[int | None] = [None] * len(tokens)
    for index, mention in enumerate(mentions):
        for word in mention.tokens:
            if owners[word] is None:
                owners[word] = index
    labels = [None if owner is None else mentions[owner].label for owner in owners]
    return _Gold(mentions, owners, labels)


@functools.cache
def _column_keys(stat: str, kind: str, label: str) -> tuple[str, str]:
    """The total and per-label column names, formatted once (``_add`` runs per mention)."""
    return f"{stat}_{kind}", f"{stat}.{label}_{kind}"


def _add(stats: Counter[str], stat: str, kind: str, label: str, amount: int = 1) -> None:
    """Count in the total column and in the label's column."""
    total, labelled = _column_keys(stat, kind, label)
    stats[total] += amount
    stats[labelled] += amount


def _clinical_units(note: Note, tokens: _Tokens, gold: _Gold) -> list[range]:
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


def _blocks(pairs: Sequence[tuple[int, int]], n_tokens: int) -> list[range | None]:
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


def _protection_stats(
    note: Note,
    tokens: _Tokens,
    gold: _Gold,
    blocks: Sequence[range | None],
    output: str,
) -> Counter[str]:
    """Leak, entity protection, token redaction (without per-label fp), utility and clinical
    statistics of one output, given the block in place around each input token."""
    in_place = [block is not None for block in blocks]
    stats: Counter[str] = Counter()
    published = _published(output)
    entity_leaked: dict[EntityKey, bool] = {}
    for mention in gold.mentions:
        leaked = _leaked(
            note["text"][mention.start : mention.end],
            mention.label,
            published,
            _kept_in_place(mention.tokens, blocks),
        )
        _add(stats, "leak", "den", mention.label)
        _add(stats, "leak", "num", mention.label, leaked)
        entity_leaked[mention.entity] = entity_leaked.get(mention.entity, False) or leaked
    stats["doc_leak"] = int(stats["leak_num"] > 0)
    for (label, _), leaked in entity_leaked.items():
        _add(stats, "protect", "den", label)
        _add(stats, "protect", "num", label, not leaked)
    for (label, kept), count in Counter(zip(gold.labels, in_place, strict=True)).items():
        if label is None:
            stats["utility_den"] += count
            stats["utility_num"] += kept * count
            stats["redact_fp"] += (not kept) * count
        else:
            _add(stats, "redact", "fn" if kept else "tp", label, count)
    units = _clinical_units(note, tokens, gold)
    stats["clinical_den"] = len(units)
    stats["clinical_num"] = sum(all(in_place[index] for index in unit) for unit in units)
    return stats


def _as_stats(stats: Counter[str]) -> dict[str, float]:
    """The flat per-note dict: every key of ``STAT_KEYS``, zeros included."""
    flat = dict.fromkeys(STAT_KEYS, as_statistic(0))
    flat.update((key, as_statistic(value)) for key, value in stats.items() if key in flat)
    return flat


# --- detect mode ----------------------------------------------------------------------------


def redact(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced by ``[LABEL]``; overlapping spans form one region, named
    after its first (then longest) span."""
    pieces, cursor = [], 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start >= cursor:
            pieces += [text[cursor : span.start], f"[{span.label}]"]
        cursor = max(cursor, span.end)
    return "".join([*pieces, text[cursor:]])


def _count_matches(
    stats: Counter[str],
    stat: str,
    matched: Iterable[Span],
    false_pos: Iterable[Span],
    false_neg: Iterable[Span],
) -> None:
    """Count spans as tp, fp and fn, in total and under their label."""
    for kind, spans in (("tp", matched), ("fp", false_pos), ("fn", false_neg)):
        for span in spans:
            _add(stats, stat, kind, span.label)


def _overlap_matches(gold: Iterable[Span], predicted: Iterable[Span]) -> list[tuple[Span, Span]]:
    """One-to-one (gold, predicted) pairs of the same label that overlap, greedily by largest
    overlap (ties: leftmost gold, then leftmost prediction)."""
    same_label: dict[str, list[Span]] = {}
    for p in predicted:
        same_label.setdefault(p.label, []).append(p)
    candidates = sorted(
        (
            (min(g.end, p.end) - max(g.start, p.start), g, p)
            for g in gold
            for p in same_label.get(g.label, ())
            if min(g.end, p.end) > max(g.start, p.start)
        ),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    pairs, used_gold, used_pred = [], set(), set()
    for _, g, p in candidates:
        if g not in used_gold and p not in used_pred:
            pairs.append((g, p))
            used_gold.add(g)
            used_pred.add(p)
    return pairs


def _span_stats(gold: set[Span], predicted: set[Span]) -> Counter[str]:
    """Strict (same start, end, label), overlap (``_overlap_matches``) and unlabelled (same
    start and end, labels ignored: the sets of boundaries compared) span counts."""
    stats: Counter[str] = Counter()
    _count_matches(stats, "span_strict", gold & predicted, predicted - gold, gold - predicted)
    pairs = _overlap_matches(gold, predicted)
    matched_gold, matched_pred = {g for g, _ in pairs}, {p for _, p in pairs}
    _count_matches(
        stats, "span_overlap", matched_gold, predicted - matched_pred, gold - matched_gold
    )
    gold_bounds = {(span.start, span.end) for span in gold}
    predicted_bounds = {(span.start, span.end) for span in predicted}
    stats["span_unlabelled_tp"] = len(gold_bounds & predicted_bounds)
    stats["span_unlabelled_fp"] = len(predicted_bounds - gold_bounds)
    stats["span_unlabelled_fn"] = len(gold_bounds - predicted_bounds)
    return stats


def score_detect(
    note: Note,
    spans: Sequence[Span],
    parsed: bool,
    hallucinated: int,
    n_items: int,
    listed: Sequence[Span] | None = None,
) -> dict[str, float]:
    """Per-note statistics of a detect-mode answer (grounded spans, or offsets from a non-LLM
    system): the note with ``spans`` redacted is what a reader would see. A token is in place
    unless a predicted span overlaps it; ``redact.{L}_fp`` counts tokens outside PHI under a
    span predicted as L (a token under spans of two labels counts for both). ``listed``: the
    spans the system listed (``ground_listing``), which span and token scores compare with the
    gold; None when they are ``spans`` themselves (offsets)."""
    text = note["text"]
    tokens = _tokens(text)
    gold = _gold(note, tokens)
    predicted = set(spans)
    covered = {
        (index, span.label)
        for span in predicted
        for index in tokens.overlapping(span.start, span.end)
    }
    redacted = {index for index, _ in covered}
    kept = [(index, index) for index in range(len(tokens)) if index not in redacted]
    stats = _protection_stats(
        note, tokens, gold, _blocks(kept, len(tokens)), redact(text, predicted)
    )
    for index, label in covered:
        if gold.labels[index] is None:
            stats[f"redact.{label}_fp"] += 1
    gold_spans = [Span(m.start, m.end, m.label) for m in gold.mentions]
    chosen = predicted if listed is None else set(listed)
    stats.update(_span_stats(set(gold_spans), chosen))
    stats.update(eds_counts(text, gold_spans, chosen, predicted, LABELS))
    stats["unparsable"] = int(not parsed)
    stats["hallucinated_num"] = hallucinated
    stats["hallucinated_den"] = n_items
    return _as_stats(stats)


# --- rewrite mode ---------------------------------------------------------------------------


def _valid_secu(replacement: str, original: str) -> bool:
    """SECU: a NIR, 15 characters with a valid key (``stdnum.fr.nir``, spaces and dots
    allowed)."""
    return nir.is_valid(replacement)


def _valid_phone(replacement: str, original: str) -> bool:
    """TEL: a French number (``FRENCH_PHONE``: 0X XX XX XX XX in any grouping, +33/0033 with an
    optional (0)); for an original that is no full number (an internal extension), digits and
    separators with as many digits as the original."""
    if FRENCH_PHONE.fullmatch(replacement):
        return True
    return (
        not FRENCH_PHONE.fullmatch(original)
        and re.fullmatch(r"[\d .-]+", replacement) is not None
        and len(_digits(replacement)) == len(_digits(original))
    )


def _valid_date(replacement: str, original: str) -> bool:
    """DATE, DATE_NAISSANCE: holds a full date (``find_dates``) or a year (1800–2099), so a year
    or a month and year may replace their kind."""
    return bool(find_dates(replacement)) or _YEAR.search(replacement) is not None


def _valid_zip(replacement: str, original: str) -> bool:
    """ZIP: five digits."""
    return re.fullmatch(r"\d{5}", replacement) is not None


def _valid_mail(replacement: str, original: str) -> bool:
    """MAIL: an e-mail address."""
    return EMAIL.fullmatch(replacement) is not None


_FORMAT_CHECKS: dict[str, Callable[[str, str], bool]] = {
    "SECU": _valid_secu,
    "TEL": _valid_phone,
    "DATE": _valid_date,
    "DATE_NAISSANCE": _valid_date,
    "ZIP": _valid_zip,
    "MAIL": _valid_mail,
}


def _same_identifier(label: str, a: str, b: str) -> bool:
    """Same normalised text, or for numeric labels the same digits."""
    if label in NUMERIC_LABELS and _digits(a):
        return _digits(a) == _digits(b)
    return normalise(a) == normalise(b)


def _valid_surrogate(label: str, original: str, replacement: str) -> bool:
    """A surrogate is non-empty, is not the original (a kept identifier is a leak, not a
    surrogate) and, for SECU, TEL, dates, ZIP and MAIL, has the label's format."""
    if not normalise(replacement) or _same_identifier(label, original, replacement):
        return False
    check = _FORMAT_CHECKS.get(label)
    return check is None or check(replacement, original)


@dataclass(frozen=True)
class _Words:
    """A text and its tokens, for the alignment of a rewrite."""

    text: str
    tokens: _Tokens

    def gap(self, index: int) -> str:
        """The separator before word ``index`` as an alignment key: its punctuation, else a line
        break or a space."""
        raw = self.text[self.tokens.ends[index - 1] : self.tokens.starts[index]]
        return "".join(raw.split()) or ("\n" if "\n" in raw else " ")


# Cells (segments × output words²) above which a region is cut proportionally instead.
_MAX_SEGMENTATION_CELLS = 200_000


def _gap_match(source: str, target: str) -> float:
    """A cut between two segments falling where the output has the same separator: 1 for the
    same punctuation or line break, 0.25 for two plain spaces."""
    if source != target:
        return 0.0
    return 0.25 if source == " " else 1.0


def _segment(
    source: _Words, segments: Sequence[Sequence[int]], target: _Words, words: range
) -> list[range]:
    """Cut the output ``words`` into one consecutive (possibly empty) range per input segment,
    the best total (dynamic programming) of how well each range stands for its segment — 2 a
    word if copied unchanged, else -0.25 a word of length difference and -1 if deleted — and of
    ``_gap_match``; a region too large for that is cut in proportion to the segments' lengths."""
    width = len(words)
    if len(segments) == 1:  # what the dynamic programming would find, in one step
        return [words]
    if len(segments) * (width + 1) ** 2 > _MAX_SEGMENTATION_CELLS:
        cuts = list(accumulate(map(len, segments), initial=0))
        bounds = [words.start + cut * width // cuts[-1] for cut in cuts]
        return [range(a, b) for a, b in pairwise(bounds)]
    norms = list(target.tokens.norms[words.start : words.stop])  # compared to lists
    gaps = [target.gap(words.start + k) if 0 < k < width else "" for k in range(width + 1)]
    best = [[-math.inf] * (width + 1) for _ in range(len(segments) + 1)]
    back = [[0] * (width + 1) for _ in range(len(segments) + 1)]
    best[0][0] = 0.0
    for s, segment in enumerate(segments):
        source_norms = [source.tokens.norms[index] for index in segment]
        boundary = source.gap(segment[-1] + 1) if s + 1 < len(segments) else None
        # _gap_match of each cut, None where none is added (the fit and the cut inlined below:
        # a large part of aligning a rewrite; same operations, same values; issue 17).
        bonus = [
            _gap_match(boundary, gaps[k]) if boundary is not None and 0 < k < width else None
            for k in range(width + 1)
        ]
        size, copied = len(source_norms), 2.0 * len(source_norms)
        row, next_row, next_back = best[s], best[s + 1], back[s + 1]
        for j in range(width + 1):
            if row[j] == -math.inf:
                continue
            for k in range(j, width + 1):
                if k - j == size and norms[j:k] == source_norms:
                    score = row[j] + copied
                else:
                    score = row[j] + (-0.25 * abs(size - (k - j)) - (k == j))
                if bonus[k] is not None:
                    score += bonus[k]
                if score > next_row[k]:
                    next_row[k], next_back[k] = score, j
    ranges, end = [], width
    for s in range(len(segments), 0, -1):
        start = back[s][end]
        ranges.append(range(words.start + start, words.start + end))
        end = start
    return ranges[::-1]


def _aligned_words(
    source: _Words,
    target: _Words,
    pairs: Iterable[tuple[int, int]],
    owners: Sequence[int | None],
) -> list[range]:
    """For each input word, the output words that stand for it.

    Words outside PHI in place are anchors (a PHI word equal by chance — the "07" of a date
    matched to the "07" of a surrogate phone — pins nothing). Between two anchors, the
    input words form segments (each mention one segment, each other word its own) and
    ``_segment`` shares the output words between them, so that "MULET GISELE, 0014421503"
    rewritten "Durand Anne, 06 12 34 56 78" gives MULET → Durand, GISELE → Anne and the phone
    → "06 12 34 56 78"; a mention's words all get their segment's range."""
    anchors = [(i, j) for i, j in pairs if owners[i] is None]
    aligned = [range(0)] * len(source.tokens)
    bounds = [(-1, -1), *anchors, (len(source.tokens), len(target.tokens))]
    for (i_a, j_a), (i_b, j_b) in pairwise(bounds):
        if i_a >= 0:
            aligned[i_a] = range(j_a, j_a + 1)
        region = range(i_a + 1, i_b)
        if i_b - i_a < 2 or not any(owners[i] is not None for i in region):  # mostly adjacent
            continue
        segments = [
            list(group)
            for _, group in groupby(
                region, key=lambda i: ("word", i) if owners[i] is None else ("mention", owners[i])
            )
        ]
        for segment, words in zip(
            segments, _segment(source, segments, target, range(j_a + 1, j_b)), strict=True
        ):
            for i in segment:
                aligned[i] = words
    return aligned


def _replacement(output: str, out_tokens: _Tokens, aligned: Sequence[range], words: range) -> str:
    """The output text standing for input ``words``: from the first to the last output word
    aligned to them; empty if they were deleted."""
    targets = [index for word in words for index in aligned[word]]
    if not targets:
        return ""
    return output[out_tokens.starts[min(targets)] : out_tokens.ends[max(targets)]]


def _surrogate_stats(
    text: str, mentions: Sequence[_Mention], replacements: Sequence[str]
) -> Counter[str]:
    """Surrogate quality of a rewrite:

    - ``surrogate_valid``: mentions whose replacement is a valid surrogate (``_valid_surrogate``);
    - ``consistent``: entities with ≥ 2 mentions whose replacements are all equal (normalised)
      and non-empty (an entity kept everywhere is consistent: its leak is counted as a leak);
    - ``merged``: pairs of entities with different (normalised) originals that share a
      non-empty replacement — the reader would take two people (or places…) for one.
    """
    stats: Counter[str] = Counter()
    surrogates: dict[EntityKey, set[str]] = {}
    originals: dict[EntityKey, str] = {}
    sizes: Counter[EntityKey] = Counter()
    for mention, replacement in zip(mentions, replacements, strict=True):
        original = text[mention.start : mention.end]
        stats["surrogate_valid_den"] += 1
        stats["surrogate_valid_num"] += _valid_surrogate(mention.label, original, replacement)
        surrogates.setdefault(mention.entity, set()).add(normalise(replacement))
        originals.setdefault(mention.entity, normalise(original))
        sizes[mention.entity] += 1
    for entity, seen in surrogates.items():
        if sizes[entity] >= 2:
            stats["consistent_den"] += 1
            stats["consistent_num"] += len(seen) == 1 and "" not in seen
    stats["merged"] = sum(
        originals[a] != originals[b] and bool((surrogates[a] & surrogates[b]) - {""})
        for a, b in combinations(surrogates, 2)
    )
    return stats


# Passes of ``_equal_pairs``, then the passes left for the gaps between the pairs found.
_ALIGNMENT_PASSES = ("trusted blocks", "outside PHI", "all words")


def _equal_pairs(
    source: Sequence[str],
    target: Sequence[str],
    phi: Sequence[bool],
    rows: range,
    cols: range,
    passes: tuple[str, ...] = _ALIGNMENT_PASSES,
) -> list[tuple[int, int]]:
    """(input, output) indices of the words aligned as equal, in order, by ``SequenceMatcher``
    (no junk heuristic) in three passes: keep the blocks that hold a word outside PHI; in each
    gap left, align the words outside PHI (PHI words masked), so that a PHI word equal by
    chance — the "78" of a phone and the "78" of a surrogate NIR — cannot displace a real
    anchor; in each gap still left, align all words."""
    if not passes or not rows or not cols:
        return []
    words = [None if passes[0] == "outside PHI" and phi[i] else source[i] for i in rows]
    matcher = SequenceMatcher(None, words, target[cols.start : cols.stop], autojunk=False)
    pairs: list[tuple[int, int]] = []
    i, j = rows.start, cols.start
    for a, b, size in matcher.get_matching_blocks():
        a, b = a + rows.start, b + cols.start
        if passes[0] == "trusted blocks" and size and all(phi[a : a + size]):
            continue
        pairs += _equal_pairs(source, target, phi, range(i, a), range(j, b), passes[1:])
        pairs += [(a + k, b + k) for k in range(size)]
        i, j = a + size, b + size
    return pairs


def score_rewrite(note: Note, output: str | None) -> dict[str, float]:
    """Per-note statistics of a rewritten note; a token is in place if ``_equal_pairs`` aligns
    it to an equal output token. An empty output (once a ``<think>`` block is removed) is
    ``unparsable`` and scored as the unchanged note: publishing nothing must not look safe."""
    text = note["text"]
    body = strip_thinking(output)
    unusable = not body.strip()
    if unusable:
        body = text
    tokens, out_tokens = _tokens(text), _tokens(body)
    gold = _gold(note, tokens)
    source, target = tokens.norms, out_tokens.norms
    phi = [owner is not None for owner in gold.owners]
    pairs = _equal_pairs(source, target, phi, range(len(source)), range(len(target)))
    stats = _protection_stats(note, tokens, gold, _blocks(pairs, len(tokens)), body)
    aligned = _aligned_words(_Words(text, tokens), _Words(body, out_tokens), pairs, gold.owners)
    replacements = [_replacement(body, out_tokens, aligned, m.tokens) for m in gold.mentions]
    stats.update(_surrogate_stats(text, gold.mentions, replacements))
    stats["unparsable"] = int(unusable)
    return _as_stats(stats)


# --- detect-mode answers: parsing and grounding ------------------------------------------------

_MIN_SPELLED_DIGITS = 5
_LABEL_ALIASES = {
    **dict.fromkeys(
        (
            "NAME",
            "LAST_NAME",
            "LASTNAME",
            "SURNAME",
            "FAMILY_NAME",
            "NOM_DE_FAMILLE",
            "PERSON",
            "PERSONNE",
        ),
        "NOM",
    ),
    **dict.fromkeys(("FIRST_NAME", "FIRSTNAME", "GIVEN_NAME"), "PRENOM"),
    **dict.fromkeys(
        ("DATE_OF_BIRTH", "BIRTH_DATE", "BIRTHDATE", "DOB", "DATE_DE_NAISSANCE"), "DATE_NAISSANCE"
    ),
    **dict.fromkeys(("ADDRESS", "STREET"), "ADRESSE"),
    **dict.fromkeys(("CITY", "TOWN"), "VILLE"),
    **dict.fromkeys(("POSTCODE", "POSTAL_CODE", "ZIPCODE", "ZIP_CODE", "CODE_POSTAL", "CP"), "ZIP"),
    **dict.fromkeys(("PHONE", "PHONE_NUMBER", "TELEPHONE", "FAX", "PORTABLE"), "TEL"),
    **dict.fromkeys(("EMAIL", "E_MAIL", "COURRIEL"), "MAIL"),
    **dict.fromkeys(
        ("NIR", "NSS", "SSN", "SECURITE_SOCIALE", "NUMERO_DE_SECURITE_SOCIALE"), "SECU"
    ),
    **dict.fromkeys(("NUMERO_DE_SEJOUR", "SEJOUR"), "NDA"),
    **dict.fromkeys(("HOSPITAL", "ETABLISSEMENT"), "HOPITAL"),
}


def canonical_label(raw: str) -> str | None:
    """One of ``LABELS`` whatever the case, accents, separators or language (NAME → NOM, PHONE →
    TEL, NIR → SECU…); None for an unknown label."""
    key = "_".join(_TOKEN.findall(_fold(raw))).upper()
    return key if key in LABELS else _LABEL_ALIASES.get(key)


def parse_detected(output: str | None) -> ParsedEntities:
    """The identifiers a detect-mode answer lists (``extraction.parse_entity_list`` with
    eds-pseudo's labels, ``canonical_label``)."""
    return parse_entity_list(output, canonical_label)


def _occurrences(text: str, listed: str) -> list[tuple[int, int]]:
    """Where a listed text stands in the note: case-insensitive, any whitespace, never inside a
    word; a number of 5 digits or more (digits with spaces, dots, dashes, slashes, parentheses
    or +) in any spelling of its digits with spaces, dots, dashes or slashes, never inside a
    longer number (shorter ones as written: "2021" is not "20/21")."""
    stripped = listed.strip()
    if not stripped:
        return []
    digits = _DIGIT.findall(stripped)
    if len(digits) >= _MIN_SPELLED_DIGITS and re.fullmatch(r"[\d\s./()+-]+", stripped):
        body = r"[\s./-]*".join(digits)
        pattern = re.compile(rf"(?<!\d){body}(?!\d)")
    else:
        body = r"\s+".join(map(re.escape, stripped.split()))
        pattern = re.compile(rf"(?<![^\W_]){body}(?![^\W_])", re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


@dataclass(frozen=True)
class Grounded:
    """A detect-mode answer placed in its note: the spans listed (one per listed item that found
    a free occurrence), the spans redacted (those and every other occurrence of a listed text)
    and how many listed texts are nowhere in the note."""

    listed: list[Span]
    redacted: list[Span]
    hallucinated: int


def _nested(where: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    """Whether ``where`` lies inside another, longer occurrence."""
    return any(s <= where[0] and where[1] <= e and (s, e) != where for s, e in others)


def ground_listing(text: str, items: Sequence[tuple[str, str]]) -> Grounded:
    """Where the listed (text, label) items stand in the note.

    Items are grounded in order, each to the leftmost occurrence of its text (``_occurrences``)
    that no earlier item took — an occurrence nested inside an occurrence of another listed text
    (the surname inside the e-mail address the answer also lists) only when no other is free; an
    item whose text is nowhere in the note is hallucinated; an item whose occurrences are all
    taken adds nothing. These are the **listed** spans. Then **every other occurrence of a listed
    text is redacted too**, labelled by the first item listing it: a system that found "Dupont"
    protects every "Dupont" of the note. Listed and extra occurrences are the **redacted** spans.
    """
    found = {listed: _occurrences(text, listed) for listed, _ in items}
    everywhere = {where for places in found.values() for where in places}
    nested = {where for where in everywhere if _nested(where, everywhere)}
    taken: dict[tuple[int, int], str] = {}
    hallucinated = 0
    for listed, label in items:
        if not found[listed]:
            hallucinated += 1
            continue
        ordered = sorted(found[listed], key=nested.__contains__)
        free = next((where for where in ordered if where not in taken), None)
        if free is not None:
            taken[free] = label
    listed_spans = sorted(Span(start, end, label) for (start, end), label in taken.items())
    for listed, label in items:
        for where in found[listed]:
            taken.setdefault(where, label)
    redacted = sorted(Span(start, end, label) for (start, end), label in taken.items())
    return Grounded(listed_spans, redacted, hallucinated)


def ground(text: str, items: Sequence[tuple[str, str]]) -> tuple[list[Span], int]:
    """The redacted spans of the listed items (``ground_listing``) and how many were
    hallucinated."""
    grounded = ground_listing(text, items)
    return grounded.redacted, grounded.hallucinated


# lm-eval task functions, shared by the tasks of every corpus through the mode templates
# (tasks/pseudonymisation/_detect_template_yaml, _rewrite_template_yaml).

_SURROGATE_SEED = 7


def note_datasets(splits: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """lm-eval datasets of notes, one per split."""
    import datasets

    return {split: datasets.Dataset.from_list(rows) for split, rows in splits.items()}


def doc_to_text_detect(doc: dict[str, Any]) -> str:
    return f"Document :\n{doc['text']}\n\nIdentifiants (JSON) :"


def doc_to_target_detect(doc: dict[str, Any]) -> str:
    items = [{"text": e["text"], "label": e["label"]} for e in doc["entities"]]
    return json.dumps(items, ensure_ascii=False)


def doc_to_text_rewrite(doc: dict[str, Any]) -> str:
    return f"Document :\n{doc['text']}\n\nDocument pseudonymisé :"


@functools.cache
def _surrogate_pool() -> dict[str, list[str]]:
    """Identifier texts by label, from generated notes never evaluated (dev pool, other seed)."""
    from partages_bench.generator import generate_notes  # only tasks need it, not scoring

    pool: dict[str, list[str]] = {}
    for note in generate_notes(100, _SURROGATE_SEED, "dev"):
        for entity in note["entities"]:
            pool.setdefault(entity["label"], []).append(entity["text"])
    return {label: sorted(set(texts)) for label, texts in pool.items()}


def doc_to_target_rewrite(doc: dict[str, Any]) -> str:
    """The example answer: each entity replaced, consistently, by a surrogate of its label."""
    text, pieces, cursor = doc["text"], [], 0
    for entity in sorted(doc["entities"], key=lambda e: e["start"]):
        candidates = _surrogate_pool()[entity["label"]]
        pick = int(hashlib.sha256(entity["entity_id"].encode()).hexdigest(), 16)
        surrogate = candidates[pick % len(candidates)]
        if surrogate == entity["text"]:
            surrogate = candidates[(pick + 1) % len(candidates)]
        pieces += [text[cursor : entity["start"]], surrogate]
        cursor = entity["end"]
    return "".join([*pieces, text[cursor:]])


def process_results_detect(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    parsed = parse_detected(results[0])
    grounded = ground_listing(doc["text"], parsed.items)
    stats = score_detect(
        doc,
        grounded.redacted,
        parsed.parsed,
        grounded.hallucinated,
        len(parsed.items),
        listed=grounded.listed,
    )
    return {"stats": stats}


def process_results_rewrite(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    return {"stats": score_rewrite(doc, results[0])}
