"""Structured clinical cases: one patient, their relatives, care team, stay and clinical facts.

Documents are *rendered from* a case (``documents.py``), never written free-hand, so that the
pseudonymisation family gets exact gold spans and the summarisation family can render several
documents of one patient that agree with each other and with the case's facts.

Clinical text is written with a small markup for the non-PHI spans a pseudonymiser must leave
alone (the ``keep`` spans of a note): ``[drug:bisoprolol]``, ``[dose:2,5 mg]``,
``[lab_value:3,2 mmol/L]``, ``[number:NYHA III]``, ``[eponym:maladie de Parkinson]``,
``[institution_reference:Institut Pasteur]``. ``eponym`` covers every named disease, sign, score
or technique that reads like a person's or a place's name ("score de Glasgow", "Deauville 5").
``marked`` turns such a string into segments once, at import time.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from partages_bench.generator import identities as ids
from partages_bench.generator.identities import Address, City, Hospital, Person, Sex

KEEP_KINDS = ("drug", "dose", "lab_value", "number", "eponym", "institution_reference", "rpps")

Segment = tuple[str, str | None]  # (text, keep kind or None for plain text)
Marked = tuple[Segment, ...]

_MARKUP = re.compile(rf"\[({'|'.join(KEEP_KINDS)}):([^\]]+)\]")


def marked(source: str) -> Marked:
    """Split "[eponym:signe de Murphy] positif" into (("signe de Murphy", "eponym"), …)."""
    segments: list[Segment] = []
    position = 0
    for match in _MARKUP.finditer(source):
        if match.start() > position:
            segments.append((source[position : match.start()], None))
        segments.append((match.group(2), match.group(1)))
        position = match.end()
    if position < len(source):
        segments.append((source[position:], None))
    return tuple(segments)


def _all(*sources: str) -> tuple[Marked, ...]:
    return tuple(marked(source) for source in sources)


@dataclass(frozen=True)
class Drug:
    name: str  # international non-proprietary name: a "drug" keep span
    strength: str  # "2,5 mg": a "dose" keep span
    posology: str  # "1 comprimé le matin"


def _drugs(rows: str) -> tuple[Drug, ...]:
    """Parse 'name;strength;posology' lines."""
    return tuple(Drug(*line.strip().split(";")) for line in rows.strip().splitlines())


@dataclass(frozen=True)
class LabTest:
    name: str
    unit: str
    low: float
    high: float
    decimals: int

    def number(self, value: float) -> str:
        return f"{value:.{self.decimals}f}".replace(".", ",")

    @property
    def reference(self) -> str:
        """The normal range as a lab prints it: "3,5–5,0" or "< 5"."""
        if self.low == 0:
            return f"< {self.number(self.high)}"
        return f"{self.number(self.low)}–{self.number(self.high)}"


LAB_TESTS = {
    key: LabTest(name, unit, float(low), float(high), int(decimals))
    for key, name, unit, low, high, decimals in (
        line.strip().split(";")
        for line in """
        hb;Hémoglobine;g/dL;12;16.5;1
        leuco;Leucocytes;G/L;4;10;1
        plaquettes;Plaquettes;G/L;150;400;0
        pnn;Polynucléaires neutrophiles;G/L;1.5;7;2
        sodium;Sodium;mmol/L;135;145;0
        potassium;Potassium;mmol/L;3.5;5;1
        creat;Créatinine;µmol/L;60;110;0
        uree;Urée;mmol/L;2.5;7.5;1
        crp;Protéine C réactive;mg/L;0;5;0
        glycemie;Glycémie;mmol/L;3.9;5.8;1
        hba1c;HbA1c;%;4;6;1
        asat;ASAT;UI/L;5;35;0
        alat;ALAT;UI/L;5;45;0
        ggt;Gamma-GT;UI/L;10;55;0
        bili;Bilirubine totale;µmol/L;3;21;0
        lipase;Lipase;UI/L;10;60;0
        albumine;Albumine;g/L;35;50;0
        tp;Taux de prothrombine;%;70;100;0
        troponine;Troponine T hypersensible;ng/L;0;14;0
        ntprobnp;NT-proBNP;pg/mL;0;125;0
        tsh;TSH;mUI/L;0.4;4;2
        t4l;T4 libre;pmol/L;12;22;1
        trak;Anticorps anti-récepteur de la TSH;UI/L;0;1.75;2
        ldl;LDL-cholestérol;g/L;0;1.6;2
        ph;pH artériel;;7.35;7.45;2
        paco2;PaCO2;mmHg;35;45;0
        pao2;PaO2;mmHg;80;100;0
        bicar;Bicarbonates;mmol/L;22;28;0
        cetonemie;Cétonémie;mmol/L;0;0.6;1
        ace;ACE;ng/mL;0;5;1
        psa;PSA total;ng/mL;0;4;2
        ca153;CA 15-3;UI/mL;0;30;0
        calprotectine;Calprotectine fécale;µg/g;0;50;0
        clu;Cortisol libre urinaire;nmol/24 h;20;150;0
        prot_lcr;Protéinorachie;g/L;0.15;0.45;2
        ferritine;Ferritine;µg/L;30;300;0
        ddimeres;D-dimères;ng/mL;0;500;0
        lactates;Lactates;mmol/L;0.5;2;1
        """.strip().splitlines()
    )
}

# Drawn for every case, within the normal range unless the condition says otherwise.
_STANDARD_PANEL = ("hb", "leuco", "plaquettes", "sodium", "potassium", "creat", "crp")


@dataclass(frozen=True)
class LabResult:
    test: LabTest
    value: float

    @property
    def value_text(self) -> str:
        """The "lab_value" keep span: "12,3 g/dL"."""
        number = self.test.number(self.value)
        return f"{number} {self.test.unit}" if self.test.unit else number

    @property
    def flag(self) -> str:
        if self.value > self.test.high:
            return "H"
        return "L" if self.value < self.test.low else ""


@dataclass(frozen=True)
class Vitals:
    systolic: int
    diastolic: int
    heart_rate: int
    temperature: float
    spo2: int
    weight: int


@dataclass(frozen=True)
class Procedure:
    name: Marked
    anaesthesia: str
    steps: tuple[Marked, ...]


@dataclass(frozen=True)
class Condition:
    """One diagnosis with what a stay for it looks like; several options per field for variety."""

    name: Marked
    motif: Marked
    ages: tuple[int, int]
    sex: Sex | None
    symptoms: tuple[Marked, ...]
    findings: tuple[Marked, ...]
    imaging: tuple[Marked, ...]
    labs: tuple[tuple[str, float, float], ...]  # (LAB_TESTS key, lowest, highest value)
    drugs: tuple[Drug, ...]
    procedure: Procedure
    scores: tuple[Marked, ...]
    course: tuple[Marked, ...]
    follow_up: tuple[Marked, ...]
    rcp: tuple[Marked, ...] = ()  # tumour board proposals (oncology)


def _condition(
    *,
    name: str,
    motif: str,
    ages: tuple[int, int],
    sex: Sex | None = None,
    symptoms: tuple[str, ...],
    findings: tuple[str, ...],
    imaging: tuple[str, ...],
    labs: tuple[tuple[str, float, float], ...],
    drugs: str,
    procedure: tuple[str, str, tuple[str, ...]],
    scores: tuple[str, ...],
    course: tuple[str, ...],
    follow_up: tuple[str, ...],
    rcp: tuple[str, ...] = (),
) -> Condition:
    """A Condition from markup strings, so the data below read as French clinical text."""
    procedure_name, anaesthesia, steps = procedure
    return Condition(
        name=marked(name),
        motif=marked(motif),
        ages=ages,
        sex=sex,
        symptoms=_all(*symptoms),
        findings=_all(*findings),
        imaging=_all(*imaging),
        labs=labs,
        drugs=_drugs(drugs),
        procedure=Procedure(marked(procedure_name), anaesthesia, _all(*steps)),
        scores=_all(*scores),
        course=_all(*course),
        follow_up=_all(*follow_up),
        rcp=_all(*rcp),
    )


@dataclass(frozen=True)
class Specialty:
    key: str
    service: str
    references: tuple[Marked, ...]  # sentences citing a non-care institution
    nursing: tuple[Marked, ...]  # specialty-specific nurse observations
    conditions: tuple[Condition, ...]


CARDIOLOGY = Specialty(
    key="cardiologie",
    service="Service de Cardiologie",
    references=_all(
        "Prise en charge conforme aux recommandations de la "
        "[institution_reference:Société Européenne de Cardiologie].",
        "Programme d'éducation thérapeutique labellisé par la "
        "[institution_reference:Haute Autorité de Santé].",
    ),
    nursing=_all(
        "Pesée du matin : [number:78,4 kg], diurèse des 24 h à [number:1800 mL].",
        "Scope : rythme sinusal, pas d'alarme dans la nuit.",
        "Point de ponction radial propre, bracelet compressif retiré à [number:4 h].",
    ),
    conditions=(
        _condition(
            name="insuffisance cardiaque à fraction d'éjection altérée décompensée",
            motif="dyspnée d'aggravation progressive et œdèmes des membres inférieurs",
            ages=(55, 92),
            symptoms=(
                "Dyspnée d'effort d'aggravation progressive depuis [number:10 jours], "
                "devenue de repos la veille de l'admission.",
                "Prise de poids de [number:4 kg] en une semaine avec œdèmes des membres "
                "inférieurs.",
                "Orthopnée à [number:2 oreillers] et réveils nocturnes dyspnéiques.",
            ),
            findings=(
                "Crépitants bilatéraux aux deux bases pulmonaires.",
                "Œdèmes des membres inférieurs prenant le godet jusqu'aux genoux.",
                "Turgescence jugulaire et reflux hépato-jugulaire.",
            ),
            imaging=(
                "Échocardiographie transthoracique : FEVG estimée à [number:30 %], VG dilaté, "
                "PAPs à [number:45 mmHg].",
                "Radiographie thoracique : cardiomégalie, syndrome interstitiel et épanchement "
                "pleural bilatéral de faible abondance.",
            ),
            labs=(("ntprobnp", 2500, 9800), ("creat", 95, 160), ("sodium", 129, 136)),
            drugs="""
                furosémide;40 mg;1 comprimé le matin
                bisoprolol;2,5 mg;1 comprimé le matin
                sacubitril/valsartan;49/51 mg;1 comprimé matin et soir
                spironolactone;25 mg;1 comprimé le midi
                dapagliflozine;10 mg;1 comprimé le matin
            """,
            procedure=(
                "implantation d'un défibrillateur automatique implantable",
                "anesthésie locale et sédation",
                (
                    "Abord veineux céphalique gauche après infiltration de "
                    "[drug:lidocaïne] [dose:1 %].",
                    "Mise en place de la sonde de défibrillation à l'apex du ventricule droit "
                    "sous contrôle scopique, seuils satisfaisants.",
                    "Confection de la loge prépectorale, connexion du boîtier et fermeture plan "
                    "par plan.",
                ),
            ),
            scores=("stade NYHA [number:III]", "stade NYHA [number:II]"),
            course=(
                "Évolution favorable sous diurétiques intraveineux avec une perte de "
                "[number:5 kg].",
                "Introduction progressive du [drug:sacubitril/valsartan], bien tolérée sur le "
                "plan tensionnel et rénal.",
                "Épisode d'hypokaliémie à [lab_value:3,2 mmol/L] corrigé par supplémentation.",
            ),
            follow_up=(
                "Pesée quotidienne ; consulter en cas de prise de plus de [number:2 kg] en "
                "[number:3 jours].",
                "Ionogramme sanguin et créatininémie à [number:1 semaine].",
                "Programme de réadaptation cardiaque.",
            ),
        ),
        _condition(
            name="syndrome coronarien aigu sans sus-décalage du segment ST",
            motif="douleur thoracique constrictive",
            ages=(42, 88),
            symptoms=(
                "Douleur rétrosternale constrictive irradiant dans le bras gauche, survenue au "
                "repos et ayant duré [number:30 minutes].",
                "Épisodes d'angor d'effort depuis [number:3 semaines].",
            ),
            findings=(
                "Examen cardiovasculaire sans particularité, pas de souffle.",
                "Pouls périphériques présents et symétriques.",
                "Pas de signe d'insuffisance cardiaque.",
            ),
            imaging=(
                "ECG : sous-décalage du segment ST de [number:1 mm] en V4-V6.",
                "Coronarographie : sténose serrée de l'IVA proximale à [number:90 %].",
            ),
            labs=(("troponine", 45, 2500), ("ldl", 1.3, 2.2), ("hba1c", 5.4, 8.5)),
            drugs="""
                acide acétylsalicylique;75 mg;1 sachet par jour
                ticagrélor;90 mg;1 comprimé matin et soir pendant 12 mois
                atorvastatine;80 mg;1 comprimé le soir
                bisoprolol;2,5 mg;1 comprimé le matin
                ramipril;2,5 mg;1 gélule le soir
            """,
            procedure=(
                "coronarographie et angioplastie de l'IVA proximale avec pose d'un stent actif",
                "anesthésie locale",
                (
                    "Abord artériel radial droit, introducteur [number:6 F].",
                    "Injection de [drug:héparine] [dose:5000 UI] par voie intra-artérielle.",
                    "Prédilatation au ballon puis implantation d'un stent actif "
                    "[number:3,0 x 18 mm], bon résultat angiographique, flux TIMI [number:3].",
                ),
            ),
            scores=("score GRACE à [number:132]", "score GRACE à [number:108]"),
            course=(
                "Absence de récidive douloureuse après revascularisation.",
                "Point de ponction radial propre, pouls radial présent.",
                "Éducation thérapeutique réalisée, sevrage tabagique conseillé.",
            ),
            follow_up=(
                "Réadaptation cardiaque en ambulatoire.",
                "Bilan lipidique à [number:6 semaines], objectif de LDL-cholestérol inférieur "
                "à [lab_value:0,55 g/L].",
                "Échocardiographie de contrôle à [number:3 mois].",
            ),
        ),
        _condition(
            name="fibrillation atriale paroxystique",
            motif="palpitations",
            ages=(50, 90),
            symptoms=(
                "Palpitations irrégulières d'apparition brutale depuis [number:48 heures].",
                "Dyspnée d'effort et asthénie associées, sans douleur thoracique.",
            ),
            findings=(
                "Rythme cardiaque irrégulier à [number:128 bpm].",
                "Auscultation pulmonaire libre, pas d'œdème.",
            ),
            imaging=(
                "ECG : fibrillation atriale à réponse ventriculaire rapide.",
                "Échocardiographie : oreillette gauche dilatée, FEVG conservée à [number:58 %].",
            ),
            labs=(("tsh", 0.5, 3.5), ("potassium", 3.6, 4.8)),
            drugs="""
                apixaban;5 mg;1 comprimé matin et soir
                bisoprolol;5 mg;1 comprimé le matin
                flécaïnide;100 mg;1 comprimé matin et soir
            """,
            procedure=(
                "cardioversion électrique externe",
                "anesthésie générale brève",
                (
                    "Échocardiographie transœsophagienne préalable éliminant un thrombus de "
                    "l'auricule gauche.",
                    "Choc électrique externe synchronisé biphasique de [number:150 J].",
                    "Retour en rythme sinusal après le premier choc.",
                ),
            ),
            scores=("score CHA2DS2-VASc à [number:3]", "score HAS-BLED à [number:1]"),
            course=(
                "Réduction en rythme sinusal après cardioversion.",
                "Anticoagulation curative bien tolérée.",
            ),
            follow_up=(
                "Poursuite de l'anticoagulation au long cours.",
                "[eponym:Holter]-ECG de contrôle à [number:3 mois].",
                "Discussion d'une ablation par radiofréquence en cas de récidive.",
            ),
        ),
        _condition(
            name="[eponym:syndrome de Wolff-Parkinson-White]",
            motif="tachycardie paroxystique",
            ages=(18, 45),
            symptoms=(
                "Épisodes récidivants de tachycardie à début et fin brusques depuis l'adolescence.",
                "Malaise avec palpitations lors d'un effort sportif.",
            ),
            findings=("Examen clinique normal en dehors des crises.",),
            imaging=(
                "ECG : PR court à [number:100 ms] et onde delta.",
                "Exploration électrophysiologique : voie accessoire latérale gauche.",
            ),
            labs=(("tsh", 0.8, 2.5), ("potassium", 3.8, 4.6)),
            drugs="""
                bisoprolol;1,25 mg;1 comprimé le matin jusqu'à l'ablation
            """,
            procedure=(
                "ablation par radiofréquence d'une voie accessoire latérale gauche",
                "anesthésie locale et sédation",
                (
                    "Abord veineux fémoral droit et ponction transseptale.",
                    "Cartographie de la voie accessoire, tirs de radiofréquence à [number:40 W].",
                    "Disparition de l'onde delta, absence de conduction rétrograde par la voie "
                    "accessoire.",
                ),
            ),
            scores=("classe EHRA [number:II]", "classe EHRA [number:III]"),
            course=(
                "Pas de récidive rythmique sous scope.",
                "Point de ponction fémoral sans hématome.",
            ),
            follow_up=(
                "Reprise du sport autorisée à [number:1 mois].",
                "ECG de contrôle en consultation.",
            ),
        ),
    ),
)

PNEUMOLOGY = Specialty(
    key="pneumologie",
    service="Service de Pneumologie",
    references=_all(
        "Souche adressée à l'[institution_reference:Institut Pasteur] pour génotypage.",
        "Déclaration obligatoire transmise à l'[institution_reference:Agence Régionale de Santé].",
        "Antibiothérapie conforme aux recommandations de la [institution_reference:SPILF].",
    ),
    nursing=_all(
        "Oxygène aux lunettes à [number:2 L/min], SpO2 à [number:94 %].",
        "Aérosols de [drug:salbutamol] faits à 8 h, 14 h et 20 h.",
        "Expectorations purulentes, ECBC envoyé au laboratoire.",
    ),
    conditions=(
        _condition(
            name="exacerbation de bronchopneumopathie chronique obstructive",
            motif="majoration de la dyspnée et expectorations purulentes",
            ages=(55, 88),
            symptoms=(
                "Majoration de la dyspnée habituelle depuis [number:4 jours] avec "
                "expectorations devenues purulentes.",
                "Toux productive et fébricule à [number:38,1 °C].",
            ),
            findings=(
                "Sibilants diffus et freinage expiratoire.",
                "Tirage sus-claviculaire, fréquence respiratoire à [number:28/min].",
            ),
            imaging=(
                "Radiographie thoracique : distension thoracique, pas de foyer.",
                "EFR antérieures : VEMS à [number:38 %] de la valeur théorique.",
            ),
            labs=(("ph", 7.28, 7.36), ("paco2", 48, 62), ("pao2", 52, 65), ("crp", 20, 90)),
            drugs="""
                prednisolone;40 mg;1 comprimé le matin pendant 5 jours
                amoxicilline/acide clavulanique;1 g;1 sachet 3 fois par jour pendant 5 jours
                tiotropium;2,5 µg;2 inhalations le matin
                salbutamol;100 µg;2 bouffées en cas de gêne
            """,
            procedure=(
                "fibroscopie bronchique avec aspiration bronchique dirigée",
                "anesthésie locale",
                (
                    "Anesthésie locale par [drug:lidocaïne] [dose:2 %] en pulvérisation.",
                    "Arbre bronchique inflammatoire avec sécrétions purulentes abondantes "
                    "aspirées.",
                    "Aspiration bronchique dirigée envoyée en bactériologie.",
                ),
            ),
            scores=("stade GOLD [number:3]", "score mMRC à [number:3]"),
            course=(
                "Ventilation non invasive pendant [number:48 heures] avec correction de l'acidose.",
                "Sevrage progressif de l'oxygène.",
            ),
            follow_up=(
                "EFR à distance de l'exacerbation.",
                "Réhabilitation respiratoire.",
                "Vaccinations antigrippale et antipneumococcique à mettre à jour.",
            ),
        ),
        _condition(
            name="légionellose pulmonaire",
            motif="fièvre et toux avec altération de l'état général",
            ages=(40, 85),
            symptoms=(
                "Fièvre à [number:39,5 °C] depuis [number:3 jours] avec toux sèche et myalgies.",
                "Diarrhée et confusion modérée depuis la veille.",
            ),
            findings=(
                "Crépitants en base droite.",
                "Fréquence respiratoire à [number:26/min].",
            ),
            imaging=(
                "Radiographie thoracique : opacité alvéolaire du lobe inférieur droit.",
                "Scanner thoracique : condensation lobaire inférieure droite avec "
                "bronchogramme aérien.",
            ),
            labs=(("crp", 150, 320), ("sodium", 126, 133), ("leuco", 12, 19), ("asat", 45, 110)),
            drugs="""
                lévofloxacine;500 mg;1 comprimé matin et soir pendant 14 jours
                paracétamol;1 g;1 comprimé jusqu'à 4 fois par jour si fièvre
            """,
            procedure=(
                "fibroscopie bronchique avec lavage broncho-alvéolaire",
                "anesthésie locale",
                (
                    "Anesthésie locale par [drug:lidocaïne] [dose:2 %].",
                    "Muqueuse inflammatoire du lobe inférieur droit.",
                    "Lavage broncho-alvéolaire de [number:150 mL] dans le lobe moyen, liquide "
                    "trouble.",
                ),
            ),
            scores=("score CRB-65 à [number:2]", "[eponym:score de Fine] classe [number:IV]"),
            course=(
                "Antigénurie légionelle positive, apyrexie obtenue à [number:J4].",
                "Correction progressive de l'hyponatrémie.",
            ),
            follow_up=(
                "Radiographie thoracique de contrôle à [number:6 semaines].",
                "Enquête environnementale en cours.",
            ),
        ),
        _condition(
            name="embolie pulmonaire bilatérale",
            motif="dyspnée aiguë et douleur thoracique",
            ages=(30, 85),
            symptoms=(
                "Dyspnée brutale et douleur basithoracique droite majorée à l'inspiration.",
                "Douleur du mollet gauche depuis [number:5 jours] après un voyage en avion.",
            ),
            findings=(
                "Tachycardie à [number:112 bpm], pas de signe de choc.",
                "Mollet gauche œdématié et douloureux.",
            ),
            imaging=(
                "Angioscanner thoracique : embolie pulmonaire bilatérale segmentaire, rapport "
                "VD/VG à [number:0,9].",
                "Écho-[eponym:Doppler] veineux : thrombose veineuse poplitée gauche.",
            ),
            labs=(("ddimeres", 1800, 6500), ("troponine", 8, 30), ("creat", 55, 95)),
            drugs="""
                rivaroxaban;15 mg;1 comprimé matin et soir pendant 21 jours puis 20 mg par jour
                paracétamol;1 g;1 comprimé jusqu'à 4 fois par jour si douleur
            """,
            procedure=(
                "pose d'un filtre cave inférieur temporaire",
                "anesthésie locale",
                (
                    "Abord veineux jugulaire interne droit échoguidé.",
                    "Cavographie : veine cave inférieure perméable, veines rénales repérées.",
                    "Largage du filtre cave en position sous-rénale.",
                ),
            ),
            scores=(
                "[eponym:score de Wells] à [number:6]",
                "score PESI simplifié à [number:1]",
            ),
            course=(
                "Anticoagulation curative sans complication hémorragique.",
                "Sevrage de l'oxygène à [number:J2].",
            ),
            follow_up=(
                "Anticoagulation pour une durée minimale de [number:3 mois].",
                "Consultation de médecine vasculaire à [number:3 mois].",
            ),
        ),
        _condition(
            name="tuberculose pulmonaire bacillifère",
            motif="toux chronique, sueurs nocturnes et amaigrissement",
            ages=(20, 80),
            symptoms=(
                "Toux productive depuis [number:2 mois] avec sueurs nocturnes.",
                "Amaigrissement de [number:7 kg] et hémoptysies de faible abondance.",
            ),
            findings=(
                "Patient cachectique, IMC à [number:17,5 kg/m²].",
                "Crépitants apicaux droits.",
            ),
            imaging=(
                "Scanner thoracique : caverne apicale droite de [number:3 cm] et micronodules "
                "en arbre en bourgeon.",
            ),
            labs=(("crp", 30, 90), ("albumine", 26, 33), ("asat", 15, 40), ("alat", 15, 45)),
            drugs="""
                rifampicine;600 mg;1 prise le matin à jeun
                isoniazide;300 mg;1 prise le matin à jeun
                pyrazinamide;1500 mg;1 prise le matin à jeun pendant 2 mois
                éthambutol;1200 mg;1 prise le matin à jeun pendant 2 mois
            """,
            procedure=(
                "fibroscopie bronchique avec tubage et aspiration bronchique",
                "anesthésie locale",
                (
                    "Anesthésie locale par [drug:lidocaïne] [dose:2 %].",
                    "Muqueuse inflammatoire du lobe supérieur droit sans lésion endobronchique.",
                    "Aspiration bronchique envoyée en mycobactériologie.",
                ),
            ),
            scores=(
                "examen direct positif, [number:2+]",
                "PCR Mycobacterium tuberculosis positive",
            ),
            course=(
                "Isolement respiratoire levé après [number:15 jours] de traitement.",
                "Bonne tolérance hépatique de la quadrithérapie.",
            ),
            follow_up=(
                "Bilan hépatique à [number:J15] et [number:J30].",
                "Enquête autour du cas confiée au centre de lutte antituberculeuse.",
            ),
        ),
    ),
)

GASTROENTEROLOGY = Specialty(
    key="gastro-entérologie",
    service="Service d'Hépato-Gastro-Entérologie",
    references=_all(
        "Prise en charge selon les recommandations de la "
        "[institution_reference:Société Nationale Française de Gastro-Entérologie].",
        "Dossier inclus dans le registre du [institution_reference:GETAID].",
    ),
    nursing=_all(
        "Selles : [number:3] selles liquides, pas de sang.",
        "Surveillance du périmètre abdominal : [number:96 cm].",
        "Régime sans résidu bien suivi.",
    ),
    conditions=(
        _condition(
            name="[eponym:maladie de Crohn] iléo-colique en poussée",
            motif="douleurs abdominales et diarrhée chronique",
            ages=(18, 45),
            symptoms=(
                "Diarrhée à [number:6 selles par jour] depuis [number:3 semaines], sans "
                "rectorragie.",
                "Amaigrissement de [number:5 kg] et douleurs de la fosse iliaque droite.",
            ),
            findings=(
                "Empâtement douloureux de la fosse iliaque droite.",
                "Pas de lésion ano-périnéale.",
            ),
            imaging=(
                "Entéro-IRM : épaississement de la dernière anse iléale sur [number:15 cm], "
                "sans abcès.",
                "Iléo-coloscopie : ulcérations iléales creusantes.",
            ),
            labs=(("crp", 25, 90), ("calprotectine", 400, 1800), ("hb", 10, 12.4)),
            drugs="""
                adalimumab;40 mg;1 injection sous-cutanée toutes les 2 semaines
                budésonide;9 mg;1 gélule le matin pendant 8 semaines puis décroissance
                colécalciférol;100 000 UI;1 ampoule par mois
            """,
            procedure=(
                "iléo-coloscopie avec biopsies étagées",
                "anesthésie générale",
                (
                    "Préparation colique de bonne qualité, [eponym:score de Boston] à [number:8].",
                    "Ulcérations iléales creusantes sur [number:10 cm], côlon macroscopiquement "
                    "normal.",
                    "Biopsies étagées iléales et coliques.",
                ),
            ),
            scores=(
                "[eponym:indice de Harvey-Bradshaw] à [number:9]",
                "score CDAI à [number:280]",
            ),
            course=(
                "Amélioration du transit sous corticothérapie locale.",
                "Première injection d'[drug:adalimumab] réalisée dans le service.",
            ),
            follow_up=(
                "Dosage résiduel d'[drug:adalimumab] à [number:3 mois].",
                "Vaccination antipneumococcique avant immunosuppression.",
            ),
        ),
        _condition(
            name="cholécystite aiguë lithiasique",
            motif="douleur fébrile de l'hypochondre droit",
            ages=(30, 85),
            symptoms=(
                "Douleur de l'hypochondre droit depuis [number:48 heures] après un repas copieux.",
                "Fièvre à [number:38,6 °C] et vomissements.",
            ),
            findings=(
                "[eponym:Signe de Murphy] positif.",
                "Défense de l'hypochondre droit, abdomen souple par ailleurs.",
            ),
            imaging=(
                "Échographie abdominale : vésicule lithiasique à paroi épaissie à "
                "[number:6 mm], [eponym:Murphy] échographique positif.",
                "Voies biliaires non dilatées.",
            ),
            labs=(("leuco", 12, 19), ("crp", 60, 220), ("bili", 12, 40), ("lipase", 20, 55)),
            drugs="""
                amoxicilline/acide clavulanique;1 g;1 comprimé 3 fois par jour pendant 5 jours
                paracétamol;1 g;1 comprimé jusqu'à 4 fois par jour si douleur
            """,
            procedure=(
                "cholécystectomie par cœlioscopie",
                "anesthésie générale",
                (
                    "Open-cœlioscopie ombilicale, pneumopéritoine à [number:12 mmHg], "
                    "[number:3] trocarts opérateurs.",
                    "Vésicule inflammatoire ; dissection du triangle de [eponym:Calot] jusqu'à "
                    "la vue critique de sécurité.",
                    "Clipage et section du canal et de l'artère cystiques ; cholangiographie "
                    "peropératoire normale.",
                    "Extraction de la vésicule en sac, exsufflation, fermeture aponévrotique "
                    "ombilicale.",
                ),
            ),
            scores=(
                "grade [number:II] des [eponym:critères de Tokyo]",
                "grade [number:I] des [eponym:critères de Tokyo]",
            ),
            course=(
                "Suites opératoires simples, reprise alimentaire à [number:J1].",
                "Apyrexie et normalisation du bilan hépatique.",
            ),
            follow_up=(
                "Résultat anatomopathologique de la pièce à récupérer en consultation.",
                "Ablation des fils inutile (surjet intradermique résorbable).",
            ),
        ),
        _condition(
            name="cirrhose alcoolique décompensée ([eponym:score de Child-Pugh] [number:B8])",
            motif="ascite et ictère",
            ages=(40, 80),
            symptoms=(
                "Augmentation du volume abdominal depuis [number:3 semaines].",
                "Ictère cutanéo-muqueux et asthénie.",
                "Consommation d'alcool estimée à [number:80 g/j], sevrée depuis [number:1 mois].",
            ),
            findings=(
                "Ascite de moyenne abondance, circulation veineuse collatérale.",
                "Angiomes stellaires et érythrose palmaire.",
            ),
            imaging=(
                "Échographie abdominale : foie dysmorphique, ascite, tronc porte perméable.",
                "Fibroscopie œso-gastro-duodénale : varices œsophagiennes de grade [number:II].",
            ),
            labs=(("albumine", 24, 30), ("tp", 45, 65), ("bili", 30, 80), ("plaquettes", 60, 120)),
            drugs="""
                propranolol;40 mg;1 comprimé matin et soir
                spironolactone;75 mg;1 comprimé le matin
                furosémide;20 mg;1 comprimé le matin
                rifaximine;550 mg;1 comprimé matin et soir
            """,
            procedure=(
                "ponction d'ascite évacuatrice",
                "anesthésie locale",
                (
                    "Repérage échographique en fosse iliaque gauche.",
                    "Évacuation de [number:6 litres] de liquide citrin.",
                    "Compensation par [drug:albumine humaine] [dose:20 %].",
                ),
            ),
            scores=("score MELD à [number:16]", "score MELD à [number:19]"),
            course=(
                "Liquide d'ascite non infecté ([number:120] PNN/mm³).",
                "Perte de poids de [number:4 kg] sous diurétiques.",
            ),
            follow_up=(
                "Consultation d'addictologie.",
                "Échographie hépatique tous les [number:6 mois] pour dépistage du carcinome "
                "hépatocellulaire.",
            ),
        ),
        _condition(
            name="hémorragie digestive haute sur ulcère bulbaire",
            motif="méléna et malaise",
            ages=(35, 90),
            symptoms=(
                "Méléna depuis [number:2 jours] avec malaise au lever.",
                "Prise d'anti-inflammatoires non stéroïdiens pour des lombalgies.",
            ),
            findings=(
                "Pâleur cutanéo-muqueuse, tachycardie à [number:105 bpm].",
                "Toucher rectal : méléna.",
            ),
            imaging=(
                "Endoscopie : ulcère bulbaire antérieur de [number:12 mm], "
                "[eponym:Forrest] [number:IIa].",
            ),
            labs=(("hb", 6.5, 9), ("uree", 12, 25), ("plaquettes", 180, 350)),
            drugs="""
                ésoméprazole;40 mg;1 comprimé matin et soir pendant 8 semaines
                sulfate ferreux;80 mg;1 comprimé par jour pendant 3 mois
            """,
            procedure=(
                "endoscopie œso-gastro-duodénale avec hémostase endoscopique",
                "anesthésie générale",
                (
                    "Ulcère bulbaire antérieur avec vaisseau visible ([eponym:Forrest] "
                    "[number:IIa]).",
                    "Injection d'[drug:adrénaline] diluée puis pose de [number:2] clips.",
                    "Biopsies antrales et fundiques pour recherche d'Helicobacter pylori.",
                ),
            ),
            scores=(
                "[eponym:score de Glasgow-Blatchford] à [number:12]",
                "[eponym:score de Rockall] à [number:4]",
            ),
            course=(
                "Transfusion de [number:2] culots globulaires, pas de récidive hémorragique.",
                "Réalimentation progressive bien tolérée.",
            ),
            follow_up=(
                "Endoscopie de contrôle de la cicatrisation à [number:8 semaines].",
                "Éviction définitive des anti-inflammatoires non stéroïdiens.",
            ),
        ),
    ),
)

NEUROLOGY = Specialty(
    key="neurologie",
    service="Service de Neurologie",
    references=_all(
        "Filière conforme aux recommandations de la "
        "[institution_reference:Haute Autorité de Santé].",
        "Dossier déclaré à la base de données de l'"
        "[institution_reference:Observatoire Français de la Sclérose en Plaques].",
    ),
    nursing=_all(
        "[eponym:Score de Glasgow] à [number:15], pupilles symétriques et réactives.",
        "Test de déglutition réalisé : eau gélifiée uniquement.",
        "Surveillance neurologique horaire sans aggravation.",
    ),
    conditions=(
        _condition(
            name="accident vasculaire cérébral ischémique sylvien gauche",
            motif="déficit moteur de l'hémicorps droit et aphasie",
            ages=(45, 92),
            symptoms=(
                "Installation brutale d'un déficit de l'hémicorps droit et d'un trouble du "
                "langage, constatés au réveil.",
                "Dernière fois vu sans symptôme [number:3 heures] avant l'admission.",
            ),
            findings=(
                "Hémiparésie droite à prédominance brachio-faciale.",
                "[eponym:Signe de Babinski] à droite.",
                "Aphasie non fluente.",
            ),
            imaging=(
                "IRM cérébrale : hypersignal diffusion sylvien gauche superficiel, occlusion "
                "M1 gauche.",
                "Écho-[eponym:Doppler] des troncs supra-aortiques : sténose carotidienne "
                "interne gauche à [number:70 %].",
            ),
            labs=(("glycemie", 5, 9), ("ldl", 1.2, 2), ("hba1c", 5.2, 7.5)),
            drugs="""
                clopidogrel;75 mg;1 comprimé par jour
                atorvastatine;80 mg;1 comprimé le soir
                ramipril;5 mg;1 gélule le soir
            """,
            procedure=(
                "thrombectomie mécanique de l'artère sylvienne gauche",
                "anesthésie générale",
                (
                    "Abord fémoral droit, cathéter porteur en carotide interne gauche.",
                    "Thrombectomie par stent retriever et aspiration en [number:2] passages.",
                    "Recanalisation complète TICI [number:3] après [number:45 minutes] de "
                    "procédure.",
                ),
            ),
            scores=("score NIHSS à [number:12]", "score NIHSS à [number:8]"),
            course=(
                "Thrombolyse intraveineuse par [drug:altéplase] [dose:0,9 mg/kg] avant la "
                "thrombectomie.",
                "Régression partielle du déficit, score NIHSS à [number:3] à la sortie.",
                "[eponym:Holter]-ECG de [number:72 heures] sans trouble du rythme.",
            ),
            follow_up=(
                "Consultation neurovasculaire à [number:3 mois].",
                "Rééducation orthophonique et kinésithérapie.",
                "Avis chirurgical vasculaire pour la sténose carotidienne.",
            ),
        ),
        _condition(
            name="[eponym:maladie de Parkinson] idiopathique",
            motif="aggravation des troubles de la marche et chutes",
            ages=(55, 88),
            symptoms=(
                "Chutes répétées depuis [number:2 mois] avec blocages à la marche.",
                "Fluctuations motrices avec fins de dose marquées.",
            ),
            findings=(
                "Syndrome akinéto-rigide asymétrique prédominant à droite, tremblement de repos.",
                "Marche à petits pas avec enrayages au demi-tour.",
            ),
            imaging=(
                "IRM cérébrale sans anomalie structurelle notable.",
                "DaTscan : hypofixation striatale bilatérale asymétrique.",
            ),
            labs=(("sodium", 134, 142), ("creat", 60, 110)),
            drugs="""
                lévodopa/bensérazide;100/25 mg;1 gélule 4 fois par jour
                rasagiline;1 mg;1 comprimé le matin
                macrogol;10 g;1 sachet par jour
            """,
            procedure=(
                "stimulation cérébrale profonde des noyaux subthalamiques",
                "anesthésie générale",
                (
                    "Repérage stéréotaxique sous cadre de [eponym:Leksell].",
                    "Implantation bilatérale des électrodes après enregistrement "
                    "électrophysiologique peropératoire.",
                    "Connexion au neurostimulateur implanté en sous-claviculaire droit.",
                ),
            ),
            scores=(
                "stade de [eponym:Hoehn et Yahr] [number:3]",
                "score MDS-UPDRS III à [number:38] en OFF",
            ),
            course=(
                "Fractionnement de la [drug:lévodopa] avec réduction des fins de dose.",
                "Bilan kinésithérapique et ergothérapique réalisé.",
            ),
            follow_up=(
                "Kinésithérapie de la marche [number:3] fois par semaine.",
                "Consultation au centre expert [eponym:Parkinson] dans [number:6 mois].",
            ),
        ),
        _condition(
            name="sclérose en plaques rémittente-récurrente",
            motif="baisse d'acuité visuelle douloureuse de l'œil droit",
            ages=(20, 45),
            sex="F",
            symptoms=(
                "Baisse d'acuité visuelle de l'œil droit douloureuse aux mouvements oculaires "
                "depuis [number:5 jours].",
                "Épisode de paresthésies des membres inférieurs résolutif il y a [number:1 an].",
            ),
            findings=(
                "Acuité visuelle de l'œil droit à [number:3/10], déficit pupillaire afférent.",
                "Réflexes ostéotendineux vifs aux membres inférieurs.",
            ),
            imaging=(
                "IRM cérébrale et médullaire : [number:12] lésions de la substance blanche dont "
                "[number:2] rehaussées par le gadolinium.",
            ),
            labs=(("prot_lcr", 0.3, 0.55), ("crp", 0, 4)),
            drugs="""
                méthylprednisolone;1 g;1 perfusion par jour pendant 3 jours
                ocrélizumab;600 mg;1 perfusion tous les 6 mois
            """,
            procedure=(
                "ponction lombaire diagnostique",
                "anesthésie locale",
                (
                    "Patient assis, ponction au niveau de l'espace L4-L5 après application "
                    "d'[drug:EMLA].",
                    "Liquide clair, prélèvement de [number:10 mL].",
                    "Décubitus de [number:1 heure] sans céphalée secondaire.",
                ),
            ),
            scores=("score EDSS à [number:2,5]", "score EDSS à [number:2]"),
            course=(
                "Récupération visuelle partielle après bolus de corticoïdes.",
                "Profil oligoclonal de type [number:2] dans le liquide cérébrospinal.",
            ),
            follow_up=(
                "IRM de référence à [number:6 mois] du début du traitement.",
                "Bilan infectieux et vaccinal avant traitement de fond.",
            ),
        ),
        _condition(
            name="[eponym:syndrome de Guillain-Barré]",
            motif="faiblesse ascendante des membres inférieurs",
            ages=(25, 80),
            symptoms=(
                "Paresthésies distales puis faiblesse ascendante des membres inférieurs "
                "depuis [number:6 jours].",
                "Épisode de gastro-entérite [number:3 semaines] auparavant.",
            ),
            findings=(
                "Aréflexie ostéotendineuse aux quatre membres.",
                "Déficit moteur distal coté à [number:3/5] aux membres inférieurs.",
            ),
            imaging=(
                "ENMG : polyradiculonévrite démyélinisante avec blocs de conduction.",
                "IRM médullaire : prise de contraste des racines de la queue de cheval.",
            ),
            labs=(("prot_lcr", 0.8, 2.5), ("sodium", 134, 141)),
            drugs="""
                immunoglobulines polyvalentes;0,4 g/kg/j;1 perfusion par jour pendant 5 jours
                énoxaparine;4000 UI;1 injection sous-cutanée par jour
            """,
            procedure=(
                "ponction lombaire diagnostique",
                "anesthésie locale",
                (
                    "Ponction au niveau de l'espace L4-L5.",
                    "Liquide clair, dissociation albumino-cytologique.",
                    "Pas de complication.",
                ),
            ),
            scores=("score MRC à [number:42/60]", "[eponym:score de Hughes] à [number:3]"),
            course=(
                "Surveillance de la capacité vitale, restée supérieure à [number:20 mL/kg].",
                "Début de récupération motrice à [number:J10].",
            ),
            follow_up=(
                "Transfert en service de médecine physique et réadaptation.",
                "ENMG de contrôle à [number:3 mois].",
            ),
        ),
    ),
)

ENDOCRINOLOGY = Specialty(
    key="endocrinologie",
    service="Service d'Endocrinologie, Diabétologie et Nutrition",
    references=_all(
        "Objectifs glycémiques fixés selon les recommandations de la "
        "[institution_reference:Société Francophone du Diabète].",
        "Éducation thérapeutique selon le programme validé par l'"
        "[institution_reference:Agence Régionale de Santé].",
    ),
    nursing=_all(
        "Glycémies capillaires : [lab_value:1,45 g/L] à 7 h, [lab_value:2,10 g/L] à 12 h.",
        "Éducation à l'auto-injection d'insuline réalisée.",
        "Resucrage pour une glycémie à [lab_value:0,62 g/L] à 16 h.",
    ),
    conditions=(
        _condition(
            name="diabète de type 2 déséquilibré",
            motif="déséquilibre glycémique",
            ages=(40, 85),
            symptoms=(
                "Syndrome polyuro-polydipsique depuis [number:1 mois].",
                "Amaigrissement de [number:4 kg] malgré un appétit conservé.",
            ),
            findings=(
                "Mal perforant plantaire de la tête du premier métatarsien droit, sur "
                "[eponym:pied de Charcot].",
                "Monofilament non perçu aux deux pieds.",
            ),
            imaging=(
                "Fond d'œil : rétinopathie diabétique non proliférante minime.",
                "Radiographie du pied droit : ostéoarthropathie du médio-pied.",
            ),
            labs=(("hba1c", 9, 12.5), ("glycemie", 12, 22), ("ldl", 1.1, 1.9)),
            drugs="""
                metformine;1000 mg;1 comprimé matin et soir
                sémaglutide;1 mg;1 injection sous-cutanée par semaine
                insuline glargine;20 UI;1 injection le soir
            """,
            procedure=(
                "détersion chirurgicale d'un mal perforant plantaire",
                "anesthésie locorégionale",
                (
                    "Excision des tissus nécrotiques jusqu'en tissu sain.",
                    "Prélèvements osseux envoyés en bactériologie.",
                    "Pansement à plat, mise en décharge.",
                ),
            ),
            scores=("score de risque podologique de grade [number:3]", "IMC à [number:31,2 kg/m²]"),
            course=(
                "Équilibre glycémique obtenu sous insuline basale.",
                "Mise en décharge du pied droit par botte amovible.",
            ),
            follow_up=(
                "HbA1c à [number:3 mois].",
                "Soins de pied par infirmier à domicile [number:3] fois par semaine.",
                "Consultation podologique.",
            ),
        ),
        _condition(
            name="[eponym:maladie de Basedow]",
            motif="thyrotoxicose",
            ages=(20, 60),
            sex="F",
            symptoms=(
                "Palpitations, tremblements et amaigrissement de [number:6 kg] en [number:2 mois].",
                "Thermophobie et diarrhée motrice.",
            ),
            findings=(
                "Goitre homogène vasculaire avec souffle.",
                "Exophtalmie bilatérale modérée.",
            ),
            imaging=(
                "Échographie thyroïdienne : goitre homogène hypervascularisé.",
                "Scintigraphie : fixation diffuse et homogène.",
            ),
            labs=(("tsh", 0.005, 0.05), ("t4l", 35, 80), ("trak", 4, 25)),
            drugs="""
                thiamazole;20 mg;1 comprimé le matin
                propranolol;40 mg;1 comprimé matin et soir
            """,
            procedure=(
                "thyroïdectomie totale",
                "anesthésie générale",
                (
                    "Cervicotomie transverse selon [eponym:Kocher].",
                    "Repérage et préservation des nerfs laryngés inférieurs sous neuromonitoring "
                    "et des quatre parathyroïdes.",
                    "Hémostase soigneuse, fermeture sans drainage.",
                ),
            ),
            scores=("score CAS à [number:2/7]", "score CAS à [number:3/7]"),
            course=(
                "Amélioration clinique sous antithyroïdien de synthèse.",
                "Pas d'agranulocytose, polynucléaires à [lab_value:3,2 G/L].",
            ),
            follow_up=(
                "NFS en cas de fièvre ou d'angine (risque d'agranulocytose).",
                "TSH et T4 libre à [number:4 semaines].",
            ),
        ),
        _condition(
            name="[eponym:syndrome de Cushing] ACTH-dépendant d'origine hypophysaire",
            motif="prise de poids et hypertension artérielle résistante",
            ages=(25, 60),
            symptoms=(
                "Prise de poids de [number:12 kg] en [number:1 an] à prédominance facio-"
                "tronculaire.",
                "Hypertension artérielle résistante à [number:3] antihypertenseurs.",
            ),
            findings=(
                "Vergetures pourpres abdominales, érythrose faciale.",
                "Amyotrophie proximale des membres inférieurs.",
            ),
            imaging=("IRM hypophysaire : microadénome de [number:6 mm].",),
            labs=(("clu", 300, 1200), ("potassium", 3, 3.6), ("glycemie", 6, 9)),
            drugs="""
                kétoconazole;200 mg;1 comprimé 3 fois par jour
                amlodipine;10 mg;1 comprimé le matin
            """,
            procedure=(
                "adénomectomie hypophysaire par voie transsphénoïdale",
                "anesthésie générale",
                (
                    "Voie endonasale endoscopique, ouverture du plancher sellaire.",
                    "Exérèse de l'adénome, envoi en anatomopathologie.",
                    "Fermeture du plancher, méchage nasal.",
                ),
            ),
            scores=("IMC à [number:33 kg/m²]", "freinage minute négatif"),
            course=(
                "Cortisolémie effondrée à [number:J3] post-opératoire, signe de rémission.",
                "Substitution par [drug:hydrocortisone] débutée.",
            ),
            follow_up=(
                "Carte d'insuffisance surrénalienne remise.",
                "Cortisol à [number:8 h] à [number:3 mois].",
            ),
        ),
        _condition(
            name="acidocétose diabétique inaugurale d'un diabète de type 1",
            motif="polyuro-polydipsie et vomissements",
            ages=(15, 35),
            symptoms=(
                "Syndrome polyuro-polydipsique depuis [number:3 semaines] avec amaigrissement "
                "de [number:6 kg].",
                "Vomissements et douleurs abdominales depuis [number:24 heures].",
            ),
            findings=(
                "Déshydratation extracellulaire, [eponym:dyspnée de Kussmaul].",
                "Haleine cétonique.",
            ),
            imaging=("ECG : rythme sinusal, pas de signe de dyskaliémie.",),
            labs=(("ph", 7, 7.2), ("bicar", 5, 12), ("glycemie", 25, 40), ("cetonemie", 3, 6)),
            drugs="""
                insuline glargine;18 UI;1 injection le soir
                insuline asparte;4 UI;avant chaque repas selon le schéma
            """,
            procedure=(
                "pose d'un cathéter veineux central jugulaire interne droit",
                "anesthésie locale",
                (
                    "Repérage échographique de la veine jugulaire interne droite.",
                    "Ponction et mise en place du cathéter selon la technique de "
                    "[eponym:Seldinger].",
                    "Radiographie de contrôle : extrémité à la jonction cavo-atriale.",
                ),
            ),
            scores=("pH à l'admission à [lab_value:7,08]", "trou anionique à [number:24]"),
            course=(
                "Correction de l'acidose en [number:18 heures] sous insuline intraveineuse.",
                "Relais par schéma basal-bolus.",
            ),
            follow_up=(
                "Éducation thérapeutique en hôpital de jour.",
                "Pose d'un capteur de glucose en continu.",
            ),
        ),
    ),
)

ONCOLOGY = Specialty(
    key="oncologie",
    service="Service d'Oncologie Médicale",
    references=_all(
        "Dossier discuté selon les référentiels de l'"
        "[institution_reference:Institut National du Cancer].",
        "Patient éligible à un essai promu par [institution_reference:Unicancer].",
        "Proposition conforme aux référentiels du "
        "[institution_reference:réseau régional de cancérologie].",
    ),
    nursing=_all(
        "Chambre implantable fonctionnelle, reflux positif.",
        "Nausées grade [number:1], [drug:ondansétron] [dose:8 mg] administré.",
        "Mucite grade [number:1], bains de bouche bicarbonatés.",
    ),
    conditions=(
        _condition(
            name="carcinome canalaire infiltrant du sein gauche, RH+ HER2−, [number:pT2N1M0]",
            motif="nodule du sein gauche",
            ages=(35, 80),
            sex="F",
            symptoms=(
                "Découverte d'un nodule du quadrant supéro-externe du sein gauche à "
                "l'autopalpation.",
                "Mammographie de dépistage classée ACR [number:5].",
            ),
            findings=(
                "Nodule de [number:25 mm] du quadrant supéro-externe gauche.",
                "Adénopathie axillaire gauche mobile.",
            ),
            imaging=(
                "Échographie mammaire : masse irrégulière de [number:24 mm].",
                "TEP-TDM : pas de lésion à distance.",
            ),
            labs=(("ca153", 18, 45), ("pnn", 2, 5)),
            drugs="""
                létrozole;2,5 mg;1 comprimé par jour pendant 5 ans
                colécalciférol;100 000 UI;1 ampoule tous les 3 mois
            """,
            procedure=(
                "tumorectomie gauche avec technique du ganglion sentinelle",
                "anesthésie générale",
                (
                    "Injection péri-aréolaire de bleu patenté et repérage isotopique.",
                    "Tumorectomie emportant la lésion avec marges macroscopiquement saines, "
                    "orientation de la pièce.",
                    "Exérèse de [number:2] ganglions sentinelles axillaires.",
                ),
            ),
            scores=(
                "[eponym:grade de Scarff-Bloom-Richardson] [number:2], Ki67 à [number:25 %]",
                "ECOG [number:0]",
            ),
            course=(
                "Suites opératoires simples.",
                "Consultation d'annonce infirmière réalisée.",
            ),
            follow_up=(
                "Radiothérapie mammaire à débuter après la chimiothérapie.",
                "Mammographie annuelle.",
            ),
            rcp=(
                "Chimiothérapie adjuvante par [number:4] cures d'[drug:épirubicine] "
                "[dose:90 mg/m²] et [drug:cyclophosphamide] [dose:600 mg/m²], puis "
                "[number:12] injections hebdomadaires de [drug:paclitaxel] [dose:80 mg/m²].",
                "Radiothérapie du sein gauche puis hormonothérapie par [drug:létrozole] "
                "[dose:2,5 mg] pendant [number:5 ans].",
            ),
        ),
        _condition(
            name="adénocarcinome du côlon sigmoïde [number:pT3N1aM0]",
            motif="rectorragies et anémie ferriprive",
            ages=(50, 88),
            symptoms=(
                "Rectorragies intermittentes depuis [number:3 mois].",
                "Test immunologique de dépistage positif.",
            ),
            findings=("Abdomen souple, pas de masse palpable.", "Toucher rectal normal."),
            imaging=(
                "Coloscopie : lésion bourgeonnante sténosante du sigmoïde à [number:30 cm] de "
                "la marge anale.",
                "Scanner thoraco-abdomino-pelvien : pas de métastase.",
            ),
            labs=(("ace", 5, 25), ("hb", 9, 11.5), ("ferritine", 8, 25)),
            drugs="""
                oxaliplatine;85 mg/m²;perfusion à J1 tous les 14 jours
                fluorouracile;2400 mg/m²;perfusion continue de 46 heures tous les 14 jours
                acide folinique;400 mg/m²;perfusion à J1 tous les 14 jours
            """,
            procedure=(
                "colectomie sigmoïdienne par cœlioscopie avec anastomose colorectale",
                "anesthésie générale",
                (
                    "Installation en décubitus dorsal, jambes écartées, [number:4] trocarts.",
                    "Ligature de l'artère mésentérique inférieure à son origine, curage "
                    "ganglionnaire.",
                    "Anastomose colorectale mécanique selon [eponym:Knight-Griffen], test "
                    "d'étanchéité négatif.",
                ),
            ),
            scores=("ECOG [number:1]", "ECOG [number:0]"),
            course=(
                "Reprise du transit à [number:J3].",
                "Pas de fistule anastomotique.",
            ),
            follow_up=(
                "Dosage de l'ACE tous les [number:3 mois].",
                "Coloscopie à [number:1 an].",
            ),
            rcp=(
                "Chimiothérapie adjuvante par [drug:FOLFOX] pendant [number:3 mois].",
                "Chimiothérapie adjuvante par [drug:CAPOX] pendant [number:3 mois].",
            ),
        ),
        _condition(
            name="adénocarcinome pulmonaire du lobe supérieur droit, EGFR muté, stade [number:IIA]",
            motif="toux persistante et nodule pulmonaire",
            ages=(45, 85),
            symptoms=(
                "Toux sèche persistante depuis [number:2 mois], non-fumeur.",
                "Découverte d'un nodule spiculé sur un scanner de dépistage.",
            ),
            findings=("Examen clinique sans particularité.", "Pas d'adénopathie palpable."),
            imaging=(
                "TEP-TDM : nodule spiculé de [number:35 mm] hypermétabolique, SUV max "
                "[number:9,4].",
                "IRM cérébrale : pas de localisation secondaire.",
            ),
            labs=(("ace", 3, 12), ("creat", 55, 100)),
            drugs="""
                osimertinib;80 mg;1 comprimé par jour
            """,
            procedure=(
                "lobectomie supérieure droite par vidéothoracoscopie avec curage ganglionnaire",
                "anesthésie générale",
                (
                    "Intubation sélective, décubitus latéral gauche, [number:3] trocarts.",
                    "Lobectomie supérieure droite, section bronchique à l'agrafeuse.",
                    "Curage ganglionnaire médiastinal, drain thoracique en place.",
                ),
            ),
            scores=("ECOG [number:0]", "ECOG [number:1]"),
            course=(
                "Ablation du drain thoracique à [number:J3].",
                "Kinésithérapie respiratoire quotidienne.",
            ),
            follow_up=(
                "Scanner thoracique tous les [number:6 mois].",
                "Sevrage tabagique du conjoint encouragé.",
            ),
            rcp=(
                "Chimiothérapie adjuvante par [drug:cisplatine]-[drug:vinorelbine] "
                "([number:4] cycles) puis [drug:osimertinib] [dose:80 mg] pendant "
                "[number:3 ans].",
            ),
        ),
        _condition(
            name="adénocarcinome prostatique, [eponym:score de Gleason] [number:7 (3+4)], "
            "ISUP [number:2]",
            motif="élévation du PSA",
            ages=(50, 80),
            sex="M",
            symptoms=(
                "Élévation progressive du PSA sur [number:2] dosages.",
                "Pollakiurie nocturne sans hématurie.",
            ),
            findings=("Toucher rectal : nodule du lobe gauche.",),
            imaging=(
                "IRM prostatique : lésion PI-RADS [number:4] de la zone périphérique gauche.",
                "Scintigraphie osseuse : pas de lésion suspecte.",
            ),
            labs=(("psa", 8, 25),),
            drugs="""
                tadalafil;5 mg;1 comprimé par jour
            """,
            procedure=(
                "prostatectomie totale robot-assistée avec curage ilio-obturateur",
                "anesthésie générale",
                (
                    "Installation en [eponym:Trendelenburg], [number:6] trocarts.",
                    "Dissection des bandelettes vasculo-nerveuses, prostatectomie totale.",
                    "Anastomose vésico-urétrale par surjet, sonde urinaire en place.",
                ),
            ),
            scores=("ECOG [number:0]", "stade cT2b"),
            course=(
                "Ablation de la sonde urinaire à [number:J7] après cystographie.",
                "Continence partielle à la sortie.",
            ),
            follow_up=("PSA à [number:6 semaines].", "Rééducation périnéale."),
            rcp=(
                "Prostatectomie totale avec curage ganglionnaire, surveillance du PSA.",
                "Radiothérapie externe prostatique associée à une hormonothérapie courte de "
                "[number:6 mois].",
            ),
        ),
        _condition(
            name="[eponym:lymphome de Hodgkin] classique scléronodulaire, stade [number:IIA]",
            motif="adénopathies cervicales",
            ages=(18, 40),
            symptoms=(
                "Adénopathies cervicales gauches indolores depuis [number:2 mois].",
                "Prurit généralisé, sans fièvre ni sueurs.",
            ),
            findings=(
                "Adénopathies cervicales gauches de [number:3 cm], fermes et mobiles.",
                "Pas d'hépatosplénomégalie.",
            ),
            imaging=(
                "TEP-TDM : atteinte ganglionnaire sus-diaphragmatique, [eponym:Deauville] "
                "[number:5].",
            ),
            labs=(("crp", 10, 40), ("hb", 11, 13.5), ("leuco", 9, 14)),
            drugs="""
                doxorubicine;25 mg/m²;J1 et J15 de chaque cycle
                bléomycine;10 mg/m²;J1 et J15 de chaque cycle
                vinblastine;6 mg/m²;J1 et J15 de chaque cycle
                dacarbazine;375 mg/m²;J1 et J15 de chaque cycle
            """,
            procedure=(
                "exérèse d'une adénopathie cervicale gauche",
                "anesthésie générale",
                (
                    "Incision cervicale latérale gauche de [number:3 cm].",
                    "Exérèse d'une adénopathie de [number:25 mm] envoyée à l'état frais.",
                    "Fermeture intradermique.",
                ),
            ),
            scores=("ECOG [number:0]", "ECOG [number:1]"),
            course=("Bonne tolérance du premier cycle.", "Préservation de fertilité réalisée."),
            follow_up=(
                "TEP-TDM d'évaluation après [number:2] cycles.",
                "Surveillance de la fonction respiratoire sous [drug:bléomycine].",
            ),
            rcp=(
                "Chimiothérapie par [number:4] cycles d'[drug:ABVD] puis radiothérapie des "
                "territoires atteints selon la TEP intermédiaire.",
            ),
        ),
    ),
)

SPECIALTIES = {
    specialty.key: specialty
    for specialty in (
        CARDIOLOGY,
        PNEUMOLOGY,
        GASTROENTEROLOGY,
        NEUROLOGY,
        ENDOCRINOLOGY,
        ONCOLOGY,
    )
}


@dataclass(frozen=True)
class Comorbidity:
    name: Marked
    drug: Drug | None


_COMORBIDITIES = tuple(
    Comorbidity(marked(name), Drug(*drug.split(";")) if drug else None)
    for name, drug in (
        ("hypertension artérielle", "amlodipine;5 mg;1 comprimé le matin"),
        ("hypertension artérielle", "ramipril;5 mg;1 gélule le soir"),
        ("diabète de type 2", "metformine;850 mg;1 comprimé matin et soir"),
        ("dyslipidémie", "atorvastatine;20 mg;1 comprimé le soir"),
        ("hypothyroïdie", "lévothyroxine;75 µg;1 comprimé le matin à jeun"),
        ("syndrome anxio-dépressif", "sertraline;50 mg;1 comprimé le matin"),
        ("reflux gastro-œsophagien", "oméprazole;20 mg;1 gélule le matin"),
        ("goutte", "allopurinol;100 mg;1 comprimé par jour"),
        ("[eponym:maladie de Horton]", "prednisone;7 mg;1 prise le matin"),
        ("insuffisance rénale chronique de stade [number:3]", ""),
        ("tabagisme sevré, [number:30 paquets-années]", ""),
        ("obésité, IMC à [number:34 kg/m²]", ""),
        ("syndrome d'apnées obstructives du sommeil appareillé", ""),
        ("[eponym:syndrome de Raynaud]", ""),
        ("[eponym:maladie de Dupuytren]", ""),
        ("glaucome chronique", "latanoprost;0,005 %;1 goutte le soir dans chaque œil"),
    )
)

_SURGERIES: tuple[tuple[Marked, Sex | None], ...] = tuple(
    (marked(name), sex)
    for name, sex in (
        ("appendicectomie", None),
        ("cholécystectomie", None),
        ("prothèse totale de hanche droite", None),
        ("cure de hernie inguinale selon [eponym:Lichtenstein]", "M"),
        ("césarienne", "F"),
        ("amygdalectomie", None),
        ("chirurgie de la cataracte", None),
        ("hystérectomie", "F"),
        ("méniscectomie du genou droit", None),
        ("libération du canal carpien droit", None),
    )
)

_ALLERGIES = _all(
    "[drug:pénicilline] (urticaire)",
    "[drug:amoxicilline] ([eponym:œdème de Quincke])",
    "produits de contraste iodés",
    "latex",
    "[drug:codéine] (vomissements)",
    "anti-inflammatoires non stéroïdiens (bronchospasme)",
    "sulfamides (éruption cutanée)",
)


@dataclass(frozen=True)
class PastEvent:
    event: Marked
    when: date  # written as a month and year ("mars 2008"): a DATE span


@dataclass(frozen=True)
class ClinicalFacts:
    """What happened, independent of how a document phrases it (the summary's key facts)."""

    specialty: Specialty
    condition: Condition
    comorbidities: tuple[Comorbidity, ...]
    surgeries: tuple[PastEvent, ...]
    allergies: tuple[Marked, ...]  # empty: no known allergy
    labs: tuple[LabResult, ...]
    vitals: Vitals
    symptoms: tuple[Marked, ...]
    findings: tuple[Marked, ...]
    imaging: tuple[Marked, ...]
    score: Marked
    course: tuple[Marked, ...]
    follow_up: tuple[Marked, ...]
    rcp: Marked | None
    reference: Marked
    nursing: Marked

    @property
    def home_drugs(self) -> tuple[Drug, ...]:
        return tuple(c.drug for c in self.comorbidities if c.drug is not None)

    @property
    def discharge_drugs(self) -> tuple[Drug, ...]:
        """The stay's drugs, then home drugs not replaced by one of the same name."""
        new = {drug.name for drug in self.condition.drugs}
        return self.condition.drugs + tuple(d for d in self.home_drugs if d.name not in new)


@dataclass(frozen=True)
class Patient:
    person: Person  # usage name, contact details, home address
    origin: str  # of the family's names (identities.ORIGINS): relatives' first names follow it
    birth_date: date
    birth_surname: str  # nom de naissance; differs from person.surname after a name change
    birth_city: City | None  # None: born abroad
    nir: str
    ipp: str


@dataclass(frozen=True)
class Relative:
    person: Person
    relation: str  # as written in a note: "épouse", "fils", "mère"…


@dataclass(frozen=True)
class CareTeam:
    senior: Person
    interne: Person
    chirurgien: Person
    anesthesiste: Person
    ide: Person
    medecin_traitant: Person
    oncologue: Person
    radiologue: Person
    pathologiste: Person
    radiotherapeute: Person
    biologiste: Person


@dataclass(frozen=True)
class CareSite:
    hospital: Hospital
    address: Address
    phone: str
    service: str
    service_phone: str
    service_email: str


@dataclass(frozen=True)
class Timeline:
    admission: date
    procedure: date
    sample: date
    care: date  # a nursing shift during the stay
    discharge: date
    report: date
    rcp: date
    consultation: date
    next: date


@dataclass(frozen=True)
class ClinicalCase:
    patient: Patient
    relatives: tuple[Relative, Relative]
    team: CareTeam
    site: CareSite
    nda: str
    dates: Timeline
    facts: ClinicalFacts

    @property
    def age(self) -> int:
        """Age in years at admission (not PHI: rendered as a "number" keep span)."""
        born, seen = self.patient.birth_date, self.dates.admission
        return seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))


