"""The French medical datasets, declared once: provenance, licence and every pinned file.

Each dataset is described by where its files come from upstream (repository, commit, path, or a
member of a zip in that repository) and by the sha256 of every file, read from the packaged
``checksums/<name>.sha256`` (a copy of the mirror's ``SHA256SUMS``). Those lists hold thousands of
lines (QUAERO alone ~5,000), so the catalogue is built on first use, not at import time.

MediQAl is the exception: its files are pinned by a hub revision (a git commit, so immutable
upstream) but their sha256 could not be read here. They are trusted on first use: ``pull``
records what it received in the folder's ``SHA256SUMS`` and later loads check against that
(see ``SourceFile`` and ``store.verify``).

The PARHAF datasets go one step further: their mirror is the hub repository itself at the pinned
revision (``snapshot``, see ``snapshot.py``), so no file is listed here; they are trusted on
first use the same way, every file of the snapshot recorded by ``pull``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from partages_bench.data.casimedicos import convert_casimedicos_fr
from partages_bench.data.converters import (
    MEDIQAL_FILES,
    Splits,
    convert_e3c_fr,
    convert_eds_pseudo,
    convert_frenchmedmcqa,
    convert_labforsims2_fr,
    convert_mantra_gsc_fr,
    convert_mediqal,
    convert_quaero_frenchmed,
    convert_refomed_fr,
)
from partages_bench.data.parhaf import (
    INFECTIOLOGY_CONTRACT,
    PSEUDO_CONTRACT,
    RESPONSE_CONTRACT,
    SCENARIO_CONTRACT,
    convert_parhaf,
    convert_parhaf_infectiology,
    convert_parhaf_pseudo,
    convert_parhaf_response,
)
from partages_bench.data.snapshot import HubSnapshot
from partages_bench.errors import UnknownDatasetError

Converter = Callable[[Path], Splits]

CHECKSUM_DIR = Path(__file__).with_name("checksums")


@dataclass(frozen=True)
class Archive:
    """A zip in the source repository that holds some of the dataset's files (Mantra)."""

    remote_path: str
    sha256: str
    commit: str | None = None


