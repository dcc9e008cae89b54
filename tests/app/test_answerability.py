"""Answer or refuse (app/answerability.py and its use in app/answer/): more evidence never makes a
refusal more likely, and a refusal says what was searched without claiming to be written from sources."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.answerability import (
    FEATURES,
    MODELS,
    EvidenceView,
    Model,
    decide,
    features,
    missing_terms_of,
)

pytestmark = pytest.mark.unit

QUESTION = "How many vacation days do employees in Japan get?"


def view(text: str, score: float = 0.6, **kw: Any) -> EvidenceView:
    return EvidenceView(text, kw.get("title", "leave.md"), kw.get("path", "leave.md"), "", [text], [score])


def feats(sources: list[EvidenceView], top: float = 0.55) -> dict[str, float]:
    return features(
        QUESTION, sources, top_similarity=top, second_similarity=0.5, evidence_similarity=top,
        agreement=0.5, coverage=0.6,
    )  # fmt: skip


def test_the_shipped_models_have_one_non_negative_model_per_backend() -> None:
    assert {"local", "extractive"} <= set(MODELS)
    for model in MODELS.values():
        assert set(model.weights) == set(FEATURES)
        assert all(w >= 0 for w in model.weights.values())
        assert 0.0 <= model.threshold <= 1.0


@given(
    base=st.fixed_dictionaries({k: st.floats(0, 1) for k in FEATURES}),
    name=st.sampled_from(sorted(FEATURES)),
    bump=st.floats(0, 1),
    backend=st.sampled_from(["local", "extractive"]),
)
def test_more_evidence_never_lowers_the_answer_probability(
    base: dict[str, float], name: str, bump: float, backend: str
) -> None:
    more = base | {name: min(1.0, base[name] + bump)}
    assert decide(more, backend).probability >= decide(base, backend).probability


def test_features_are_in_range_and_finding_a_named_term_raises_the_probability() -> None:
    german = view("In Germany every employee gets 30 vacation days per year.")
    japan = view("Employees in Japan get 20 vacation days per year.", title="leave-japan.md")
    without, with_japan = feats([german]), feats([german, japan])
    assert all(0.0 <= v <= 1.0 for v in without.values())
    assert without["terms"] == 0.0 and with_japan["terms"] == 1.0
    assert (
        missing_terms_of(QUESTION, [german]) == ["japan"]
        and missing_terms_of(QUESTION, [german, japan]) == []
    )
    model = Model({"terms": 3.0, "evidence": 2.0}, -2.5, 0.5)
    assert (
        decide(with_japan, models={"local": model}).probability
        > decide(without, models={"local": model}).probability
    )
    assert not decide(without, models={"local": model}).answer


def test_a_term_found_only_in_the_file_name_counts() -> None:
    assert feats([view("Every employee gets 20 vacation days.", path="hr/japan_leave.pdf")])["terms"] == 1.0


class FakeEmbedder:
    def embed_query(self, text: str) -> Any:
        return np.zeros(3, dtype=np.float32)


def test_a_refusal_says_what_was_searched_and_is_not_labelled_as_written_from_sources(monkeypatch) -> None:
    from app.answer import REFUSAL, Answerer, Source
    from app.retrieve import Passage
    from app.ui.render import provenance

    payload = {"doc_id": "d1", "version": 1, "title": "leave.md", "path": "leave.md", "page_start": 1}
    text = "In Germany every employee gets 30 vacation days per year."
    passage = Passage("p1", 1.0, payload | {"text": text})
    source = Source(1, passage, [text], [0.8], best_cosine=0.8)
    monkeypatch.setattr("app.answer.answerer.search", lambda *a, **k: [passage])
    never = {b: Model({}, -10.0, 0.5) for b in ("local", "extractive")}  # refuses everything
    monkeypatch.setattr("app.answerability.MODELS", never)
    answerer = Answerer(store=None, embedder=FakeEmbedder())
    monkeypatch.setattr(answerer, "select_evidence", lambda *a, **k: [source])

    ans = answerer.ask(QUESTION, ["hr"])
    assert ans.refused and not ans.citations and text not in ans.answer
    assert ans.answer.startswith(REFUSAL)
    assert "I searched the documents you can access" in ans.answer and "leave.md" in ans.answer
    assert "“japan”" in ans.answer and "Ask an expert" in ans.answer
    assert ans.answerability["answer"] is False and ans.answerability["missing"] == ["japan"]
    shown = " ".join([ans.answer, *provenance(ans.to_dict() | {"backend": "local", "model": "qwen"})])
    assert "sources below" not in shown.lower()

    answerer.decide = False  # docqa eval calibrate: the decision is recorded, the question answered
    recorded = answerer.ask(QUESTION, ["hr"])
    assert not recorded.refused and recorded.answerability["answer"] is False


def test_no_model_answers_from_passages_off_the_question_s_topic() -> None:
    eager = {"local": Model({"terms": 5.0}, 0.0, 0.5)}  # answers whenever the terms are there
    assert decide({"terms": 1.0, "evidence": 0.6}, models=eager).answer
    off_topic = decide({"terms": 1.0, "evidence": 0.1}, models=eager)  # best cosine 0.25
    assert not off_topic.answer and off_topic.probability > 0.9