_FIRST_DAY = date(2016, 1, 1)
_LAST_DAY = date(2024, 12, 31)


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _vitals(rng: random.Random) -> Vitals:
    return Vitals(
        systolic=rng.randint(100, 165),
        diastolic=rng.randint(55, 95),
        heart_rate=rng.randint(55, 110),
        temperature=round(rng.uniform(36.2, 38.4), 1),
        spo2=rng.randint(90, 99),
        weight=rng.randint(48, 112),
    )


_NORMAL_RANGES = {key: (test.low, test.high) for key, test in LAB_TESTS.items()} | {"crp": (1, 8)}


def _labs(rng: random.Random, condition: Condition) -> tuple[LabResult, ...]:
    """The condition's tests at its abnormal values, then the standard panel within normal."""
    ranges = _NORMAL_RANGES | {key: (low, high) for key, low, high in condition.labs}
    keys = dict.fromkeys((*(key for key, _, _ in condition.labs), *_STANDARD_PANEL))
    return tuple(
        LabResult(LAB_TESTS[key], round(rng.uniform(*ranges[key]), LAB_TESTS[key].decimals))
        for key in keys
    )


def _pick(rng: random.Random, options: tuple[Marked, ...], most: int) -> tuple[Marked, ...]:
    """Between one and ``most`` options, in their written order (symptoms read in sequence)."""
    count = rng.randint(1, min(most, len(options)))
    chosen = set(rng.sample(range(len(options)), count))
    return tuple(option for index, option in enumerate(options) if index in chosen)


