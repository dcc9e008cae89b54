from pathlib import Path

import pytest

from ingest.manifest import AclManifest, ManifestError, glob_to_regex

pytestmark = pytest.mark.unit

MANIFEST = """
default: [everyone]
ignore: [README.md, "golden/**"]
rules:
  - match: "docs/hr/salary-*"
    groups: [hr]
  - match: "docs/hr/**"
    groups: [everyone, hr]
  - match: "**/*.xlsx"
    groups: finance
"""


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("docs/hr/*", "docs/hr/a.pdf", True),
        ("docs/hr/*", "docs/hr/sub/a.pdf", False),
        ("docs/hr/**", "docs/hr/sub/a.pdf", True),
        ("**/*.pdf", "a.pdf", True),
        ("**/*.pdf", "x/y/a.pdf", True),
        ("**/*.pdf", "x/y/a.pdfx", False),
        ("a?.txt", "ab.txt", True),
        ("a?.txt", "a/.txt", False),
        ("docs/[x].md", "docs/[x].md", True),
    ],
)
def test_glob(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_to_regex(pattern).match(path)) is matches


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


def test_ignored_files_are_not_documents() -> None:
    m = AclManifest.parse(MANIFEST)
    assert m.ignores("README.md") and m.ignores("golden/q.jsonl")
    assert not m.ignores("docs/README.md")


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
