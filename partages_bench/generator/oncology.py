"""Oncology documents for the oncology family: pathology reports (compte rendu
anatomo-pathologique) and tumour board syntheses (RCP) of breast, lung, colorectal and prostate
cancers, each rendered from one seeded tumour record, which is the gold (``RECORD_FIELDS``; a
field the document does not state is ``None``).

The text comes from ``content/oncology/documents.yaml`` (sentences by pool) and
``content/oncology/vocabulary.yaml`` (each category's canonical value and its other forms, the
table the oncology scorer normalises answers with). The hard cases, each in some documents and
listed in the document's ``hard_cases``:

- ``corrected``: a percentage stated then corrected (« Ki-67 à 20 %, corrigé à 30 % après
  relecture »): the gold is the corrected value;
- ``not_evaluated``: a biomarker « non évalué »: the gold is ``None`` (no value);
- ``history``: an earlier tumour in the history, with values of its own: not in the gold;
- ``range``: a percentage written as a range (« RE 1 à 5 % »): the gold is the upper bound;
- ``decimal_comma``: a decimal number written with a comma (« PSA 6,4 ng/mL »): the gold is
  the number (6.4).

Sites are stratified (document ``i`` is of site ``SITES[i % 4]``, type ``DOC_TYPES[i // 4 %
2]``); document ``i`` of ``generate_oncology(n, seed, split)`` depends only on ``(seed, split,
i)``, and ``dev`` and ``test`` documents use disjoint phrasings.
"""

from __future__ import annotations

import random
import re
from functools import cache
from typing import Any, Literal

from partages_bench.errors import UserError
from partages_bench.generator.contentfiles import load

Pool = Literal["dev", "test"]
Document = dict[str, Any]
SITES = ("breast", "lung", "colorectal", "prostate")
DOC_TYPES = ("pathology", "rcp")
RECORD_FIELDS = (
    "primary_site",
    "laterality",
    "histological_type",
    "grade",
    "gleason_score",
    "tnm_prefix",
    "tnm_t",
    "tnm_n",
    "tnm_m",
    "tnm_edition",
    "stage",
    "margins",
    "margin_distance_mm",
    "er_percent",
    "pr_percent",
    "her2_score",
    "her2_fish",
    "ki67_percent",
    "egfr",
    "alk",
    "pd_l1_percent",
    "kras",
    "nras",
    "braf",
    "msi_status",
    "psa",
    "rcp_decision",
    "chemotherapy_regimen",
)
HARD_CASES = ("corrected", "not_evaluated", "history", "range", "decimal_comma")
BIOMARKERS = {
    "breast": ("er_percent", "pr_percent", "her2_score", "her2_fish", "ki67_percent"),
    "lung": ("egfr", "alk", "pd_l1_percent"),
    "colorectal": ("kras", "nras", "braf", "msi_status"),
    "prostate": ("psa",),
}
PERCENT_FIELDS = ("er_percent", "pr_percent", "ki67_percent", "pd_l1_percent")
_TNM = {  # site → (T, N, M) categories drawn
    "breast": (("T1b", "T1c", "T2", "T3"), ("N0", "N0", "N1", "N1mi", "N2"), ("M0", "M0", "M1")),
    "lung": (("T1b", "T1c", "T2a", "T2b", "T3", "T4"), ("N0", "N1", "N2"), ("M0", "M0", "M1a")),
    "colorectal": (("T2", "T3", "T3", "T4a"), ("N0", "N1a", "N1b", "N2a"), ("M0", "M0", "M1a")),
    "prostate": (("T2", "T3a", "T3b"), ("N0", "N0", "N1"), ("M0", "M0", "M1b")),
}
_HISTOLOGY = {
    "breast": ("carcinome infiltrant de type non spécifique", "carcinome lobulaire infiltrant"),
    "lung": ("adénocarcinome", "carcinome épidermoïde"),
    "colorectal": ("adénocarcinome lieberkühnien",),
    "prostate": ("adénocarcinome acinaire",),
}
_DIFFERENTIATION = ("bien différencié", "moyennement différencié", "peu différencié")
_GLEASON = {"3+3=6": 1, "3+4=7": 2, "4+3=7": 3, "4+4=8": 4, "4+5=9": 5}
_DECISIONS = {
    "breast": (
        ("chirurgie",),
        ("chimiothérapie", "radiothérapie", "hormonothérapie"),
        ("radiothérapie", "hormonothérapie"),
        ("chimiothérapie", "chirurgie"),
    ),
    "lung": (("chirurgie",), ("chimiothérapie",), ("chimiothérapie", "radiothérapie")),
    "colorectal": (("chimiothérapie",), ("surveillance",), ("chirurgie", "chimiothérapie")),
    "prostate": (("surveillance",), ("radiothérapie", "hormonothérapie"), ("chirurgie",)),
}
_REGIMENS = {
    "breast": ("EC-paclitaxel", "docétaxel-cyclophosphamide"),
    "lung": ("carboplatine-pémétrexed", "cisplatine-vinorelbine"),
    "colorectal": ("FOLFOX", "CAPOX"),
    "prostate": ("docétaxel",),
}
_SEGMENTS = {
    "côlon": ("du côlon sigmoïde", "du côlon droit", "du côlon gauche"),
    "rectum": ("du haut rectum", "du moyen rectum", "du bas rectum"),
}
# How often a field the document could state is left out (its gold is then None).
OMIT = 0.12
_P_HARD = {"corrected": 0.35, "not_evaluated": 0.3, "history": 0.35, "range": 0.3}


