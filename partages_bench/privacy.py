"""Identifiers out of the logs: per-sample logs of a family whose documents hold identifiers
(``Family.holds_identifiers``) show a label and a salted hash where an identifier was, unless
the user asks for them in clear (``--log-phi``).

The hash links mentions of one identifier across the log (and across runs of the same task,
shards of one run included, since the default salt is derived from the task hash); it is not a
secret — set ``PARTAGES_BENCH_PHI_SALT`` for one. Masking is deliberately greedy: every
occurrence of a mention's text, in any case, and for numbers every spelling of its digits with
up to three non-alphanumeric characters between two of them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .text import strip_accents

if TYPE_CHECKING:
    from .schema import TaskResult

_MIN_DIGITS_FOR_SPELLINGS = 4


def combined_in_clear(values: Iterable[bool | None]) -> bool | None:
    """``samples_in_clear`` of a log made of several runs' (``report merge``): in clear if any
    part is, unknown if any part is, else masked."""
    values = list(values)
    if True in values:
        return True
    return None if None in values else False


def holds_identifiers(family_name: str) -> bool:
    """Whether a family's documents hold identifiers (its sample logs are masked unless
    ``--log-phi``); a family not installed here is taken to hold some."""
    from .families import find_family

    family = find_family(family_name)
    return True if family is None else family.holds_identifiers


def identifiers_in_clear(result: TaskResult) -> bool:
    """Whether a task's sample log may show identifiers in clear, so must not be published: as
    the report records it (``samples_in_clear``), and where it does not (older reports), for
    every task of a family whose documents hold identifiers."""
    if result.samples_in_clear is not None:
        return result.samples_in_clear
    return holds_identifiers(result.family)


def salt_for(task_hash: str) -> str:
    return os.environ.get("PARTAGES_BENCH_PHI_SALT") or task_hash


def _pattern(mention: str) -> str:
    digits = re.sub(r"\D", "", mention)
    if (
        len(digits) >= _MIN_DIGITS_FOR_SPELLINGS
        and len(digits) >= len(mention.replace(" ", "")) - 3
    ):
        # A number: any spelling of its digits, up to three separators between two of them
        # ("06 12 34 56 78", "06.12.34.56.78", "01 / 07 | 1995").
        return r"[^\w]{0,3}".join(re.escape(d) for d in digits)
    return re.escape(mention)


def phi_masker(mentions: Iterable[tuple[str, str]], salt: str) -> Callable[[str], str]:
    """A function replacing every occurrence of each (mention, label) by ``[LABEL:hash]``,
    compiled once (a task's few-shot notes give hundreds of mentions, applied to every sample)."""
    unique = {m: label for m, label in mentions if m.strip()}
    if not unique:
        return lambda text: text
    ordered = sorted(unique, key=len, reverse=True)
    replacements = {}
    for mention in ordered:
        key = strip_accents(mention.casefold()).strip()  # one hash for "Hélène" and "HELENE"
        digest = hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:8]
        replacements[mention] = f"[{unique[mention]}:{digest}]"
    patterns = [f"(?P<m{i}>{_pattern(m)})" for i, m in enumerate(ordered)]
    regex = re.compile("|".join(patterns), re.IGNORECASE)

    def replace(match: re.Match[str]) -> str:
        index = int(match.lastgroup[1:]) if match.lastgroup else 0
        return replacements[ordered[index]]

    return lambda text: regex.sub(replace, text) if text else text


def mask_phi(text: str, mentions: Iterable[tuple[str, str]], salt: str) -> str:
    """``text`` with every occurrence of each (mention, label) replaced by ``[LABEL:hash]``."""
    return phi_masker(mentions, salt)(text)
