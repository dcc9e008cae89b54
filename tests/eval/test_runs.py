"""Evaluation runs: the metrics on hand-made results (unit), and `docqa eval run|list|report|compare`
end to end over a tiny corpus with the extractive backend (integration)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eval.metrics import compare_runs, invalid_citations, leaked, percentile, run_metrics, tag_accuracy
from tests.conftest import acl_per_file, write_docs


def cite(doc_id: str, path: str, page: int = 1) -> dict:
    return {"n": 1, "doc_id": doc_id, "path": path, "page": page, "page_end": page}


def result(item_id: str, *, answerable: bool = True, correct: bool = True, refused: bool = False,
           cites: tuple = (), page_hit: bool | None = None, confidence: float = 0.5, latency: float = 1.0,
           tags: tuple = ("pdf",), hidden: str | None = None, groups: tuple = ("everyone",),
           owners: dict | None = None, tokens: int = 0) -> dict:  # fmt: skip
    cites = list(cites)
    return {
        "item_id": item_id,
        "question": f"question {item_id}?",
        "user": "dave",
        "groups": list(groups),
        "answerable": answerable,
        "tags": list(tags),
        "hidden_source": hidden,
        "answer": {"answer": "" if refused else f"answer {item_id} [1]", "citations": cites},
        "citation_groups": owners if owners is not None else {c["doc_id"]: ["everyone"] for c in cites},
        "correct": correct,
        "page_hit": page_hit if answerable and not refused else None,
        "refused": refused,
        "confidence": confidence,
        "latency_s": latency,
        "prompt_tokens": tokens,
        "completion_tokens": 0,
    }


LEAVE = cite("d-leave", "public/leave.md")
SALARY = cite("d-salary", "hr/salaries.csv")

# 4 answerable (3 answered: 2 correct, one with the wrong page; 1 refused), 3 unanswerable (2 refused)
ROWS = [
    result("a1", cites=(LEAVE,), page_hit=True, confidence=0.9, latency=1.0, tokens=100),
    result("a2", cites=(LEAVE,), page_hit=True, confidence=0.7, latency=2.0, tokens=200, tags=("table",)),
    result("a3", correct=False, cites=(LEAVE,), page_hit=False, confidence=0.8, latency=3.0, tokens=300),
    result("a4", correct=False, refused=True, confidence=0.1, latency=4.0),
    result("u1", answerable=False, refused=True, tags=("unanswerable",), latency=5.0),
    result("u2", answerable=False, refused=True, tags=("restricted",), hidden="hr/salaries.csv", latency=6.0),
    result(
        "u3",
        answerable=False,
        correct=False,
        cites=(LEAVE,),
        confidence=0.6,
        tags=("unanswerable",),
        latency=7.0,
        tokens=400,
    ),  # fmt: skip
]


@pytest.mark.unit
def test_run_metrics_on_known_cases() -> None:
    m = run_metrics(ROWS)
    counts = (m["questions"], m["answerable"], m["unanswerable"], m["answered"], m["refused"])
    assert counts == (7, 4, 3, 4, 3)
    assert m["accuracy"] == 2 / 4
    assert m["overall_accuracy"] == 4 / 7  # a1, a2, u1, u2
    assert m["citation_page_accuracy"] == 2 / 3  # among a1, a2, a3
    assert m["refusal_precision"] == 2 / 3  # a4 was refused but answerable
    assert m["refusal_recall"] == 2 / 3  # u3 was answered
    assert m["citations"] == 4 and m["invalid_citations"] == 0 and m["citation_validity"] == 1.0
    assert m["leaks"] == 0
    # answered: a1 .9 ok, a2 .7 ok, a3 .8 wrong, u3 .6 wrong -> pairs (ok > wrong): .9>.8, .9>.6, .7>.6 = 3/4
    assert m["auroc"] == 0.75
    assert m["latency_p50_s"] == 4.0 and m["latency_p95_s"] == pytest.approx(6.7)
    assert m["tokens_per_answer"] == (100 + 200 + 300 + 400) / 4
    assert m["tags"]["pdf"] == {"questions": 3, "correct": 1, "accuracy": 1 / 3}  # a1, a3, a4
    assert m["tags"]["table"]["accuracy"] == 1.0
    assert sum(b["count"] for b in m["reliability"]) == 4


@pytest.mark.unit
def test_ece_of_a_perfectly_calibrated_and_an_overconfident_run() -> None:
    calibrated = [result(f"c{i}", correct=i < 5, confidence=0.5, cites=(LEAVE,)) for i in range(10)]
    assert run_metrics(calibrated)["ece"] == pytest.approx(0.0)
    overconfident = [result(f"o{i}", correct=i < 5, confidence=1.0, cites=(LEAVE,)) for i in range(10)]
    assert run_metrics(overconfident)["ece"] == pytest.approx(0.5)


@pytest.mark.unit
def test_citations_outside_the_askers_groups_are_invalid_and_leak() -> None:
    readable = result("x", cites=(LEAVE,))
    hidden = result("y", cites=(SALARY,), owners={"d-salary": ["hr"]})
    missing = result("z", cites=(cite("d-gone", "old.pdf"),), owners={"d-gone": None})
    assert not invalid_citations(readable) and not leaked(readable)
    assert invalid_citations(hidden) == [SALARY] and leaked(hidden)
    assert invalid_citations(missing) and leaked(missing)
    # citing the restricted item's hidden source is a leak even if the document's groups allowed it
    named = result("w", answerable=False, cites=(SALARY,), hidden="hr/salaries.csv")
    assert not invalid_citations(named) and leaked(named)
    m = run_metrics([readable, hidden, missing, named])
    assert m["leaks"] == 3 and m["invalid_citations"] == 2 and m["citation_validity"] == 2 / 4


@pytest.mark.unit
def test_undefined_metrics_are_none_not_zero() -> None:
    m = run_metrics([result("a", cites=(LEAVE,), page_hit=True)])
    assert m["refusal_recall"] is None and m["refusal_precision"] is None and m["auroc"] is None
    assert run_metrics([])["accuracy"] is None
    assert percentile([], 50) is None and percentile([3.0], 95) == 3.0


@pytest.mark.unit
def test_tag_accuracy_counts_every_question_with_the_tag() -> None:
    tags = tag_accuracy([result("a", tags=("pdf", "table")), result("b", correct=False, tags=("pdf",))])
    assert tags == {
        "pdf": {"questions": 2, "correct": 1, "accuracy": 0.5},
        "table": {"questions": 1, "correct": 1, "accuracy": 1.0},
    }


@pytest.mark.unit
def test_compare_flags_regressions_beyond_the_threshold_and_any_leak() -> None:
    a_rows = [result("q1"), result("q2"), result("q3", correct=False)]
    b_rows = [result("q1"), result("q2", correct=False), result("q3")]
    same = compare_runs(run_metrics(a_rows), run_metrics(a_rows), a_rows, a_rows, threshold=0.02)
    assert same["failures"] == [] and same["regressions"] == []
    cmp = compare_runs(run_metrics(a_rows), run_metrics(b_rows), a_rows, b_rows, threshold=0.02)
    assert [r["item_id"] for r in cmp["regressions"]] == ["q2"] and cmp["fixes"] == ["q3"]
    assert cmp["failures"] == []  # accuracy 2/3 -> 2/3: a swap is not a drop
    worse = [result("q1"), result("q2", correct=False), result("q3", correct=False)]
    cmp = compare_runs(run_metrics(a_rows), run_metrics(worse), a_rows, worse, threshold=0.02)
    assert cmp["deltas"]["accuracy"]["delta"] == pytest.approx(-1 / 3)
    assert any(f.startswith("accuracy dropped") for f in cmp["failures"])
    assert not compare_runs(run_metrics(a_rows), run_metrics(worse), a_rows, worse, threshold=0.5)["failures"]
    leaky = [*a_rows, result("q4", cites=(SALARY,), owners={"d-salary": ["hr"]})]
    cmp = compare_runs(run_metrics(a_rows), run_metrics(leaky), a_rows, leaky, threshold=0.5)
    assert cmp["failures"] == ["1 permission leak(s) in B"]


# -- integration: `docqa eval …` over a tiny corpus ---------------------------------------------------
CORPUS = {
    "public/leave.md": ("everyone", "# Annual leave\n\nEvery employee gets 30 vacation days per year.\n"),
    "public/canteen.md": ("everyone", "# Canteen\n\nThe canteen opens at 11:30 and closes at 14:00.\n"),
    "hr/salaries.csv": ("hr", "role,band_min,band_max\nSenior engineer,72000,92000\n"),
}
GOLDEN = [
    {"id": "t-leave", "question": "How many vacation days do employees get per year?",
     "reference_answer": "30 days.", "must_include": ["30"],
     "reference_sources": [{"document": "public/leave.md", "page": 1}], "user": "dave",
     "answerable": True, "tags": ["markdown", "numeric"]},
    {"id": "t-canteen", "question": "When does the canteen open?", "reference_answer": "At 11:30.",
     "must_include": ["11:30"], "reference_sources": [{"document": "public/canteen.md", "page": 1}],
     "user": "dave", "answerable": True, "tags": ["markdown"]},
    {"id": "t-salary", "question": "What is the salary band for a senior engineer?",
     "reference_answer": "Not readable by dave.", "must_include": [], "reference_sources": [],
     "user": "dave", "answerable": False, "tags": ["restricted"], "hidden_source": "hr/salaries.csv"},
    {"id": "t-dental", "question": "Which dental insurance plan does the company offer?",
     "reference_answer": "The documents do not say.", "must_include": [], "reference_sources": [],
     "user": "dave", "answerable": False, "tags": ["unanswerable"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """A data dir with the tiny corpus ingested and users dave (everyone) and hanna (everyone, hr)."""
    from app.access import add_user
    from app.services import Services
    from app.settings import Settings

    root = tmp_path_factory.mktemp("evalruns")
    docs = root / "docs"
    write_docs(docs, {rel: text for rel, (_, text) in CORPUS.items()}, acl_per_file(CORPUS))
    (root / "golden.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLDEN))
    svc = Services(Settings(data_dir=root / "state", ingest_workers=0), embedder=embedder)
    try:
        report = svc.ingestor.ingest([docs], set_name="t")
        assert all(f.status == "indexed" for f in report.files), report.files
        add_user(svc.db, "dave", "pw-dave-123", ["everyone"], ["employee"])
        add_user(svc.db, "hanna", "pw-hanna-123", ["everyone", "hr"], ["employee"])
    finally:
        svc.close()
    return root


@pytest.fixture
def cli(corpus: Path, embedder, monkeypatch: pytest.MonkeyPatch):
    """Invoke `docqa …` in-process on the corpus' data dir, sharing the loaded embedding model."""
    from typer.testing import CliRunner

    from app.cli import app

    for key in list(os.environ):
        if key.startswith("DOCQA_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DOCQA_DATA_DIR", str(corpus / "state"))
    monkeypatch.setenv("DOCQA_INGEST_WORKERS", "0")
    monkeypatch.setattr("app.services.Embedder.from_settings", lambda *_args, **_kw: embedder)

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    return invoke


