"""The pseudonymisation family: French clinical notes whose identifiers a system lists (detect) or
replaces (rewrite), scored leak rate first. Its documents hold identifiers: sample logs mask them
unless ``--log-phi``, and the leaderboard site withholds logs kept in clear.

A note is ``{note_id, text, entities: [{start, end, label, text, entity_id, role?}], keep?}`` with
end-exclusive character offsets and eds-pseudo's 13 labels (``LABELS``), or the labels of the scheme
its card names (``labels``, ``schemes``: PARHAF's, scored on its own labels and through its mapping
to eds-pseudo's; a mention's ``role`` says whose identifier it is). An **entity** is the set of
mentions sharing ``entity_id`` *and* label (a mention without ``entity_id`` is an entity of its
own): a generator that gives a person's first and last names one id still gets one entity per name
part, each with its own label and its own surrogate. ``keep`` lists non-identifier spans that must
survive (drugs, doses, lab values…).

Two task modes share one scorer. **detect**: the model lists the identifiers as JSON;
``parse_detected`` reads them, ``ground`` finds them in the note, and ``score_detect`` scores the
note with those spans redacted (each replaced by ``[LABEL]``). **rewrite**: the model returns the
note with every identifier replaced by a surrogate; ``score_rewrite`` aligns input and output
word tokens (``difflib.SequenceMatcher``, ``alignment.equal_pairs``). An input token is **in
place** when it survives where it stood: in rewrite mode, it is aligned to an equal output token;
in detect mode, it overlaps no predicted span. Unusable output protects nothing: unparsable JSON
is an empty prediction, an empty rewrite is scored as the unchanged note; both count in
``unparsable``.

Tokens are maximal runs of letters or of digits after NFKC, case folding and accent stripping
(``normalise``), except for the eds-pseudo statistics, on edsnlp's tokens.

In detect mode a system's spans play two parts. The spans **listed** — one per listed item, as
``ground_listing`` places it, or the offsets a system gives — are what span and label-aware token
scores compare with the gold (``span_*``, ``token_eds``). The spans **redacted** — the listed ones
and every other occurrence of a listed text — are what a reader of the output no longer sees,
which leak, protection, redaction, utility and clinical statistics score. A surname listed once
and redacted wherever it stands, inside an e-mail address too, protects the whole note without
adding spurious NOM spans.

Every note yields every key of ``STAT_KEYS``; ``note_stats`` says what each one counts.

The modules: ``scoring`` (what the tasks import, in one place), ``offline`` (``score
pseudonymisation`` and the ``pseudo-rules`` baseline), ``labels`` (the 13 labels, the label a
model's own name stands for, and the label schemes), ``schemes`` (a scheme's notes scored on its
labels and on eds-pseudo's; passages combined), ``tokens`` (the tokens and their offsets), ``leaks``
(whether a gold mention can still be read in an output), ``note_stats`` (the statistic keys, and the
statistics both modes share), ``detect`` (a listing parsed, placed in its note and scored),
``alignment`` (a rewrite aligned with its note) and ``rewrite`` (a rewrite and its surrogates
scored). Dates, phone numbers and e-mail addresses are read as everywhere else
(``partages_bench.text``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from partages_bench.family import Baseline, Combiner, Family, Prediction, ReplayError

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard


class PseudonymisationCard(BaseModel):
    """What a pseudonymisation card adds (``metadata.family_fields``): its mode, which says what
    a replayed system's prediction answers (``entities`` for detect, ``text`` for rewrite), and
    its notes' label scheme (``labels``, a key of ``labels.SCHEMES``: eds-pseudo's by
    default), which ``score pseudonymisation --task`` reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["detect", "rewrite"]
    labels: str = "eds_pseudo"

    @field_validator("labels")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        from .labels import SCHEMES

        if value not in SCHEMES:
            raise ValueError(f"'{value}' is not a label scheme ({', '.join(SCHEMES)})")
        return value


def _combine_passages(records: Any) -> Any:
    from .schemes import combine_passages

    return combine_passages(records)


def _spans(doc: Mapping[str, Any], entities: Any) -> list[tuple[int, int, str]]:
    """A prediction's entities given with offsets, checked against the note."""
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise ReplayError("entities must be a list of objects")
    spans = []
    for i, entity in enumerate(entities):
        start, end, label = entity.get("start"), entity.get("end"), entity.get("label")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ReplayError(f"entities[{i}] has bad offsets {start}-{end}")
        if end > len(doc["text"]):
            raise ReplayError(f"entities[{i}] ends at {end}, after the note ({len(doc['text'])})")
        spans.append((start, end, str(label)))
    return spans


