"""Download a dataset's pinned files, verifying every sha256 before a file is put in place.

A file pinned by revision only has no sha256 to verify on its first download: what was received
is recorded in the folder's ``SHA256SUMS`` (trust on first use), and from then on that record is
checked like a pin, by later pulls and by every load.

By default files come from GitHub at the pinned commit; an institution can instead host an HTTP
mirror laid out like the shared data folder (``<base>/<dataset>/<path>``) and point ``--base-url``
or ``$PARTAGES_BENCH_MIRROR_URL`` at it. ``urllib`` is enough: no extra dependency.

A hub snapshot (PARHAF) is downloaded whole by ``huggingface_hub.snapshot_download`` at its
pinned revision (from the hub, or the endpoint in ``$HF_ENDPOINT``; not from an HTTP mirror,
which cannot list the repository), with the token in ``$HF_TOKEN`` when the dataset is gated:
the token goes to the library only, never into a file or a message. The sha256 of every file
received is recorded in ``SHA256SUMS``, and a folder that already matches its record is left as
it is (nothing downloaded).
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.parse
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from partages_bench.data.catalog import Archive, DatasetSpec, SourceFile, get_dataset
from partages_bench.data.snapshot import CARD, snapshot_sha256s
from partages_bench.data.store import (
    Readable,
    atomic_path,
    checksum_error,
    default_pull_dir,
    expected_sha256,
    hash_stream,
    recorded_checksums,
    write_checksums,
)
from partages_bench.errors import DataPullError, UserError

GITHUB_RAW = "https://raw.githubusercontent.com"
MIRROR_ENV = "PARTAGES_BENCH_MIRROR_URL"
OFFLINE_ENV = "PARTAGES_BENCH_OFFLINE"

Progress = Callable[[int, int], None]
# No declared file comes near this (the largest is a few MB): a download past it is refused, so
# that a broken or hostile mirror streaming forever cannot fill the disk.
MAX_FILE_BYTES = 1 << 30


# The values $PARTAGES_BENCH_OFFLINE takes (lower case, stripped): offline (True) or not.
_OFFLINE_WORDS = dict.fromkeys(("", "0", "false", "no", "off"), False) | dict.fromkeys(
    ("1", "true", "yes", "on"), True
)


def is_offline() -> bool:
    """Whether ``$PARTAGES_BENCH_OFFLINE`` forbids any download (air-gapped or reproducible
    runs): the one reader of the variable, for ``data pull``, ``run`` and BERTScore alike.

    Unset, empty, ``0``, ``false``, ``no`` or ``off`` allow downloads; ``1``, ``true``, ``yes`` or
    ``on`` forbid them (any case, spaces around ignored). Any other value is refused rather than
    guessed: read one way it would download what the user meant to forbid."""
    value = os.environ.get(OFFLINE_ENV, "")
    word = value.strip().lower()
    if word not in _OFFLINE_WORDS:
        raise UserError(
            f"${OFFLINE_ENV}: {value!r} is not a yes or no; set it to 1, true, yes or on to forbid "
            "downloads, or 0, false, no or off (or unset it) to allow them"
        )
    return _OFFLINE_WORDS[word]


def github_url(repository: str, commit: str, path: str) -> str:
    """Raw URL of a file pinned at a commit."""
    return f"{GITHUB_RAW}/{repository}/{commit}/{urllib.parse.quote(path)}"


def _source_url(spec: DatasetSpec, source: SourceFile) -> str:
    if source.url is not None:
        return source.url
    assert source.remote_path is not None  # guaranteed by SourceFile.__post_init__
    return github_url(spec.repository, source.commit or spec.commit, source.remote_path)


def _mirror_url(mirror: str, spec: DatasetSpec, source: SourceFile) -> str:
    """A mirror is laid out like the shared data folder, archives already extracted."""
    return f"{mirror}/{urllib.parse.quote(spec.name)}/{urllib.parse.quote(source.local_path)}"


def _has_file(path: Path, sha256: str | None) -> bool:
    """Whether ``path`` holds the expected bytes; a file with nothing to check against is
    fetched again, so that what gets recorded comes from the source."""
    if sha256 is None or not path.is_file():
        return False
    with path.open("rb") as stream:
        return hash_stream(stream) == sha256


def _reason(error: Exception) -> str:
    if not isinstance(error, OSError):  # http.client.HTTPException: something else answered
        return f"not an HTTP answer ({type(error).__name__}: {str(error).strip()!r})"
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def _too_large(what: str) -> DataPullError:
    return DataPullError(
        f"cannot download {what}: larger than {MAX_FILE_BYTES} bytes, more than any declared "
        "file; nothing was kept"
    )


class _Capped:
    """A stream that refuses to give more than ``MAX_FILE_BYTES`` (a mirror streaming forever)."""

    def __init__(self, stream: Readable, what: str) -> None:
        self.stream, self.what, self.received = stream, what, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.received += len(chunk)
        if self.received > MAX_FILE_BYTES:
            raise _too_large(self.what)
        return chunk


def _fetch(url: str, sink: BinaryIO, timeout: float) -> str:
    """Stream ``url`` into ``sink`` (``MAX_FILE_BYTES`` at most); return the sha256 of what was
    received."""
    import http.client
    import urllib.request  # ~20 ms (http.client, email): paid only when downloading

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_FILE_BYTES:
                raise _too_large(url)
            return hash_stream(_Capped(response, url), sink)
    # URLError, HTTPError, timeouts and resets are all OSError; a server that is not HTTP
    # (a wrong port) gives an HTTPException.
    except (OSError, http.client.HTTPException) as error:
        raise DataPullError(f"cannot download {url}: {_reason(error)}") from None


def _install(
    dataset: str,
    target: Path,
    expected: str | None,
    what: str,
    write: Callable[[BinaryIO], str],
) -> str:
    """Write ``target`` through ``write`` (returning the sha256) and keep it only if it matches
    ``expected`` (None: nothing to match yet, trust on first use); return its sha256."""
    with atomic_path(target) as temp:
        with temp.open("wb") as sink:
            actual = write(sink)
        if expected is not None and actual != expected:
            raise checksum_error(dataset, what, expected, actual, "the file was not kept")
    return actual


def _pull_archive(
    spec: DatasetSpec,
    archive: Archive,
    members: list[SourceFile],
    dest: Path,
    timeout: float,
    tick: Callable[[], None],
) -> None:
    """Download one zip, check it, and extract only the declared members to their local paths."""
    url = github_url(spec.repository, archive.commit or spec.commit, archive.remote_path)
    with tempfile.TemporaryFile() as zipped:
        actual = _fetch(url, zipped, timeout)
        if actual != archive.sha256:
            hint = "the archive was not used"
            raise checksum_error(spec.name, url, archive.sha256, actual, hint)
        with zipfile.ZipFile(zipped) as bundle:
            names = set(bundle.namelist())
            for member in members:
                assert member.remote_path is not None  # SourceFile.__post_init__: no url here
                if member.remote_path not in names:
                    raise DataPullError(
                        f"{spec.name}: {url} has no member {member.remote_path!r}; "
                        "the catalogue and the archive disagree"
                    )
                what = f"{member.local_path} from {url}"
                if bundle.getinfo(member.remote_path).file_size > MAX_FILE_BYTES:
                    raise _too_large(what)
                with bundle.open(member.remote_path) as stream:
                    _install(
                        spec.name,
                        dest / member.local_path,
                        member.sha256,
                        what,
                        lambda sink, stream=stream, what=what: hash_stream(
                            _Capped(stream, what),
                            sink,
                        ),
                    )
                tick()


def _check_destination(dest: Path) -> None:
    """The dataset folder can be made: its nearest existing parent is a folder."""
    for parent in (dest, *dest.parents):
        if parent.exists():
            if not parent.is_dir():
                raise DataPullError(f"{dest}: cannot create it: {parent} is not a folder")
            return


TOKEN_ENV = "HF_TOKEN"


def _snapshot_intact(dest: Path, recorded: dict[str, str]) -> bool:
    """Whether ``dest`` holds the card and every recorded file with its recorded bytes."""
    if CARD not in recorded:
        return False
    present = snapshot_sha256s(dest)
    return all(present.get(path) == digest for path, digest in recorded.items())


def _pull_snapshot(spec: DatasetSpec, dest: Path, progress: Progress | None) -> Path:
    """Download the hub repository at the pinned revision into ``dest`` (see the module's
    docstring); the files are received in a temporary folder beside it and put in place only
    once every file already recorded is found with its recorded bytes."""
    assert spec.snapshot is not None
    repo, revision = spec.snapshot.repo_id, spec.snapshot.revision
    recorded = recorded_checksums(spec, dest)
    if _snapshot_intact(dest, recorded):
        if progress is not None:
            progress(1, 1)
        return dest
    if is_offline():
        raise DataPullError(
            f"{spec.name}: the snapshot of {repo} is to be downloaded but {OFFLINE_ENV} is set; "
            f"unset it or copy the snapshot into {dest}"
        )
    from huggingface_hub import snapshot_download  # paid only when downloading

    token = os.environ.get(TOKEN_ENV) or None
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{spec.name}-") as received_in:
        try:
            snapshot_download(
                repo, revision=revision, repo_type="dataset", local_dir=received_in, token=token
            )
        # The hub's errors (not found, gated, revision, network) are all OSError; a malformed
        # id is a ValueError. Their messages never hold the token, and it is cut out anyway.
        except (OSError, ValueError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            if token:
                reason = reason.replace(token, "***")
            raise DataPullError(
                f"{spec.name}: cannot download {repo} at revision {revision} from the hub: "
                f"{reason}; if the dataset is gated, accept its conditions on the hub and set "
                f"${TOKEN_ENV}"
            ) from None
        received = snapshot_sha256s(Path(received_in))
        if CARD not in received:
            raise DataPullError(f"{spec.name}: {repo} at {revision} has no {CARD}: not a dataset")
        for path, expected in sorted(recorded.items()):
            if path in received and received[path] != expected:
                what = f"{path} from {repo} at {revision}"
                raise checksum_error(spec.name, what, expected, received[path], "nothing was kept")
        for path in received:
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(received_in) / path, target)
    write_checksums(dest, recorded | received)
    if progress is not None:
        progress(1, 1)
    return dest


def pull(
    name: str,
    to: Path | None = None,
    base_url: str | None = None,
    timeout: float = 30,
    progress: Progress | None = None,
) -> Path:
    """Download every missing or wrong file of dataset ``name`` into ``to/<name>/``.

    Files already present with the pinned checksum are kept, so a second pull downloads nothing
    (and succeeds even with ``$PARTAGES_BENCH_OFFLINE`` set, which only forbids actual downloads).
    Files pinned by revision only are checked against ``SHA256SUMS`` in the folder if it lists
    them, else downloaded as they are; after a successful pull their hashes are written there.
    ``progress(done, total)`` is called as files are settled (CLI progress bar). Returns the
    dataset folder.
    """
    spec = get_dataset(name)
    dest = (to if to is not None else default_pull_dir()) / spec.name
    _check_destination(dest)
    if spec.snapshot is not None:
        if base_url:
            raise DataPullError(
                f"{spec.name}: a hub snapshot is not pulled from an HTTP mirror (--base-url); "
                "point $HF_ENDPOINT to a hub mirror instead"
            )
        return _pull_snapshot(spec, dest, progress)
    mirror = (base_url or os.environ.get(MIRROR_ENV, "")).rstrip("/")
    if mirror and urllib.parse.urlsplit(mirror).scheme not in ("http", "https"):
        given = "--base-url" if base_url else f"${MIRROR_ENV}"
        raise DataPullError(f"{given} {mirror}: not an http(s) URL")
    recorded = recorded_checksums(spec, dest)
    expected = {f.local_path: expected_sha256(f, recorded) for f in spec.files}
    todo = [f for f in spec.files if not _has_file(dest / f.local_path, expected[f.local_path])]
    total = len(spec.files)
    done = total - len(todo)

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(done, total)
    if todo and is_offline():
        raise DataPullError(
            f"{spec.name}: {len(todo)} file(s) to download but {OFFLINE_ENV} is set; "
            f"unset it or copy the dataset into {dest}"
        )
    archives: dict[Archive, list[SourceFile]] = {}
    received_unpinned: dict[str, str] = {}  # what trust on first use records
    for source in todo:
        if source.archive is not None and not mirror:
            archives.setdefault(source.archive, []).append(source)
            continue
        url = _mirror_url(mirror, spec, source) if mirror else _source_url(spec, source)
        digest = _install(
            spec.name,
            dest / source.local_path,
            expected[source.local_path],
            f"{source.local_path} from {url}",
            lambda sink, url=url: _fetch(url, sink, timeout),
        )
        if source.sha256 is None:
            received_unpinned[source.local_path] = digest
        tick()
    for archive, members in archives.items():
        _pull_archive(spec, archive, members, dest, timeout, tick)
    if received_unpinned:
        write_checksums(dest, recorded | received_unpinned)
    return dest
