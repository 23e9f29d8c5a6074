"""eds-pseudo's token scores, reimplemented: a score to set beside AP-HP's published ones.

AP-HP's eds-pseudo scores a system on **spaCy tokens of edsnlp's "eds" tokenizer**, where
punctuation is a token of its own: the ``/`` of a date and the ``@`` and ``.`` of an e-mail count,
where this project's own redaction figures (``redaction_recall``…) count letter and digit runs
only. eds-pseudo needs spaCy and edsnlp, which this project does not install; its rules are
reimplemented here from their source, read at these commits:

- ``aphp/eds-pseudo``, ``eds_pseudo/scorer.py`` at ``d8e849afe0114c04980ac9691ffd03e46b21a3f6``
  (its last change; unchanged at ``b8bfde4a0e6ca31ac5ea85483757294d48f19d03``): ``redact_scorer``
  (« Redact », « Redact Full ») and ``PseudoScorer``, which also reports edsnlp's
  ``ner_token_scorer`` (« Precision », « Recall », « F1 » under « Token Scores »);
- ``aphp/edsnlp`` v0.17.0 (``8276cc9484cb827df3dfa4e175b46f08d784ae4d``, the version eds-pseudo's
  ``uv.lock`` pins): ``edsnlp/language.py`` (``EDSTokenizer``), ``edsnlp/metrics/ner.py``
  (``ner_token_metric``) and ``edsnlp/metrics/__init__.py`` (``prf``);
- ``explosion/spaCy`` v3.7.5 (``a6d0fc3602b611e4d4a6fcc4f41cbea114ad13f8``, pinned by the same
  lock): ``spacy/tokens/doc.pyx``, ``Doc.char_span(alignment_mode="expand")``, with which
  eds-pseudo's reader (``eds_pseudo/adapter.py``, ``PseudoDict2DocConverter``) puts a gold
  entity's character offsets on tokens.

The rules, per note (a document of eds-pseudo's scorer):

1. **Tokens** (``eds_tokens``): ``EDSTokenizer``'s rules, restated: abbreviations
   ``Dr.``, ``Pr.``, ``M.``, ``Mme.``, ``Mlle.``, ``ep.``; acronyms with a dot; numbers
   (``\\d+``, or one decimal digit after ``.``/``,``); each punctuation character alone; each
   newline or tab alone; a run of spaces; any other run up to a digit, punctuation or space (a
   trailing apostrophe before a letter stays with its word: ``l'``). One space after a token is
   its trailing whitespace, not a token.
2. **Spans on tokens** (``token_range``): ``char_span(start, end, alignment_mode="expand")``:
   the token holding character ``start`` — its trailing space included, unless ``start`` is that
   space: then the next token — through the token holding character ``end - 1``. Gold entities
   and predicted spans alike (eds-pseudo predicts on tokens directly; a character span given to
   this project lands on the tokens that eds-pseudo's reader would give it).
3. **Redact** (``redact_scorer``, label-agnostic on the prediction side): G = tokens under gold
   spans (per label: under gold spans of that label); R = tokens under any predicted span, any
   label. tp = |G ∩ R|, fn = |G − R|; « Redact » = Σ tp / Σ (tp + fn) over notes.
4. **Redact Full**: a note is fully redacted when G ⊆ R (per label: G_L ⊆ R); « Redact Full » =
   fully redacted notes / notes (every note counts, with or without identifiers).
5. **Token scores** (``ner_token_metric``, label-aware): the sets of (token, label) under
   predicted spans and under gold spans; tp = |P ∩ G|, fp = |P − G|, fn = |G − P|, pooled over
   notes; precision tp / (tp + fp), recall tp / (tp + fn), F1 2·tp / (2·tp + fp + fn). A token
   under two spans of one label counts once, under spans of two labels once per label. Per label,
   both sets are restricted to that label.

Where they differ from eds-pseudo: over an empty set the project's aggregations give 0 where
``prf`` gives 1 (precision with no prediction, recall or « Redact » with no gold token); the
labels are all of a note's (eds-pseudo's published configuration, ``configs/config.cfg``, scores
12 labels: every label but HOPITAL).
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from partages_bench.families.extraction import Span

# The rules of edsnlp v0.17.0's EDSTokenizer (edsnlp/language.py), restated in one pattern: a
# token, then at most one space that belongs to it. Character classes are the ``regex`` module's
# POSIX ones, as edsnlp's.
_QUOTES = "\"'\u02ca\uff02\u3003\u05f2\u1cd3\u2033\u05f4\u2036\u02f6\u02ba\u201c\u201d\u02dd"
_PUNCTUATION = "[:punct:]" + _QUOTES  # inside a character class
_TOKEN_RULES = (
    r"Dr\.|Pr\.|M\.|Mme\.|Mlle\.|(?i:ep\.)",  # titles kept whole, with their dot
    r"[A-Z][A-Z0-9]*\.(?=\w)",  # an acronym's part, with its dot, before a word character
    r"\d+(?:[.,]\d(?![.,]?[0-9]))?",  # a number, with one decimal digit if no more follow
    f"[{_PUNCTUATION}]",  # one punctuation character
    r"[\n\r\t]",  # one line break or tab
    r"[^\S\r\n\t]+",  # a run of spaces
    # anything else up to a digit, punctuation or space, with an apostrophe before a letter
    rf"[^\d{_PUNCTUATION}'\n[:space:]]+(?:['\u02ca](?=[[:alpha:]]|$))?",
)
EDS_TOKEN_PATTERN = "(" + "|".join(_TOKEN_RULES) + r")([^\S\r\n\t])?"


@functools.cache
def _word_regex() -> Any:
    """The compiled pattern (the ``regex`` module, as edsnlp: POSIX classes ``[:punct:]``…)."""
    import regex

    return regex.compile(EDS_TOKEN_PATTERN)


@dataclass(frozen=True)
class EdsTokens:
    """A text's eds tokens: where each starts and ends, and where its trailing space ends."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    reaches: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.starts)

    def _holding(self, char: int) -> int | None:
        """spaCy's ``token_by_char``: the token whose text or trailing space holds ``char``."""
        index = bisect_right(self.starts, char) - 1
        if index < 0 or char >= self.reaches[index]:
            return None
        return index

    def token_range(self, start: int, end: int) -> range:
        """The tokens of characters ``[start, end)`` as spaCy's ``Doc.char_span(start, end,
        alignment_mode="expand")`` gives them; empty where spaCy gives no span."""
        first, last = self._holding(start), self._holding(end - 1)
        if first is None or last is None:
            return range(0)
        if start == self.ends[first]:  # the trailing space is not part of its token
            first += 1
        return range(first, last + 1)