@dataclass(frozen=True)
class SourceFile:
    """One file of a dataset: where it lives locally and where it comes from upstream.

    ``remote_path`` is the path in the repository at ``commit`` (the dataset's commit unless
    overridden), or the member path inside ``archive``. ``url`` is for the rare file that is not in
    the source repository at all (then ``remote_path`` is None).

    ``sha256`` is None for a file pinned by revision only (its URL names an immutable revision but
    its hash was never seen): it is trusted on first use, then checked against the hash recorded
    in its folder's ``SHA256SUMS``.
    """

    local_path: str
    sha256: str | None
    remote_path: str | None
    commit: str | None = None
    archive: Archive | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.remote_path is None) == (self.url is None):
            raise ValueError(f"{self.local_path}: give exactly one of remote_path and url")
        if self.archive is not None and self.url is not None:
            raise ValueError(f"{self.local_path}: an archive member has no url of its own")
        if self.archive is not None and self.sha256 is None:
            raise ValueError(f"{self.local_path}: an archive member needs a sha256 of its own")


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset as the harness knows it; ``name`` is also its folder name in a local mirror.

    ``repository`` at ``commit`` is where the files come from: a GitHub repository, or a hub
    dataset at a revision when every file carries its own ``url`` (MediQAl). A ``snapshot``
    dataset lists no files: its folder is the hub repository at ``hub_revision`` and its
    converter is the snapshot's (``converter`` stays None).
    """

    name: str
    title: str
    licence: str
    citation: str
    repository: str
    commit: str
    hub_id: str | None
    hub_revision: str | None
    files: tuple[SourceFile, ...]
    converter: Converter | None = None
    converter_version: int = 0
    snapshot: HubSnapshot | None = None

    @property
    def pinned_by_sha256(self) -> bool:
        """Whether every file has a known sha256 (else some, or a snapshot's, are pinned by
        revision only)."""
        return self.snapshot is None and all(f.sha256 is not None for f in self.files)


def read_checksums(path: Path) -> dict[str, str]:
    """Parse a ``sha256sum`` listing (``<hex>  <relative path>``) into {path: hex}."""
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"{path}:{number}: not a '<sha256>  <path>' line")
        sums[name] = digest
    return sums


SourceRule = Callable[[str, str], SourceFile]


def _same_path(local_path: str, sha256: str) -> SourceFile:
    """Most mirrors keep the upstream path unchanged."""
    return SourceFile(local_path, sha256, remote_path=local_path)


def _quaero_source(local_path: str, sha256: str) -> SourceFile:
    # The GFDL text was added by the mirror (the GFDL asks for it); it is not in the repository.
    if local_path == "LICENSE-GFDL-1.3.txt":
        return SourceFile(local_path, sha256, None, url="https://www.gnu.org/licenses/fdl-1.3.txt")
    return SourceFile(local_path, sha256, remote_path=f"CLEF_2017/dataset/{local_path}")


_MANTRA_ZIP = Archive(
    "Mantra-GSC-brat.zip", "81bce226240215892035a8ba7ee6bf0fb23be844abb129de638e27716f3030fb"
)


def _mantra_source(local_path: str, sha256: str) -> SourceFile:
    if local_path == "LICENSE":
        return _same_path(local_path, sha256)
    return SourceFile(local_path, sha256, remote_path=local_path, archive=_MANTRA_ZIP)


# train.jsonl was deleted upstream after 1fa4bc9; its README was last seen at 76beb8e.
_EDS_COMMITS = {
    "data/gen_dataset/train.jsonl": "1fa4bc9044ada4563609c562c289b1ad64200461",
    "data/gen_dataset/README.md": "76beb8ea97cfa5140f1f819a897c7084751cf528",
}


def _eds_source(local_path: str, sha256: str) -> SourceFile:
    return SourceFile(local_path, sha256, local_path, commit=_EDS_COMMITS.get(local_path))


_MEDIQAL_HUB_ID = "ANR-MALADES/MediQAl"
_MEDIQAL_REVISION = "5af34948a74c7b8807c476204a21149ffb00ea2c"


def _hub_file(hub_id: str, revision: str, path: str) -> SourceFile:
    """A hub dataset file pinned by revision only: its sha256 is recorded on first pull."""
    url = f"https://huggingface.co/datasets/{hub_id}/resolve/{revision}/{path}"
    return SourceFile(path, None, remote_path=None, url=url)


_PARHAF_CITATION = (
    "Tannier X., Abbara S., Flicoteaux R., Khalil Y., Névéol A., Zweigenbaum P., Bacry E. "
    "(2026). PARHAF, a human-authored corpus of clinical reports for fictitious patients in "
    "French. arXiv:2603.20494"
)


def _parhaf(name: str, title: str, hub_id: str, revision: str, **snapshot: Any) -> DatasetSpec:
    """A PARHAF dataset: a hub snapshot at ``revision`` (CC-BY-4.0, one citation)."""
    return DatasetSpec(
        name=name,
        title=title,
        licence="CC-BY-4.0",
        citation=_PARHAF_CITATION,
        repository=hub_id,
        commit=revision,
        hub_id=hub_id,
        hub_revision=revision,
        files=(),
        converter_version=1,
        snapshot=HubSnapshot(hub_id, revision, **snapshot),
    )


def _spec(name: str, rule: SourceRule, **fields: Any) -> DatasetSpec:
    sums = read_checksums(CHECKSUM_DIR / f"{name}.sha256")
    files = tuple(rule(path, digest) for path, digest in sorted(sums.items()))
    return DatasetSpec(name=name, files=files, **fields)


@functools.cache
def _catalog() -> dict[str, DatasetSpec]:
    specs = [
        _spec(
            "frenchmedmcqa",
            _same_path,
            title="FrenchMedMCQA",
            licence="Apache-2.0",
            citation=(
                "Labrak Y., Bazoge A., Dufour R., Daille B., Gourraud P.-A., Morin E., Rouvier M. "
                "(2022). FrenchMedMCQA: A French Multiple-Choice Question Answering Dataset for "
                "Medical domain. LOUHI 2022, pp. 41-46. https://aclanthology.org/2022.louhi-1.5"
            ),
            repository="qanastek/FrenchMedMCQA",
            commit="4e36a4055245feec3218573c9f6bb1a9ecb1756b",
            hub_id="qanastek/frenchmedmcqa",
            hub_revision=None,
            converter=convert_frenchmedmcqa,
            converter_version=1,
        ),
        _spec(
            "e3c_fr",
            _same_path,
            title="E3C, French layer 1 (+ layer-2 silver IOB)",
            licence="CC-BY-NC (version not stated)",
            citation=(
                "Magnini B., Altuna B., Lavelli A., Speranza M., Zanoli R. (2020). The E3C "
                "Project: Collection and Annotation of a Multilingual Corpus of Clinical Cases. "
                "CLiC-it 2020; Zanoli R., Lavelli A., Verdi do Amarante D., Toti D. (2023). "
                "Assessment of the E3C corpus for the recognition of disorders in clinical texts. "
                "Natural Language Engineering. doi:10.1017/S1351324923000335"
            ),
            repository="hltfbk/E3C-Corpus",
            commit="8196181eacd5d65828d324dcc63970c503aff5e9",
            hub_id="DrBenchmark/E3C",
            hub_revision=None,
            converter=convert_e3c_fr,
            converter_version=1,
        ),
        _spec(
            "quaero_frenchmed",
            _quaero_source,
            title="QUAERO French Medical Corpus (CLEF eHealth BRAT release)",
            licence="GFDL-1.3",
            citation=(
                "Névéol A., Grouin C., Leixa J., Rosset S., Zweigenbaum P. (2014). The QUAERO "
                "French Medical Corpus: A Ressource for Medical Entity Recognition and "
                "Normalization. BioTxtM 2014, pp. 24-30"
            ),
            repository="MrMimic/Machine-Learning",
            commit="236859b876fc295eb5c626eb3e0daa6089da1965",
            hub_id="bigbio/quaero",
            hub_revision=None,
            converter=convert_quaero_frenchmed,
            converter_version=1,
        ),
        _spec(
            "mantra_gsc_fr",
            _mantra_source,
            title="Mantra GSC, French part",
            licence="GPL-3.0",
            citation=(
                "Kors J.A., Clematide S., Akhondi S.A., van Mulligen E.M., Rebholz-Schuhmann D. "
                "(2015). A multilingual gold-standard corpus for biomedical concept recognition: "
                "the Mantra GSC. JAMIA 22(5):948-956. doi:10.1093/jamia/ocv037"
            ),
            repository="mi-erasmusmc/Mantra-Gold-Standard-Corpus",
            commit="8ef737daa2208938a2c64ca600b117482ebe3c42",
            hub_id="bigbio/mantra_gsc",
            hub_revision=None,
            converter=convert_mantra_gsc_fr,
            converter_version=1,
        ),
        _spec(
            "eds_pseudo_synthetic",
            _eds_source,
            title="AP-HP EDS-Pseudo fictitious data",
            licence="BSD-3-Clause",
            citation=(
                "Tannier X., Wajsbürt P., Calliger A., Dura B., Mouchet A., Hilka M., Bey R. "
                "(2024). Development and validation of a natural language processing algorithm "
                "to pseudonymize documents in the context of a clinical data warehouse. Methods "
                "of Information in Medicine"
            ),
            repository="aphp/eds-pseudo",
            commit="b8bfde4a0e6ca31ac5ea85483757294d48f19d03",
            hub_id=None,
            hub_revision=None,
            converter=convert_eds_pseudo,
            converter_version=1,
        ),
        _spec(
            "refomed_fr",
            _same_path,
            title="RefoMed-FR (term → reformulation pairs)",
            licence="CC-BY-NC-4.0",
            citation=(
                "Buhnila I. (2023). Une méthode automatique de construction de corpus de "
                "reformulation. PhD thesis, Université de Strasbourg. "
                "https://theses.hal.science/tel-04226255/"
            ),
            repository="ibuhnila/refomed",
            commit="ead7d0cb92fc4b0f1c2ec30571f8c42a9bcda889",
            hub_id=None,
            hub_revision=None,
            converter=convert_refomed_fr,
            converter_version=1,
        ),
        _spec(
            "labforsims2_fr",
            _same_path,
            title="LabForSims2 French medical consultations (41 coded doctor-patient dialogues)",
            licence="CC-BY-SA-4.0",
            citation=(
                "Laleye F. A. A., de Chalendar G., Blanié A., Brouquet A., Behnamou D. (2020). "
                "A French Medical Conversations Corpus Annotated for a Virtual Patient Dialogue "
                "System. LREC 2020, pp. 574-580. https://www.aclweb.org/anthology/2020.lrec-1.72"
            ),
            repository="kleag/labforsims2-corpus",
            commit="0926b03eed0a6bc8ce91361fb2ae71d86ab97ac7",
            hub_id=None,
            hub_revision=None,
            converter=convert_labforsims2_fr,
            converter_version=1,
        ),
        _spec(
            "casimedicos_fr",
            _same_path,
            title="CasiMedicos-Arg, French (MIR clinical cases translated from Spanish)",
            # The repository's README says CC BY 4.0, its LICENSE file is CC0 1.0: both hold.
            licence="CC-BY-4.0 (README) / CC0-1.0 (LICENSE file)",
            citation=(
                "Sviridova E., Yeginbergen A., Estarrona A., Cabrio E., Villata S., Agerri R. "
                "(2024). CasiMedicos-Arg: A Medical Question Answering Dataset Annotated with "
                "Explanatory Argumentative Structures. EMNLP 2024, pp. 18463-18475; Alonso I., "
                "Oronoz M., Agerri R. (2024). MedExpQA: Multilingual benchmarking of Large "
                "Language Models for Medical Question Answering. Artificial Intelligence in "
                "Medicine 155:102938"
            ),
            repository="ixa-ehu/antidote-casimedicos",
            commit="bead23e4bd1235440c4ff5b37ae7f2f81ea7c738",
            hub_id="HiTZ/casimedicos-arg",
            hub_revision=None,
            converter=convert_casimedicos_fr,
            converter_version=1,
        ),
        DatasetSpec(
            name="mediqal",
            title="MediQAl",
            licence="CC-BY-4.0",
            citation=(
                "Bazoge A. et al. (2025). MediQAl: A French Medical Question Answering Dataset "
                "for Knowledge and Reasoning Evaluation. arXiv:2507.20917"
            ),
            # Not a GitHub repository: the data lives only on the hub (GitHub abazoge/MediQAl
            # holds the authors' code). Each file has its own URL at the revision below.
            repository=_MEDIQAL_HUB_ID,
            commit=_MEDIQAL_REVISION,
            hub_id=_MEDIQAL_HUB_ID,
            hub_revision=_MEDIQAL_REVISION,
            files=tuple(
                _hub_file(_MEDIQAL_HUB_ID, _MEDIQAL_REVISION, p) for p in MEDIQAL_FILES.values()
            ),
            converter=convert_mediqal,
            converter_version=1,
        ),
        _parhaf(
            "parhaf",
            "PARHAF: fictitious patient cases, their reports and scenarios",
            "HealthDataHub/PARHAF",
            "0a88093ff16168494fdb17aa40a040107171ed9d",
            contract=SCENARIO_CONTRACT,
            convert=convert_parhaf,
        ),
        _parhaf(
            "parhaf_pseudo",
            "PARHAF pseudonymisation annotations",
            "HealthDataHub/PARHAF-pseudo-annotated",
            "4d866f075a4d91c4e5ce0058feedd6da1d8e879a",
            contract=PSEUDO_CONTRACT,
            convert=convert_parhaf_pseudo,
        ),
        _parhaf(
            "parhaf_infectiology",
            "PARHAF infectiology annotations (with negation)",
            "HealthDataHub/PARHAF-infectiology-annotated",
            "452cfeeec0987b8088a6b9294f00dd4f735a5980",
            contract=INFECTIOLOGY_CONTRACT,
            convert=convert_parhaf_infectiology,
        ),
        _parhaf(
            "parhaf_response",
            "PARHAF response to treatment annotations",
            "HealthDataHub/PARHAF-response_to_treatment-annotated",
            "a100ab2742614821898bc6880c0bff0c9a5bdccd",
            contract=RESPONSE_CONTRACT,
            convert=convert_parhaf_response,
        ),
    ]
    return {spec.name: spec for spec in specs}


# Declared for type checkers only: the name is bound lazily by ``__getattr__`` below.
DATASETS: dict[str, DatasetSpec]


def __getattr__(name: str) -> Any:
    # ``DATASETS`` is built on first access (PEP 562) so that importing this module stays cheap.
    if name == "DATASETS":
        return _catalog()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_dataset(name: str) -> DatasetSpec:
    """Look a dataset up by its id; unknown ids are a user error listing the known ones."""
    specs = _catalog()
    if name not in specs:
        known = ", ".join(sorted(specs))
        raise UnknownDatasetError(f"unknown dataset {name!r}; known datasets: {known}")
    return specs[name]
