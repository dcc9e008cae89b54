"""The randomised leak suite (eval/leaks.py): its pure checks, a short seeded run on the real product
that must find nothing, and proof that it does find a leak when one is planted."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.leaks import SURFACES, Doc, LeakSuite, find_leaks, forbidden, run_leaks


@pytest.mark.unit
def test_a_canary_is_banned_for_readers_outside_its_groups_and_for_everyone_once_deleted() -> None:
    hr = Doc("a.md", "Falcon", "code", ["hr"], ["C1", "C2"], "C2")
    gone = Doc("b.md", "Heron", "code", ["all"], ["C3"], "C3", deleted=True)
    banned = forbidden([hr, gone], ["all"])
    assert set(banned) == {"C1", "C2", "C3"} and banned["C3"] == "deleted"
    assert set(forbidden([hr, gone], ["hr"])) == {"C3"}  # every version of a readable document is fine
    assert find_leaks("the code is C2.", banned) == ["C2 (a.md is hr)"]
    assert find_leaks("nothing here", banned) == []


@pytest.mark.integration
@pytest.mark.slow
def test_a_short_seeded_run_finds_no_leak_and_does_show_readable_text(embedder) -> None:
    result = run_leaks(600, seed=11, embedder=embedder)
    assert result["checks"] >= 600 and set(result["surfaces"]) == set(SURFACES)
    assert result["leaks"] == 0, result["examples"]
    assert result["surfaces"]["answer"]["shown"] > 0  # not vacuous: readers do get the canaries


@pytest.mark.integration
def test_the_suite_reports_a_planted_leak(
    embedder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Escalation views that forget the access check: the admin, in no group, sees a quoted canary."""
    suite = LeakSuite(tmp_path, seed=3, embedder=embedder)
    try:
        suite.setup()
        doc = suite.docs[0]
        asker = suite.users["u0"]
        admin = next(u for u in suite.users.values() if "admin" in u.roles)
        for user, groups in ((asker, [doc.groups[0]]), (admin, [])):
            user.groups = groups
            suite.svc.db.upsert_user(user.name, "!", groups, user.roles)
        answer = suite.engine.ask(suite.question(doc), asker.name)
        assert doc.current in answer["answer"]
        asker.logs.append(answer["query_log_id"])
        suite.engine.escalate(answer["query_log_id"], asker.name)

        suite.look()
        assert sum(suite.tally.leaks.values()) == 0

        import app.feedback

        monkeypatch.setattr(app.feedback, "unreadable", lambda *_args: [])
        suite.look()
        assert suite.tally.leaks["escalations"] >= 1
        assert any(admin.name in e and doc.current in e for e in suite.tally.examples)
    finally:
        suite.close()
