"""Structured output (``run --structured-output``): the JSON Schema a task offers for its answer,
sent to backends that can constrain decoding to it. Everything about the option lives here.

- **The card field.** A task card may declare ``json_schema: <file>``, a JSON Schema of its answer
  beside the task YAML. ``check_card`` validates it when the card is read (the file exists, is
  JSON, and is an object schema), with the standard library only: ``tasks list`` stays light.
- **Which backends.** OpenAI-compatible endpoints (``openai-completions``, ``openai-chat``) and
  vLLM (``BACKENDS``). Any other backend given ``--structured-output`` is refused before anything
  loads (``models.lm_eval_args``): hf and the default model have no constrained decoding here,
  and a replay answers from a file. Refused rather than ignored: a report must never say its
  answers were constrained when they were not.
- **How a request carries it.** ``constrain`` adds ``GEN_KWARG`` (the task name and its schema,
  as one JSON string) to the generation arguments of each request of a task with a schema;
  requests of other tasks are left as they are (plain generation in the same run). It is added
  above lm-eval's response cache, so the cache key holds the schema. Each backend turns it into
  its own field: endpoints send ``response_format: {"type": "json_schema", "json_schema":
  {"name", "schema", "strict": true}}`` (OpenAI's structured outputs; vLLM's OpenAI-compatible
  server reads the same field), vLLM sets ``SamplingParams.structured_outputs =
  StructuredOutputsParams(json=schema)`` (https://docs.vllm.ai/en/latest/features/structured_outputs/;
  lm-eval 0.4.13's vllm extra needs vLLM 0.18 or later, after the older ``guided_decoding`` /
  ``guided_json`` fields were removed in v0.12.0).
- **What records it.** ``ModelIdentity.structured_output`` (part of ``models.identity_key``, so
  runs with and without it never share answers, merge, or make one leaderboard row); a task note
  on each task whose answers were constrained; the schema's content is part of the task hash.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelArgsError, TaskCardError

if TYPE_CHECKING:
    from .schema import TaskCard

OPTION = "--structured-output"
CARD_FIELD = "json_schema"
BACKENDS = ("openai-completions", "openai-chat", "vllm")
# The generation argument that carries a task's schema from the run to the backend.
GEN_KWARG = "partages_bench_json_schema"
_NAME = re.compile(r"[^A-Za-z0-9_-]")  # OpenAI's json_schema.name: letters, digits, _ and -


# --- the card -----------------------------------------------------------------------------------


def schema_file(card: TaskCard) -> Path | None:
    """The card's schema file (relative to the folder of its task YAML), or None."""
    if card.json_schema is None:
        return None
    return Path(card.path).parent / card.json_schema


def _read(path: Path, where: str) -> dict[str, Any]:
    """The schema in ``path``, an object schema, else one error naming ``where``."""
    if not path.is_file():
        what = "a folder" if path.is_dir() else "no such file"
        raise TaskCardError(f"{where}: {path.name}: {what} beside the task YAML")
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskCardError(f"{where}: {path.name}: cannot be read ({exc})") from None
    except ValueError as exc:
        raise TaskCardError(f"{where}: {path.name}: not JSON ({exc})") from None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise TaskCardError(
            f'{where}: {path.name}: not an object schema (expected {{"type": "object", ...}})'
        )
    if not isinstance(schema.get("properties", {}), dict):
        raise TaskCardError(f"{where}: {path.name}: properties: must be an object")
    return schema


def check_card(path: Path, card: TaskCard) -> Path | None:
    """Validate the card's ``json_schema`` (read from task YAML ``path``): a relative file
    beside the task, JSON, an object schema, for a generation task. The file read, or None."""
    if card.json_schema is None:
        return None
    where = f"{path}: metadata.{CARD_FIELD}"
    if card.requires != "generation":
        raise TaskCardError(f"{where}: only a generation task has an answer to constrain")
    relative = Path(card.json_schema)
    if relative.is_absolute() or ".." in relative.parts:
        raise TaskCardError(f"{where}: '{card.json_schema}' must be a file in the task's folder")
    schema = path.parent / relative
    _read(schema, where)
    return schema


def load_schema(card: TaskCard) -> dict[str, Any] | None:
    """The card's JSON Schema, or None when it declares none."""
    path = schema_file(card)
    return None if path is None else _read(path, f"{card.path}: metadata.{CARD_FIELD}")


