"""``run --structured-output`` (partages_bench.structured): the card's ``json_schema`` checked when
read, the schema in the body of an endpoint's requests for a task that offers one and only for
it, vLLM's sampling parameters, the backends that refuse the option, and the model identity
that records it."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    ScriptedServer,
    assert_one_line_error,
    cli,
    models_listing,
    quiet,
    task_card,
    task_folder_copy,
)

from partages_bench import structured
from partages_bench.endpoints import completions_class
from partages_bench.errors import ModelArgsError, TaskCardError, UserError
from partages_bench.families.structuring import structuring_card
from partages_bench.leaderboard import LoadedRun, display_name
from partages_bench.models import Backend, describe, identity_key
from partages_bench.options import BackendOptions, RunOptions
from partages_bench.registry import Registry, read_card
from partages_bench.report import render_markdown, task_hash
from partages_bench.runner import run
from partages_bench.schema import ModelIdentity, Report

FIXTURES = Path(__file__).parent / "fixtures" / "parhaf"
SCHEMA_TASK, PLAIN_TASK = "parhaf_scenario", "parhaf_response"
SCENARIO = Registry.discover().card(SCHEMA_TASK)


# --- the card -----------------------------------------------------------------------------------


def test_parhaf_scenario_offers_a_strict_schema_of_its_eight_fields() -> None:
    """The schema answers what the prompt asks: the card's fields, every one required (null
    where the report says nothing), no other; what OpenAI's strict mode needs."""
    schema = structured.load_schema(SCENARIO)
    assert schema is not None and SCENARIO.json_schema == "scenario.schema.json"
    fields = list(structuring_card(SCENARIO).fields)
    assert list(schema["properties"]) == fields and schema["required"] == fields
    assert schema["additionalProperties"] is False
    for value in schema["properties"].values():
        if "$ref" in value:  # "#/$defs/NAME"
            value = schema["$defs"][value["$ref"].rsplit("/", 1)[1]]
        assert {"type": "null"} in value.get("anyOf", []) or "null" in value["type"]


def test_tasks_list_marks_a_task_that_offers_a_schema() -> None:
    result = cli("tasks", "list", "--json")
    cards = {card["name"]: card for card in json.loads(result.stdout)}
    assert cards[SCHEMA_TASK]["json_schema"] == "scenario.schema.json"
    assert cards[PLAIN_TASK]["json_schema"] is None
    table = cli("tasks", "list", "--family", "structuring", env={"COLUMNS": "200"})
    assert "generation, JSON schema" in table.stdout


def _task_with_schema(folder: Path, declared: str, content: str | None) -> Path:
    """parhaf_scenario's folder copied to ``folder`` with ``json_schema: declared`` in its card
    and ``content`` written as ``folder/schema.json`` (None: no file)."""
    task_folder_copy(folder, "structuring/parhaf_scenario")
    original = Path(SCENARIO.path).read_text(encoding="utf-8")
    yaml = folder / "parhaf_scenario.yaml"
    yaml.write_text(
        original.replace("json_schema: scenario.schema.json", f"json_schema: {declared}"),
        encoding="utf-8",
    )
    if content is not None:
        (folder / "schema.json").write_text(content, encoding="utf-8")
    return yaml


@pytest.mark.parametrize(
    ("declared", "content", "message"),
    [
        ("missing.json", None, "missing.json: no such file beside the task YAML"),
        ("schema.json", "{nope", "schema.json: not JSON"),
        ("schema.json", "[1]", "schema.json: not an object schema"),
        ("schema.json", '{"type": "array"}', "schema.json: not an object schema"),
        ("schema.json", '{"type": "object", "properties": []}', "properties: must be an object"),
        ("../schema.json", None, "must be a file in the task's folder"),
    ],
)
def test_a_broken_schema_is_one_error_naming_the_card_and_the_field(
    tmp_path: Path, declared: str, content: str | None, message: str
) -> None:
    yaml = _task_with_schema(tmp_path / "structuring" / "t", declared, content)
    with pytest.raises(TaskCardError) as error:
        read_card(yaml)
    assert str(error.value).startswith(f"{yaml}: metadata.json_schema: ")
    assert message in str(error.value)


