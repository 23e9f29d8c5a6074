"""The harness against a real OpenAI-compatible server: llama-cpp-python's, serving the default
model on 127.0.0.1, behind a fault-injecting proxy that counts what reaches it. Not a mock."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from endpoint_servers import Fault, FaultProxy, LlamaServer, ProxyRecord
from helpers import assert_one_line_error, cli

pytestmark = pytest.mark.e2e

FAKE_KEY = "sk-partages-FAKE-7f3a9c2e1b5d"
KEY_ENV = {"PB_TEST_API_KEY": FAKE_KEY, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}


def run_endpoint(
    model: str, proxy: FaultProxy, output: Path, data: Path, *options: str, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """``partages-bench run`` through ``proxy``, the key given by variable name only."""
    return cli(
        "run",
        "--model",
        model,
        "--base-url",
        proxy.base_url,
        "--api-key-env",
        "PB_TEST_API_KEY",
        "--tokenizer",
        "default",
        "--data-dir",
        str(data),
        "--output",
        str(output),
        "--bootstrap",
        "100",
        *options,
        env=KEY_ENV,
        timeout=timeout,
    )


def generation_requests(proxy: FaultProxy) -> list[ProxyRecord]:
    """The task requests (not the pre-flight probe, whose prompt is token ids)."""
    return [
        r
        for r in proxy.records
        if r.method == "POST" and not (isinstance(r.prompt, list) and r.prompt[:1] == [[1, 2, 3]])
    ]


def report_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "report.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("model", ["openai-completions", "openai-chat"])
def test_one_task_of_each_family_and_the_key_is_never_written(
    model: str, fault_proxy: FaultProxy, shared_data: Path, tmp_path: Path
) -> None:
    output = tmp_path / "run"
    tasks = "frenchmedmcqa,e3c_fr,refomed,pseudo_detect_generated"
    options = ("--tasks", tasks, "--num-fewshot", "0", "--limit", "1")
    result = run_endpoint(model, fault_proxy, output, shared_data, *options)
    assert result.returncode == 0, result.stderr[-3000:]
    report = report_of(output)
    assert {t["family"] for t in report["tasks"].values()} == {
        "qa",
        "ner",
        "summarisation",
        "pseudonymisation",
    }
    for name, task in report["tasks"].items():
        assert task["skipped"] is None, (name, task["skipped"])
        assert task["n_samples"] >= 1
        assert task["context_check"].startswith("every prompt fits 2047 tokens"), name
    assert report["model"]["backend"] == model
    # The key went to the server in the header, and nowhere else.
    requests = generation_requests(fault_proxy)
    assert requests and all(r.authorization == f"Bearer {FAKE_KEY}" for r in requests)
    assert FAKE_KEY not in result.stdout + result.stderr
    for path in output.rglob("*"):
        if path.is_file():
            assert FAKE_KEY.encode() not in path.read_bytes(), path
    assert report["model"]["args"].get("api_key_env") is None
    assert json.loads((output / "run.json").read_text())["backend"]["api_key_env"] == (
        "PB_TEST_API_KEY"
    )


def test_log_likelihood_tasks_are_refused_before_any_request(
    fault_proxy: FaultProxy, shared_data: Path, tmp_path: Path
) -> None:
    """llama-cpp-python 0.3.36 echoes prompt log-probabilities one position off: scoring
    options with them would be silently wrong, so the task is refused, naming what to run."""
    result = run_endpoint(
        "openai-completions",
        fault_proxy,
        tmp_path / "r",
        shared_data,
        "--tasks",
        "frenchmedmcqa_ll",
    )
    assert_one_line_error(
        result, "frenchmedmcqa_ll needs loglikelihood", "misaligned", "run frenchmedmcqa instead"
    )
    chat = run_endpoint(
        "openai-chat", fault_proxy, tmp_path / "c", shared_data, "--tasks", "frenchmedmcqa_ll"
    )
    assert_one_line_error(chat, "chat endpoints return no log-probabilities", "frenchmedmcqa")
    assert not generation_requests(fault_proxy)[2:]  # only the two cross-check probes


class FaultPlan:
    """A rule for the proxy: the next task requests (retries included) get these faults, in
    order; ``None`` lets one through."""

    def __init__(self, *faults: Fault | None) -> None:
        self.faults = list(faults)
        self.faulted: list[tuple[Fault, Any]] = []

    def __call__(self, index: int, record: ProxyRecord) -> Fault | None:
        if isinstance(record.prompt, list) or not self.faults:
            return None
        fault = self.faults.pop(0)
        if fault is not None:
            self.faulted.append((fault, record.prompt))
        return fault


def test_server_errors_are_retried_and_unreadable_answers_scored_empty(
    fault_proxy: FaultProxy, shared_data: Path, tmp_path: Path
) -> None:
    plan = FaultPlan(
        *(Fault.http_status(500), Fault.http_status(429), None),  # 1st document: 3rd attempt
        *(Fault.drop(), None),  # 2nd: 2nd attempt
        Fault.delay(0.5),  # 3rd: slow but answered
        *[Fault.garbage()] * 3,  # 4th: malformed JSON at every attempt (1 + 2 retries)
        Fault.empty_choices(),  # 5th
        Fault.null_content(),  # 6th
    )
    fault_proxy.rule = plan
    output = tmp_path / "run"
    result = run_endpoint(
        "openai-completions",
        fault_proxy,
        output,
        shared_data,
        "--tasks",
        "frenchmedmcqa",
        "--num-fewshot",
        "0",
        "--limit",
        "6",
        "--max-retries",
        "2",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    task = report_of(output)["tasks"]["frenchmedmcqa"]
    assert task["n_samples"] == 6
    assert task["notes"] == [
        "3 endpoint answers could not be read (malformed JSON 1, no choice 1, null content 1): "
        "scored as empty output"
    ]
    samples = [json.loads(line) for line in (output / "samples/frenchmedmcqa.jsonl").open()]
    output_of = {s["prompt"]: s["output"] for s in samples}
    unreadable = {
        kind: prompt
        for fault, prompt in plan.faulted
        if (kind := fault.kind)
        in (
            "garbage",
            "empty_choices",
            "null_content",
        )
    }
    assert all(output_of[prompt] == "" for prompt in unreadable.values())
    # A request hit by 500, 429, a dropped connection or a delay was retried until answered.
    answered = {r.prompt for r in fault_proxy.forwarded if r.fault is None}
    retried = [prompt for fault, prompt in plan.faulted if fault.kind in ("status", "drop")]
    assert retried and all(prompt in answered for prompt in retried)
    assert task["metrics"]["unparsable_rate"]["value"] >= 3 / 6


def test_a_server_killed_mid_run_resumes_to_the_same_report_without_resending(
    fault_proxy: FaultProxy, llama_server: LlamaServer, shared_data: Path, tmp_path: Path
) -> None:
    options = ("--tasks", "frenchmedmcqa,refomed", "--num-fewshot", "0", "--limit", "3")
    options += ("--max-retries", "1")
    interrupted = tmp_path / "interrupted"

    def kill_at_the_fifth_request(index: int, record: ProxyRecord) -> None:
        if len([r for r in generation_requests(fault_proxy) if r.fault is None]) == 5:
            llama_server.kill()  # the fourth task request is the 2nd refomed document

    fault_proxy.rule = kill_at_the_fifth_request
    first = run_endpoint("openai-completions", fault_proxy, interrupted, shared_data, *options)
    assert first.returncode == 3, first.stderr[-3000:]
    (message,) = [line for line in first.stderr.splitlines() if line.startswith("error:")]
    assert message.startswith("error: task refomed: the endpoint stopped answering")
    assert message.endswith(f"continue with: partages-bench run --resume {interrupted}")
    before = report_of(interrupted)
    assert before["tasks"]["frenchmedmcqa"]["skipped"] is None
    assert before["tasks"]["refomed"]["skipped"].startswith("failed: HTTPError: 502")
    answered_before = {json.dumps(r.prompt) for r in fault_proxy.forwarded if r.method == "POST"}

    llama_server.start()
    fault_proxy.reset()
    resumed = cli("run", "--resume", str(interrupted), env=KEY_ENV, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    sent_after = [json.dumps(r.prompt) for r in generation_requests(fault_proxy)]
    assert len(sent_after) == 2  # refomed's 2nd and 3rd documents, nothing else
    assert not answered_before & set(sent_after)

    fault_proxy.reset()
    uninterrupted = tmp_path / "uninterrupted"
    straight = run_endpoint("openai-completions", fault_proxy, uninterrupted, shared_data, *options)
    assert straight.returncode == 0, straight.stderr[-3000:]
    after, reference = report_of(interrupted), report_of(uninterrupted)
    assert after["provenance"]["resumed_at"]
    for report in (after, reference):
        report.pop("provenance")
    assert after == reference
    for name in ("frenchmedmcqa", "refomed"):
        path = Path("samples") / f"{name}.jsonl"
        assert (interrupted / path).read_text() == (uninterrupted / path).read_text()


GREEDY = '{"repeat_penalty": 1.0}'  # llama-cpp-python penalises repeats (1.1) even at temperature 0
AGREEMENT_ITEMS = 8


def test_completions_and_hf_agree_on_the_same_items(
    llama_server: LlamaServer, default_gguf: Path, shared_data: Path, tmp_path: Path
) -> None:
    """The default model through llama.cpp (Q4_1 kernels) and through transformers (weights
    dequantised to fp32) on the same prompts.

    Measured with benchmarks/endpoint_throughput.py on 16 items: the generated token's
    log-probability differs by at most 0.062 nats (mean 0.025); the greedy token agrees 15/16
    (the miss is a near-tie, 0.033 nats apart in transformers); whole answers are identical 14/16.
    Tolerances: 0.15 nats (2.4x the largest difference seen), and 6 of 8 identical answers —
    a near-tie can flip one token, and an answer diverges from there.
    """
    import requests
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    common = ("--tasks", "frenchmedmcqa", "--limit", str(AGREEMENT_ITEMS), "--bootstrap", "100")
    common += ("--data-dir", str(shared_data))
    hf = cli("run", "--model", "default", *common, "--output", str(tmp_path / "hf"), timeout=900)
    assert hf.returncode == 0, hf.stderr[-3000:]
    api = cli(
        "run",
        "--model",
        "openai-completions",
        "--base-url",
        llama_server.base_url,
        "--tokenizer",
        "default",
        "--extra-body",
        GREEDY,
        *common,
        "--output",
        str(tmp_path / "api"),
        env=KEY_ENV,
        timeout=900,
    )
    assert api.returncode == 0, api.stderr[-3000:]
    samples = {
        name: [
            json.loads(line) for line in (tmp_path / name / "samples/frenchmedmcqa.jsonl").open()
        ]
        for name in ("hf", "api")
    }
    pairs = list(zip(samples["hf"], samples["api"], strict=True))
    assert all(a["doc_id"] == b["doc_id"] and a["prompt"] == b["prompt"] for a, b in pairs)
    assert sum(a["output"] == b["output"] for a, b in pairs) >= 6

    folder = default_gguf.parent
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=default_gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=default_gguf.name, dtype=torch.float32
    )
    differences = []
    for sample in samples["hf"][:4]:
        payload = {"prompt": sample["prompt"], "max_tokens": 1, "temperature": 0, "logprobs": 1}
        answer = requests.post(
            f"{llama_server.base_url}/completions", json=payload | json.loads(GREEDY), timeout=300
        ).json()["choices"][0]
        token, served = answer["logprobs"]["tokens"][0], answer["logprobs"]["token_logprobs"][0]
        ids = tokenizer(sample["prompt"], add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            logprobs = model(ids).logits[0, -1].log_softmax(-1)
        (token_id,) = tokenizer(token, add_special_tokens=False).input_ids
        differences.append(abs(logprobs[token_id].item() - served))
    assert max(differences) <= 0.15, differences
