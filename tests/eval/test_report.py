"""The evaluation report: Markdown, its HTML conversion, the reliability diagram, withheld leaks."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from eval.metrics import run_metrics
from eval.report import fmt, markdown_to_html, render_markdown, write_report

pytestmark = pytest.mark.unit


def row(item_id: str, correct: bool, *, answerable: bool = True, refused: bool = False, **kw: object) -> dict:
    cites = kw.pop("cites", [{"n": 1, "doc_id": "d1", "path": "public/leave.md", "page": 1, "page_end": 1}])
    base = {
        "item_id": item_id, "question": f"What about {item_id}?", "user": "dave", "groups": ["everyone"],
        "answerable": answerable, "tags": ["pdf"], "hidden_source": None,
        "answer": {"answer": "" if refused else f"It is {item_id} | x [1]",
                   "citations": [] if refused else cites},
        "citation_groups": {"d1": ["everyone"], "d-hr": ["hr"]}, "correct": correct, "citation_hit": correct,
        "page_hit": correct, "mentions": correct, "refused": refused, "confidence": 0.7 if correct else 0.4,
        "band": "medium", "latency_s": 1.0, "prompt_tokens": 0, "completion_tokens": 0,
    }  # fmt: skip
    return base | kw


SECRET = "Senior engineer 72000-92000"
RESULTS = [
    row("ok-1", True),
    row("wrong-1", False),
    row("refused-1", False, refused=True),
    row(
        "leak-1",
        False,
        answerable=False,
        tags=["restricted"],
        hidden_source="hr/salaries.csv",
        cites=[{"n": 1, "doc_id": "d-hr", "path": "hr/salaries.csv", "page": 1, "page_end": 1}],
        answer={
            "answer": SECRET,
            "citations": [{"n": 1, "doc_id": "d-hr", "path": "hr/salaries.csv", "page": 1, "page_end": 1}],
        },
    ),
]


def fake_run(results: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(
        id=7, set_name="demo", status="done", total=len(results), backend="extractive", model="",
        prompt_version="answer_v1", settings={"as_user": None, "limit": None},
        started_at=dt.datetime(2026, 11, 22, 10, 0), finished_at=dt.datetime(2026, 11, 22, 10, 5),
        metrics=run_metrics(results),
    )  # fmt: skip


def test_markdown_has_the_tables_and_the_failing_questions_but_no_leaked_text() -> None:
    md = render_markdown(fake_run(RESULTS), RESULTS, plot="r.png")
    assert md.startswith("# Evaluation run 7: demo")
    assert "| answer accuracy (answerable) | 33.3% |" in md
    assert "| permission leaks (must be 0) | 1 |" in md
    assert "## Accuracy per tag" in md and "| restricted | 1 | 0 | 0.0% |" in md
    assert "## Reliability" in md and "![reliability diagram](r.png)" in md
    assert "## Failing questions (3)" in md
    assert "wrong-1" in md and "refused-1" in md and "ok-1 " not in md
    assert "It is wrong-1 \\| x [1]" in md  # pipes in cells are escaped
    assert SECRET not in md and "withheld" in md and "(LEAK)" in md


def test_html_conversion_renders_headings_lists_tables_and_images() -> None:
    page = markdown_to_html(render_markdown(fake_run(RESULTS), RESULTS, plot="r.png"))
    assert page.startswith("<!doctype html>") and "<h1>Evaluation run 7: demo</h1>" in page
    assert "status: <strong>done</strong>" in page
    assert "<th>metric</th>" in page and "<td>answer accuracy (answerable)</td>\n<td>33.3%</td>" in page
    assert '<img src="r.png" alt="reliability diagram" />' in page
    assert "<td>It is wrong-1 | x [1]</td>" in page  # an escaped pipe stays inside its cell
    assert SECRET not in page


def test_html_in_a_question_or_answer_is_shown_as_text_not_rendered() -> None:
    rows = [dict(RESULTS[0], question="<script>alert(1)</script> what <b>is</b> it?", correct=False)]
    page = markdown_to_html(render_markdown(fake_run(rows), rows))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_write_report_writes_markdown_html_and_the_diagram(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    run = fake_run(RESULTS)
    written = write_report(run, RESULTS, tmp_path / "out" / "run.md")
    assert [p.name for p in written] == ["run.md", "run-reliability.png"]
    assert written[1].read_bytes()[:4] == b"\x89PNG"
    html_files = write_report(run, RESULTS, tmp_path / "run.html")
    assert html_files[0].read_text().startswith("<!doctype html>")


def test_without_matplotlib_the_report_says_why_there_is_no_plot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    written = write_report(fake_run(RESULTS), RESULTS, tmp_path / "run.md")
    assert written == [tmp_path / "run.md"]
    assert "matplotlib is not installed" in written[0].read_text()


def test_fmt() -> None:
    assert fmt(None) == "–" and fmt(0.5, "pct") == "50.0%" and fmt(3, "n") == "3" and fmt(1.23456) == "1.235"
