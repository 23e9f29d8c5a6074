"""Derive the facts the patient stated in each LabForSims2 dialogue (CC BY-SA 4.0, as the corpus).

    python scripts/labforsims2_facts.py --data-dir ../shared/data            # write
    python scripts/labforsims2_facts.py --data-dir ../shared/data --check    # verify

writes, in ``tasks/consultation/labforsims2_note/``:

- ``facts.jsonl``: one line a dialogue, ``{"id": "InterneNN", "facts": [fact, …]}``, a fact being
  ``{"id", "topic", "subtopic", "key", "text", "polarity", "forms", "negated_forms", "turn",
  "answer", "derivation"}``;
- ``code_fixes.jsonl``: the patient answers whose turn code fits none of their facts
  (``_miscoded``), with the code's topic and the ones the facts give: the noisy codes of the
  MANIFEST, fixed (each fact takes its concept's topic, never the turn's code);
- ``facts_summary.json``: the counts the README quotes.

**Procedure.** The corpus has one standardised patient, so what she can say is a finite list:
``CONCEPTS`` below, written by hand from reading every answer (topic, sub-topic, the text of the
fact, the forms a note may use, and a trigger: a regular expression on the folded answer). Each
patient answer (``text.fold``, ’ read as ') is then read by code:

1. every concept whose trigger matches the answer is a fact of the answer. A value concept
   (age, profession, a surgery…) is ``affirmed``; a yes/no concept (smoking, diabetes, fever…)
   takes the polarity with which the answer mentions it, by the family's own rule
   (``consultation.scoring.mentions``): the last clause's that mentions it (negated when that
   clause mentions it both ways), a one- or two-token clause followed by a clause opening
   with « non » being negated (« Lithiase, non je ne souffre pas de ça »); else « non »
   opening the answer makes it negated;
2. an answer that is only « oui »/« non » (with « bah », « euh », « docteur »…; at most 6
   tokens) and that triggers no concept takes the yes/no concepts the doctor's question
   triggers, with that polarity; a « oui » to a negative question (« vous n'avez pas de
   fièvre ? ») is ambiguous and gives nothing;
3. in a dialogue a concept is one fact: its first answer, unless a later answer gives it the
   other polarity (she sometimes corrects herself): then the later one; a concept whose
   ``unless`` concept is also stated is dropped (« pas de traitement » beside « du
   paracétamol de temps en temps »);
4. ``OVERRIDES`` (by hand, each with its reason) then change or drop a fact the rules got
   wrong, and ``HAND_FACTS`` add the facts no rule derives; both count as derived by hand.

An answer with at least one fact is *informative*; the others (« Bonjour », « D'accord »,
« je ne sais pas », or content no concept covers) are counted in the summary.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from partages_bench.data import load_splits  # noqa: E402
from partages_bench.families.consultation.scoring import (  # noqa: E402
    AFFIRMED,
    NEGATED,
    clauses,
    mentions,
)
from partages_bench.text import fold  # noqa: E402

OUT = ROOT / "tasks" / "consultation" / "labforsims2_note"


@dataclass(frozen=True)
class Concept:
    key: str
    topic: str
    subtopic: str | None
    text: str  # the fact, affirmed
    trigger: str
    forms: list[list[str]]
    polar: bool = False
    negated_text: str = ""
    negated_forms: list[str] = field(default_factory=list)
    unless: tuple[str, ...] = ()


C = Concept
CONCEPTS = [
    # personal
    C("age", "personal", "age", "42 ans", r"\b42 ans", [["42"], ["ans", "an"]]),
    C(
        "children_two",
        "personal",
        "children",
        "2 enfants",
        r"\b(2|deux) enfants|mes deux enfants",
        [["2", "deux"], ["enfant", "enfants"]],
    ),
    C(
        "children_ages_7_9",
        "personal",
        "children",
        "enfants de 7 et 9 ans",
        r"\b7 et 9 ans",
        [["7"], ["9"]],
    ),
    C(
        "children_ages_12_7",
        "personal",
        "children",
        "enfants de 12 et 7 ans",
        r"douze ans et sept ans",
        [["12", "douze"], ["7", "sept"]],
    ),
    C(
        "youngest_child_7",
        "history",
        "pregnancy",
        "dernier enfant : 7 ans",
        r"il a 7 ans|^7 ans",
        [["7 ans"]],
    ),
    C(
        "profession",
        "personal",
        "profession",
        "enseignante en école maternelle",
        r"enseignante|maternelle",
        [["enseignante", "institutrice", "professeure", "professeur", "maternelle", "educatrice"]],
    ),
    C(
        "married",
        "personal",
        "marital_status",
        "mariée",
        r"\bmari\b",
        [["mariee", "mari", "conjoint", "epoux", "en couple"]],
    ),
    C("city", "personal", "address", "habite Gif-sur-Yvette", r"\bgif", [["gif"]]),
    C("apartment", "lifestyle", "housing", "vit en appartement", r"appartement", [["appartement"]]),
    C("name_marguerite", "personal", "name", "Madame Marguerite", r"marguerite", [["marguerite"]]),
    C(
        "name_labforsims",
        "personal",
        "name",
        "Simone Labforsims",
        r"labforsims",
        [["labforsims"]],
    ),
    C(
        "origin_italian",
        "personal",
        "origin",
        "père d'origine italienne",
        r"italien",
        [["italienne", "italien", "italie"]],
    ),
    # lifestyle
    C(
        "tobacco",
        "lifestyle",
        "addictions",
        "fume",
        r"\bfum|tabac|cigarett",
        [
            [
                "tabac",
                "tabagisme",
                "tabagique",
                "fume",
                "fumeuse",
                "fumeur",
                "fumer",
                "cigarette",
                "cigarettes",
            ]
        ],
        polar=True,
        negated_text="non-fumeuse",
    ),
    C(
        "alcohol",
        "lifestyle",
        "addictions",
        "boit de l'alcool (occasionnellement)",
        r"\balcool|\bbois\b|\bboi[st]\b|aperitif",
        [
            [
                "alcool",
                "alcoolique",
                "alcoolisme",
                "ethylisme",
                "ethylique",
                "boit",
                "bois",
                "boire",
                "aperitif",
                "aperitifs",
                "ethylo",
                "oh",
            ]
        ],
        polar=True,
        negated_text="ne boit pas d'alcool",
    ),
    C(
        "alcohol_monthly",
        "lifestyle",
        "addictions",
        "un apéritif environ une fois par mois",
        r"une fois par mois",
        [
            [
                "mois",
                "mensuel",
                "mensuelle",
                "occasionnel",
                "occasionnelle",
                "occasionnellement",
                "rarement",
                "episodique",
            ]
        ],
    ),
    C(
        "drugs",
        "lifestyle",
        "addictions",
        "drogues",
        r"drogue|dependance",
        [
            [
                "drogue",
                "drogues",
                "toxicomanie",
                "stupefiants",
                "dependance",
                "dependances",
                "addiction",
                "addictions",
            ]
        ],
        polar=True,
        negated_text="pas de drogue ni de dépendance",
    ),
    C(
        "sport",
        "lifestyle",
        "sport",
        "fait du sport",
        r"\bsport",
        [["sport", "sportive", "sportif", "activite physique"]],
        polar=True,
        negated_text="pas d'activité sportive",
    ),
    C(
        "travel",
        "lifestyle",
        "travel",
        "voyage récent",
        r"voyag|avion|\bpartie?\b",
        [["voyage", "voyages", "avion", "sejour"]],
        polar=True,
        negated_text="pas de voyage récent",
    ),
    # treatment
    C(
        "paracetamol_occasional",
        "treatment",
        "how_taken",
        "paracétamol de temps en temps",
        r"paracetamol (de temps en temps|quand)|(des fois|juste).{0,30}paracetamol"
        r"|paracetamol de temps",
        [["paracetamol", "doliprane", "dafalgan", "efferalgan"]],
    ),
    C(
        "doliprane_two",
        "treatment",
        "how_taken",
        "2 comprimés de paracétamol (Doliprane) hier soir",
        r"\b(2|deux) (comprimes de )?(doliprane|paracetamol)",
        [["2", "deux"], ["doliprane", "dolipranes", "paracetamol", "dafalgan", "efferalgan"]],
    ),
    C(
        "doliprane_relief",
        "treatment",
        "how_taken",
        "soulagement partiel par le paracétamol",
        r"(doliprane|paracetamol).{0,60}(mieux|ameliore|calme)|(calmee|ameliore).{0,40}doliprane",
        [
            ["doliprane", "paracetamol", "antalgique", "antalgiques"],
            [
                "mieux",
                "ameliore",
                "amelioree",
                "amelioration",
                "calmee",
                "soulagee",
                "soulagement",
                "partiel",
                "partielle",
                "partiellement",
                "efficace",
            ],
        ],
    ),
    C(
        "regular_treatment",
        "treatment",
        "type",
        "prend un traitement",
        r"(pas|sous) (de |d'autres? )?(traitement|medicament)"
        r"|prends pas (beaucoup|trop) de medicament",
        [["traitement", "medicament", "medicaments"]],
        polar=True,
        negated_text="pas de traitement au long cours",
        unless=("paracetamol_occasional",),
    ),
    C(
        "ibuprofen",
        "treatment",
        "type",
        "ibuprofène / anti-inflammatoire",
        r"ibuprofene|anti-inflammatoire|aspirine",
        [["ibuprofene", "anti inflammatoire", "anti inflammatoires", "ains", "aspirine", "advil"]],
        polar=True,
        negated_text="pas d'anti-inflammatoire ni d'aspirine",
    ),
    # history
    C(
        "wisdom_teeth",
        "history",
        "surgery",
        "opérée des dents de sagesse",
        r"dents de sagesse",
        [["dents de sagesse", "dent de sagesse"]],
    ),
    C(
        "caesarean",
        "history",
        "surgery",
        "une césarienne (deuxième enfant)",
        r"cesarienne",
        [["cesarienne"]],
    ),
    C(
        "vaginal_delivery",
        "history",
        "pregnancy",
        "un accouchement par voie basse",
        r"voie basse",
        [["voie basse", "voie vaginale"]],
    ),
    C(
        "miscarriage",
        "history",
        "pregnancy",
        "une fausse couche",
        r"fausse couche",
        [["fausse couche", "fausses couches", "fcs"]],
    ),
    C(
        "three_pregnancies",
        "history",
        "pregnancy",
        "trois grossesses",
        r"trois grossesses",
        [["3", "trois", "g3"], ["grossesses", "grossesse", "g3"]],
    ),
    C(
        "iud",
        "history",
        "contraception",
        "stérilet (hormonal)",
        r"sterilet",
        [["sterilet", "diu", "dispositif intra uterin"]],
    ),
    C(
        "no_periods",
        "history",
        "contraception",
        "n'a pas de règles",
        r"pas de regles",
        [["regles", "menstruations"]],
        polar=True,
        negated_text="pas de règles (stérilet hormonal)",
        negated_forms=["amenorrhee"],
    ),
    C(
        "pollen_allergy",
        "history",
        "allergy",
        "allergie au pollen",
        r"pollen",
        [["pollen", "pollens", "rhinite allergique", "rhume des foins"]],
    ),
    C(
        "allergy",
        "history",
        "allergy",
        "allergies",
        r"allergi",
        [["allergie", "allergies", "allergique"]],
        polar=True,
        negated_text="pas d'allergie",
        unless=("pollen_allergy",),
    ),
    C(
        "diabetes",
        "history",
        "illness",
        "diabète",
        r"diabet",
        [["diabete", "diabetique"]],
        polar=True,
        negated_text="pas de diabète",
    ),
    C(
        "hypertension",
        "history",
        "illness",
        "hypertension",
        r"hypertension|\btension\b",
        [["hypertension", "hta", "hypertendue", "tension"]],
        polar=True,
        negated_text="pas d'hypertension",
    ),
    C(
        "cholesterol",
        "history",
        "illness",
        "cholestérol",
        r"cholesterol",
        [["cholesterol", "hypercholesterolemie", "dyslipidemie"]],
        polar=True,
        negated_text="pas de cholestérol",
    ),
    C(
        "ulcer",
        "history",
        "illness",
        "ulcère",
        r"ulcere",
        [["ulcere"]],
        polar=True,
        negated_text="pas d'ulcère",
    ),
    C(
        "gallstones",
        "history",
        "illness",
        "lithiase biliaire",
        r"lithiase|vesicule",
        [["lithiase", "calculs", "calcul", "vesicule"]],
        polar=True,
        negated_text="pas de lithiase connue",
    ),
    C(
        "cardiovascular",
        "history",
        "illness",
        "antécédents cardio-vasculaires",
        r"cardio|insuffisance veineuse",
        [
            [
                "cardio vasculaire",
                "cardiovasculaire",
                "cardiovasculaires",
                "cardio vasculaires",
                "insuffisance veineuse",
            ]
        ],
        polar=True,
        negated_text="pas d'antécédent cardio-vasculaire",
    ),
    C(
        "previous_episode",
        "history",
        "illness",
        "épisode semblable moins fort il y a 2-3 mois (chez sa sœur), passé tout seul",
        r"(2|3)(-| a )(3 )?mois|il y a 3 mois|quelques temps|deja eu (un peu )?(mal|la meme)"
        r"|douleurs un peu comme ca|un peu mal comme ca|un peu la meme chose",
        [
            [
                "episode",
                "episodes",
                "deja",
                "similaire",
                "similaires",
                "semblable",
                "comparable",
                "mois",
                "precedent",
                "precedente",
                "moins intense",
                "moins fort",
                "moins forte",
            ]
        ],
    ),
    C(
        "previous_episode_resolved",
        "history",
        "illness",
        "l'épisode précédent est passé tout seul en quelques minutes",
        r"passe tout seul|passe tres vite|en quelques minutes",
        [
            [
                "spontanement",
                "spontanee",
                "tout seul",
                "toute seule",
                "quelques minutes",
                "rapidement",
                "bref",
                "breve",
            ]
        ],
    ),
    C(
        "grandmother_mi",
        "history",
        "family",
        "grand-mère : infarctus (à 87 ans)",
        r"grand-mere.{0,20}infarctus",
        [["grand mere", "grand maternelle", "grand paternelle"], ["infarctus", "idm"]],
    ),
    C(
        "grandmother_87",
        "history",
        "family",
        "grand-mère : infarctus à 87 ans",
        r"\b87 ans",
        [["87"]],
    ),
    C(
        "father_colon_cancer",
        "history",
        "family",
        "père : cancer du côlon à 70 ans",
        r"cancer du colon",
        [
            ["cancer", "neoplasie", "adenocarcinome", "neoplasique"],
            ["colon", "colique", "colorectal", "colorectale"],
        ],
    ),
    C(
        "father_mi",
        "history",
        "family",
        "père : infarctus l'année dernière",
        r"pere.{0,80}infarctus",
        [["pere"], ["infarctus", "idm"]],
    ),
    C(
        "diet",
        "history",
        "diet",
        "suit un régime",
        r"regime",
        [["regime"]],
        polar=True,
        negated_text="pas de régime",
    ),
    C(
        "gynaecologist",
        "history",
        "exams",
        "suivi gynécologique annuel",
        r"gynecolog",
        [["gynecologue", "gynecologique", "gyneco"]],
    ),
    # present illness
    C(
        "abdominal_pain",
        "reason",
        None,
        "douleur abdominale (mal au ventre)",
        r"mal au ventre|mal au niveau du ventre|mal ici|douleur",
        [
            ["douleur", "douleurs", "mal", "algie", "epigastralgie", "epigastralgies"],
            [
                "ventre",
                "abdominale",
                "abdominales",
                "abdomen",
                "epigastrique",
                "epigastralgie",
                "epigastralgies",
                "epigastre",
            ],
        ],
    ),
    C(
        "onset_yesterday_evening",
        "present_illness",
        "onset",
        "début hier soir",
        r"hier soir",
        [
            [
                "hier soir",
                "veille au soir",
                "la veille",
                "hier",
                "depuis hier",
                "j 1",
                "22 h",
                "22 heures",
            ]
        ],
    ),
    C(
        "sudden_onset",
        "present_illness",
        "onset",
        "début brutal",
        r"d'un (seul )?coup|brutal",
        [
            [
                "brutal",
                "brutale",
                "brutalement",
                "soudain",
                "soudaine",
                "soudainement",
                "subit",
                "subite",
                "d un coup",
                "d un seul coup",
            ]
        ],
    ),
    C(
        "watching_tv",
        "present_illness",
        "trigger",
        "devant la télévision",
        r"\btele",
        [["tele", "television", "televiseur", "repos"]],
    ),
    C(
        "after_meal",
        "present_illness",
        "trigger",
        "après le repas du soir",
        r"(avais|venais de|deja) mange|apres (le )?(repas|manger)|heures apres",
        [
            [
                "repas",
                "mange",
                "manger",
                "postprandial",
                "postprandiale",
                "post prandial",
                "post prandiale",
                "diner",
            ]
        ],
    ),
    C("pizza", "present_illness", "trigger", "a mangé des pizzas", r"pizza", [["pizza", "pizzas"]]),
    C(
        "hours_after_meal",
        "present_illness",
        "trigger",
        "1 à 2 heures après le repas",
        r"(1|une) (ou|a|et) (2|deux) heures|2 heures apres",
        [
            [
                "1 a 2",
                "1 2 h",
                "2 h",
                "2 heures",
                "deux heures",
                "1 ou 2",
                "une a deux",
                "1 2 heures",
            ]
        ],
    ),
    C(
        "epigastric",
        "present_illness",
        "location",
        "épigastrique, juste sous le sternum",
        r"sternum|haut du ventre|\ben haut\b|estomac",
        [
            [
                "estomac",
                "epigastrique",
                "epigastre",
                "epigastralgie",
                "epigastralgies",
                "sous le sternum",
                "sous sternale",
                "retrosternale",
                "sus ombilical",
                "sus ombilicale",
                "haut du ventre",
                "creux epigastrique",
                "abdomen superieur",
            ]
        ],
    ),
    C(
        "radiates_right",
        "present_illness",
        "location",
        "irradie vers la droite",
        r"droite|cote droit",
        [["droite", "droit", "hypochondre droit", "hcd"]],
    ),
    C(
        "belt_radiation",
        "present_illness",
        "location",
        "irradiation en ceinture",
        r"ceinture",
        [["ceinture", "transfixiante"]],
    ),
    C(
        "back_pain",
        "present_illness",
        "location",
        "irradiation dans le dos",
        r"\bdos\b",
        [["dos", "dorsale", "lombaire", "lombaires"]],
        polar=True,
        negated_text="pas d'irradiation dans le dos",
    ),
    C(
        "tightening",
        "present_illness",
        "kind_of_pain",
        "à type de serrement",
        r"\bserre",
        [["serre", "serrement", "constrictive", "oppressante", "oppression", "etau"]],
    ),
    C(
        "stabbing",
        "present_illness",
        "kind_of_pain",
        "en coup de poignard",
        r"poignard",
        [["poignard", "coup de couteau", "transfixiante", "broiement"]],
    ),
    C(
        "intensity_8",
        "present_illness",
        "description",
        "8/10 au début",
        r"\b8 sur 10|8-|huit sur dix",
        [["8 10", "8 sur 10", "8 9 10", "8 9", "huit sur dix"]],
    ),
    C(
        "intensity_now_3_4",
        "present_illness",
        "description",
        "3-4/10 maintenant",
        r"3-4|3 a 4 sur|3 ou 4|quatre sur dix",
        [["3 4", "3 a 4", "3 10", "4 10", "3 ou 4", "quatre sur dix", "4 sur 10"]],
    ),
    C(
        "very_intense",
        "present_illness",
        "description",
        "très intense au début (comme un accouchement)",
        r"tres fort|tres intense|tres, tres mal|tres mal|comme ca, sauf|accouche",
        [["intense", "intensite", "forte", "fort", "violente", "violent", "severe", "importante"]],
    ),
    C(
        "improving",
        "present_illness",
        "change",
        "moins mal aujourd'hui, douleur toujours présente",
        r"moins mal|moins fort|ca va (un peu )?mieux|plutot un fond|toujours presente|sens mieux",
        [
            [
                "moins",
                "diminution",
                "diminuee",
                "amelioration",
                "amelioree",
                "mieux",
                "attenuee",
                "persiste",
                "persistante",
                "toujours presente",
                "fond douloureux",
                "persistance",
            ]
        ],
    ),
    C(
        "lasted_two_hours",
        "present_illness",
        "course",
        "a duré 2 heures",
        r"2 bonnes heures",
        [["2 h", "2 heures", "deux heures", "2 bonnes heures"]],
    ),
    C(
        "woke_sleep",
        "present_illness",
        "description",
        "l'a empêchée de dormir",
        r"dormir|dormi",
        [["dormir", "sommeil", "insomniante", "nuit", "insomnie"]],
    ),
    C(
        "worse_breathing",
        "present_illness",
        "trigger",
        "aggravée par la respiration profonde",
        r"respir.{0,40}(plus mal|fait plus|fort)|(coupe|coupee) la respiration",
        [
            [
                "respiration",
                "inspiration",
                "respire",
                "respirer",
                "inspirer",
                "respiratoire",
                "inspiratoire",
            ]
        ],
    ),
    C(
        "better_lying_side",
        "present_illness",
        "course",
        "soulagée couchée sur le côté",
        r"(mets|mis|mettre) (un peu )?sur le cote",
        [["sur le cote", "decubitus lateral", "position"]],
    ),
    C(
        "shoulder_radiation",
        "present_illness",
        "location",
        "irradiation vers l'épaule",
        r"epaule",
        [["epaule", "epaules", "scapulaire", "scapula"]],
    ),
    C(
        "worsening",
        "present_illness",
        "change",
        "aggravation, de plus en plus mal",
        r"de plus en plus",
        [["aggravation", "aggravee", "aggrave", "de plus en plus", "majoration", "majoree"]],
    ),
    C(
        "family_history",
        "history",
        "family",
        "antécédents familiaux",
        r"(?!)",  # by hand only: « rien dans ma famille » beside a grandmother's infarction
        [["familiaux", "familial", "familiale", "famille"]],
        polar=True,
        negated_text="pas d'antécédent familial particulier",
    ),
    C(
        "fever",
        "present_illness",
        "fever",
        "se sentait fiévreuse (température non prise)",
        r"fievr",
        [["fievre", "febrile", "fievreuse", "hyperthermie", "febricule", "febricule"]],
        polar=True,
        negated_text="pas de fièvre",
        negated_forms=["apyretique", "apyrexie"],
    ),
    C(
        "chills",
        "present_illness",
        "fever",
        "frissons (a froid)",
        r"frisson|j'ai froid",
        [["frissons", "frisson", "froid"]],
        polar=True,
        negated_text="pas de frissons",
    ),
    C(
        "sweats",
        "present_illness",
        "other",
        "sueurs",
        r"sueur",
        [["sueurs", "sueur"]],
        polar=True,
        negated_text="pas de sueurs",
    ),
    C(
        "malaise",
        "present_illness",
        "other",
        "malaise",
        r"malaise",
        [["malaise"]],
        polar=True,
        negated_text="pas de malaise",
    ),
    C(
        "vomiting",
        "present_illness",
        "description",
        "vomissements",
        r"\bvomi\b|vomissement|vomit",
        [["vomi", "vomissement", "vomissements", "vomit"]],
        polar=True,
        negated_text="pas de vomissements",
    ),
    C(
        "nausea",
        "present_illness",
        "description",
        "nausées",
        r"nausee|envie de vomir",
        [["nausee", "nausees", "nauseeuse", "envie de vomir", "nauseux"]],
        polar=True,
        negated_text="pas de nausées",
    ),
    C(
        "diarrhoea",
        "present_illness",
        "description",
        "diarrhée",
        r"diarrhee",
        [["diarrhee", "diarrhees"]],
        polar=True,
        negated_text="pas de diarrhée",
    ),
    C(
        "constipation",
        "present_illness",
        "description",
        "un peu constipée d'habitude",
        r"constip",
        [["constipation", "constipee", "constipe"]],
        polar=True,
        negated_text="pas de constipation",
    ),
    C(
        "transit_normal",
        "present_illness",
        "description",
        "transit normal",
        r"transit, ca va|transit.{0,20}normal|fonctionne plutot normalement",
        [["transit"]],
    ),
    C(
        "jaundice",
        "present_illness",
        "description",
        "jaunisse",
        r"jaunisse|jaune",
        [["jaunisse", "ictere", "subictere", "jaune"]],
        polar=True,
        negated_text="pas de jaunisse",
    ),
    C(
        "dark_urine",
        "present_illness",
        "description",
        "urines foncées",
        r"urines|foncees",
        [["urines", "urine"], ["foncees", "foncee", "fonces"]],
        polar=True,
        negated_text="pas d'urines foncées",
    ),
    C(
        "pale_stools",
        "present_illness",
        "description",
        "selles décolorées",
        r"decolor",
        [["selles"], ["decolorees", "decoloree", "decolore", "decolores", "claires"]],
        polar=True,
        negated_text="pas de selles décolorées",
    ),
    C(
        "black_or_bloody_stools",
        "present_illness",
        "description",
        "selles noires ou sanglantes",
        r"selles.{0,30}(noires|sang)|sang dans les selles|remarque du sang",
        [
            ["selles", "melena", "rectorragie", "rectorragies"],
            ["noires", "noire", "sang", "sanglantes", "melena", "rectorragie", "rectorragies"],
        ],
        polar=True,
        negated_text="pas de sang dans les selles",
    ),
    C(
        "reflux",
        "present_illness",
        "other",
        "reflux",
        r"reflux|remontee|\brgo\b|brule",
        [["reflux", "rgo", "remontees", "remontee", "pyrosis", "brulures"]],
        polar=True,
        negated_text="pas de reflux",
    ),
    C(
        "cough",
        "present_illness",
        "other",
        "toux",
        r"touss|\btoux",
        [["toux", "tousse"]],
        polar=True,
        negated_text="pas de toux",
    ),
    C(
        "dyspnoea",
        "present_illness",
        "other",
        "essoufflement",
        r"essouffl|souffle court|du mal a respirer|difficultes? a respirer|dyspnee",
        [
            [
                "dyspnee",
                "essoufflement",
                "essoufflee",
                "souffle court",
                "difficulte respiratoire",
                "difficultes respiratoires",
            ]
        ],
        polar=True,
        negated_text="pas d'essoufflement",
    ),
    C(
        "palpitations",
        "present_illness",
        "other",
        "palpitations",
        r"palpitation",
        [["palpitations", "palpitation"]],
        polar=True,
        negated_text="pas de palpitations",
    ),
    C(
        "headache",
        "present_illness",
        "other",
        "céphalées",
        r"mal a la tete|cephal",
        [["cephalees", "cephalee", "mal a la tete", "maux de tete"]],
        polar=True,
        negated_text="pas de céphalées",
    ),
    C(
        "urinary_pain",
        "present_illness",
        "other",
        "brûlures mictionnelles",
        r"miction",
        [["miction", "mictionnelle", "mictionnelles", "urinaire", "urinaires"]],
        polar=True,
        negated_text="pas de signe urinaire",
    ),
    C(
        "other_pain",
        "present_illness",
        "location",
        "douleur ailleurs",
        r"mal autre part|autres? douleurs?|autre endroit",
        [["ailleurs", "autre douleur", "autres douleurs", "autre localisation"]],
        polar=True,
        negated_text="pas d'autre douleur",
    ),
]
BY_KEY = {concept.key: concept for concept in CONCEPTS}
assert len(BY_KEY) == len(CONCEPTS)

# Hand corrections: (turn, concept) → the right polarity, or None to drop what the rules derived.
OVERRIDES: dict[tuple[str, str], tuple[str | None, str]] = {
    ("p010400011", "hypertension"): (NEGATED, "« la tension, tout ça, c'est bien »: normal"),
    ("p040600020", "gallstones"): (None, "a guess read on the internet, not a history"),
}
# Facts no rule derives: dialogue id → [(turn, concept key, polarity, reason)].
HAND_FACTS: dict[str, list[tuple[str, str, str, str]]] = {
    "Interne01": [
        ("p010400614", "family_history", NEGATED, "« rien de particulier dans ma famille »"),
        ("p010200019", "alcohol", AFFIRMED, "apéritifs « de manière très, très épisodique »"),
    ],
    "Interne17": [
        ("p170500417", "dark_urine", NEGATED, "urine colour: « rien remarqué de particulier »"),
    ],
    "Interne18": [("p180300025", "doliprane_relief", AFFIRMED, "« un peu mais pas complètement »")],
    "Interne22": [
        ("p220500412", "dark_urine", NEGATED, "urine colour: « rien remarqué de particulier »"),
    ],
    "Interne28": [("p280500616", "doliprane_relief", AFFIRMED, "« un peu mais pas complètement »")],
    "Interne32": [("p320500616", "doliprane_relief", AFFIRMED, "« un peu mais pas complètement »")],
    "Interne41": [("p410200221", "sport", NEGATED, "sport: « je n'en fais pas »")],
}

_YES_NO = re.compile(r"^(?:(?:bah|euh|ben|eh|alors)\s+)*(non|oui|ouais|si)\b")
_NEGATIVE_QUESTION = re.compile(r"\bpas\b|\bn'|\bne\b")


def _folded(text: str) -> str:
    return fold(text).replace("’", "'")


def _fact(concept: Concept, polarity: str) -> dict[str, Any]:
    return {
        "key": concept.key,
        "topic": concept.topic,
        "subtopic": concept.subtopic,
        "text": concept.negated_text if polarity == NEGATED else concept.text,
        "polarity": polarity,
        "forms": concept.forms,
        "negated_forms": concept.negated_forms,
    }


def _polarity_in_answer(concept: Concept, answer: str, opens_with: str | None) -> str:
    """Polarity of a yes/no concept the answer names (procedure, step 1)."""
    if not concept.polar:
        return AFFIRMED
    probe = _fact(concept, AFFIRMED) | {"id": concept.key}
    found = None
    pieces = clauses(answer)
    for index, clause in enumerate(pieces):
        seen = mentions(" ".join(clause), probe)
        if seen:
            found = NEGATED if NEGATED in seen else AFFIRMED
            # « Lithiase, non je ne souffre pas de ça »: a bare name answered by « non »
            following = pieces[index + 1] if index + 1 < len(pieces) else []
            if len(clause) <= 2 and following[:1] == ["non"]:
                found = NEGATED
    if found is not None:
        return found
    return NEGATED if opens_with == "non" else AFFIRMED


def derive_answer(question: str, answer: str) -> tuple[list[tuple[Concept, str]], str]:
    """The (concept, polarity) pairs one answer states, and how (``answer``, ``question``,
    ``ambiguous`` or ``none``)."""
    folded = _folded(answer)
    opening = _YES_NO.match(folded)
    opens_with = "non" if opening and opening.group(1) == "non" else None
    named = [c for c in CONCEPTS if re.search(c.trigger, folded)]
    if named:
        return [(c, _polarity_in_answer(c, answer, opens_with)) for c in named], "answer"
    tokens = re.findall(r"[^\W\d_]+", folded)
    if opening and len(tokens) <= 6:
        folded_question = _folded(question)
        asked = [c for c in CONCEPTS if c.polar and re.search(c.trigger, folded_question)]
        if not asked:
            return [], "none"
        negative = opening.group(1) == "non"
        if not negative and _NEGATIVE_QUESTION.search(folded_question):
            return [], "ambiguous"
        return [(c, NEGATED if negative else AFFIRMED) for c in asked], "question"
    return [], "none"


def _miscoded(turn: dict[str, Any], kept: list[Concept]) -> bool:
    """Whether the answer's code fits none of its facts: no fact of the coded topic (the
    generic « douleur abdominale » left aside), or, for a personal sub-topic (age, name,
    profession…: one value each), no fact of that sub-topic. Category 06 (unknown) is not a
    code to fix but a lack of one."""
    specific = [c for c in kept if c.key != "abdominal_pain"]
    if not specific or turn["topic"] == "unknown":
        return False
    if turn["topic"] == "personal" and turn["subtopic"] is not None:
        return not any((c.topic, c.subtopic) == ("personal", turn["subtopic"]) for c in specific)
    return not any(c.topic == turn["topic"] for c in specific)


def derive(
    records: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Facts per dialogue, code fixes and the summary (procedure in the module docstring)."""
    out, fixes = [], []
    how: Counter[str] = Counter()
    informative = answers = 0
    by_derivation: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    for record in records:
        facts: dict[str, dict[str, Any]] = {}
        turns = record["turns"]
        for index, turn in enumerate(turns):
            if turn["speaker"] != "patient":
                continue
            answers += 1
            question = (
                turns[index - 1]["text"]
                if index and turns[index - 1]["speaker"] == "doctor"
                else ""
            )
            stated, way = derive_answer(question, turn["text"])
            how[way] += 1
            kept = []
            for concept, polarity in stated:
                override = OVERRIDES.get((turn["code"], concept.key))
                if override is not None:
                    if override[0] is None:
                        continue
                    polarity = override[0]
                kept.append(concept)
                fact = _fact(concept, polarity) | {
                    "turn": turn["code"],
                    "answer": turn["text"],
                    "derivation": "hand" if override is not None else "code",
                }
                first = facts.get(concept.key)
                if first is None or first["polarity"] != fact["polarity"]:
                    facts[concept.key] = fact
            informative += bool(kept)
            if _miscoded(turn, kept) and not any(f["turn"] == turn["code"] for f in fixes):
                fixes.append(
                    {
                        "turn": turn["code"],
                        "answer": turn["text"],
                        "coded": f"{turn['topic']}/{turn['subtopic']}",
                        "fixed": sorted({f"{c.topic}/{c.subtopic}" for c in kept}),
                    }
                )
        for turn_code, key, polarity, _reason in HAND_FACTS.get(record["id"], []):
            facts[key] = _fact(BY_KEY[key], polarity) | {
                "turn": turn_code,
                "answer": next(t["text"] for t in turns if t["code"] == turn_code),
                "derivation": "hand",
            }
        kept_facts = [
            f for f in facts.values() if not any(u in facts for u in BY_KEY[f["key"]].unless)
        ]
        kept_facts.sort(key=lambda f: [t["code"] for t in turns].index(f["turn"]))
        for number, fact in enumerate(kept_facts, start=1):
            fact["id"] = f"{record['id']}-f{number:02d}"
            by_derivation[fact["derivation"]] += 1
            by_topic[fact["topic"]] += 1
        out.append({"id": record["id"], "facts": [_ordered(f) for f in kept_facts]})
    polarity = Counter(f["polarity"] for r in out for f in r["facts"])
    summary = {
        "dialogues": len(out),
        "patient_answers": answers,
        "informative_answers": informative,
        "answers_by_way": dict(sorted(how.items())),
        "facts": sum(len(r["facts"]) for r in out),
        "facts_by_derivation": dict(sorted(by_derivation.items())),
        "facts_by_topic": dict(sorted(by_topic.items())),
        "facts_by_polarity": dict(sorted(polarity.items())),
        "concepts": len(CONCEPTS),
        "code_fixes": len(fixes),
        "overrides": len(OVERRIDES),
        "hand_facts": sum(map(len, HAND_FACTS.values())),
    }
    return out, fixes, summary


_FIELDS = (
    "id",
    "key",
    "topic",
    "subtopic",
    "text",
    "polarity",
    "forms",
    "negated_forms",
    "turn",
    "answer",
    "derivation",
)


def _ordered(fact: dict[str, Any]) -> dict[str, Any]:
    return {name: fact[name] for name in _FIELDS}


def _jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def outputs(data_dir: Path) -> dict[str, str]:
    """The three files' contents, from the dialogues in ``data_dir``."""
    records = load_splits("labforsims2_fr", data_dir)["test"]
    facts, fixes, summary = derive(records)
    return {
        "facts.jsonl": _jsonl(facts),
        "code_fixes.jsonl": _jsonl(fixes),
        "facts_summary.json": json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--check", action="store_true", help="verify the files, write nothing")
    args = parser.parse_args()
    stale = []
    for name, text in outputs(args.data_dir).items():
        path = OUT / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale: {', '.join(stale)} (run scripts/labforsims2_facts.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
