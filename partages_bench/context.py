"""No prompt is cut silently: documents whose prompt cannot fit the model's context are skipped
and counted before lm-eval runs.

lm-eval's backends left-truncate a prompt that exceeds ``max_length - max_gen_toks`` with at
most a log line, which drops the instruction of a long clinical record without a trace. Before
each generative task we bound every document's prompt, in the model's own tokens:

    description + the num_fewshot longest few-shot examples + the document's prompt
    (+ one empty chat turn per message with --apply-chat-template)

Parts are tokenised separately and summed, which can only overestimate. A document whose bound
plus the answer budget (``max_gen_toks``) exceeds the model's ``max_length`` is not evaluated;
the report says how many were skipped and why (``truncated_or_skipped``, ``context_check``).
Log-likelihood tasks are not checked (their prompts are short multiple-choice questions), nor
are backends that expose no tokenizer (the report says so).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

# lm-eval's generation budget when a task sets no max_gen_toks.
DEFAULT_MAX_GEN_TOKS = 256
_SHOWN_IDS = 5


@dataclass(frozen=True)
class ContextPlan:
    """Which documents to evaluate (None: all of them, or the first ``--limit``, as lm-eval
    would) and what the report says about prompt lengths."""

    indices: list[int] | None
    skipped: int
    note: str


def limited_count(count: int, limit: float | None) -> int:
    """How many of ``count`` documents ``--limit`` keeps: the first N, or a fraction (lm-eval's
    rule)."""
    if limit is None:
        return count
    return min(count, int(limit) if limit >= 1 else int(count * limit))


def _tokens(lm: Any, text: str) -> int:
    # Chat endpoints' tok_encode returns the text itself; they count with their tokenizer.
    if hasattr(lm, "count_tokens"):
        return lm.count_tokens(text)
    return len(lm.tok_encode(text)) if text else 0


def _chat_turn_tokens(lm: Any) -> int:
    if hasattr(lm, "chat_turn_tokens"):
        return lm.chat_turn_tokens()
    return _tokens(lm, lm.apply_chat_template([{"role": "user", "content": ""}]))


def plan_context(
    task: Any,
    lm: Any,
    num_fewshot: int | None,
    limit: float | None,
    apply_chat_template: bool,
    doc_id_field: str,
) -> ContextPlan:
    """The documents of an lm-eval ``task`` whose prompt fits ``lm``'s context (module doc)."""
    config = task.config
    max_length = getattr(lm, "max_length", None)
    if config.output_type != "generate_until":
        return ContextPlan(None, 0, "not checked: log-likelihood task")
    if max_length is None or getattr(lm, "tokenizer", None) is None:
        return ContextPlan(None, 0, "not checked: the backend exposes no tokenizer")
    budget = int((config.generation_kwargs or {}).get("max_gen_toks", DEFAULT_MAX_GEN_TOKS))
    shots = config.num_fewshot if num_fewshot is None else num_fewshot
    overhead = _tokens(lm, config.description or "")
    if shots:
        examples = (
            f"{task.doc_to_text(doc)}{config.target_delimiter}{task.doc_to_target(doc)}"
            f"{config.fewshot_delimiter}"
            for doc in task.fewshot_docs()
        )
        overhead += sum(heapq.nlargest(shots, (_tokens(lm, e) for e in examples)))
    if apply_chat_template:
        empty_turn = _chat_turn_tokens(lm)
        overhead += empty_turn * (2 * shots + 2)
    room = max_length - budget
    docs = list(task.eval_docs)
    count = limited_count(len(docs), limit)
    fits = {i: overhead + _tokens(lm, task.doc_to_text(docs[i])) <= room for i in range(count)}
    rejected = [str(docs[i].get(doc_id_field, i)) for i, ok in fits.items() if not ok]
    if not rejected:
        return ContextPlan(
            None, 0, f"every prompt fits {max_length} tokens with {budget} for the answer"
        )
    shown = ", ".join(rejected[:_SHOWN_IDS]) + (", …" if len(rejected) > _SHOWN_IDS else "")
    note = (
        f"{len(rejected)} of {count} documents not evaluated: prompt over {room} tokens "
        f"({max_length} of context, {budget} kept for the answer): {shown}"
    )
    return ContextPlan([i for i, ok in fits.items() if ok], len(rejected), note)
