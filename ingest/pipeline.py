"""Document sets in, versioned points out.

One run: discover files (ACL from --groups, acl.yaml or the default), hash each, skip unchanged ones,
partition + chunk the rest in worker processes while this process embeds and writes. Files are embedded
in batches (every file that is ready, up to EMBED_BATCH_CHUNKS chunks: one encoder call instead of one
per file), then written and reported one by one while the next batch is embedded. A changed file's new
version is written before the switch and the old one is deleted after it, so a crash at any step
leaves the old version answerable, and the next run cleans up what a crash left behind.

Finding files and reporting them (``discover``, ``Source``, ``FileReport``, ``RunReport``, the ids) is
``ingest.sources``; the worker pool that partitions them is ``ingest.pool``. Both are importable from
here as before.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import stat
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import numpy as np

from app.db import Database
from app.embeddings import MODEL_NAME, Embedder
from app.processes import pid_alive, run_is_dead, run_owner
from app.settings import Settings
from app.store import Point, SparseVec, VectorStore
from ingest.chunk import Chunk
from ingest.docmeta import embedding_text
from ingest.pool import _batched, _in_background, _pool_map
from ingest.sources import FileReport, RunReport, Source, Todo, discover, doc_id_for, file_sha256, point_id
from ingest.worker import Prepared, StageSink, WorkerOptions, prepare_file

PIPELINE_VERSION = "8"  # bump when partitioning/chunking changes so unchanged files are re-indexed
# 3: hidden HTML text is not indexed; file type mismatches are read by their content
# 4: every chunk carries its location (payload "location" and its parts, ingest/location.py); PDFs
#    encrypted with an owner password only are read; a chunk never spans two sheets or attachments
# 5: borderless tables of figures in PDFs become tables (rows with their labels and column headers,
#    ingest/numeric_tables.py); a filing's registrant, form and period (ingest/docmeta.py) go in every
#    chunk's payload and in front of every chunk's embedded text
EMBED_BATCH_CHUNKS = 256  # chunks of several files per encoder call, sorted by length there (less padding)
EMBED_WAIT_S = 2.0  # without a worker pool: the longest a partitioned file waits for others to batch with

Vectors = tuple[np.ndarray, list[SparseVec]]  # a file's dense and sparse vectors, one per chunk
Batch = list[tuple[Todo, Prepared]]  # partitioned files to embed together
Embedded = list[tuple[Vectors | None, float]]  # per file of a batch: its vectors, its embedding seconds


def pipeline_signature(settings: Settings, encoder: str = MODEL_NAME) -> str:
    """Files whose active version was indexed with another signature are indexed again; ``encoder``
    (Embedder.encoder_id) is part of it, so switching DOCQA_EMBED_BACKEND re-embeds on the next ingest."""
    parts = [PIPELINE_VERSION, encoder, settings.chunk_tokens, settings.section_title_tokens]
    parts += [settings.ocr_languages, settings.ocr_dpi]
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def chunk_payload(chunk: Chunk) -> dict:
    """What a point stores about where its chunk is: page span (``page_start``/``page_end``, as
    always), the location text a reader uses (``location``) and its parts (``page_label``,
    ``sheet``, ``rows``, ``attachment``, ``message``, ``section_path`` … see ingest/location.py),
    and a table chunk's column headers (``columns``)."""
    payload = {"page_start": chunk.page_start, "page_end": chunk.page_end, **chunk.loc.to_payload()}
    if chunk.columns:
        payload["columns"] = list(chunk.columns)
    return payload


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        store: VectorStore,
        embedder: Embedder,
        *,
        on_change: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        """``on_change`` is told the doc_ids whose searchable content or readers changed (a version
        switched, groups set, removed): the engine recomputes what restates them (verified answers)."""
        self.settings = settings
        self.db = db
        self.store = store
        self.embedder = embedder
        self.on_change = on_change
        self.sig = pipeline_signature(settings, embedder.encoder_id)
        self.stages: dict[str, float] = {}
        self._on_stage: StageSink | None = None

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
        on_stage: StageSink | None = None,
    ) -> RunReport:
        """Ingest ``paths`` into ``set_name``. ``on_start`` hears the number of files, ``on_file``
        each file's report, ``on_stage`` (the file's key, as in its report; stage) as files move
        through parse, "ocr page N", chunk, embed and write."""
        t_run = time.perf_counter()
        self.stages = {}
        self._on_stage = on_stage
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
            todo: list[Todo] = []
            for src in sources:
                t0 = time.perf_counter()
                checked = self._precheck(src, set_name)
                if isinstance(checked, FileReport):
                    checked.seconds = time.perf_counter() - t0
                    emit(checked)
                else:
                    todo.append((src, checked, time.perf_counter() - t0))
            with closing(self._embedded(self._prepare_all(todo))) as batches:  # stops the workers if we fail
                for batch, embedded in batches:
                    if batch_s := sum(share for _, share in embedded):
                        self._add_stages({"embed": batch_s})
                    for ((src, digest, hash_s), prepared), (vectors, embed_s) in zip(
                        batch, embedded, strict=True
                    ):
                        self._add_stages(prepared.timings)
                        self._stage(src.key, "write")
                        emit(self._write(src, set_name, digest, prepared, hash_s, vectors, embed_s))
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
        self._changed(doc_id)

    def remove_document(self, doc_id: str) -> None:
        """Delete a document everywhere: points, rows and the kept original."""
        self.store.delete(doc_id=doc_id)
        for original in self.db.delete_document(doc_id):
            Path(original).unlink(missing_ok=True)
        shutil.rmtree(self._originals_dir(doc_id), ignore_errors=True)
        self._changed(doc_id)

    def _changed(self, doc_id: str) -> None:
        if self.on_change is not None:
            self.on_change([doc_id])

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
        regrouped = False
        if doc and doc.group_names != src.groups:
            # Who may read a document is not a property of its content: the new groups apply at
            # once to the version that is searchable now, whether or not the new content ingests.
            self.set_groups(doc.doc_id, src.groups)
            regrouped = True
        active = doc.active if doc else None
        if doc and active and active.content_hash == digest and active.pipeline_sig == self.sig:
            rep.status, rep.doc_id, rep.version = "unchanged", doc.doc_id, active.version
            rep.pages, rep.chunks, rep.file_type = active.pages, active.chunks, active.file_type
            if regrouped:
                rep.reason = f"content unchanged; groups set to {', '.join(src.groups) or 'none'}"
            # a crash after the last switch may have left other versions' points, rows and files behind
            self.store.delete(doc_id=doc.doc_id, except_version=active.version)
            for v in doc.versions:
                if v.state == "writing":
                    self.db.abandon_version(doc.doc_id, v.version)
            self._tidy_originals(doc.doc_id, active.original_path)
            return rep
        return digest

    def _prepare_all(self, todo: list[Todo]) -> Generator[Batch, None, None]:
        """Partitioned files in batches to embed together: with a worker pool, every file that is
        ready when the encoder is free (so a batch never waits for a worker); without one, files
        until EMBED_WAIT_S have passed. Either way at most EMBED_BATCH_CHUNKS chunks, unless one
        file has more."""
        opts = WorkerOptions(
            chunk_tokens=self.settings.chunk_tokens,
            section_title_tokens=self.settings.section_title_tokens,
            ocr_languages=self.settings.ocr_languages,
            ocr_dpi=self.settings.ocr_dpi,
        )
        workers = min(self.settings.ingest_workers, len(todo))
        if workers <= 0:
            prepared: Iterator[tuple[Todo, Prepared] | None] = (
                (item, prepare_file(str(item[0].path), opts, self._stage_of(item[0]))) for item in todo
            )
        else:
            starved = threading.Event()
            pool = _pool_map(todo, opts, workers, self.settings.file_timeout_s, starved, self._on_stage)
            prepared = _in_background(pool, starved)
        yield from _batched(prepared, lambda done: len(done[1].chunks), EMBED_BATCH_CHUNKS, EMBED_WAIT_S)

    def _embedded(
        self, batches: Generator[Batch, None, None]
    ) -> Generator[tuple[Batch, Embedded], None, None]:
        """Each batch with its vectors (_embed_batch). The next batch is embedded in a thread while
        the caller writes this one: the encoder releases the GIL, and writing waits on the disk."""
        with closing(batches), ThreadPoolExecutor(1, thread_name_prefix="docqa-embed") as encoder:
            done: tuple[Batch, Embedded] | None = None
            for batch in batches:  # formed once the previous batch is embedded: files pile up meanwhile
                for (src, _, _), prepared in batch:
                    if prepared.status == "ok":
                        self._stage(src.key, "embed")
                embedding = encoder.submit(self._embed_batch, [prepared for _, prepared in batch])
                if done:
                    yield done
                done = batch, embedding.result()
            if done:
                yield done

    def _embed_batch(self, batch: Sequence[Prepared]) -> Embedded:
        """Each file's vectors and its share of the seconds of one encoder call for all files of the
        batch. (None, 0.0) for files without chunks, and for every file when the call fails: then
        each file embeds its own chunks, so one bad file fails alone."""
        texts = [
            embedding_text(prep.context, c.text) for prep in batch if prep.status == "ok" for c in prep.chunks
        ]
        if not texts:
            return [(None, 0.0)] * len(batch)
        t = time.perf_counter()
        try:
            dense = self.embedder.embed_documents(texts)
            sparse = self.embedder.sparse_documents(texts)
        except Exception:
            return [(None, 0.0)] * len(batch)
        seconds = time.perf_counter() - t
        out: Embedded = []
        start = 0
        for prep in batch:
            n = len(prep.chunks) if prep.status == "ok" else 0
            share = seconds * n / len(texts)
            out.append(((dense[start : start + n], sparse[start : start + n]) if n else None, share))
            start += n
        return out

    def _write(
        self,
        src: Source,
        set_name: str,
        digest: str,
        prep: Prepared,
        hash_s: float,
        vectors: Vectors | None = None,
        embed_s: float = 0.0,
    ) -> FileReport:
        """Store a partitioned file, embedding its chunks unless ``vectors`` (embedded in a batch,
        taking ``embed_s`` of its time) are given; ``seconds`` is the file's own work (hash,
        partition, OCR, chunk, embed, write), not the time it waited for a worker or other files."""
        t0 = time.perf_counter() - hash_s - sum(prep.timings.values()) - embed_s
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
        switched = False
        try:
            original = self._keep_original(src.path, doc_id, version)
            if vectors is None:
                texts = [embedding_text(prep.context, c.text) for c in prep.chunks]
                t = time.perf_counter()
                vectors = self.embedder.embed_documents(texts), self.embedder.sparse_documents(texts)
                self._add_stages({"embed": time.perf_counter() - t})
            dense, sparse = vectors
            t = time.perf_counter()
            self.store.upsert(
                [
                    Point(
                        id=point_id(doc_id, version, c.index),
                        dense=dense[i],
                        sparse=sparse[i],
                        payload=chunk_payload(c)
                        | prep.meta
                        | {
                            "doc_id": doc_id,
                            "version": version,
                            "set": set_name,
                            "groups": src.groups,
                            "section": c.section,
                            "kind": c.kind,
                            "text": c.text,
                            "chunk_index": c.index,
                            "title": Path(src.key).name,
                            "path": src.key,
                            "encoder": self.embedder.encoder_id,
                            "active": False,  # not searchable until the switch below
                        },
                    )
                    for i, c in enumerate(prep.chunks)
                ]
            )
            # The switch. The database says which version is current, and retrieval only keeps
            # passages of that version (app.visibility.current_passages): so from here until the
            # database switches, the old version is the one answered from, and after it the new
            # one, whatever step a crash interrupts. Only then are the old points deleted.
            self.store.activate(doc_id, version, src.groups)
            stale = self.db.activate_version(
                doc_id,
                version,
                groups=src.groups,
                pages=prep.pages,
                ocr_pages=prep.ocr_pages,
                chunks=len(prep.chunks),
                original_path=str(original),
            )
            switched = True
            self.store.delete(doc_id=doc_id, except_version=version)
            self._changed(doc_id)
            self._add_stages({"upsert": time.perf_counter() - t})
            for old in stale:
                Path(old).unlink(missing_ok=True)
            self._tidy_originals(doc_id, str(original))  # copies of versions a crash left half-written
        except Exception as exc:
            rep.seconds = time.perf_counter() - t0
            if switched:  # the new version is current; what failed is clean-up the next run redoes
                rep.reason = f"indexed; clean-up failed ({type(exc).__name__}: {exc}), rerun to finish it"
                rep.version, rep.chunks = version, len(prep.chunks)
                return rep
            self.store.delete(doc_id=doc_id, version=version)
            self.db.abandon_version(doc_id, version)
            rep.status, rep.reason = "failed", f"indexing failed: {type(exc).__name__}: {exc}"
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

    def _stage(self, key: str, stage: str) -> None:
        if self._on_stage is not None:
            self._on_stage(key, stage)

    def _stage_of(self, src: Source) -> StageSink | None:
        """The stage sink of one file partitioned in this process (the worker reports its path)."""
        return None if self._on_stage is None else (lambda _path, stage: self._stage(src.key, stage))

    def _add_stages(self, timings: dict[str, float]) -> None:
        for k, v in timings.items():
            self.stages[k] = self.stages.get(k, 0.0) + v


def interrupt_dead_runs(db: Database) -> list[int]:
    """Mark runs whose process (on this host) is gone 'interrupted'; returns their ids."""
    host = socket.gethostname()
    dead = [r for r in db.list_runs("running") if run_is_dead(r.args or {}, host, pid_alive)]
    for run in dead:
        db.finish_run(run.id, run.counts or {}, "interrupted")
    return [r.id for r in dead]
