"""Backends: our ``--model`` names mapped to lm-eval model types and arguments, and each
model's identity — what a run's answers belong to (its report, its response cache).

lm-eval copies ``model_args`` into its results verbatim; our report only ever stores them through
``redact``, which hides anything that looks like a secret, and API keys never enter them at all
(``partages_bench.endpoints``).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from . import structured
from .default_model import DEFAULT_MODEL_FILE, DEFAULT_MODEL_NAME, default_model_dir
from .errors import ModelArgsError, UserError
from .options import THROUGHPUT_ARGS, BackendOptions, flag
from .schema import ModelIdentity, RequestType
from .tokenizers import resolve_tokenizer

BACKENDS: dict[str, str] = {
    "default": "hf",
    "hf": "hf",
    "vllm": "vllm",
    "openai-completions": "local-completions",
    "openai-chat": "local-chat-completions",
    "replay": "replay",  # answers read from a file or given by a baseline (partages_bench.replay)
}
DEFAULT_HF_BATCH_SIZE = "8"
# "token" but not "tokenizer" / "tokenized_requests".
_SECRET_KEY = re.compile(r"key|secret|password|auth|header|cookie|token(?!i[sz])", re.IGNORECASE)
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


# transformers' ``from_pretrained`` arguments that lm-eval's hf model passes on (its ``**kwargs``)
# besides its own: loading, placement and quantisation. Any other key reaches the model class's
# constructor once the configuration is read, and fails there (TypeError).
FROM_PRETRAINED_ARGS = frozenset(
    {
        "attn_implementation",
        "device_map",
        "low_cpu_mem_usage",
        "torch_dtype",
        "use_safetensors",
        "variant",
        "cache_dir",
        "local_files_only",
        "force_download",
        "token",
        "max_memory",
        "offload_state_dict",
        "quantization_config",
        "load_in_8bit",
        "load_in_4bit",
        "bnb_4bit_quant_type",
        "bnb_4bit_compute_dtype",
        "bnb_4bit_use_double_quant",
    }
)
# A Hugging Face hub id: "name" or "namespace/name" (huggingface_hub's validate_repo_id).
_HUB_ID = re.compile(r"[\w.-]{1,96}(/[\w.-]{1,96})?")


@cache
def _hflm_arguments() -> frozenset[str]:
    """The named arguments of lm-eval's ``HFLM.__init__``, read from its source without
    importing it (that would import torch and transformers)."""
    spec = importlib.util.find_spec("lm_eval")
    if spec is None or spec.origin is None:
        return frozenset()
    source = Path(spec.origin).parent / "models" / "huggingface.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            names = {a.arg for a in [*node.args.args, *node.args.kwonlyargs]} - {"self"}
            if "pretrained" in names:
                return frozenset(names)
    return frozenset()


def check_hf_arguments(args: Mapping[str, str]) -> None:
    """Refuse, before any loading, a ``--model-args`` key that lm-eval's hf model does not take
    (its own arguments and transformers' loading ones)."""
    known = _hflm_arguments()
    if not known:
        return  # lm-eval's source is not where we expect: let lm-eval decide
    for key in args:
        if key not in known and key not in FROM_PRETRAINED_ARGS:
            raise ModelArgsError(
                f"--model-args: '{key}' is not an argument of lm-eval's hf model (HFLM) nor a "
                "loading argument of transformers' from_pretrained"
            )


def check_pretrained(args: Mapping[str, str]) -> None:
    """``pretrained=`` must be an existing file or folder, or a hub id — one in the Hugging Face
    cache when offline (``HF_HUB_OFFLINE``): said before the model is loaded, not after."""
    pretrained = args.get("pretrained", "")
    if Path(pretrained).expanduser().exists():
        return
    if pretrained.startswith(("/", ".", "~")) or not _HUB_ID.fullmatch(pretrained):
        raise ModelArgsError(
            f"--model-args pretrained={pretrained}: no such folder, and not a hub id "
            "(name or namespace/name)"
        )
    if ".." in pretrained or "--" in pretrained:
        raise ModelArgsError(f"--model-args pretrained={pretrained}: not a hub id")
    from huggingface_hub import is_offline_mode, try_to_load_from_cache

    if not is_offline_mode():
        return  # the hub answers when the model is loaded (a missing id: one error then)
    wanted = args.get("gguf_file") or "config.json"
    cached = try_to_load_from_cache(pretrained, wanted, revision=args.get("revision"))
    if not isinstance(cached, str):
        raise ModelArgsError(
            f"--model-args pretrained={pretrained}: offline (HF_HUB_OFFLINE) and not in the "
            f"Hugging Face cache ({wanted} not found): download it first or give its folder"
        )


def redact(args: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if _SECRET_KEY.search(k) else v) for k, v in args.items()}


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


