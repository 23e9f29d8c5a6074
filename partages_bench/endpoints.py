"""OpenAI-compatible endpoints (vLLM, llama.cpp, TGI, hosted APIs) through lm-eval's
``local-completions`` and ``local-chat-completions``, with what a benchmark needs on top:

- **checked before any task**: the server answers (else one error naming the URL), which models it
  serves, its context length when it reports it, and — for log-likelihood tasks — whether it
  really returns the log-probabilities of the prompt tokens (llama.cpp's ``llama-server`` does not,
  and lm-eval would then score every option alike, at chance, without an error);
- **the API key** is read from an environment variable the user names, sent in the request header
  only, and scrubbed from every log record and error message: it never enters ``model_args``,
  which lm-eval copies into its results;
- **a local tokenizer** (hub id, folder, or exported once from a GGUF file:
  ``partages_bench.tokenizers``) so that prompts are measured before they are sent
  (``partages_bench.context``): nothing is cut silently;
- **answers that cannot be read** — JSON that stays malformed after the retries, no choice,
  ``null`` content — become an empty output, counted in the task's notes, never a crash. Refused
  connections, time-outs, HTTP 429 and 5xx are retried with backoff by lm-eval; when the retries
  run out the run stops, resumable (``partages_bench.runner``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .errors import UserError

_PROBE_PROMPT = "Le patient présente une fièvre"
_PROBE_TIMEOUT = 15.0
_MALFORMED = "partages_bench_malformed"
REDACTED_SECRET = "<secret>"


class EndpointError(Exception):
    """The endpoint failed in a way retries cannot fix (no prompt log-probabilities, log-likelihood
    answers that stay malformed): the run stops, resumable."""


# --- the API key ---------------------------------------------------------------------------------

_secrets: set[str] = set()


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ``<secret>``."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED_SECRET)
    return text


def _install_log_scrubber() -> None:
    """Every log record of the process (lm-eval logs server error bodies, which some APIs fill
    with the key they rejected) is formatted and scrubbed as it is created."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "scrubs_secrets", False):
        return

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        if _secrets:
            record.msg, record.args = scrub(record.getMessage()), ()
        return record

    scrubbing_factory.scrubs_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(scrubbing_factory)


def read_api_key(variable: str | None) -> str:
    """The key held by environment variable ``variable`` (empty without one), registered for
    scrubbing. Only the variable's name is ever recorded."""
    if variable is None:
        return ""
    key = os.environ.get(variable, "")
    if not key:
        raise UserError(f"--api-key-env {variable}: that environment variable is not set")
    _secrets.add(key)
    _install_log_scrubber()
    return key


# --- the server ----------------------------------------------------------------------------------


def check_base_url(base_url: str) -> str:
    """The ``/v1`` root without a trailing slash; endpoint URLs are built from it."""
    root = base_url.rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise UserError(f"--base-url {base_url}: not an http(s) URL")
    if root.endswith("/completions"):
        raise UserError(
            f"--base-url {base_url}: give the server's /v1 root (e.g. http://127.0.0.1:8000/v1), "
            "not an endpoint URL; partages-bench adds /completions or /chat/completions"
        )
    return root


@dataclass(frozen=True)
class ServerInfo:
    """What the server says about itself before any task runs."""

    models: list[str]
    context_length: int | None
    context_source: str | None


def _server_root(base_url: str) -> str:
    return base_url.removesuffix("/v1")


def _get(url: str, key: str, timeout: float) -> Any:
    import requests

    response = requests.get(url, headers=_headers(key), timeout=timeout)
    response.raise_for_status()
    return response.json()


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _reported_context(base_url: str, models: list[dict[str, Any]], key: str) -> tuple[int, str]:
    """The context length the server reports, and where it was read, or (0, "") if none does:
    vLLM in ``/v1/models`` (``max_model_len``), llama.cpp in ``/props``, TGI in ``/info``."""
    for model in models:
        if isinstance(model.get("max_model_len"), int):
            return model["max_model_len"], "GET /v1/models max_model_len"
    probes = (
        ("/props", ("default_generation_settings", "n_ctx")),
        ("/info", ("max_total_tokens",)),
    )
    for path, keys in probes:
        try:
            value: Any = _get(_server_root(base_url) + path, key, _PROBE_TIMEOUT)
            for name in keys:
                value = value[name]
        except Exception:  # any failure: not reported here
            continue
        if isinstance(value, int) and value > 0:
            return value, f"GET {path} {'.'.join(keys)}"
    return 0, ""


