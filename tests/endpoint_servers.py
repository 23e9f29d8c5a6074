"""A real OpenAI-compatible server and a fault-injecting proxy, for tests of API backends.

``LlamaServer`` runs llama-cpp-python's server on a GGUF file, so that requests go through a real
HTTP stack and a real tokenizer; ``FaultProxy`` sits in front of any such server and makes the
failures of production endpoints (dropped connections, 5xx, 429, slow answers, malformed JSON,
empty or null choices, a dead upstream) happen on demand, and records what the client sent.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

HOST = "127.0.0.1"

# Headers that describe one hop (RFC 9110 §7.6.1), never relayed; the proxy sets its own.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        # Asking for identity encoding keeps answers editable (empty_choices, null_content).
        "accept-encoding",
        "content-encoding",
    }
)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the kernel picks it, so parallel runs do not clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server on a GGUF file, as a subprocess.

    A subprocess rather than in-process uvicorn so that ``kill()`` is a real crash (SIGKILL) and
    ``start()`` a real restart on the same port. Seed, thread count and context size are fixed so
    that greedy answers are reproducible.
    """

    def __init__(
        self,
        model: Path | str,
        log_dir: Path | str,
        *,
        n_ctx: int = 2048,
        port: int | None = None,
        seed: int = 1234,
        n_threads: int = 2,
        startup_timeout: float = 90.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.model = Path(model)
        self.n_ctx = n_ctx
        self.seed = seed
        self.n_threads = n_threads
        self.startup_timeout = startup_timeout
        self.extra_args = list(extra_args)
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.log_dir / "llama-server.log"
        self._port = port if port is not None else free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None
        """Seconds from launch to the first 200 of ``/v1/models``, for the last ``start()``."""

    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``: the upstream to give a ``FaultProxy``."""
        return f"http://{HOST}:{self._port}"

    @property
    def base_url(self) -> str:
        """The OpenAI API root, ``http://127.0.0.1:PORT/v1``."""
        return f"{self.root_url}/v1"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model),
            "--logits_all",
            "true",
            "--host",
            HOST,
            "--port",
            str(self._port),
            "--n_ctx",
            str(self.n_ctx),
            "--seed",
            str(self.seed),
            "--n_threads",
            str(self.n_threads),
            "--n_threads_batch",
            str(self.n_threads),
            *self.extra_args,
        ]

    def start(self) -> None:
        """Launch the server (again on the same port) and wait until it answers."""
        if self.running:
            raise RuntimeError(f"llama server already running (pid {self.pid})")
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"\n=== start: {' '.join(self.command())}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = began + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                raise RuntimeError(
                    f"llama server exited with code {code} while starting; log "
                    f"{self.log_path}:\n{_tail(self.log_path)}"
                )
            if self._models_status() == 200:
                self.startup_seconds = time.monotonic() - began
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(
            f"llama server not ready after {self.startup_timeout:.0f} s; log "
            f"{self.log_path}:\n{_tail(self.log_path)}"
        )

    def _models_status(self) -> int | None:
        # http.client, not requests: no environment proxy can intercept the health check.
        connection = http.client.HTTPConnection(HOST, self._port, timeout=2)
        try:
            connection.request("GET", "/v1/models")
            response = connection.getresponse()
            response.read()
            return response.status
        except OSError:
            return None
        finally:
            connection.close()

    def kill(self) -> None:
        """SIGKILL, like a crash (no graceful shutdown), and wait for the process to be gone."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
        if self._process is not None:
            self._process.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate gracefully; SIGKILL if it does not exit within ``timeout`` seconds."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


FaultKind = Literal["drop", "delay", "status", "garbage", "empty_choices", "null_content"]


@dataclass(frozen=True)
class Fault:
    """One injected failure. Build with the class methods, e.g. ``Fault.http_status(429)``.

    ``drop``: close the connection with no response. ``delay``: wait ``seconds``, then forward.
    ``status``: answer ``code`` with a JSON error, not forwarded. ``garbage``: 200 with a body that
    is not JSON, not forwarded. ``empty_choices`` / ``null_content``: forward, then empty the
    ``choices`` / null every choice's ``text`` and ``message.content``.
    """

    kind: FaultKind
    seconds: float = 0.0
    code: int = 500

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls("delay", seconds=seconds)

    @classmethod
    def http_status(cls, code: int) -> Fault:
        return cls("status", code=code)

    @classmethod
    def garbage(cls) -> Fault:
        return cls("garbage")

    @classmethod
    def empty_choices(cls) -> Fault:
        return cls("empty_choices")

    @classmethod
    def null_content(cls) -> Fault:
        return cls("null_content")


@dataclass
class ProxyRecord:
    """One request the proxy received, and what became of it."""

    method: str
    path: str
    body: Any
    """The parsed JSON body, or None (no body, or not JSON)."""
    authorization: str | None
    index: int | None = None
    """0-based rank among the POST requests received; None for other methods."""
    fault: Fault | None = None
    upstream_status: int | None = None
    """The upstream's HTTP status; None if not forwarded or the upstream failed."""

    @property
    def prompt(self) -> Any:
        """The ``prompt`` (completions) or ``messages`` (chat) of a JSON body, else None."""
        if not isinstance(self.body, dict):
            return None
        return self.body.get("prompt", self.body.get("messages"))


Rule = Callable[[int, ProxyRecord], Fault | None]


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    records: list[ProxyRecord] = field(default_factory=list)
    queue: deque[Fault] = field(default_factory=deque)
    posts: int = 0


