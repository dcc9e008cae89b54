from pathlib import Path

import pytest
import yaml

from ingest.manifest import AclManifest, ManifestError

pytestmark = pytest.mark.unit

MANIFEST = """
default: [everyone]
ignore: [/README.md, "golden/"]
rules:
  - match: "docs/hr/salary-*"
    groups: [hr]
  - match: "docs/hr/**"
    groups: [everyone, hr]
  - match: "**/*.xlsx"
    groups: finance
"""

# (match: one pattern or a rule's list, path relative to the manifest's folder, does the rule match)
TABLE = [
    # a pattern without a slash (but at its end) matches at any depth; a leading / anchors it
    ("*.pdf", "a.pdf", True),
    ("*.pdf", "docs/hr/a.pdf", True),
    ("*.pdf", "docs/a.pdfx", False),
    ("/*.pdf", "a.pdf", True),
    ("/*.pdf", "docs/a.pdf", False),
    ("README.md", "docs/hr/README.md", True),
    # dir/ : everything below a folder of that name, anywhere; /dir/ only the top one
    ("docs/", "docs/a.txt", True),
    ("docs/", "docs/sub/a.txt", True),
    ("docs/", "archive/docs/a.txt", True),
    ("docs/", "docs", False),
    ("/docs/", "archive/docs/a.txt", False),
    ("docs", "docs/sub/a.txt", True),
    # a slash inside anchors to the manifest's folder; * and ? stay within one segment, but a
    # pattern that matches a folder covers everything below it (as in Git)
    ("docs/hr/salary-*", "docs/hr/salary-bands.xlsx", True),
    ("docs/hr/salary-*", "archive/docs/hr/salary-bands.xlsx", False),
    ("docs/*.md", "docs/sub/a.md", False),
    ("docs/hr/*", "docs/hr/sub/a.pdf", True),
    (["docs/hr/*", "!docs/hr/*/"], "docs/hr/sub/a.pdf", False),
    (["docs/hr/*", "!docs/hr/*/"], "docs/hr/a.pdf", True),
    ("file?.txt", "file1.txt", True),
    ("file?.txt", "file12.txt", False),
    ("a?b", "a/b", False),
    # ** : any number of folders
    ("**/x", "x", True),
    ("**/x", "a/b/x", True),
    ("**/x", "a/bx", False),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("docs/**/*.md", "docs/a.md", True),
    ("docs/**/*.md", "docs/a/b/c.md", True),
    # [...] classes; a literal [ ] * ? ! # needs a backslash
    ("[abc].txt", "b.txt", True),
    ("[abc].txt", "d.txt", False),
    ("[!abc].txt", "d.txt", True),
    ("[a-c]?.txt", "c1.txt", True),
    ("docs/[x].md", "docs/[x].md", False),
    ("docs/\\[x\\].md", "docs/[x].md", True),
    ("\\!important.txt", "!important.txt", True),
    ("\\#notes.txt", "#notes.txt", True),
    # case-sensitive
    ("*.pdf", "docs/a.PDF", False),
    ("Docs/", "docs/a.txt", False),
    # spaces: inside a name as they are; trailing ones dropped unless escaped
    ("my file.txt", "dir/my file.txt", True),
    ("hr/Q3 report *.xlsx", "hr/Q3 report final.xlsx", True),
    ("name.txt  ", "name.txt", True),
    ("name\\ ", "name ", True),
    # unicode names
    ("café/*.pdf", "café/menü.pdf", True),
    ("報告/*", "報告/2025 年.docx", True),
    ("Über*", "Überstunden.pdf", True),
    # a rule's list is one gitignore file: the last matching line decides, ! excludes again
    (["docs/finance/", "!docs/finance/public/"], "docs/finance/public/a.pdf", False),
    (["docs/finance/", "!docs/finance/public/"], "docs/finance/q3.xlsx", True),
    (["*.pdf", "!secret/*.pdf", "secret/ok.pdf"], "secret/x.pdf", False),
    (["*.pdf", "!secret/*.pdf", "secret/ok.pdf"], "secret/ok.pdf", True),
    # Windows separators in the path are read as /
    ("docs/hr/", "docs\\hr\\a.pdf", True),
]


def one_rule(match: str | list[str]) -> AclManifest:
    return AclManifest.parse(yaml.safe_dump({"rules": [{"match": match, "groups": ["g"]}]}))


@pytest.mark.parametrize(("match", "path", "matches"), TABLE, ids=[f"{m} {p}" for m, p, _ in TABLE])
def test_rule_language(match: str | list[str], path: str, matches: bool) -> None:
    assert (one_rule(match).match(path) is not None) is matches


