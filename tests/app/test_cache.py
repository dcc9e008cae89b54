"""The answer cache on a real database, store and model."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cache import fingerprint, normalise


@pytest.mark.unit
def test_fingerprint_and_normalise() -> None:
    assert (
        fingerprint(["hr", "everyone"]) == fingerprint(["everyone", "hr", "hr"]) != fingerprint(["everyone"])
    )
    assert normalise("  How many DAYS, exactly?") == normalise("how many days exactly")


@pytest.fixture
def corpus(svc, tmp_path: Path):  # noqa: ANN001, ANN201
    d = tmp_path / "docs"
    d.mkdir()
    (d / "leave.md").write_text("# Leave\n\nEvery employee gets 30 vacation days per year.\n")
    (d / "canteen.md").write_text("# Canteen\n\nThe canteen opens at 11:30 and closes at 14:00.\n")
    svc.ingestor.ingest([d], set_name="s", groups=["everyone"])
    return d


@pytest.mark.integration
def test_second_ask_is_served_from_cache_until_a_cited_document_changes(svc, corpus: Path) -> None:  # noqa: ANN001
    answerer = svc.answerer("extractive")
    first = answerer.ask("How many vacation days do I get?", ["everyone"])
    assert not first.cache_hit and "30 vacation days" in first.answer
    again = answerer.ask("how many vacation days do I get", ["everyone"])
    assert again.cache_hit and again.answer == first.answer
    assert [c.path for c in again.citations] == [c.path for c in first.citations]
    assert not answerer.ask("How many vacation days do I get?", ["everyone", "hr"]).cache_hit  # other groups

    (corpus / "leave.md").write_text("# Leave\n\nEvery employee gets 32 vacation days per year.\n")
    svc.ingestor.ingest([corpus], set_name="s", groups=["everyone"])
    fresh = answerer.ask("How many vacation days do I get?", ["everyone"])
    assert not fresh.cache_hit and "32 vacation days" in fresh.answer


@pytest.mark.integration
def test_cache_never_serves_a_document_the_reader_lost_access_to(svc, corpus: Path) -> None:  # noqa: ANN001
    answerer = svc.answerer("extractive")
    assert not answerer.ask("When does the canteen open?", ["everyone"]).cache_hit
    doc = svc.db.find_document("s", "canteen.md")
    svc.ingestor.set_groups(doc.doc_id, ["kitchen"])
    again = answerer.ask("When does the canteen open?", ["everyone"])
    assert not again.cache_hit and "11:30" not in again.answer


@pytest.mark.integration
def test_refusals_are_not_cached(svc, corpus: Path) -> None:  # noqa: ANN001
    answerer = svc.answerer("extractive")
    assert answerer.ask("What is the capital of France?", ["everyone"]).refused
    assert svc.db.cache_entries(fingerprint(["everyone"])) == []
