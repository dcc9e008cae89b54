import pytest

from app.confidence import Signals, agreement, high_stakes_topics, score

pytestmark = pytest.mark.unit

STRONG = Signals(top_similarity=0.7, second_similarity=0.45, agreement=0.8, support=1.0, mean_logprob=-0.1)
WEAK = Signals(top_similarity=0.32, second_similarity=0.31, agreement=0.0, support=0.0, mean_logprob=-3.0)


def test_strong_evidence_is_high_and_weak_is_low() -> None:
    assert score(STRONG).band == "high"
    assert score(WEAK).band == "low"
    assert score(WEAK).suggest_expert


@pytest.mark.parametrize(
    "field", ["top_similarity", "evidence_similarity", "agreement", "coverage", "support"]
)
def test_more_evidence_never_lowers_the_score(field: str) -> None:
    base = Signals(top_similarity=0.45, second_similarity=0.4, agreement=0.4, coverage=0.5, support=0.5)
    lower = score(Signals(**{**base.__dict__, field: getattr(base, field) - 0.2})).score
    higher = score(Signals(**{**base.__dict__, field: getattr(base, field) + 0.2})).score
    assert lower <= score(base).score <= higher


def test_the_shipped_models_per_backend() -> None:
    from app.confidence import MODELS

    assert {"local", "extractive"} <= set(MODELS)
    assert all(w >= 0 for weights, _ in MODELS.values() for w in weights.values())
    base = Signals(top_similarity=0.45, second_similarity=0.4, support=0.5, mean_logprob=-1.0)
    for field, bump in (("top_similarity", 0.2), ("support", 0.4), ("mean_logprob", 0.9)):
        more = Signals(**{**base.__dict__, field: getattr(base, field) + bump})
        assert score(more).score > score(base).score
    # an unknown backend (e.g. openai) is scored like the local model
    assert score(base, backend="openai").score == score(base, backend="local").score


def test_refusal_and_fallback_cap_the_score_and_say_why() -> None:
    refused = score(Signals(**{**STRONG.__dict__, "refused": True}))
    assert refused.score <= 0.35 and refused.band == "low"
    assert any("no passage" in r for r in refused.reasons)
    fallback = score(Signals(**{**STRONG.__dict__, "fallback": True}))
    assert fallback.band == "medium" and any("unavailable" in r for r in fallback.reasons)


def test_high_stakes_topics_suggest_an_expert_even_when_confident() -> None:
    assert high_stakes_topics("What is the salary band for L3?") == ["pay"]
    assert set(high_stakes_topics("Is the fire exit a legal requirement?")) == {"legal", "safety"}
    assert high_stakes_topics("When is the canteen open?") == []
    conf = score(STRONG, "What is my salary band?")
    assert conf.band == "high" and conf.suggest_expert and conf.high_stakes == ["pay"]


def test_agreement() -> None:
    assert agreement(["a", "b", "c", "d", "e"], ["e", "d", "c", "b", "a"]) == 1.0
    assert agreement(["a", "b"], ["c", "d"]) == 0.0
    assert agreement([], []) == 0.0