def _facts(
    rng: random.Random, specialty: Specialty, condition: Condition, sex: Sex, birth: date, day: date
) -> ClinicalFacts:
    age = day.year - birth.year
    count = rng.choice((0, 1, 1, 2, 2, 3) if age >= 45 else (0, 0, 0, 1))
    comorbidities = tuple(rng.sample(_COMORBIDITIES, count))
    surgeries: list[PastEvent] = []
    if age >= 20:
        eligible = [name for name, only in _SURGERIES if only in (None, sex)]
        for name in rng.sample(eligible, rng.choice((0, 1, 1, 2))):
            when = _random_day(rng, date(birth.year + 12, 1, 1), date(day.year - 1, 12, 31))
            surgeries.append(PastEvent(name, when))
    surgeries.sort(key=lambda past: past.when)
    return ClinicalFacts(
        specialty=specialty,
        condition=condition,
        comorbidities=comorbidities,
        surgeries=tuple(surgeries),
        allergies=tuple(rng.sample(_ALLERGIES, rng.choice((0, 0, 0, 1, 1, 2)))),
        labs=_labs(rng, condition),
        vitals=_vitals(rng),
        symptoms=_pick(rng, condition.symptoms, 3),
        findings=_pick(rng, condition.findings, 3),
        imaging=_pick(rng, condition.imaging, 2),
        score=rng.choice(condition.scores),
        course=_pick(rng, condition.course, 3),
        follow_up=_pick(rng, condition.follow_up, 3),
        rcp=rng.choice(condition.rcp) if condition.rcp else None,
        reference=rng.choice(specialty.references),
        nursing=rng.choice(specialty.nursing),
    )


