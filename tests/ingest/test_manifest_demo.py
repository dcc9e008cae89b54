"""The groups the shipped manifests (data/acl.yaml, data/redteam/acl.yaml) give every file, pinned
file by file: a change to the rule language or to a manifest that changes who may read a demo
document fails here, with the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import discover

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[2] / "data"

DEMO = {  # every document `docqa ingest data --set demo` indexes, and its groups
    "docs/engineering/architecture-overview.pptx": ["engineering"],
    "docs/engineering/coding-standards.html": ["everyone"],
    "docs/engineering/on-call-runbook.md": ["engineering"],
    "docs/engineering/postmortem-2025-06-17-fleet-outage.docx": ["engineering"],
    "docs/finance/2025-09-15-cfo-new-approval-limits.eml": ["finance"],
    "docs/finance/expense-policy.pdf": ["everyone"],
    "docs/finance/month-end-close-procedure.md": ["finance"],
    "docs/finance/q3-2025-budget.xlsx": ["finance"],
    "docs/finance/travel-booking-procedure.docx": ["everyone"],
    "docs/general/2025-09-02-all-hands-announcement.eml": ["everyone"],
    "docs/general/benefits-faq.html": ["everyone"],
    "docs/general/company-overview.xlsx": ["everyone"],
    "docs/general/holidays-2025-2026.csv": ["everyone"],
    "docs/general/office-locations-and-facilities.docx": ["everyone"],
    "docs/hr/code-of-conduct-2019-scanned.pdf": ["everyone"],
    "docs/hr/disciplinary-procedure.pdf": ["hr"],
    "docs/hr/onboarding-checklist.md": ["everyone"],
    "docs/hr/parental-leave-policy.docx": ["everyone"],
    "docs/hr/remote-work-policy-2023.pdf": ["everyone"],
    "docs/hr/remote-work-policy-2025.docx": ["everyone"],
    "docs/hr/salary-bands-2025.xlsx": ["hr"],
    "docs/hr/staff-handbook.pdf": ["everyone"],
    "docs/it-security/acceptable-use-policy.html": ["everyone"],
    "docs/it-security/password-mfa-policy.pdf": ["everyone"],
    "docs/it-security/phishing-report-procedure.txt": ["everyone"],
    "docs/it-security/vpn-setup-guide.md": ["everyone"],
}

REDTEAM = {  # `docqa eval redteam` ingests data/redteam with its own manifest
    "docs/engineering/production-access.md": ["engineering"],
    "docs/finance/acquisition-plan.md": ["finance"],
    "docs/finance/treasury-accounts.csv": ["finance"],
    "docs/hr/salary-review-2026.md": ["hr"],
    "docs/public/expense-guide.html": ["everyone"],
    "docs/public/it-helpdesk.docx": ["everyone"],
    "docs/public/newsletter-march.md": ["everyone"],
    "docs/public/office-guide.txt": ["everyone"],
    "docs/public/security-faq.md": ["everyone"],
    "docs/public/vacation-policy.md": ["everyone"],
}


@pytest.mark.parametrize(
    ("folder", "expected"), [(DATA, DEMO), (DATA / "redteam", REDTEAM)], ids=["demo", "redteam"]
)
def test_the_shipped_manifests_give_every_file_its_pinned_groups(folder: Path, expected: dict) -> None:
    sources, problems = discover([folder], None, [])
    assert problems == []
    assert {s.key: s.groups for s in sources} == expected