ENDPOINTS = ("openai-completions", "openai-chat")
_ENDPOINT_PATHS = {"openai-completions": "/completions", "openai-chat": "/chat/completions"}
DEFAULT_MAX_RETRIES = 3
DEFAULT_TIMEOUT = 300


# Which backends each option applies to (the others refuse it: a silently ignored option would
# make a user believe a run used settings it did not).
_APPLIES_TO: dict[str, tuple[str, ...]] = {
    "base_url": ENDPOINTS,
    "api_key_env": ENDPOINTS,
    "concurrency": ENDPOINTS,
    "max_retries": ENDPOINTS,
    "timeout": ENDPOINTS,
    "extra_body": ENDPOINTS,
    "tokenizer": tuple(b for b in BACKENDS if b != "replay"),
    "max_length": tuple(b for b in BACKENDS if b != "replay"),
    "tensor_parallel_size": ("vllm",),
    "data_parallel_size": ("vllm",),
    "gpu_memory_utilization": ("vllm",),
    "structured_output": structured.BACKENDS,
}


def lm_eval_args(
    name: str, model_args: Mapping[str, str], options: BackendOptions
) -> dict[str, str]:
    """The lm-eval ``model_args`` of backend ``name``: ``--model-args`` plus our own options,
    mapped to each backend's argument names (no network, no file access)."""
    for option in options.given():
        if name not in _APPLIES_TO[option]:
            backends = ", ".join(_APPLIES_TO[option])
            raise ModelArgsError(f"{flag(option)} applies to --model {backends}, not {name}")
    ours: dict[str, str] = {}
    if options.tokenizer:
        ours["tokenizer"] = options.tokenizer  # resolved (a GGUF exported) by Backend.resolve
    if options.max_length:
        ours["max_model_len" if name == "vllm" else "max_length"] = str(options.max_length)
    if name == "vllm":
        for option in ("tensor_parallel_size", "data_parallel_size", "gpu_memory_utilization"):
            if getattr(options, option):
                ours[option] = str(getattr(options, option))
    if name in ENDPOINTS:
        if not options.base_url:
            raise ModelArgsError(f"--model {name} needs --base-url (the server's /v1 root)")
        from .endpoints import check_base_url

        retries = DEFAULT_MAX_RETRIES if options.max_retries is None else options.max_retries
        ours |= {
            "base_url": check_base_url(options.base_url) + _ENDPOINT_PATHS[name],
            "num_concurrent": str(options.concurrency or 1),
            "max_retries": str(retries + 1),  # lm-eval counts attempts, not retries
            "timeout": str(options.timeout or DEFAULT_TIMEOUT),
        }
    conflicts = ours.keys() & model_args.keys()
    lengths = {"max_length", "max_model_len"}  # vLLM refuses both
    if lengths & ours.keys():
        conflicts |= lengths & model_args.keys()
    if conflicts:
        raise ModelArgsError(
            f"{', '.join(sorted(conflicts))}: given both in --model-args and as an option"
        )
    return dict(model_args) | ours


def _served_model(name: str, args: dict[str, str], served: list[str]) -> str:
    """The model to ask for: ``--model-args model=``, else the one model the server serves."""
    wanted = args.get("model") or args.get("pretrained")
    if wanted:
        return wanted
    if len(served) == 1:
        return served[0]
    listed = ", ".join(served) or "none"
    raise ModelArgsError(
        f"--model {name}: the server serves {len(served)} models ({listed}); "
        "choose one with --model-args model=NAME"
    )


