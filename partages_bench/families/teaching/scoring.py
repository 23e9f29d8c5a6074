"""Clinical-case reasoning explained for a student: answer parsing and per-case statistics.

The model answers a clinical case with numbered options (CasiMedicos: five, one correct) and
explains its choice as a teacher would. ``parse_answer`` reads, in this order:

1. the first JSON object of the answer with a key ``reponse``/``réponse``/``answer`` (its
   ``explication``/``explanation`` is the explanation);
2. else the first line ``Réponse : <n>`` (also ``Bonne réponse``, ``Réponse correcte``,
   ``Answer``, case ignored, ``option``/``n°`` allowed before the number); the explanation is
   the text after that line's number, a leading ``Explication :`` label removed;
3. else an answer that starts with the number (``4``, ``4-``, ``4.``, ``(4)``, ``option 4``):
   the continuation of a prompt ending in ``Réponse :``, as the tasks ask
   (``4\\nExplication : …``, the format of the gold target too); the explanation is what
   follows, its label removed.

The choice is the option key the answer names (``"3"``, ``3``, ``"option 3"``, ``"3)"``); a
number that is not an option key, or no answer at all, is **unparsable**: wrong, never an
exception, and its explanation (if any) is still scored. ``<think>`` blocks are removed first.

Per case (``case_stats``), every key present for every case:

- ``correct`` = [choice = gold]; ``unparsable`` = [no readable choice]. Chance accuracy is
  1/5 = 0.2 on CasiMedicos (one correct option of five).
- ``premise_num`` / ``premise_den``: gold Premise spans of the case (``part == "case"``: the
  case findings the doctors' argument rests on) that the explanation **cites** / those spans
  that have at least one content word (``premise_cited``). Aggregated as a pooled ratio.
- ``consistency`` = [named = choice], where named is the option the explanation names as the
  correct one (``named_option``); NaN when the explanation names none or the choice is
  unreadable (aggregated over the cases where it is defined); ``names_option`` = [the
  explanation names an option as correct].
- ``rougeL`` (and ``rouge1``, ``rouge2``): the summarisation family's French ROUGE of the
  explanation against the doctors' explanation; ``empty_explanation`` = [no explanation text].
- BERTScore (``bertscore_f1``…), added over a task's records at once by the summarisation
  family's BERTScore hook, explanation against the doctors' explanation.

**Content words** (``content_words``): the runs of letters and digits of the folded text
(``partages_bench.text.fold``: case, accents, œ/æ ignored; an elision splits: "l'artère" → "l",
"artere"), keeping every run holding a digit ("38", "nf1") and the letter runs of at least three
characters that are not in ``STOPWORDS``; a final "s" or "x" is dropped from a kept letter run
of more than three characters ("taches" = "tache", "nodules" = "nodule", "normaux" = "normau",
"bas" is not cut). A premise is **cited** when at least ``CITED_SHARE`` (a third) of its
distinct content words are among the explanation's content words.

**Named option** (``named_option``): the explanation is cut into sentences (at ``.``, ``!``,
``?``, ``;`` and line breaks, a ``.`` between two digits excepted); a sentence names an option
as correct when it holds a **correctness cue** (``CORRECT_CUES``, whole words of the folded
sentence: "correct", "correcte", "bonne reponse", "reponse juste", "reponse exacte", "reponse
vraie", "option vraie", "est vraie", "est juste", "est exacte", "le plus probable", "la plus
probable", "a retenir", "on retient", "la reponse est", "reponse correcte") and no **negation**
(``_NEGATION``: the words "ne", "pas", "non", "incorrect(e)", "faux", "fausse", "exclu(e)", or
an elided "n'"), and refers to exactly one option: by number ("option 3", "réponse 3",
"proposition 3", "choix 3", "n° 3", "(3)", "3)", "la 3", "est 3") or by its text (all the
content words of the option, at least one, in the sentence). The first such sentence decides.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from partages_bench.families.extraction import json_objects
from partages_bench.families.summarisation.scoring import rouge
from partages_bench.text import fold, strip_thinking

CITED_SHARE = 1 / 3

# Function words of French clinical prose that carry no finding (folded, three letters or more).
_STOPWORD_LIST = """
    les des une uns aux par pour sur dans avec sans sous chez entre vers contre depuis pendant
    avant apres lors dont que qui quoi quel quelle quels quelles est sont ete etre etait etaient
    avoir avait ont aura sera ses son sa leur leurs nos notre vos votre mes mon cet cette ces
    celui celle ceux celles lui elle elles eux ils nous vous tout tous toute toutes autre autres
    meme aussi plus moins tres peu bien mais donc car puis ainsi alors comme quand lorsque
    encore deja fait faire peut peuvent doit pas
