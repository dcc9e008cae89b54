"""RAGAS scoring of evaluation results (eval/ragas_eval.py): the non-LLM metrics on hand-made rows
with known values, row building (what is skipped, which contexts are used), and the LLM path with a
named fake judge (a llama-index CustomLLM answering ragas' prompts with fixed JSON)."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("ragas")

from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback

from eval.ragas_eval import RagasRow, build_rows, flat_metrics, score_rows

LEAVE = "Full-time staff get 30 days of paid annual leave per calendar year."
EXPENSES = "Expense claims must be approved by the line manager within 14 days of purchase."
REVENUE = "Quarterly revenue grew by twelve percent in the northern sales region."

ROWS = [
    # identical answer and reference; the reference context is the one retrieved
    RagasRow(
        "same",
        "How much annual leave?",
        "Staff get 30 days of annual leave.",
        [LEAVE],
        "Staff get 30 days of annual leave.",
        [LEAVE],
    ),  # fmt: skip
    # unrelated answer; the reference context was not retrieved
    RagasRow(
        "unrelated",
        "Who approves expenses?",
        "The cafeteria opens at noon on Fridays.",
        [REVENUE],
        "The line manager approves expense claims.",
        [EXPENSES],
    ),  # fmt: skip
    # a paraphrase; one of two retrieved contexts is the reference one (ranked second)
    RagasRow(
        "paraphrase",
        "Who approves expenses?",
        "Expense claims are approved by the line manager.",
        [REVENUE, EXPENSES],
        "The line manager approves expense claims.",
        [EXPENSES],
    ),  # fmt: skip
]


@pytest.fixture(scope="module")
def nonllm() -> dict[str, Any]:
    return score_rows(ROWS, "nonllm")


def test_nonllm_metrics_on_known_rows(nonllm: dict[str, Any]) -> None:
    s = nonllm["per_item"]
    assert nonllm["scored"] == 3 and nonllm["context_scored"] == 3
    assert s["same"]["string_similarity"] == pytest.approx(1.0)
    assert s["same"]["semantic_similarity"] == pytest.approx(1.0, abs=1e-4)
    assert s["same"]["context_recall_nonllm"] == 1.0
    assert s["same"]["context_precision_nonllm"] == pytest.approx(1.0)
    assert s["unrelated"]["string_similarity"] < 0.4
    assert s["unrelated"]["semantic_similarity"] < 0.3
    assert s["unrelated"]["context_recall_nonllm"] == 0.0
    assert s["unrelated"]["context_precision_nonllm"] == pytest.approx(0.0)
    assert s["paraphrase"]["semantic_similarity"] > 0.7
    assert s["paraphrase"]["context_recall_nonllm"] == 1.0
    assert s["paraphrase"]["context_precision_nonllm"] == pytest.approx(0.5)  # relevant context at rank 2
    m = nonllm["metrics"]
    assert m["context_recall_nonllm"] == pytest.approx(2 / 3)
    assert flat_metrics(nonllm)["ragas_context_recall_nonllm"] == pytest.approx(2 / 3)


def test_rows_without_reference_contexts_skip_only_the_context_metrics() -> None:
    row = RagasRow("noref", "Who approves expenses?", "The line manager.", [EXPENSES], "The line manager.")
    out = score_rows([row], "nonllm")
    assert out["context_scored"] == 0
    assert out["per_item"]["noref"]["string_similarity"] == pytest.approx(1.0)
    assert out["metrics"]["context_recall_nonllm"] is None


def _result(item_id: str, *, answerable: bool = True, refused: bool = False, cites: bool = True) -> dict:
    citations = [{"doc_id": "d1", "version": 1, "page": 2, "page_end": 2, "snippet": LEAVE}] if cites else []
    return {
        "item_id": item_id, "question": f"q {item_id}", "answerable": answerable, "refused": refused,
        "reference_sources": [{"document": "docs/hr/handbook.pdf", "page": 2}],
        "answer": {"answer": "30 days.", "refused": refused, "citations": citations},
    }  # fmt: skip


class _Lookup:
    def cited(self, citation: dict) -> str:
        return "CHUNK " + citation["snippet"]

    def reference(self, source: dict) -> list[str]:
        return [f"REF {source['document']} p{source['page']}"]


def test_build_rows_skips_refused_unanswerable_and_uncited() -> None:
    results = [
        _result("ok"),
        _result("refused", refused=True),
        _result("unanswerable", answerable=False),
        _result("uncited", cites=False),
        _result("noref"),
    ]
    refs = {"ok": "30 days", "refused": "x", "unanswerable": "x", "uncited": "x"}
    rows, skipped = build_rows(results, refs)
    assert [r.item_id for r in rows] == ["ok"] and skipped == 4
    assert rows[0].retrieved_contexts == [LEAVE] and rows[0].reference_contexts == []
    rows, _ = build_rows(results, refs, _Lookup())  # type: ignore[arg-type]
    assert rows[0].retrieved_contexts == ["CHUNK " + LEAVE]
    assert rows[0].reference_contexts == ["REF docs/hr/handbook.pdf p2"]


class FakeJudgeLLM(CustomLLM):
    """A judge that answers each ragas prompt (recognised by its instruction) with fixed JSON:
    every statement supported, every context useful, every reference sentence attributed."""

    calls: int = 0

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="fake-judge", is_chat_model=False)

    @classmethod
    def class_name(cls) -> str:
        return "fake_judge"

    @staticmethod
    def reply(prompt: str) -> dict:
        if "Break down each sentence" in prompt:
            return {"statements": ["Staff get 30 days of annual leave."]}
        if "judge the faithfulness" in prompt:
            return {"statements": [{"statement": "Staff get 30 days of annual leave.", "reason": "stated",
                                    "verdict": 1}]}  # fmt: skip
        if "Generate a question for the given answer" in prompt:
            return {"question": "How much annual leave do staff get?", "noncommittal": 0}
        if "classify if each sentence" in prompt.lower() or "attributed" in prompt:
            return {"classifications": [{"statement": "Staff get 30 days.", "reason": "in context",
                                         "attributed": 1}]}  # fmt: skip
        if "verdict" in prompt:
            return {"reason": "useful", "verdict": 1}
        raise AssertionError(f"unexpected prompt: {prompt[:200]}")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.calls += 1
        return CompletionResponse(text=json.dumps(self.reply(prompt)))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt, formatted, **kwargs)


def test_llm_metrics_with_a_fake_judge() -> None:
    judge = FakeJudgeLLM()
    out = score_rows(ROWS[:1], "llm", llm=judge)
    s = out["per_item"]["same"]
    assert s["faithfulness"] == 1.0
    assert s["context_precision"] == pytest.approx(1.0)
    assert s["context_recall"] == 1.0
    assert s["answer_relevancy"] is not None and s["answer_relevancy"] > 0.5
    assert judge.calls >= 5  # statements, verdicts, question generation, precision, recall
    assert set(out["metrics"]) == {"faithfulness", "answer_relevancy", "context_precision", "context_recall"}


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="ragas mode"):
        score_rows(ROWS, "bogus")
    assert score_rows(ROWS, "none") == {"mode": "none"}


def test_report_rows_show_the_ragas_entry() -> None:
    from eval.report import ragas_rows

    entry = {"mode": "nonllm", "scored": 2, "skipped": 1, "context_scored": 2, "seconds": 1.25,
             "metrics": {"context_recall_nonllm": 0.5, "semantic_similarity": None}}  # fmt: skip
    rows = dict(ragas_rows(entry))
    assert rows["context recall (non-LLM, vs reference pages)"] == "0.500"
    assert rows["answer vs reference: semantic similarity (MiniLM)"] == "–"
    assert rows["questions skipped (refused, unanswerable, uncited)"] == "1"
    assert ragas_rows(None) == [] and ragas_rows({"mode": "none"}) == []


@pytest.mark.unit
def test_the_judge_gets_its_own_timeout(tmp_path) -> None:
    """Judge prompts are long: the judge waits judge_timeout_s per call, answers keep llm_timeout_s."""
    from app.settings import Settings
    from eval.ragas_eval import judge_llm

    settings = Settings(
        data_dir=tmp_path, llm_backend="openai", openai_base_url="http://127.0.0.1:9/v1",
        openai_model="judge", llm_timeout_s=90, judge_timeout_s=900,
    )  # fmt: skip
    judge = judge_llm(settings)
    try:
        assert judge.timeout_s == 900
        assert settings.llm_timeout_s == 90  # the engine's own answers are not slowed down
    finally:
        judge.close()
    with pytest.raises(ValueError, match="needs a language model"):
        judge_llm(Settings(data_dir=tmp_path, llm_backend="extractive"))
