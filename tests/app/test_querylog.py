from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.answer import PROMPT_VERSION, Answer, Citation, Source
from app.confidence import Confidence
from app.db import Database
from app.querylog import log_answer, luhn_ok, redact
from app.retrieve import Passage
from app.settings import Settings


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("Mail jane.doe+hr@example.co.uk about it", "[email]"),
        ("Call +49 89 5508 24999 tomorrow", "[phone]"),
        ("Call +1 (555) 123-4567", "[phone]"),
        ("my number is (555) 123-4567.", "[phone]"),
        ("US office 555-123-4567", "[phone]"),
        ("Festnetz 089 5508 24999", "[phone]"),
        ("Handy 0171-1234567", "[phone]"),
        ("UK +44 (0)20 7946 0958", "[phone]"),
        ("card 4111 1111 1111 1111 expired", "[card]"),
        ("card 4111-1111-1111-1111", "[card]"),
        ("card 4111111111111111", "[card]"),
        ("amex 3782 822463 10005", "[card]"),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "[iban]"),
        ("IBAN DE89370400440532013000", "[iban]"),
        ("GB82WEST12345698765432", "[iban]"),
        ("SSN 123-45-6789", "[id]"),
        ("Steuer-ID 12345678901", "[id]"),
        ("Steuer-ID 12 345 678 901", "[id]"),
    ],
)
def test_each_kind_of_personal_data_is_redacted(text: str, placeholder: str) -> None:
    out = redact(text)
    assert placeholder in out, out
    assert not re.search(r"\d{3}|@", out), out


def test_redaction_keeps_the_surrounding_text() -> None:
    text = "Ask jane@example.com or call +49 89 5508 24999 about card 4111 1111 1111 1111."
    assert redact(text) == "Ask [email] or call [phone] about card [card]."


def test_a_card_number_that_fails_luhn_is_not_a_card() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert "[card]" not in redact("order 4111 1111 1111 1112")


@pytest.mark.parametrize(
    "text",
    [
        "Is the travel budget EUR 100,000 or EUR 1.250.000,00?",
        "The salary band is 72000 to 95000 per year.",
        "What changed between 2023, 2024 and 2025?",
        "The policy applies from 31 March 2025 (31.03.2025, 2025-03-31, 03/31/2025).",
        "Core hours are 10:00–15:00, Monday to Friday.",
        "Open UDP 51820 and TCP 443 on the VPN gateway.",
        "Overtime is paid at 125% and the bonus is 7.5 %.",
        "ISO 27001 and ISO 9001 certification, section 4.2.1, version 2.3.",
        "Reimburse up to $1,250.00 per trip, 30 days of vacation, 3 home-office days.",
        "Server 192.168.100.10 on port 8080; invoice INV-2025-00123.",
        "The building has 1200 m² and 450 desks; postcode 80331 München.",
        "Order number 123456 and cost centre 4711.",
    ],
)
def test_ordinary_numbers_users_ask_about_stay(text: str) -> None:
    assert redact(text) == text


def test_redact_handles_empty_text() -> None:
    assert redact("") == ""


def make_answer() -> Answer:
    passage = Passage(
        id="p-1",
        score=0.032,
        payload={
            "doc_id": "d1",
            "version": 2,
            "title": "Travel policy",
            "path": "travel.pdf",
            "page_start": 3,
        },
        dense_score=0.71,
        sparse_score=5.5,
    )
    source = Source(1, passage, ["Trips are booked via the portal."], [0.8])
    citation = Citation(
        1, "Travel policy", "travel.pdf", "d1", 2, 3, 3, "Trips are booked via the portal.", chunk_id="p-1"
    )
    return Answer(
        question="I am jane.doe@example.com, how do I book a trip? Call +49 89 5508 24999",
        answer="Trips are booked via the portal [1].",
        refused=False,
        backend="openai",
        model="gpt-test",
        citations=[citation],
        confidence=Confidence(0.82, "high", ["strong match"]),
        sources=[source],
        retrieved=[source.passage],
        injection_suspected=False,
        prompt_tokens=2000,
        completion_tokens=500,
        timings={"retrieve": 0.012, "evidence": 0.003, "generate": 1.5, "total": 1.52},
    )


def test_log_answer_stores_every_field_and_reads_it_back_redacted(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "state", llm_price_in_per_1k=0.5, llm_price_out_per_1k=1.5)
    db = Database(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        log_id = log_answer(db, "alice", ["hr", "everyone"], make_answer(), settings=settings)
        db.add_query_log(user="bob", groups=[], question="other", answer="")
        (row,) = db.list_query_logs(user="alice")
        assert row.id == log_id
        assert row.created_at is not None
        assert row.user == "alice"
        assert row.groups == ["everyone", "hr"]
        assert row.question == "I am [email], how do I book a trip? Call [phone]"
        assert "example.com" not in row.question
        assert row.rewritten_query is None
        assert row.retrieved == [
            {
                "id": "p-1",
                "doc_id": "d1",
                "version": 2,
                "score": 0.032,
                "dense_score": 0.71,
                "sparse_score": 5.5,
            }
        ]
        assert row.cited == [{"n": 1, "doc_id": "d1", "version": 2, "page": 3, "chunk_id": "p-1"}]
        assert row.prompt_version == PROMPT_VERSION
        assert (row.backend, row.model) == ("openai", "gpt-test")
        assert (row.prompt_tokens, row.completion_tokens) == (2000, 500)
        assert row.cost == pytest.approx(2 * 0.5 + 0.5 * 1.5)
        assert row.latency_ms == {"retrieve": 12.0, "evidence": 3.0, "generate": 1500.0, "total": 1520.0}
        assert row.total_ms == 1520.0
        assert row.cache_hit is False
        assert row.confidence == pytest.approx(0.82)
        assert row.band == "high"
        assert row.refused is False
        assert row.fallback_reason == ""
        assert row.injection_suspected is False
        assert row.answer == "Trips are booked via the portal [1]."
        assert [r.user for r in db.list_query_logs()] == ["bob", "alice"]  # newest first
        assert len(db.list_query_logs(limit=1)) == 1
    finally:
        db.close()


def test_redaction_can_be_turned_off(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "state")
    db = Database(f"sqlite:///{tmp_path / 'q.db'}")
    try:
        log_answer(db, "alice", [], make_answer(), settings=settings, redact_pii=False)
        (row,) = db.list_query_logs()
        assert "jane.doe@example.com" in row.question
        assert row.cost == 0.0
    finally:
        db.close()
