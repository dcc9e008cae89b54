"""`docqa doctor`: findings from hand-made facts (unit), and gather + repair on real stores (integration)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.doctor import DocFact, Facts, PointFact, RunFact, VersionFact, diagnose
from app.processes import run_is_dead

HR = ("hr",)


def doc(doc_id: str = "d1", current: int | None = 2, *versions: VersionFact, groups: tuple = HR) -> DocFact:
    versions = versions or (VersionFact(1, "superseded"), VersionFact(2, "active", 3, f"/o/{doc_id}/v2.md"))
    return DocFact(doc_id, f"s/{doc_id}.md", current, groups, tuple(versions))


def points(doc_id: str, version: int, chunks: range | list[int], groups: tuple = HR) -> list[PointFact]:
    return [PointFact(f"{doc_id}-{version}-{i}", doc_id, version, i, groups) for i in chunks]


def consistent() -> Facts:
    return Facts([doc()], points("d1", 2, range(3)), [RunFact(1, "done", True)], {}, {"/o/d1/v2.md"})


def kinds(facts: Facts) -> list[str]:
    return [f.kind for f in diagnose(facts)]


@pytest.mark.unit
def test_a_consistent_state_has_no_findings() -> None:
    assert diagnose(consistent()) == []


@pytest.mark.unit
def test_points_of_a_superseded_version_are_orphans_and_named() -> None:
    facts = consistent()
    facts.points += points("d1", 1, range(2))
    [f] = diagnose(facts)
    assert f.kind == "orphan_points" and f.version == 1 and len(f.point_ids) == 2
    assert "s/d1.md" in f.message and "superseded" in f.message


@pytest.mark.unit
def test_points_of_an_unknown_document_are_orphans() -> None:
    facts = consistent()
    facts.points += points("ghost", 1, range(4))
    [f] = diagnose(facts)
    assert f.kind == "orphan_points" and f.doc_id == "ghost" and len(f.point_ids) == 4


@pytest.mark.unit
def test_missing_chunks_are_listed_as_ranges() -> None:
    facts = consistent()
    facts.points = points("d1", 2, [0])
    [f] = diagnose(facts)
    assert f.kind == "missing_chunks" and "1 of its 3" in f.message and "missing 1-2" in f.message


@pytest.mark.unit
def test_an_active_version_without_any_points_is_unanswerable() -> None:
    facts = consistent()
    facts.points = []
    assert kinds(facts) == ["unanswerable"]


@pytest.mark.unit
def test_a_chunk_stored_twice_is_a_duplicate_and_the_extra_point_is_named() -> None:
    facts = consistent()
    facts.points.append(PointFact("zz-extra", "d1", 2, 1, HR))
    [f] = diagnose(facts)
    assert f.kind == "duplicate_points" and f.point_ids == ["zz-extra"]


@pytest.mark.unit
def test_points_beyond_the_version_s_chunk_count_are_orphans() -> None:
    facts = consistent()
    facts.points += points("d1", 2, [3, 4])
    [f] = diagnose(facts)
    assert f.kind == "orphan_points" and f.version == 2 and len(f.point_ids) == 2


@pytest.mark.unit
def test_a_half_written_version_and_its_points() -> None:
    facts = consistent()
    facts.documents = [doc("d1", 2, VersionFact(2, "active", 3, "/o/d1/v2.md"), VersionFact(3, "writing"))]
    facts.points += points("d1", 3, range(1))
    assert kinds(facts) == ["half_written", "orphan_points"]


@pytest.mark.unit
def test_a_new_document_killed_while_writing_is_half_written_and_unanswerable() -> None:
    facts = consistent()
    facts.documents.append(doc("d2", None, VersionFact(1, "writing")))
    facts.points += points("d2", 1, range(2))
    assert sorted(kinds(facts)) == ["half_written", "orphan_points", "unanswerable"]


@pytest.mark.unit
def test_two_versions_marked_active() -> None:
    facts = consistent()
    facts.documents = [doc("d1", 2, VersionFact(1, "active"), VersionFact(2, "active", 3, "/o/d1/v2.md"))]
    [f] = diagnose(facts)
    assert f.kind == "several_active" and "1-2" in f.message


@pytest.mark.unit
def test_points_readable_by_other_groups_than_the_database_says() -> None:
    facts = consistent()
    facts.points[0] = PointFact("d1-2-0", "d1", 2, 0, ("everyone",))
    [f] = diagnose(facts)
    assert f.kind == "stale_groups" and f.point_ids == ["d1-2-0"]


@pytest.mark.unit
def test_only_runs_of_dead_processes_still_running_are_stale() -> None:
    facts = consistent()
    facts.runs = [RunFact(1, "running", True), RunFact(2, "running", False), RunFact(3, "interrupted", True)]
    [f] = diagnose(facts)
    assert f.kind == "stale_run" and f.run_id == 1


@pytest.mark.unit
def test_run_is_dead_by_pid_on_this_host_only() -> None:
    def alive(pid: object, created: object) -> bool:
        return pid == 10 and created in (None, 1000.0)

    assert run_is_dead({"pid": 11, "host": "me"}, "me", alive)
    assert not run_is_dead({"pid": 10, "host": "me"}, "me", alive)
    assert not run_is_dead({"pid": 10, "process_created": 1000.0, "host": "me"}, "me", alive)
    assert run_is_dead({"pid": 10, "process_created": 2000.0, "host": "me"}, "me", alive)  # pid reused
    assert not run_is_dead({"pid": 11, "host": "other"}, "me", alive)  # can't tell: leave it
    assert run_is_dead({}, "me", alive)  # recorded before runs had owners


@pytest.mark.unit
def test_kept_originals_missing_or_unreferenced() -> None:
    facts = consistent()
    facts.original_files = {"/o/d1/v1.md"}
    assert sorted(kinds(facts)) == ["missing_original", "orphan_original"]


@pytest.mark.unit
def test_verified_answers_are_not_orphans_but_must_have_their_point() -> None:
    facts = consistent()
    facts.verified = {"verified-1": ("hr",), "verified-2": ("hr",)}
    facts.points.append(PointFact("v1", "verified-1", 1, None, HR))
    [f] = diagnose(facts)
    assert f.kind == "missing_chunks" and f.doc_id == "verified-2"


@pytest.mark.unit
def test_points_of_another_encoder_are_named_once_per_document() -> None:
    facts = consistent()
    assert diagnose(facts) == []  # facts without an encoder to compare with are not checked
    facts.encoder = "int8-id"
    facts.points = [PointFact(p.id, p.doc_id, p.version, p.chunk, p.groups, "int8-id") for p in facts.points]
    assert diagnose(facts) == []
    facts.points[1] = PointFact("d1-2-1", "d1", 2, 1, HR, "fp32-id")
    facts.points[2] = PointFact("d1-2-2", "d1", 2, 2, HR, "fp32-id")
    [f] = diagnose(facts)
    assert (f.kind, f.doc_id, f.version) == ("other_encoder", "d1", 2)
    assert "2 point(s) embedded 2 by fp32-id" in f.message and "int8-id" in f.message


# -- real stores -------------------------------------------------------------------------------------
CORPUS = {
    "leave.md": "# Leave\n\nStaff get 28 days of annual leave, plus public holidays.\n",
    "bonus.md": "# Bonus\n\nThe 2026 bonus pool is 4.5 percent of payroll, paid in March.\n",
    "travel.md": "# Travel\n\nTrains are booked in second class; flights only beyond 600 km.\n",
}


@pytest.fixture
def indexed(svc, tmp_path: Path):
    from tests.conftest import write_docs

    root = write_docs(tmp_path / "corpus", CORPUS)
    svc.ingestor.ingest([root], set_name="s", groups=["hr"])
    return root


@pytest.mark.integration
def test_gather_and_repair_what_a_crash_leaves(svc, indexed: Path) -> None:
    from app.doctor import check, repair
    from app.store import Point
    from ingest.pipeline import point_id

    assert check(svc) == []
    db, store = svc.db, svc.store
    leave = db.find_document("s", "leave.md")
    bonus = db.find_document("s", "bonus.md")
    travel = db.find_document("s", "travel.md")
    # a half-written version 2 of leave.md, with one point and a kept copy
    v2 = db.begin_version(set_name="s", path="leave.md", doc_id=leave.doc_id, title="leave.md",
                          content_hash="x", pipeline_sig="y", size_bytes=1, file_type="md")  # fmt: skip
    [(_, payload)] = list(store.iter_payloads(doc_id=leave.doc_id))
    vec = svc.embedder.embed_documents([payload["text"]])[0]
    sparse = svc.embedder.sparse_documents([payload["text"]])[0]
    store.upsert([Point(point_id(leave.doc_id, v2, 0), vec, sparse, payload | {"version": v2})])
    (Path(leave.active.original_path).parent / f"v{v2}.md").write_text("half")
    # bonus.md lost its only point; travel.md's point became readable by everyone
    store.delete(doc_id=bonus.doc_id)
    store.set_groups(travel.doc_id, ["everyone"])
    # a run of a killed process; points of a document the database does not know
    run_id = db.start_run("s", {"pid": 2**22 + 12345, "host": os.uname().nodename})
    store.upsert([Point(point_id("ghost", 1, 0), vec, sparse, payload | {"doc_id": "ghost"})])

    found = check(svc)
    assert sorted({f.kind for f in found}) == [
        "half_written", "orphan_original", "orphan_points", "stale_groups", "stale_run", "unanswerable",
    ]  # fmt: skip
    repair(svc, found)
    assert all(f.repaired for f in found), [(f.kind, f.repaired) for f in found]
    assert check(svc) == []
    assert db.get_run(run_id).status == "interrupted"
    # bonus.md is answerable again at one version, from its kept copy
    bonus = db.get_document(bonus.doc_id)
    assert bonus.current_version == 2
    assert {p["version"] for _, p in store.iter_payloads(doc_id=bonus.doc_id)} == {2}
    assert [p["groups"] for _, p in store.iter_payloads(doc_id=travel.doc_id)] == [["hr"]]


@pytest.mark.integration
def test_doctor_cli_exit_codes_and_json(svc, indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    leave = svc.db.find_document("s", "leave.md")
    svc.store.delete(doc_id=leave.doc_id)
    svc.close()  # the CLI opens the stores itself
    monkeypatch.setenv("DOCQA_DATA_DIR", str(svc.settings.data_dir))
    runner = CliRunner()
    res = runner.invoke(app, ["doctor"])
    assert res.exit_code == 1 and "unanswerable" in res.output and "--repair" in res.output
    res = runner.invoke(app, ["doctor", "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["consistent"] is False
    res = runner.invoke(app, ["doctor", "--repair", "--json"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["consistent"] and result["remaining"] == []
    assert "re-indexed from its kept copy" in result["findings"][0]["repaired"]
    res = runner.invoke(app, ["doctor", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == {"consistent": True, "findings": []}


@pytest.mark.integration
def test_doctor_waits_for_a_running_ingest(svc, indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repair now could abandon the version a live ingest is writing: the doctor refuses."""
    from typer.testing import CliRunner

    from app.cli import app
    from app.processes import run_owner

    svc.db.start_run("s", run_owner())  # this process: alive
    svc.close()
    monkeypatch.setenv("DOCQA_DATA_DIR", str(svc.settings.data_dir))
    res = CliRunner().invoke(app, ["doctor", "--repair"])
    assert res.exit_code == 3 and "still running" in res.output