"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())
CORRECT_CUES = (
    "correct",
    "correcte",
    "bonne reponse",
    "reponse juste",
    "reponse exacte",
    "reponse vraie",
    "option vraie",
    "est vraie",
    "est juste",
    "est exacte",
    "le plus probable",
    "la plus probable",
    "a retenir",
    "on retient",
    "la reponse est",
    "reponse correcte",
)
_NEGATION = re.compile(
    r"(?<![^\W_])(?:ne|pas|non|incorrecte?|faux|fausse|exclue?)(?![^\W_])|(?<![^\W_])n['’]"
)

_RUN = re.compile(r"[^\W_]+")
_ANSWER_KEYS = ("reponse", "answer", "choix", "option")
_EXPLANATION_KEYS = ("explication", "explanation", "justification")
_KEY_NOT_A_LETTER = re.compile(r"[\W_]+")
_ANSWER_LINE = re.compile(
    r"^[\s*#>_-]*(?:la\s+)?(?:bonne\s+)?(?:r[ée]ponse|answer)(?:\s+(?:correcte|finale))?"
    r"[\s*_]*[:=][\s*_]*(?:(?:l['’]\s*)?option\s*|n°\s*|num[ée]ro\s*|la\s+)?\(?"
    r"(?P<key>\d+)(?![\d]|[.,]\d)\)?",
    re.IGNORECASE | re.MULTILINE,
)
_EXPLANATION_LABEL = re.compile(
    r"^[\s.)*_#:-]*(?:explication|justification|explanation)[\s*_]*:\s*", re.IGNORECASE
)
_OPTION_VALUE = re.compile(r"^\s*(?:option|n°|numero|reponse)?\s*\(?(\d+)(?![\d]|[.,]\d)")
_LEADING_CHOICE = re.compile(
    r"^\s*(?:option\s*)?\(?(?P<key>\d+)(?![\d]|[.,]\d)\)?[.)-]?(?=\s|$|[,;:])", re.IGNORECASE
)
_SENTENCE_BREAK = re.compile(r"[!?;\n]|\.(?!\d)|(?<!\d)\.")


@dataclass(frozen=True)
class Answer:
    """What an answer says: the option key chosen (None: unparsable) and its explanation."""

    choice: str | None
    explanation: str = ""


# --- parsing ----------------------------------------------------------------------------------


def _key(text: str) -> str:
    return _KEY_NOT_A_LETTER.sub("", fold(text))


def read_choice(raw: object, options: Sequence[str]) -> str | None:
    """The option key ``raw`` names: an int, or a string "3", "option 3", "(3)", "3) …"; None
    if it names no key of ``options``."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    found = _OPTION_VALUE.match(fold(raw))
    return found.group(1) if found and found.group(1) in options else None


def _after_label(text: str) -> str:
    return _EXPLANATION_LABEL.sub("", text, count=1).strip()


def parse_answer(output: str | None, options: Sequence[str]) -> Answer:
    """The choice and explanation of an answer (module doc): a JSON object first, else a
    ``Réponse : <n>`` line, else a leading number; ``Answer(None, text)`` when no choice is
    readable, with the whole answer as the explanation."""
    text = strip_thinking(output).strip()
    for item in json_objects(text, truncated=True):
        fields = {_key(str(key)): value for key, value in item.items()}
        answer_key = next((key for key in _ANSWER_KEYS if key in fields), None)
        if answer_key is None:
            continue
        explanation = next(
            (fields[key] for key in _EXPLANATION_KEYS if isinstance(fields.get(key), str)), ""
        )
        return Answer(read_choice(fields[answer_key], options), explanation.strip())
    found = _ANSWER_LINE.search(text) or _LEADING_CHOICE.match(text)
    if found is None:
        return Answer(None, _after_label(text))
    key = found.group("key")
    explanation = _after_label(text[found.end() :])
    return Answer(key if key in options else None, explanation)


# --- content words and premise coverage -------------------------------------------------------


def content_words(text: str) -> set[str]:
    """The distinct content words of ``text`` (module doc)."""
    words = set()
    for run in _RUN.findall(fold(text)):
        if any(char.isdigit() for char in run):
            words.add(run)
        elif len(run) >= 3 and run not in STOPWORDS:
            words.add(run[:-1] if len(run) > 3 and run[-1] in "sx" else run)
    return words


def premise_cited(premise: str, explanation_words: set[str]) -> bool | None:
    """Whether at least ``CITED_SHARE`` of the premise's content words are among the
    explanation's; None for a premise without content words (not counted)."""
    words = content_words(premise)
    if not words:
        return None
    return len(words & explanation_words) >= CITED_SHARE * len(words)