class FaultProxy:
    """A threaded reverse proxy that forwards to ``upstream`` and injects faults on demand.

    Faults apply to POST requests only (GETs such as ``/v1/models`` are always forwarded): first
    those queued by ``fail_next``, else whatever ``rule(index, record)`` returns, where ``index``
    counts POSTs from 0. Both can be changed from the test thread at any time. When the upstream
    cannot be reached the proxy answers 502, as a load balancer would.

    Connections are HTTP/1.0 (one request each), so a dropped connection is never mistaken for a
    stale keep-alive one that a client would silently retry.
    """

    def __init__(self, upstream: str, *, upstream_timeout: float = 600.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"upstream must be http://HOST:PORT, not {upstream!r}")
        self.upstream = upstream
        self.upstream_timeout = upstream_timeout
        self._upstream_host = parts.hostname
        self._upstream_port = parts.port or 80
        self._upstream_prefix = parts.path.rstrip("/")
        self.rule: Rule | None = None
        self._state = _State()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fault-proxy", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The proxy's OpenAI API root, ``http://127.0.0.1:PORT/v1``."""
        return f"http://{HOST}:{self.port}/v1"

    @property
    def records(self) -> list[ProxyRecord]:
        """A snapshot of every request received so far, in order of arrival."""
        with self._state.lock:
            return list(self._state.records)

    @property
    def forwarded(self) -> list[ProxyRecord]:
        """Requests that reached the upstream and got a 2xx answer."""
        return [r for r in self.records if r.upstream_status and 200 <= r.upstream_status < 300]

    @property
    def forwarded_prompts(self) -> list[Any]:
        """``prompt`` or ``messages`` of each forwarded POST, in order."""
        return [r.prompt for r in self.forwarded if r.method == "POST"]

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Apply ``fault`` to the next ``times`` POST requests (before ``rule`` is consulted)."""
        with self._state.lock:
            self._state.queue.extend([fault] * times)

    def reset(self) -> None:
        """Forget the rule, the queued faults and the records; POST indices restart at 0."""
        with self._state.lock:
            self.rule = None
            self._state.queue.clear()
            self._state.records.clear()
            self._state.posts = 0

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- request handling (runs on the server's threads) --

    def _admit(self, method: str, path: str, raw: bytes, authorization: str | None) -> ProxyRecord:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = ProxyRecord(method, path, body, authorization)
        with self._state.lock:
            self._state.records.append(record)
            if method != "POST":
                return record
            record.index = self._state.posts
            self._state.posts += 1
            queued = self._state.queue.popleft() if self._state.queue else None
            rule = self.rule
        # The rule runs outside the lock: it may itself read proxy.records.
        if queued is not None:
            record.fault = queued
        elif rule is not None:
            record.fault = rule(record.index, record)
        return record

    def _forward(
        self, method: str, path: str, raw: bytes, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(
            self._upstream_host, self._upstream_port, timeout=self.upstream_timeout
        )
        try:
            sent = dict(headers)
            if raw or method == "POST":
                sent["Content-Length"] = str(len(raw))
            connection.request(method, self._upstream_prefix + path, body=raw or None, headers=sent)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "FaultProxy/1"

            def log_message(self, format: str, *args: Any) -> None:
                """Silent: pytest output is for test results."""

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline().strip():
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _reply(
                self, status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()
            ) -> None:
                self.send_response(status)
                names = set()
                for name, value in headers:
                    # send_response already wrote this proxy's own Server and Date.
                    if name.lower() not in _HOP_BY_HOP | {"server", "date"}:
                        self.send_header(name, value)
                        names.add(name.lower())
                if "content-type" not in names:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, message: str, kind: str) -> None:
                body = {"error": {"message": message, "type": kind, "code": status}}
                self._reply(status, json.dumps(body).encode())

            def _handle(self, method: str) -> None:
                raw = self._read_body()
                record = proxy._admit(method, self.path, raw, self.headers.get("Authorization"))
                fault = record.fault
                if fault is not None and fault.kind == "drop":
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None and fault.kind == "status":
                    self._error(fault.code, f"injected fault: HTTP {fault.code}", "fault_proxy")
                    return
                if fault is not None and fault.kind == "garbage":
                    self._reply(200, b"<html>this is not JSON {", [])
                    return
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.seconds)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                try:
                    status, upstream_headers, body = proxy._forward(method, self.path, raw, headers)
                except (OSError, http.client.HTTPException) as error:
                    self._error(502, f"upstream unreachable: {error!r}", "bad_gateway")
                    return
                record.upstream_status = status
                if fault is not None and fault.kind in ("empty_choices", "null_content"):
                    body = _alter(body, fault.kind)
                self._reply(status, body, upstream_headers)

        return Handler


def _alter(body: bytes, kind: str) -> bytes:
    """The answer with its choices emptied or their text nulled; unchanged if not such JSON."""
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
        return body
    if kind == "empty_choices":
        answer["choices"] = []
    else:
        for choice in answer["choices"]:
            if not isinstance(choice, dict):
                continue
            if "text" in choice:
                choice["text"] = None
            if isinstance(choice.get("message"), dict):
                choice["message"]["content"] = None
            if isinstance(choice.get("delta"), dict):
                choice["delta"]["content"] = None
    return json.dumps(answer).encode()


__all__ = ["Fault", "FaultProxy", "LlamaServer", "ProxyRecord", "free_port"]
