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

Phrasings come from two disjoint pools (``dev`` for few-shot examples, ``test`` for the
evaluated dialogues), as for the generated notes. Specialties are stratified: any 6 consecutive
dialogues cover the 6 specialties. Dialogue ``i`` of ``generate_dialogues(n, seed, split)``
depends only on ``(seed, split, i)``.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from partages_bench.errors import UserError
from partages_bench.generator.clinical import SPECIALTIES, ClinicalCase, Marked, make_case

Pool = Literal["dev", "test"]
Dialogue = dict[str, Any]

# Each slot: (doctor's phrasings by pool). The patient's answers are built in ``_answers``.
QUESTIONS: dict[str, dict[Pool, tuple[str, ...]]] = {
    "reason": {
        "dev": ("Bonjour, qu'est-ce qui vous amène aujourd'hui ?",),
        "test": ("Bonjour. Alors, qu'est-ce qui vous arrive ?", "Bonjour, je vous écoute."),
    },
    "symptoms": {
        "dev": ("Racontez-moi comment ça a commencé.",),
        "test": ("D'accord. Et ça a commencé comment ?", "Depuis quand est-ce que ça dure ?"),
    },
    "more": {
        "dev": ("Vous avez remarqué autre chose ?",),
        "test": ("Il y a d'autres signes ?", "Et à part ça ?"),
    },
    "age": {"dev": ("Vous avez quel âge ?",), "test": ("Quel âge avez-vous ?",)},
    "profession": {
        "dev": ("Vous travaillez dans quoi ?",),
        "test": ("Qu'est-ce que vous faites dans la vie ?",),
    },
    "history": {
        "dev": ("Vous avez des problèmes de santé, des opérations ?",),
        "test": ("Des antécédents médicaux ou chirurgicaux ?", "Vous avez déjà été opéré ?"),
    },
    "treatment": {
        "dev": ("Vous prenez des médicaments ?",),
        "test": ("Vous avez un traitement en ce moment ?",),
    },
    "allergy": {
        "dev": ("Vous êtes allergique à quelque chose ?",),
        "test": ("Des allergies ?", "Pas d'allergie connue ?"),
    },
    "tobacco": {"dev": ("Vous fumez ?",), "test": ("Et le tabac ?", "Côté tabac, vous fumez ?")},
    "alcohol": {
        "dev": ("Et l'alcool ?",),
        "test": ("Vous buvez de l'alcool ?", "Côté alcool ?"),
    },
    "recap": {
        "dev": ("Donc, si je résume : {recap} ?",),
        "test": ("D'accord, je récapitule : {recap}, c'est bien ça ?",),
    },
    "close": {
        "dev": ("Très bien, je vais vous examiner.",),
        "test": ("Bien. On va passer à l'examen.",),
    },
}
OPENINGS: dict[Pool, tuple[str, ...]] = {
    "dev": ("", "Euh, ", "Bah, "),
    "test": ("", "Ben, ", "Euh… ", "Alors, "),
}
PROFESSIONS = (
    "boulanger",
    "infirmière",
    "comptable",
    "chauffeur de bus",
    "professeur de mathématiques",
    "agricultrice",
    "retraitée de la poste",
    "électricien",
)
_TOBACCO_YES = ("je fume un paquet par jour", "je fume une dizaine de cigarettes par jour")
_ALCOHOL_YES = ("je bois un verre de vin le soir", "je bois une bière de temps en temps")
TOBACCO_NEGATED = ["sevre", "sevree", "ancien fumeur", "ancienne fumeuse", "ex fumeur"]
TOBACCO_FORMS = [["tabac", "tabagisme", "tabagique", "fume", "fumeur", "fumeuse", "cigarettes"]]
ALCOHOL_FORMS = [["alcool", "alcoolique", "boit", "vin", "biere", "ethylisme", "ethylique"]]
ALLERGY_FORMS = [["allergie", "allergies", "allergique"]]
SELF_CONTRADICTION = ("allergy", "tobacco", "alcohol")


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
    female = case.patient.person.sex == "F"
    motif = plain(clinical.condition.motif)
    ask("reason")
    answer("reason", f"je viens pour {motif}")
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
    answer("age", f"j'ai {case.age} ans")
    facts.append(_fact("age", "personal", "age", f"{case.age} ans", "affirmed",
                       [[str(case.age)], ["ans"]]))  # fmt: skip
    profession = rng.choice(PROFESSIONS)
    ask("profession")
    answer("profession", f"je suis {profession}")
    facts.append(_fact("profession", "personal", "profession", profession, "affirmed",
                       [[profession]]))  # fmt: skip
    ask("history")
    past = [plain(c.name) for c in clinical.comorbidities]
    operations = [plain(s.event) for s in clinical.surgeries]
    if past or operations:
        said = [f"comme problèmes de santé, j'ai : {', '.join(past)}"] if past else []
        said += (
            [f"on m'a opéré{'e' if female else ''} : {', '.join(operations)}"] if operations else []
        )
        answer("history", " ; ".join(said))
        for number, name in enumerate(past):
            facts.append(_fact(f"history_{number}", "history", "illness", name, "affirmed",
                               [[_clause_head(name)]]))  # fmt: skip
        for number, name in enumerate(operations):
            facts.append(_fact(f"surgery_{number}", "history", "surgery", name, "affirmed",
                               [[_clause_head(name)]]))  # fmt: skip
    else:
        answer("history", "non, rien de particulier")
    drugs = [c.drug for c in clinical.comorbidities if c.drug is not None]
    ask("treatment")
    if drugs:
        answer(
            "treatment",
            "je prends " + " et ".join(f"{_partitive(d.name)} {d.strength}" for d in drugs),
        )
        for number, drug in enumerate(drugs):
            text = f"{drug.name} {drug.strength}"
            facts.append(_fact(f"drug_{number}", "treatment", "type", text, "affirmed",
                               [[drug.name]]))  # fmt: skip
    else:
        answer("treatment", "non, je ne prends aucun traitement")
        facts.append(_fact("treatment", "treatment", "type", "pas de traitement", "negated",
                           [["traitement", "medicament", "medicaments"]]))  # fmt: skip

    allergies = [plain(a).split(" (")[0] for a in clinical.allergies]
    smoker, drinker = rng.random() < 0.4, rng.random() < 0.5
    smoker = smoker and not any("tabagisme" in name for name in past)  # « sevré »: not now
    truth = {
        "allergy": ("je suis allergique : " + " et ".join(allergies))
        if allergies
        else "non, je n'ai pas d'allergie",
        "tobacco": rng.choice(_TOBACCO_YES) if smoker else "non, je ne fume pas",
        "alcohol": rng.choice(_ALCOHOL_YES) if drinker else "non, je ne bois pas d'alcool",
    }
    wrong = {
        "allergy": "non, pas d'allergie" if allergies else "oui, je suis allergique, je crois",
        "tobacco": "non, je ne fume pas" if smoker else "oui, je fume",
        "alcohol": "non, jamais" if drinker else "oui, je bois un peu",
    }
    recap = {
        "allergy": "pas d'allergie" if allergies else "une allergie",
        "tobacco": "pas de tabac" if smoker else "vous fumez",
        "alcohol": "pas d'alcool" if drinker else "un peu d'alcool",
    }
    contradicted = SELF_CONTRADICTION[index % len(SELF_CONTRADICTION)]
    for slot in ("allergy", "tobacco", "alcohol"):
        ask(slot)
        answer(slot, wrong[slot] if slot == contradicted else truth[slot])
    ask("recap", recap=recap[contradicted])
    turns.append({"speaker": "patient", "slot": "recap",
                  "text": f"Ah non, pardon, je me suis trompé{'e' if female else ''} : "
                          f"{truth[contradicted]}."})  # fmt: skip
    if allergies:
        for number, name in enumerate(allergies):
            facts.append(_fact(f"allergy_{number}", "history", "allergy", f"allergie : {name}",
                               "affirmed", [[name]]))  # fmt: skip
    else:
        facts.append(_fact("allergy", "history", "allergy", "pas d'allergie connue", "negated",
                           ALLERGY_FORMS))  # fmt: skip
    facts.append(_fact("tobacco", "lifestyle", "addictions",
                       "fumeur" if smoker else "non-fumeur", "affirmed" if smoker else "negated",
                       TOBACCO_FORMS, TOBACCO_NEGATED))  # fmt: skip
    facts.append(_fact("alcohol", "lifestyle", "addictions",
                       "consomme de l'alcool" if drinker else "pas d'alcool",
                       "affirmed" if drinker else "negated", ALCOHOL_FORMS))  # fmt: skip
    ask("close")
    answer("close", "d'accord")
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
