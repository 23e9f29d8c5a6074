"""The fault-injecting proxy does to a plain HTTP client exactly what each fault promises, and the
real llama-cpp-python server behaves as the API-backend tests assume (echo logprobs, chat,
restart on the same port). Most tests use a tiny in-process fake upstream, so they take
milliseconds; one uses the real server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from endpoint_servers import Fault, FaultProxy, LlamaServer, ProxyRecord

TIMEOUT = 60  # seconds; the real server shares the CPU with whatever else runs


class FakeUpstream:
    """A stdlib OpenAI look-alike that answers at once and remembers what reached it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, payload: dict[str, Any], status: int = 200) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                upstream.received.append({"method": "GET", "path": self.path})
                self._answer({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                seen = {
                    "method": "POST",
                    "path": self.path,
                    "body": json.loads(raw),
                    "authorization": self.headers.get("Authorization"),
                }
                upstream.received.append(seen)
                if seen["body"].get("prompt") == "trop long":
                    self._answer({"error": {"code": "context_length_exceeded"}}, status=400)
                    return
                if self.path.endswith("/chat/completions"):
                    choice = {"index": 0, "message": {"role": "assistant", "content": "bonjour"}}
                else:
                    choice = {"index": 0, "text": "bonjour", "finish_reason": "length"}
                self._answer({"object": "text_completion", "choices": [choice], "seen": seen})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.root_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_system_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    yield fake
    fake.close()


@pytest.fixture
def proxy(upstream: FakeUpstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.root_url) as fault_proxy:
        yield fault_proxy


def complete(proxy: FaultProxy, prompt: str = "Bonjour", **headers: str) -> requests.Response:
    payload = {"model": "m", "prompt": prompt, "max_tokens": 1}
    return requests.post(
        f"{proxy.base_url}/completions", json=payload, headers=headers, timeout=TIMEOUT
    )


def test_forwarding_keeps_body_and_authorization_and_counts_forwarded(
    proxy: FaultProxy, upstream: FakeUpstream
) -> None:
    payload = {"model": "m", "prompt": "La patiente présente", "max_tokens": 3, "logprobs": 1}
    response = requests.post(
        f"{proxy.base_url}/completions",
        json=payload,
        headers={"Authorization": "Bearer sk-test-123"},
        timeout=TIMEOUT,
    )
    models = requests.get(f"{proxy.base_url}/models", timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.json()["choices"][0]["text"] == "bonjour"
    assert models.json()["data"][0]["id"] == "fake-model"
    assert upstream.received[0] == {
        "method": "POST",
        "path": "/v1/completions",
        "body": payload,
        "authorization": "Bearer sk-test-123",
    }
    assert upstream.received[1] == {"method": "GET", "path": "/v1/models"}
    post, get = proxy.records
    assert post == ProxyRecord(
        "POST", "/v1/completions", payload, "Bearer sk-test-123", index=0, upstream_status=200
    )
    assert get == ProxyRecord("GET", "/v1/models", None, None, upstream_status=200)
    assert proxy.forwarded == [post, get]
    assert proxy.forwarded_prompts == ["La patiente présente"]


def test_upstream_errors_are_relayed_unchanged_and_not_counted_forwarded(
    proxy: FaultProxy, upstream: FakeUpstream
) -> None:
    response = complete(proxy, "trop long")

    assert response.status_code == 400
    assert response.json() == {"error": {"code": "context_length_exceeded"}}
    assert len(upstream.received) == 1
    assert proxy.records[0].upstream_status == 400
    assert proxy.forwarded == []


def test_chat_messages_are_the_prompt_of_a_chat_request(proxy: FaultProxy) -> None:
    messages = [{"role": "user", "content": "Quel est le diagnostic ?"}]
    response = requests.post(
        f"{proxy.base_url}/chat/completions",
        json={"model": "m", "messages": messages},
        timeout=TIMEOUT,
    )

    assert response.json()["choices"][0]["message"]["content"] == "bonjour"
    assert proxy.forwarded_prompts == [messages]


def test_drop_closes_the_connection_without_answer(
    proxy: FaultProxy, upstream: FakeUpstream
) -> None:
    proxy.fail_next(Fault.drop())

    with pytest.raises(requests.ConnectionError):
        complete(proxy, "perdu")
    after = complete(proxy, "retrouvé")

    assert after.status_code == 200  # the queued fault was used up
    assert [r["body"]["prompt"] for r in upstream.received] == ["retrouvé"]
    dropped = proxy.records[0]
    assert (dropped.fault, dropped.upstream_status) == (Fault.drop(), None)
    assert proxy.forwarded_prompts == ["retrouvé"]


@pytest.mark.parametrize("code", [500, 429, 503])
def test_status_fault_answers_that_code_without_forwarding(
    proxy: FaultProxy, upstream: FakeUpstream, code: int
) -> None:
    proxy.fail_next(Fault.http_status(code))

    response = complete(proxy)

    assert response.status_code == code
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert upstream.received == []
    assert proxy.forwarded == []
    assert proxy.records[0].fault == Fault("status", code=code)


def test_garbage_is_a_200_whose_json_does_not_parse(
    proxy: FaultProxy, upstream: FakeUpstream
) -> None:
    proxy.fail_next(Fault.garbage())

    response = complete(proxy)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(requests.exceptions.JSONDecodeError):
        response.json()
    assert upstream.received == []


def test_empty_choices_forwards_then_empties_the_choices(
    proxy: FaultProxy, upstream: FakeUpstream
) -> None:
    proxy.fail_next(Fault.empty_choices())

    answer = complete(proxy, "vide").json()

    assert answer["choices"] == []
    assert answer["seen"]["body"]["prompt"] == "vide"  # the rest of the answer is intact
    assert len(upstream.received) == 1
    assert proxy.records[0].upstream_status == 200


def test_null_content_nulls_completion_text_and_chat_content(proxy: FaultProxy) -> None:
    proxy.fail_next(Fault.null_content(), times=2)

    completion = complete(proxy).json()
    chat = requests.post(
        f"{proxy.base_url}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "Bonjour"}]},
        timeout=TIMEOUT,
    ).json()

    assert completion["choices"][0]["text"] is None
    assert completion["choices"][0]["finish_reason"] == "length"
    assert chat["choices"][0]["message"] == {"role": "assistant", "content": None}
    assert len(proxy.forwarded) == 2


def test_delay_waits_then_forwards(proxy: FaultProxy, upstream: FakeUpstream) -> None:
    proxy.fail_next(Fault.delay(0.3))

    began = time.monotonic()
    response = complete(proxy)
    elapsed = time.monotonic() - began

    assert elapsed >= 0.3
    assert response.json()["choices"][0]["text"] == "bonjour"
    assert len(upstream.received) == 1


def test_concurrent_requests_are_served_in_parallel(proxy: FaultProxy) -> None:
    # A client with several workers must not be serialised by the proxy itself.
    proxy.rule = lambda index, record: Fault.delay(0.5)

    began = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda n: complete(proxy, f"p{n}"), range(4)))
    elapsed = time.monotonic() - began

    assert [r.status_code for r in responses] == [200] * 4
    assert elapsed < 1.5  # 4 × 0.5 s one after the other would be 2 s
    assert sorted(proxy.forwarded_prompts) == ["p0", "p1", "p2", "p3"]


def test_rule_sees_the_post_index_and_gets_are_not_counted(proxy: FaultProxy) -> None:
    seen: list[tuple[int, str]] = []

    def every_other(index: int, record: ProxyRecord) -> Fault | None:
        seen.append((index, record.prompt))
        return Fault.http_status(500) if index % 2 == 0 else None

    proxy.rule = every_other
    codes = []
    for n in range(4):
        codes.append(complete(proxy, f"p{n}").status_code)
        requests.get(f"{proxy.base_url}/models", timeout=TIMEOUT)

    assert codes == [500, 200, 500, 200]
    assert seen == [(0, "p0"), (1, "p1"), (2, "p2"), (3, "p3")]
    assert proxy.forwarded_prompts == ["p1", "p3"]
    assert len(proxy.records) == 8


def test_queued_faults_come_before_the_rule_and_rule_changes_apply_at_once(
    proxy: FaultProxy,
) -> None:
    proxy.rule = lambda index, record: Fault.http_status(429)
    proxy.fail_next(Fault.http_status(500), times=2)

    first = [complete(proxy).status_code for _ in range(3)]
    proxy.rule = None
    second = complete(proxy).status_code
    proxy.reset()
    proxy.fail_next(Fault.garbage())
    third = complete(proxy)

    assert first == [500, 500, 429]
    assert second == 200
    assert third.text.startswith("<html>")
    assert [r.index for r in proxy.records] == [0]  # reset forgot the records and the count


def test_unreachable_upstream_gives_502(proxy: FaultProxy, upstream: FakeUpstream) -> None:
    assert complete(proxy).status_code == 200
    upstream.close()

    response = complete(proxy, "personne")
    models = requests.get(f"{proxy.base_url}/models", timeout=TIMEOUT)

    assert response.status_code == 502
    assert response.json()["error"]["type"] == "bad_gateway"
    assert models.status_code == 502
    assert proxy.records[-2].upstream_status is None
    assert proxy.forwarded_prompts == ["Bonjour"]


def test_real_llama_server_through_the_proxy(
    llama_server: LlamaServer, fault_proxy: FaultProxy, default_gguf: Path
) -> None:
    base = fault_proxy.base_url
    prompt = "Le patient présente une fièvre"
    scoring = {"prompt": prompt, "echo": True, "logprobs": 1, "max_tokens": 1, "temperature": 0}
    messages = [{"role": "user", "content": "What is the capital of France?"}]

    models = requests.get(f"{base}/models", timeout=TIMEOUT).json()
    completion = requests.post(f"{base}/completions", json=scoring, timeout=TIMEOUT).json()
    chat = requests.post(
        f"{base}/chat/completions",
        json={"messages": messages, "max_tokens": 8, "temperature": 0},
        timeout=TIMEOUT,
    ).json()

    assert models["data"][0]["id"] == str(default_gguf)
    choice = completion["choices"][0]
    logprobs = choice["logprobs"]
    prompt_tokens = completion["usage"]["prompt_tokens"]
    assert prompt_tokens >= 5
    assert choice["text"].startswith(prompt)  # echo: the prompt, then the generated token
    # One entry per prompt token, none for the generated one; the first has no context: null.
    assert len(logprobs["token_logprobs"]) == prompt_tokens
    assert "".join(logprobs["tokens"]) == prompt
    assert logprobs["token_logprobs"][0] is None
    assert all(isinstance(value, float) for value in logprobs["token_logprobs"][1:])
    # llama-cpp-python takes entry i from the logits AFTER token i (abetlen/llama-cpp-python
    # #1983), so the last top_logprobs is the distribution of the next token: the greedy one.
    last_top = logprobs["top_logprobs"][-1]
    assert choice["text"] == prompt + max(last_top, key=last_top.__getitem__)
    assert chat["choices"][0]["message"]["content"].strip()
    assert fault_proxy.forwarded_prompts == [prompt, messages]

    port = llama_server.port
    llama_server.kill()
    down = requests.post(f"{base}/completions", json=scoring, timeout=TIMEOUT)
    llama_server.start()
    again = requests.post(f"{base}/completions", json=scoring, timeout=TIMEOUT).json()

    assert down.status_code == 502
    assert llama_server.port == port
    assert again["choices"][0]["text"] == choice["text"]  # greedy: same answer after a restart
    assert again["choices"][0]["logprobs"] == logprobs