def _person(
    rng: random.Random, sex: Sex, birth_year: int, origin: str, surname: str = ""
) -> Person:
    """A name only; callers add contact details with ``dataclasses.replace``."""
    return Person(
        first_name=ids.random_first_name(rng, sex, birth_year, origin),
        surname=surname or ids.random_surname(rng, origin),
        sex=sex,
    )


_PARTNER_WORDS = {"M": ("époux", "conjoint", "compagnon"), "F": ("épouse", "conjointe", "compagne")}
_SIBLING_WORDS = {"M": "frère", "F": "sœur"}
_CHILD_WORDS = {"M": "fils", "F": "fille"}


def _relatives(rng: random.Random, patient: Patient, age: int) -> tuple[Relative, Relative]:
    """A partner, sibling or parent and a child or parent, some sharing the patient's surname.

    Sharing a surname is the ``relative_same_surname`` hard case: same text, another person,
    another entity_id.
    """
    me, year = patient.person, patient.birth_date.year

    def relative(relation: str, sex: Sex, birth_year: int, surname: str = "") -> Relative:
        person = _person(rng, sex, birth_year, patient.origin, surname)
        return Relative(replace(person, phone=ids.random_mobile(rng)), relation)

    def parent(sex: Sex) -> Relative:
        if sex == "M":
            return relative("père", "M", year - rng.randint(25, 38), patient.birth_surname)
        surname = patient.birth_surname if rng.random() < 0.5 else ""
        return relative("mère", "F", year - rng.randint(22, 36), surname)

    if age < 30:
        return parent("M"), parent("F")
    married_name = me.surname != patient.birth_surname
    if rng.random() < 0.75:
        sex: Sex = "F" if me.sex == "M" else "M"
        if me.sex == "F":
            surname = me.surname if married_name else ""
        else:
            surname = me.surname if rng.random() < 0.5 else ""
        word = rng.choice(_PARTNER_WORDS[sex])
        first = relative(word, sex, year + rng.randint(-5, 5), surname)
        fathers_name = me.surname if me.sex == "M" else first.person.surname
    else:
        sex = rng.choice(("M", "F"))
        first = relative(_SIBLING_WORDS[sex], sex, year + rng.randint(-6, 6), patient.birth_surname)
        fathers_name = me.surname if me.sex == "M" or rng.random() < 0.5 else ""
    if age < 45:
        return first, parent(rng.choice(("M", "F")))
    sex = rng.choice(("M", "F"))
    return first, relative(_CHILD_WORDS[sex], sex, year + rng.randint(22, 35), fathers_name)


