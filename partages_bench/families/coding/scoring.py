"""A coding answer read and scored against the gold codes of its document.

**Answer.** The model writes ``{"codes": ["I50.0", "I10", …]}``, the principal diagnosis first.
Code fences, prose around, single quotes and an object cut by the token budget are read
(``extraction.json_objects``); the first object with a ``codes`` key is the answer; without
one, the first JSON list in the text (a bare ``["I50.0", "I10"]``); without one, a list left
open at the end (cut by the token budget) gives its items up to its last comma. A list item is
a string, or an object whose ``code`` is one; a ``codes`` string is split on commas, semicolons
and spaces.
Each code is normalised (``cim10.normalise``: upper case, spaces and dagger/asterisk marks
removed, the dot optional: ``i500`` → ``I50.0``); a code listed twice counts once, at its first
place. An answer with neither is **unparsable**: no code predicted, never an error.

**Per document**, with ``P`` the predicted codes (in order), ``G`` the gold codes (principal
first), ``cat(c)`` a code's 3-character category (an invalid code is its own category), and the
distractors ``D`` (negated findings and past history, which must not be coded):

- ``principal_correct``: 1 if ``P[0] = G[0]``; ``principal_category_correct``: 1 if ``P[0]`` is
  valid and ``cat(P[0]) = cat(G[0])`` (0 when ``P`` is empty);
- ``code_tp`` = |P ∩ G|, ``code_fp`` = |P \\ G| (invalid codes included), ``code_fn`` = |G \\ P|;
  per chapter ``code.{chapter}_tp/fp/fn`` over the codes of that chapter (a code's chapter by
  its category's range; invalid codes have none), for every chapter of the table;
- ``category_tp/fp/fn``: the same over the sets of categories ``cat(P)`` and ``cat(G)``;
- ``codes.{code}_tp/fp/fn`` for every code of the table (the labels of ``code_macro_f1``; a
  code outside the table has no label of its own there, it counts in the micro figures);
- ``invalid_code_num`` = predicted codes that are not CIM-10 codes (``cim10.is_valid``: format
  and chapter range), ``_den`` = |P|;
- ``hallucinated_code_num`` = valid predicted codes not in ``G``, ``_den`` = valid predicted codes;
- ``negated_finding_error_num`` = 1 if some valid predicted code has the category of a
  distractor (that is not also a gold category), ``_den`` = 1 if the document has such a
  distractor: the rate is **per document** (documents where a negated or past condition was
  coded / documents with one);
- ``unparsable``: 1 when the answer held neither a ``codes`` object nor a list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from partages_bench.families.extraction import json_objects
from partages_bench.text import strip_thinking

from .cim10 import CHAPTER_NAMES, category, chapter_of, is_valid, normalise, table

_LIST = re.compile(r"\[[^\[\]]*\]")
_OPEN_LIST = re.compile(r"\[([^\[\]]*),[^,\[\]]*$")  # a list cut after its last comma
_SEPARATORS = re.compile(r"[,;\s]+")


def _listed(value: Any) -> list[str] | None:
    """The codes a ``codes`` value lists, as written; None if it is not a list or a string."""
    if isinstance(value, str):
        return [part for part in _SEPARATORS.split(value) if part]
    if not isinstance(value, list):
        return None
    codes = []
    for item in value:
        if isinstance(item, dict):
            item = {str(key).casefold(): raw for key, raw in item.items()}.get("code")
        if isinstance(item, str) and item.strip():
            codes.append(item)
    return codes


def unique_codes(codes: Iterable[str]) -> list[str]:
    """Normalised codes, each once, in first-written order."""
    return list(dict.fromkeys(normalise(code) for code in codes))


def parse_codes(output: str | None) -> list[str] | None:
    """The normalised codes of an answer, principal first; None when it is unparsable."""
    text = strip_thinking(output)
    for found in json_objects(text, truncated=True):
        fields = {str(key).casefold(): value for key, value in found.items()}
        if "codes" in fields and (codes := _listed(fields["codes"])) is not None:
            return unique_codes(codes)
    for match in _LIST.finditer(text):
        try:
            value = json.loads(match[0])
        except ValueError:
            continue
        if (codes := _listed(value)) is not None:
            return unique_codes(codes)
    if cut := _OPEN_LIST.search(text):
        try:
            codes = _listed(json.loads(f"[{cut[1]}]"))
        except ValueError:
            codes = None
        if codes is not None:
            return unique_codes(codes)
    return None


@cache
def _table_codes() -> tuple[str, ...]:
    return tuple(table())


@cache
def _table_chapters() -> tuple[str, ...]:
    chapters = {entry.chapter for entry in table().values()}
    return tuple(chapter for chapter in CHAPTER_NAMES if chapter in chapters)


def _category(code: str) -> str:
    return category(code) if is_valid(code) else code


def _counts(predicted: set[str], gold: set[str]) -> tuple[float, float, float]:
    return float(len(predicted & gold)), float(len(predicted - gold)), float(len(gold - predicted))


def score_codes(
    predicted: Sequence[str] | None, gold: Sequence[str], distractors: Sequence[str] = ()
) -> dict[str, float]:
    """Every statistic of one document (module docstring), in the same key order for every
    document. ``predicted`` None is an unparsable answer; codes are normalised here."""
    answer = unique_codes(predicted or ())
    expected = unique_codes(gold)
    listed, truth = set(answer), set(expected)
    valid = [code for code in answer if is_valid(code)]
    first = answer[0] if answer else None
    principal = expected[0] if expected else None  # the gold has one (checked when read)
    stats = {
        "principal_correct": float(first is not None and first == principal),
        "principal_category_correct": float(
            first is not None
            and principal is not None
            and is_valid(first)
            and category(first) == category(principal)
        ),
    }
    tp, fp, fn = _counts(listed, truth)
    stats |= {"code_tp": tp, "code_fp": fp, "code_fn": fn}
    for chapter in _table_chapters():
        in_chapter = {code for code in listed | truth if chapter_of(code) == chapter}
        tp, fp, fn = _counts(listed & in_chapter, truth & in_chapter)
        stats |= {f"code.{chapter}_tp": tp, f"code.{chapter}_fp": fp, f"code.{chapter}_fn": fn}
    tp, fp, fn = _counts({_category(c) for c in listed}, {_category(c) for c in truth})
    stats |= {"category_tp": tp, "category_fp": fp, "category_fn": fn}
    for code in _table_codes():
        tp, fp, fn = _counts(listed & {code}, truth & {code})
        stats |= {f"codes.{code}_tp": tp, f"codes.{code}_fp": fp, f"codes.{code}_fn": fn}
    gold_categories = {_category(code) for code in truth}
    ruled_out = {category(normalise(code)) for code in distractors} - gold_categories
    coded_out = any(category(code) in ruled_out for code in valid)
    return stats | {
        "invalid_code_num": float(len(answer) - len(valid)),
        "invalid_code_den": float(len(answer)),
        "hallucinated_code_num": float(sum(code not in truth for code in valid)),
        "hallucinated_code_den": float(len(valid)),
        "negated_finding_error_num": float(coded_out),
        "negated_finding_error_den": float(bool(ruled_out)),
        "unparsable": float(predicted is None),
    }


def gold_codes(doc: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """A document's gold codes (principal first) and its distractors' codes."""
    distractors = [item["code"] for item in doc.get("distractors") or ()]
    return list(doc["codes"]), distractors


def doc_to_text(doc: Mapping[str, Any]) -> str:
    return f"Compte rendu :\n{doc['text']}\n\nCodes CIM-10 (JSON) :"


def doc_to_target(doc: Mapping[str, Any]) -> str:
    """The gold answer (few-shot examples): the codes, principal first, as JSON."""
    return json.dumps({"codes": list(doc["codes"])}, ensure_ascii=False)


def process_results(doc: Mapping[str, Any], results: list[str]) -> dict[str, dict[str, float]]:
    gold, distractors = gold_codes(doc)
    return {"stats": score_codes(parse_codes(results[0] if results else ""), gold, distractors)}
