"""Ingestion end to end on real stores (Qdrant Edge, SQLite), the real model and the real partitioner."""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from app.access import add_user, user_groups
from app.retrieve import search
from eval.leaks import KILL_POINTS, KillAt, Killed
from ingest.pipeline import FileReport, discover, doc_id_for, file_sha256, pipeline_signature, point_id
from tests.conftest import SHARED_DATA

HANDBOOK = """# Parental leave

Employees receive 20 weeks of fully paid parental leave after six months of service.
Requests go to the HR business partner at least eight weeks before the leave starts.
"""

SALARIES = "level,band_min_eur,band_max_eur\nSenior engineer,72000,91000\nStaff engineer,90000,112000\n"

ACL = """default: [everyone]
rules:
  - match: "hr/salary-*"
    groups: [hr]
"""


def make_set(root: Path) -> Path:
    (root / "hr").mkdir(parents=True)
    (root / "acl.yaml").write_text(ACL)
    (root / "hr" / "handbook.md").write_text(HANDBOOK)
    (root / "hr" / "salary-bands.csv").write_text(SALARIES)
    (root / "it.txt").write_text(
        "The VPN gateway is vpn.example.test and requires MFA with a hardware key.\n"
    )
    return root


def by_path(files: list[FileReport]) -> dict[str, FileReport]:
    return {f.path: f for f in files}


def point_keys(svc) -> list[tuple[str, int, int]]:
    return [
        (p["doc_id"], p["version"], p["chunk_index"])
        for _, p in svc.store.iter_payloads(fields=["doc_id", "version", "chunk_index"])
    ]


