"""A note of any label scheme (``labels.LabelScheme``) scored on its own labels and, through the
scheme's one mapping to eds-pseudo's 13 labels, on eds-pseudo's: so that a corpus annotated its
own way (PARHAF) lines up with eds-pseudo and the generated notes.

- ``identifiers``: the note with the spans that are no identifiers (the scheme's ``kept``
  labels, PARHAF's UNIDENTIFYING_DATE) left out of the gold: their text is ordinary text, which
  a system must keep (redacting it costs utility and, listed, counts as a false positive; the
  ``kept`` statistic counts those spans left in place);
- ``detect_stats`` / ``rewrite_stats``: the statistics of ``score_detect`` / ``score_rewrite``
  on the scheme's labels, plus the same statistics prefixed ``mapped_`` on the note seen through
  the mapping (``eds_view``): gold mentions and listed spans relabelled to their eds-pseudo
  counterpart, those of a label without one left out (their text is ordinary text there; a span
  a system redacted stays redacted, whatever its label). For eds-pseudo's own scheme the
  mapping is the identity and no ``mapped_`` statistic is added;
- ``combine_passages``: a card's ``combine: passages`` for notes cut into passages (the NER
  family's ``split_passages``, which never cuts a gold span): counts summed, and the per-note
  statistics (``doc_leak``, ``unparsable``, eds-pseudo's Redact Full) made per-note again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from partages_bench.families.extraction import Span
from partages_bench.families.ner.scoring import combine_passages as sum_passages
from partages_bench.families.pseudonymisation.detect import score_detect
from partages_bench.families.pseudonymisation.labels import EDS_PSEUDO, LabelScheme
from partages_bench.families.pseudonymisation.rewrite import score_rewrite
from partages_bench.schema import SampleRecord

MAPPED = "mapped_"
# Per-note statistics that are 1 when any passage's is (summing them would count passages).
_ANY_PASSAGE = ("doc_leak", "unparsable")
_FULL = "redact_full_eds"


def identifiers(note: Mapping[str, Any], scheme: LabelScheme) -> dict[str, Any]:
    """The note with only its identifiers as gold entities, the spans of the scheme's ``kept``
    labels moved to ``kept_spans`` (scored as ``kept``: left in place or not). Idempotent."""
    entities = note.get("entities") or []
    kept = [
        {"start": e["start"], "end": e["end"], "label": e["label"]}
        for e in entities
        if e["label"] in scheme.kept
    ]
    return {
        **note,
        "entities": [e for e in entities if e["label"] not in scheme.kept],
        "kept_spans": [*(note.get("kept_spans") or []), *kept],
    }


def eds_view(note: Mapping[str, Any], scheme: LabelScheme) -> dict[str, Any]:
    """The note's gold through the mapping: each entity with its eds-pseudo label, those of a
    label without counterpart left out."""
    entities = [
        {**entity, "label": eds}
        for entity in note.get("entities") or []
        if (eds := scheme.eds_pseudo.get(entity["label"])) is not None
    ]
    return {**note, "entities": entities}


def _mapped_spans(spans: Iterable[Span], scheme: LabelScheme, keep_unmapped: bool) -> list[Span]:
    """Spans relabelled to their eds-pseudo counterpart; those without one kept as they are
    (``keep_unmapped``: they still hide their text) or left out."""
    mapped = []
    for span in spans:
        eds = scheme.eds_pseudo.get(span.label)
        if eds is not None or keep_unmapped:
            mapped.append(Span(span.start, span.end, eds or span.label))
    return mapped


def _maps(scheme: LabelScheme) -> bool:
    return scheme != EDS_PSEUDO


def detect_stats(
    note: Mapping[str, Any],
    scheme: LabelScheme,
    spans: Sequence[Span],
    parsed: bool,
    hallucinated: int,
    n_items: int,
    listed: Sequence[Span] | None = None,
) -> dict[str, float]:
    """``score_detect`` of a note of ``scheme`` (``spans`` redacted, ``listed`` compared with
    the gold), on its labels and, ``mapped_``, on eds-pseudo's."""
    note = identifiers(note, scheme)
    stats = score_detect(note, spans, parsed, hallucinated, n_items, listed, scheme)
    if not _maps(scheme):
        return stats
    mapped = score_detect(
        eds_view(note, scheme),
        _mapped_spans(spans, scheme, keep_unmapped=True),
        parsed,
        hallucinated,
        n_items,
        _mapped_spans(spans if listed is None else listed, scheme, keep_unmapped=False),
    )
    return stats | {MAPPED + key: value for key, value in mapped.items()}


def rewrite_stats(
    note: Mapping[str, Any], output: str | None, scheme: LabelScheme
) -> dict[str, float]:
    """``score_rewrite`` of a note of ``scheme``, on its labels and, ``mapped_``, on
    eds-pseudo's."""
    note = identifiers(note, scheme)
    stats = score_rewrite(note, output, scheme)
    if not _maps(scheme):
        return stats
    mapped = score_rewrite(eds_view(note, scheme), output)
    return stats | {MAPPED + key: value for key, value in mapped.items()}


def _per_note(stats: dict[str, float]) -> dict[str, float]:
    """Summed passage statistics made per-note again: ``doc_leak`` and ``unparsable`` 1 if any
    passage's was; Redact Full 1 / 1 if every passage was fully redacted (0 / 1 otherwise)."""
    fixed = dict(stats)
    for key, value in stats.items():
        name = key.removeprefix(MAPPED)
        if name in _ANY_PASSAGE:
            fixed[key] = float(value > 0)
        elif name.startswith(_FULL) and key.endswith("_den"):
            numerator = key[: -len("_den")] + "_num"
            fixed[numerator] = float(value > 0 and stats[numerator] == value)
            fixed[key] = float(value > 0)
    return fixed


def combine_passages(records: Sequence[SampleRecord]) -> SampleRecord:
    """The passages of one note as one scored note (the NER family's sum, then ``_per_note``).
    Exact for every count (no gold span crosses a passage boundary); an entity whose mentions
    lie in several passages is rewritten once per passage, so surrogate consistency and merged
    entities are counted within passages."""
    combined = sum_passages(records)
    return combined.model_copy(update={"stats": _per_note(combined.stats)})
