"""HR (data/docs/hr): the salary bands, the disciplinary procedure and the onboarding checklist."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .blocks import h1, p, table, ul
from .markup import render_md
from .office import write_xlsx
from .pdf import render_pdf


def salary_bands(out: Path) -> None:
    bands = [
        ("Software Engineering", "L1", "Junior Software Engineer", 52000, 58000, 64000),
        ("Software Engineering", "L2", "Software Engineer", 60000, 68000, 76000),
        ("Software Engineering", "L3", "Senior Software Engineer", 72000, 82000, 92000),
        ("Software Engineering", "L4", "Staff Software Engineer", 88000, 98000, 108000),
        ("Software Engineering", "L5", "Principal Engineer", 102000, 114000, 126000),
        ("Software Engineering", "L6", "Director of Engineering", 120000, 135000, 150000),
        ("Hardware Engineering", "L1", "Junior Hardware Engineer", 48000, 54000, 60000),
        ("Hardware Engineering", "L2", "Hardware Engineer", 56000, 63000, 70000),
        ("Hardware Engineering", "L3", "Senior Hardware Engineer", 68000, 77000, 86000),
        ("Hardware Engineering", "L4", "Lead Hardware Engineer", 82000, 91000, 100000),
        ("Hardware Engineering", "L5", "Head of Hardware", 96000, 107000, 118000),
        ("Production & Assembly", "P1", "Production Associate", 34000, 37500, 41000),
        ("Production & Assembly", "P2", "Robotics Technician", 39000, 43500, 48000),
        ("Production & Assembly", "P3", "Senior Robotics Technician", 45000, 50000, 55000),
        ("Production & Assembly", "P4", "Shift Lead", 51000, 56500, 62000),
        ("Production & Assembly", "P5", "Production Manager", 64000, 72000, 80000),
        ("Customer Service & Field Ops", "L1", "Field Service Technician", 40000, 45000, 50000),
        ("Customer Service & Field Ops", "L2", "Senior Field Service Technician", 46000, 51500, 57000),
        ("Customer Service & Field Ops", "L3", "Service Team Lead", 54000, 60000, 66000),
        ("Customer Service & Field Ops", "L4", "Service Manager", 66000, 74000, 82000),
        ("Sales", "L2", "Account Executive (base salary)", 58000, 65000, 72000),
        ("Sales", "L3", "Senior Account Executive (base salary)", 70000, 78000, 86000),
        ("Sales", "L4", "Sales Director (base salary)", 90000, 100000, 110000),
        ("General & Administrative", "L1", "Specialist", 44000, 49000, 54000),
        ("General & Administrative", "L2", "Senior Specialist", 52000, 58000, 64000),
        ("General & Administrative", "L3", "Team Lead", 62000, 69000, 76000),
        ("General & Administrative", "L4", "Head of Function", 78000, 88000, 98000),
    ]
    rows: list[list] = [
        ["Job family", "Level", "Example title", "Min (EUR)", "Midpoint (EUR)", "Max (EUR)", "Location basis"]
    ]
    for family, level, title, lo, mid, hi in bands:
        basis = "Leipzig" if family == "Production & Assembly" else "Munich (Leipzig: x 0.92)"
        rows.append([family, level, title, lo, mid, hi, basis])
    bonus = [
        ["Level", "Bonus target (% of base salary)", "Payout", "Notes"],
        ["L1 / P1-P2", "5%", "April, for previous year", "Company component only"],
        ["L2 / P3", "5%", "April, for previous year", "Company component only"],
        ["L3 / P4", "8%", "April, for previous year", "50% company result, 50% individual goals"],
        ["L4 / P5", "10%", "April, for previous year", "50% company result, 50% individual goals"],
        ["L5", "12%", "April, for previous year", "60% company result, 40% individual goals"],
        ["L6", "15%", "April, for previous year", "70% company result, 30% individual goals"],
        [
            "Sales (all levels)",
            "OTE split 70/30",
            "Quarterly commission",
            "No company bonus; accelerator 1.5x above 110% quota",
        ],
    ]
    notes = [
        ["Topic", "Rule"],
        [
            "Confidentiality",
            "CONFIDENTIAL - People & HR only. Do not forward or share with managers as a file.",
        ],
        ["Validity", "Bands valid from 1 January 2025 to 31 December 2025."],
        [
            "Approval",
            "Approved by Sabine Krüger (Chief People Officer) and Martin Hoffmann (CFO) on 9 December 2024.",
        ],
        [
            "Leipzig location factor",
            "For all job families except Production & Assembly, Leipzig ranges are the "
            "Munich figures multiplied by 0.92 and rounded to the nearest EUR 500.",
        ],
        [
            "Offers above midpoint",
            "Offers above the band midpoint require approval by the Chief People Officer.",
        ],
        ["Offers above max", "Offers above the band maximum require approval by the CEO and CFO."],
        [
            "Annual review",
            "Bands are reviewed every November against the Mercer and Kienbaum benchmark data; "
            "the 2025 market movement budget is 3.5% of base salaries.",
        ],
        [
            "Part-time",
            "All figures are annual gross base salaries for 40 hours per week; pro rata for part-time.",
        ],
    ]
    write_xlsx(
        out / "salary-bands-2025.xlsx",
        [
            ("Bands", rows, [30, 7, 38, 12, 15, 12, 26]),
            ("Bonus targets", bonus, [20, 30, 26, 52]),
            ("Notes", notes, [24, 100]),
        ],
        title="Salary bands 2025 (confidential)",
        stamp=dt.datetime(2024, 12, 9, 16, 0),
    )


def disciplinary_procedure(out: Path) -> None:
    blocks = [
        p("""Document ID: HR-PRO-012. Version 1.3, valid from 1 September 2024. CONFIDENTIAL: for
        People & HR and managers advised by HR. Agreed with the works council on 22 August 2024. Owner:
        Sabine Krüger."""),
        h1("1. Principles"),
        p("""Disciplinary measures are a last resort. Most performance or conduct problems can be
        solved through clear feedback and support. When a formal measure is necessary, it must be fair,
        consistent, documented and proportionate. Managers never start a formal disciplinary step
        without first involving their HR business partner. The works council's rights of information
        and co-determination are respected at every stage."""),
        h1("2. Stages"),
        table(
            [
                ["Stage", "When", "Who decides", "Documentation / retention"],
                [
                    "1. Informal conversation",
                    "First minor issue (e.g. repeated lateness, missed deadlines)",
                    "Line manager",
                    "Short note in the manager's files, not in the personnel file",
                ],
                [
                    "2. Formal feedback meeting",
                    "Issue continues after the informal conversation",
                    "Line manager with HR business partner",
                    "Written summary in the personnel file, removed after 12 months",
                ],
                [
                    "3. Written warning (Abmahnung)",
                    "Breach of contractual duties that is repeated or serious",
                    "Head of department and HR",
                    "Personnel file; removed after 24 months without further incident",
                ],
                [
                    "4. Termination",
                    "Repeated breach after a warning, or gross misconduct",
                    "CEO and Chief People Officer",
                    "Works council hearing under section 102 BetrVG before notice is given",
                ],
            ],
            [0.22, 0.3, 0.2, 0.28],
        ),
        h1("3. Investigation"),
        p("""Before any formal measure, HR investigates the facts. The employee concerned is always heard and
        may bring a member of the works council to the meeting. The investigation must be completed within
        15 working days of HR becoming aware of the issue; in cases that may justify a termination without
        notice, the two-week deadline of section 626 BGB applies and the investigation must be prioritised
        accordingly. Witness statements are recorded in writing and signed."""),
        p("""During an investigation of suspected gross misconduct the employee may be released from work with
        full pay for up to 10 working days. Access to IT systems may be suspended by the Head of IT on the
        written request of the Chief People Officer."""),
        h1("4. Written warnings"),
        p("""A written warning must describe the specific behaviour, the date, the contractual duty that was
        breached and the consequences of a repeat. It is handed over in person, with a second person from HR
        present, and the employee confirms receipt by signature. The works council is informed within three
        working days after the warning is issued. The employee may submit a written response, which is added
        to the personnel file. Warnings are removed from the personnel file after 24 months if there has been
        no further incident of the same kind."""),
        h1("5. Gross misconduct"),
        p("""Examples of gross misconduct that can lead to termination without prior warning include theft or
        fraud (including falsified expense claims or time records), violence or threats, sexual harassment,
        deliberately bypassing the safety functions of a robot, working under the influence of alcohol or
        drugs in production areas, and the intentional disclosure of trade secrets."""),
        h1("6. Appeals"),
        p("""An employee may appeal against a written warning within four weeks to the Chief People Officer.
        The appeal is decided by a manager who was not involved in the original decision, within 10 working
        days of receipt."""),
    ]
    render_pdf(
        out / "disciplinary-procedure.pdf",
        "Disciplinary Procedure",
        "HR-PRO-012 \u2013 Version 1.3 \u2013 confidential: People & HR only",
        blocks,
        author="People & HR",
    )


def onboarding_checklist(out: Path) -> None:
    blocks = [
        p("""This checklist is used by HR, IT, the hiring manager and the onboarding buddy for every new
        employee at Munich and Leipzig. The HR business partner tracks it in PeopleHub; each task has one
        owner. New employees can use it to see what to expect."""),
        h1("Before the first day"),
        table(
            [
                ["When", "Task", "Owner"],
                [
                    "Contract signed",
                    "Create employee record and PeopleHub account; send welcome e-mail",
                    "HR",
                ],
                [
                    "15 working days before start",
                    "Hiring manager names an onboarding buddy from the team",
                    "Manager",
                ],
                ["10 working days before start", "Order laptop, headset and FIDO2 security key", "IT"],
                [
                    "5 working days before start",
                    "Book desk, create access badge request, add to team channels",
                    "Manager",
                ],
                ["3 working days before start", "Send first-week schedule and arrival instructions", "HR"],
            ]
        ),
        h1("Day 1"),
        ul(
            "09:30 welcome at reception (Munich: 3rd floor; Leipzig: office building B).",
            "Collect access badge; badge photo is taken at reception.",
            "IT handover of laptop and security key, first login and MFA enrolment with IT (about 45 "
            "minutes).",
            "Welcome session with HR: handbook, PeopleHub, time recording, payroll data.",
            "Lunch with the onboarding buddy (paid by the company, up to EUR 25 per person).",
            "Leipzig production and field service staff: safety briefing and issue of S3 safety shoes.",
        ),
        h1("First week"),
        ul(
            "Complete the security awareness e-learning (mandatory, within 14 days of the start date).",
            "Complete the data protection training (mandatory, within 14 days of the start date).",
            "Set up the VPN client following the VPN setup guide.",
            "Read the Code of Conduct, the acceptable use policy and the password and MFA policy.",
            "First 1:1 with the manager: agree goals for the probation period.",
        ),
        h1("First 90 days"),
        ul(
            "Weekly 1:1 with the manager during the first month, then every two weeks.",
            "Day 30: buddy check-in and feedback survey from HR.",
            "Day 45: product training 'Robots and FleetOS in 90 minutes' (held on the first "
            "Wednesday of each month).",
            "Day 90: mid-probation review with the manager, documented in PeopleHub.",
            "Engineers: first on-call shadow shift after 8 weeks at the earliest; no primary on-call "
            "in probation.",
        ),
        h1("End of probation"),
        ul(
            "Month 5: probation review with the manager and HR; the decision is documented before "
            "the end of month 5.",
            "HR confirms the end of probation in writing.",
        ),
    ]
    render_md(
        out / "onboarding-checklist.md",
        "Onboarding Checklist",
        "People & HR \u2013 last updated 12 May 2025",
        blocks,
    )