@cache
def vocabulary() -> dict[str, dict[str, list[str]]]:
    """Each category field's canonical values and their other forms (``vocabulary.yaml``)."""
    table = load("oncology/vocabulary.yaml", {str: {str: [str]}})
    unknown = set(table) - set(RECORD_FIELDS)
    if unknown:
        raise UserError(f"oncology/vocabulary.yaml: unknown field {sorted(unknown)[0]!r}")
    return table


_POOLED = {"dev": [str], "test": [str]}
_BY_SITE = {"breast": _POOLED, "lung": _POOLED, "colorectal": _POOLED, "prostate": _POOLED}
_LABELLED = {"labels": [str], "dev": [str], "test": [str]}
_DOCUMENTS_SCHEMA = {
    "headers": {"pathology": _POOLED, "rcp": _POOLED},
    **dict.fromkeys(("patient", "no_history", "history", "grade", "gleason_score"), _POOLED),
    **dict.fromkeys(("tnm", "tnm_no_edition", "stage", "margins", "margins_no_distance"), _POOLED),
    **dict.fromkeys(("corrected", "not_evaluated", "range"), _POOLED),
    "history_histology": {site: [str] for site in SITES},
    **dict.fromkeys(("specimen", "tumour", "tumour_no_laterality"), _BY_SITE),
    "numbers": {str: _LABELLED},
    "categories": {str: _LABELLED},
    "rcp": {"intro": _POOLED, "decision": _POOLED, "regimen": _POOLED},
    "boards": {site: [str] for site in SITES},
}


@cache
def _documents() -> dict[str, Any]:
    """The sentences of the documents (``documents.yaml``), checked."""
    return load("oncology/documents.yaml", _DOCUMENTS_SCHEMA)


