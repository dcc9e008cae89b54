import pytest

from eval.calibration import (
    auroc,
    band_table,
    expected_calibration_error,
    fit_logistic,
    reliability_table,
    summarise,
)

pytestmark = pytest.mark.unit


def test_auroc_known_values() -> None:
    assert auroc([0.9, 0.8, 0.2, 0.1], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    # one inversion among 2x2 pairs -> 3/4
    assert auroc([0.9, 0.3, 0.5, 0.1], [True, True, False, False]) == 0.75
    # all tied -> chance
    assert auroc([0.5] * 4, [True, False, True, False]) == 0.5


def test_auroc_undefined_with_one_class() -> None:
    assert auroc([0.2, 0.9], [True, True]) is None


def test_reliability_table_and_ece() -> None:
    scores = [0.95, 0.95, 0.15, 0.15]
    labels = [True, False, False, False]
    table = reliability_table(scores, labels, bins=5)
    assert [(b.count, b.accuracy) for b in table] == [(2, 0.0), (2, 0.5)]
    # |0 - 0.15| * 0.5 + |0.5 - 0.95| * 0.5
    assert expected_calibration_error(scores, labels, bins=5) == pytest.approx(0.3)
    assert expected_calibration_error([1.0, 0.0], [True, False]) == 0.0


def test_band_table() -> None:
    t = band_table(["high", "high", "low"], [True, False, False])
    assert t["high"] == {"count": 2, "accuracy": 0.5}
    assert t["medium"]["count"] == 0


def test_fit_learns_the_informative_feature_and_reports_out_of_fold_scores() -> None:
    rows = [{"useful": i / 40, "noise": (i * 7 % 11) / 11} for i in range(40)]
    labels = [r["useful"] > 0.5 for r in rows]
    fit = fit_logistic(rows, labels, l2=0.1)
    assert all(w >= 0 for w in fit.weights.values())
    assert fit.weights["useful"] > 2 * abs(fit.weights["noise"])
    assert len(fit.cv_scores) == 40
    assert auroc(fit.cv_scores, labels) > 0.9


def test_fit_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both"):
        fit_logistic([{"a": 1.0}, {"a": 0.5}], [True, True])


def test_fit_never_lets_a_signal_lower_the_confidence() -> None:
    rows = [{"anti": i / 20} for i in range(20)]
    labels = [r["anti"] < 0.5 for r in rows]  # higher value, less often correct
    assert fit_logistic(rows, labels).weights["anti"] == 0.0


def test_summarise_reports_current_and_out_of_fold_fit() -> None:
    feats = [{"s": i / 20} for i in range(20)]
    labels = [f["s"] >= 0.5 for f in feats]
    current = [0.5] * 20  # an uninformative confidence
    report = summarise(feats, labels, current, ["medium"] * 20)
    assert report["answers"] == 20 and report["correct"] == 10
    assert report["current"]["auroc"] == 0.5
    assert report["fitted"]["cv_auroc"] > 0.9
    assert report["fitted"]["weights"]["s"] > 0


def test_the_refusal_threshold_respects_the_over_refusal_budget() -> None:
    from eval.calibration import choose_threshold, refusal_rates

    probs = [0.9, 0.8, 0.7, 0.3, 0.6, 0.2, 0.1, 0.65]
    answerable = [True, True, True, True, False, False, False, False]
    t = choose_threshold(probs, answerable, max_over_refusal=0.25)
    rates = refusal_rates(probs, answerable, [False] * 8, t)
    assert rates["over_refusal"] == 0.25 and rates["unanswerable_refused"] == 1.0  # 0.3 given up
    # without the budget for it, the answerable 0.3 is answered and two unanswerable ones are too
    t0 = choose_threshold(probs, answerable, max_over_refusal=0.0)
    assert refusal_rates(probs, answerable, [False] * 8, t0) == {
        "over_refusal": 0.0,
        "unanswerable_refused": 0.5,
    }


def test_fit_answer_models_is_reproducible_and_names_its_data() -> None:
    from eval.calibration import fit_answer_models

    def row(i: int) -> dict:
        answerable = i % 4 != 0
        good = answerable and i % 3 != 0
        return {
            "id": f"q{i}", "answerable": answerable, "mentions": good, "extra": {"page_hit": True},
            "answer": {"refused": False,
                       "answerability": {"features": {"terms": float(answerable), "margin": (i % 5) / 5}},
                       "confidence": {"features": {"support": 0.9 if good else 0.1}}},
        }  # fmt: skip

    rows = [row(i) for i in range(40)]
    a, b = fit_answer_models(rows), fit_answer_models(list(reversed(rows)))
    assert a["answerability"]["fitted"]["data_hash"] == b["answerability"]["fitted"]["data_hash"]
    assert a["answerability"]["weights"] == b["answerability"]["weights"]
    assert all(w >= 0 for w in a["answerability"]["weights"].values())
    assert a["answerability"]["fitted"]["cv_rates"] == {"over_refusal": 0.0, "unanswerable_refused": 1.0}
    # the confidence model is fitted on the answers the new threshold gives: the answerable ones
    assert a["confidence"]["fitted"]["answers"] == 30 and a["confidence"]["weights"]["support"] > 0
    with pytest.raises(ValueError, match="answerability"):
        fit_answer_models([{"id": "x", "answerable": True, "answer": {"refused": False}}])