def eds_tokens(text: str) -> EdsTokens:
    """``text`` cut as edsnlp's ``EDSTokenizer`` cuts it (``EDS_TOKEN_PATTERN``)."""
    starts, ends, reaches = [], [], []
    for match in _word_regex().finditer(text):
        starts.append(match.start(1))
        ends.append(match.end(1))
        reaches.append(match.end())
    return EdsTokens(tuple(starts), tuple(ends), tuple(reaches))


def _tokens_by_label(tokens: EdsTokens, spans: Iterable[Span]) -> set[tuple[int, str]]:
    return {
        (index, span.label) for span in spans for index in tokens.token_range(span.start, span.end)
    }


def eds_counts(
    text: str,
    gold: Sequence[Span],
    listed: Iterable[Span],
    redacted: Iterable[Span],
    labels: Sequence[str],
) -> Counter[str]:
    """One note's counts of eds-pseudo's scores (module docstring), in columns ``{stat}_{kind}``
    and ``{stat}.{L}_{kind}`` for every label of ``labels``:

    - ``redact_eds_tp/_fn`` (rule 3) with ``redact_eds_fp`` = tokens under a predicted span and
      under no gold span (eds-pseudo reports no redaction precision; per label, fp is 0);
    - ``redact_full_eds_num/_den`` (rule 4): 1 / 1 if fully redacted, 0 / 1 otherwise;
    - ``token_eds_tp/fp/fn`` (rule 5), from the ``listed`` spans.

    ``redacted`` are the spans removed from the note (rules 3 and 4), ``listed`` the spans the
    system labelled (rule 5): the same spans for a system giving offsets.
    """
    tokens = eds_tokens(text)
    gold_tokens = _tokens_by_label(tokens, gold)
    removed = {index for index, _ in _tokens_by_label(tokens, redacted)}
    predicted = _tokens_by_label(tokens, listed)
    counts: Counter[str] = Counter()
    phi = {index for index, _ in gold_tokens}
    counts["redact_eds_tp"] = len(phi & removed)
    counts["redact_eds_fn"] = len(phi - removed)
    counts["redact_eds_fp"] = len(removed - phi)
    counts["redact_full_eds_num"] = int(phi <= removed)
    counts["redact_full_eds_den"] = 1
    counts["token_eds_tp"] = len(predicted & gold_tokens)
    counts["token_eds_fp"] = len(predicted - gold_tokens)
    counts["token_eds_fn"] = len(gold_tokens - predicted)
    gold_by_label: dict[str, set[int]] = {}
    for index, label in gold_tokens:
        gold_by_label.setdefault(label, set()).add(index)
    predicted_by_label: dict[str, set[int]] = {}
    for index, label in predicted:
        predicted_by_label.setdefault(label, set()).add(index)
    for label in labels:
        counts[f"redact_full_eds.{label}_den"] = 1
        phi_label = gold_by_label.get(label, set())
        found = predicted_by_label.get(label, set())
        counts[f"redact_full_eds.{label}_num"] = int(phi_label <= removed)
        if not phi_label and not found:  # the other counts are 0
            continue
        counts[f"redact_eds.{label}_tp"] = len(phi_label & removed)
        counts[f"redact_eds.{label}_fn"] = len(phi_label - removed)
        counts[f"token_eds.{label}_tp"] = len(found & phi_label)
        counts[f"token_eds.{label}_fp"] = len(found - phi_label)
        counts[f"token_eds.{label}_fn"] = len(phi_label - found)
    return counts
