import json
from pathlib import Path

import pytest

from eval.golden import GoldenItem
from eval.runner import citation_hit, judge

pytestmark = pytest.mark.unit

ITEM = GoldenItem(
    id="t-1",
    question="How many vacation days?",
    reference_answer="30 days.",
    must_include=["30"],
    reference_sources=[{"document": "docs/hr/leave.pdf", "page": 2}],
    user="dave",
    answerable=True,
    tags=["pdf"],
)
UNANSWERABLE = GoldenItem(
    id="t-2", question="Japan?", reference_answer="", must_include=[], reference_sources=[],
    user="dave", answerable=False, tags=["unanswerable"],
)  # fmt: skip


def answer(text: str, refused: bool = False, path: str = "docs/hr/leave.pdf", page: int = 2) -> dict:
    citations = [] if refused else [{"n": 1, "path": path, "page": page, "page_end": page}]
    return {"answer": text, "refused": refused, "citations": citations}


def test_an_answer_is_correct_only_with_the_facts_and_a_reference_citation() -> None:
    assert judge(ITEM, answer("You get 30 days [1].")) == (True, True, True)
    assert judge(ITEM, answer("You get 300 days [1]."))[0] is False  # "30" must not match inside 300
    assert judge(ITEM, answer("You get 30 days [1].", path="docs/hr/other.pdf"))[:2] == (False, False)
    assert judge(ITEM, answer("I couldn't find this.", refused=True))[0] is False


def test_unanswerable_questions_are_correct_only_when_refused() -> None:
    assert judge(UNANSWERABLE, answer("", refused=True)) == (True, None, None)
    assert judge(UNANSWERABLE, answer("Employees in Japan get 30 days [1]."))[0] is False


def test_citation_page_must_fall_in_the_cited_span() -> None:
    assert citation_hit(ITEM, answer("x", page=2))
    assert not citation_hit(ITEM, answer("x", page=3))
    assert citation_hit(ITEM, answer("x", page=3), page=False)


def test_calibrate_refits_from_saved_rows(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    rows = tmp_path / "rows.jsonl"
    with rows.open("w") as fh:
        for i in range(40):
            answerable, good = i < 30, i % 3 != 0 and i < 30
            features = {"evidence": 0.9 if good else 0.2, "coverage": 0.5}
            decided = {
                "answer": True,
                "probability": 0.6,
                "features": {"terms": float(answerable), "evidence": 0.5},
            }
            fh.write(json.dumps({
                "id": f"q{i}", "answerable": answerable, "correct": good, "backend": "extractive",
                "mentions": good if answerable else None, "extra": {"page_hit": True if answerable else None},
                "answer": {"refused": False, "backend": "extractive", "answerability": decided,
                           "confidence": {"score": 0.8, "band": "high", "features": features}},
            }) + "\n")  # fmt: skip
    result = CliRunner().invoke(app, ["eval", "calibrate", "--rows", str(rows), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # every question was answered; correct = the fact and a reference location
    assert report["answers"] == 40 and report["correct"] == 20 and report["backend"] == "extractive"
    assert report["current"]["auroc"] == 0.5  # a constant confidence ranks nothing
    assert report["fitted"]["cv_auroc"] == 1.0 and report["fitted"]["weights"]["evidence"] > 0
    # the answerability refit separates the answerable questions and refuses the others
    refit = report["refit"]["answerability"]
    assert refit["weights"]["terms"] > 0 and refit["fitted"]["cv_rates"]["unanswerable_refused"] == 1.0
    assert refit["fitted"]["cv_rates"]["over_refusal"] == 0.0 and len(refit["fitted"]["data_hash"]) == 64
    assert "written" not in report  # without --write nothing is stored
