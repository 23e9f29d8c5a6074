"""Discharge summaries and hospitalisation reports with their CIM-10 codes, for the coding
family (``cim10_discharge``).

A document is one ``ClinicalCase`` (``make_case``) rendered with a discharge summary or
hospitalisation report template (``documents.render_template``), with a **coding block** inserted
after the line that states the diagnosis. What is coded is drawn from the case and
``content/coding.yaml``, never re-read from the text:

- the **principal diagnosis**: the case's condition (its ``cim10`` in the specialty file), as
  the template writes it;
- **0–5 associated diagnoses**: comorbidities of ``history.yaml`` that have a code (the case's
  comorbidities: a template with past history lists them there too, under their own name) and
  stay complications or chronic conditions (``coding.yaml`` ``associated``), written as
  clinicians do (a form of ``forms``: HTA, DT2, IRC stade 3, FA paroxystique…); no two in one
  3-character category, none in the principal's;
- **distractors**, which must not be coded: 0–2 findings ruled out (``negated``: « Pas
  d'embolie pulmonaire », « Suspicion de sepsis écartée ») and 0–1 cured past condition
  (``history``: « ATCD d'appendicite opérée dans l'enfance »; in a template with a past
  history section, written there with its month and year). Their categories are disjoint
  from the gold codes' categories.

Gold: ``codes`` (principal first, then the associated ones in the order written) and
``distractors`` (``{code, kind: negated|history, text}``). Templates and the block's sentences
come from two disjoint pools (``dev`` for few-shot examples, ``test`` for the evaluated
documents). Specialties are stratified: any 6 consecutive documents cover the 6 specialties.
Document ``i`` of ``generate_coding_documents(n, seed, split)`` depends only on
``(seed, split, i)``.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from typing import Any

from partages_bench.errors import UserError
from partages_bench.families.coding.cim10 import category
from partages_bench.generator.clinical import (
    CIM10,
    COMORBIDITIES,
    SPECIALTIES,
    ClinicalCase,
    Comorbidity,
    PastEvent,
    make_case,
    marked,
)
from partages_bench.generator.contentfiles import at_least, content_error, load
from partages_bench.generator.documents import POOLS, Pool, Template, render_template

DOC_TYPES = ("discharge_summary", "hospitalisation_report")
Document = dict[str, Any]

_POOLS_SCHEMA = {"dev": [str], "test": [str]}
_CODING = load(
    "coding.yaml",
    {
        "forms": {str: [str]},
        "associated": [CIM10],
        "negated": [{"code": CIM10, "de": str}],
        "history": [{"code": CIM10, "name": str, "de": str}],
        "frames": {"associated": _POOLS_SCHEMA, "negated": _POOLS_SCHEMA, "history": _POOLS_SCHEMA},
    },
)
FORMS: dict[str, list[str]] = _CODING["forms"]
# What may be coded beside the principal: history comorbidities with a code, then the others.
_CANDIDATES: tuple[tuple[str, Comorbidity | None], ...] = tuple(
    {c.cim10: (c.cim10, c) for c in COMORBIDITIES if c.cim10}.values()
) + tuple((code, None) for code in _CODING["associated"])


def _check_content() -> None:
    """Every condition has a code, every associated code a written form, and each pool holds
    a template stating the diagnosis."""
    for specialty in SPECIALTIES.values():
        for index, condition in enumerate(specialty.conditions):
            if condition.cim10 is None:
                problem = "no cim10 code (the coding task's principal diagnosis)"
                raise content_error(
                    f"specialties/{specialty.key}.yaml", f"conditions[{index}]", problem
                )
    for code, _ in _CANDIDATES:
        if code not in FORMS:
            raise content_error("coding.yaml", "forms", f"no written form for {code}")
    for pool in ("dev", "test"):
        at_least(_templates(pool), 1, "templates", f"{pool} templates stating the diagnosis")


def _templates(pool: Pool) -> tuple[Template, ...]:
    return tuple(
        template
        for doc_type in DOC_TYPES
        for template in POOLS[pool, doc_type]
        if "{clin:diagnostic}" in template.body or "{clin:de_diagnostic}" in template.body
    )


_check_content()
TEMPLATES: dict[Pool, tuple[Template, ...]] = {pool: _templates(pool) for pool in ("dev", "test")}


def _frame(rng: random.Random, kind: str, pool: Pool, **values: str) -> str:
    return rng.choice(_CODING["frames"][kind][pool]).format(**values)


def _shows_history(template: Template) -> bool:
    return "{clin:antecedents" in template.body


def _past_date(rng: random.Random, case: ClinicalCase) -> date:
    first, last = case.patient.birth_date.year + 5, case.dates.admission.year - 1
    return date(rng.randint(min(first, last), last), rng.randint(1, 12), 1)


def generate_coding_document(seed: int, split: Pool, index: int) -> Document:
    """Document ``index`` of a (seed, split) stream, from its own random generator."""
    if split not in ("dev", "test"):
        raise UserError(f"split must be 'dev' or 'test', not {split!r}")
    rng = random.Random(f"{seed}:{split}:coding:{index}")
    specialties = tuple(SPECIALTIES)
    case = make_case(rng, specialties[index % len(specialties)])
    template = rng.choice(TEMPLATES[split])
    principal = case.facts.condition.cim10
    assert principal is not None  # _check_content
    taken = {category(principal)}
    associated: list[tuple[str, Comorbidity | None]] = []
    wanted = rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5))
    for code, comorbidity in rng.sample(_CANDIDATES, len(_CANDIDATES)):
        if len(associated) == wanted:
            break
        if category(code) not in taken:
            taken.add(category(code))
            associated.append((code, comorbidity))
    distractors: list[dict[str, str]] = []
    for kind, most in (("negated", rng.choice((0, 1, 1, 2))), ("history", rng.choice((0, 1, 1)))):
        for item in rng.sample(_CODING[kind], len(_CODING[kind])):
            if len([d for d in distractors if d["kind"] == kind]) == most:
                break
            if category(item["code"]) not in taken:
                taken.add(category(item["code"]))
                distractors.append({"code": item["code"], "kind": kind, **item})
    history_in_section = _shows_history(template)
    case = replace(
        case,
        facts=replace(
            case.facts,
            comorbidities=tuple(c for _, c in associated if c is not None),
            surgeries=tuple(
                PastEvent(marked(d["name"]), _past_date(rng, case))
                for d in distractors
                if d["kind"] == "history" and history_in_section
            ),
        ),
    )
    lines = []
    if associated:
        items = ", ".join(rng.choice(FORMS[code]) for code, _ in associated)
        lines.append(_frame(rng, "associated", split, items=items))
    for distractor in distractors:
        if distractor["kind"] == "negated" or not history_in_section:
            lines.append(_frame(rng, distractor["kind"], split, de=distractor["de"]))
    text = render_template(case, template, rng)["text"]
    if lines:
        diagnosis = "".join(part for part, _ in case.facts.condition.name)
        line_end = text.find("\n", text.find(diagnosis))
        line_end = len(text) if line_end < 0 else line_end
        text = text[:line_end] + "\n" + "\n".join(lines) + text[line_end:]
    return {
        "doc_id": f"cim10-{split}-{seed}-{index:04d}",
        "text": text,
        "specialty": case.facts.specialty.key,
        "doc_type": template.doc_type,
        "template_id": template.template_id,
        "split": split,
        "codes": [principal, *(code for code, _ in associated)],
        "distractors": [
            {
                "code": d["code"],
                "kind": d["kind"],
                "text": d["name"] if d["kind"] == "history" and history_in_section else d["de"],
            }
            for d in distractors
        ],
    }


def generate_coding_documents(n: int, seed: int, split: Pool) -> list[Document]:
    return [generate_coding_document(seed, split, index) for index in range(n)]