def task_schemas(cards: Iterable[TaskCard]) -> dict[str, dict[str, Any]]:
    """Task name → its schema, for the ``cards`` that declare one."""
    return {card.name: schema for card in cards if (schema := load_schema(card)) is not None}


def task_note(card: TaskCard) -> str:
    """The task note of a run whose answers were constrained to the card's schema."""
    return f"answers constrained to the task's JSON schema ({card.json_schema}; {OPTION})"


# --- the run ------------------------------------------------------------------------------------


def check_extra_body(extra_body: Mapping[str, Any]) -> None:
    """``--extra-body`` may not set the field ``--structured-output`` sends (one would silently
    replace the other)."""
    if "response_format" in extra_body:
        raise ModelArgsError(f"--extra-body: response_format is set by {OPTION}; drop one")


def constrain(requests: Sequence[Any], schemas: Mapping[str, dict[str, Any]]) -> list[Any]:
    """The lm-eval generation requests with ``GEN_KWARG`` added to those of a task that has a
    schema (copies: lm-eval's own requests, which its sample log records, are left alone)."""
    constrained = []
    for request in requests:
        schema = schemas.get(request.task_name)
        if schema is None:
            constrained.append(request)
            continue
        context, gen_kwargs = request.arguments
        marker = json.dumps({"name": request.task_name, "schema": schema}, sort_keys=True)
        arguments = (context, {**gen_kwargs, GEN_KWARG: marker})
        constrained.append(dataclasses.replace(request, arguments=arguments))
    return constrained


def _take(gen_kwargs: dict[str, Any] | None) -> dict[str, Any] | None:
    """Remove ``GEN_KWARG`` from ``gen_kwargs``; what it held ({name, schema}), or None."""
    if not gen_kwargs or GEN_KWARG not in gen_kwargs:
        return None
    return json.loads(gen_kwargs.pop(GEN_KWARG))


def response_format(gen_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """The request fields of an OpenAI-compatible endpoint for ``gen_kwargs`` (``GEN_KWARG``
    removed from it): ``response_format`` with the task's schema, strict; {} for a request
    without one."""
    taken = _take(gen_kwargs)
    if taken is None:
        return {}
    name = _NAME.sub("_", taken["name"])[:64]
    return {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": taken["schema"], "strict": True},
        }
    }


def vllm_class() -> type:
    """lm-eval's ``vllm`` model that honours ``GEN_KWARG``.

    lm-eval passes a request's remaining generation arguments to ``SamplingParams(**kwargs)`` and
    hashes the same arguments as JSON for its cache, so the schema travels as plain JSON in
    ``SamplingParams.extra_args`` (free for plugins, unused by vLLM itself) and is turned into
    vLLM's constraint object just before generation."""
    from lm_eval.models.vllm_causallms import VLLM

    class ConstrainedVLLM(VLLM):
        def modify_gen_kwargs(  # type: ignore[override]
            self, gen_kwargs: dict[str, Any], *args: Any, **kwargs: Any
        ) -> tuple[dict[str, Any], list[str], int]:
            gen_kwargs = dict(gen_kwargs)
            marker = gen_kwargs.pop(GEN_KWARG, None)
            sampling, until, max_gen_toks = VLLM.modify_gen_kwargs(gen_kwargs, *args, **kwargs)
            if marker is not None:
                extra = dict(sampling.get("extra_args") or {})
                sampling["extra_args"] = extra | {GEN_KWARG: marker}
            return sampling, until, max_gen_toks

        def _model_generate(
            self, requests: Any, generate: bool = False, sampling_params: Any = None
        ) -> Any:
            for params in sampling_params if isinstance(sampling_params, list) else []:
                extra = getattr(params, "extra_args", None) or {}
                if GEN_KWARG in extra:
                    from vllm.sampling_params import StructuredOutputsParams

                    params.extra_args = {k: v for k, v in extra.items() if k != GEN_KWARG} or None
                    schema = json.loads(extra[GEN_KWARG])["schema"]
                    params.structured_outputs = StructuredOutputsParams(json=schema)
            return super()._model_generate(requests, generate, sampling_params)

    return ConstrainedVLLM