def probe_server(base_url: str, key: str, timeout: float) -> ServerInfo:
    """Served models and context length; one error naming the URL if the server is not there."""
    import requests

    url = f"{base_url}/models"
    try:
        listing = _get(url, key, min(timeout, _PROBE_TIMEOUT))
    except requests.HTTPError as exc:
        status = exc.response.status_code
        hint = " (check --api-key-env)" if status in (401, 403) else ""
        raise UserError(f"endpoint {url} answered HTTP {status}{hint}") from None
    except requests.RequestException as exc:
        raise UserError(f"endpoint {url} cannot be reached: {failure_reason(exc)}") from None
    except ValueError:
        raise UserError(
            f"endpoint {url} did not answer JSON: is it an OpenAI-compatible server?"
        ) from None
    entries = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(entries, list):
        raise UserError(f"endpoint {url}: no 'data' list of models in the answer")
    models = [entry for entry in entries if isinstance(entry, dict)]
    context, source = _reported_context(base_url, models, key)
    return ServerInfo(
        models=[str(entry.get("id")) for entry in models],
        context_length=context or None,
        context_source=source or None,
    )


def failure_reason(exc: BaseException) -> str:
    """A short, secret-free reason for a network failure."""
    text = str(exc).split("\n")[0]
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return scrub(f"{type(exc).__name__}: {text}")[:300]


def _complete(base_url: str, key: str, timeout: float, **payload: Any) -> dict[str, Any]:
    import requests

    response = requests.post(
        f"{base_url}/completions",
        json={"max_tokens": 1, "temperature": 0, "logprobs": 1} | payload,
        headers=_headers(key),
        timeout=timeout,
    )
    response.raise_for_status()
    return response.json()["choices"][0]


def prompt_logprobs_problem(base_url: str, model: str, key: str, timeout: float) -> str | None:
    """Why ``/completions`` with ``echo`` cannot score options, or None if it can.

    lm-eval's log-likelihood reads the legacy ``logprobs.token_logprobs`` of the echoed prompt.
    Two ways that silently goes wrong: no prompt log-probabilities (llama.cpp's llama-server),
    and log-probabilities one position off (llama-cpp-python 0.3.36, abetlen/llama-cpp-python
    #1983: token i scored by the distribution *after* it). Both are caught by one cross-check:
    the greedy next token's log-probability, asked without echo, must equal its entry when it is
    echoed back at the end of the prompt.
    """
    import requests

    timeout = min(timeout, 60)
    try:
        nxt = _complete(base_url, key, timeout, model=model, prompt=_PROBE_PROMPT)
        expected = nxt["logprobs"]["token_logprobs"][0]
        echoed = _complete(
            base_url, key, timeout, model=model, prompt=_PROBE_PROMPT + nxt["text"], echo=True
        )["logprobs"]
        tokens, values = echoed["tokens"], echoed["token_logprobs"]
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
        return f"no usable prompt log-probabilities with 'echo' ({failure_reason(exc)})"
    if not isinstance(values, list) or len(values) < 3 or values[0] is not None:
        return "no log-probability for each prompt token with 'echo'"
    prefix, position = "", 0
    while position < len(tokens) and prefix != _PROBE_PROMPT:
        prefix += tokens[position]
        position += 1
    if prefix != _PROBE_PROMPT or position >= len(values):
        return None  # tokens do not line up with the text: cannot cross-check, trust the shape
    if not isinstance(values[position], (int, float)) or abs(values[position] - expected) > 0.1:
        return (
            f"its prompt log-probabilities are misaligned (next token {nxt['text']!r}: "
            f"{expected:.2f} asked directly, {values[position]} when echoed)"
        )
    return None