def premise_stats(explanation: str, premises: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """``premise_num``: the case premises (``part == "case"``) the explanation cites;
    ``premise_den``: the case premises with content words."""
    explained = content_words(explanation)
    verdicts = [
        premise_cited(str(span["text"]), explained)
        for span in premises
        if span.get("part") == "case"
    ]
    counted = [verdict for verdict in verdicts if verdict is not None]
    return {"premise_num": float(sum(counted)), "premise_den": float(len(counted))}


# --- consistency ------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_BREAK.split(fold(text)) if part.strip()]


def _has(sentence: str, phrase: str) -> bool:
    return re.search(rf"(?<![^\W_]){re.escape(phrase)}(?![^\W_])", sentence) is not None


def _numbers_referred(sentence: str, options: Sequence[str]) -> set[str]:
    referred = set()
    for key in options:
        k = re.escape(key)
        patterns = (
            rf"\b(?:option|reponse|proposition|choix)s?\s*(?:n°\s*|numero\s*)?{k}\b",
            rf"n°\s*{k}\b",
            rf"\({k}\)",
            rf"(?<![\d.,])\b{k}\)",
            rf"\bla\s+{k}\b(?![.,]\d)",
            rf"\best\s*:?\s*(?:la\s+|l'option\s+|l option\s+|option\s+)?{k}\b(?![.,]\d)",
        )
        if any(re.search(pattern, sentence) for pattern in patterns):
            referred.add(key)
    return referred


def named_option(explanation: str, options: Mapping[str, str]) -> str | None:
    """The option the explanation names as correct (module doc), or None."""
    option_words = {key: content_words(text) for key, text in options.items()}
    for sentence in _sentences(explanation):
        if not any(_has(sentence, cue) for cue in CORRECT_CUES):
            continue
        if _NEGATION.search(sentence):
            continue
        words = content_words(sentence)
        referred = _numbers_referred(sentence, list(options))
        referred |= {key for key, needed in option_words.items() if needed and needed <= words}
        if len(referred) == 1:
            return referred.pop()
    return None


def consistency_stats(answer: Answer, options: Mapping[str, str]) -> dict[str, float]:
    """``names_option`` and ``consistency`` (NaN when undefined) of one answer."""
    named = named_option(answer.explanation, options)
    defined = named is not None and answer.choice is not None
    return {
        "names_option": float(named is not None),
        "consistency": float(named == answer.choice) if defined else math.nan,
    }


# --- one case ---------------------------------------------------------------------------------


def case_stats(answer: Answer, doc: Mapping[str, Any]) -> dict[str, float]:
    """Every model-free statistic of one answered case (module doc), one key order for all."""
    options = {str(key): str(text) for key, text in doc["options"].items()}
    stats = {
        "correct": float(answer.choice == str(doc["answer"])),
        "unparsable": float(answer.choice is None),
    }
    stats |= premise_stats(answer.explanation, doc.get("premises") or [])
    stats |= consistency_stats(answer, options)
    stats |= rouge(str(doc["explanation"]), answer.explanation)
    stats["empty_explanation"] = float(not answer.explanation.strip())
    return stats


def explanation_of(output: str | None, options: Sequence[str] = ("1", "2", "3", "4", "5")) -> str:
    """The explanation an answer (or a gold target in the answer format) holds: what BERTScore
    compares."""
    return parse_answer(output, options).explanation


def format_case(doc: Mapping[str, Any]) -> str:
    """The case as the prompt shows it: the case text, then one line an option (``1- …``)."""
    lines = [str(doc["case"]).strip(), ""]
    lines += [f"{key}- {text}" for key, text in doc["options"].items()]
    return "\n".join(lines)


def format_answer(choice: str, explanation: str) -> str:
    """The answer the tasks ask for after their prompt's ``Réponse :`` (and the gold target)."""
    return f"{choice}\nExplication : {explanation}"


def score_case(doc: Mapping[str, Any], output: str | None) -> dict[str, float]:
    """The statistics of one model answer to a case (a CasiMedicos canonical record)."""
    return case_stats(parse_answer(output, [str(key) for key in doc["options"]]), doc)