def _patient(rng: random.Random, sex: Sex, birth: date, site_city: City) -> Patient:
    origin = ids.random_origin(rng)
    birth_surname = ids.random_surname(rng, origin)
    surname = birth_surname
    if sex == "F" and rng.random() < 0.45:  # nom d'usage: her spouse's name
        surname = ids.random_surname(rng, rng.choice((origin, origin, ids.random_origin(rng))))
    first_name = ids.random_first_name(rng, sex, birth.year, origin)
    if origin != "france" and rng.random() < 0.6:
        birth_city, country = None, rng.choice(ids.COUNTRY_CODES[origin])
    else:
        birth_city, country = rng.choice(ids.CITIES), ""
    home = ids.city_near(rng, site_city)
    person = Person(
        first_name=first_name,
        surname=surname,
        sex=sex,
        phone=ids.random_mobile(rng) if rng.random() < 0.7 else ids.random_landline(rng, home),
        email=ids.personal_email(rng, first_name, surname, birth.year),
        address=ids.random_address(rng, home),
    )
    place = ids.nir_place(birth, birth_city, country)
    return Patient(
        person=person,
        origin=origin,
        birth_date=birth,
        birth_surname=birth_surname,
        birth_city=birth_city,
        nir=ids.make_nir(sex, birth, place, rng.randint(1, 999)),
        ipp=ids.random_ipp(rng),
    )


