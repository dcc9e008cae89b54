"""The evaluation sets of eval/sets and the public ones: they parse, point at files that exist under
../shared/data, cover what they promise, respect the messy set's ACL, and split into stable halves."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.datasets import (
    FINANCEBENCH_DIR,
    FINANCEBENCH_FACTS,
    MESSY_ACL,
    MESSY_DIR,
    MESSY_SET,
    MESSY_USERS,
    clapnq_items,
    financebench_items,
    link_corpus,
    messy_items,
)
from eval.golden import GoldenItem, half_of, mentions_all, select_half
from ingest.manifest import AclManifest

pytestmark = pytest.mark.unit
needs_messy = pytest.mark.skipif(not MESSY_DIR.is_dir(), reason="../shared/data/messy not present")
needs_fb = pytest.mark.skipif(not FINANCEBENCH_DIR.is_dir(), reason="../shared/data/financebench-dev missing")


@pytest.fixture(scope="module")
def messy() -> list[GoldenItem]:
    return messy_items()


def readable_by(acl: AclManifest, document: str) -> set[str]:
    rule = acl.match(document)
    return set(rule[1] if rule else acl.default or [])


# -- the messy set ---------------------------------------------------------------------------------
def test_messy_set_size_and_ids(messy: list[GoldenItem]) -> None:
    assert len(messy) >= 80
    assert len({i.id for i in messy}) == len(messy)  # load_golden refuses duplicates too
    assert all(i.id.startswith("messy-") for i in messy)
    assert sum(not i.answerable for i in messy) >= 20
    assert sum("restricted" in i.tags for i in messy) >= 5
    assert sum("near-miss" in i.tags for i in messy) >= 10
    assert sum("wrong-period" in i.tags for i in messy) >= 4
    for item in messy:
        if item.answerable:  # the expected facts are in the reference answer itself
            assert mentions_all(item.reference_answer, item.must_include), item.id


def test_messy_set_covers_every_kind_of_file(messy: list[GoldenItem]) -> None:
    answerable = Counter(t for i in messy if i.answerable for t in i.tags)
    minimum = {"pdf": 20, "scanned": 6, "docx": 3, "slides": 3, "spreadsheet": 6, "csv": 2, "html": 5,
               "markdown": 2, "text": 3, "email": 4, "attachment": 2, "table": 15, "multi-doc": 4,
               "encrypted": 1, "misnamed": 1}  # fmt: skip
    for kind, n in minimum.items():
        assert answerable[kind] >= n, f"only {answerable[kind]} answerable items tagged {kind}, want {n}"


def test_every_location_is_the_right_kind(messy: list[GoldenItem]) -> None:
    for item in messy:
        for src in item.reference_sources:
            doc = src["document"]
            if doc.endswith((".pdf", ".pptx")):
                assert "page" in src, f"{item.id}: {doc} needs a page (PDF page, slide)"
            if doc.endswith((".xlsx", ".xlsm", ".xls")):
                assert "page" in src and "sheet" in src, f"{item.id}: {doc} needs the sheet and its index"
            if "attachment" in item.tags and item.answerable:
                assert all("attachment" in s for s in item.reference_sources), item.id


@needs_messy
def test_every_referenced_file_exists_in_the_shared_data(messy: list[GoldenItem]) -> None:
    for item in messy:
        for doc in [s["document"] for s in item.reference_sources] + [item.hidden_source or ""]:
            if doc:
                assert (MESSY_DIR / doc).is_file(), f"{item.id}: {doc} not found under {MESSY_DIR}"


def test_askers_read_their_sources_and_not_the_hidden_ones(messy: list[GoldenItem]) -> None:
    acl = AclManifest.load(MESSY_ACL)
    assert {i.user for i in messy} <= set(MESSY_USERS)
    for item in messy:
        groups = set(MESSY_USERS[item.user])
        for src in item.reference_sources:
            assert groups & readable_by(acl, src["document"]), f"{item.id}: {item.user} can't read {src}"
        if "restricted" in item.tags:
            hidden = readable_by(acl, item.hidden_source or "")
            assert not groups & hidden and "everyone" not in hidden, f"{item.id}: {item.hidden_source}"


def test_link_corpus_links_without_copying_and_adds_the_acl(tmp_path: Path) -> None:
    src = tmp_path / "shared"
    (src / "email").mkdir(parents=True)
    (src / "email" / "a.eml").write_text("Subject: hi\n\nhello\n")
    (src / "b.txt").write_text("b")
    dest = tmp_path / "corpus"
    assert link_corpus(dest, src, MESSY_ACL) == 2
    link = dest / "email" / "a.eml"
    assert link.is_symlink() and link.read_text().endswith("hello\n")
    assert (dest / "acl.yaml").read_text() == MESSY_ACL.read_text()
    (src / "b.txt").unlink()
    assert link_corpus(dest, src, MESSY_ACL) == 1
    assert not (dest / "b.txt").exists() and not (dest / "b.txt").is_symlink()


# -- the split ---------------------------------------------------------------------------------------
def test_the_split_is_a_fixed_function_of_the_id() -> None:
    # pinned values: changing the rule would silently move questions between halves
    assert [half_of(f"messy-{n:03d}") for n in (1, 2, 3, 4, 5)] == ["test", "tune", "tune", "tune", "tune"]
    assert half_of("financebench_id_02987") == "test"
    items = [GoldenItem(f"x-{n}", "q?", "a", ["a"], [{"document": "d", "page": 1}], "u", True, ["pdf"])
             for n in range(400)]  # fmt: skip
    tune, test = select_half(items, "tune"), select_half(items, "test")
    assert len(tune) + len(test) == 400 and not {i.id for i in tune} & {i.id for i in test}
    assert 160 <= len(test) <= 240
    assert select_half(items, "all") == items
    with pytest.raises(ValueError, match="half"):
        select_half(items, "dev")


def test_the_messy_split_is_roughly_half_and_half(messy: list[GoldenItem]) -> None:
    test = select_half(messy, "test")
    assert 0.35 <= len(test) / len(messy) <= 0.65
    assert sum(not i.answerable for i in test) >= 10  # enough unanswerable ones to report on


# -- FinanceBench and ClapNQ -----------------------------------------------------------------------
@needs_fb
def test_financebench_items_map_evidence_pages_to_sources() -> None:
    items = financebench_items()
    assert len(items) == 21 and set(FINANCEBENCH_FACTS) == {i.id for i in items}
    lines = (FINANCEBENCH_DIR / "questions.jsonl").read_text().splitlines()
    records = {json.loads(line)["id"]: json.loads(line) for line in lines if line.strip()}
    for item in items:
        assert item.answerable and item.reference_sources
        for src in item.reference_sources:
            assert (FINANCEBENCH_DIR / "pdfs" / src["document"]).is_file()
            assert isinstance(src["page"], int) and src["page"] >= 1
        gold = records[item.id]["answer"] + " " + (records[item.id]["justification"] or "")
        gold = gold.replace(".00", "")  # "$11588.00": the gold answers write whole millions with cents
        assert mentions_all(gold, [m for m in item.must_include if m != "opioid"]), item.id
    assert len(select_half(items, "test")) + len(select_half(items, "tune")) == 21


@pytest.mark.skipif(not (MESSY_DIR.parent / "clapnq").is_dir(), reason="../shared/data/clapnq not present")
def test_clapnq_halves_are_balanced() -> None:
    items = clapnq_items()
    test = select_half(items, "test")
    assert 0.4 <= len(test) / len(items) <= 0.6
    assert 0.35 <= sum(i.answerable for i in test) / len(test) <= 0.65


def test_the_set_file_lives_in_the_project_and_the_data_does_not() -> None:
    assert MESSY_SET.parent.name == "sets" and MESSY_SET.parent.parent.name == "eval"
    project = MESSY_SET.parents[2]
    assert not (project / "data" / "messy").exists()
    assert MESSY_DIR.resolve().parent.name == "data" and project not in MESSY_DIR.resolve().parents


# -- end to end: a few messy questions through the engine, extractive backend ------------------------
FEW = ["office/csv-comma.csv", "office/stanley-cups.xlsx", "office/word_sample.docx", "email/family-day.eml",
       "email/fake-email-attachment.eml"]  # fmt: skip


@needs_messy
@pytest.mark.integration
@pytest.mark.slow
def test_a_few_messy_questions_end_to_end(svc, tmp_path: Path) -> None:
    from eval.datasets import prepare_messy
    from eval.metrics import leaked, run_metrics
    from eval.runner import run_golden
    from eval.runs import result_fields

    source = tmp_path / "few"  # a few of the shared files, linked under their messy paths
    for rel in FEW:
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).symlink_to(MESSY_DIR / rel)
    items = prepare_messy(svc, source)
    docs = {d.path: d for d in svc.db.list_documents("messy")}
    assert set(docs) == set(FEW) and docs["email/family-day.eml"].group_names == ["mail"]
    few = [i for i in items
           if all(s["document"] in FEW for s in i.reference_sources) and (i.hidden_source or FEW[0]) in FEW
           and (i.reference_sources or i.hidden_source)]  # fmt: skip
    assert len(few) >= 6 and any("restricted" in i.tags for i in few)
    by_id = {i.id: i for i in few}
    rows = run_golden(svc, few, backend="extractive")
    results = [result_fields(r, by_id[r.id], svc.db) for r in rows]
    for r in results:
        assert r["answer"]["backend"] == "extractive" and "retrieved" in r["answer"]
        assert not leaked(r), r["item_id"]
        if r["user"] == "messy-reader":  # the e-mails are not even retrieved for a reader without "mail"
            assert not any(p["path"].startswith("email/") for p in r["answer"]["retrieved"])
        for c in r["answer"]["citations"]:
            assert "section" in c and "chunk_id" in c
    m = run_metrics(results)
    h = m["headline"]["all"]
    assert h["answerable_correct"]["n"] == sum(i.answerable for i in few)
    assert h["unanswerable_refused"]["n"] == sum(not i.answerable for i in few)
    assert h["answerable_correct"]["k"] >= 1 and m["leaks"] == 0
