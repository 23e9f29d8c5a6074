"""Rewrite mode: a note returned with its identifiers replaced by surrogates, scored
(``score_rewrite``): the statistics both modes share, on the tokens that the alignment leaves in
place, and the quality of the surrogates (``_surrogate_stats``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import combinations

from stdnum.fr import nir

from partages_bench.families.pseudonymisation.alignment import (
    Words,
    aligned_words,
    equal_pairs,
    replacement_text,
)
from partages_bench.families.pseudonymisation.labels import (
    EDS_PSEUDO,
    NUMERIC_LABELS,
    LabelScheme,
)
from partages_bench.families.pseudonymisation.note_stats import (
    EntityKey,
    Mention,
    Note,
    as_stats,
    in_place_blocks,
    protection_stats,
    read_gold,
)
from partages_bench.families.pseudonymisation.tokens import DIGIT, normalise, tokenise
from partages_bench.text import EMAIL, FRENCH_PHONE, YEAR, find_dates, fold, strip_thinking


def _digits(text: str) -> str:
    return "".join(DIGIT.findall(fold(text)))


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
    return bool(find_dates(replacement)) or YEAR.search(replacement) is not None


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


def _surrogate_stats(
    text: str, mentions: Sequence[Mention], replacements: Sequence[str], scheme: LabelScheme
) -> Counter[str]:
    """Surrogate quality of a rewrite:

    - ``surrogate_valid``: mentions whose replacement is a valid surrogate (``_valid_surrogate``,
      with the format of the label's ``kind`` in the scheme);
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
        kind = scheme.kind(mention.label)
        stats["surrogate_valid_num"] += _valid_surrogate(kind, original, replacement)
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


def score_rewrite(
    note: Note, output: str | None, scheme: LabelScheme = EDS_PSEUDO
) -> dict[str, float]:
    """Per-note statistics of a rewritten note (its labels those of ``scheme``); a token is in
    place if ``equal_pairs`` aligns it to an equal output token. An empty output (once a
    ``<think>`` block is removed) is ``unparsable`` and scored as the unchanged note:
    publishing nothing must not look safe."""
    text = note["text"]
    body = strip_thinking(output)
    unusable = not body.strip()
    if unusable:
        body = text
    tokens, out_tokens = tokenise(text), tokenise(body)
    gold = read_gold(note, tokens)
    source, target = tokens.norms, out_tokens.norms
    phi = [owner is not None for owner in gold.owners]
    pairs = equal_pairs(source, target, phi, range(len(source)), range(len(target)))
    blocks = in_place_blocks(pairs, len(tokens))
    stats = protection_stats(note, tokens, gold, blocks, body, scheme)
    aligned = aligned_words(Words(text, tokens), Words(body, out_tokens), pairs, gold.owners)
    replacements = [replacement_text(body, out_tokens, aligned, m.tokens) for m in gold.mentions]
    stats.update(_surrogate_stats(text, gold.mentions, replacements, scheme))
    stats["unparsable"] = int(unusable)
    return as_stats(stats, scheme)