@dataclass
class Backend:
    """A resolved ``--model``: the lm-eval model type and its arguments, validated up front and,
    for an endpoint, checked against the live server before any task starts."""

    name: str
    args: dict[str, str] = field(default_factory=dict)
    api_key_env: str | None = None
    tokenizer_sha256: str | None = None
    tokenizer_source: str | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    structured_output: bool = False
    notes: list[str] = field(default_factory=list)
    # request type → why this backend cannot answer it
    unsupported: dict[RequestType, str] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        name: str,
        model_args: str = "",
        options: BackendOptions | None = None,
        needs_loglikelihood: bool = False,
    ) -> Backend:
        """Validate ``--model`` and its options; for an endpoint, also reach the server (one
        error naming the URL if it is down) and find what it can answer."""
        options = options or BackendOptions()
        if name not in BACKENDS:
            raise UserError(f"unknown backend '{name}'; choose one of: {', '.join(BACKENDS)}")
        args = parse_model_args(model_args)
        if name == "replay":
            return cls._replay(args, options)
        if name == "default":
            args = {
                "pretrained": str(default_model_dir()),
                "gguf_file": DEFAULT_MODEL_FILE,
                "device": "cpu",
            } | args
        elif name in ("hf", "vllm") and "pretrained" not in args:
            raise ModelArgsError(f"--model {name} needs --model-args pretrained=<hub id or folder>")
        if name in ("hf", "vllm"):
            check_pretrained(args)
        if BACKENDS[name] == "hf":
            check_hf_arguments(args)
        if name == "vllm":
            _check_vllm(options)
        backend = cls(name, lm_eval_args(name, args, options), options.api_key_env)
        if options.tokenizer:
            backend.args["tokenizer"], backend.tokenizer_sha256 = resolve_tokenizer(
                options.tokenizer
            )
            if backend.tokenizer_sha256 is not None:
                backend.tokenizer_source = options.tokenizer
        backend.structured_output = options.structured_output
        if name in ENDPOINTS:
            backend.extra_body = _extra_body(options.extra_body)
            if options.structured_output:
                structured.check_extra_body(backend.extra_body)
            backend._connect(options, needs_loglikelihood)
        return backend

    @classmethod
    def _replay(cls, args: dict[str, str], options: BackendOptions) -> Backend:
        from . import replay

        given = sorted(options.given())
        if given:
            raise UserError(f"{flag(given[0])}: does not apply to --model replay")
        replay.check_args(args)
        return cls("replay", args, unsupported=dict(replay.UNSUPPORTED))

    def _connect(self, options: BackendOptions, needs_loglikelihood: bool) -> None:
        """Reach the server, pick the served model and context length, choose the tokenizer
        backend, and record what the endpoint cannot do."""
        from . import endpoints

        key = endpoints.read_api_key(self.api_key_env)
        root = endpoints.check_base_url(options.base_url or "")
        server = endpoints.probe_server(root, key, float(self.args["timeout"]))
        model = _served_model(self.name, self.args, server.models)
        self.args.pop("pretrained", None)
        self.args["model"] = model
        if "max_length" not in self.args:
            if server.context_length:
                self.args["max_length"] = str(server.context_length)
                self.notes.append(
                    f"context length {server.context_length} tokens ({server.context_source})"
                )
            else:
                self.args["max_length"] = "2048"
                self.notes.append(
                    "context length 2048 tokens assumed: the server does not report it "
                    "(set --max-length to the server's context)"
                )
        if self.name == "openai-chat":
            self.unsupported["loglikelihood"] = "chat endpoints return no log-probabilities"
            if "tokenizer" in self.args:
                self.args |= {"tokenizer_backend": "huggingface", "tokenized_requests": "false"}
            return
        if "tokenizer" in self.args:
            self.args["tokenizer_backend"] = "huggingface"
            timeout = float(self.args["timeout"])
            if not endpoints.accepts_token_prompts(root, model, key, timeout):
                self.args["tokenized_requests"] = "false"
                self.notes.append("prompts sent as text: the server takes no token ids")
        else:
            from lm_eval.utils import check_remote_tokenizer_support

            remote = check_remote_tokenizer_support(self.args["base_url"], auth_token=key or None)
            self.args["tokenizer_backend"] = "remote" if remote else "none"
            if not remote:
                self.unsupported["loglikelihood"] = (
                    "a tokenizer is needed to score options: pass --tokenizer (hub id, folder or "
                    "GGUF file), or serve one (vLLM --enable-tokenizer-info-endpoint)"
                )
                self.notes.append("prompts not measured before sending: no tokenizer")
        if needs_loglikelihood and "loglikelihood" not in self.unsupported:
            timeout = float(self.args["timeout"])
            problem = endpoints.prompt_logprobs_problem(root, model, key, timeout)
            if problem is not None:
                self.unsupported["loglikelihood"] = f"{root}/completions: {problem}"

    @property
    def lm_eval_model(self) -> str:
        return BACKENDS[self.name]

    @property
    def default_batch_size(self) -> str | None:
        """lm-eval's default of 1 leaves CPU cores idle; 8 keeps two busy (and fits a GPU)."""
        return DEFAULT_HF_BATCH_SIZE if self.lm_eval_model == "hf" else None

    def load(self, batch_size: str | None) -> Any:
        """Build the lm-eval ``LM`` object (the expensive part: weights are loaded here)."""
        args = dict(self.args)
        if self.lm_eval_model == "hf" and "device" not in args:
            import torch

            args["device"] = "cuda" if torch.cuda.is_available() else "cpu"
        # Through the arg string so that lm-eval converts "8" or "true" to the right types.
        arg_string = ",".join(f"{key}={value}" for key, value in args.items())
        if self.name == "replay":
            from .replay import replay_model

            return replay_model(args)
        if self.name not in ENDPOINTS:
            from lm_eval.api.registry import get_model

            extra = {"batch_size": batch_size} if batch_size else {}
            model_type = (
                structured.vllm_class()
                if self.name == "vllm" and self.structured_output
                else get_model(self.lm_eval_model)
            )
            return model_type.create_from_arg_string(arg_string, extra)
        from . import endpoints

        model_class = (
            endpoints.completions_class()
            if self.name == "openai-completions"
            else endpoints.chat_class()
        )
        # One prompt per request (use --concurrency for throughput): an empty answer then
        # stands for exactly one prompt. The key stays out of the arguments.
        extra: dict[str, Any] = {
            "batch_size": 1,
            "api_key_env": self.api_key_env,
            "extra_body": self.extra_body,
        }
        if args.get("tokenizer_backend") == "remote":
            extra["auth_token"] = endpoints.read_api_key(self.api_key_env) or None
        try:
            return model_class.create_from_arg_string(arg_string, extra)
        except OSError as exc:
            raise UserError(
                f"--tokenizer {args.get('tokenizer')}: cannot be loaded ({exc})"
            ) from None

    def _recorded_args(self) -> dict[str, str]:
        """The arguments as the user gave them: a tokenizer exported from a GGUF file is named
        by that file (its sha256 is recorded), not by this machine's cache folder."""
        recorded = dict(self.args)
        if self.tokenizer_source is not None:
            recorded["tokenizer"] = self.tokenizer_source
        if self.extra_body:
            recorded["extra_body"] = json.dumps(self.extra_body, sort_keys=True)
        return recorded

    def identity(self, chat_template: bool = False) -> ModelIdentity:
        if self.name == "replay":
            from .replay import identity_fields

            replayed = identity_fields(self.args)
            return ModelIdentity(
                backend=self.name,
                lm_eval_model=self.lm_eval_model,
                name=replayed["name"],
                args=redact(replayed["args"]),
                weights_sha256=replayed.get("weights"),
                chat_template=chat_template,
            )
        weights = _local_weights(self.args)
        if self.name == "default":
            display = DEFAULT_MODEL_NAME
        else:
            display = self.args.get("pretrained") or self.args.get("model", "")
        return ModelIdentity(
            backend=self.name,
            lm_eval_model=self.lm_eval_model,
            name=display,
            args=redact(self._recorded_args()),
            weights_sha256=_sha256(weights),
            tokenizer_sha256=self.tokenizer_sha256,
            revision=self.args.get("revision"),
            chat_template=chat_template,
            structured_output=self.structured_output,
            notes=self.notes,
        )


