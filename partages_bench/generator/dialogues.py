"""Consultation dialogues for the consultation family: a doctor and a patient, in spoken French,
rendered from one ``ClinicalCase`` (``make_case``), with the facts the patient states as the
reference (the shape of ``partages_bench.families.consultation`` facts).

What the patient says is drawn from the case, never re-read from the text: the reason (the
condition's motif), her or his age and profession, the symptoms (each number of a symptom —
"10 jours", "4 kg" — is a fact), the comorbidities, past operations and their home drugs,
allergies (or none: a negated fact), tobacco and alcohol (affirmed or negated). Spoken style:
openings and hesitations (« euh », « bah », « ben », a repeated word), and **one
self-contradiction** a dialogue: the patient first answers one of allergy, tobacco or alcohol
with the wrong polarity, then corrects it when the doctor recaps; the fact is the corrected
statement (what the note should say).

The spoken French (questions, openings, answers, the words of the habits' facts) is in
``content/dialogues.yaml``; this module combines it with the case. Phrasings come from two
disjoint pools (``dev`` for few-shot examples, ``test`` for the
evaluated dialogues), as for the generated notes. Specialties are stratified: any 6 consecutive
dialogues cover the 6 specialties. Dialogue ``i`` of ``generate_dialogues(n, seed, split)``
depends only on ``(seed, split, i)``.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from partages_bench.errors import UserError
from partages_bench.generator.clinical import SPECIALTIES, ClinicalCase, Marked, make_case
from partages_bench.generator.contentfiles import load

Pool = Literal["dev", "test"]
Dialogue = dict[str, Any]

_FILE = "dialogues.yaml"
_BY_POOL = {"dev": [str], "test": [str]}
_HABIT = {
    "has": str,
    "has_not": str,
    "wrong_when_has": str,
    "wrong_when_has_not": str,
    "recap_when_has": str,
    "recap_when_has_not": str,
    "fact_has": str,
    "fact_has_not": str,
    "forms": [str],
    "negated_forms?": [str],
}
SLOTS = ("reason", "symptoms", "more", "age", "profession", "history", "treatment", "allergy",
         "tobacco", "alcohol", "recap", "close")  # fmt: skip
ANSWERS = ("reason", "age", "profession", "conditions", "operations", "no_history", "treatment",
           "no_treatment", "correction", "close")  # fmt: skip
_CONTENT = load(
    _FILE,
    {
        "questions": {slot: _BY_POOL for slot in SLOTS},
        "openings": _BY_POOL,
        "professions": [str],
        "answers": dict.fromkeys(ANSWERS, str),
        "no_treatment_fact": {"text": str, "forms": [str]},
        "allergy": _HABIT,
        "tobacco": _HABIT | {"has": [str]},  # one drawn
        "alcohol": _HABIT | {"has": [str]},
    },
)
# The doctor's phrasings by slot and pool; the patient's openings by pool.
QUESTIONS: dict[str, dict[Pool, list[str]]] = _CONTENT["questions"]
OPENINGS: dict[Pool, list[str]] = _CONTENT["openings"]
PROFESSIONS: list[str] = _CONTENT["professions"]
ANSWER: dict[str, str] = _CONTENT["answers"]
HABITS = ("allergy", "tobacco", "alcohol")  # the questions one self-contradiction is drawn from


def plain(text: Marked) -> str:
    """A marked clinical string as the words it reads."""
    return " ".join("".join(part for part, _ in text).split())


def _numbers(text: Marked) -> list[str]:
    return [part for part, kind in text if kind in ("number", "dose", "lab_value")]


def _spoken(rng: random.Random, pool: Pool, text: str) -> str:
    """An opening, and now and then a hesitation (the first word said twice)."""
    opening = rng.choice(OPENINGS[pool])
    if rng.random() < 0.3 and " " in text:
        first, rest = text.split(" ", 1)
        text = f"{first}… {first.lower()} {rest}"
    sentence = text[0].upper() + text[1:] if not opening else text[0].lower() + text[1:]
    return f"{opening}{sentence}"


def _partitive(name: str) -> str:
    """« du furosémide », « de l'allopurinol »."""
    return f"de l'{name}" if name[:1].lower() in "aeiouyéèh" else f"du {name}"