def accepts_token_prompts(base_url: str, model: str, key: str, timeout: float) -> bool:
    """Whether ``/completions`` takes prompts as token ids, as lm-eval sends them by default
    (vLLM does; llama-cpp-python takes text only, so prompts are then sent as text)."""
    import requests

    payload = {"model": model, "prompt": [[1, 2, 3]], "max_tokens": 1, "temperature": 0}
    try:
        response = requests.post(
            f"{base_url}/completions", json=payload, headers=_headers(key), timeout=timeout
        )
    except requests.RequestException:
        return False
    return response.ok


def endpoint_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is an endpoint that stopped answering (the run can resume later)."""
    import aiohttp
    import requests

    return isinstance(
        exc, (requests.RequestException, aiohttp.ClientError, TimeoutError, EndpointError)
    )


# --- lm-eval model classes -----------------------------------------------------------------------


def _choice_text(choice: Any) -> str | None:
    """The text of one completion or chat choice, or None if it has none."""
    if not isinstance(choice, dict):
        return None
    message = choice.get("message")
    value = message.get("content") if isinstance(message, dict) else choice.get("text")
    return value if isinstance(value, str) else None


def _usable(output: Any) -> bool:
    choices = output.get("choices") if isinstance(output, dict) else None
    return bool(choices) and all(
        _choice_text(choice) is not None and isinstance(choice.get("index"), int)
        for choice in choices
    )


def _backoff(attempt: int) -> float:
    """lm-eval's own retry schedule: 1 s, then doubling, at most 10 s."""
    return min(10.0, max(1.0, 0.5 * 2**attempt))


