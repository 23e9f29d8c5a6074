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
word tokens (``difflib.SequenceMatcher``, ``alignment.equal_pairs``). An input token is **in
place** when it survives where it stood: in rewrite mode, it is aligned to an equal output token;
in detect mode, it overlaps no predicted span. Unusable output protects nothing: unparsable JSON
is an empty prediction, an empty rewrite is scored as the unchanged note; both count in
``unparsable``.

Tokens are maximal runs of letters or of digits after NFKC, case folding and accent stripping
(``normalise``), except for the eds-pseudo statistics, on edsnlp's tokens.

In detect mode a system's spans play two parts. The spans **listed** — one per listed item, as
``ground_listing`` places it, or the offsets a system gives — are what span and label-aware token
scores compare with the gold (``span_*``, ``token_eds``). The spans **redacted** — the listed ones
and every other occurrence of a listed text — are what a reader of the output no longer sees,
which leak, protection, redaction, utility and clinical statistics score. A surname listed once
and redacted wherever it stands, inside an e-mail address too, protects the whole note without
adding spurious NOM spans.

Every note yields every key of ``STAT_KEYS``; ``note_stats`` says what each one counts.

The modules: ``labels`` (the 13 labels, and the label a model's own name stands for),
``tokens`` (the tokens and their offsets), ``leaks`` (whether a gold mention can still be read in
an output), ``note_stats`` (the statistic keys, and the statistics both modes share), ``detect``
(a listing parsed, placed in its note and scored), ``alignment`` (a rewrite aligned with its
note) and ``rewrite`` (a rewrite and its surrogates scored). Dates, phone numbers and e-mail
addresses are read as everywhere else (``partages_bench.text``).
"""

from __future__ import annotations

from partages_bench.families.extraction import Span
from partages_bench.families.pseudonymisation.detect import (
    ground,
    ground_listing,
    parse_detected,
    redact,
    score_detect,
)
from partages_bench.families.pseudonymisation.labels import LABELS, canonical_label
from partages_bench.families.pseudonymisation.note_stats import STAT_KEYS
from partages_bench.families.pseudonymisation.rewrite import score_rewrite
from partages_bench.families.pseudonymisation.tokens import normalise

__all__ = [
    "LABELS",
    "STAT_KEYS",
    "Span",
    "canonical_label",
    "ground",
    "ground_listing",
    "normalise",
    "parse_detected",
    "redact",
    "score_detect",
    "score_rewrite",
]
