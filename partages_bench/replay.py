"""``--model replay``: systems that are not LLMs in the same pipeline as models.

AP-HP's eds-pseudo, a GLiNER model, a hospital's rule system, a model served elsewhere: their
outputs are replayed through the very task lm-eval builds for a model (same prompts, documents,
order, ``task_hash`` and ``data_hash``), each document's answer read from a file instead of
generated, then scored, logged and reported like a model's, so that ``compare`` and the
leaderboard put the system next to LLMs. ``--model-args`` takes one of:

- ``path=PRED.jsonl``: one JSON object a document (a JSON array works too)::

      {"task": "pseudo_detect_eds", "note_id": "0",
       "entities": [{"start": 0, "end": 5, "label": "NOM"}]}
      {"doc_id": "q17", "output": "A, C"}

  the document's id in ``doc_id`` or in the task's own id field (its card's ``doc_id_field``,
  e.g. ``note_id``); ``task`` is needed only when the file serves several tasks. The answer is
  ``output`` (text, as a model writes it), or the fields the task's family reads
  (``Family.replay_output``: eds-pseudo's ``entities`` for a detection task…). A document the
  file does not answer gets an empty answer (scored as wrong), counted and named in the task's
  notes; an id that is not a document of the task is refused (a file for other data), exit 2.
- ``baseline=NAME``: a family's reference system (``Family.baselines``) answers each document
  from the document itself; the leaderboard shows the run as a baseline.

``name=…`` sets the name reports show (default: the file's stem, or the baseline's name). The
identity of a replayed file is its sha256: another file is another system. A replay gives no
log-probabilities: log-likelihood tasks are skipped (their generative variant runs instead).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelArgsError, UserError
from .families import families, get_family
from .family import Baseline, Prediction, ReplayError
from .inputs import InputFileError, read_records
from .schema import TaskCard

REPLAY = "replay"
ARGS = ("path", "baseline", "name")
# What a replay cannot answer, and why (the runner skips such tasks).
UNSUPPORTED = {"loglikelihood": "a replay gives answers, not log-probabilities"}
_SHOWN_IDS = 5


def check_args(args: Mapping[str, str]) -> None:
    """``path`` or ``baseline``, not both, and no other argument."""
    unknown = sorted(set(args) - set(ARGS))
    if unknown:
        raise ModelArgsError(
            f"--model-args: '{unknown[0]}' is not an argument of --model replay ({', '.join(ARGS)})"
        )
    if ("path" in args) == ("baseline" in args):
        raise ModelArgsError(
            "--model replay needs --model-args path=PREDICTIONS.jsonl or baseline=NAME "
            f"(one of: {', '.join(baselines()) or 'none'})"
        )
    if "path" in args and not Path(args["path"]).is_file():
        raise UserError(f"--model-args path={args['path']}: no such file")
    if "baseline" in args:
        find_baseline(args["baseline"])


def baselines() -> dict[str, Baseline]:
    """Every family's baselines by name."""
    return {
        name: baseline
        for family in families().values()
        for name, baseline in family.baselines().items()
    }


def find_baseline(name: str) -> Baseline:
    known = baselines()
    if name not in known:
        raise ModelArgsError(
            f"--model-args baseline={name}: unknown baseline; known: {', '.join(known) or 'none'}"
        )
    return known[name]


def identity_fields(args: Mapping[str, str]) -> dict[str, Any]:
    """The model identity of a replay: its name, the arguments that say what was replayed (the
    file's name, not this machine's path to it) and, for a file, its sha256."""
    if "baseline" in args:
        return {"name": args.get("name") or args["baseline"], "args": dict(args)}
    path = Path(args["path"])
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    recorded = {k: v for k, v in args.items() if k != "path"} | {"file": path.name}
    return {"name": args.get("name") or path.stem, "args": recorded, "weights": digest.hexdigest()}


def is_baseline(identity_args: Mapping[str, str], backend: str) -> bool:
    """Whether a report's model is a built-in baseline replayed."""
    return backend == REPLAY and "baseline" in identity_args


@dataclass
class _Row:
    where: str
    prediction: Prediction


@dataclass
class _Task:
    card: TaskCard
    index: dict[str, _Row] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    answered: int = 0


