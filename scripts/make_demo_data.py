"""Generate the DocQA demo document set for the fictional company Northwind Robotics GmbH.

Run from the project root::

    .venv/bin/python scripts/make_demo_data.py

Writes 26 files into ``data/docs/`` (hr, finance, engineering, it-security, general). The output is
deterministic: fixed dates, fixed random seeds, PDF "invariant" mode and normalised ZIP timestamps, so
re-running produces byte-identical files. Everything is fictional and free to redistribute.

The generators are in ``scripts/demo_data/``: one module per kind of file (pdf, office, markup, mail,
scan) and one per folder of documents; this file runs them in order.

``data/acl.yaml``, ``data/users.yaml`` and ``data/README.md`` are maintained by hand next to the output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from demo_data.engineering import architecture_slides, coding_standards, oncall_runbook, postmortem
from demo_data.finance import cfo_email, expense_policy, month_end_close, q3_budget, travel_booking_procedure
from demo_data.general import all_hands_email, benefits_faq, company_overview, holidays, office_locations
from demo_data.hr_policies import parental_leave_policy, remote_work_2023, remote_work_2025, staff_handbook
from demo_data.hr_procedures import disciplinary_procedure, onboarding_checklist, salary_bands
from demo_data.it_security import acceptable_use_policy, password_mfa_policy, phishing_procedure, vpn_guide
from demo_data.scan import code_of_conduct_scan

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "data" / "docs"

GENERATORS = {
    "hr": [
        staff_handbook,
        parental_leave_policy,
        remote_work_2023,
        remote_work_2025,
        salary_bands,
        disciplinary_procedure,
        onboarding_checklist,
        code_of_conduct_scan,
    ],
    "finance": [expense_policy, q3_budget, travel_booking_procedure, cfo_email, month_end_close],
    "engineering": [oncall_runbook, architecture_slides, postmortem, coding_standards],
    "it-security": [password_mfa_policy, acceptable_use_policy, phishing_procedure, vpn_guide],
    "general": [company_overview, holidays, office_locations, all_hands_email, benefits_faq],
}


def main() -> None:
    if DOCS.exists():
        shutil.rmtree(DOCS)
    for folder, generators in GENERATORS.items():
        out = DOCS / folder
        out.mkdir(parents=True)
        for generate in generators:
            generate(out)
    files = sorted(path for path in DOCS.rglob("*") if path.is_file())
    total = sum(path.stat().st_size for path in files)
    for path in files:
        print(f"{path.stat().st_size:>9,}  {path.relative_to(ROOT)}")
    print(f"{len(files)} files, {total / 1_000_000:.2f} MB")


if __name__ == "__main__":
    main()