_PHYSICIANS = (
    "senior", "interne", "chirurgien", "anesthesiste", "oncologue", "radiologue",
    "pathologiste", "radiotherapeute", "biologiste",
)  # fmt: skip
_PROFESSORS = ("senior", "chirurgien", "oncologue")


def _team(rng: random.Random, hospital: Hospital, home: City, taken: set[str]) -> CareTeam:
    """Care team with surnames unlike the family's (``taken``, updated), so that only
    relatives share the patient's surname."""

    def clinician() -> Person:
        while True:
            sex: Sex = rng.choice(("M", "F"))
            person = _person(rng, sex, rng.randint(1955, 1998), ids.random_origin(rng))
            if person.surname not in taken:
                taken.add(person.surname)
                return person

    members: dict[str, Person] = {}
    for role in _PHYSICIANS:
        doctor = clinician()
        members[role] = replace(
            doctor,
            title="Pr" if role in _PROFESSORS and rng.random() < 0.2 else "Dr",
            rpps=ids.random_rpps(rng),
            email=ids.professional_email(rng, doctor.first_name, doctor.surname, hospital.domain),
        )
    members["ide"] = clinician()
    gp, gp_city = clinician(), ids.city_near(rng, home)
    members["medecin_traitant"] = replace(
        gp,
        title="Dr",
        rpps=ids.random_rpps(rng),
        phone=ids.random_landline(rng, gp_city),
        email=ids.professional_email(rng, gp.first_name, gp.surname, "medecin.mssante.fr"),
        address=ids.random_address(rng, gp_city),
    )
    return CareTeam(**members)


