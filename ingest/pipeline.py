"""Document sets in, versioned points out.

One run: discover files (ACL from --groups, acl.yaml or the default), hash each, skip unchanged ones,
partition + chunk the rest in worker processes while this process embeds and writes. A changed file's
new version is written before the switch and the old one is deleted after it, so a crash at any step
leaves the old version answerable, and the next run cleans up what a crash left behind.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import socket
import stat
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.db import Database
from app.embeddings import MODEL_NAME, Embedder
from app.settings import Settings
from app.store import Point, VectorStore
from ingest.manifest import MANIFEST_NAME, AclManifest
from ingest.worker import Prepared, WorkerOptions, init_worker, prepare_file

PIPELINE_VERSION = "3"  # bump when partitioning/chunking changes so unchanged files are re-indexed
# 3: hidden HTML text is not indexed; file type mismatches are read by their content
_ID_NAMESPACE = uuid.UUID("5b0c6a4e-3f1e-4b7e-9a57-6c1f0f3d9a11")
STATUSES = ("indexed", "unchanged", "failed", "empty", "unsupported", "too-large", "removed")


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


def pipeline_signature(settings: Settings, encoder: str = MODEL_NAME) -> str:
    """Files whose active version was indexed with another signature are indexed again; ``encoder``
    (Embedder.encoder_id) is part of it, so switching DOCQA_EMBED_BACKEND re-embeds on the next ingest."""
    parts = [PIPELINE_VERSION, encoder, settings.chunk_tokens, settings.section_title_tokens]
    parts += [settings.ocr_languages, settings.ocr_dpi]
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


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


class Ingestor:
    def __init__(self, settings: Settings, db: Database, store: VectorStore, embedder: Embedder) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.embedder = embedder
        self.sig = pipeline_signature(settings, embedder.encoder_id)
        self.stages: dict[str, float] = {}

    # -- public ----------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        set_name: str,
        groups: Sequence[str] | None = None,
        prune: bool = False,
        on_start: Callable[[int], None] | None = None,
        on_file: Callable[[FileReport], None] | None = None,
    ) -> RunReport:
        t_run = time.perf_counter()
        self.stages = {}
        sources, reports = discover(paths, groups, self.settings.default_groups)
        interrupt_dead_runs(self.db)  # runs a killed process left "running"
        args = {"paths": [str(p) for p in paths], "groups": list(groups or []), "prune": prune}
        run_id = self.db.start_run(set_name, args | run_owner())
        if on_start:
            on_start(len(sources) + len(reports))

        def emit(report: FileReport) -> None:
            reports.append(report)
            self.db.add_file_result(
                run_id,
                **{k: v for k, v in report.to_dict().items() if k not in ("ocr_pages", "groups")},
            )
            if on_file:
                on_file(report)

        for r in list(reports):
            reports.remove(r)
            emit(r)
        status = "interrupted"
        try:
            todo: list[tuple[Source, str, float]] = []
            for src in sources:
                t0 = time.perf_counter()
                checked = self._precheck(src, set_name)
                if isinstance(checked, FileReport):
                    checked.seconds = time.perf_counter() - t0
                    emit(checked)
                else:
                    todo.append((src, checked, time.perf_counter() - t0))
            for (src, digest, hash_s), prepared in self._prepare_all(todo):
                self._add_stages(prepared.timings)
                emit(self._write(src, set_name, digest, prepared, hash_s))
            if prune:
                keep = {s.key for s in sources}
                for doc in self.db.list_documents(set_name):
                    if doc.path not in keep:
                        self.remove_document(doc.doc_id)
                        emit(
                            FileReport(doc.path, "removed", "gone from the set (--prune)", doc_id=doc.doc_id)
                        )
            status = "done"
        finally:
            report = RunReport(run_id, set_name, reports, time.perf_counter() - t_run, dict(self.stages))
            self.db.finish_run(run_id, report.counts, status)
        return report

    def set_groups(self, doc_id: str, groups: Sequence[str]) -> None:
        """Change who may read a document: payloads first (access changes at once), then the database."""
        if self.db.get_document(doc_id) is None:
            raise KeyError(doc_id)
        groups = sorted(set(groups))
        self.store.set_groups(doc_id, groups)
        self.db.set_document_groups(doc_id, groups)

    def remove_document(self, doc_id: str) -> None:
        """Delete a document everywhere: points, rows and the kept original."""
        self.store.delete(doc_id=doc_id)
        for original in self.db.delete_document(doc_id):
            Path(original).unlink(missing_ok=True)
        shutil.rmtree(self._originals_dir(doc_id), ignore_errors=True)

    # -- steps -----------------------------------------------------------------------------------
    def _precheck(self, src: Source, set_name: str) -> FileReport | str:
        """Cheap checks in this process; returns the content hash when the file needs indexing."""
        rep = FileReport(src.key, "failed", groups=src.groups)
        try:
            st = src.path.stat()
            if not stat.S_ISREG(st.st_mode):
                rep.reason = "not a regular file"
                return rep
            limit = self.settings.max_file_mb * 1024 * 1024
            if st.st_size > limit:
                rep.status = "too-large"
                rep.reason = (
                    f"{st.st_size / 1e6:.1f} MB exceeds the {self.settings.max_file_mb:g} MB limit "
                    "(DOCQA_MAX_FILE_MB)"
                )
                return rep
            digest = file_sha256(src.path)
        except PermissionError:
            rep.reason = "permission denied"
            return rep
        except OSError as exc:
            rep.reason = f"cannot read: {exc.strerror or exc}"
            return rep
        doc = self.db.find_document(set_name, src.key)
        active = doc.active if doc else None
        if doc and active and active.content_hash == digest and active.pipeline_sig == self.sig:
            rep.status, rep.doc_id, rep.version = "unchanged", doc.doc_id, active.version
            rep.pages, rep.chunks, rep.file_type = active.pages, active.chunks, active.file_type
            if doc.group_names != src.groups:
                self.set_groups(doc.doc_id, src.groups)
                rep.reason = f"content unchanged; groups set to {', '.join(src.groups) or 'none'}"
            # a crash after the last switch may have left other versions' points, rows and files behind
            self.store.delete(doc_id=doc.doc_id, except_version=active.version)
            for v in doc.versions:
                if v.state == "writing":
                    self.db.abandon_version(doc.doc_id, v.version)
            self._tidy_originals(doc.doc_id, active.original_path)
            return rep
        return digest

    def _prepare_all(
        self, todo: list[tuple[Source, str, float]]
    ) -> Iterator[tuple[tuple[Source, str, float], Prepared]]:
        opts = WorkerOptions(
            chunk_tokens=self.settings.chunk_tokens,
            section_title_tokens=self.settings.section_title_tokens,
            ocr_languages=self.settings.ocr_languages,
            ocr_dpi=self.settings.ocr_dpi,
        )
        workers = min(self.settings.ingest_workers, len(todo))
        if workers <= 0:
            for item in todo:
                yield item, prepare_file(str(item[0].path), opts)
            return
        yield from _pool_map(todo, opts, workers, self.settings.file_timeout_s)

    def _write(self, src: Source, set_name: str, digest: str, prep: Prepared, hash_s: float) -> FileReport:
        """Embed and store a partitioned file; ``seconds`` is the file's own work (hash, partition,
        OCR, chunk, embed, write), not the time it waited for a worker."""
        t0 = time.perf_counter() - hash_s - sum(prep.timings.values())
        doc_id = doc_id_for(set_name, src.key)
        rep = FileReport(
            src.key,
            prep.status if prep.status != "ok" else "indexed",
            prep.reason,
            prep.pages,
            0,
            file_type=prep.file_type,
            ocr_pages=prep.ocr_pages,
            doc_id=doc_id,
            groups=src.groups,
        )
        if prep.status != "ok":
            doc = self.db.get_document(doc_id)
            if doc and doc.current_version:
                rep.reason += f"; version {doc.current_version} stays indexed"
                rep.version = doc.current_version
            else:
                rep.doc_id = None
            rep.seconds = time.perf_counter() - t0
            return rep
        version = self.db.begin_version(
            set_name=set_name,
            path=src.key,
            doc_id=doc_id,
            title=Path(src.key).name,
            content_hash=digest,
            pipeline_sig=self.sig,
            size_bytes=src.path.stat().st_size,
            file_type=prep.file_type,
        )
        try:
            original = self._keep_original(src.path, doc_id, version)
            texts = [c.text for c in prep.chunks]
            t = time.perf_counter()
            dense = self.embedder.embed_documents(texts)
            sparse = self.embedder.sparse_documents(texts)
            self._add_stages({"embed": time.perf_counter() - t})
            t = time.perf_counter()
            self.store.upsert(
                [
                    Point(
                        id=point_id(doc_id, version, c.index),
                        dense=dense[i],
                        sparse=sparse[i],
                        payload={
                            "doc_id": doc_id,
                            "version": version,
                            "set": set_name,
                            "groups": src.groups,
                            "page_start": c.page_start,
                            "page_end": c.page_end,
                            "section": c.section,
                            "kind": c.kind,
                            "text": c.text,
                            "chunk_index": c.index,
                            "title": Path(src.key).name,
                            "path": src.key,
                            "encoder": self.embedder.encoder_id,
                        },
                    )
                    for i, c in enumerate(prep.chunks)
                ]
            )
            stale = self.db.activate_version(
                doc_id,
                version,
                groups=src.groups,
                pages=prep.pages,
                ocr_pages=prep.ocr_pages,
                chunks=len(prep.chunks),
                original_path=str(original),
            )
            self.store.delete(doc_id=doc_id, except_version=version)
            self._add_stages({"upsert": time.perf_counter() - t})
            for old in stale:
                Path(old).unlink(missing_ok=True)
            self._tidy_originals(doc_id, str(original))  # copies of versions a crash left half-written
        except Exception as exc:
            self.store.delete(doc_id=doc_id, version=version)
            self.db.abandon_version(doc_id, version)
            rep.status, rep.reason = "failed", f"indexing failed: {type(exc).__name__}: {exc}"
            rep.seconds = time.perf_counter() - t0
            return rep
        rep.version, rep.chunks = version, len(prep.chunks)
        notes = [n for n in (f"{prep.ocr_pages} page(s) OCRed" if prep.ocr_pages else "", src.acl_note) if n]
        rep.reason = "; ".join([*([prep.reason] if prep.reason else []), *notes])
        rep.seconds = time.perf_counter() - t0
        return rep

    def reindex_original(self, doc_id: str) -> FileReport:
        """Index the kept copy of the document's active version again, as a new version (a repair
        for a version that lost points). Raises KeyError when there is no such copy."""
        doc = self.db.get_document(doc_id)
        active = doc.active if doc else None
        if doc is None or active is None or not Path(active.original_path).is_file():
            raise KeyError(doc_id)
        original = Path(active.original_path)
        opts = WorkerOptions(
            chunk_tokens=self.settings.chunk_tokens,
            section_title_tokens=self.settings.section_title_tokens,
            ocr_languages=self.settings.ocr_languages,
            ocr_dpi=self.settings.ocr_dpi,
        )
        src = Source(original, doc.path, doc.group_names)
        return self._write(src, doc.set.name, file_sha256(original), prepare_file(str(original), opts), 0.0)

    # -- helpers ---------------------------------------------------------------------------------
    def _tidy_originals(self, doc_id: str, keep: str) -> None:
        """Delete the document's kept copies other than ``keep`` (left by a crash or a failed write)."""
        folder = self._originals_dir(doc_id)
        if keep and folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and str(path.resolve()) != keep:
                    path.unlink(missing_ok=True)

    def _originals_dir(self, doc_id: str) -> Path:
        return self.settings.data_dir / "originals" / doc_id

    def _keep_original(self, path: Path, doc_id: str, version: int) -> Path:
        """A copy of the ingested file, so the UI can open the exact version that was cited."""
        target = self._originals_dir(doc_id) / f"v{version}{path.suffix.lower()}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return target.resolve()

    def _add_stages(self, timings: dict[str, float]) -> None:
        for k, v in timings.items():
            self.stages[k] = self.stages.get(k, 0.0) + v


