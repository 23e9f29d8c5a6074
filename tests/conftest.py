"""Test settings: offline, and private caches so that nothing touches the user's home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The shared mirror sits beside the clone (../shared/data), in CI as on developers' machines.
SHARED_DATA = Path(os.environ.get("PARTAGES_BENCH_TEST_DATA", REPO_ROOT.parent / "shared" / "data"))

os.environ["PARTAGES_BENCH_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


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

    from partages_bench.models import DEFAULT_MODEL_FILE, default_model_dir

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