def _site(rng: random.Random, hospital: Hospital, specialty: Specialty) -> CareSite:
    service_mailbox = ids.ascii_fold(specialty.key)
    return CareSite(
        hospital=hospital,
        address=ids.random_address(rng, hospital.city),
        phone=ids.random_landline(rng, hospital.city),
        service=specialty.service,
        service_phone=ids.random_landline(rng, hospital.city),
        service_email=f"secretariat.{service_mailbox}@{hospital.domain}",
    )


def _timeline(rng: random.Random, admission: date) -> Timeline:
    stay = rng.randint(2, 14)
    discharge = admission + timedelta(days=stay)
    consultation = discharge + timedelta(days=rng.randint(20, 60))
    return Timeline(
        admission=admission,
        procedure=admission + timedelta(days=rng.randint(0, min(2, stay - 1))),
        sample=admission,
        care=admission + timedelta(days=rng.randint(1, stay - 1)),
        discharge=discharge,
        report=discharge + timedelta(days=rng.randint(0, 5)),
        rcp=discharge + timedelta(days=rng.randint(5, 15)),
        consultation=consultation,
        next=consultation + timedelta(days=rng.randint(60, 180)),
    )


def make_case(rng: random.Random, specialty: str | None = None) -> ClinicalCase:
    """A coherent random case: ``specialty`` (a SPECIALTIES key) forces the clinical field."""
    chosen = SPECIALTIES[specialty] if specialty else rng.choice(tuple(SPECIALTIES.values()))
    condition = rng.choice(chosen.conditions)
    sex: Sex = condition.sex or rng.choice(("M", "F"))
    admission = _random_day(rng, _FIRST_DAY, _LAST_DAY)
    age = rng.randint(*condition.ages)
    last_birthday = admission - timedelta(days=rng.randint(0, 364))
    if (last_birthday.month, last_birthday.day) == (2, 29):
        last_birthday -= timedelta(days=1)
    birth = last_birthday.replace(year=last_birthday.year - age)
    hospital = rng.choice(ids.HOSPITALS)
    patient = _patient(rng, sex, birth, hospital.city)
    relatives = _relatives(rng, patient, age)
    family = {patient.person.surname, patient.birth_surname}
    family.update(relative.person.surname for relative in relatives)
    home = patient.person.address.city if patient.person.address else hospital.city
    return ClinicalCase(
        patient=patient,
        relatives=relatives,
        team=_team(rng, hospital, home, family),
        site=_site(rng, hospital, chosen),
        nda=ids.random_nda(rng),
        dates=_timeline(rng, admission),
        facts=_facts(rng, chosen, condition, sex, birth, admission),
    )