@pytest.mark.integration
def test_points_of_another_encoder_are_found_and_reembedded(
    svc,
    indexed: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DOCQA_EMBED_BACKEND changed after ingestion: the engine warns when it starts, the doctor names
    every document the other model embedded, and --repair re-embeds them with the configured one."""
    from app.doctor import Finding, check, repair
    from app.embeddings import ENCODER_IDS, Embedder, stored_encoders
    from app.server import _warm_up
    from app.services import Services

    assert svc.settings.embed_backend == "int8" and check(svc) == []
    svc.close()
    fp32 = Services(
        svc.settings.model_copy(update={"embed_backend": "fp32"}), embedder=Embedder(backend="fp32")
    )
    try:
        with caplog.at_level("WARNING", logger="docqa.engine"):
            _warm_up(fp32)
        assert "3 by int8" in caplog.text and "docqa doctor --repair" in caplog.text
        found = check(fp32)
        assert sorted(f.kind for f in found) == ["other_encoder"] * 3
        assert all(ENCODER_IDS["int8"] in f.message for f in found)
        # a second finding for the same document: one re-index mends both (one new version, not two)
        found.append(Finding("missing_chunks", "also lost a chunk", doc_id=found[0].doc_id))
        repair(fp32, found)
        assert all(f.repaired.startswith("re-indexed from its kept copy") for f in found), found
        assert found[-1].repaired == found[0].repaired
        assert check(fp32) == []
        assert stored_encoders(fp32.store) == {ENCODER_IDS["fp32"]: 3}
        assert {fp32.db.get_document(f.doc_id).current_version for f in found} == {2}
    finally:
        fp32.close()