def _extra_body(text: str | None) -> dict[str, Any]:
    """``--extra-body``: a JSON object merged into every request to the endpoint."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ModelArgsError(f"--extra-body: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ModelArgsError("--extra-body: must be a JSON object, e.g. '{\"top_k\": 1}'")
    return value


def _check_vllm(options: BackendOptions) -> None:
    if importlib.util.find_spec("vllm") is None:
        raise UserError("--model vllm needs vLLM: pip install 'partages-bench[vllm]'")
    if (options.data_parallel_size or 1) > 1 and importlib.util.find_spec("ray") is None:
        raise UserError(
            "--data-parallel-size above 1 needs Ray (lm-eval runs one vLLM replica per Ray "
            "actor): pip install 'partages-bench[vllm]'"
        )


def describe(identity: ModelIdentity) -> str:
    """The model as a person reads it: name, backend, the chat template and structured output
    when used."""
    chat = ", chat template" if identity.chat_template else ""
    constrained = ", structured output" if identity.structured_output else ""
    return f"{identity.name} ({identity.backend}{chat}{constrained})"


def identity_key(identity: ModelIdentity) -> str:
    """sha256 naming whose answers these are: backend, model, weights, chat template, structured
    output and every argument that can change an answer (not concurrency, retries, time-outs or
    batch size). The response cache and the leaderboard's rows are keyed by it, so two
    checkpoints, or a model with and without its chat template or ``--structured-output``, never
    share answers (lm-eval's keys alone hold only the prompt and generation settings). Without a
    chat template or structured output the key is the one reports had before those fields
    existed."""
    args = {k: v for k, v in identity.args.items() if k not in THROUGHPUT_ARGS}
    settings = ("chat_template", "structured_output")
    excluded = {"notes", "args"} | {name for name in settings if not getattr(identity, name)}
    content = identity.model_dump(exclude=excluded) | {"args": args}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
