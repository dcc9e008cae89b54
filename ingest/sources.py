"""The files of a run: found with the groups that may read them (``discover``, ``Source``), named
(``doc_id_for``, ``point_id``, ``file_sha256``) and reported (``FileReport``, ``RunReport``)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.manifest import MANIFEST_NAME, AclManifest

_ID_NAMESPACE = uuid.UUID("5b0c6a4e-3f1e-4b7e-9a57-6c1f0f3d9a11")
STATUSES = ("indexed", "unchanged", "failed", "empty", "unsupported", "too-large", "removed")
Todo = tuple["Source", str, float]  # a file to index, its content hash and the seconds hashing took


@dataclass
class FileReport:
    path: str
    status: str
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    file_type: str = ""
    ocr_pages: int = 0
    doc_id: str | None = None
    version: int | None = None
    groups: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d


@dataclass
class RunReport:
    run_id: int
    set_name: str
    files: list[FileReport]
    seconds: float
    stages: dict[str, float]

    @property
    def counts(self) -> dict[str, int]:
        return {s: n for s in STATUSES if (n := sum(f.status == s for f in self.files))}

    @property
    def failed(self) -> bool:
        return any(f.status == "failed" for f in self.files)


@dataclass
class Source:
    path: Path  # where the file is now
    key: str  # its path within the set: the document's identity
    groups: list[str]
    acl_note: str = ""


def doc_id_for(set_name: str, key: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{set_name}\x00{key}"))


def point_id(doc_id: str, version: int, index: int) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{doc_id}:{version}:{index}"))


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def discover(
    paths: Sequence[Path], cli_groups: Sequence[str] | None, default_groups: Sequence[str]
) -> tuple[list[Source], list[FileReport]]:
    """Expand paths into sources with their groups; paths that can't be read become reports."""
    sources: list[Source] = []
    problems: list[FileReport] = []
    seen: set[str] = set()

    def add(path: Path, key: str, manifest: AclManifest | None) -> None:
        if key in seen:
            key = str(path)
        seen.add(key)
        note = ""
        if cli_groups:
            groups = list(cli_groups)
        elif manifest and (rule := manifest.match(key)):
            groups = rule[1]
        elif manifest and manifest.default is not None:
            groups, note = manifest.default, f"no {MANIFEST_NAME} rule matched: default groups"
        else:
            groups = list(default_groups)
            note = (
                "no ACL given: default groups"
                if groups
                else ("no ACL given and no default groups: readable by nobody until `docqa docs set-groups`")
            )
        sources.append(Source(path, key, sorted(set(groups)), note))

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            reason = "broken symbolic link" if path.is_symlink() else "path not found"
            problems.append(FileReport(str(raw), "failed", reason))
        elif path.is_dir():
            manifest = AclManifest.load(path / MANIFEST_NAME) if (path / MANIFEST_NAME).is_file() else None
            files, unreadable = _walk(path)
            for file in files:
                key = file.relative_to(path).as_posix()
                if key != MANIFEST_NAME and not (manifest and manifest.ignores(key)):
                    add(file, key, manifest)
            problems += [FileReport(p, "failed", "permission denied (folder)") for p in unreadable]
        else:
            add(path, path.name, None)
    return sources, problems


def _walk(root: Path) -> tuple[list[Path], list[str]]:
    """Files under root in a stable order, hidden ones skipped; plus folders that could not be read."""
    unreadable: list[str] = []
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: unreadable.append(str(e.filename))):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files += [Path(dirpath) / n for n in sorted(filenames) if not n.startswith(".")]
    return files, unreadable
