"""PARHAF (Health Data Hub, CC-BY-4.0, arXiv 2603.20494): contracts and converters.

PARHAF is a corpus of fictitious French hospital reports written by clinicians, published on the
Hugging Face hub as four datasets whose mirrors are hub snapshots (``snapshot.py``):

- ``parhaf`` (``HealthDataHub/PARHAF``): one row per patient case, ``id``, ``specialty``, the
  case's reports (``documents``: ``type``, ``header``, ``text``, ``word_count``) and the scenario
  the author was given (``suggested_scenario``);
- three annotated sets (pseudonymisation, infectiology, response to treatment) in the INCEpTION
  export layout: a ``document_metadata`` config (``report``, ``full_text``, document attributes)
  and a ``spans`` config (``report``, ``begin``/``end`` where present, ``span_text``, ``span_type``,
  ``attribute_*``), each with ``train`` and ``dev`` splits (test embargoed).

The schema comes from the cards at the pinned revisions and from the third-party harness
``lounesmechouek/parhaf-clibench`` (its contract snapshot gives the label sets); what could not be
confirmed is said where it matters below and in the task cards.

Conversion rules shared by the annotated sets:

- spans are grouped by ``report``; a span whose report has no ``document_metadata`` row in the
  same split is an error naming it, as is a report listed twice;
- a span with ``begin``/``end`` must cover exactly its ``span_text`` (offsets in characters of
  ``full_text``); one without them is located at the first occurrence of its ``span_text``, and
  a text that does not occur is one error naming the dataset, report and span;
- ``speciality`` is the report's ``specialty`` (or ``speciality``) column when the files have one,
  else ``INCONNUE``: no annotated set is documented to carry it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any

from partages_bench.data.converters import _entity
from partages_bench.data.snapshot import Column, Record, Row, Splits, Tables
from partages_bench.errors import UserError

UNKNOWN_SPECIALITY = "INCONNUE"

PSEUDO_LABELS = (
    "ADDRESS",
    "CITY",
    "COUNTRY",
    "FAMILY_STATUS",
    "FIRST_NAME",
    "IDENTIFYING_DATE",
    "LAST_NAME",
    "PATIENT_BIRTHDATE",
    "PATIENT_NATIONALITY",
    "PATIENT_SOCIAL_IDENTITY",
    "PHONE_NUMBER",
    "UNIDENTIFYING_DATE",
    "URL",
)
PSEUDO_ROLES = ("Patient", "Carer", "Other")
INFECTIOLOGY_LABELS = ("Bacterie", "Bacteriemie", "Infection", "Site")
NEGATION_VALUES = ("Present", "Absent", "Indetermine")
RESPONSE_LABELS = (
    "ReponseComplete",
    "ReponsePartielle",
    "MaladieStable",
    "MaladieProgressive",
    "NonApplicable",
    "NonDetermine",
)
SPECIALITIES = (
    "ANATOMOPATHOLOGIE",
    "CANCERO ADULTE",
    "CARDIOLOGIE",
    "CHIR ORTHO ET TRAUMATO",
    "CHIR.CARDIO-VASC.",
    "CHIRURGIE VISCERALE",
    "GYNECOLOGIE",
    "HEMATOLOGIE CLINIQUE",
    "HEPATO-GASTRO-ENTERO",
    "MALADIES INFECTIEUSES",
    "MEDECINE GERIATRIQUE",
    "MEDECINE INTER-SPECIALITES",
    "MEDECINE INTERNE",
    "MEDECINE PEDIATRIQUE",
    "NEPHROLOGIE",
    "NEUROLOGIE",
    "OBSTETRIQUE",
    "PNEUMOLOGIE",
    "REANIMATION",
    "UROLOGIE",
)
SCENARIO_FIELDS = (
    "name",
    "age",
    "sex",
    "admission_mode",
    "discharge_mode",
    "primary_diagnosis",
    "primary_procedure",
    "type_of_care",
)

_METADATA = (Column("report"), Column("full_text"))
_SPAN = (Column("report"), Column("span_text"))

PSEUDO_CONTRACT = {
    "document_metadata": _METADATA,
    "spans": (
        *_SPAN,
        Column("attribute_Categorie", frozenset(PSEUDO_LABELS)),
        # Only the person labels carry a role.
        Column("attribute_RolePER", frozenset(PSEUDO_ROLES), nullable=True),
    ),
}
INFECTIOLOGY_CONTRACT = {
    "document_metadata": _METADATA,
    "spans": (
        *_SPAN,
        Column("attribute_LABEL", frozenset(INFECTIOLOGY_LABELS)),
        Column("attribute_NEGATION", frozenset(NEGATION_VALUES)),
    ),
}
RESPONSE_CONTRACT = {
    "document_metadata": (*_METADATA, Column("attribute_Nomenclature", frozenset(RESPONSE_LABELS))),
    "spans": _SPAN,
}
SCENARIO_CONTRACT = {
    "default": (
        Column("id"),
        Column("specialty", frozenset(SPECIALITIES), nullable=True),  # null: INCONNUE
        Column("documents"),
        Column("suggested_scenario", fields=frozenset(SCENARIO_FIELDS)),
    ),
}


# --- the annotated sets -----------------------------------------------------------------------


def _speciality(row: Row) -> str:
    return row.get("specialty") or row.get("speciality") or UNKNOWN_SPECIALITY


def _documents(dataset: str, split: str, rows: list[Row], seen: set[str]) -> dict[str, Row]:
    """``document_metadata`` rows by report, in file order; a report listed twice (in this split
    or an earlier one) is an error."""
    documents: dict[str, Row] = {}
    for row in rows:
        report = row["report"]
        if report in seen or report in documents:
            raise UserError(f"{dataset}: report {report!r} is listed twice in document_metadata")
        documents[report] = row
    seen.update(documents)
    return documents


def _spans(
    dataset: str, split: str, documents: Mapping[str, Row], tables: Tables
) -> dict[str, list[Row]]:
    """``spans`` rows of ``split`` grouped by report, each report known to ``documents``."""
    grouped: dict[str, list[Row]] = {report: [] for report in documents}
    for row in tables["spans"].get(split, []):
        if row["report"] not in grouped:
            raise UserError(
                f"{dataset}: split {split!r}: span {row['span_text']!r} belongs to report "
                f"{row['report']!r}, which has no document_metadata row"
            )
        grouped[row["report"]].append(row)
    return grouped


def _offset(where: str, value: Any) -> int | None:
    """An offset as the files may hold it: an integer, or a float when a table with missing
    offsets went through pandas (NaN: missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UserError(f"{where}: offset {value!r} is not a character position")


def _offsets(dataset: str, report: str, text: str, row: Row) -> tuple[int, int]:
    """Where the span is in ``text``: its ``begin``/``end``, checked against its ``span_text``,
    else the first occurrence of its ``span_text``."""
    surface = row["span_text"]
    where = f"{dataset}: report {report!r}: span {surface!r}"
    begin, end = _offset(where, row.get("begin")), _offset(where, row.get("end"))
    if begin is not None and end is not None:
        if not (0 <= begin < end <= len(text) and text[begin:end] == surface):
            found = text[begin:end] if 0 <= begin < end <= len(text) else "outside the text"
            raise UserError(f"{where}: begin/end {begin}-{end} cover {found!r}")
        return begin, end
    start = text.find(surface) if surface else -1
    if start < 0:
        raise UserError(f"{where} has no begin/end and does not occur in the report text")
    return start, start + len(surface)


# The fields of one report a dataset adds: (report, text, metadata row, span rows) -> fields.
DocumentFields = Callable[[str, str, Row, list[Row]], Record]
_ENTITY_KEY = itemgetter("start", "end", "label")
_SPAN_KEY = itemgetter("start", "end")


def _annotated(dataset: str, tables: Tables, document: DocumentFields) -> Splits:
    """Canonical records per split: ``document(report, text, metadata row, span rows)`` gives
    the dataset's own fields of one report."""
    splits: Splits = {}
    seen: set[str] = set()
    for split, rows in tables["document_metadata"].items():
        documents = _documents(dataset, split, rows, seen)
        spans = _spans(dataset, split, documents, tables)
        splits[split] = [
            {
                "id": report,
                "text": row["full_text"],
                "speciality": _speciality(row),
                **document(report, row["full_text"], row, spans[report]),
            }
            for report, row in documents.items()
        ]
    for split in tables["spans"]:
        if split not in splits:
            raise UserError(f"{dataset}: split {split!r} has spans but no document_metadata")
    return splits


def _sorted_unique(items: Iterable[Record], key: Callable[[Record], Any]) -> list[Record]:
    """One item per key (its first occurrence), sorted by that key."""
    unique: dict[Any, Record] = {}
    for item in items:
        unique.setdefault(key(item), item)
    return [unique[k] for k in sorted(unique)]


def convert_parhaf_pseudo(tables: Tables) -> Splits:
    """PARHAF-pseudo-annotated to canonical pseudonymisation records.

    Mentions of one report with the same label and the same text are one entity (``entity_id``),
    as in eds-pseudo's converter; ``role`` is ``attribute_RolePER`` (null for the labels that are
    not a person). Entities are sorted by (start, end, label), each kept once. A record::

        {"id": "pseudo-train-01",
         "text": "COMPTE RENDU D'HOSPITALISATION - Service de cardiologie\\nPatiente : Mme Claire
                  DUVAL, née le 12/03/1958, …",
         "speciality": "CARDIOLOGIE",
         "entities": [{"start": 71, "end": 77, "text": "Claire", "label": "FIRST_NAME",
                       "role": "Patient", "entity_id": "pseudo-train-01:e0"},
                      {"start": 78, "end": 83, "text": "DUVAL", "label": "LAST_NAME",
                       "role": "Patient", "entity_id": "pseudo-train-01:e1"}, …]}
    """
    dataset = "parhaf_pseudo"

    def document(report: str, text: str, _row: Row, spans: list[Row]) -> Record:
        ids: dict[tuple[str, str], str] = {}
        entities = []
        for span in spans:
            start, end = _offsets(dataset, report, text, span)
            label = span["attribute_Categorie"]
            ids.setdefault((label, text[start:end]), f"{report}:e{len(ids)}")
            entities.append(
                {
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "label": label,
                    "role": span.get("attribute_RolePER"),
                    "entity_id": ids[(label, text[start:end])],
                }
            )
        return {"entities": _sorted_unique(entities, _ENTITY_KEY)}

    return _annotated(dataset, tables, document)


def convert_parhaf_infectiology(tables: Tables) -> Splits:
    """PARHAF-infectiology-annotated to the NER family's canonical documents plus ``negation``.

    Entities are contiguous (one fragment), trimmed of surrounding whitespace, sorted by (start,
    end, label) and kept once; ``id`` is the report and the span's rank in the file. A record::

        {"id": "infectio-train-01",
         "text": "… Hémocultures négatives : pas de bactériémie.\\nSite : rein droit, …",
         "speciality": "MALADIES INFECTIEUSES",
         "entities": [{"id": "infectio-train-01-T3", "start": 219, "end": 237,
                       "label": "Bacteriemie", "text": "pas de bactériémie",
                       "fragments": [[219, 237]], "discontinuous": false,
                       "negation": "Absent"}, …]}
    """
    dataset = "parhaf_infectiology"

    def document(report: str, text: str, _row: Row, spans: list[Row]) -> Record:
        entities = []
        for rank, span in enumerate(spans, start=1):
            start, end = _offsets(dataset, report, text, span)
            where = f"{dataset}: report {report!r}"
            label = span["attribute_LABEL"]
            entity = _entity(
                where, text, f"{report}-T{rank}", label, [[start, end]], discontinuous=False
            )
            entities.append({**entity, "negation": span["attribute_NEGATION"]})
        return {"entities": _sorted_unique(entities, _ENTITY_KEY)}

    return _annotated(dataset, tables, document)


def convert_parhaf_response(tables: Tables) -> Splits:
    """PARHAF-response_to_treatment-annotated to canonical document classification records.

    ``label`` is the report's ``attribute_Nomenclature``; ``justifications`` are its spans
    (sorted, each kept once; possibly none). A record::

        {"id": "response-dev-02",
         "text": "… Le scanner thoraco-abdomino-pelvien montre une diminution de 45 % de la somme
                  des lésions cibles, sans nouvelle lésion. …",
         "speciality": "INCONNUE", "label": "ReponsePartielle",
         "justifications": [{"start": 205, "end": 254,
                             "text": "diminution de 45 % de la somme des lésions cibles"}]}
    """
    dataset = "parhaf_response"

    def document(report: str, text: str, row: Row, spans: list[Row]) -> Record:
        found = []
        for span in spans:
            start, end = _offsets(dataset, report, text, span)
            found.append({"start": start, "end": end, "text": text[start:end]})
        justifications = _sorted_unique(found, _SPAN_KEY)
        return {"label": row["attribute_Nomenclature"], "justifications": justifications}

    return _annotated(dataset, tables, document)


# --- the main corpus: scenarios ----------------------------------------------------------------


def _columnar(value: Any) -> bool:
    """A ``Sequence`` of a struct as ``datasets`` may give it: a dict of equal-length lists."""
    return (
        isinstance(value, dict) and bool(value) and all(isinstance(v, list) for v in value.values())
    )


def _entries(value: Any) -> list[Any]:
    """A sequence of structs (a list, or a dict of lists) as a list of dicts."""
    if _columnar(value):
        return [dict(zip(value, items, strict=True)) for items in zip(*value.values(), strict=True)]
    return value if isinstance(value, list) else [value]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_NOTHING: dict[str, str | None] = {"text": None, "code": None}


def _scenario_value(value: Any) -> dict[str, str | None]:
    """``{"text", "code"}`` of one scenario field: a string is the text; a dict its
    ``description`` and ``code``, or its ``value`` and ``unit``; a sequence (the primary
    diagnosis) its first filled entry; nothing given is both null."""
    if isinstance(value, list) or _columnar(value):
        filled = [v for v in map(_scenario_value, _entries(value)) if v != _NOTHING]
        return filled[0] if filled else dict(_NOTHING)
    if isinstance(value, dict):
        code = None if _blank(value.get("code")) else str(value["code"]).strip()
        if not _blank(value.get("description")):
            return {"text": str(value["description"]).strip(), "code": code}
        if not _blank(value.get("value")):
            unit = "" if _blank(value.get("unit")) else " " + str(value["unit"]).strip()
            return {"text": f"{value['value']}{unit}", "code": code}
        return {"text": None, "code": code}
    if _blank(value):
        return dict(_NOTHING)
    return {"text": str(value).strip(), "code": None}


def _case_text(documents: Any) -> str:
    texts = [d.get("text") if isinstance(d, dict) else d for d in _entries(documents)]
    return "\n\n".join(t.strip() for t in texts if not _blank(t))


def convert_parhaf(tables: Tables) -> Splits:
    """PARHAF (main corpus) to canonical scenario-structuring records, one per patient case.

    ``text`` is the case's reports (``documents[].text``) in order, separated by a blank line;
    ``scenario`` has exactly the eight fields of ``SCENARIO_FIELDS``. The published card has one
    config (``default``) and a ``train`` split only (the cases of every use case's test set are
    embargoed): when the card declares no ``dev`` split, a seeded draw of ``DEV_FRACTION`` of the
    ``train`` cases (by sorted id, seed ``"parhaf"``) is ``dev``, as the annotated sets' 80/20
    split, so that the scenario task evaluates cases its few-shot examples never come from. A
    ``dev`` or ``test`` split the card declares is kept as it is. A record::

        {"id": "parhaf-dev-01",
         "text": "M. Gérard Lemoine, 74 ans, adressé par le SAMU pour douleur thoracique. …",
         "speciality": "CARDIOLOGIE",
         "scenario": {"name": {"text": "Gérard Lemoine", "code": null},
                      "age": {"text": "74 ans", "code": null},
                      "sex": {"text": "M", "code": null},
                      "admission_mode": {"text": "Urgences", "code": null},
                      "discharge_mode": {"text": "Domicile", "code": null},
                      "primary_diagnosis": {"text": "Infarctus transmural aigu de la paroi
                                                     antérieure du myocarde", "code": "I21.0"},
                      "primary_procedure": {"text": "Dilatation intraluminale d'une artère
                                                     coronaire avec pose d'endoprothèse",
                                            "code": "DDAF001"},
                      "type_of_care": {"text": "Hospitalisation complète", "code": null}}}
    """
    splits: Splits = {}
    seen: set[str] = set()
    for split, rows in tables["default"].items():
        records = []
        for row in rows:
            if row["id"] in seen:
                raise UserError(f"parhaf: case {row['id']!r} is listed twice")
            seen.add(row["id"])
            scenario = row["suggested_scenario"] or {}
            records.append(
                {
                    "id": row["id"],
                    "text": _case_text(row["documents"]),
                    "speciality": _speciality(row),
                    "scenario": {f: _scenario_value(scenario.get(f)) for f in SCENARIO_FIELDS},
                }
            )
        splits[split] = records
    if "dev" not in splits and "train" in splits:
        splits["train"], splits["dev"] = _drawn_dev(splits["train"])
    return splits


DEV_FRACTION = 0.2
_DEV_SEED = "parhaf"


def _drawn_dev(cases: list[Record]) -> tuple[list[Record], list[Record]]:
    """``cases`` split into (train, dev): ``DEV_FRACTION`` of them drawn with a fixed seed from
    their sorted ids, each part in its original order."""
    ids = sorted(case["id"] for case in cases)
    dev = set(random.Random(_DEV_SEED).sample(ids, round(DEV_FRACTION * len(ids))))
    return [c for c in cases if c["id"] not in dev], [c for c in cases if c["id"] in dev]