def test_a_broken_schema_fails_tasks_validate_in_one_line(tmp_path: Path) -> None:
    yaml = _task_with_schema(tmp_path / "structuring" / "t", "schema.json", '{"type": "string"}')
    result = cli("tasks", "validate", str(yaml))
    assert_one_line_error(result, str(yaml), "metadata.json_schema", "not an object schema")


def test_only_a_generation_task_may_offer_a_schema(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{"type": "object"}', encoding="utf-8")
    yaml = tmp_path / "t.yaml"
    card = task_card(requires="loglikelihood", json_schema="s.json", path=str(yaml))
    with pytest.raises(TaskCardError, match=r"metadata\.json_schema: only a generation task"):
        structured.check_card(yaml, card)
    assert structured.check_card(yaml, card.model_copy(update={"requires": "generation"})) == (
        tmp_path / "s.json"
    )


def test_the_schema_is_part_of_the_task_hash(tmp_path: Path) -> None:
    yaml = _task_with_schema(tmp_path / "structuring" / "t", "schema.json", '{"type": "object"}')
    card = read_card(yaml)
    assert card is not None
    before = task_hash({"task": SCHEMA_TASK}, card)
    (yaml.parent / "schema.json").write_text('{"type": "object", "title": "x"}', encoding="utf-8")
    assert task_hash({"task": SCHEMA_TASK}, card) != before


# --- backends that cannot constrain -------------------------------------------------------------


APPLIES_TO = "--structured-output applies to --model openai-completions, openai-chat, vllm, not"


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("hf", f"{APPLIES_TO} hf"),
        ("default", f"{APPLIES_TO} default"),
        ("replay", "--structured-output: does not apply to --model replay"),
    ],
)
def test_a_backend_without_constrained_decoding_refuses_the_option(
    tmp_path: Path, model: str, message: str
) -> None:
    args = {"hf": f"pretrained={tmp_path}", "default": "", "replay": "baseline=empty"}[model]
    with pytest.raises(UserError) as error:
        Backend.resolve(model, args, BackendOptions(structured_output=True))
    assert str(error.value) == message


def test_hf_with_structured_output_exits_2_in_one_line(tmp_path: Path) -> None:
    result = cli("run", "--model", "hf", "--model-args", f"pretrained={tmp_path}",
                 "--structured-output", "--output", str(tmp_path / "run"))  # fmt: skip
    assert_one_line_error(result, "--structured-output", "not hf")
    assert not (tmp_path / "run" / "report.json").exists()


# --- endpoints ----------------------------------------------------------------------------------


