"""The pseudonymisation family: identifiers listed (detect) or replaced in the rewritten note
(rewrite), scored leak rate first. Its documents hold identifiers: sample logs mask them unless
``--log-phi``, and the leaderboard site withholds logs kept in clear."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from partages_bench.family import Baseline, Family, Prediction, ReplayError

if TYPE_CHECKING:
    from partages_bench.schema import TaskCard


class PseudonymisationCard(BaseModel):
    """What a pseudonymisation card adds (``metadata.family_fields``): its mode, which says what
    a replayed system's prediction answers (``entities`` for detect, ``text`` for rewrite)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["detect", "rewrite"] | None = None


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
    from partages_bench.families.extraction import Span
    from partages_bench.families.pseudonymisation import redact

    spans = [Span(start, end, label) for start, end, label in _spans(doc, prediction["entities"])]
    return redact(doc["text"], spans)


def _rule_answer(card: TaskCard, doc: Mapping[str, Any]) -> Prediction:
    from partages_bench.families.pseudonymisation_offline import rule_prediction

    return rule_prediction(doc["text"])


class PseudonymisationFamily(Family):
    name = "pseudonymisation"
    description = "Identifiers listed or replaced in clinical notes; leak rate first."
    holds_identifiers = True
    card_fields = PseudonymisationCard

    def score_command(self) -> Callable[..., None]:
        from partages_bench.families.pseudonymisation_offline import score_command

        return score_command

    def baselines(self) -> Mapping[str, Baseline]:
        from partages_bench.families.pseudonymisation_offline import baseline_command

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
        ``entities`` become placeholders)."""
        if "output" in prediction:
            return super().replay_output(card, doc, prediction)
        mode = PseudonymisationCard.model_validate(card.family_fields).mode
        if mode == "detect" and "entities" in prediction:
            return _listing(doc, prediction["entities"])
        if mode == "rewrite" and ("text" in prediction or "entities" in prediction):
            return _rewritten(doc, prediction)
        wanted = {"detect": "'entities'", "rewrite": "'text' or 'entities'"}.get(mode or "", "")
        raise ReplayError(f"missing field 'output' (or {wanted or 'the answer'} for {card.name})")


FAMILY = PseudonymisationFamily()