def _number_text(value: float) -> str:
    """A number as a French report writes it: a decimal comma, no trailing zero."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.replace(".", ",")


def _stage(site: str, t: str, n: str, m: str | None) -> str:
    """A plausible stage from the TNM categories (not a staging reference: the gold is what the
    document says)."""
    if m is not None and m.startswith("M1"):
        return "IV"
    if site == "prostate":
        return "III" if t.startswith("T3") or n != "N0" else "II"
    if n in ("N2", "N2a", "N3"):
        return "IIIA" if site != "colorectal" else "IIIB"
    if n != "N0":
        return "IIB" if t[:2] in ("T1", "T2") else "IIIA"
    return {"T1": "IA", "T2": "IIA" if site == "breast" else "IB", "T3": "IIB", "T4": "IIIA"}.get(
        t[:2], "II"
    )


def make_record(rng: random.Random, site: str, doc_type: str) -> dict[str, Any]:
    """Every field of one tumour as this document states it (None: not stated)."""
    record: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)
    primary = {"breast": "sein", "lung": "poumon", "prostate": "prostate"}.get(site)
    record["primary_site"] = primary or rng.choice(("côlon", "rectum"))
    if site in ("breast", "lung"):
        record["laterality"] = rng.choice(("droit", "gauche"))
    elif site == "prostate":
        record["laterality"] = rng.choice(("droit", "gauche", "bilatéral"))
    record["histological_type"] = rng.choice(_HISTOLOGY[site])
    if site == "breast":
        record["grade"] = f"SBR {rng.randint(1, 3)}"
    elif site == "prostate":
        record["gleason_score"] = rng.choice(tuple(_GLEASON))
        record["grade"] = f"ISUP {_GLEASON[record['gleason_score']]}"
    else:
        record["grade"] = rng.choice(_DIFFERENTIATION)
    t_values, n_values, m_values = _TNM[site]
    neoadjuvant = doc_type == "pathology" and rng.random() < 0.15
    record["tnm_prefix"] = "yp" if neoadjuvant else ("p" if doc_type == "pathology" else "c")
    record["tnm_t"], record["tnm_n"] = rng.choice(t_values), rng.choice(n_values)
    record["tnm_m"] = rng.choice(m_values) if doc_type == "rcp" or rng.random() < 0.5 else None
    record["tnm_edition"] = 8
    if doc_type == "rcp":
        record["stage"] = _stage(site, record["tnm_t"], record["tnm_n"], record["tnm_m"])
    if doc_type == "pathology" or rng.random() < 0.4:
        record["margins"] = rng.choice(("R0", "R0", "R0", "R1"))
        if record["margins"] == "R0":
            record["margin_distance_mm"] = rng.choice((1, 2, 3, 5, 8, 0.5, 1.5, 2.5))
    if site == "breast":
        er = rng.choice((0, 5, 40, 80, 90, 95, 100))
        record["er_percent"] = er
        record["pr_percent"] = 0 if er == 0 else rng.choice((0, 10, 30, 60, 80))
        record["her2_score"] = rng.choice(("0", "1+", "2+", "3+"))
        if record["her2_score"] == "2+":
            record["her2_fish"] = rng.choice(("amplifié", "non amplifié"))
        record["ki67_percent"] = rng.choice((5, 10, 15, 20, 30, 40, 60))
    elif site == "lung":
        if record["histological_type"] == "adénocarcinome":
            record["egfr"] = rng.choice(("muté", "non muté", "non muté"))
            record["alk"] = rng.choice(("réarrangé", "non réarrangé", "non réarrangé"))
        record["pd_l1_percent"] = rng.choice((0, 1, 10, 30, 50, 80))
    elif site == "colorectal":
        record["kras"] = rng.choice(("muté", "non muté"))
        record["nras"] = (
            "non muté" if record["kras"] == "muté" else rng.choice(("muté", "non muté"))
        )
        record["braf"] = rng.choice(("muté", "non muté", "non muté"))
        record["msi_status"] = rng.choice(("MSI", "MSS", "MSS", "MSS"))
    elif doc_type == "rcp" or rng.random() < 0.5:
        record["psa"] = round(rng.uniform(3.0, 25.0), 1)
    if doc_type == "rcp":
        record["rcp_decision"] = list(rng.choice(_DECISIONS[site]))
        if "chimiothérapie" in record["rcp_decision"]:
            record["chemotherapy_regimen"] = rng.choice(_REGIMENS[site])
    for name in ("grade", "tnm_edition", "margin_distance_mm", "pr_percent", "tnm_m"):
        if record[name] is not None and rng.random() < OMIT:
            record[name] = None
    return record


def _form(rng: random.Random, field: str, value: str) -> str:
    """A category value as written: its canonical form or one of its other forms."""
    forms = vocabulary().get(field, {}).get(value)
    return rng.choice([value, *forms]) if forms else value


class _Writer:
    """Sentences of one document, drawn from its pool."""

    def __init__(self, rng: random.Random, pool: Pool) -> None:
        self.rng, self.pool, self.content = rng, pool, _documents()

    def say(self, section: Any, **slots: Any) -> str:
        return self.rng.choice(section[self.pool]).format(**slots)


def _tumour_slots(rng: random.Random, record: dict[str, Any]) -> dict[str, str]:
    laterality = record["laterality"] or ""
    feminine = {"droit": "droite", "gauche": "gauche", "bilatéral": "bilatérale"}
    prostate_side = {"droit": "lobe droit", "gauche": "lobe gauche", "bilatéral": "les deux lobes"}
    site = record["primary_site"]
    return {
        "histology": _form(rng, "histological_type", record["histological_type"]),
        "laterality": laterality,
        "laterality_f": feminine.get(laterality, ""),
        "laterality_prostate": prostate_side.get(laterality, ""),
        "other_side": "gauche" if laterality == "droit" else "droit",
        "lobe": rng.choice(("supérieur", "inférieur")),
        "segment": rng.choice(_SEGMENTS.get(site, ("",))),
    }


def _hard_cases(rng: random.Random, record: dict[str, Any], site: str) -> dict[str, str]:
    """The hard cases this document shows: case → the field it is about ("" for history)."""
    cases: dict[str, str] = {}
    percents = [name for name in PERCENT_FIELDS if record[name] is not None]
    rng.shuffle(percents)
    for case in ("corrected", "range"):
        if percents and rng.random() < _P_HARD[case]:
            cases[case] = percents.pop()
    markers = [name for name in BIOMARKERS[site] if record[name] is not None and name != "psa"]
    markers = [name for name in markers if name not in cases.values()]
    if markers and rng.random() < _P_HARD["not_evaluated"]:
        cases["not_evaluated"] = rng.choice(markers)
    if rng.random() < _P_HARD["history"]:
        cases["history"] = ""
    return cases


def _biomarker_sentences(
    writer: _Writer, record: dict[str, Any], site: str, cases: dict[str, str]
) -> list[str]:
    content, rng, sentences = writer.content, writer.rng, []
    for name in BIOMARKERS[site]:
        value = record[name]
        if value is None:
            continue
        numbers = content["numbers"].get(name)
        section = numbers or content["categories"][name]
        label = rng.choice(section["labels"])
        if cases.get("not_evaluated") == name:
            sentences.append(writer.say(content["not_evaluated"], label=label))
            record[name] = None
        elif cases.get("corrected") == name:
            first = rng.choice([v for v in (5, 10, 20, 30, 50, 70) if v != value])
            sentences.append(
                writer.say(content["corrected"], label=label, first=first, value=value)
            )
        elif cases.get("range") == name:
            low = max(0, value - rng.choice((4, 5, 9, 10))) if value else 0
            high = value if value else 1
            record[name] = high
            sentences.append(writer.say(content["range"], label=label, low=low, high=high))
        elif numbers:
            sentences.append(writer.say(section, value=_number_text(value)))
        else:
            sentences.append(writer.say(section, value=_form(rng, name, value)))
    return sentences


def _tnm_sentence(writer: _Writer, record: dict[str, Any]) -> str:
    prefix = record["tnm_prefix"]
    slots = {
        "prefix": prefix,
        "prefix_m": "" if record["tnm_m"] is None else "c",
        "t": record["tnm_t"],
        "n": record["tnm_n"],
        "m": record["tnm_m"] or "",
        "edition": record["tnm_edition"],
    }
    key = "tnm" if record["tnm_edition"] is not None else "tnm_no_edition"
    return writer.say(writer.content[key], **slots)


def _clean(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r" +([.,)])", r"\1", text)


def render(
    rng: random.Random, record: dict[str, Any], site: str, doc_type: str, pool: Pool
) -> tuple[str, list[str]]:
    """The document's text and its hard cases; ``record`` is changed to what the text states
    (a value « non évalué » becomes None, a range its upper bound)."""
    writer, content = _Writer(rng, pool), _documents()
    cases = _hard_cases(rng, record, site)
    slots = _tumour_slots(rng, record)
    female = site == "breast" or (site != "prostate" and rng.random() < 0.5)
    civility = "Patiente" if female else "Patient"
    lines = [writer.say(content["headers"][doc_type])]
    patient = writer.say(
        content["patient"],
        civility=civility,
        civility_lower=civility.lower(),
        age=rng.randint(42, 84),
    )
    if doc_type == "rcp":
        board = rng.choice(content["boards"][site])
        date = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2025"
        patient = f"{writer.say(content['rcp']['intro'], board=board, date=date)} {patient}"
    lines.append(patient)
    if "history" in cases:
        history = writer.say(
            content["history"],
            history_histology=rng.choice(content["history_histology"][site]).format(**slots),
            year=rng.randint(1998, 2018),
            history_tnm=f"pT{rng.randint(1, 3)}N{rng.randint(0, 1)}",
            history_ki67=rng.choice((8, 12, 25, 45)),
            history_er=rng.choice((60, 70, 100)),
        )
        lines.append(history)
    else:
        lines.append(writer.say(content["no_history"]))
    body = []
    if doc_type == "pathology":
        lines.append(writer.say(content["specimen"][site], **slots))
    tumour_key = "tumour" if record["laterality"] is not None else "tumour_no_laterality"
    body.append(writer.say(content[tumour_key][site], **slots))
    if record["gleason_score"] is not None:
        body.append(
            writer.say(
                content["gleason_score"], value=_form(rng, "gleason_score", record["gleason_score"])
            )
        )
    if record["grade"] is not None:
        body.append(writer.say(content["grade"], value=_form(rng, "grade", record["grade"])))
    body.append(_tnm_sentence(writer, record))
    if record["stage"] is not None:
        body.append(writer.say(content["stage"], value=record["stage"]))
    if record["margins"] is not None:
        margins = _form(rng, "margins", record["margins"])
        if record["margin_distance_mm"] is not None:
            distance = _number_text(record["margin_distance_mm"])
            body.append(writer.say(content["margins"], value=margins, distance=distance))
        else:
            body.append(writer.say(content["margins_no_distance"], value=margins))
    body += _biomarker_sentences(writer, record, site, cases)
    if record["rcp_decision"]:
        items = [_form(rng, "rcp_decision", item) for item in record["rcp_decision"]]
        decision = ", ".join(items[:-1]) + (" puis " if len(items) > 1 else "") + items[-1]
        body.append(writer.say(content["rcp"]["decision"], value=decision))
        if record["chemotherapy_regimen"] is not None:
            regimen = _form(rng, "chemotherapy_regimen", record["chemotherapy_regimen"])
            body.append(writer.say(content["rcp"]["regimen"], value=regimen))
    lines.append(" ".join(body))
    decimals = [record[name] for name in ("psa", "margin_distance_mm")]
    hard = [case for case in HARD_CASES if case in cases]
    if any(isinstance(value, float) and not value.is_integer() for value in decimals):
        hard.append("decimal_comma")
    return _clean("\n".join(line[0].upper() + line[1:] for line in lines)), hard


def make_document(index: int, seed: int, pool: Pool) -> Document:
    """Document ``index``: its text, site, type, hard cases and gold record."""
    rng = random.Random(f"oncology:{seed}:{pool}:{index}")
    site, doc_type = SITES[index % len(SITES)], DOC_TYPES[index // len(SITES) % len(DOC_TYPES)]
    record = make_record(rng, site, doc_type)
    text, hard = render(rng, record, site, doc_type, pool)
    return {
        "id": f"onco-{pool}-{seed}-{index:04d}",
        "text": text,
        "site": site,
        "document_type": doc_type,
        "hard_cases": hard,
        "record": record,
    }


def generate_oncology(n: int, seed: int, split: str) -> list[Document]:
    """``n`` documents of the ``split`` pool (``dev``: few-shot examples, ``test``: evaluated)."""
    if split not in ("dev", "test"):
        raise UserError(f"split '{split}': choose dev or test")
    return [make_document(index, seed, split) for index in range(n)]  # type: ignore[arg-type]
