"""Converters from a dataset's original files to canonical records, one list per split.

A converter takes the verified dataset folder and returns ``{split: [record, ...]}`` with splits
named ``train`` / ``validation`` / ``test``, prefixed by the subset when a dataset has several
(``mcqm_test``). Records are plain JSON-able dicts: the store caches them as JSONL, keyed by the
source checksums and the converter version, so any change to a converter's output must bump
``converter_version`` in the catalogue.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from partages_bench.errors import UserError
from partages_bench.schema import UMLS_GROUPS

Record = dict[str, Any]
Splits = dict[str, list[Record]]

_MCQA_SPLITS = {"train": "train.json", "validation": "dev.json", "test": "test.json"}
_MCQA_LETTERS = ("a", "b", "c", "d", "e")


def convert_frenchmedmcqa(folder: Path) -> Splits:
    """FrenchMedMCQA ``corpus/{train,dev,test}.json`` (JSON arrays) to canonical MCQ records.

    Records keep ``id``, ``question``, ``options`` (the upstream ``answers``, letters a-e),
    ``correct_answers`` (sorted lower-case letters), ``nbr_correct_answers`` and
    ``subject_name``; ``type`` is dropped because the test file lacks it. ``train.json`` holds
    one exact duplicate record (same id, same content): only its first occurrence is kept, so
    train has 2,170 records instead of 2,171.
    """
    splits: Splits = {}
    for split, filename in _MCQA_SPLITS.items():
        items = json.loads((folder / "corpus" / filename).read_text(encoding="utf-8"))
        seen: set[str] = set()
        records: list[Record] = []
        for item in items:
            if item["id"] in seen:
                continue
            seen.add(item["id"])
            records.append(
                {
                    "id": item["id"],
                    "question": item["question"],
                    "options": {letter: item["answers"][letter] for letter in _MCQA_LETTERS},
                    "correct_answers": sorted(a.lower() for a in item["correct_answers"]),
                    "nbr_correct_answers": int(item["nbr_correct_answers"]),
                    "subject_name": item["subject_name"],
                }
            )
        splits[split] = records
    return splits


# MediQAl: canonical split name -> file in the hub layout (the catalogue declares these files).
MEDIQAL_FILES = {
    f"{exam}_{split}": f"{exam}/{split}.json"
    for exam in ("mcqu", "mcqm")
    for split in ("train", "validation", "test")
}


def _json_records(path: Path) -> list[Record]:
    """Records of a file holding one JSON array or JSON lines: the hub reads both from ``.json``
    files and the MediQAl card does not say which layout it uses."""
    text = path.read_text(encoding="utf-8")
    is_array = text.lstrip().startswith("[")
    chunks = [text] if is_array else text.splitlines()
    parsed: list[Any] = []
    for lines_before, chunk in enumerate(chunks):
        if not chunk.strip():
            continue
        try:
            parsed.append(json.loads(chunk))
        except json.JSONDecodeError as error:
            line = lines_before + error.lineno
            raise UserError(f"{path}: line {line}: invalid JSON ({error.msg})") from None
    return parsed[0] if is_array else parsed


def _answer_letters(value: object) -> list[str] | None:
    """Sorted lower-case letters of ``"A"``, ``"A,C"`` or ``"a, c"``; None if ``value`` is not
    a comma-separated list of option letters."""
    if not isinstance(value, str):
        return None
    letters = {part.strip().lower() for part in value.split(",") if part.strip()}
    if not letters or not letters <= set(_MCQA_LETTERS):
        return None
    return sorted(letters)


def convert_mediqal(folder: Path) -> Splits:
    """MediQAl ``{mcqu,mcqm}/{train,validation,test}.json`` to canonical MCQ records.

    Records keep ``id``, ``question``, ``clinical_case`` (None when absent or empty),
    ``options`` (upstream ``answer_a`` … ``answer_e``), ``correct_answers`` (sorted lower-case
    letters, from the comma-separated upstream string), ``medical_subject`` and
    ``question_type``; ``task`` is dropped (it repeats the subset). A record whose answer is
    not a list of letters A-E is a data error, never dropped silently.
    """
    splits: Splits = {}
    for split, relative in MEDIQAL_FILES.items():
        path = folder / relative
        records: list[Record] = []
        for item in _json_records(path):
            answers = _answer_letters(item.get("correct_answers"))
            if answers is None:
                raise UserError(
                    f"{path}: record {item.get('id')!r}: correct_answers "
                    f"{item.get('correct_answers')!r} holds no option letters A-E"
                )
            records.append(
                {
                    "id": item["id"],
                    "question": item["question"],
                    "clinical_case": (item.get("clinical_case") or "").strip() or None,
                    "options": {letter: item[f"answer_{letter}"] for letter in _MCQA_LETTERS},
                    "correct_answers": answers,
                    "medical_subject": item["medical_subject"],
                    "question_type": item["question_type"],
                }
            )
        splits[split] = records
    return splits


EDS_PSEUDO_FEWSHOT = 50
_EDS_PSEUDO_SEED = "eds_pseudo_synthetic"


def convert_eds_pseudo(folder: Path) -> Splits:
    """AP-HP's fictitious notes (``data/gen_dataset/train.jsonl``) to canonical notes.

    - 88 lines repeat an earlier record exactly (44 note ids): each note is kept once (929).
    - Spans are trimmed of surrounding whitespace (three DATE spans end with a space).
    - Mentions of one note with the same label and the same text are one entity (``entity_id``):
      upstream does not link mentions, and the same string twice is the same person or number.
    - Upstream has a single set: a seeded draw of 50 notes is the ``train`` split (few-shot
      examples only) and the other 879 are ``test``. ``templates.txt`` is not used (146 of its
      templates are notes of this file).
    """
    path = folder / "data" / "gen_dataset" / "train.jsonl"
    notes: dict[str, Record] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        item = json.loads(line)
        if item["note_id"] in notes:
            continue
        text = item["note_text"]
        entities, ids = [], {}
        for span in sorted(item["entities"], key=lambda e: e["start"]):
            start, end = span["start"], span["end"]
            surface = text[start:end]
            start += len(surface) - len(surface.lstrip())
            end -= len(surface) - len(surface.rstrip())
            if start >= end:
                raise UserError(f"{path} line {number}: empty span {span} in {item['note_id']}")
            key = (span["label"], text[start:end])
            ids.setdefault(key, f"{item['note_id']}:e{len(ids)}")
            entities.append(
                {
                    "start": start,
                    "end": end,
                    "label": span["label"],
                    "text": text[start:end],
                    "entity_id": ids[key],
                }
            )
        notes[item["note_id"]] = {"note_id": item["note_id"], "text": text, "entities": entities}
    ordered = sorted(notes)
    fewshot = set(random.Random(_EDS_PSEUDO_SEED).sample(ordered, EDS_PSEUDO_FEWSHOT))
    return {
        "train": [notes[k] for k in ordered if k in fewshot],
        "test": [notes[k] for k in ordered if k not in fewshot],
    }


# --- NER: E3C, QUAERO, Mantra GSC -----------------------------------------------------------
#
# Canonical NER document: ``{"id", "text", "subcorpus", "entities"}``; an entity is ``{"id",
# "start", "end", "label", "text", "fragments", "discontinuous"}`` with end-exclusive Python
# character offsets into ``text``. ``start``/``end`` are the outer extent of the entity (first
# fragment start, last fragment end), ``text`` is ``text[start:end]`` and ``fragments`` lists
# the real fragments in text order (``[[start, end]]`` for a contiguous entity).

# The 10 UMLS semantic groups of QUAERO and Mantra GSC.


def _entity(
    where: str,
    text: str,
    entity_id: str,
    label: str,
    fragments: list[list[int]],
    *,
    discontinuous: bool,
) -> Record:
    """An entity of ``text`` whose ``fragments`` are checked: inside the text, non-empty, in
    text order and not overlapping. Fragments are trimmed of surrounding whitespace (20 QUAERO
    MEDLINE entities start with a space, an upstream off-by-one that no answer could match)."""
    fragments = [_trimmed(text, start, end) for start, end in fragments]
    previous_end = 0
    for start, end in fragments:
        if not previous_end <= start < end <= len(text):
            raise UserError(
                f"{where}: entity {entity_id} has fragments {fragments} that are empty, "
                f"overlapping, out of order or outside the text ({len(text)} characters)"
            )
        previous_end = end
    start, end = fragments[0][0], fragments[-1][1]
    return {
        "id": entity_id,
        "start": start,
        "end": end,
        "label": label,
        "text": text[start:end],
        "fragments": fragments,
        "discontinuous": discontinuous,
    }


def _trimmed(text: str, start: int, end: int) -> list[int]:
    covered = text[start:end]
    return [
        start + len(covered) - len(covered.lstrip()),
        end - len(covered) + len(covered.rstrip()),
    ]


def _ner_document(doc_id: str, text: str, subcorpus: str, entities: list[Record]) -> Record:
    """The canonical document; entities sorted by (start, end, label), each (start, end, label)
    kept once (its first annotation in the source file)."""
    unique: dict[tuple[int, int, str], Record] = {}
    for entity in entities:
        unique.setdefault((entity["start"], entity["end"], entity["label"]), entity)
    return {
        "id": doc_id,
        "text": text,
        "subcorpus": subcorpus,
        "entities": [unique[key] for key in sorted(unique)],
    }


_E3C_NS = {"cas": "http:///uima/cas.ecore", "custom": "http:///webanno/custom.ecore"}
_XMI_ID = "{http://www.omg.org/XMI}id"


def _e3c_train_ids(path: Path) -> set[str]:
    """Document ids listed on the line after the heading ``FRENCH`` of the official split."""
    listed = re.search(r"^FRENCH\s*$\n(.+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    if listed is None:
        raise UserError(f"{path}: no FRENCH list of training documents")
    return set(re.findall(r"'([^']+)'", listed[1]))


def _e3c_document(path: Path) -> Record:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise UserError(f"{path}: invalid XML ({error})") from None
    sofas = root.findall("cas:Sofa", _E3C_NS)
    if len(sofas) != 1 or sofas[0].get("sofaString") is None:
        raise UserError(f"{path}: expected one cas:Sofa with a sofaString, found {len(sofas)}")
    text = sofas[0].get("sofaString", "")
    if any(ord(char) > 0xFFFF for char in text):
        # UIMA counts offsets in UTF-16 code units: they equal Python's only within the BMP.
        raise UserError(f"{path}: the text has characters outside the BMP (UTF-16 offsets)")
    entities = []
    for element in root.findall("custom:CLINENTITY", _E3C_NS):
        entity_id = element.get(_XMI_ID, "?")
        flag = element.get("discontinuous")
        try:
            fragments = [[int(element.get("begin", "")), int(element.get("end", ""))]]
        except ValueError:
            raise UserError(f"{path}: CLINENTITY {entity_id} has no integer begin/end") from None
        if flag not in (None, "DISCONTINUOUS"):
            raise UserError(f"{path}: CLINENTITY {entity_id} has discontinuous={flag!r}")
        entities.append(
            _entity(
                str(path), text, entity_id, "CLINENTITY", fragments, discontinuous=flag is not None
            )
        )
    return _ner_document(path.stem, text, "E3C", entities)


def convert_e3c_fr(folder: Path) -> Splits:
    """E3C French layer 1 (WebAnno XMI, ``data_annotation/French/layer1/*.xml``) to canonical
    NER documents.

    - ``text`` is the ``sofaString`` of the single ``cas:Sofa``; ``id`` is the file stem
      (``FR100003``), ``subcorpus`` is ``"E3C"``. Offsets are used as is: UIMA counts UTF-16
      code units, equal to Python's offsets since no text has a character outside the BMP
      (checked).
    - Entities are the ``custom:CLINENTITY`` elements (``begin``/``end``), label
      ``"CLINENTITY"``, ``id`` their ``xmi:id``; the CUI (``entityID``) and the other layers
      (EVENT, TIMEX3, ACTOR, …) are not kept. ``discontinuous="DISCONTINUOUS"`` (59 entities)
      gives ``discontinuous: True`` with the single fragment ``[[begin, end]]``: the XMI holds
      only the outer extent (the wording is in the free-text ``xtra``, not usable as offsets).
    - An entity annotated twice with the same span is kept once (none is, in this release).
    - Split: the ids listed under ``FRENCH`` in ``documentation/train_test_split.txt`` are
      ``train`` (36 documents), the other 45 ``test``; there is no validation set. The IOB
      files of ``preprocessed_data/`` are not used (they drop discontinuous and nested entities).
    """
    train_ids = _e3c_train_ids(folder / "documentation" / "train_test_split.txt")
    paths = sorted((folder / "data_annotation" / "French" / "layer1").glob("*.xml"))
    missing = train_ids - {path.stem for path in paths}
    if missing:
        raise UserError(f"{folder}: training documents {sorted(missing)} have no XMI file")
    splits: Splits = {"train": [], "test": []}
    for path in paths:
        splits["train" if path.stem in train_ids else "test"].append(_e3c_document(path))
    return splits


_LabelOf = Callable[[str, str | None], str | None]
_BRAT_TEXT_BOUND = re.compile(r"(\S+) (\d+ \d+(?:;\d+ \d+)*)")


def _read_brat(txt_path: Path, ann_path: Path, label_of: _LabelOf) -> tuple[str, list[Record]]:
    """The text and the entities of a BRAT document.

    Only text-bound ``T`` lines make entities; ``label_of(type, note)`` gives the label from
    the BRAT type and the entity's ``AnnotatorNotes`` (None if it has none), or None when
    neither makes a usable label (an error). Other lines (relations, events, attributes, other
    comments) are ignored. The covered text of each ``T`` line must equal its fragments joined
    by one space, in the order listed; fragments are stored in text order.
    """
    if not ann_path.is_file():
        raise UserError(f"{txt_path}: no annotation file {ann_path.name} beside it")
    text = txt_path.read_bytes().decode("utf-8")  # no newline translation: offsets are exact
    notes: dict[str, str] = {}
    bound: list[tuple[int, list[str]]] = []
    lines = ann_path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t", 2)
        if line.startswith("T"):
            bound.append((number, fields))
        elif line.startswith("#") and fields[1:2] and fields[1].startswith("AnnotatorNotes "):
            target = fields[1].removeprefix("AnnotatorNotes ")
            if target in notes:
                raise UserError(f"{ann_path} line {number}: a second AnnotatorNotes for {target}")
            notes[target] = fields[2] if len(fields) == 3 else ""
    entities = []
    for number, fields in bound:
        where = f"{ann_path} line {number}"
        match = _BRAT_TEXT_BOUND.fullmatch(fields[1]) if len(fields) == 3 else None
        if match is None:
            raise UserError(f"{where}: not a BRAT entity line ('T<n>\\t<type> <start> <end>…')")
        entity_id, covered = fields[0], fields[2]
        listed = [[int(n) for n in span.split()] for span in match[2].split(";")]
        label = label_of(match[1], notes.get(entity_id))
        if label is None:
            raise UserError(
                f"{where}: entity {entity_id} has no usable label "
                f"(type {match[1]!r}, note {notes.get(entity_id)!r})"
            )
        entity = _entity(
            where, text, entity_id, label, sorted(listed), discontinuous=len(listed) > 1
        )
        if " ".join(text[start:end] for start, end in listed) != covered:
            raise UserError(f"{where}: entity {entity_id} covers {covered!r} but its offsets don't")
        entities.append(entity)
    return text, entities


def _quaero_label(kind: str, _note: str | None) -> str | None:
    return kind if kind in UMLS_GROUPS else None


_QUAERO_SPLITS = {"train": "train", "validation": "dev", "test": "test"}
_QUAERO_SUBCORPORA = ("EMEA", "MEDLINE")


def convert_quaero_frenchmed(folder: Path) -> Splits:
    """QUAERO French Medical Corpus, CLEF eHealth BRAT release
    (``corpus/{train,dev,test}/{EMEA,MEDLINE}/*.txt|.ann``), to canonical NER documents.

    - Splits ``emea_train`` … ``medline_test`` (upstream ``dev`` is ``validation``); one
      document per ``.txt``/``.ann`` pair (an EMEA source document is split into several
      files upstream; they stay separate), ``id`` the file stem, ``subcorpus`` ``"EMEA"`` or
      ``"MEDLINE"``.
    - Entities are the ``T`` lines, label the BRAT type (one of the 10 UMLS semantic groups,
      anything else is an error), ``id`` the BRAT id (``T12``); an entity with several
      fragments (``;``) is discontinuous. 8 entities list their fragments out of text order
      (``DISO 18 27;4 10`` "ectopique artère"): the covered text is checked in the listed order
      and the fragments are stored in text order.
    - The ``AnnotatorNotes`` (UMLS CUIs) and any other line are ignored; nested and overlapping
      entities are all kept, and so are the same span with two labels.
    - An entity repeating the outer extent and label of an earlier one is dropped (11: EMEA test
      4, MEDLINE train 1, validation 1, test 5). Two of them are discontinuous entities with
      other fragments than the one kept (coordinations: "soins infirmiers pré et
      postopératoires" holds "soins infirmiers pré … opératoires" and "soins infirmiers …
      postopératoires"): they are one entity for scoring, which uses the outer extent.
    - Fragments are trimmed of surrounding whitespace (``_entity``): 20 MEDLINE entities start
      with a space (" immunodéficience acquise"). Other offsets are kept as annotated, even the
      few that look shifted and end inside a word ("tuberculose pulmonair").
    """
    splits: Splits = {}
    for subcorpus in _QUAERO_SUBCORPORA:
        for split, upstream in _QUAERO_SPLITS.items():
            documents = []
            for txt_path in sorted((folder / "corpus" / upstream / subcorpus).glob("*.txt")):
                text, entities = _read_brat(txt_path, txt_path.with_suffix(".ann"), _quaero_label)
                documents.append(_ner_document(txt_path.stem, text, subcorpus, entities))
            splits[f"{subcorpus.lower()}_{split}"] = documents
    return splits


def _mantra_label(_cui: str, note: str | None) -> str | None:
    """The semantic group in ``"<CUI>", "<name>", "<semantic types>" ,"<GROUP>"``: the last
    quoted field after the name made of groups only (the first of ``"OBJC|CHEM"``), which also
    finds the group in the 4 notes that swap the last two fields."""
    for field in reversed(re.findall(r'"([^"]*)"', note or "")[2:]):
        groups = field.split("|")
        if set(groups) <= set(UMLS_GROUPS):
            return groups[0]
    return None


MANTRA_FEWSHOT_FRACTION = 0.2
_MANTRA_SEED = "mantra_gsc_fr"
_MANTRA_FOLDERS = {
    "EMEA": "EMEA_ec22-cui-best_man",
    "Medline": "Medline_EN_FR_ec22-cui-best_man",
    "Patents": "Patents_ec22-cui-best_man",
}


def convert_mantra_gsc_fr(folder: Path) -> Splits:
    """Mantra GSC, French BRAT files (``Mantra-GSC/French/<subcorpus>_ec22-cui-best_man/``),
    to canonical NER documents.

    - One document per unit (``.txt``/``.ann`` pair): ``subcorpus`` ``"EMEA"``, ``"Medline"`` or
      ``"Patents"``, ``id`` ``"<subcorpus>/<file stem>"``.
    - The BRAT type of a ``T`` line is the UMLS CUI (not kept); the label is the UMLS semantic
      group read from the entity's ``AnnotatorNotes`` (``_mantra_label``): normally its last
      quoted field; for ``"OBJC|CHEM"`` (one note) the first group; for the 4 notes whose last
      two fields are swapped, the field that is a group. An entity without a group is an error.
    - An entity with several fragments is discontinuous; nested entities are kept, and so is
      one span with two groups. An entity with the span and group of an earlier one (the same
      mention with another CUI) is dropped: 114 of the 1,052 (60 EMEA, 27 Medline, 27
      Patents), so 938 remain.
    - Upstream has no split: per subcorpus, a seeded draw of ``MANTRA_FEWSHOT_FRACTION`` of the
      sorted ids (20 EMEA, 20 Medline, 10 Patents units, seed ``"mantra_gsc_fr:<subcorpus>"``)
      is ``train`` (few-shot examples only), the other 200 units are ``test``.
    """
    splits: Splits = {"train": [], "test": []}
    for subcorpus, name in _MANTRA_FOLDERS.items():
        documents = {}
        for txt_path in sorted((folder / "Mantra-GSC" / "French" / name).glob("*.txt")):
            text, entities = _read_brat(txt_path, txt_path.with_suffix(".ann"), _mantra_label)
            doc_id = f"{subcorpus}/{txt_path.stem}"
            documents[doc_id] = _ner_document(doc_id, text, subcorpus, entities)
        ordered = sorted(documents)
        draw = random.Random(f"{_MANTRA_SEED}:{subcorpus}")
        fewshot = set(draw.sample(ordered, round(len(ordered) * MANTRA_FEWSHOT_FRACTION)))
        for doc_id in ordered:
            splits["train" if doc_id in fewshot else "test"].append(documents[doc_id])
    return splits


_REFOMED_SPLITS = {"train": "train", "validation": "val", "test": "test"}


def convert_refomed_fr(folder: Path) -> Splits:
    """RefoMed-FR ``RefoMed-FR/refomed_{train,val,test}.csv`` to (term, reformulation) records.

    The files are tab-separated despite their suffix, with a ``term<TAB>paraphrase`` header.
    Records are ``{id, term, reformulation}``, ``id`` = ``<split>-<line number>``; texts are kept
    as written (some are pre-tokenised: "d' ADN", spaces before commas). A line without exactly
    two non-empty fields is a data error naming the file and line.
    """
    splits: Splits = {}
    for split, name in _REFOMED_SPLITS.items():
        path = folder / "RefoMed-FR" / f"refomed_{name}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines[:1] != ["term\tparaphrase"]:
            raise UserError(f"{path}: line 1: expected the header 'term<TAB>paraphrase'")
        records: list[Record] = []
        for number, line in enumerate(lines[1:], start=2):
            fields = line.split("\t")
            if len(fields) != 2 or not all(field.strip() for field in fields):
                raise UserError(f"{path}: line {number}: expected a term and a paraphrase")
            records.append(
                {
                    "id": f"{split}-{number}",
                    "term": fields[0].strip(),
                    "reformulation": fields[1].strip(),
                }
            )
        splits[split] = records
    return splits


# LabForSims2: the turn code's category and sub-category (MANIFEST.md, read from the corpus and
# its helper script): (topic, {sub-category: sub-topic}); a sub-category not listed is None.
LABFORSIMS2_TOPICS: dict[str, tuple[str, dict[str, str]]] = {
    "00": ("reason", {}),
    "01": (
        "personal",
        {
            "000": "address",
            "001": "marital_status",
            "002": "children",
            "004": "age",
            "005": "profession",
            "006": "name",
            "007": "origin",
            "008": "weight",
        },
    ),
    "02": (
        "lifestyle",
        {"000": "addictions", "001": "travel", "002": "sport", "004": "address", "005": "housing"},
    ),
    "03": ("treatment", {"000": "how_taken", "001": "type"}),
    "04": (
        "history",
        {
            "000": "illness",
            "001": "contraception",
            "002": "surgery",
            "004": "pregnancy",
            "005": "allergy",
            "006": "family",
            "007": "exams",
            "008": "diet",
        },
    ),
    "05": (
        "present_illness",
        {
            "000": "onset",
            "001": "fever",
            "002": "change",
            "003": "kind_of_pain",
            "004": "description",
            "005": "location",
            "006": "course",
            "007": "other",
            "008": "trigger",
        },
    ),
    "06": ("unknown", {}),
}
LABFORSIMS2_DIALOGUES = 41
_LABFORSIMS2_TURN = re.compile(r"([dp])(\d{2})(\d{2})(\d{3})(\d+)")
_SPEAKERS = {"d": "doctor", "p": "patient"}


def _labforsims2_turn(path: Path, number: int, line: str, dialogue: int) -> Record:
    code, _, text = line.partition(" ")
    match = _LABFORSIMS2_TURN.fullmatch(code)
    if match is None or not text.strip():
        raise UserError(f"{path}: line {number}: expected '<turn code> <utterance>'")
    speaker, owner, category, sub, _line = match.groups()
    if int(owner) != dialogue or category not in LABFORSIMS2_TOPICS:
        raise UserError(f"{path}: line {number}: turn code {code} is not of dialogue {dialogue}")
    topic, subtopics = LABFORSIMS2_TOPICS[category]
    return {
        "code": code,
        "speaker": _SPEAKERS[speaker],
        "topic": topic,
        "subtopic": subtopics.get(sub),
        "category": category,
        "subcategory": sub,
        "text": text.strip(),
    }


def convert_labforsims2_fr(folder: Path) -> Splits:
    """LabForSims2 ``dialogues/InterneNN/dialogues`` to one record a dialogue, all in ``test``.

    Each line is ``<code> <utterance>``; the code is ``d|p`` (doctor, patient), the dialogue's
    two digits, the category's two (``LABFORSIMS2_TOPICS``), the sub-category's three and the
    line number. A record::

        {"id": "Interne08", "dialogue": 8,
         "turns": [{"code": "d08000000", "speaker": "doctor", "topic": "reason",
                    "subtopic": null, "category": "00", "subcategory": "000",
                    "text": "Bonjour. Alors, qu’est-ce qui vous arrive ? …"},
                   {"code": "p08000000", "speaker": "patient", "topic": "reason", …,
                    "text": "Bonjour. Eh ben j’ai mal au ventre. …"}, …],
         "transcript": "Médecin : Bonjour. Alors, qu’est-ce qui vous arrive ? …\\nPatient : …"}

    Texts are kept as written (trailing spaces stripped; typographic and straight apostrophes
    both occur); codes are kept as coded, noisy ones included (the task's fact lists fix them).
    A line that is not a code and an utterance, or a code of another dialogue, is a data error
    naming the file and line. ``Interne02`` holds its 50 lines twice, verbatim: a line
    repeating an earlier one of its dialogue (same code, same text) is dropped, so the corpus
    has 884 doctor turns and 884 patient answers (the MANIFEST's 909 count the repeat). The 41
    dialogues are one split, ``test``: there is no training data for a one-patient corpus.
    """
    records: list[Record] = []
    for dialogue in range(1, LABFORSIMS2_DIALOGUES + 1):
        path = folder / "dialogues" / f"Interne{dialogue:02d}" / "dialogues"
        lines = path.read_text(encoding="utf-8").splitlines()
        turns: list[Record] = []
        seen: set[tuple[str, str]] = set()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            turn = _labforsims2_turn(path, number, line, dialogue)
            if (turn["code"], turn["text"]) not in seen:
                seen.add((turn["code"], turn["text"]))
                turns.append(turn)
        names = {"doctor": "Médecin", "patient": "Patient"}
        transcript = "\n".join(f"{names[turn['speaker']]} : {turn['text']}" for turn in turns)
        records.append(
            {
                "id": f"Interne{dialogue:02d}",
                "dialogue": dialogue,
                "turns": turns,
                "transcript": transcript,
            }
        )
    return {"test": records}
