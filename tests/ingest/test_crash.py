"""Crash safety of ingestion: a crash at any step leaves the old version answerable, the doctor names
what it left, and a rerun repairs it (DESIGN: "A document version is replaced atomically").

Two ways to crash: an exception that nothing catches raised at each step boundary in-process (every
step, deterministically; ``finally`` blocks still run, so the run itself ends "interrupted"), and
kill -9 of a real `docqa ingest` subprocess at random moments (eval/crash.py; `docqa bench crash`
runs 20+ of those).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.doctor import check
from ingest.pipeline import doc_id_for
from tests.conftest import write_docs

pytestmark = pytest.mark.integration

SET = "s"
CORPUS = {
    "leave.md": "# Leave\n\nStaff get 28 days of annual leave, plus public holidays.\n",
    "bonus.md": "# Bonus\n\nThe 2026 bonus pool is 4.5 percent of payroll, paid in March.\n",
    "gone.md": "# Parking\n\nThe car park closes at 22:00 on weekdays.\n",
}
ACL = 'rules:\n  - match: "*"\n    groups: [hr]\n'


class SimulatedKill(BaseException):
    """Not an Exception: the pipeline's error handling must not see it, as it would not see a kill."""


def _armed(real: Callable[..., Any], when: Callable[..., bool]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            raise SimulatedKill
        return real(*args, **kwargs)

    return call


LEAVE = doc_id_for(SET, "leave.md")  # the document being replaced


# (object on svc, method, when): each crashes just BEFORE that call, i.e. right after the previous
# step of writing leave.md's new version, removing gone.md or regrouping bonus.md finished.
STEPS: dict[str, tuple[str, str, Callable[..., bool]]] = {
    "after begin_version": ("ingestor", "_keep_original", lambda *a, **k: True),
    "after keeping the original": ("embedder", "embed_documents", lambda *a, **k: True),
    "after embedding": ("store", "upsert", lambda *a, **k: True),
    "after writing points": ("db", "activate_version", lambda *a, **k: True),
    "after the switch": ("store", "delete", lambda *a, **k: k.get("doc_id") == LEAVE),
    "after deleting old points": ("ingestor", "_tidy_originals", lambda *a, **k: a[0] == LEAVE),
    "pruning, after deleting points": ("db", "delete_document", lambda *a, **k: True),
    "regrouping, after the points": ("db", "set_document_groups", lambda *a, **k: True),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_crash_at_any_step_keeps_documents_answerable_and_a_rerun_repairs_it(
    svc,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    from app.retrieve import search

    root = write_docs(tmp_path / "corpus", CORPUS, ACL)
    svc.ingestor.ingest([root], set_name=SET, prune=True)
    assert check(svc) == []
    before = {d.path: d.current_version for d in svc.db.list_documents(SET)}

    (root / "leave.md").write_text("# Leave\n\nStaff get 30 days of annual leave from 2027 on.\n")
    (root / "gone.md").unlink()
    if step.startswith("regrouping"):
        first = 'rules:\n  - match: "bonus.md"\n    groups: [finance]\n'  # the first matching rule wins
        (root / "acl.yaml").write_text(ACL.replace("rules:\n", first))
        regrouped = {"bonus.md": ["finance"]}
    else:
        regrouped = {}
    owner, method, when = STEPS[step]
    target = getattr(svc, owner)
    monkeypatch.setattr(target, method, _armed(getattr(target, method), when))
    with pytest.raises(SimulatedKill):
        svc.ingestor.ingest([root], set_name=SET, prune=True)
    monkeypatch.undo()

    # what the crash left: documents still in the folder are answerable, at one version or another
    found = check(svc)
    leave = svc.db.find_document(SET, "leave.md")
    broken = [f for f in found if f.kind in ("missing_chunks", "unanswerable") and f.doc_id == leave.doc_id]
    assert broken == [], [f.message for f in found]
    assert leave.current_version in (before["leave.md"], before["leave.md"] + 1)
    hits = search(svc.store, svc.embedder, "How many days of annual leave?", ["hr"], limit=5)
    assert leave.doc_id in {h.doc_id for h in hits}

    # the rerun repairs everything, whatever it was
    svc.ingestor.ingest([root], set_name=SET, prune=True)
    assert check(svc) == []
    docs = {d.path: d for d in svc.db.list_documents(SET)}
    assert sorted(docs) == ["bonus.md", "leave.md"]
    leave = docs["leave.md"]
    payloads = [p for _, p in svc.store.iter_payloads(doc_id=leave.doc_id)]
    assert {p["version"] for p in payloads} == {leave.current_version}
    assert any("30 days" in p["text"] for p in payloads)
    for path, groups in regrouped.items():
        assert docs[path].group_names == groups
        assert {tuple(p["groups"]) for _, p in svc.store.iter_payloads(doc_id=docs[path].doc_id)} == {
            tuple(groups)
        }
    files = {p.name for p in (svc.settings.data_dir / "originals" / leave.doc_id).iterdir()}
    assert files == {Path(leave.active.original_path).name}


@pytest.mark.slow
def test_kill_9_at_random_moments_then_rerun_is_consistent(tmp_path: Path, embedder) -> None:
    """`docqa ingest` subprocesses SIGKILLed at random moments, 6 times (the benchmark does 20+)."""
    from eval.crash import run_trials

    result = run_trials(6, tmp_path, embedder=embedder, seed=7)
    summary = result.to_dict()
    details = [(t["n"], t["outcome"], t["after_kill"], t["problems"]) for t in summary["details"]]
    assert summary["trials"] == 6
    assert summary["killed"] >= 1, details
    assert result.ok, details
    assert summary["consistent_after_rerun"] == summary["answerable_after_rerun"] == 6


def test_a_crash_mid_write_then_the_edit_undone(svc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rerun finds the file unchanged since its active version: it must still clear the
    half-written version (its row, points and kept copy)."""
    root = write_docs(tmp_path / "corpus", CORPUS, ACL)
    svc.ingestor.ingest([root], set_name=SET)
    old = (root / "leave.md").read_text()
    (root / "leave.md").write_text("# Leave\n\nStaff get 30 days of annual leave from 2027 on.\n")
    monkeypatch.setattr(svc.db, "activate_version", _armed(svc.db.activate_version, lambda *a, **k: True))
    with pytest.raises(SimulatedKill):
        svc.ingestor.ingest([root], set_name=SET)
    monkeypatch.undo()
    assert {f.kind for f in check(svc)} == {"half_written", "orphan_points", "orphan_original"}

    (root / "leave.md").write_text(old)
    report = svc.ingestor.ingest([root], set_name=SET)
    assert {f.path: f.status for f in report.files}["leave.md"] == "unchanged"
    assert check(svc) == []
    assert [v.state for v in svc.db.find_document(SET, "leave.md").versions] == ["active"]