def _chat_server(scripted: Callable[..., ScriptedServer]) -> ScriptedServer:
    """A chat endpoint serving one model that answers every prompt with an empty JSON object."""

    def respond(path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        if path == "/v1/models":
            return 200, models_listing("m")
        if path == "/v1/chat/completions":
            message = {"role": "assistant", "content": "{}"}
            return 200, {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        return 404, {"error": "not here"}

    return scripted(respond)


def _run(server: ScriptedServer, output: Path, structured_output: bool) -> Report:
    options = RunOptions(
        output=output,
        model="openai-chat",
        tasks=[SCHEMA_TASK, PLAIN_TASK],
        data_dir=FIXTURES,
        limit=2,
        bootstrap_iterations=20,
        backend=BackendOptions(base_url=server.base_url, structured_output=structured_output),
        command=["partages-bench", "run", "(test)"],
    )
    return run(options, quiet())


def _generations(server: ScriptedServer) -> list[dict[str, Any]]:
    return [body for path, body in server.requests if path == "/v1/chat/completions" and body]


def test_the_schema_reaches_the_requests_of_its_task_only(
    scripted: Callable[..., ScriptedServer], tmp_path: Path
) -> None:
    """In one run, the two prompts of the task with a schema carry it as a strict
    ``response_format``; those of the task without one carry none (plain generation). The
    report says so: the model's identity, its description, report.md and the task's note."""
    server = _chat_server(scripted)
    report = _run(server, tmp_path / "run", structured_output=True)
    bodies = _generations(server)
    scenario = [b for b in bodies if "Remplissez le scénario" in json.dumps(b, ensure_ascii=False)]
    others = [b for b in bodies if b not in scenario]
    assert len(scenario) == 2 and len(others) == 2
    expected = {
        "type": "json_schema",
        "json_schema": {
            "name": SCHEMA_TASK,
            "schema": structured.load_schema(SCENARIO),
            "strict": True,
        },
    }
    assert all(body["response_format"] == expected for body in scenario)
    assert not any("response_format" in body for body in others)
    assert not any(structured.GEN_KWARG in json.dumps(body) for body in bodies)

    assert report.model.structured_output is True
    assert describe(report.model) == "m (openai-chat, chat template, structured output)"
    assert "(--structured-output)" in render_markdown(report)
    assert structured.task_note(SCENARIO) in report.tasks[SCHEMA_TASK].notes
    assert not any("JSON schema" in note for note in report.tasks[PLAIN_TASK].notes)


def test_without_the_option_no_request_carries_a_schema_and_the_model_is_another(
    scripted: Callable[..., ScriptedServer], tmp_path: Path
) -> None:
    server = _chat_server(scripted)
    plain = _run(server, tmp_path / "plain", structured_output=False).model
    bodies = _generations(server)
    assert len(bodies) == 4 and not any("response_format" in body for body in bodies)
    assert plain.structured_output is False
    constrained = plain.model_copy(update={"structured_output": True})
    assert identity_key(plain) != identity_key(constrained)


def test_the_payload_takes_the_schema_out_of_the_generation_arguments() -> None:
    """``response_format`` from the request's generation arguments, never the marker itself;
    ``--extra-body`` still merged; no schema, no ``response_format``."""
    model = completions_class()(
        model="m", base_url="http://h/v1/completions", tokenizer_backend="none", extra_body={"x": 1}
    )
    marker = json.dumps({"name": "a.b@1", "schema": {"type": "object"}})
    gen_kwargs = {"until": ["\n"], structured.GEN_KWARG: marker}
    payload = model._create_payload("Bonjour", generate=True, gen_kwargs=gen_kwargs)
    assert payload["response_format"]["json_schema"] == {
        "name": "a_b_1",  # OpenAI's names: letters, digits, _ and -
        "schema": {"type": "object"},
        "strict": True,
    }
    assert structured.GEN_KWARG not in payload and payload["x"] == 1
    plain = model._create_payload("Bonjour", generate=True, gen_kwargs={"until": ["\n"]})
    assert "response_format" not in plain and plain["prompt"] == "Bonjour"


def test_extra_body_may_not_set_response_format_with_the_option(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = _chat_server(scripted)
    options = BackendOptions(
        base_url=server.base_url, extra_body='{"response_format": {}}', structured_output=True
    )
    with pytest.raises(ModelArgsError, match="--extra-body: response_format is set by"):
        Backend.resolve("openai-chat", "", options)


def test_constrain_copies_only_the_requests_of_a_task_with_a_schema() -> None:
    from lm_eval.api.instance import Instance

    def request(task: str) -> Instance:
        return Instance("generate_until", {}, ("prompt", {"until": ["\n"]}), 0, (task, 0, 1))

    with_schema, plain = request("a"), request("b")
    done = structured.constrain([with_schema, plain], {"a": {"type": "object"}})
    assert done[1] is plain
    assert json.loads(done[0].args[1][structured.GEN_KWARG]) == {
        "name": "a",
        "schema": {"type": "object"},
    }
    assert structured.GEN_KWARG not in with_schema.args[1]  # lm-eval's own request untouched
    assert (done[0].task_name, done[0].doc_id) == ("a", 0)


# --- identity -----------------------------------------------------------------------------------


def _identity(**fields: Any) -> ModelIdentity:
    return ModelIdentity(backend="vllm", lm_eval_model="vllm", name="org/m", args={}, **fields)


def test_the_identity_key_without_the_option_is_the_one_before_the_field() -> None:
    """A run without ``--structured-output`` keeps the key (response cache, leaderboard row) of
    reports written before the field existed; with it the key differs, with or without the
    chat template."""
    plain = _identity()
    before = _identity().model_dump(exclude={"structured_output"})
    assert "structured_output" not in before
    on = _identity(structured_output=True)
    assert len({identity_key(plain), identity_key(on)}) == 2
    both = _identity(structured_output=True, chat_template=True)
    assert identity_key(both) not in {identity_key(on), identity_key(_identity(chat_template=True))}


def test_the_leaderboard_names_a_structured_output_run(tmp_path: Path) -> None:
    report = types.SimpleNamespace(model=_identity(structured_output=True, chat_template=True))
    loaded = LoadedRun(tmp_path, report)  # type: ignore[arg-type]
    assert display_name(loaded) == "org/m (chat template, structured output)"


# --- vLLM ---------------------------------------------------------------------------------------


class _Params:
    """vLLM's SamplingParams as lm-eval builds it (keyword arguments kept as attributes)."""

    def __init__(self, **kwargs: Any) -> None:
        self.extra_args = None
        self.structured_outputs = None
        self.__dict__.update(kwargs)


class _Constraint:
    def __init__(self, json: Any) -> None:
        self.json = json


@pytest.fixture
def fake_vllm(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """lm-eval's vllm module imported over stand-in ``vllm`` modules (vLLM is not installed
    here); the sampling parameters handed to ``LLM.generate`` are recorded in the list."""
    generated: list[Any] = []
    names = ("vllm", "vllm.lora", "vllm.lora.request", "vllm.tokenizers", "vllm.sampling_params")
    modules = {name: types.ModuleType(name) for name in names}
    modules["vllm"].LLM = object  # type: ignore[attr-defined]
    modules["vllm"].SamplingParams = _Params  # type: ignore[attr-defined]
    modules["vllm"].TokensPrompt = dict  # type: ignore[attr-defined]
    modules["vllm.lora.request"].LoRARequest = object  # type: ignore[attr-defined]
    modules["vllm.tokenizers"].get_tokenizer = None  # type: ignore[attr-defined]
    modules["vllm.sampling_params"].StructuredOutputsParams = _Constraint  # type: ignore[attr-defined]
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "0.8.0" if name == "vllm" else real_version(name),  # no chat-template import
    )
    monkeypatch.delitem(sys.modules, "lm_eval.models.vllm_causallms", raising=False)
    yield generated
    sys.modules.pop("lm_eval.models.vllm_causallms", None)


def test_vllm_gets_the_schema_as_structured_outputs_through_lm_evals_cache(
    fake_vllm: list[Any], tmp_path: Path
) -> None:
    """Through lm-eval's own ``generate_until`` behind its response cache (which hashes the
    generation arguments as JSON): a request with a schema reaches ``LLM.generate`` with
    ``structured_outputs`` holding it, one without gets none."""
    from lm_eval.api.instance import Instance
    from lm_eval.api.model import CachingLM

    class Tokenizer:
        eos_token_id = 0

        def decode(self, _ids: Any) -> str:
            return "</s>"

    class Output:
        def __init__(self) -> None:
            self.outputs = [types.SimpleNamespace(text="{}")]

    class Engine:
        def generate(self, prompts: list[Any], sampling_params: list[Any], **_: Any) -> list[Any]:
            fake_vllm.extend(sampling_params)
            return [Output() for _ in prompts]

    class Model(structured.vllm_class()):  # type: ignore[misc]
        def __init__(self) -> None:
            self.tokenizer, self.model = Tokenizer(), Engine()
            self.batch_size, self.data_parallel_size, self.lora_request = 1, 1, None
            self.think_end_token, self.truncation_side = None, "left"
            self._max_length, self._max_gen_toks = 2048, 64

        def tok_encode(self, strings: Any, **_: Any) -> Any:
            return [[1, 2, 3] for _ in strings] if isinstance(strings, (list, tuple)) else [1]

        @property
        def rank(self) -> int:
            return 0

        @property
        def max_length(self) -> int:
            return 2048

        @property
        def max_gen_toks(self) -> int:
            return 64

    requests = [
        Instance("generate_until", {}, (f"prompt {task}", {"until": ["\n"]}), 0, (task, 0, 1))
        for task in ("a", "b")
    ]
    cached = CachingLM(Model(), str(tmp_path / "cache.sqlite"))
    answers = cached.generate_until(structured.constrain(requests, {"a": {"type": "object"}}))
    assert answers == ["{}", "{}"]
    by_prompt = {params.structured_outputs is not None: params for params in fake_vllm}
    assert by_prompt[True].structured_outputs.json == {"type": "object"}
    assert not by_prompt[True].extra_args  # the marker is gone before vLLM sees it
    assert by_prompt[False].structured_outputs is None and not by_prompt[False].extra_args
