"""Summarisation of French clinical documents: per-sample statistics of one summary.

Each function scores one model summary against its source document, its reference summary or
its gold key facts, and returns per-sample statistics for ``stats``:

===============  ==========================================================================
statistic        keys and rule
===============  ==========================================================================
ROUGE            ``rouge1``, ``rouge2``, ``rougeL``: rouge-score F-measures on French word
                 tokens (``FrenchTokenizer``: accents kept, no stemming), ``rouge``
BERTScore        ``bertscore_precision``, ``bertscore_recall``, ``bertscore_f1`` of
                 bert_score, one model loaded once (``BertScorer``, ``load_bertscorer``)
key facts        ``key_fact_num/_den``, ``key_fact.{T}_num/_den`` for each fact type T: gold
                 facts present in the summary / gold facts (``key_fact_stats``)
unsupported      ``unsupported_num/_den``: numbers, doses, dates and drug names of the summary
                 found nowhere in the source / all of them; ``unsupported_any``: 1 if any
                 (``unsupported_stats``)
length           ``length_ratio``: words(summary) / words(reference); ``compression``:
                 words(summary) / words(source) (``length_stats``)
===============  ==========================================================================

Key facts, numbers and drug names are matched on normalised text (``_prepared``, ``_TOKEN``):
case, accents, œ/æ, spacing and punctuation do not matter, "1,5" is "1.5", "1 000" is "1000",
and letters and digits are separate tokens ("5mg" is "5 mg"); a form matches whole tokens only
("5 mg" is not in "25 mg" nor in "2,5 mg"). Dates match by value (``find_dates``, ``same_date``:
"12.04.23" is "12 avril 2023").
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rouge_score import rouge_scorer

from partages_bench.errors import UserError
from partages_bench.schema import SampleRecord
from partages_bench.text import LIGATURES, Date, find_dates, fold, same_date, strip_thinking

# --- ROUGE ----------------------------------------------------------------------------------

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
_WORD = re.compile(r"[^\W_]+")


class FrenchTokenizer:
    """rouge-score tokenizer for French (its default one deletes every non-ASCII letter:
    "sévère" → "s v re")."""

    def tokenize(self, text: str) -> list[str]:
        """NFKC, lower case, œ/æ spelt out, accents kept ("été" ≠ "ete"); tokens are the runs
        of letters and digits, so an elision splits ("l'artère" → "l", "artère") and "5mg" is
        one token, as in rouge-score; no stemming."""
        return _WORD.findall(unicodedata.normalize("NFKC", text).lower().translate(LIGATURES))


_FRENCH = FrenchTokenizer()
_ROUGE = rouge_scorer.RougeScorer(list(ROUGE_TYPES), tokenizer=_FRENCH)


def rouge(reference: str, prediction: str) -> dict[str, float]:
    """ROUGE-1, ROUGE-2 and ROUGE-L (longest common subsequence over the whole text, not
    ROUGE-Lsum) F-measures of rouge-score with ``FrenchTokenizer``; 0 if a text has no token."""
    scores = _ROUGE.score(reference, prediction)
    return {name: scores[name].fmeasure for name in ROUGE_TYPES}


# --- BERTScore ------------------------------------------------------------------------------

BERTSCORE_KEYS = ("bertscore_precision", "bertscore_recall", "bertscore_f1")
_UNSET_MAX_LENGTH = 10**9
FRENCH = "fr"


class BertScorer:
    """BERTScore (bert_score) of predictions against references, one model loaded once.

    ``model_type`` is a hub id or a local folder; ``num_layers`` is the layer whose embeddings
    are compared, required unless the model is in bert_score's table of tuned layers
    (``bert_score.utils.model2layers``). With ``idf``, word pieces are weighted by their inverse
    document frequency over the (non-empty) references of each ``score`` call. With ``rescale``,
    scores are mapped by (score − b) / (1 − b) with bert_score's French baseline b for the model
    (or the file ``baseline_path``); a missing baseline is an error.
    """

    def __init__(
        self,
        model_type: str,
        num_layers: int | None = None,
        batch_size: int = 16,
        device: str = "cpu",
        idf: bool = False,
        rescale: bool = False,
        baseline_path: str | None = None,
    ) -> None:
        from bert_score import BERTScorer
        from bert_score.utils import model2layers

        if num_layers is None:
            if model_type not in model2layers:
                raise ValueError(
                    f"BERTScore model {model_type!r} is not in bert_score's table of tuned "
                    "layers: set num_layers"
                )
            num_layers = model2layers[model_type]
        self.batch_size = batch_size
        self._scorer = BERTScorer(
            model_type=model_type,
            num_layers=num_layers,
            device=device,
            idf=idf,
            lang=FRENCH if rescale else None,
            rescale_with_baseline=rescale,
            baseline_path=baseline_path,
        )
        # A tokenizer saved without a real limit says 1e30, which bert_score passes on as the
        # truncation length (OverflowError): use the model's own position limit instead.
        tokenizer, config = self._scorer._tokenizer, self._scorer._model.config
        if tokenizer.model_max_length > _UNSET_MAX_LENGTH:
            tokenizer.model_max_length = getattr(config, "max_position_embeddings", 512)
        if rescale and not os.path.isfile(self._scorer.baseline_path):
            raise ValueError(
                f"no French BERTScore baseline for {model_type!r} at "
                f"{self._scorer.baseline_path}: give baseline_path or do not rescale"
            )

    @property
    def description(self) -> dict[str, str]:
        """What the report must say: model, layer, idf, rescaling (and baseline file), the
        bert-score version (the installed distribution's: ``bert_score.__version__`` says 0.3.12
        in 0.3.13) and bert_score's own hash of the setting (with transformers')."""
        from importlib.metadata import version

        scorer = self._scorer
        return {
            "model": scorer.model_type,
            "num_layers": str(scorer.num_layers),
            "idf": str(scorer.idf).lower(),
            "rescale_with_baseline": str(scorer.rescale_with_baseline).lower(),
            "baseline": scorer.baseline_path if scorer.rescale_with_baseline else "",
            "bert_score": version("bert-score"),
            "hash": scorer.hash,
        }

    def score(
        self, predictions: Sequence[str], references: Sequence[str]
    ) -> list[dict[str, float]]:
        """``BERTSCORE_KEYS`` of each (prediction, reference) pair, equal to ``bert_score.score``
        with the same arguments; a pair with a blank text scores 0 (then rescaled like any
        score) without being encoded: bert_score's own rule, which it can no longer apply
        itself under transformers ≥ 5 (it crashes on an empty text)."""
        import torch

        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
        scorer = self._scorer
        scores = torch.zeros(len(predictions), len(BERTSCORE_KEYS))
        if scorer.rescale_with_baseline:
            scores = (scores - scorer.baseline_vals) / (1 - scorer.baseline_vals)
        pairs = enumerate(zip(predictions, references, strict=True))
        kept = [i for i, pair in pairs if all(map(str.strip, pair))]
        if kept:
            candidates = [predictions[i] for i in kept]
            kept_references = [references[i] for i in kept]
            if scorer.idf:
                with warnings.catch_warnings():  # "Overwriting the previous importance weights"
                    warnings.simplefilter("ignore")
                    scorer.compute_idf(kept_references)
            found = scorer.score(candidates, kept_references, batch_size=self.batch_size)
            scores[kept] = torch.stack(found, dim=-1)
        return [dict(zip(BERTSCORE_KEYS, row.tolist(), strict=True)) for row in scores]


def check_bertscore_layers(model: str) -> None:
    """A model outside bert_score's table of tuned layers needs ``--bertscore-layers``: said
    before anything is loaded."""
    from bert_score.utils import model2layers

    if model not in model2layers:
        raise UserError(
            f"--bertscore-layers: required with --bertscore-model {model} (not in bert_score's "
            "table of tuned layers)"
        )


def load_bertscorer(model: str | None = None, **options: Any) -> BertScorer | str:
    """A ``BertScorer`` (``options``: its keyword arguments) for ``model``, by default the model
    bert_score uses for French (``lang2model["fr"]``: bert-base-multilingual-cased, layer 9);
    or the one-line reason why not, for the report's "BERTScore not computed: <reason>", when
    the model is a path (absolute or starting with ".") to no folder, cannot be had here
    (``_unreachable``), or its loading raises an OSError (no such hub id…). Never another
    model. Other errors (``num_layers``, baseline, a folder that holds no model) raise.
    """
    from bert_score.utils import lang2model
    from huggingface_hub import is_offline_mode

    from ...quiet import silence_loaded_libraries

    silence_loaded_libraries()
    model_type = model or lang2model[FRENCH]
    if (os.path.isabs(model_type) or model_type.startswith(".")) and not os.path.isdir(model_type):
        return f"cannot load {model_type!r}: no such folder"
    unreachable = _unreachable(model_type)
    if unreachable is not None:
        return f"cannot load {model_type!r}: {unreachable}"
    if options.get("num_layers") is None:
        check_bertscore_layers(model_type)
    try:
        return BertScorer(model_type, **options)
    except OSError as error:
        offline = " (offline: HF_HUB_OFFLINE is set)" if is_offline_mode() else ""
        message = str(error).strip().splitlines()
        return f"cannot load {model_type!r}{offline}: {message[0] if message else repr(error)}"


def _unreachable(model_type: str) -> str | None:
    """Why a hub model cannot be had here, found at once: bert_score would otherwise spend about
    40 s retrying the hub before failing. None for a folder, a model in the Hugging Face cache,
    or when the hub answers one request (then loading may download it)."""
    from huggingface_hub import constants, get_session, is_offline_mode, try_to_load_from_cache

    from ...data.pull import OFFLINE_ENV, is_offline

    if os.path.isdir(model_type):
        return None
    try:
        if isinstance(try_to_load_from_cache(model_type, "config.json"), str):
            return None
    except ValueError:  # not a hub id: loading says why
        return None
    not_cached = "not in the Hugging Face cache"
    if is_offline_mode():
        return f"offline (HF_HUB_OFFLINE is set) and {not_cached}"
    if is_offline():
        return f"offline ({OFFLINE_ENV} forbids downloads) and {not_cached}"
    try:
        get_session().head(constants.ENDPOINT, timeout=5)
    except Exception as error:  # no network, DNS, proxy…: whatever stops the request
        detail = (str(error).strip().splitlines() or [""])[0]
        return (
            f"{constants.ENDPOINT} unreachable ({type(error).__name__}: {detail}) and {not_cached}"
        )
    return None


# --- normalised text --------------------------------------------------------------------------

# A group of 1–3 digits followed by space-separated groups of 3: one number written French-style.
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?!\d)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+")
# Sentence ends: ";", a line break, or a "." that is not between two digits.
_SENTENCE_BREAK = re.compile(r"[;\n]|\.(?!\d)|(?<!\d)\.")


def _prepared(text: str) -> str:
    """``text`` folded (``text.fold``: NFKC, case, accents, œ/æ; non-breaking spaces are
    spaces), thousands spaces removed ("1 000" → "1000"), decimal commas made points ("1,5" →
    "1.5")."""
    joined = _THOUSANDS.sub(lambda m: m.group().replace(" ", ""), fold(text))
    return _DECIMAL_COMMA.sub(".", joined)


def _tokens(prepared: str) -> str:
    """The numbers (with their decimals) and runs of letters of a prepared text, joined by
    single spaces, so that spacing, punctuation and glued units do not matter: "5mg/j" →
    "5 mg j"."""
    return " ".join(_TOKEN.findall(prepared))


def normalised_tokens(text: str) -> list[str]:
    """The tokens key facts and unsupported content are matched on: the numbers (with their
    decimals) and runs of letters of ``_prepared(text)`` ("Kardégic® 75mg" → ["kardegic",
    "75", "mg"]; "1,5" → ["1.5"]). For families that match forms the same way (consultation)."""
    return _TOKEN.findall(_prepared(text))


def _contains(tokens: str, form: str) -> bool:
    """Whether the (non-empty) token string ``form`` occurs in ``tokens`` as whole tokens."""
    return bool(form) and f" {form} " in f" {tokens} "


@dataclass(frozen=True)
class _Passage:
    """A text as key-fact matching sees it: its normalised tokens and its dates."""

    tokens: str
    dates: tuple[Date, ...]

    def holds(self, form: _Passage) -> bool:
        """The form's tokens occur here as whole tokens, or one of its dates is here too, in
        any format."""
        return _contains(self.tokens, form.tokens) or any(
            same_date(date, seen) for date in form.dates for seen in self.dates
        )


def _passage(text: str) -> _Passage:
    prepared = _prepared(text)
    return _Passage(_tokens(prepared), tuple(date for *_, date in find_dates(prepared)))


# --- key facts ------------------------------------------------------------------------------

KeyFact = Mapping[str, Any]


def _sentences(text: str) -> list[str]:
    """``text`` cut at ``;``, line breaks and ``.`` not between two digits, except inside a date
    (``find_dates``: "12 avr. 2023" stays whole)."""
    dates = [(start, end) for start, end, _ in find_dates(text)]
    cuts = [
        cut
        for cut in _SENTENCE_BREAK.finditer(text)
        if not any(start <= cut.start() < end for start, end in dates)
    ]
    bounds = [0, *(edge for cut in cuts for edge in cut.span()), len(text)]
    return [text[start:end] for start, end in zip(bounds[::2], bounds[1::2], strict=True)]


def _fact_present(sentences: Sequence[_Passage], fact: KeyFact) -> bool:
    """A fact is present when one sentence holds an accepted form of each of its parts
    (``fact["forms"]``: a list of parts, each a list of accepted forms)."""
    parts = [[_passage(form) for form in part] for part in fact["forms"]]
    if not parts or not all(parts):
        raise ValueError(f"key fact {fact.get('id')!r}: a fact needs parts, each with forms")
    return any(all(any(map(sentence.holds, part)) for part in parts) for sentence in sentences)


def key_fact_stats(
    summary: str, facts: Sequence[KeyFact], types: Sequence[str]
) -> dict[str, float]:
    """``key_fact_num/_den``: gold facts present in the summary / gold facts, and
    ``key_fact.{T}_num/_den`` the same for the facts of each type T of ``types`` (zeros
    included, so that columns never miss; a fact of another type is an error).

    A fact ``{"id", "type", "text", "forms": [[form, …], …]}`` is present when one sentence of
    the summary (``_sentences``) holds, for each part of ``forms``, one of its accepted forms:
    as whole normalised tokens, or, for a form holding a date, that date in any format.
    """
    columns = [f"key_fact.{kind}_{part}" for kind in types for part in ("num", "den")]
    stats = dict.fromkeys(["key_fact_num", "key_fact_den", *columns], 0.0)
    sentences = [_passage(sentence) for sentence in _sentences(summary)]
    for fact in facts:
        if fact["type"] not in types:
            raise ValueError(f"key fact {fact.get('id')!r}: type {fact['type']!r} not in {types}")
        present = float(_fact_present(sentences, fact))
        for prefix in ("key_fact", f"key_fact.{fact['type']}"):
            stats[f"{prefix}_num"] += present
            stats[f"{prefix}_den"] += 1.0
    return stats


# --- unsupported content --------------------------------------------------------------------

# Dose units as folded text, and the unit each stands for ("\u03bc" is what "µ" folds to).
DOSE_UNITS = {
    **dict.fromkeys(("mg", "milligramme", "milligrammes"), "mg"),
    **dict.fromkeys(("g", "gramme", "grammes"), "g"),
    **dict.fromkeys(("\u03bcg", "mcg", "ug", "microgramme", "microgrammes"), "\u03bcg"),
    **dict.fromkeys(("ng", "nanogramme", "nanogrammes"), "ng"),
    **dict.fromkeys(("ml", "millilitre", "millilitres"), "ml"),
    **dict.fromkeys(("l", "litre", "litres"), "l"),
    **dict.fromkeys(("ui", "unite internationale", "unites internationales"), "ui"),
    "mmol": "mmol",
    "meq": "meq",
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# A unit right after a number, not the start of a longer word nor an elision ("5 l'après-midi").
_UNIT_AFTER = re.compile(
    rf"\s*({'|'.join(map(re.escape, sorted(DOSE_UNITS, key=len, reverse=True)))})"
    r"(?![^\W_]|['’])"
)
# "1." or "2)" opening a line: a list marker, not a number of the text.
_LIST_MARKER = re.compile(r"^[ \t]*\d+[.)](?=\s)", re.MULTILINE)

Quantity = tuple[float, str | None]


class DrugLexicon:
    """Drug names, found in a text as whole normalised tokens (case, accents, spacing and
    punctuation do not matter: "Kardégic®" is "kardegic")."""

    def __init__(self, names: Iterable[str]) -> None:
        forms = {tuple(_TOKEN.findall(_prepared(name))) for name in names} - {()}
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for form in sorted(forms, key=len, reverse=True):
            self._by_first.setdefault(form[0], []).append(form)

    def find(self, text: str) -> set[str]:
        """The names in ``text`` as token strings, leftmost-longest: at each token the longest
        name starting there is taken and the scan resumes after it ("insuline glargine" is one
        name, not also "insuline")."""
        tokens = _TOKEN.findall(_prepared(text))
        found: set[str] = set()
        index = 0
        while index < len(tokens):
            candidates = self._by_first.get(tokens[index], ())
            name = next((f for f in candidates if tuple(tokens[index : index + len(f)]) == f), None)
            if name is None:
                index += 1
            else:
                found.add(" ".join(name))
                index += len(name)
        return found


def _quantities(prepared: str, skip: Sequence[tuple[int, int]] = ()) -> set[Quantity]:
    """(value, dose unit or None) of each number of the prepared text that starts in none of the
    ``skip`` spans: "5 mg/j" → (5.0, "mg"), "67 ans" → (67.0, None), "500 microgrammes" →
    (500.0, "μg")."""
    found = set()
    for match in _NUMBER.finditer(prepared):
        if any(start <= match.start() < end for start, end in skip):
            continue
        unit = _UNIT_AFTER.match(prepared, match.end())
        found.add((float(match.group()), DOSE_UNITS[unit.group(1)] if unit else None))
    return found


def unsupported_stats(summary: str, source: str, drugs: DrugLexicon) -> dict[str, float]:
    """Checkable items of the summary that the source does not support (a hallucination proxy).

    The items are the distinct dates (``find_dates``), numbers and drug names (``drugs``) of the
    summary; a number is a (value, dose unit) pair when a unit of ``DOSE_UNITS`` follows it
    ("40 mg/j" is (40, mg): the rate is not compared), and the numbers inside a date or opening
    a list line are not numbers. An item is supported when the source holds the same date in any
    format (``same_date``); the same value with the same unit; for a bare number, the same value
    anywhere (with or without a unit, inside a date too: "1,5" is supported by "1.5 mg"); the
    same drug name as whole tokens. ``unsupported_num``: unsupported items; ``unsupported_den``:
    items; ``unsupported_any``: 1 if any item is unsupported.
    """
    prepared, known = _prepared(summary), _prepared(source)
    dates = find_dates(prepared)
    skip = [(start, end) for start, end, _ in dates]
    skip += [marker.span() for marker in _LIST_MARKER.finditer(prepared)]
    source_dates = [date for *_, date in find_dates(known)]
    source_quantities = _quantities(known)
    source_values = {value for value, _ in source_quantities}
    source_tokens = _tokens(known)

    supported = [
        any(same_date(date, seen) for seen in source_dates) for date in {d for *_, d in dates}
    ]
    supported += [
        (value, unit) in source_quantities if unit else value in source_values
        for value, unit in _quantities(prepared, skip)
    ]
    supported += [_contains(source_tokens, name) for name in drugs.find(summary)]
    unsupported = supported.count(False)
    return {
        "unsupported_num": float(unsupported),
        "unsupported_den": float(len(supported)),
        "unsupported_any": float(unsupported > 0),
    }


# --- length ---------------------------------------------------------------------------------


def words(text: str) -> int:
    """Number of ``FrenchTokenizer`` tokens (the words ROUGE counts)."""
    return len(_FRENCH.tokenize(text))


def length_stats(summary: str, source: str, reference: str) -> dict[str, float]:
    """``length_ratio`` = words(summary) / words(reference) and ``compression`` = words(summary)
    / words(source) (``words``); NaN when the reference, or the source, has no word."""
    length, reference_length, source_length = words(summary), words(reference), words(source)
    return {
        "length_ratio": length / reference_length if reference_length else math.nan,
        "compression": length / source_length if source_length else math.nan,
    }


# --- one summary ----------------------------------------------------------------------------


def summary_stats(
    output: str | None,
    reference: str,
    source: str,
    facts: Sequence[KeyFact] | None = None,
    fact_types: Sequence[str] = (),
    drugs: DrugLexicon | None = None,
) -> dict[str, float]:
    """Every model-free statistic of one answer (``<think>`` blocks removed): ROUGE, lengths and
    ``empty`` (1 for a blank answer, scored like any other: zero ROUGE, no fact), plus key facts
    when ``facts`` are given and unsupported content when a drug lexicon is."""
    summary = strip_thinking(output).strip()
    stats = rouge(reference, summary) | length_stats(summary, source, reference)
    stats["empty"] = float(not summary)
    if facts is not None:
        stats |= key_fact_stats(summary, facts, fact_types)
    if drugs is not None:
        stats |= unsupported_stats(summary, source, drugs)
    return stats


def _answer_text(output: str | None) -> str:
    return strip_thinking(output).strip()


def add_bertscore(
    records: Sequence[SampleRecord],
    scorer: BertScorer,
    candidate: Callable[[str | None], str] = _answer_text,
    reference: Callable[[str], str] = str,
) -> list[SampleRecord]:
    """The records with ``BERTSCORE_KEYS`` added, ``candidate(answer)`` against
    ``reference(target)`` (by default the answer without ``<think>`` blocks against the target
    as it is), in one batched call."""
    predictions = [candidate(record.output) for record in records]
    scores = scorer.score(predictions, [reference(record.target) for record in records])
    return [
        record.model_copy(update={"stats": record.stats | score})
        for record, score in zip(records, scores, strict=True)
    ]
