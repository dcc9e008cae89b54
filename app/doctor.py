"""`docqa doctor`: is the database consistent with the vector store, and what did a crash leave?

Three parts:

- :func:`diagnose` - pure: from :class:`Facts` (documents and their versions, ingest runs and
  verified answers from the database; per point its doc_id, version, chunk and groups from the store;
  the kept original files on disk) it returns :class:`Finding` s. Tested on hand-made facts.
- :func:`gather` - reads those facts through app/db/ and app/store/.
- :func:`repair` - fixes what it can through the same modules: deletes orphan and duplicate points,
  abandons half-written versions, marks dead runs interrupted, re-syncs point groups from the
  database (the source of truth for access), deletes unreferenced kept originals, and re-indexes a
  document whose active version lost points, or was embedded by another encoder than the configured
  one, from its kept original (or marks it for the next ingest).

The expected state is the one the pipeline promises between runs: each document has exactly one
active version (``current_version``), all of whose chunks ``0..chunks-1`` are in the store once, with
the document's groups, and no other points; no version is still "writing"; no run of a dead process
is still "running".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.processes import pid_alive, run_is_dead

if TYPE_CHECKING:
    from app.db import Database
    from app.services import Services
    from app.store import VectorStore

# Finding kinds, in the order a repair handles them.
KINDS = {
    "half_written": "a version whose writing never finished",
    "stale_run": "an ingest run whose process is gone, still marked running",
    "orphan_points": "points of no active version (superseded, half-written or unknown document)",
    "duplicate_points": "the same chunk stored more than once",
    "several_active": "more than one version marked active",
    "stale_groups": "points whose groups differ from the database (who may read them)",
    "other_encoder": "points embedded by another encoder than DOCQA_EMBED_BACKEND (not comparable)",
    "missing_chunks": "the active version lacks some of its points",
    "unanswerable": "a document with no answerable version",
    "missing_original": "the kept copy of the active version is gone from disk",
    "orphan_original": "a kept copy no version refers to",
}


# -- facts ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionFact:
    version: int
    state: str  # writing | active | superseded
    chunks: int = 0
    original_path: str = ""


@dataclass(frozen=True)
class DocFact:
    doc_id: str
    path: str  # "<set>/<path within the set>", for messages
    current_version: int | None
    groups: tuple[str, ...] = ()
    versions: tuple[VersionFact, ...] = ()


@dataclass(frozen=True)
class RunFact:
    run_id: int
    status: str
    dead: bool  # its process is known to be gone


@dataclass(frozen=True)
class PointFact:
    id: str
    doc_id: str | None
    version: int | None
    chunk: int | None
    groups: tuple[str, ...] = ()
    encoder: str = ""  # the "encoder" payload: which model embedded it


@dataclass
class Facts:
    documents: list[DocFact] = field(default_factory=list)
    points: list[PointFact] = field(default_factory=list)
    runs: list[RunFact] = field(default_factory=list)
    verified: dict[str, tuple[str, ...]] = field(default_factory=dict)  # doc_id -> groups
    original_files: set[str] = field(default_factory=set)  # every file under <data_dir>/originals
    encoder: str = ""  # the encoder queries use (DOCQA_EMBED_BACKEND); "" = not checked


@dataclass
class Finding:
    kind: str
    message: str
    doc_id: str | None = None
    version: int | None = None
    point_ids: list[str] = field(default_factory=list)
    run_id: int | None = None
    file: str | None = None
    repaired: str = ""  # what a repair did, if anything

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["points"] = len(d.pop("point_ids"))
        return d


# -- the pure part -------------------------------------------------------------------------------
def _ranges(numbers: Iterable[int]) -> str:
    nums = sorted(set(numbers))
    parts: list[str] = []
    start = prev = None
    for n in [*nums, None]:
        if start is not None and (n is None or n != prev + 1):
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return ", ".join(parts)


def diagnose(facts: Facts) -> list[Finding]:
    """Everything that differs from the consistent state (see the module docstring)."""
    findings: list[Finding] = []
    docs = {d.doc_id: d for d in facts.documents}
    by_doc: dict[str | None, list[PointFact]] = defaultdict(list)
    for p in facts.points:
        by_doc[p.doc_id].append(p)

    for run in facts.runs:
        if run.status == "running" and run.dead:
            findings.append(
                Finding("stale_run", f"ingest run {run.run_id} was killed and is still marked running",
                        run_id=run.run_id)
            )  # fmt: skip

    referenced: set[str] = set()
    for doc in facts.documents:
        versions = {v.version: v for v in doc.versions}
        active = versions.get(doc.current_version) if doc.current_version is not None else None
        for v in doc.versions:
            if v.original_path:
                referenced.add(v.original_path)
            if v.state == "writing":
                findings.append(
                    Finding("half_written", f"{doc.path}: version {v.version} was never finished",
                            doc_id=doc.doc_id, version=v.version)
                )  # fmt: skip
        actives = [v.version for v in doc.versions if v.state == "active"]
        if len(actives) > 1:
            findings.append(
                Finding("several_active", f"{doc.path}: versions {_ranges(actives)} are all marked active "
                        f"(current: {doc.current_version})", doc_id=doc.doc_id)
            )  # fmt: skip
        points = by_doc.get(doc.doc_id, [])
        if active is None:
            why = "never finished indexing" if doc.versions else "has no versions"
            if doc.current_version is not None:
                why = f"its current version {doc.current_version} does not exist"
            findings.append(Finding("unanswerable", f"{doc.path}: {why}", doc_id=doc.doc_id))
        else:
            if active.state != "active":
                findings.append(
                    Finding("several_active", f"{doc.path}: current version {active.version} is marked "
                            f"{active.state}", doc_id=doc.doc_id)
                )  # fmt: skip
            mine = [p for p in points if p.version == active.version]
            have = {p.chunk for p in mine if p.chunk is not None}
            missing = [i for i in range(active.chunks) if i not in have]
            if missing:
                findings.append(
                    Finding("missing_chunks" if have else "unanswerable",
                            f"{doc.path}: version {active.version} has {len(have)} of its {active.chunks} "
                            f"chunks in the store (missing {_ranges(missing)})",
                            doc_id=doc.doc_id, version=active.version)
                )  # fmt: skip
            if active.original_path and active.original_path not in facts.original_files:
                findings.append(
                    Finding("missing_original", f"{doc.path}: the kept copy of version {active.version} "
                            "is gone", doc_id=doc.doc_id, version=active.version,
                            file=active.original_path)
                )  # fmt: skip
            findings += _duplicates(doc.path, doc.doc_id, mine)
            extra = [p.id for p in mine if p.chunk is None or not 0 <= p.chunk < active.chunks]
            if extra:
                findings.append(
                    Finding("orphan_points", f"{doc.path}: {len(extra)} point(s) beyond the "
                            f"{active.chunks} chunks of version {active.version}", doc_id=doc.doc_id,
                            version=active.version, point_ids=extra)
                )  # fmt: skip
            wrong = [p.id for p in mine if p.groups != tuple(sorted(doc.groups))]
            if wrong:
                findings.append(
                    Finding("stale_groups", f"{doc.path}: {len(wrong)} point(s) readable by other groups "
                            f"than the database says ({', '.join(doc.groups) or 'none'})",
                            doc_id=doc.doc_id, point_ids=wrong)
                )  # fmt: skip
            findings += _other_encoder(doc.path, doc.doc_id, mine, facts.encoder)
        others: dict[int | None, list[str]] = defaultdict(list)
        for p in points:
            if active is None or p.version != active.version:
                others[p.version].append(p.id)
        for version, ids in sorted(others.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
            state = versions[version].state if version in versions else "unknown"
            findings.append(
                Finding("orphan_points", f"{doc.path}: {len(ids)} point(s) of version {version} ({state}), "
                        "which is not the active version", doc_id=doc.doc_id, version=version,
                        point_ids=ids)
            )  # fmt: skip

    for doc_id, groups in facts.verified.items():
        points = by_doc.get(doc_id, [])
        if not points:
            findings.append(Finding("missing_chunks", f"verified answer {doc_id}: its point is missing",
                                    doc_id=doc_id))  # fmt: skip
        elif len(points) > 1:
            findings.append(Finding("duplicate_points", f"verified answer {doc_id}: {len(points)} points",
                                    doc_id=doc_id, point_ids=[p.id for p in points[1:]]))  # fmt: skip
        wrong = [p.id for p in points if p.groups != tuple(sorted(groups))]
        if wrong:
            findings.append(
                Finding("stale_groups", f"verified answer {doc_id}: point readable by other groups than "
                        "the database says", doc_id=doc_id, point_ids=wrong)
            )  # fmt: skip
        findings += _other_encoder(f"verified answer {doc_id}", doc_id, points[:1], facts.encoder)

    for doc_id, points in by_doc.items():
        if doc_id not in docs and doc_id not in facts.verified:
            findings.append(
                Finding("orphan_points", f"{len(points)} point(s) of document {doc_id}, which the database "
                        "does not know", doc_id=doc_id, point_ids=[p.id for p in points])
            )  # fmt: skip

    for path in sorted(facts.original_files - referenced):
        findings.append(Finding("orphan_original", f"kept copy {path} belongs to no version", file=path))

    order = list(KINDS)
    return sorted(findings, key=lambda f: order.index(f.kind))


def _duplicates(label: str, doc_id: str, points: list[PointFact]) -> list[Finding]:
    """Points sharing a chunk number; the ones after the first are extra."""
    per_chunk: dict[int, list[str]] = defaultdict(list)
    for p in points:
        if p.chunk is not None:
            per_chunk[p.chunk].append(p.id)
    extra = [i for ids in per_chunk.values() for i in sorted(ids)[1:]]
    if not extra:
        return []
    chunks = [c for c, ids in per_chunk.items() if len(ids) > 1]
    return [
        Finding("duplicate_points", f"{label}: chunk(s) {_ranges(chunks)} stored more than once",
                doc_id=doc_id, version=points[0].version, point_ids=extra)
    ]  # fmt: skip


def _other_encoder(label: str, doc_id: str, points: list[PointFact], encoder: str) -> list[Finding]:
    """Points another model embedded: their similarities to a query embedded by ``encoder`` mean
    nothing (DOCQA_EMBED_BACKEND was changed after they were ingested)."""
    if not encoder:
        return []
    other = Counter(p.encoder for p in points if p.encoder != encoder)
    if not other:
        return []
    by = ", ".join(f"{n} by {eid}" for eid, n in sorted(other.items()))
    return [
        Finding("other_encoder", f"{label}: {sum(other.values())} point(s) embedded {by}, but queries "
                f"are embedded by {encoder}", doc_id=doc_id, version=points[0].version)
    ]  # fmt: skip


def summary(findings: list[Finding]) -> dict[str, int]:
    return dict(Counter(f.kind for f in findings))


# -- gathering -----------------------------------------------------------------------------------
def gather(
    db: Database, store: VectorStore, data_dir: Path, host: str | None = None, encoder: str = ""
) -> Facts:
    """The facts about ``db``, ``store`` and the kept originals under ``data_dir``; ``encoder``: the
    encoder id queries use, to find points another one embedded."""
    import socket

    from app.embeddings import ENCODER_IDS

    host = host or socket.gethostname()
    facts = Facts(encoder=encoder)
    for doc in db.list_documents():
        versions = tuple(
            VersionFact(v.version, v.state, v.chunks or 0, v.original_path or "") for v in doc.versions
        )
        facts.documents.append(
            DocFact(doc.doc_id, f"{doc.set.name}/{doc.path}", doc.current_version,
                    tuple(doc.group_names), versions)
        )  # fmt: skip
    for run in db.list_runs("running"):
        facts.runs.append(RunFact(run.id, run.status, run_is_dead(run.args or {}, host, pid_alive)))
    facts.verified = {r.doc_id: tuple(sorted(r.groups or [])) for r in db.list_verified_answers() if r.doc_id}
    fields = ["doc_id", "version", "chunk_index", "groups", "encoder"]
    for pid, payload in store.iter_payloads(fields=fields):
        version, chunk = payload.get("version"), payload.get("chunk_index")
        facts.points.append(
            PointFact(pid, payload.get("doc_id"), int(version) if version is not None else None,
                      int(chunk) if chunk is not None else None, tuple(sorted(payload.get("groups") or [])),
                      payload.get("encoder") or ENCODER_IDS["fp32"])  # points from before int8 are fp32
        )  # fmt: skip
    originals = data_dir / "originals"
    if originals.is_dir():
        facts.original_files = {str(p.resolve()) for p in originals.rglob("*") if p.is_file()}
    return facts


def live_runs(db: Database, host: str | None = None) -> list[int]:
    """Ingest runs marked running whose process is alive (or on another host): a repair now could
    abandon the version they are writing."""
    import socket

    host = host or socket.gethostname()
    return [r.id for r in db.list_runs("running") if not run_is_dead(r.args or {}, host, pid_alive)]


def check(svc: Services) -> list[Finding]:
    from app.embeddings import ENCODER_IDS

    encoder = ENCODER_IDS[svc.settings.embed_backend]  # from the settings: no model is loaded
    return diagnose(gather(svc.db, svc.store, svc.settings.data_dir, encoder=encoder))


# -- repair --------------------------------------------------------------------------------------
def repair(svc: Services, findings: list[Finding]) -> list[Finding]:
    """Fix ``findings`` (in :data:`KINDS` order); each gets ``repaired`` set to what was done."""
    db, store = svc.db, svc.store
    reindexed: dict[str, str] = {}  # doc_id -> what its re-index did
    for f in findings:
        if f.kind == "half_written" and f.doc_id and f.version is not None:
            store.delete(doc_id=f.doc_id, version=f.version)
            db.abandon_version(f.doc_id, f.version)
            f.repaired = "abandoned (its points and row deleted)"
        elif f.kind == "stale_run" and f.run_id is not None:
            run = db.get_run(f.run_id)
            db.finish_run(f.run_id, (run.counts if run else None) or {}, "interrupted")
            f.repaired = "marked interrupted"
        elif f.kind in ("orphan_points", "duplicate_points") and f.point_ids:
            store.delete_ids(f.point_ids)
            f.repaired = f"deleted {len(f.point_ids)} point(s)"
        elif f.kind == "several_active" and f.doc_id:
            n = db.settle_versions(f.doc_id)
            f.repaired = f"{n} version(s) marked superseded" if n else "left as is: re-ingest the document"
        elif f.kind == "stale_groups" and f.doc_id:
            _resync_groups(svc, f.doc_id)
            f.repaired = "groups copied from the database"
        elif f.kind == "orphan_original" and f.file:
            Path(f.file).unlink(missing_ok=True)
            f.repaired = "deleted"
        elif f.kind in ("other_encoder", "missing_chunks", "unanswerable", "missing_original") and f.doc_id:
            if f.doc_id in reindexed:  # one new version mends all of a document's findings
                f.repaired = reindexed[f.doc_id]
            else:
                f.repaired = reindexed[f.doc_id] = _reindex(svc, f.doc_id)
    return findings


def _resync_groups(svc: Services, doc_id: str) -> None:
    doc = svc.db.get_document(doc_id)
    if doc is not None:
        svc.store.set_groups(doc_id, doc.group_names)
        return
    verified = svc.db.get_verified_answers([doc_id])
    if verified:
        svc.store.set_groups(doc_id, list(verified[0].groups or []))


def _reindex(svc: Services, doc_id: str) -> str:
    """Index the document again from its kept copy; without one, have the next ingest do it."""
    if doc_id.startswith("verified-"):
        from app.verified import to_point

        rows = svc.db.get_verified_answers([doc_id])
        if not rows:
            return "nothing to do: the verified answer is gone"
        svc.store.upsert([to_point(rows[0], svc.embedder)])
        return "verified answer re-embedded"
    doc = svc.db.get_document(doc_id)
    if doc is None:
        return "nothing left to do (the document is gone)"
    if doc.active is None:
        if not any(v.state != "writing" for v in doc.versions):
            svc.store.delete(doc_id=doc_id)
            svc.db.delete_document(doc_id)
            return "removed (it was never indexed: ingest its file again)"
        return "left as is: ingest its file again"
    try:
        report = svc.ingestor.reindex_original(doc_id)
    except KeyError:
        svc.db.mark_for_reindex(doc_id)
        return "the next `docqa ingest` of its folder re-indexes it (no kept copy to index from)"
    if report.status != "indexed":
        return f"re-indexing failed: {report.reason}"
    return f"re-indexed from its kept copy as version {report.version}"
