"""The Evaluate page in Streamlit's AppTest and the engine's read-only eval endpoints: only evaluators
and admins see evaluation runs; two stored runs are listed, one run's questions are opened, and
comparing them lists the regression. A leaked answer's text is withheld."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.client import EVAL_WITHHELD, EngineError, InProcessEngine
from app.server import create_app
from tests.app.ui.conftest import LEAVE_Q, MAIN, SALARY_Q, login
from tests.app.ui.test_pages import texts
from tests.conftest import service_headers

pytestmark = pytest.mark.integration
EVALUATOR = ("eva", "eva-evaluator-secret")
SECRET = "80,000 to 95,000 EUR"  # in hr/salary-bands.pdf, which dave may not read


def result(item_id: str, question: str, *, correct: bool, **extra: Any) -> dict[str, Any]:
    """EvalResult columns of one judged question (asked as dave unless ``extra`` says otherwise)."""
    answerable = extra.pop("answerable", True)
    refused = extra.pop("refused", False)
    fields = {
        "item_id": item_id,
        "question": question,
        "user": "dave",
        "groups": ["everyone"],
        "answerable": answerable,
        "tags": ["policy"] if answerable else ["unanswerable"],
        "reference_sources": [{"document": "docs/public/leave.txt", "page": 1}] if answerable else [],
        "hidden_source": None,
        "answer": {
            "answer": "I could not find this." if refused else "Every employee gets 30 vacation days [1].",
            "refused": refused,
            "citations": [],
            "confidence": {"score": 0.8, "band": "high", "reasons": ["strong match"]},
        },
        "citation_groups": {},
        "correct": correct,
        "citation_hit": correct and answerable,
        "page_hit": correct and answerable,
        "mentions": correct and answerable,
        "refused": refused,
        "confidence": 0.2 if refused else 0.8,
        "band": "low" if refused else "high",
        "latency_s": 0.1,
    }
    return fields | extra


def store_run(db: Any, rows: list[dict[str, Any]], ragas: dict | None = None) -> int:
    """An EvalRun with ``rows`` as its results, scored as eval/runs.py's finish_run does (plus the
    ``ragas`` entry eval/runs.py's score_ragas would add)."""
    from eval.metrics import run_metrics

    run = db.create_eval_run(set_name="tiny.jsonl", backend="extractive", status="running", total=len(rows))
    for row in rows:
        db.add_eval_result(run.id, **row)
    stored = [r.to_dict() for r in db.list_eval_results(run.id)]
    metrics = run_metrics(stored) | ({"ragas": ragas} if ragas else {})
    db.update_eval_run(run.id, status="done", metrics=metrics)
    return run.id


def two_runs(db: Any) -> tuple[int, int]:
    """Run A: all correct. Run B: the leave question wrong (a regression), and a question answered
    from the salary document dave may not read (a leak: its text must be withheld)."""
    unanswerable = result(
        "t-none", "What is the airspeed of a swallow?", correct=True, answerable=False, refused=True
    )
    a = store_run(db, [result("t-leave", LEAVE_Q, correct=True), unanswerable])
    leak = result("t-salary", SALARY_Q, correct=False, answerable=False)
    leak["answer"] = leak["answer"] | {
        "answer": f"The band is {SECRET} [1].",
        "citations": [
            {"n": 1, "document": "salary-bands.pdf", "path": "hr/salary-bands.pdf", "doc_id": "d-salary",
             "version": 1, "page": 2, "page_end": 2, "snippet": f"senior engineer is {SECRET}"}
        ],
    }  # fmt: skip
    leak["citation_groups"] = {"d-salary": ["hr"]}
    ragas = {  # as eval.ragas_eval.score_rows returns it (nonllm mode)
        "mode": "nonllm", "scored": 1, "skipped": 2, "context_scored": 1, "seconds": 0.4,
        "metrics": {"semantic_similarity": 0.625, "context_recall_nonllm": 0.5},
        "per_item": {"t-leave": {"semantic_similarity": 0.625, "context_recall_nonllm": 0.5}},
    }  # fmt: skip
    b = store_run(db, [result("t-leave", LEAVE_Q, correct=False), unanswerable, leak], ragas)
    return a, b


def frame(at, column: str):
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a column {column!r}"
    return found[0]


@pytest.fixture(scope="module")
def runs(ui_env) -> tuple[int, int]:
    from app.access import add_user

    db = ui_env.db()
    try:
        add_user(db, EVALUATOR[0], EVALUATOR[1], ["everyone"], ["evaluator"])
        return two_runs(db)
    finally:
        db.close()


def test_an_employee_cannot_open_evaluate(app_test, runs) -> None:
    from streamlit.testing.v1 import AppTest

    from app.ui.backend import SessionUser

    at = login(app_test(), "dave")
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="navigation page"):  # not registered for him
        at.switch_page("pages/evaluate.py")
    direct = AppTest.from_file(str(MAIN.parent / "pages" / "evaluate.py"), default_timeout=90)
    direct.session_state["docqa_user"] = SessionUser("dave", ["employee"], ["everyone"])
    direct.run()  # as a hand-typed URL would: the page itself refuses
    assert any("Not allowed" in e.value for e in direct.error)
    assert not direct.dataframe and not direct.selectbox and LEAVE_Q not in texts(direct)


