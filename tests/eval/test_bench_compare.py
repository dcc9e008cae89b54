"""eval/bench_compare.py: both pipelines run on the same tiny corpus and find what they should."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench_compare import BASELINE, Corpus, Query, Row, _discovered, _pages, add_ratios, compare
from tests.conftest import write_docs

FILES = {
    "it/vpn.txt": "Connect to the VPN gateway vpn.example.test with your hardware security key.\n",
    "general/lunch.txt": "The canteen on the ground floor serves lunch from 11:30 to 14:00 every weekday.\n",
    "hr/salary-bands.txt": "Salary bands 2025: a staff engineer earns between 90,000 and 112,000 euros.\n",
}
ACL = 'default: [everyone]\nrules:\n  - match: "hr/salary-*"\n    groups: [hr]\n'


@pytest.mark.unit
def test_pages_with_text_count_each_page_of_a_chunk_once() -> None:
    records = [
        ("a.pdf", 1, 2, "text"),
        ("a.pdf", 2, 2, "more"),
        ("b.txt", None, None, "x"),
        ("c.pdf", 3, 3, " "),
    ]
    assert _pages(records) == (2, 3)  # c.pdf's only chunk is blank


@pytest.mark.unit
def test_ratios_compare_each_of_our_rows_with_the_baseline_of_its_set() -> None:
    base = Row("s", BASELINE, 3, 10.0, 9, 3, 3, 2, 100.0, 120.0, 0.5, 0.4)
    ours = Row("s", "ours-fp32", 3, 4.0, 12, 3, 6, 2, 5.0, 8.0, 1.0, 0.8)
    add_ratios([base, ours])
    assert ours.ratios == {
        "ingest_speedup": 2.5,
        "p50": 0.05,
        "hit5": 2.0,
        "ndcg10": 2.0,
        "pages_with_text": 2.0,
    }
    assert base.ratios == {}


@pytest.mark.integration
@pytest.mark.slow
def test_both_pipelines_find_the_answer_and_respect_groups(settings, tmp_path: Path) -> None:
    root = write_docs(tmp_path / "docs", FILES, ACL)
    queries = [
        Query("vpn", "How do I connect to the VPN?", ["everyone"], {"it/vpn.txt": 1}),
        Query(
            "salary-hr", "What does a staff engineer earn?", ["everyone", "hr"], {"hr/salary-bands.txt": 1}
        ),
        # Same question by someone outside hr: the only relevant file is filtered out in both pipelines.
        Query("salary-denied", "What does a staff engineer earn?", ["everyone"], {"hr/salary-bands.txt": 1}),
    ]
    corpus = Corpus("tiny", root, _discovered(root, None), queries)
    assert {key: groups for _p, key, groups in corpus.files} == {
        "general/lunch.txt": ["everyone"],
        "hr/salary-bands.txt": ["hr"],
        "it/vpn.txt": ["everyone"],
    }

    result = compare([corpus], settings, backends=("fp32",))

    rows = {r["pipeline"]: r for r in result["rows"]}
    assert set(rows) == {BASELINE, "ours-fp32"}
    for r in rows.values():
        assert r["files"] == 3 and r["files_with_text"] == 3 and r["chunks"] >= 3, r
        assert r["queries"] == 3 and r["p50_ms"] > 0
        assert r["hit5"] == pytest.approx(2 / 3, abs=1e-3), r  # found where allowed, hidden where not
        assert r["ndcg10"] == pytest.approx(2 / 3, abs=1e-3), r  # and ranked first
    assert rows["ours-fp32"]["ratios"]["ndcg10"] == pytest.approx(1.0)