def run_owner() -> dict[str, object]:
    """Who runs an ingest (stored with the run), so a run left "running" by a killed process is
    recognised as dead later."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def interrupt_dead_runs(db: Database) -> list[int]:
    """Mark runs whose process (on this host) is gone 'interrupted'; returns their ids."""
    from app.client import pid_alive
    from app.doctor import run_is_dead

    host = socket.gethostname()
    dead = [r for r in db.list_runs("running") if run_is_dead(r.args or {}, host, pid_alive)]
    for run in dead:
        db.finish_run(run.id, run.counts or {}, "interrupted")
    return [r.id for r in dead]


def _pool_map(
    todo: list[tuple[Source, str, float]], opts: WorkerOptions, workers: int, timeout_s: float
) -> Iterator[tuple[tuple[Source, str, float], Prepared]]:
    """Partition files in a process pool. A file that hangs past ``timeout_s`` or kills its worker
    fails alone: the pool is replaced and the other files carry on."""
    ctx = multiprocessing.get_context("spawn")
    pending = deque(todo)
    retried: set[str] = set()
    running: dict[Future[Prepared], tuple[tuple[Source, str, float], float]] = {}

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=init_worker)

    def kill(pool: ProcessPoolExecutor) -> None:
        for proc in list((pool._processes or {}).values()):  # no public API to stop a hung task
            proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    pool = new_pool()
    try:
        while pending or running:
            while pending and len(running) < 2 * workers:  # keep workers busy while we embed
                item = pending.popleft()
                running[pool.submit(prepare_file, str(item[0].path), opts)] = (item, time.monotonic())
            done, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
            restart = False
            for fut in done:
                item, _started = running.pop(fut)
                try:
                    yield item, fut.result()
                except BrokenProcessPool:
                    restart = True
                    if item[0].key in retried:
                        yield item, Prepared("failed", "the partitioner crashed on this file")
                    else:
                        retried.add(item[0].key)
                        pending.appendleft(item)
                except Exception as exc:
                    yield item, Prepared("failed", f"partitioning failed: {type(exc).__name__}: {exc}")
            now = time.monotonic()
            for fut, (item, started) in list(running.items()):
                if not fut.done() and now - started > timeout_s:
                    running.pop(fut)
                    restart = True
                    yield item, Prepared("failed", f"timed out after {timeout_s:g} s (DOCQA_FILE_TIMEOUT_S)")
            if restart:
                pending.extendleft(item for item, _ in reversed(list(running.values())))
                running.clear()
                kill(pool)
                pool = new_pool()
    finally:
        kill(pool) if running else pool.shutdown(wait=True, cancel_futures=True)