def open_db(corpus: Path):
    from app.db import Database

    return Database(f"sqlite:///{corpus / 'state' / 'docqa.db'}")


@pytest.mark.integration
def test_eval_run_resume_report_and_compare_end_to_end(cli, corpus: Path, tmp_path: Path) -> None:
    golden = str(corpus / "golden.jsonl")
    res = cli("eval", "run", "--set", golden, "--half", "all", "--backend", "extractive", "--json")
    assert res.exit_code == 0, res.output
    first = json.loads(res.stdout[res.stdout.index("{") :])
    m = first["metrics"]
    assert m["questions"] == 4 and m["answerable"] == 2 and m["unanswerable"] == 2
    assert m["leaks"] == 0 and m["invalid_citations"] == 0
    db = open_db(corpus)
    try:
        run = db.get_eval_run(first["run"])
        assert run.status == "done" and run.backend == "extractive" and run.prompt_version
        assert run.finished_at is not None and run.total == 4 and run.metrics["questions"] == 4
        results = {r.item_id: r for r in db.list_eval_results(run.id)}
        assert set(results) == {g["id"] for g in GOLDEN}
        leave = results["t-leave"]
        assert leave.correct and leave.citation_hit and leave.page_hit and leave.mentions
        assert leave.user == "dave" and leave.groups == ["everyone"] and leave.latency_s > 0
        assert leave.answer["citations"] and leave.band in ("high", "medium", "low")
        assert results["t-salary"].hidden_source == "hr/salaries.csv"
        assert all("hr/" not in c["path"] for r in results.values() for c in r.answer["citations"])

        # an interrupted run keeps what it has; --resume asks only the rest
        from app.services import Services
        from app.settings import Settings
        from eval.golden import load_golden
        from eval.runs import execute_run, start_run

        settings = Settings()
        svc = Services(settings)
        try:
            items = load_golden(golden)
            run2 = start_run(db, golden, settings, total=4, backend="extractive", as_user=None, limit=None)

            def stop(_row) -> None:
                raise KeyboardInterrupt

            status, partial = execute_run(svc, db, run2, items, on_result=stop)
        finally:
            svc.close()
        assert status == "interrupted" and partial["questions"] == 1
        assert db.get_eval_run(run2.id).status == "interrupted"
        res = cli("eval", "run", "--resume", str(run2.id), "--json")
        assert res.exit_code == 0, res.output
        resumed = json.loads(res.stdout[res.stdout.index("{") :])
        assert resumed["run"] == run2.id and resumed["status"] == "done"
        assert [r.item_id for r in db.list_eval_results(run2.id)] == [g["id"] for g in GOLDEN]

        # the list, a report, and a comparison of two equal runs
        res = cli("eval", "list", "--json")
        assert res.exit_code == 0, res.output
        assert {r["id"] for r in json.loads(res.stdout)} >= {run.id, run2.id}
        out = tmp_path / "report.md"
        res = cli("eval", "report", str(run.id), "--out", str(out))
        assert res.exit_code == 0, res.output
        text = out.read_text()
        assert (
            "## Metrics" in text
            and "permission leaks (must be 0) | 0" in text
            and "## Failing questions" in text
        )
        res = cli("eval", "compare", str(run.id), str(run2.id), "--fail-on-regression", "0.02", "--json")
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["failures"] == []

        # an injected regression: the leave question now wrong -> non-zero exit
        from eval.runs import finish_run

        run3 = db.create_eval_run(set_name=golden, backend="extractive", total=4)
        for r in db.list_eval_results(run.id):
            fields = {k: v for k, v in r.to_dict().items() if k not in ("id", "run_id")}
            if r.item_id == "t-leave":
                fields["correct"] = False
            db.add_eval_result(run3.id, **fields)
        finish_run(db, run3.id, "done")
        res = cli("eval", "compare", str(run.id), str(run3.id), "--fail-on-regression", "0.02", "--json")
        assert res.exit_code == 1, res.output
        cmp = json.loads(res.stdout)
        assert [r["item_id"] for r in cmp["regressions"]] == ["t-leave"]
        assert any(f.startswith("accuracy dropped") for f in cmp["failures"])
    finally:
        db.close()


@pytest.mark.integration
def test_eval_run_fails_clearly_without_an_ingested_corpus(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "empty"))
    res = cli("eval", "run", "--set", "demo", "--backend", "extractive")
    assert res.exit_code == 2
    assert "nothing is ingested" in res.output


@pytest.mark.unit
def test_eval_runs_ask_without_the_llm_circuit_breaker(tmp_path: Path) -> None:
    from app.settings import Settings
    from eval.runs import set_settings

    base = Settings(data_dir=tmp_path, llm_cooldown_s=30.0)
    demo, clapnq = set_settings("demo", base), set_settings("clapnq", base)
    assert demo.llm_cooldown_s == clapnq.llm_cooldown_s == 0.0 and base.llm_cooldown_s == 30.0
    assert demo.data_dir == tmp_path and clapnq.data_dir == tmp_path / "eval" / "clapnq"
