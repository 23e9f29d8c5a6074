"""A consultation note scored against the facts the patient stated in the dialogue.

Every rule works on normalised tokens (``summarisation.scoring.normalised_tokens``: case,
accents, œ/æ, punctuation and spacing do not matter; "1,5" is "1.5"; letters and digits are
separate tokens), so a form matches whole tokens only ("7 ans" is not in "17 ans").

**Clauses.** A text is cut into clauses at ``;``, ``!``, ``?``, parentheses, line breaks, a
``.`` or ``,`` not between two digits ("39,5" and "1.5" stay whole), and the word « mais ».
Polarity is decided inside one clause.

**Mentions and polarity** (``mentions``). A fact's ``forms`` is a list of parts, each a list of
accepted forms (``[["2", "deux"], ["enfant", "enfants"]]``); a clause *mentions* the fact when
it holds one form of every part. The mention is **negated** when, for one part's match,

- a cue of ``NEGATION_BEFORE`` (« pas », « non », « ne »/« n' », « jamais », « aucun(e) »,
  « ni », « sans », « absence », « rien », « nie »…) is among the 5 tokens before it, or
- a cue of ``NEGATION_AFTER`` (« aucun(e) », « néant », « négatif/ve », « absent(e)(s) ») is
  among the 2 tokens after it, or « non » is among those 2 tokens and ends the clause
  (« Tabac : non »),

or when the clause holds one of the fact's ``negated_forms`` (words that say the negation by
themselves: « apyrétique »). Any other mention is **affirmed**. A fact's ``polarity`` is
``affirmed`` or ``negated`` (« je ne fume pas » is the fact *tabac*, negated).

**Per note** (``fact_stats``), for the gold facts of its dialogue:

- ``fact_num``: facts the note *states*: some clause mentions the fact with the fact's own
  polarity; ``fact_den``: facts; ``fact.{topic}_num/_den`` the same per topic (every topic of
  ``TOPICS``, zeros included);
- ``contradiction_num``: facts the note *contradicts*: some clause mentions the fact with the
  opposite polarity (« fumeuse » for a non-smoker, « pas d'allergie » for a pollen allergy);
  ``contradiction_den``: facts the note mentions with either polarity (the rate is over what
  the note says, not over what it leaves out). A note can state and contradict one fact.

**Unsupported content** (``unsupported_content``): the summarisation family's detector
(``unsupported_stats``: dates, numbers with their dose units, drug names of the note that the
transcript does not hold), plus **conditions**: the names of ``CONDITIONS`` the note holds as
whole tokens (leftmost-longest, ``DrugLexicon``) that the transcript (both speakers) does not
hold as whole tokens, nor one of its ``CONDITION_SYNONYMS`` (« hypertension » is supported by
« tension », « lithiase » by « calculs »). ``unsupported_num/_den/_any`` count all items together;
``unsupported_condition_num/_den`` the conditions alone. A negated condition counts too (« pas
de diabète » when diabetes was never discussed is content the dialogue does not support).

**Sections** (``section_stats``): a line is a heading of section S when, stripped of markup
(``#``, ``*``, ``_``, ``-``, ``•``, list numbers), its text before the first ``:`` (or the whole
line when it has no ``:`` and at most 6 tokens) starts with one of S's names (``SECTIONS``).
The sections a note should have are those of ``required_sections``: « motif » always, and each
other section when a gold fact of its topics exists (``SECTION_TOPICS``).
``section_num``: required sections with a heading; ``section_den``: required sections.

**Length**: ``words``: the note's words (``summarisation.scoring.words``); ``empty``: 1 for a
blank answer (scored as a note that states nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from partages_bench.families.summarisation.scoring import (
    DrugLexicon,
    normalised_tokens,
    unsupported_stats,
    words,
)
from partages_bench.text import strip_thinking

Fact = Mapping[str, Any]
AFFIRMED, NEGATED = "affirmed", "negated"
POLARITIES = (AFFIRMED, NEGATED)
TOPICS = ("reason", "personal", "lifestyle", "treatment", "history", "present_illness")

NEGATION_BEFORE = frozenset(
    {
        "pas",
        "non",
        "ne",
        "n",
        "jamais",
        "aucun",
        "aucune",
        "aucuns",
        "aucunes",
        "ni",
        "sans",
        "absence",
        "rien",
        "nie",
        "niee",
        "denie",
    }
)
NEGATION_AFTER = frozenset(
    {
        "aucun",
        "aucune",
        "neant",
        "negatif",
        "negative",
        "absent",
        "absente",
        "absents",
        "absentes",
    }
)
BEFORE_WINDOW, AFTER_WINDOW = 5, 2
_CLAUSE_BREAK = re.compile(r"[;!?()\n]|[.,](?!\d)|(?<!\d)[.,]|\bmais\b", re.IGNORECASE)

# Section → the names a heading may start with (folded text); the topics whose facts require it.
SECTIONS: dict[str, tuple[str, ...]] = {
    "motif": ("motif",),
    "histoire": ("histoire", "hdm", "anamnese", "evolution"),
    "antecedents": ("antecedents", "antecedent", "atcd", "atcds"),
    "traitements": ("traitement", "traitements", "medicaments"),
    "allergies": ("allergie", "allergies"),
    "mode_de_vie": ("mode de vie", "habitus", "contexte social", "conditions de vie", "social"),
}
SECTION_TOPICS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "histoire": (("present_illness", None),),
    "antecedents": (("history", None),),
    "traitements": (("treatment", None),),
    "allergies": (("history", "allergy"),),
    "mode_de_vie": (("lifestyle", None), ("personal", "profession")),
}
_HEADING_MARKUP = re.compile(r"^[\s#*_\-•>]*(?:\d+[.)]\s*)?[\s#*_\-•]*")

# Named conditions the unsupported-content check looks for (folded forms; a note's condition
# absent from the transcript is unsupported). Kept to conditions a note on acute abdominal pain
# or a medical history is likely to name.
CONDITIONS = (
    "diabete",
    "hypertension",
    "hta",
    "hypercholesterolemie",
    "dyslipidemie",
    "asthme",
    "ulcere",
    "lithiase",
    "lithiase biliaire",
    "cholelithiase",
    "calculs biliaires",
    "cholecystite",
    "angiocholite",
    "pancreatite",
    "appendicite",
    "gastrite",
    "reflux gastro oesophagien",
    "rgo",
    "hepatite",
    "cirrhose",
    "colique hepatique",
    "colique nephretique",
    "pyelonephrite",
    "infarctus",
    "infarctus du myocarde",
    "angor",
    "embolie pulmonaire",
    "pneumopathie",
    "pneumonie",
    "phlebite",
    "thrombose",
    "avc",
    "cancer",
    "insuffisance cardiaque",
    "insuffisance renale",
    "anemie",
    "obesite",
    "depression",
    "migraine",
    "epilepsie",
    "endometriose",
    "grossesse extra uterine",
    "occlusion",
    "peritonite",
    "diverticulite",
    "hypothyroidie",
    "hyperthyroidie",
    "bpco",
    "tuberculose",
)
# What else in a transcript supports a condition of the note (a patient's word for it).
CONDITION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "hypertension": ("tension", "hta"),
    "hta": ("tension", "hypertension"),
    "lithiase": ("calculs", "calcul"),
    "lithiase biliaire": ("calculs", "calcul", "lithiase"),
    "cholelithiase": ("calculs", "calcul", "lithiase"),
    "calculs biliaires": ("calculs", "lithiase"),
    "infarctus du myocarde": ("infarctus",),
    "rgo": ("reflux",),
    "reflux gastro oesophagien": ("reflux",),
    "dyslipidemie": ("cholesterol",),
    "hypercholesterolemie": ("cholesterol",),
}
# Drugs a note on this case may name, added to the generator's lexicon.
EXTRA_DRUGS = (
    "doliprane",
    "paracetamol",
    "dafalgan",
    "efferalgan",
    "ibuprofene",
    "advil",
    "nurofen",
    "aspirine",
    "kardegic",
    "spasfon",
    "phloroglucinol",
    "omeprazole",
    "esomeprazole",
    "inexium",
    "mopral",
    "pantoprazole",
    "gaviscon",
    "tramadol",
    "morphine",
    "codeine",
    "acupan",
    "nefopam",
    "antalgique",
    "anti inflammatoire",
    "ains",
)


# --- mentions and polarity --------------------------------------------------------------------


def clauses(text: str) -> list[list[str]]:
    """The normalised tokens of each clause of ``text`` (empty clauses left out)."""
    pieces = _CLAUSE_BREAK.split(text)
    return [tokens for piece in pieces if (tokens := normalised_tokens(piece))]


def _occurrences(tokens: Sequence[str], form: Sequence[str]) -> Iterable[tuple[int, int]]:
    size = len(form)
    for start in range(len(tokens) - size + 1):
        if list(tokens[start : start + size]) == list(form):
            yield start, start + size


def _negated_at(tokens: Sequence[str], start: int, end: int) -> bool:
    before = tokens[max(0, start - BEFORE_WINDOW) : start]
    after = tokens[end : end + AFTER_WINDOW]
    closing_non = "non" in after and tokens[-1] == "non" and len(tokens) - end <= AFTER_WINDOW
    return bool(NEGATION_BEFORE.intersection(before) or NEGATION_AFTER.intersection(after)) or (
        closing_non
    )


@dataclass(frozen=True)
class Matcher:
    """A fact ready to look for: its parts' forms and its negated forms, as token tuples."""

    parts: tuple[tuple[tuple[str, ...], ...], ...]
    negated_forms: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, fact: Fact) -> Matcher:
        parts = tuple(
            tuple(t for form in part if (t := tuple(normalised_tokens(form))))
            for part in fact["forms"]
        )
        if not parts or not all(parts):
            raise ValueError(f"fact {fact.get('id')!r}: a fact needs parts, each with forms")
        negated = tuple(
            t for form in fact.get("negated_forms", ()) if (t := tuple(normalised_tokens(form)))
        )
        return cls(parts, negated)

    def polarity_in(self, clause: Sequence[str]) -> str | None:
        """``negated`` or ``affirmed`` when the clause mentions the fact, else None."""
        if any(any(True for _ in _occurrences(clause, form)) for form in self.negated_forms):
            return NEGATED
        negated = False
        for part in self.parts:
            spans = [span for form in part for span in _occurrences(clause, form)]
            if not spans:
                return None
            negated = negated or any(_negated_at(clause, *span) for span in spans)
        return NEGATED if negated else AFFIRMED


