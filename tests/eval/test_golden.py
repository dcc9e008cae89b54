"""The golden set loader rejects bad input; the demo set covers what it promises and agrees with the
demo corpus, its users and its ACL; ``mentions_all`` matches the way answers are labelled."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from eval.golden import GoldenItem, golden_path, load_golden, mentions_all
from ingest.manifest import AclManifest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"

GOOD = {
    "id": "t-1",
    "question": "How many vacation days do I get?",
    "reference_answer": "30 working days per year.",
    "must_include": ["30"],
    "reference_sources": [{"document": "docs/hr/staff-handbook.pdf", "page": 2}],
    "user": "dave",
    "answerable": True,
    "tags": ["pdf", "numeric"],
}
RESTRICTED = {
    "id": "t-2",
    "question": "What is the salary band for a senior engineer?",
    "reference_answer": "Refuse.",
    "must_include": [],
    "reference_sources": [],
    "user": "dave",
    "answerable": False,
    "tags": ["restricted"],
    "hidden_source": "docs/hr/salary-bands-2025.xlsx",
}


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


# -- loader ----------------------------------------------------------------------------------------
def test_load_good_file(tmp_path: Path) -> None:
    items = load_golden(write(tmp_path, GOOD, "", RESTRICTED))
    assert [i.id for i in items] == ["t-1", "t-2"]
    assert isinstance(items[0], GoldenItem)
    assert items[0].reference_sources == [{"document": "docs/hr/staff-handbook.pdf", "page": 2}]
    assert items[0].hidden_source is None and items[1].hidden_source == "docs/hr/salary-bands-2025.xlsx"
    assert items[1].line == 3  # blank lines are skipped but counted


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"set\.jsonl:2: not valid JSON"):
        load_golden(write(tmp_path, GOOD, '{"id": "t-3", "question": '))


def test_missing_field_names_line_and_field(tmp_path: Path) -> None:
    bad = {k: v for k, v in GOOD.items() if k != "user"}
    with pytest.raises(ValueError, match=r":1: missing field\(s\) user"):
        load_golden(write(tmp_path, bad))


def test_duplicate_id(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r":2: duplicate id 't-1' \(first used on line 1\)"):
        load_golden(write(tmp_path, GOOD, GOOD))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tags": ["pdf", "nonsense"]}, "unknown tag"),
        ({"surprise": 1}, "unknown field"),
        ({"must_include": []}, "must_include needs 1-4"),
        ({"must_include": ["a", "b", "c", "d", "e"]}, "must_include needs 1-4"),
        ({"reference_sources": []}, "needs at least one reference source"),
        ({"reference_sources": [{"document": "docs/x.pdf", "page": 0}]}, "page must be an integer"),
        ({"reference_sources": [{"document": "docs/x.pdf"}]}, "'document' and a location"),
        ({"answerable": "yes"}, "answerable must be true or false"),
        ({"question": "  "}, "question must be a non-empty string"),
        ({"answerable": False, "must_include": [], "reference_sources": []}, "tagged 'restricted' or"),
        ({"tags": ["unanswerable"]}, "must have answerable false"),
    ],
)
def test_malformed_items(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_golden(write(tmp_path, {**GOOD, **change}))


def test_restricted_needs_hidden_source(tmp_path: Path) -> None:
    bad = {k: v for k, v in RESTRICTED.items() if k != "hidden_source"}
    with pytest.raises(ValueError, match="hidden_source"):
        load_golden(write(tmp_path, bad))


def test_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=":1: expected a JSON object"):
        load_golden(write(tmp_path, "[1, 2]"))


def test_golden_path() -> None:
    assert golden_path("demo") == DATA / "golden" / "demo.jsonl"
    with pytest.raises(ValueError):
        golden_path("../etc/passwd")


# -- the demo set ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> list[GoldenItem]:
    return load_golden(golden_path("demo"))


@pytest.fixture(scope="module")
def users() -> dict[str, set[str]]:
    data = yaml.safe_load((DATA / "users.yaml").read_text())
    return {u["name"]: set(u["groups"]) for u in data["users"]}


@pytest.fixture(scope="module")
def acl() -> AclManifest:
    return AclManifest.load(DATA / "acl.yaml")


def readable_by(acl: AclManifest, document: str) -> set[str]:
    """The groups that may read ``document`` (a path relative to data/), as ingestion decides it."""
    assert not acl.ignores(document), f"{document} is ignored by data/acl.yaml, so never ingested"
    rule = acl.match(document)
    return set(rule[1] if rule else acl.default or [])


def test_demo_coverage(demo: list[GoldenItem]) -> None:
    answerable = [i for i in demo if i.answerable]
    tags = Counter(t for i in answerable for t in i.tags)
    assert len(demo) >= 64
    assert len(answerable) >= 40
    minimum = dict(table=6, scanned=4, spreadsheet=4, slides=4, email=4, versions=3)
    minimum["multi-part"] = 3
    for tag, n in minimum.items():
        assert tags[tag] >= n, f"only {tags[tag]} answerable items tagged {tag}, want {n}"
    for fmt in ("pdf", "docx", "html", "markdown"):
        assert tags[fmt] >= 2, fmt
    assert sum("restricted" in i.tags for i in demo) >= 10
    assert sum("unanswerable" in i.tags for i in demo) >= 12
    askers = Counter(i.user for i in demo)
    assert {"alice", "bob", "carol", "dave", "heidi"} <= set(askers)


def test_demo_ids_and_text(demo: list[GoldenItem]) -> None:
    assert all(i.id.startswith("demo-") for i in demo)
    assert len({i.question.casefold() for i in demo}) == len(demo), "duplicate questions"
    for item in demo:
        if item.answerable:  # the must_include strings come from the reference answer itself
            assert mentions_all(item.reference_answer, item.must_include), item.id


def test_demo_sources_exist(demo: list[GoldenItem]) -> None:
    for item in demo:
        for doc in [s["document"] for s in item.reference_sources] + [item.hidden_source or ""]:
            if doc:
                assert doc.startswith("docs/"), f"{item.id}: {doc} is not a path as ingested from data/"
                assert (DATA / doc).is_file(), f"{item.id}: {doc} not found under data/"


def test_demo_users_exist(demo: list[GoldenItem], users: dict[str, set[str]]) -> None:
    assert {i.user for i in demo} <= set(users)


def test_demo_askers_may_read_their_sources(
    demo: list[GoldenItem], users: dict[str, set[str]], acl: AclManifest
) -> None:
    for item in demo:
        groups = users[item.user]
        for src in item.reference_sources:
            allowed = readable_by(acl, src["document"])
            assert groups & allowed, f"{item.id}: {item.user} may not read {src['document']}"
        if "restricted" in item.tags:
            hidden = readable_by(acl, item.hidden_source or "")
            assert not groups & hidden, f"{item.id}: {item.user} may read {item.hidden_source}"
            assert "everyone" not in hidden


# -- mentions_all ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "must", "expected"),
    [
        ("Full-time staff get 30 working days.", ["30"], True),
        ("full-time staff get 30\n  working   DAYS", ["30 working days"], True),
        ("The budget is EUR 1,200 per year.", ["1200"], True),
        ("The budget is EUR 1200 per year.", ["1,200"], True),
        ("Actual opex was 10,821,700 EUR.", ["10821700"], True),
        ("Partner leave is 10 days; the return bonus is EUR 1,000.", ["10", "1,000"], True),
        ("EUR 300 per week", ["30"], False),
        ("EUR 130 per week", ["30"], False),
        ("at 09:30", ["9:30"], False),
        ("EUR 0.30 per kilometre", ["0.30"], True),
        ("Stefan Maurer, extension 2150", ["stefan maurer", "2150"], True),
        ("Stefan Maurer", ["Stefan Maurer", "2150"], False),
        ("anything", [], True),
        ("", ["x"], False),
    ],
)
def test_mentions_all(answer: str, must: list[str], expected: bool) -> None:
    assert mentions_all(answer, must) is expected