class _EndpointMixin:
    """What our endpoint classes add to lm-eval's: the key from a named environment variable;
    unreadable answers scored as empty output (and counted); checked log-probabilities."""

    max_retries: int
    cache_hook: Any

    def __init__(
        self,
        *args: Any,
        api_key_env: str | None = None,
        extra_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._api_key_env = api_key_env
        self._extra_body = extra_body or {}
        self.unreadable = Counter[str]()
        super().__init__(*args, **kwargs)

    def _create_payload(
        self, *args: Any, gen_kwargs: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """lm-eval's payload with the task's JSON schema as ``response_format`` when the run
        constrains it (``partages_bench.structured``), and ``--extra-body`` merged in:
        server-specific settings such as llama-cpp-python's ``repeat_penalty``, which it applies
        (1.1) even at temperature 0."""
        from .structured import response_format

        constraint = response_format(gen_kwargs)  # taken out of gen_kwargs
        payload = super()._create_payload(*args, gen_kwargs=gen_kwargs, **kwargs)  # type: ignore[misc]
        return payload | constraint | self._extra_body

    @property
    def api_key(self) -> str:
        return os.environ.get(self._api_key_env, "") if self._api_key_env else ""

    def take_unreadable(self) -> Counter[str]:
        """Unreadable answers since the last call (one task's), by kind."""
        counts, self.unreadable = self.unreadable, Counter()
        return counts

    def parse_generations(self, outputs: Any, **kwargs: Any) -> list[str]:
        answers: list[str] = []
        for output in outputs if isinstance(outputs, list) else [outputs]:
            if isinstance(output, dict) and _MALFORMED in output:
                answers += self._give_up(generate=True, prompts=output[_MALFORMED])
            elif not _usable(output):
                choices = output.get("choices") if isinstance(output, dict) else None
                self.unreadable["no choice" if not choices else "null content"] += 1
                answers.append("")
            else:
                answers += [a or "" for a in super().parse_generations(output, **kwargs)]  # type: ignore[misc]
        return answers

    def parse_logprobs(self, outputs: Any, tokens: Any = None, **kwargs: Any) -> Any:
        """lm-eval reads ``token_logprobs[ctxlen:-1]``, taking the last entry for the generated
        token. Servers differ: vLLM returns prompt + generated token, llama-cpp-python the
        prompt only (lm-eval would then drop the last option token, silently). Each answer is
        checked against the prompt's length and brought to the first shape."""
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for output, prompt in zip(outputs, tokens or [], strict=True):
            try:
                logprobs = output["choices"][0]["logprobs"]
                count = len(logprobs["token_logprobs"])
            except (KeyError, IndexError, TypeError):
                count = -1
            if count == len(prompt):
                logprobs["token_logprobs"].append(None)
                logprobs["top_logprobs"].append({})
            elif count != len(prompt) + 1:
                raise EndpointError(
                    f"the endpoint returned {max(count, 0)} prompt log-probabilities for a "
                    f"prompt of {len(prompt)} tokens: it ignores 'echo', or tokenises "
                    "differently from --tokenizer"
                )
        return super().parse_logprobs(outputs, tokens=tokens, **kwargs)  # type: ignore[misc]

    def _give_up(self, generate: bool, prompts: int) -> list[str]:
        """Answers that stayed malformed JSON through every retry: empty output if generated;
        log-likelihoods cannot be guessed, so those stop the run."""
        if not generate:
            raise EndpointError(
                "the endpoint answered log-likelihood requests with malformed JSON "
                f"{self.max_retries} times"
            )
        self.unreadable["malformed JSON"] += prompts
        return [""] * prompts

    def model_call(self, messages: Any, *, generate: bool = True, **kwargs: Any) -> Any:
        """lm-eval's call, with malformed JSON retried here (HTTP and connection errors go on
        to lm-eval's own retries) and, once retries run out, scored as empty answers."""
        for attempt in range(self.max_retries):
            try:
                return super().model_call(messages, generate=generate, **kwargs)  # type: ignore[misc]
            except ValueError:  # requests' JSONDecodeError
                if attempt + 1 < self.max_retries:
                    time.sleep(_backoff(attempt))
        if not generate:
            self._give_up(generate, len(messages))
        return {_MALFORMED: len(messages)}

    async def amodel_call(self, *args: Any, generate: bool = True, **kwargs: Any) -> Any:
        import aiohttp

        for attempt in range(self.max_retries):
            try:
                return await super().amodel_call(*args, generate=generate, **kwargs)  # type: ignore[misc]
            except (ValueError, aiohttp.ContentTypeError):
                if attempt + 1 < self.max_retries:
                    await asyncio.sleep(_backoff(attempt))
        answers = self._give_up(generate, len(kwargs["messages"]))
        for answer, key in zip(answers, kwargs.get("cache_keys") or [], strict=False):
            self.cache_hook.add_partial("generate_until", key, answer)
        return answers


def completions_class() -> type:
    from lm_eval.models.openai_completions import LocalCompletionsAPI

    class Completions(_EndpointMixin, LocalCompletionsAPI):
        """lm-eval ``local-completions`` with partages-bench's endpoint handling."""

        def apply_chat_template(
            self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
        ) -> Any:
            """The prompt as text with the local tokenizer's chat template, also when prompts
            are sent as text (lm-eval would send a message list to /completions then)."""
            if self.tokenizer_backend != "huggingface":
                return super().apply_chat_template(chat_history, add_generation_prompt)
            return self.tokenizer.apply_chat_template(
                chat_history,
                tokenize=False,
                add_generation_prompt=add_generation_prompt,
                continue_final_message=not add_generation_prompt,
            )

    return Completions


def chat_class() -> type:
    from lm_eval.models.openai_completions import LocalChatCompletion

    class ChatCompletions(_EndpointMixin, LocalChatCompletion):
        """lm-eval ``local-chat-completions`` with partages-bench's endpoint handling; with a
        local tokenizer it also measures prompts (lm-eval sends chat prompts unmeasured)."""

        def count_tokens(self, text: str) -> int:
            return len(self.tokenizer(text, add_special_tokens=False).input_ids) if text else 0

        def chat_turn_tokens(self) -> int:
            empty = [{"role": "user", "content": ""}]
            return self.count_tokens(self.tokenizer.apply_chat_template(empty, tokenize=False))

    return ChatCompletions


def unreadable_note(counts: Counter[str]) -> str | None:
    """The task note for answers scored as empty output, or None if there were none."""
    total = sum(counts.values())
    if not total:
        return None
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    return f"{total} endpoint answers could not be read ({kinds}): scored as empty output"