class Replay:
    """The answers of a prediction file or of a baseline, document by document.

    ``check_documents`` is called with each task's card and documents before the task runs:
    it refuses ids that are not the task's documents, and tells the replay how to read the
    task's requests (``answer``)."""

    def __init__(self, args: Mapping[str, str]) -> None:
        self.baseline = find_baseline(args["baseline"]) if "baseline" in args else None
        self.path = Path(args["path"]) if "path" in args else None
        self._rows: list[tuple[str, dict[str, Any]]] | None = None
        self._tasks: dict[str, _Task] = {}

    def _file_rows(self) -> list[tuple[str, dict[str, Any]]]:
        if self._rows is None:
            assert self.path is not None
            self._rows = list(read_records(self.path))
            if not self._rows:
                raise InputFileError(f"{self.path}: no predictions")
        return self._rows

    def _index(self, card: TaskCard) -> dict[str, _Row]:
        """The file's predictions for ``card``'s task, by document id."""
        index: dict[str, _Row] = {}
        for where, row in self._file_rows():
            task = row.get("task")
            if task is not None and task != card.name:
                continue
            id_field = "doc_id" if "doc_id" in row else card.doc_id_field
            if id_field not in row:
                raise InputFileError(
                    f"{where}: missing field 'doc_id' (or '{card.doc_id_field}', the id field of "
                    f"task {card.name})"
                )
            key = str(row[id_field])
            if key in index:
                raise InputFileError(f"{where}: {id_field} '{key}' appears twice for {card.name}")
            index[key] = _Row(where, row)
        return index

    def check_documents(self, card: TaskCard, docs: Iterable[Mapping[str, Any]]) -> None:
        """Before ``card``'s task runs: its documents are known, the file's ids must be among
        them."""
        if card.combine is not None and not get_family(card.family).replays_parts:
            raise UserError(
                f"--model replay: task {card.name} asks several prompts a document "
                f"(combine: {card.combine}); a replay gives one answer a document"
            )
        task = self._tasks[card.name] = _Task(card)
        if self.path is None:
            return
        ids = {str(doc.get(card.doc_id_field, i)) for i, doc in enumerate(docs)}
        task.index = self._index(card)
        foreign = [key for key in task.index if key not in ids]
        if foreign:
            raise InputFileError(
                f"{task.index[foreign[0]].where}: '{foreign[0]}' is not a document of task "
                f"{card.name} ({len(foreign)} of {len(task.index)} ids are not; predictions for "
                "other data?)"
            )

    def answer(self, request: Any) -> str:
        """The answer to one lm-eval request (its ``task_name``, ``doc`` and ``doc_id``)."""
        task = self._tasks.get(request.task_name)
        if task is None:
            raise UserError(f"--model replay: task {request.task_name} was not checked")
        card, doc = task.card, request.doc
        if self.baseline is not None:
            prediction, where = self.baseline.answer(card, doc), f"baseline {self.baseline.name}"
        else:
            row = task.index.get(str(doc.get(card.doc_id_field, request.doc_id)))
            if row is None:
                task.missing.append(str(doc.get(card.doc_id_field, request.doc_id)))
                return ""
            prediction, where = row.prediction, row.where
        task.answered += 1
        try:
            return get_family(card.family).replay_output(card, doc, prediction)
        except ReplayError as exc:
            raise InputFileError(f"{where}: {exc}") from None

    def take_notes(self, task_name: str) -> list[str]:
        """What the task's report must say about the replay: the documents it did not answer."""
        task = self._tasks.get(task_name)
        if task is None or not task.missing:
            return []
        shown = ", ".join(repr(key) for key in task.missing[:_SHOWN_IDS])
        more = ", …" if len(task.missing) > _SHOWN_IDS else ""
        total = len(task.missing) + task.answered
        return [
            f"replay: {len(task.missing)} of {total} documents have no prediction in "
            f"{self.path.name if self.path else 'the file'} (empty answers, scored as wrong): "
            f"{shown}{more}"
        ]


def replay_model(args: Mapping[str, str]) -> Any:
    """The lm-eval ``LM`` of ``--model replay`` (lm-eval imported only here)."""
    from lm_eval.api.model import LM

    replay = Replay(args)

    class ReplayModel(LM):
        def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
            return [replay.answer(request) for request in requests]

        def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
            raise UserError(f"--model replay: {UNSUPPORTED['loglikelihood']}")

        def loglikelihood_rolling(
            self, requests: list[Any], disable_tqdm: bool = False
        ) -> list[Any]:
            raise UserError(f"--model replay: {UNSUPPORTED['loglikelihood']}")

        def check_documents(self, card: TaskCard, docs: Iterable[Mapping[str, Any]]) -> None:
            replay.check_documents(card, docs)

        def take_notes(self, task_name: str) -> list[str]:
            return replay.take_notes(task_name)

    return ReplayModel()
