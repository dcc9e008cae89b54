"""`docqa bench load`: the summary arithmetic on hand-made requests, what a page of the web UI showed
as a request, and simulated users asking a real engine (extractive answers) at once: every request is
accounted for and none fails. Through a real browser: tests/e2e/test_load_ui.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.load import MemorySample, Request, listening_pid, request_from_page, run_load, summarise
from tests.conftest import engine_token, serving, write_docs


@pytest.mark.unit
def test_summary_counts_outcomes_and_percentiles() -> None:
    reqs = [
        Request("u", float(i), "ok", total_s=float(i + 1), ttft_s=0.5, backend="local") for i in range(10)
    ]
    reqs += [
        Request("u", 1.0, "ok", total_s=2.0, backend="extractive"),  # the LLM failed: a fallback
        Request("u", 1.0, "ok", total_s=0.2, backend="extractive", refused=True),  # a refusal is not one
        Request("u", 2.0, "shed", total_s=0.01, detail="503: queue full"),
        Request("v", 3.0, "limited", total_s=0.01, detail="429: slow down"),
        Request("v", 4.0, "error", total_s=30.0, detail="500: boom"),
        Request("v", 5.0, "error", total_s=30.0, detail="500: boom"),
    ]
    samples = [
        MemorySample(0, 900.0, 20_000.0, 150.0),
        MemorySample(1, 1200.0, 19_000.0, 180.0),
        MemorySample(2, None, None),
    ]
    s = summarise(reqs, samples, users=2, duration_s=60.0, backend="local")
    assert (s["requests"], s["ok"], s["shed"], s["limited"], s["error"]) == (16, 12, 1, 1, 2)
    assert s["fallbacks"] == 1 and s["refused"] == 1
    assert s["answers_per_min"] == 12.0
    assert s["latency_p50_s"] == pytest.approx(4.5)  # of the 12 answered: 0.2, 1..10 and 2.0
    assert s["latency_max_s"] == 10.0 and s["ttft_p50_s"] == 0.5
    assert (s["engine_rss_max_mib"], s["ui_rss_max_mib"], s["available_min_mib"]) == (1200.0, 180.0, 19_000.0)
    assert s["errors_by_detail"] == {"500: boom": 2}
    assert summarise(reqs, [], users=2, duration_s=60.0, backend="extractive")["fallbacks"] == 0


@pytest.mark.unit
def test_what_the_ui_showed_becomes_a_request() -> None:
    answer = request_from_page(
        "ann", 3.0, {"total_ms": 2500, "first_ms": 400, "cited": 2, "backend": "qwen"}, 60
    )
    assert (answer.outcome, answer.total_s, answer.ttft_s, answer.citations) == ("ok", 2.5, 0.4, 2)
    assert not answer.refused and answer.backend == "qwen"
    quoted = request_from_page(
        "ann", 3.0, {"total_ms": 900, "first_ms": None, "cited": 0, "backend": "extractive"}, 60
    )
    assert quoted.refused and quoted.ttft_s == 0.9  # no quick answer: the first text is the answer
    busy = (  # how the UI shows the engine's 503 when its generation queue is full
        "The engine is busy or its stores are unavailable: "
        "the engine is busy, 3 questions are waiting; try again shortly"
    )
    cases = {
        busy: "shed",
        "Too many questions: ann may ask 10 per minute; try again in 4 s": "limited",
        "The engine is not reachable: connection refused": "error",
    }
    for alert, outcome in cases.items():
        req = request_from_page("ann", 1.0, {"total_ms": 100, "alert": alert}, 60)
        assert (req.outcome, req.detail) == (outcome, f"UI: {alert}")
    late = request_from_page("ann", 1.0, {"total_ms": 60_000, "timeout": True}, 60)
    assert (late.outcome, late.detail) == ("error", "no complete answer within 60 s")


@pytest.mark.unit
def test_the_process_listening_on_a_port_is_found() -> None:
    import os
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert listening_pid(s.getsockname()[1]) == os.getpid()


@pytest.mark.integration
def test_simulated_users_ask_a_real_engine_at_once(svc, tmp_path: Path) -> None:
    corpus = write_docs(
        tmp_path / "corpus",
        {"leave.txt": "Staff get 28 days of annual leave, plus public holidays.\n",
         "pay.txt": "Salaries are paid on the last working day of each month.\n"},
        "default: [everyone]\nignore: [acl.yaml]\n",
    )  # fmt: skip
    svc.ingestor.ingest([corpus], set_name="load")
    svc.settings.llm_backend = "extractive"
    svc.db.upsert_user("ann", "!", ["everyone"], ["employee"])
    svc.db.upsert_user("bob", "!", ["everyone"], ["employee"])
    questions = [("How many days of annual leave do staff get?", "ann"), ("When are salaries paid?", "bob")]
    with serving(svc) as url:
        result = run_load(url, engine_token(svc.settings), questions, users=4, duration_s=4.0,
                          backend="extractive", think_s=(0.1, 0.3))  # fmt: skip
    assert result["error"] == 0, result["errors_by_detail"]
    assert result["through"] == "engine" and result["ui_rss_max_mib"] is None
    assert result["ok"] >= 4 and result["requests"] == len(result["requests_log"])
    assert result["requests"] == sum(result[k] for k in ("ok", "shed", "limited", "error"))
    answered = [r for r in result["requests_log"] if r["outcome"] == "ok"]
    assert {r["user"] for r in answered} <= {"ann", "bob"}
    assert all(not r["refused"] and r["citations"] > 0 for r in answered)
    assert result["latency_p50_s"] > 0 and result["available_min_mib"] > 0
