"""Local tokenizers: what lm-eval's ``tokenizer=`` gets for ``--tokenizer`` — a hub id, a folder,
or a Hugging Face tokenizer exported once from a GGUF file (``default``: the embedded model's) —
and the sha256 of that file, which the model's identity records.

Every backend takes ``--tokenizer`` (``models.Backend.resolve``); endpoints need one to measure
prompts before they are sent (``partages_bench.context``) and to score options. Its own module, so
that ``models`` and ``endpoints`` need not import each other for it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .default_model import default_gguf
from .errors import UserError


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tokenizer_cache() -> Path:
    """``$PARTAGES_BENCH_HOME/tokenizers`` or the user cache."""
    home = os.environ.get("PARTAGES_BENCH_HOME", "").strip()
    root = Path(home).expanduser() if home else Path.home() / ".cache" / "partages-bench"
    return root / "tokenizers"


def export_gguf_tokenizer(gguf: Path) -> tuple[Path, str]:
    """A Hugging Face tokenizer folder made from a GGUF file once (then reused, keyed by the
    file's sha256), so that ``local-completions`` needs no hub; and that sha256."""
    digest = _file_sha256(gguf)
    folder = tokenizer_cache() / digest[:16]
    if not (folder / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        except Exception as exc:  # any failure is the file's
            raise UserError(f"--tokenizer {gguf}: no tokenizer could be read ({exc})") from None
        staging = folder.with_name(f".{folder.name}.{os.getpid()}")
        tokenizer.save_pretrained(staging)
        if folder.exists():  # another process finished first
            shutil.rmtree(staging)
        else:
            staging.replace(folder)
    return folder, digest


def resolve_tokenizer(spec: str) -> tuple[str, str | None]:
    """What to pass as lm-eval's ``tokenizer=``, and the sha256 of the GGUF it came from:
    ``default`` (the embedded model's GGUF), a ``.gguf`` file, a folder, or a hub id."""
    path = default_gguf() if spec == "default" else Path(spec).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise UserError(f"--tokenizer {spec}: no such GGUF file")
        folder, digest = export_gguf_tokenizer(path)
        return str(folder), digest
    return (str(path) if path.exists() else spec), None
