"""A rewritten note aligned with the original, word by word: which output words are input words
left where they stood (``equal_pairs``), and which output words stand for each input word
(``aligned_words``), so that the replacement of each gold mention can be read
(``replacement_text``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import accumulate, groupby, pairwise

from partages_bench.families.pseudonymisation.tokens import Tokens

# Passes of ``equal_pairs``, then the passes left for the gaps between the pairs found.
_ALIGNMENT_PASSES = ("trusted blocks", "outside PHI", "all words")


def equal_pairs(
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
        pairs += equal_pairs(source, target, phi, range(i, a), range(j, b), passes[1:])
        pairs += [(a + k, b + k) for k in range(size)]
        i, j = a + size, b + size
    return pairs


@dataclass(frozen=True)
class Words:
    """A text and its tokens, for the alignment of a rewrite."""

    text: str
    tokens: Tokens

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
    source: Words, segments: Sequence[Sequence[int]], target: Words, words: range
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


def aligned_words(
    source: Words,
    target: Words,
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


def replacement_text(
    output: str, out_tokens: Tokens, aligned: Sequence[range], words: range
) -> str:
    """The output text standing for input ``words``: from the first to the last output word
    aligned to them; empty if they were deleted."""
    targets = [index for word in words for index in aligned[word]]
    if not targets:
        return ""
    return output[out_tokens.starts[min(targets)] : out_tokens.ends[max(targets)]]