def test_an_evaluator_sees_runs_opens_questions_and_compares(app_test, runs) -> None:
    run_a, run_b = runs
    at = login(app_test(), *EVALUATOR)  # Evaluate is the evaluator's only page: it opens there
    assert not at.exception, at.exception
    assert "docqa eval run" in at.code[0].value
    listed = frame(at, "AUROC")
    assert sorted(listed["id"].tolist()) == [run_a, run_b]
    assert listed.set_index("id").loc[run_b, "leaks"] == 1
    assert any(f"#{run_b}" in e.value for e in at.error)  # the leak is flagged
    by_run = listed.set_index("id")  # RAGAS means: run B was scored, run A was not
    assert by_run.loc[run_b, "RAGAS semantic similarity"] == pytest.approx(0.625)
    assert pd.isna(by_run.loc[run_a, "RAGAS semantic similarity"])

    # one run's questions: run B, only the wrong ones, then open the leave question
    at.selectbox(key="eval_run").select(run_b).run()
    at.radio(key="eval_filter").set_value("wrong").run()
    assert not at.exception, at.exception
    questions = frame(at, "band")
    assert sorted(questions["item"].tolist()) == ["t-leave", "t-salary"]
    at.selectbox(key="eval_item").select("t-leave").run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "30 vacation days" in shown and "Confidence" in shown
    ragas = frame(at, "RAGAS metric").set_index("RAGAS metric")  # this question's RAGAS scores
    assert ragas.loc["semantic similarity", "score"] == "0.625"
    at.selectbox(key="eval_item").select("t-salary").run()
    shown = texts(at)
    assert SECRET not in shown and "withheld" in shown and "Permission leak" in shown

    # compare A -> B: the leave question regressed, and B's leak fails the gate
    at.selectbox(key="eval_a").select(run_a)
    at.selectbox(key="eval_b").select(run_b).run()
    assert not at.exception, at.exception
    regressions = frame(at, f"answer in #{run_b}")
    assert regressions["item"].tolist() == ["t-leave"]
    deltas = frame(at, "verdict").set_index("metric")
    assert deltas.loc["answer accuracy (answerable)", "verdict"] == "worse"
    warnings = " ".join(w.value for w in at.warning)
    assert "accuracy dropped" in warnings and "leak" in warnings


def test_eval_endpoints_refuse_an_employee(svc) -> None:
    svc.db.upsert_user("dave", "!", ["everyone"], ["employee"])
    svc.db.upsert_user("eva", "!", ["everyone"], ["evaluator"])
    svc.db.upsert_user("ada", "!", ["everyone"], ["admin"])
    run_a, run_b = two_runs(svc.db)
    app = create_app(svc)
    with TestClient(app, headers=service_headers(app)) as client:
        for path, params in (
            ("/eval/runs", {}),
            (f"/eval/runs/{run_b}", {}),
            ("/eval/compare", {"a": run_a, "b": run_b}),
        ):
            refused = client.get(path, params=params | {"user": "dave"})
            assert refused.status_code == 403, (path, refused.text)
            assert SECRET not in refused.text and "vacation" not in refused.text
            assert client.get(path, params=params | {"user": "nobody"}).status_code == 404
            for name in ("eva", "ada"):
                assert client.get(path, params=params | {"user": name}).status_code == 200, (path, name)
        listed = client.get("/eval/runs", params={"user": "eva"}).json()
        assert [r["id"] for r in listed] == [run_b, run_a]
        detail = client.get(f"/eval/runs/{run_b}", params={"user": "eva"})
        assert SECRET not in detail.text and EVAL_WITHHELD in detail.text
        cmp = client.get("/eval/compare", params={"a": run_a, "b": run_b, "user": "eva", "threshold": 0.02})
        assert [r["item_id"] for r in cmp.json()["regressions"]] == ["t-leave"]
        assert client.get("/eval/runs/999", params={"user": "eva"}).status_code == 404

    local = InProcessEngine(svc)
    assert local.eval_compare(run_a, run_b, "ada")["fixes"] == []
    with pytest.raises(EngineError) as refused_locally:
        local.eval_runs("dave")
    assert refused_locally.value.status == 403


def test_engine_client_reads_eval_runs_over_http(svc) -> None:
    from app.client import EngineClient
    from tests.conftest import engine_token, serving

    svc.db.upsert_user("dave", "!", ["everyone"], ["employee"])
    svc.db.upsert_user("eva", "!", ["everyone"], ["evaluator"])
    run_a, run_b = two_runs(svc.db)
    with serving(svc) as url, EngineClient(url, token=engine_token(svc.settings)) as client:
        assert [r["id"] for r in client.eval_runs("eva")] == [run_b, run_a]
        assert len(client.eval_run(run_b, "eva")["results"]) == 3
        assert client.eval_compare(run_a, run_b, "eva")["common_questions"] == 2
        with pytest.raises(EngineError) as refused:
            client.eval_run(run_b, "dave")
        assert refused.value.status == 403