def test_the_table_covers_the_rule_language() -> None:
    assert len(TABLE) >= 20
    assert {m for m, _, ok in TABLE if isinstance(m, str) and ok} >= {"*.pdf", "docs/", "**/x", "[abc].txt"}


def test_first_matching_rule_wins() -> None:
    m = AclManifest.parse(MANIFEST)
    assert m.match("docs/hr/salary-bands.xlsx") == ("docs/hr/salary-*", ["hr"])
    assert m.match("docs/hr/handbook.pdf") == ("docs/hr/**", ["everyone", "hr"])
    assert m.match("docs/finance/q3.xlsx") == ("**/*.xlsx", ["finance"])
    assert m.match("docs/other.txt") is None
    assert m.default == ["everyone"]


def test_manifest_without_default_has_none() -> None:
    assert AclManifest.parse("rules: []").default is None


@pytest.mark.parametrize(
    "text",
    [
        "rules: [{match: '*'}]",
        "rules: [{match: '*', groups: []}]",
        "nonsense: 1",
        "- a\n- b",
        "rules: [{match: x, groups: [1]}]",
    ],
)
def test_bad_manifests_are_rejected_with_a_reason(text: str) -> None:
    with pytest.raises(ManifestError):
        AclManifest.parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [  # Git would skip these lines silently; a rule that can never match would hand files to the next
        ("rules: [{match: '[z-a].txt', groups: [hr]}]", "bad character range"),
        ("rules: [{match: '#salary', groups: [hr]}]", "matches nothing (blank, a # comment"),
        ("rules: [{match: '   ', groups: [hr]}]", "matches nothing"),
        ("rules: [{match: '', groups: [hr]}]", "non-empty strings"),
        ("rules: [{match: [], groups: [hr]}]", "non-empty list of patterns"),
        ("rules: [{match: '!docs/public/', groups: [hr]}]", "only excludes (!), so it matches nothing"),
        ("rules: [{match: x, groups: [hr], group: [it]}]", "unknown keys ['group']"),
        ("ignore: ['!']", "acl.yaml ignore: invalid pattern"),
    ],
)
def test_patterns_that_match_nothing_are_rejected(text: str, reason: str) -> None:
    with pytest.raises(ManifestError) as refused:
        AclManifest.parse(text)
    assert reason in str(refused.value)


def test_a_number_is_read_as_its_text() -> None:
    assert one_rule(2025).match("2025/budget.xlsx") == ("2025", ["g"])  # YAML reads `match: 2025` as an int


def test_ignored_files_are_not_documents() -> None:
    m = AclManifest.parse(MANIFEST)
    assert m.ignores("README.md") and m.ignores("golden/q.jsonl")
    assert not m.ignores("docs/README.md")  # /README.md: only the folder's own
    assert AclManifest.parse("ignore: [README.md]").ignores("docs/README.md")  # unanchored: at any depth


def test_ignore_is_one_gitignore_list_with_negation() -> None:
    m = AclManifest.parse("ignore: ['*.tmp', '!keep.tmp', 'drafts/']")
    assert m.ignores("a.tmp") and m.ignores("x/b.tmp") and m.ignores("drafts/plan.docx")
    assert not m.ignores("keep.tmp") and not m.ignores("x/keep.tmp") and not m.ignores("plan.docx")


def test_a_rule_list_label_and_the_first_matching_rule_across_rules() -> None:
    m = AclManifest.parse(
        "rules:\n"
        "  - {match: ['docs/finance/', '!docs/finance/public/'], groups: [finance]}\n"
        "  - {match: 'docs/', groups: [everyone]}\n"
    )
    assert m.match("docs/finance/q3.xlsx") == ("docs/finance/, !docs/finance/public/", ["finance"])
    assert m.match("docs/finance/public/expenses.pdf") == ("docs/", ["everyone"])  # falls to the next rule


@pytest.mark.unit
def test_the_demo_manifest_keeps_test_sets_out_of_the_demo() -> None:
    """data/ holds the demo documents and, beside them, the golden and red-team sets: the red-team
    documents carry injections and canary secrets and must never be indexed as demo documents."""
    data = Path(__file__).resolve().parents[2] / "data"
    manifest = AclManifest.load(data / "acl.yaml")
    for path in sorted(data.rglob("*")):
        rel = path.relative_to(data).as_posix()
        if path.is_file() and rel.split("/")[0] in ("redteam", "golden"):
            assert manifest.ignores(rel), f"{rel} would be ingested with the demo"
    assert not manifest.ignores("docs/hr/salary-bands.pdf")