def _fact(key: str, topic: str, subtopic: str | None, text: str, polarity: str,
          forms: list[list[str]], negated: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"key": key, "topic": topic, "subtopic": subtopic, "text": text,
            "polarity": polarity, "forms": forms, "negated_forms": negated or []}  # fmt: skip


def _clause_head(text: str) -> str:
    """The words before a comma: the part of a generator's phrase a note is sure to keep
    (« obésité, IMC à 34 kg/m² » → « obésité »)."""
    return text.split(",")[0].strip()


def _said_polarity(text: str, form: str) -> str:
    """How the patient's own words say a number (« vu sans symptôme 3 heures avant » is
    negated), by the family's rule: a note repeating them is then right."""
    from partages_bench.families.consultation.scoring import mentions

    seen = mentions(text, {"id": form, "forms": [[form]]})
    return "negated" if seen == {"negated"} else "affirmed"


def _stratum(seed: int, split: Pool, index: int) -> str:
    order = random.Random(f"dialogue-specialties:{seed}:{split}").sample(
        sorted(SPECIALTIES), len(SPECIALTIES)
    )
    return order[index % len(order)]


def generate_dialogue(seed: int, split: Pool, index: int) -> Dialogue:
    """Dialogue ``index`` of a (seed, split) stream, from its own random generator."""
    if split not in ("dev", "test"):
        raise UserError(f"split must be 'dev' or 'test', not {split!r}")
    specialty = _stratum(seed, split, index)
    rng = random.Random(f"dialogue:{seed}:{split}:{index}")
    case = make_case(rng, specialty)
    turns: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []

    def ask(slot: str, **fields: str) -> None:
        question = rng.choice(QUESTIONS[slot][split]).format(**fields)
        turns.append({"speaker": "doctor", "slot": slot, "text": question})

    def answer(slot: str, text: str) -> None:
        turns.append({"speaker": "patient", "slot": slot, "text": _spoken(rng, split, text)})

    clinical = case.facts
    suffix = "e" if case.patient.person.sex == "F" else ""
    motif = plain(clinical.condition.motif)
    ask("reason")
    answer("reason", ANSWER["reason"].format(motif=motif))
    facts.append(_fact("reason", "reason", None, motif, "affirmed", [[_clause_head(motif)]]))
    symptoms = clinical.symptoms[:2]
    for slot, symptom in zip(("symptoms", "more"), symptoms, strict=False):
        ask(slot)
        said = plain(symptom).rstrip(".")
        answer(slot, said)
        for number, value in enumerate(_numbers(symptom)):
            facts.append(_fact(f"{slot}_{number}", "present_illness", "description",
                               said, _said_polarity(said, value), [[value]]))  # fmt: skip
    ask("age")
    answer("age", ANSWER["age"].format(age=case.age))
    facts.append(_fact("age", "personal", "age", f"{case.age} ans", "affirmed",
                       [[str(case.age)], ["ans"]]))  # fmt: skip
    profession = rng.choice(PROFESSIONS)
    ask("profession")
    answer("profession", ANSWER["profession"].format(profession=profession))
    facts.append(_fact("profession", "personal", "profession", profession, "affirmed",
                       [[profession]]))  # fmt: skip
    ask("history")
    past = [plain(c.name) for c in clinical.comorbidities]
    operations = [plain(s.event) for s in clinical.surgeries]
    if past or operations:
        said = [ANSWER["conditions"].format(conditions=", ".join(past))] if past else []
        if operations:
            said.append(ANSWER["operations"].format(e=suffix, operations=", ".join(operations)))
        answer("history", " ; ".join(said))
        for number, name in enumerate(past):
            facts.append(_fact(f"history_{number}", "history", "illness", name, "affirmed",
                               [[_clause_head(name)]]))  # fmt: skip
        for number, name in enumerate(operations):
            facts.append(_fact(f"surgery_{number}", "history", "surgery", name, "affirmed",
                               [[_clause_head(name)]]))  # fmt: skip
    else:
        answer("history", ANSWER["no_history"])
    drugs = [c.drug for c in clinical.comorbidities if c.drug is not None]
    ask("treatment")
    if drugs:
        taken = " et ".join(f"{_partitive(d.name)} {d.strength}" for d in drugs)
        answer("treatment", ANSWER["treatment"].format(drugs=taken))
        for number, drug in enumerate(drugs):
            text = f"{drug.name} {drug.strength}"
            facts.append(_fact(f"drug_{number}", "treatment", "type", text, "affirmed",
                               [[drug.name]]))  # fmt: skip
    else:
        answer("treatment", ANSWER["no_treatment"])
        none = _CONTENT["no_treatment_fact"]
        facts.append(_fact("treatment", "treatment", "type", none["text"], "negated",
                           [none["forms"]]))  # fmt: skip

    allergies = [plain(a).split(" (")[0] for a in clinical.allergies]
    smoker, drinker = rng.random() < 0.4, rng.random() < 0.5
    smoker = smoker and not any("tabagisme" in name for name in past)  # « sevré »: not now
    has = {"allergy": bool(allergies), "tobacco": smoker, "alcohol": drinker}
    allergy = _CONTENT["allergy"]
    truth = {
        "allergy": allergy["has"].format(allergies=" et ".join(allergies))
        if allergies
        else allergy["has_not"],
        **{
            habit: rng.choice(_CONTENT[habit]["has"]) if has[habit] else _CONTENT[habit]["has_not"]
            for habit in ("tobacco", "alcohol")
        },
    }
    contradicted = HABITS[index % len(HABITS)]
    when = "when_has" if has[contradicted] else "when_has_not"
    for slot in HABITS:
        ask(slot)
        answer(slot, _CONTENT[slot][f"wrong_{when}"] if slot == contradicted else truth[slot])
    ask("recap", recap=_CONTENT[contradicted][f"recap_{when}"])
    correction = ANSWER["correction"].format(e=suffix, answer=truth[contradicted])
    turns.append({"speaker": "patient", "slot": "recap", "text": correction})
    if allergies:
        for number, name in enumerate(allergies):
            facts.append(_fact(f"allergy_{number}", "history", "allergy",
                               allergy["fact_has"].format(allergy=name), "affirmed",
                               [[name]]))  # fmt: skip
    else:
        facts.append(_fact("allergy", "history", "allergy", allergy["fact_has_not"], "negated",
                           [allergy["forms"]]))  # fmt: skip
    for habit in ("tobacco", "alcohol"):
        words = _CONTENT[habit]
        facts.append(_fact(habit, "lifestyle", "addictions",
                           words["fact_has"] if has[habit] else words["fact_has_not"],
                           "affirmed" if has[habit] else "negated", [words["forms"]],
                           words.get("negated_forms")))  # fmt: skip
    ask("close")
    answer("close", ANSWER["close"])
    names = {"doctor": "Médecin", "patient": "Patient"}
    dialogue_id = f"dlg-{split}-{seed}-{index:05d}"
    for number, fact in enumerate(facts, start=1):
        fact["id"] = f"{dialogue_id}-f{number:02d}"
    return {
        "id": dialogue_id,
        "specialty": specialty,
        "self_contradiction": contradicted,
        "turns": turns,
        "transcript": "\n".join(f"{names[t['speaker']]} : {t['text']}" for t in turns),
        "facts": facts,
    }


def generate_dialogues(n: int, seed: int, split: Pool) -> list[Dialogue]:
    return [generate_dialogue(seed, split, index) for index in range(n)]


def case_of(seed: int, split: Pool, index: int) -> ClinicalCase:
    """The case behind dialogue ``index`` (for tests: the facts come from it)."""
    rng = random.Random(f"dialogue:{seed}:{split}:{index}")
    return make_case(rng, _stratum(seed, split, index))
