"""Endpoint plumbing without a model: argument mapping (vLLM, endpoints), the identity that keys
the response cache, the pre-flight checks against a scripted OpenAI look-alike, the API key kept
out of everything, and unreadable answers scored as empty output."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import Respond, assert_one_line_error, cli, models_listing

from partages_bench import endpoints
from partages_bench.errors import ModelArgsError, UserError
from partages_bench.models import Backend, identity_key, lm_eval_args
from partages_bench.options import BackendOptions
from partages_bench.registry import Registry
from partages_bench.runner import plan_tasks
from partages_bench.schema import ModelIdentity

# --- argument mapping ----------------------------------------------------------------------------


def test_vllm_options_map_to_lm_eval_arguments() -> None:
    options = BackendOptions(
        tensor_parallel_size=4, data_parallel_size=2, gpu_memory_utilization=0.85, max_length=8192
    )
    args = lm_eval_args("vllm", {"pretrained": "org/model-70b", "dtype": "bfloat16"}, options)
    assert args == {
        "pretrained": "org/model-70b",
        "dtype": "bfloat16",
        "tensor_parallel_size": "4",
        "data_parallel_size": "2",
        "gpu_memory_utilization": "0.85",
        "max_model_len": "8192",  # vLLM's name; lm-eval refuses max_length with it
    }
    assert lm_eval_args("hf", {"pretrained": "m"}, BackendOptions(max_length=4096)) == {
        "pretrained": "m",
        "max_length": "4096",
    }


def test_endpoint_options_map_to_lm_eval_arguments() -> None:
    options = BackendOptions(
        base_url="http://gpu-node:8000/v1/", concurrency=8, max_retries=5, timeout=60
    )
    args = lm_eval_args("openai-chat", {"model": "mistral"}, options)
    assert args == {
        "model": "mistral",
        "base_url": "http://gpu-node:8000/v1/chat/completions",
        "num_concurrent": "8",
        "max_retries": "6",  # lm-eval counts attempts: the first one and 5 retries
        "timeout": "60",
    }
    completions = lm_eval_args("openai-completions", {}, BackendOptions(base_url="http://h/v1"))
    assert completions["base_url"] == "http://h/v1/completions"
    assert completions["max_retries"] == "4" and completions["num_concurrent"] == "1"


@pytest.mark.parametrize(
    ("name", "args", "options", "message"),
    [
        ("hf", {"pretrained": "m"}, BackendOptions(concurrency=4), "--concurrency applies to"),
        ("openai-chat", {}, BackendOptions(tensor_parallel_size=2, base_url="http://h/v1"), "vllm"),
        ("openai-chat", {}, BackendOptions(), "needs --base-url"),
        ("vllm", {"max_length": "2048"}, BackendOptions(max_length=4096), "given both"),
        ("hf", {"tokenizer": "a"}, BackendOptions(tokenizer="b"), "tokenizer: given both"),
    ],
)
def test_options_that_do_not_apply_are_refused(
    name: str, args: dict[str, str], options: BackendOptions, message: str
) -> None:
    with pytest.raises(ModelArgsError, match=message):
        lm_eval_args(name, args, options)


def test_the_base_url_is_the_v1_root() -> None:
    with pytest.raises(UserError, match="give the server's /v1 root"):
        endpoints.check_base_url("http://h:8000/v1/chat/completions")
    with pytest.raises(UserError, match="not an http"):
        endpoints.check_base_url("h:8000/v1")


def identity(**changes: Any) -> ModelIdentity:
    fields: dict[str, Any] = {
        "backend": "openai-completions",
        "lm_eval_model": "local-completions",
        "name": "served",
        "args": {"base_url": "http://h/v1/completions", "model": "served", "num_concurrent": "1"},
    }
    return ModelIdentity(**(fields | changes))


def test_the_cache_key_follows_the_model_not_the_throughput() -> None:
    base = identity()
    faster = identity(args=base.args | {"num_concurrent": "16", "timeout": "5"})
    assert identity_key(base) == identity_key(faster)
    assert identity_key(base) == identity_key(identity(notes=["context length 4096"]))
    for other in (
        identity(args=base.args | {"model": "other-checkpoint"}),
        identity(args=base.args | {"base_url": "http://other/v1/completions"}),
        identity(weights_sha256="ab" * 32),
        identity(tokenizer_sha256="cd" * 32),
        identity(backend="openai-chat"),
    ):
        assert identity_key(other) != identity_key(base)


# --- pre-flight checks against a scripted server -------------------------------------------------


def test_the_served_model_and_reported_context_are_used(scripted: Callable) -> None:
    server = scripted(lambda path, body: (200, models_listing("med-7b", max_model_len=8192)))
    backend = Backend.resolve("openai-chat", "", BackendOptions(base_url=server.base_url))
    assert backend.args["model"] == "med-7b"
    assert backend.args["max_length"] == "8192"
    assert backend.notes == ["context length 8192 tokens (GET /v1/models max_model_len)"]
    assert backend.unsupported["loglikelihood"] == "chat endpoints return no log-probabilities"


def test_several_served_models_need_a_choice(scripted: Callable) -> None:
    server = scripted(lambda path, body: (200, models_listing("a", "b")))
    with pytest.raises(ModelArgsError, match=r"serves 2 models \(a, b\)"):
        Backend.resolve("openai-chat", "", BackendOptions(base_url=server.base_url))
    chosen = Backend.resolve("openai-chat", "model=b", BackendOptions(base_url=server.base_url))
    assert chosen.args["model"] == "b"
    assert "assumed" in chosen.notes[0]  # no context reported anywhere: said, not silent


def test_an_endpoint_that_is_down_is_one_error_naming_the_url(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
    result = cli("run", "--model", "openai-chat", "--base-url", url, "--output", str(tmp_path))
    assert_one_line_error(result, f"endpoint {url}/models cannot be reached")
    assert not (tmp_path / "report.json").exists()  # stopped before any task


def test_a_rejected_key_is_named_without_the_key(scripted: Callable, monkeypatch) -> None:
    monkeypatch.setenv("BAD_KEY", "sk-do-not-print-me")
    server = scripted(lambda path, body: (401, {"error": "invalid key sk-do-not-print-me"}))
    with pytest.raises(UserError) as raised:
        Backend.resolve(
            "openai-chat", "", BackendOptions(base_url=server.base_url, api_key_env="BAD_KEY")
        )
    assert "HTTP 401" in str(raised.value) and "--api-key-env" in str(raised.value)
    assert "sk-do-not-print-me" not in str(raised.value)


def test_an_unset_key_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY", raising=False)
    with pytest.raises(UserError, match="--api-key-env NO_SUCH_KEY: that environment variable"):
        endpoints.read_api_key("NO_SUCH_KEY")


def test_log_records_never_show_the_key(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SCRUB_ME", "sk-partages-0123456789")
    endpoints.read_api_key("SCRUB_ME")
    # The logger's own level: a quiet run in this process set the library loggers to errors.
    with caplog.at_level(logging.WARNING, logger="lm_eval.models.api_models"):
        logging.getLogger("lm_eval.models.api_models").warning(
            "API request failed: %s", '{"error": "bad key sk-partages-0123456789"}'
        )
    assert "sk-partages-0123456789" not in caplog.text
    assert endpoints.REDACTED_SECRET in caplog.text


def echo_server(shift: int) -> Respond:
    """/completions answering like a server whose echoed prompt log-probabilities are ``shift``
    positions off (0: right); the token of the probe prompt's continuation is " de"."""
    true_logprobs = [-3.0, -1.5, -2.5, -0.5]

    def respond(path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        if body is None:
            return 200, models_listing("m")
        if not body.get("echo"):
            logprobs = {"tokens": [" de"], "token_logprobs": [-0.7], "top_logprobs": [{}]}
            return 200, {"choices": [{"index": 0, "text": " de", "logprobs": logprobs}]}
        tokens = [endpoints._PROBE_PROMPT[:10], endpoints._PROBE_PROMPT[10:], " de"]
        values = [None, *true_logprobs[shift : shift + 1], -0.7 if shift == 0 else -4.0]
        logprobs = {"tokens": tokens, "token_logprobs": values, "top_logprobs": [{}] * 3}
        return 200, {"choices": [{"index": 0, "text": "".join(tokens), "logprobs": logprobs}]}

    return respond


def test_misaligned_prompt_logprobs_are_detected(scripted: Callable) -> None:
    right = scripted(echo_server(shift=0))
    assert endpoints.prompt_logprobs_problem(right.base_url, "m", "", 10) is None
    off_by_one = scripted(echo_server(shift=1))
    problem = endpoints.prompt_logprobs_problem(off_by_one.base_url, "m", "", 10)
    assert problem is not None and "misaligned" in problem


def test_no_echo_means_no_log_likelihood_tasks(scripted: Callable) -> None:
    def respond(path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        if body is None:
            return 200, models_listing("m")
        logprobs = {"tokens": [" de"], "token_logprobs": [-0.7], "top_logprobs": [{}]}
        return 200, {"choices": [{"index": 0, "text": " de", "logprobs": logprobs}]}

    server = scripted(respond)
    problem = endpoints.prompt_logprobs_problem(server.base_url, "m", "", 10)
    assert problem == "no log-probability for each prompt token with 'echo'"


def test_a_named_log_likelihood_task_on_a_chat_endpoint_is_refused() -> None:
    cards = Registry.discover().select(["frenchmedmcqa_ll", "frenchmedmcqa"])
    refused = {"loglikelihood": "chat endpoints return no log-probabilities"}
    with pytest.raises(UserError) as raised:
        plan_tasks(cards, ["frenchmedmcqa_ll"], None, refused)
    assert str(raised.value) == (
        "this backend cannot run task frenchmedmcqa_ll needs loglikelihood: chat endpoints "
        "return no log-probabilities; run frenchmedmcqa instead"
    )
    qa = Registry.discover().select(["qa"])
    runnable, skipped = plan_tasks(qa, ["qa"], Path("/nonexistent"), refused)
    assert "run frenchmedmcqa instead" in skipped["frenchmedmcqa_ll"].reason
    assert "frenchmedmcqa_ll" not in {card.name for card in runnable}


# --- answers that cannot be read -----------------------------------------------------------------


@pytest.fixture
def completions() -> Any:
    model_class = endpoints.completions_class()
    return model_class(
        model="m",
        base_url="http://127.0.0.1:9/v1/completions",
        tokenizer_backend="none",
        max_retries=2,
    )


def test_unreadable_answers_become_empty_output_and_are_counted(completions: Any) -> None:
    answers = completions.parse_generations(
        [
            {"choices": [{"index": 0, "text": "A, C"}]},
            {"choices": []},
            {"choices": [{"index": 0, "text": None}]},
            {"choices": [{"text": "no index"}]},
            {"error": "overloaded"},
            {endpoints._MALFORMED: 1},
        ]
    )
    assert answers == ["A, C", "", "", "", "", ""]
    assert completions.take_unreadable() == {"no choice": 2, "null content": 2, "malformed JSON": 1}
    assert completions.take_unreadable() == {}  # counted once, per task
    note = endpoints.unreadable_note(endpoints.Counter({"no choice": 2, "malformed JSON": 1}))
    assert note == (
        "3 endpoint answers could not be read (malformed JSON 1, no choice 2): "
        "scored as empty output"
    )


def logprobs_answer(values: list[float | None]) -> dict[str, Any]:
    tops = [{} if v is None else {"x": v} for v in values]
    return {"choices": [{"index": 0, "logprobs": {"token_logprobs": values, "top_logprobs": tops}}]}


def test_prompt_only_echo_keeps_the_last_option_token(completions: Any) -> None:
    """llama-cpp-python echoes the prompt's log-probabilities without the generated token's:
    lm-eval's ``[ctxlen:-1]`` would drop the option's last token; ours keeps it."""
    prompt = [11, 12, 13, 14]  # context 2 tokens, option 2 tokens
    with_generated = completions.parse_logprobs(
        [logprobs_answer([None, -1.0, -2.0, -3.0, -9.0])], tokens=[prompt], ctxlens=[2]
    )
    prompt_only = completions.parse_logprobs(
        [logprobs_answer([None, -1.0, -2.0, -3.0])], tokens=[prompt], ctxlens=[2]
    )
    assert with_generated == prompt_only == [(-5.0, True)]
    with pytest.raises(endpoints.EndpointError, match="2 prompt log-probabilities"):
        completions.parse_logprobs([logprobs_answer([None, -1.0])], tokens=[prompt], ctxlens=[2])


def test_resume_refuses_other_options(tmp_path: Path) -> None:
    result = cli("run", "--resume", str(tmp_path), "--tasks", "ner")
    assert_one_line_error(result, f"--resume {tmp_path} continues the run", "drop --tasks")
    nothing = cli("run", "--resume", str(tmp_path))
    assert_one_line_error(nothing, "nothing to resume")


def test_extra_body_reaches_every_request_and_the_identity(scripted: Callable) -> None:
    server = scripted(lambda path, body: (200, models_listing("m")))
    options = BackendOptions(base_url=server.base_url, extra_body='{"repeat_penalty": 1.0}')
    backend = Backend.resolve("openai-chat", "", options)
    assert backend.identity().args["extra_body"] == '{"repeat_penalty": 1.0}'
    plain = Backend.resolve("openai-chat", "", BackendOptions(base_url=server.base_url))
    assert identity_key(plain.identity()) != identity_key(backend.identity())
    model = endpoints.completions_class()(
        model="m", base_url="http://h/v1/completions", tokenizer_backend="none", extra_body={"x": 1}
    )
    payload = model._create_payload("Bonjour", generate=True, gen_kwargs={"until": ["\n"]})
    assert payload["x"] == 1 and payload["prompt"] == "Bonjour" and payload["temperature"] == 0
    for bad in ("[1]", "{nope"):
        with pytest.raises(ModelArgsError, match="--extra-body"):
            Backend.resolve(
                "openai-chat", "", BackendOptions(base_url="http://h/v1", extra_body=bad)
            )
