"""The answer cache on a real database, store and model: scoped by groups, backend, prompt and index
version; every hit passes the same checks as a fresh answer; stored redacted; expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.answer import Answerer
from app.cache import AnswerCache, fingerprint, normalise
from app.client import InProcessEngine
from tests.app.test_answer import FakeGeneration


@pytest.mark.unit
def test_fingerprint_and_normalise() -> None:
    assert (
        fingerprint(["hr", "everyone"], "local")
        == fingerprint(["everyone", "hr", "hr"], "local")
        != fingerprint(["everyone"], "local")
    )
    assert fingerprint(["hr"], "local") != fingerprint(["hr"], "extractive")
    assert fingerprint(["hr"], "local", "answer_v1") != fingerprint(["hr"], "local", "answer_v2")
    assert normalise("  How many DAYS, exactly?") == normalise("how many days exactly")
    assert "anna" not in normalise("Is anna.berg@example.com still on leave?")  # redacted as in query logs


@pytest.fixture
def corpus(svc, tmp_path: Path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "leave.md").write_text("# Leave\n\nEvery employee gets 30 vacation days per year.\n")
    (d / "canteen.md").write_text("# Canteen\n\nThe canteen opens at 11:30 and closes at 14:00.\n")
    (d / "payroll.md").write_text(
        "# Payroll\n\nPayroll questions go to the payroll desk at payroll.desk@example.com every weekday.\n"
    )
    svc.ingestor.ingest([d], set_name="s", groups=["everyone"])
    return d


@pytest.mark.integration
def test_second_ask_is_served_from_cache_until_a_cited_document_changes(svc, corpus: Path) -> None:
    answerer = svc.answerer("extractive")
    first = answerer.ask("How many vacation days do I get?", ["everyone"])
    assert not first.cache_hit and "30 vacation days" in first.answer
    again = answerer.ask("how many vacation days do I get", ["everyone"])
    assert again.cache_hit and again.answer == first.answer

    # served as it was answered: the same confidence signals and answer-or-refuse decision
    def rounded(features: dict[str, float]) -> dict[str, float]:
        return {k: round(v, 4) for k, v in features.items()}

    assert rounded(again.confidence.features) == rounded(first.confidence.features)
    assert again.answerability == first.answerability and again.answerability["answer"]
    assert [c.path for c in again.citations] == [c.path for c in first.citations]
    assert not answerer.ask("How many vacation days do I get?", ["everyone", "hr"]).cache_hit  # other groups

    (corpus / "leave.md").write_text("# Leave\n\nEvery employee gets 32 vacation days per year.\n")
    svc.ingestor.ingest([corpus], set_name="s", groups=["everyone"])
    fresh = answerer.ask("How many vacation days do I get?", ["everyone"])
    assert not fresh.cache_hit and "32 vacation days" in fresh.answer


@pytest.mark.integration
def test_cache_never_serves_a_document_the_reader_lost_access_to(svc, corpus: Path) -> None:
    answerer = svc.answerer("extractive")
    assert not answerer.ask("When does the canteen open?", ["everyone"]).cache_hit
    doc = svc.db.find_document("s", "canteen.md")
    svc.ingestor.set_groups(doc.doc_id, ["kitchen"])
    again = answerer.ask("When does the canteen open?", ["everyone"])
    assert not again.cache_hit and "11:30" not in again.answer


@pytest.mark.integration
def test_any_change_to_what_can_be_read_retires_the_cache(svc, corpus: Path) -> None:
    """Re-grouping a document the answer does not even cite: the index version moved."""
    answerer = svc.answerer("extractive")
    answerer.ask("When does the canteen open?", ["everyone"])
    assert answerer.ask("When does the canteen open?", ["everyone"]).cache_hit
    svc.ingestor.set_groups(svc.db.find_document("s", "payroll.md").doc_id, ["finance"])
    assert not answerer.ask("When does the canteen open?", ["everyone"]).cache_hit


@pytest.mark.integration
def test_refusals_are_not_cached(svc, corpus: Path) -> None:
    answerer = svc.answerer("extractive")
    assert answerer.ask("What is the capital of France?", ["everyone"]).refused
    assert svc.db.list_cache() == []


@pytest.mark.integration
def test_a_similar_question_still_goes_through_the_refusal_check(svc, corpus: Path) -> None:
    """A near-duplicate asking about something the documents don't cover is refused, not served
    the cached answer (threshold lowered so that the two questions count as near-duplicates)."""
    answerer = svc.answerer("extractive")
    answerer.cache = AnswerCache(svc.db, threshold=0.5)
    assert not answerer.ask("How many vacation days do I get?", ["everyone"]).refused
    other = answerer.ask("How many vacation days do I get in Japan?", ["everyone"])
    assert other.refused and not other.cache_hit


class FakeQuoterGenerator:
    """Fake LLM for tests: answers with a fixed sentence citing source 1."""

    backend = "local"
    model = "fake-quoter"

    def generate(self, messages, on_token=None, **_: object) -> FakeGeneration:
        return FakeGeneration("Every employee gets 30 vacation days per year [1].", "local", self.model)


@pytest.mark.integration
def test_an_answer_is_only_served_to_the_backend_that_wrote_it(svc, corpus: Path) -> None:
    extractive = svc.answerer("extractive")
    extractive.ask("How many vacation days do I get?", ["everyone"])
    assert extractive.ask("How many vacation days do I get?", ["everyone"]).cache_hit
    local = Answerer(
        svc.store, svc.embedder, FakeQuoterGenerator(), cache=extractive.cache, keep=extractive.keep
    )
    written = local.ask("How many vacation days do I get?", ["everyone"])
    assert not written.cache_hit and written.backend == "local"
    assert local.ask("How many vacation days do I get?", ["everyone"]).cache_hit


@pytest.mark.integration
def test_entries_expire_after_the_ttl(svc, corpus: Path) -> None:
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    answerer = svc.answerer("extractive")
    answerer.cache = AnswerCache(svc.db, ttl_hours=24, clock=lambda: now[0])
    answerer.ask("When does the canteen open?", ["everyone"])
    now[0] += timedelta(hours=23)
    assert answerer.ask("When does the canteen open?", ["everyone"]).cache_hit
    now[0] += timedelta(hours=2)
    assert not answerer.ask("When does the canteen open?", ["everyone"]).cache_hit


@pytest.mark.integration
def test_what_is_cached_is_redacted_like_the_query_log(svc, corpus: Path) -> None:
    answerer = svc.answerer("extractive")
    ans = answerer.ask("Where do payroll questions go, I am jo.doe@example.com?", ["everyone"])
    assert "payroll.desk@example.com" in ans.answer  # the reader gets the document's own words
    (entry,) = svc.db.list_cache()
    stored = str(entry.answer) + entry.question
    assert "@example.com" not in stored and "jo doe" not in stored


@pytest.mark.integration
def test_a_thumb_down_drops_the_cached_answer(svc, corpus: Path) -> None:
    svc.db.upsert_user("dave", "x", ["everyone"], ["employee"])
    engine = InProcessEngine(svc, answerer_for=lambda _b: svc.answerer("extractive"))
    first = engine.ask("When does the canteen open?", "dave")
    assert engine.ask("When does the canteen open?", "dave")["cache_hit"]
    engine.feedback(first["query_log_id"], "dave", "down", reason="wrong")
    assert not engine.ask("When does the canteen open?", "dave")["cache_hit"]