def mentions(text: str, fact: Fact) -> set[str]:
    """The polarities with which the clauses of ``text`` mention ``fact`` (empty: never)."""
    matcher = Matcher.of(fact)
    return {p for clause in clauses(text) if (p := matcher.polarity_in(clause)) is not None}


def opposite(polarity: str) -> str:
    return NEGATED if polarity == AFFIRMED else AFFIRMED


def fact_stats(note: str, facts: Sequence[Fact]) -> dict[str, float]:
    """``fact_num/_den``, ``fact.{topic}_num/_den`` and ``contradiction_num/_den`` (module
    docstring); a fact of a topic outside ``TOPICS`` or of another polarity is an error."""
    columns = [f"fact.{topic}_{part}" for topic in TOPICS for part in ("num", "den")]
    stats = dict.fromkeys(["fact_num", "fact_den", *columns], 0.0)
    stats |= {"contradiction_num": 0.0, "contradiction_den": 0.0}
    note_clauses = clauses(note)
    for fact in facts:
        if fact["topic"] not in TOPICS or fact["polarity"] not in POLARITIES:
            raise ValueError(f"fact {fact.get('id')!r}: topic or polarity unknown")
        matcher = Matcher.of(fact)
        seen = {p for c in note_clauses if (p := matcher.polarity_in(c)) is not None}
        stated = fact["polarity"] in seen
        for prefix in ("fact", f"fact.{fact['topic']}"):
            stats[f"{prefix}_num"] += stated
            stats[f"{prefix}_den"] += 1.0
        stats["contradiction_num"] += opposite(fact["polarity"]) in seen
        stats["contradiction_den"] += bool(seen)
    return stats


