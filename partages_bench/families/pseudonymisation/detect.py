"""Detect mode: the identifiers a model lists, read (``parse_detected``) and placed in the note
(``ground_listing``), and the note scored with the spans redacted (``score_detect``): the
statistics both modes share, span scores against the gold, and eds-pseudo's token scores."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from partages_bench.families.eds_scores import eds_counts
from partages_bench.families.extraction import ParsedEntities, Span, parse_entity_list
from partages_bench.families.pseudonymisation.labels import EDS_PSEUDO, LabelScheme
from partages_bench.families.pseudonymisation.note_stats import (
    Note,
    add,
    as_stats,
    in_place_blocks,
    protection_stats,
    read_gold,
)
from partages_bench.families.pseudonymisation.tokens import DIGIT, tokenise


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
            add(stats, stat, kind, span.label)


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
    scheme: LabelScheme = EDS_PSEUDO,
) -> dict[str, float]:
    """Per-note statistics of a detect-mode answer (grounded spans, or offsets from a non-LLM
    system): the note with ``spans`` redacted is what a reader would see. A token is in place
    unless a predicted span overlaps it; ``redact.{L}_fp`` counts tokens outside PHI under a
    span predicted as L (a token under spans of two labels counts for both). ``listed``: the
    spans the system listed (``ground_listing``), which span and token scores compare with the
    gold; None when they are ``spans`` themselves (offsets)."""
    text = note["text"]
    tokens = tokenise(text)
    gold = read_gold(note, tokens)
    predicted = set(spans)
    covered = {
        (index, span.label)
        for span in predicted
        for index in tokens.overlapping(span.start, span.end)
    }
    redacted = {index for index, _ in covered}
    kept = [(index, index) for index in range(len(tokens)) if index not in redacted]
    stats = protection_stats(
        note, tokens, gold, in_place_blocks(kept, len(tokens)), redact(text, predicted), scheme
    )
    for index, label in covered:
        if gold.labels[index] is None:
            stats[f"redact.{label}_fp"] += 1
    gold_spans = [Span(m.start, m.end, m.label) for m in gold.mentions]
    chosen = predicted if listed is None else set(listed)
    stats.update(_span_stats(set(gold_spans), chosen))
    stats.update(eds_counts(text, gold_spans, chosen, predicted, scheme.labels))
    stats["unparsable"] = int(not parsed)
    stats["hallucinated_num"] = hallucinated
    stats["hallucinated_den"] = n_items
    return as_stats(stats, scheme)


# --- answers: parsing and grounding ---------------------------------------------------------

_MIN_SPELLED_DIGITS = 5


def parse_detected(output: str | None, scheme: LabelScheme = EDS_PSEUDO) -> ParsedEntities:
    """The identifiers a detect-mode answer lists (``extraction.parse_entity_list`` with the
    scheme's labels, ``LabelScheme.read``: eds-pseudo's by default)."""
    return parse_entity_list(output, scheme.read)


def _occurrences(text: str, listed: str) -> list[tuple[int, int]]:
    """Where a listed text stands in the note: case-insensitive, any whitespace, never inside a
    word; a number of 5 digits or more (digits with spaces, dots, dashes, slashes, parentheses
    or +) in any spelling of its digits with spaces, dots, dashes or slashes, never inside a
    longer number (shorter ones as written: "2021" is not "20/21")."""
    stripped = listed.strip()
    if not stripped:
        return []
    digits = DIGIT.findall(stripped)
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