def _listing(doc: Mapping[str, Any], entities: Any) -> str:
    """Detect mode: the JSON listing a model is asked to write, ``[{text, label}]`` in text
    order, each text copied from the note at the predicted offsets (entities given with texts
    are listed as they are)."""
    if isinstance(entities, list) and all(
        isinstance(e, dict) and "text" in e and "start" not in e for e in entities
    ):
        items = [{"text": str(e["text"]), "label": str(e.get("label", ""))} for e in entities]
    else:
        items = [
            {"text": doc["text"][start:end], "label": label}
            for start, end, label in sorted(_spans(doc, entities))
        ]
    return json.dumps(items, ensure_ascii=False)


def _rewritten(doc: Mapping[str, Any], prediction: Prediction) -> str:
    """Rewrite mode: the rewritten note, or, from a detection system, the note with each
    predicted span replaced by ``[LABEL]`` (what a redaction does)."""
    if "text" in prediction:
        rewritten = prediction["text"]
        if not isinstance(rewritten, str):
            raise ReplayError("text must be a string (the rewritten note)")
        return rewritten
    from .scoring import Span, redact

    spans = [Span(start, end, label) for start, end, label in _spans(doc, prediction["entities"])]
    return redact(doc["text"], spans)


def _rule_answer(card: TaskCard, doc: Mapping[str, Any]) -> Prediction:
    """The rule baseline's answer, its offsets into the report as a prediction file gives them
    (a passage's ``offset`` added)."""
    from .offline import rule_prediction

    prediction = rule_prediction(doc["text"])
    offset = doc.get("offset", 0)
    entities = [
        {**e, "start": e["start"] + offset, "end": e["end"] + offset}
        for e in prediction["entities"]
    ]
    return {**prediction, "entities": entities}


def _passage_prediction(
    card: TaskCard, doc: Mapping[str, Any], prediction: Prediction
) -> Prediction:
    """A report's prediction as the prediction for one of its passages (a task that cuts
    reports, ``split_passages``): its entities with offsets into the report, those inside the
    passage, shifted; a rewritten report cannot be cut."""
    from partages_bench.families.ner.scoring import entities_in_passage

    entities = prediction.get("entities")
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise ReplayError(
            f"missing field 'entities' (a list, offsets into the report): task {card.name} cuts "
            "reports into passages, and a rewritten report ('text', 'output') cannot be cut; "
            f"score rewrites with partages-bench score {card.name}"
        )
    return {"entities": entities_in_passage(doc, entities)}


class PseudonymisationFamily(Family):
    name = "pseudonymisation"
    record_fields: ClassVar[Mapping[str, tuple[type, ...]]] = {
        "note_id": (str,),
        "text": (str,),
        "entities": (list,),
    }
    entity_fields: ClassVar[Mapping[str, type]] = {
        "start": int,
        "end": int,
        "label": str,
        "text": str,
    }
    description = "Identifiers listed or replaced in clinical notes; leak rate first."
    holds_identifiers = True
    card_fields = PseudonymisationCard
    combiners: ClassVar[Mapping[str, Combiner]] = {"passages": _combine_passages}
    replays_parts = True

    def score_command(self) -> Callable[..., None]:
        from .offline import score_command

        return score_command

    def baselines(self) -> Mapping[str, Baseline]:
        from .offline import baseline_command

        return {
            "pseudo-rules": Baseline(
                "pseudo-rules",
                "Regexes for phones, NIR, dates, e-mails, postcodes, IPP/NDA (no names), in both "
                "modes.",
                _rule_answer,
                baseline_command,
            )
        }

    def replay_output(self, card: TaskCard, doc: Mapping[str, Any], prediction: Prediction) -> str:
        """``output`` as it is; else, by the card's mode, ``entities`` (detect: listed as the
        model would list them) or ``text`` (rewrite: the rewritten note; a detection system's
        ``entities`` become placeholders). For a passage of a report (``offset``), the report's
        ``entities`` inside it (``_passage_prediction``)."""
        if "offset" in doc:
            prediction = _passage_prediction(card, doc, prediction)
        if "output" in prediction:
            return super().replay_output(card, doc, prediction)
        mode = PseudonymisationCard.model_validate(card.family_fields).mode
        if mode == "detect" and "entities" in prediction:
            return _listing(doc, prediction["entities"])
        if mode == "rewrite" and ("text" in prediction or "entities" in prediction):
            return _rewritten(doc, prediction)
        wanted = "'entities'" if mode == "detect" else "'text' or 'entities'"
        raise ReplayError(f"missing field 'output' (or {wanted} for {card.name}, a {mode} task)")


FAMILY = PseudonymisationFamily()