@pytest.mark.integration
def test_ingest_applies_manifest_and_indexes_every_file(svc, tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    report = svc.ingestor.ingest([docs], set_name="demo")
    files = by_path(report.files)
    assert set(files) == {"hr/handbook.md", "hr/salary-bands.csv", "it.txt"}  # acl.yaml is not a document
    assert all(f.status == "indexed" for f in files.values()), report.files
    assert files["hr/salary-bands.csv"].groups == ["hr"]
    assert files["hr/handbook.md"].groups == ["everyone"]
    assert svc.store.count() == sum(f.chunks for f in files.values())
    payloads = [p for _, p in svc.store.iter_payloads()]
    assert {tuple(p["groups"]) for p in payloads if p["path"] == "hr/salary-bands.csv"} == {("hr",)}
    table = next(p for p in payloads if p["path"] == "hr/salary-bands.csv")
    assert table["kind"] == "table" and "Senior engineer" in table["text"] and "level" in table["text"]
    docs_rows = svc.db.list_documents("demo")
    assert {d.path: d.group_names for d in docs_rows}["hr/salary-bands.csv"] == ["hr"]
    run = svc.db.get_run(report.run_id)
    assert run.status == "done" and len(run.results) == 3


@pytest.mark.integration
def test_permissions_hold_in_search(svc, tmp_path: Path) -> None:
    svc.ingestor.ingest([make_set(tmp_path / "set")], set_name="demo")
    add_user(svc.db, "alice", "password-a", ["everyone", "hr"], ["employee"])
    add_user(svc.db, "dave", "password-d", ["everyone"], ["employee"])
    q = "salary band for a senior engineer"
    alice = search(svc.store, svc.embedder, q, user_groups(svc.db, "alice"))
    dave = search(svc.store, svc.embedder, q, user_groups(svc.db, "dave"))
    assert alice[0].payload["path"] == "hr/salary-bands.csv"
    assert dave and all(p.payload["path"] != "hr/salary-bands.csv" for p in dave)
    assert search(svc.store, svc.embedder, q, user_groups(svc.db, "nobody")) == []


@pytest.mark.integration
def test_reingest_is_idempotent(svc, tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    first = svc.ingestor.ingest([docs], set_name="demo")
    keys = point_keys(svc)
    second = svc.ingestor.ingest([docs], set_name="demo")
    assert [f.status for f in second.files] == ["unchanged"] * 3
    assert sorted(point_keys(svc)) == sorted(keys)
    assert not [k for k, n in Counter(point_keys(svc)).items() if n > 1]
    assert [f.chunks for f in second.files] == [f.chunks for f in first.files]


@pytest.mark.integration
def test_changed_file_switches_version_cleanly(svc, tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    svc.ingestor.ingest([docs], set_name="demo")
    doc = svc.db.find_document("demo", "hr/handbook.md")
    old_original = Path(doc.active.original_path)
    assert old_original.is_file()
    (docs / "hr" / "handbook.md").write_text(HANDBOOK.replace("20 weeks", "26 weeks"))
    report = by_path(svc.ingestor.ingest([docs], set_name="demo").files)
    assert report["hr/handbook.md"].status == "indexed" and report["hr/handbook.md"].version == 2
    assert report["it.txt"].status == "unchanged"
    assert {v for (d, v) in svc.store.version_counts() if d == doc.doc_id} == {2}
    texts = [p["text"] for _, p in svc.store.iter_payloads(doc_id=doc.doc_id)]
    assert any("26 weeks" in t for t in texts) and not any("20 weeks" in t for t in texts)
    assert not old_original.exists()
    assert svc.db.find_document("demo", "hr/handbook.md").current_version == 2


class FailingUpsertStore:
    """Fault injection for tests: wraps the real store and fails upserts after writing half the points."""

    def __init__(self, store) -> None:
        self._store = store

    def upsert(self, points) -> None:
        self._store.upsert(points[: len(points) // 2 or 1])
        raise OSError("disk full (injected)")

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._store, name)


@pytest.mark.integration
def test_failed_write_keeps_old_version_answerable_and_rerun_repairs(svc, tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    svc.ingestor.ingest([docs], set_name="demo")
    doc = svc.db.find_document("demo", "hr/handbook.md")
    v1_points = svc.store.count(doc_id=doc.doc_id, version=1)
    (docs / "hr" / "handbook.md").write_text(HANDBOOK.replace("20 weeks", "26 weeks"))

    real_store = svc.ingestor.store
    svc.ingestor.store = FailingUpsertStore(real_store)
    report = by_path(svc.ingestor.ingest([docs], set_name="demo").files)
    svc.ingestor.store = real_store
    assert report["hr/handbook.md"].status == "failed" and "disk full" in report["hr/handbook.md"].reason
    assert svc.store.count(doc_id=doc.doc_id) == v1_points  # old version intact, partial new one gone
    assert svc.db.find_document("demo", "hr/handbook.md").current_version == 1
    hits = search(svc.store, svc.embedder, "parental leave weeks", ["everyone"])
    assert any("20 weeks" in h.payload["text"] for h in hits)

    report = by_path(svc.ingestor.ingest([docs], set_name="demo").files)
    assert report["hr/handbook.md"].status == "indexed"
    assert {v for (d, v) in svc.store.version_counts() if d == doc.doc_id} == {
        report["hr/handbook.md"].version
    }


@pytest.mark.integration
def test_crash_between_write_and_switch_is_repaired_by_rerun(svc, tmp_path: Path) -> None:
    """A process killed after writing a new version's points but before switching leaves orphans."""
    from app.store import Point, SparseVec
    from ingest.pipeline import point_id

    docs = make_set(tmp_path / "set")
    svc.ingestor.ingest([docs], set_name="demo")
    doc = svc.db.find_document("demo", "it.txt")
    payload = {"doc_id": doc.doc_id, "version": 7, "groups": ["everyone"], "text": "orphan"}
    orphan = Point(point_id(doc.doc_id, 7, 0), [0.1] * 384, SparseVec([1], [1.0]), payload)
    svc.store.upsert([orphan])
    report = by_path(svc.ingestor.ingest([docs], set_name="demo").files)
    assert report["it.txt"].status == "unchanged"
    assert {v for (d, v) in svc.store.version_counts() if d == doc.doc_id} == {1}


# (where the kill lands, the store or the database; the version retrieval must see afterwards)
VERSION_AFTER = {"old": 1, "new": 2}


@pytest.mark.integration
@pytest.mark.parametrize(("target", "method", "after", "answers"), KILL_POINTS)
def test_a_reingest_killed_at_any_step_leaves_exactly_one_version_answerable(
    svc,
    tmp_path: Path,
    target: str,
    method: str,
    after: bool,
    answers: str,
) -> None:
    expect = VERSION_AFTER[answers]
    docs = tmp_path / "set"
    (docs / "hr").mkdir(parents=True)
    (docs / "hr" / "handbook.md").write_text(HANDBOOK)
    svc.ingestor.ingest([docs], set_name="demo", groups=["everyone"])
    doc = svc.db.find_document("demo", "hr/handbook.md")
    (docs / "hr" / "handbook.md").write_text(HANDBOOK.replace("20 weeks", "26 weeks"))
    ingestor = svc.ingestor
    real = getattr(ingestor, target)
    setattr(ingestor, target, KillAt(real, method, after=after))
    with pytest.raises(Killed):  # the process dies: nothing in the product handles it
        ingestor.ingest([docs], set_name="demo", groups=["everyone"])
    setattr(ingestor, target, real)

    answerer = svc.answerer("extractive")
    for question in ("How many weeks of parental leave do employees receive?", "parental leave weeks"):
        seen = {
            p.payload["version"]
            for p in answerer.ask(question, ["everyone"]).retrieved
            if p.doc_id == doc.doc_id
        }
        assert seen == {expect}, (question, seen)
    assert svc.db.get_document(doc.doc_id).current_version == expect
    # and a rerun repairs whatever was left behind
    svc.ingestor.ingest([docs], set_name="demo", groups=["everyone"])
    (current,) = {v for (d, v) in svc.store.version_counts() if d == doc.doc_id}
    assert current == svc.db.get_document(doc.doc_id).current_version


@pytest.mark.integration
def test_new_groups_apply_even_when_the_new_content_fails_to_ingest(svc, tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    svc.ingestor.ingest([docs], set_name="demo")
    doc = svc.db.find_document("demo", "hr/handbook.md")
    assert search(svc.store, svc.embedder, "parental leave weeks", ["everyone"])[0].doc_id == doc.doc_id
    (docs / "acl.yaml").write_text(ACL + '  - match: "hr/handbook.md"\n    groups: [hr]\n')
    (docs / "hr" / "handbook.md").write_text(HANDBOOK.replace("20 weeks", "26 weeks"))
    real_store = svc.ingestor.store
    svc.ingestor.store = FailingUpsertStore(real_store)
    report = by_path(svc.ingestor.ingest([docs], set_name="demo").files)
    svc.ingestor.store = real_store
    assert report["hr/handbook.md"].status == "failed"
    assert svc.db.get_document(doc.doc_id).group_names == ["hr"]
    everyone = svc.answerer("extractive").ask("How many weeks of parental leave?", ["everyone"])
    assert all(p.doc_id != doc.doc_id for p in everyone.retrieved) and "20 weeks" not in everyone.answer
    hr = svc.answerer("extractive").ask("How many weeks of parental leave?", ["hr"])
    assert "20 weeks" in hr.answer  # the old content, under its new groups


@pytest.mark.integration
def test_prune_removes_documents_gone_from_the_set(svc, tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    svc.ingestor.ingest([docs], set_name="demo")
    doc = svc.db.find_document("demo", "it.txt")
    original = Path(doc.active.original_path)
    (docs / "it.txt").unlink()
    report = by_path(svc.ingestor.ingest([docs], set_name="demo", prune=True).files)
    assert report["it.txt"].status == "removed"
    assert svc.store.count(doc_id=doc.doc_id) == 0
    assert svc.db.find_document("demo", "it.txt") is None
    assert not original.exists()
    assert svc.store.count() == sum(f.chunks for f in report.values() if f.status != "removed")


@pytest.mark.integration
def test_set_groups_updates_payloads_without_reembedding(svc, tmp_path: Path) -> None:
    svc.ingestor.ingest([make_set(tmp_path / "set")], set_name="demo")
    doc = svc.db.find_document("demo", "hr/salary-bands.csv")
    before = {i: p["text"] for i, p in svc.store.iter_payloads(doc_id=doc.doc_id)}
    svc.ingestor.set_groups(doc.doc_id, ["finance", "hr"])
    after = dict(svc.store.iter_payloads(doc_id=doc.doc_id))
    assert set(after) == set(before)  # same points, same ids: nothing re-embedded
    assert all(p["groups"] == ["finance", "hr"] for p in after.values())
    assert svc.db.get_document(doc.doc_id).group_names == ["finance", "hr"]
    assert (
        search(svc.store, svc.embedder, "salary band senior engineer", ["finance"])[0].payload["doc_id"]
        == doc.doc_id
    )


@pytest.mark.integration
def test_bad_inputs_each_get_a_status_and_the_batch_goes_on(svc, tmp_path: Path) -> None:
    d = tmp_path / "bad"
    d.mkdir()
    (d / "empty.pdf").write_bytes(b"")
    (d / "blank.txt").write_text("   \n\t\n")
    (d / "big.txt").write_text("word " * 300_000)
    (d / "lies.pdf").write_text("This is plain text pretending to be a PDF. It mentions the cafeteria menu.")
    (d / "blob.bin").write_bytes(os.urandom(4096))
    (d / "ok.md").write_text(HANDBOOK)
    os.mkfifo(d / "pipe.txt")
    (d / "dangling.txt").symlink_to(d / "nowhere.txt")
    svc.settings.max_file_mb = 1.0
    report = svc.ingestor.ingest([d, tmp_path / "missing.pdf"], set_name="bad")
    files = by_path(report.files)
    status = {k: v.status for k, v in files.items()}
    assert status["empty.pdf"] == "empty"
    assert status["blank.txt"] == "empty"
    assert status["big.txt"] == "too-large" and "MB limit" in files["big.txt"].reason
    assert status["lies.pdf"] == "indexed"  # content is sniffed, not the extension
    assert status["blob.bin"] == "unsupported"
    assert status["ok.md"] == "indexed"
    assert status["pipe.txt"] == "failed" and files["pipe.txt"].reason == "not a regular file"
    assert status["dangling.txt"] == "failed"
    assert status[str(tmp_path / "missing.pdf")] == "failed" and files[str(tmp_path / "missing.pdf")].reason
    assert all(f.reason for f in files.values() if f.status not in ("indexed", "unchanged"))
    assert report.failed


@pytest.mark.integration
def test_worker_pool_ingests_like_inline(svc, tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    svc.settings.ingest_workers = 2
    report = svc.ingestor.ingest([docs], set_name="demo")
    assert [f.status for f in report.files] == ["indexed"] * 3
    assert report.stages.get("partition", 0) > 0 and report.stages.get("embed", 0) > 0


@pytest.mark.integration
@pytest.mark.parametrize("workers", [0, 2])
def test_every_file_reports_its_stages_in_order_under_its_report_path(
    svc, tmp_path: Path, workers: int
) -> None:
    """What the CLI's and the admin page's progress line is made of: each file goes parse → chunk →
    embed → write (a scanned page adds "ocr page N"), reported under the path its report gives."""
    docs = make_set(tmp_path / "set")
    scan = SHARED_DATA / "messy" / "scanned" / "ocr_test.pdf"
    (docs / "scan.pdf").write_bytes(scan.read_bytes())
    svc.settings.ingest_workers = workers
    stages: dict[str, list[str]] = {}
    report = svc.ingestor.ingest(
        [docs],
        set_name="s",
        groups=["everyone"],
        on_stage=lambda key, st: stages.setdefault(key, []).append(st),
    )
    assert [f.status for f in report.files] == ["indexed"] * 4
    assert set(stages) == {f.path for f in report.files}
    for key, seen in stages.items():
        plain = [s for s in seen if not s.startswith("ocr page ")]
        assert plain == ["parse", "chunk", "embed", "write"], (key, seen)
    assert "ocr page 1" in stages["scan.pdf"]
    assert not any(s.startswith("ocr") for k, seen in stages.items() if k != "scan.pdf" for s in seen)


@pytest.mark.integration
def test_a_file_waiting_behind_another_in_a_worker_is_not_timed_out_for_the_wait(tmp_path: Path) -> None:
    """Each worker holds a second file queued: its clock starts when the worker starts it. Two files
    of 3 s each through one worker, 4.5 s allowed per file: both finish (counting from the queueing,
    the second would have taken 6 s)."""
    import threading

    from ingest.pipeline import Source, _pool_map
    from ingest.worker import WorkerOptions
    from tests.ingest.slow_work import sleep_for_file

    todo = []
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("3")
        todo.append((Source(tmp_path / name, name, ["everyone"]), "digest", 0.0))
    starved = threading.Event()
    starved.set()  # both files go to the one worker at once
    stages: list[tuple[str, str]] = []
    done = list(
        _pool_map(todo, WorkerOptions(), 1, 4.5, starved, lambda k, s: stages.append((k, s)), sleep_for_file)
    )
    assert sorted((item[0].key, prepared.reason) for item, prepared in done) == [
        ("a.txt", "slept"),
        ("b.txt", "slept"),
    ]
    assert stages == [("a.txt", "parse"), ("b.txt", "parse")]


@pytest.mark.unit
def test_content_hash_identity_and_signature(tmp_path: Path) -> None:
    from app.settings import Settings

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    assert file_sha256(a) == file_sha256(b) == hashlib.sha256(b"same bytes").hexdigest()
    b.write_bytes(b"same bytes!")
    assert file_sha256(a) != file_sha256(b)
    assert doc_id_for("s", "x/a.pdf") == doc_id_for("s", "x/a.pdf") != doc_id_for("t", "x/a.pdf")
    assert point_id("d", 1, 0) != point_id("d", 2, 0)
    base = Settings(data_dir=tmp_path)
    assert pipeline_signature(base) == pipeline_signature(Settings(data_dir=tmp_path / "other"))
    assert pipeline_signature(base) != pipeline_signature(Settings(data_dir=tmp_path, chunk_tokens=128))


@pytest.mark.unit
def test_discover_resolves_groups_by_precedence(tmp_path: Path) -> None:
    docs = make_set(tmp_path / "set")
    (docs / "README.md").write_text("not a document")
    (docs / "acl.yaml").write_text(ACL + "ignore: [README.md]\n")
    sources, problems = discover([docs], None, ["fallback"])
    assert problems == []
    groups = {s.key: s.groups for s in sources}
    assert groups == {"hr/handbook.md": ["everyone"], "hr/salary-bands.csv": ["hr"], "it.txt": ["everyone"]}
    sources, _ = discover([docs], ["legal"], ["fallback"])
    assert {tuple(s.groups) for s in sources} == {("legal",)}
    (docs / "acl.yaml").unlink()
    sources, _ = discover([docs], None, [])
    assert all(s.groups == [] and "readable by nobody" in s.acl_note for s in sources)
    sources, _ = discover([docs / "it.txt"], None, ["fallback"])
    assert [(s.key, s.groups) for s in sources] == [("it.txt", ["fallback"])]


@pytest.mark.integration
@pytest.mark.slow
def test_whole_messy_folder_in_one_batch(svc) -> None:
    """66 real-world files, broken ones included, through the worker pool: one status per file,
    nothing stops the batch, everything that could be read is searchable."""
    from tests.conftest import SHARED_DATA

    messy = SHARED_DATA / "messy"
    svc.settings.ingest_workers = 2
    report = svc.ingestor.ingest([messy], set_name="messy")
    files = by_path(report.files)
    on_disk = {p.relative_to(messy).as_posix() for p in messy.rglob("*") if p.is_file()}
    assert set(files) == on_disk and len(report.files) == len(on_disk)
    for key, f in files.items():
        if key.split("/")[0] in ("pdf", "scanned", "web", "email"):
            assert f.status == "indexed", (key, f.status, f.reason)
        if f.status != "indexed":
            assert f.reason, key
    assert files["protected/r6-user-password.pdf"].status == "failed"
    assert "password" in files["protected/r6-user-password.pdf"].reason
    assert files["protected/r4-owner-password.pdf"].status == "indexed"
    assert files["broken/empty.pdf"].status == files["broken/empty.txt"].status == "empty"
    assert files["broken/eng_spa_mult.doc"].status == "indexed"  # really a .docx
    assert files["broken/fake-email.txt"].status == "indexed"  # really an email
    assert all(files[f"scanned/{n}.pdf"].ocr_pages >= 1 for n in ("linn", "skew", "rotated_skew", "cardinal"))
    indexed = [f for f in report.files if f.status == "indexed"]
    assert len(indexed) >= 50
    assert svc.store.count() == sum(f.chunks for f in indexed)
    per_doc = {d for (d, _v) in svc.store.version_counts()}
    assert per_doc == {f.doc_id for f in indexed}
    # table chunks carry their header row, in every chunk of the table (WARN's table spans 14 pages;
    # its pages 15-16 hold a different summary table)
    warn = "pdf/WARN-Report-for-7-1-2015-to-03-25-2016.pdf"
    for name, header_cell, last_page in [("pdf/foo.pdf", "Cycle Name", 99), (warn, "Company", 14)]:
        payloads = [p for _, p in svc.store.iter_payloads(doc_id=files[name].doc_id) if p["kind"] == "table"]
        headers = [p["text"].split("\n| ---")[0] for p in payloads if p["page_start"] <= last_page]
        assert len(headers) >= 2 and all(header_cell in h for h in headers), name


@pytest.mark.integration
def test_two_data_dirs_never_interfere(tmp_path: Path, embedder) -> None:
    from app.services import Services
    from app.settings import Settings

    a_docs, b_docs = tmp_path / "a_docs", tmp_path / "b_docs"
    a_docs.mkdir()
    b_docs.mkdir()
    (a_docs / "a.txt").write_text("Alpha office is in Munich.")
    (b_docs / "b.txt").write_text("Beta office is in Leipzig.")
    a = Services(Settings(data_dir=tmp_path / "A", ingest_workers=0), embedder=embedder)
    b = Services(Settings(data_dir=tmp_path / "B", ingest_workers=0), embedder=embedder)
    try:  # both open at once: separate databases, separate embedded stores
        a.ingestor.ingest([a_docs], set_name="s", groups=["everyone"])
        b.ingestor.ingest([b_docs], set_name="s", groups=["everyone"])
        assert [d.path for d in a.db.list_documents()] == ["a.txt"]
        assert [d.path for d in b.db.list_documents()] == ["b.txt"]
        assert {p["path"] for _, p in a.store.iter_payloads()} == {"a.txt"}
        assert {p["path"] for _, p in b.store.iter_payloads()} == {"b.txt"}
    finally:
        a.close()
        b.close()


TOPICS = {
    "vpn.txt": "The VPN gateway is vpn.example.test and requires MFA with a hardware key.",
    "leave.txt": "Employees receive 20 weeks of fully paid parental leave after six months of service.",
    "parking.txt": "The car park under building B closes at 22:00 on weekdays and is shut on Sundays.",
    "lunch.txt": "The canteen serves a vegetarian lunch menu every day between 11:30 and 14:00.",
    "laptops.txt": "New laptops are ordered through the IT service desk and arrive within ten days.",
    "travel.txt": "Train travel is booked in second class; first class needs a manager's approval.",
    "bonus.txt": "The annual bonus pool is 4.5 percent of payroll and is paid out every March.",
    "badges.txt": "Lost access badges are replaced at the reception desk for a fee of ten euros.",
}
QUERIES = ["hardware key for remote access", "weeks of parental leave", "when does the car park close"]


@pytest.mark.integration
@pytest.mark.parametrize("workers", [0, 1])
def test_batched_embedding_matches_per_file_and_reports_every_file(
    svc,
    embedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    """Files embedded together (one encoder call for several files) give the points, payloads and
    search hits of embedding each file alone, and progress still arrives file by file."""
    import ingest.pipeline as pipeline
    from app.services import Services
    from app.settings import Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TOPICS.items():
        (docs / name).write_text(text + "\n")
    events: list[tuple[str, object]] = []
    real_embed = embedder.embed_documents

    def embed(texts):
        events.append(("embed", len(texts)))
        return real_embed(texts)

    monkeypatch.setattr(embedder, "embed_documents", embed)
    monkeypatch.setattr(pipeline, "EMBED_WAIT_S", 60.0)  # inline: batch by chunks only
    svc.settings.ingest_workers = workers
    batched = svc.ingestor.ingest(
        [docs], set_name="s", groups=["everyone"], on_file=lambda r: events.append(("file", r.path))
    )
    embeds = [n for kind, n in events if kind == "embed"]
    reported = [path for kind, path in events if kind == "file"]
    assert sorted(reported) == sorted(TOPICS) and len(reported) == len(TOPICS)  # each file once
    assert sum(embeds) == len(TOPICS)  # one chunk per file, each embedded once
    if workers == 0:  # files partitioned in this process are batched up to EMBED_BATCH_CHUNKS
        assert embeds == [len(TOPICS)]

    monkeypatch.setattr(pipeline, "EMBED_BATCH_CHUNKS", 1)  # one file per encoder call
    events.clear()
    alone = Services(Settings(data_dir=tmp_path / "alone", ingest_workers=0), embedder=embedder)
    try:
        single = alone.ingestor.ingest([docs], set_name="s", groups=["everyone"])
        assert [n for kind, n in events if kind == "embed"] == [1] * len(TOPICS)
        assert sorted((f.path, f.status, f.chunks) for f in single.files) == sorted(
            (f.path, f.status, f.chunks) for f in batched.files
        )
        assert dict(alone.store.iter_payloads()) == dict(svc.store.iter_payloads())  # same ids, payloads
        for q in QUERIES:
            got = search(svc.store, embedder, q, ["everyone"], limit=3)
            want = search(alone.store, embedder, q, ["everyone"], limit=3)
            assert [h.id for h in got] == [h.id for h in want], q
            # not bit-equal: the int8 encoder quantises activations per batch (fp32 would be)
            assert [h.dense_score or 0.0 for h in got] == pytest.approx(
                [h.dense_score or 0.0 for h in want], abs=0.03
            ), q
    finally:
        alone.close()


@pytest.mark.integration
def test_progress_is_not_held_back_by_a_batch(svc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slow partitioning: batches close after EMBED_WAIT_S, so files are reported while later ones
    are still being partitioned, not once all are."""
    import ingest.pipeline as pipeline

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TOPICS.items():
        (docs / name).write_text(text + "\n")
    events: list[str] = []
    real_prepare = pipeline.prepare_file

    def slow_prepare(path: str, opts, on_stage=None):
        events.append("partition")
        time.sleep(0.2)
        return real_prepare(path, opts, on_stage)

    monkeypatch.setattr(pipeline, "prepare_file", slow_prepare)
    monkeypatch.setattr(pipeline, "EMBED_WAIT_S", 0.3)
    svc.ingestor.ingest([docs], set_name="s", groups=["everyone"], on_file=lambda r: events.append("file"))
    assert events.count("file") == events.count("partition") == len(TOPICS)
    last_partition = len(events) - 1 - events[::-1].index("partition")
    assert events.index("file") < last_partition