# --- unsupported content ----------------------------------------------------------------------


@cache
def drug_lexicon() -> DrugLexicon:
    """The generator's drug names and ``EXTRA_DRUGS``."""
    from partages_bench.generator import drug_lexicon as generator_drugs

    return DrugLexicon([*generator_drugs(), *EXTRA_DRUGS])


@cache
def condition_lexicon() -> DrugLexicon:
    return DrugLexicon(CONDITIONS)


def unsupported_content(note: str, transcript: str) -> dict[str, float]:
    """``unsupported_num/_den/_any`` (numbers, dates, drugs and conditions together) and
    ``unsupported_condition_num/_den`` (module docstring)."""
    stats = unsupported_stats(note, transcript, drug_lexicon())
    source = f" {' '.join(normalised_tokens(transcript))} "
    conditions = condition_lexicon().find(note)
    missing = sum(
        not any(f" {form} " in source for form in (name, *CONDITION_SYNONYMS.get(name, ())))
        for name in conditions
    )
    stats["unsupported_num"] += missing
    stats["unsupported_den"] += len(conditions)
    stats["unsupported_any"] = float(stats["unsupported_num"] > 0)
    stats["unsupported_condition_num"] = float(missing)
    stats["unsupported_condition_den"] = float(len(conditions))
    return stats


# --- sections ---------------------------------------------------------------------------------


def headings(note: str) -> set[str]:
    """The sections of ``SECTIONS`` that a line of the note heads (module docstring)."""
    found = set()
    for line in note.splitlines():
        text = _HEADING_MARKUP.sub("", line)
        head, colon, _ = text.partition(":")
        tokens = normalised_tokens(head)
        if not tokens or (not colon and len(tokens) > 6):
            continue
        for section, names in SECTIONS.items():
            if any(tokens[: len(n)] == n for n in (normalised_tokens(name) for name in names)):
                found.add(section)
    return found


def required_sections(facts: Sequence[Fact]) -> set[str]:
    """« motif » and every section one of whose (topic, sub-topic) a gold fact has (a None
    sub-topic: any)."""
    required = {"motif"}
    for section, keys in SECTION_TOPICS.items():
        for fact in facts:
            if any(fact["topic"] == t and s in (None, fact.get("subtopic")) for t, s in keys):
                required.add(section)
    return required


def section_stats(note: str, facts: Sequence[Fact]) -> dict[str, float]:
    required = required_sections(facts)
    return {
        "section_num": float(len(required & headings(note))),
        "section_den": float(len(required)),
    }


# --- one note ---------------------------------------------------------------------------------


def note_stats(output: str | None, facts: Sequence[Fact], transcript: str) -> dict[str, float]:
    """Every statistic of one answer (``<think>`` blocks removed): facts, contradictions,
    unsupported content, sections, ``words`` and ``empty``."""
    note = strip_thinking(output).strip()
    return (
        fact_stats(note, facts)
        | unsupported_content(note, transcript)
        | section_stats(note, facts)
        | {"words": float(words(note)), "empty": float(not note)}
    )
