"""HR (data/docs/hr): the staff handbook, the parental-leave policy and both remote-work policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .blocks import h1, h2, p, table, ul
from .company import COMPANY, DOMAIN, SERVICE_DESK_EXT
from .office import render_docx
from .pdf import render_pdf


def staff_handbook(out: Path) -> None:
    blocks = [
        h1("1. Welcome to Northwind Robotics"),
        p(f"""Welcome aboard. This handbook explains how we work together at {COMPANY}: working time,
        time off, pay, learning, equipment and the rules that keep our colleagues, customers and robots safe.
        It applies to all employees at both sites, Munich and Leipzig, unless a works agreement
        (Betriebsvereinbarung) or your individual contract says otherwise; in that case the works agreement
        or the contract takes precedence. Specific topics such as remote work, parental leave, expenses,
        travel, passwords and acceptable use of IT are governed by separate policies, which you find on the
        intranet and in the document assistant."""),
        p("""This is version 2024.1 of the handbook, issued on 15 January 2024 by the People & HR team and
        agreed with the works council on 9 January 2024. It replaces version 2022.2. If anything in here is
        unclear, ask your HR business partner before you act on your own interpretation."""),
        h1("2. About the company"),
        p("""Northwind Robotics was founded in 2014 in Munich by Dr. Katharina Brandt (CEO) and Tobias Lenz
        (CTO). We build autonomous mobile robots for warehouses and factories, the NW-200 "Carrier" and the
        NW-600 "Lifter", and the cloud software FleetOS that plans their missions. Our headquarters in Munich
        houses software engineering, product management, sales and the central functions. The Leipzig site,
        opened in 2018, is home to assembly and production, the customer service centre and field operations.
        Andrea Vogel (COO) is the site lead in Leipzig."""),
        p("""At the end of 2023 our customers ran more than 140 warehouses in 11 countries with our
        robots. Every robot we ship is someone's colleague on a warehouse floor, which is why safety,
        quality and honest communication come first in everything we do."""),
        h1("3. Working time"),
        h2("3.1 Regular hours and core hours"),
        p("""The regular working time for full-time employees is 40 hours per week, Monday to Friday.
        Part-time arrangements are agreed individually in writing. We work with flexible working time:
        you can start between 07:00 and 10:00 and finish between 15:00 and 20:00, as long as you are available
        during core hours. Core hours are 10:00 to 15:00 from Monday to Thursday and 10:00 to 13:00 on
        Fridays. Production and field service staff in Leipzig work in shifts according to the shift plan
        published two weeks in advance; core hours do not apply to them."""),
        h2("3.2 Time recording and flexitime account"),
        p("""All employees record their working time in PeopleHub, our HR portal, on the day the work is done
        and no later than the following working day. Hours worked above or below the contractual time go to
        your flexitime account. The account may show at most 40 hours of credit and at most 20 hours of
        debit. Credit above 40 hours expires at the end of each month unless your manager has approved
        overtime in advance (see 3.3). Breaks of at least 30 minutes after six hours and of 45 minutes after
        nine hours are mandatory by law and are deducted automatically."""),
        h2("3.3 Overtime"),
        p("""Overtime is work that your manager orders or approves in advance and that goes beyond the
        flexitime limits. Approved overtime is compensated with time off in lieu at a ratio of 1:1. If it
        cannot be taken as time off within three months, it is paid out with the next payroll at 125% of
        the hourly rate. Employees in salary band L5 and above and all managers with personnel
        responsibility are not entitled to overtime pay; their overtime is covered by their salary."""),
        h1("4. Vacation and public holidays"),
        p("""Full-time employees working a five-day week receive 30 working days of paid vacation per
        calendar year. Part-time employees receive a proportional entitlement based on their working days
        per week. In addition, 24 December and 31 December are paid company days off at both sites. Public
        holidays follow the state in which your site is located: Bavaria for Munich and Saxony for Leipzig.
        The holiday calendar for the current and next year is published in the general documents area."""),
        p("""Vacation is requested in PeopleHub. Requests for more than five consecutive working days must be
        submitted at least four weeks in advance; shorter requests at least three working days in advance.
        Your manager answers within five working days. We encourage everyone to take at least ten consecutive
        working days once a year to properly recover. Vacation that you could not take in the calendar year
        may be carried over until 31 March of the following year; after that date it expires unless you could
        not take it because of illness or parental leave."""),
        h1("5. Sickness and absence"),
        p(
            """If you are unable to work because of illness, inform your manager and HR (hr@"""
            + DOMAIN
            + """) before 09:30 on the first day of absence, by phone, chat or e-mail. If the absence lasts
        longer than two calendar days, you need a medical certificate from the third calendar day onward.
        In Germany the doctor transmits the certificate electronically to the health insurer (eAU); you only
        need to tell HR that a certificate exists. Your salary continues to be paid for up to six weeks per
        illness, after which the statutory health insurance pays sickness benefit."""
        ),
        p("""If a child under 12 is ill and needs care, you may take up to 5 paid working days per
        child per year with a doctor's note, in addition to the statutory child sickness benefit
        (Kinderkrankengeld). Medical appointments should be scheduled outside core hours where
        possible."""),
        h1("6. Probation, notice and leaving"),
        p("""The first six months of employment are a probation period. During probation, either side may
        terminate the contract with two weeks' notice. Your manager holds a probation review in month five
        at the latest. After probation, the notice period is three months to the end of a calendar month
        for both sides, unless the statutory notice period for the employer is longer. Terminations must be
        in writing with a handwritten signature; e-mail is not sufficient."""),
        p("""When you leave, you return your laptop, phone, security key, access badge and any other company
        property within five working days after your last working day. You receive a qualified employment
        reference (qualifiziertes Arbeitszeugnis) within two weeks after your last day."""),
        h1("7. Pay and payroll"),
        p("""Salaries are paid monthly in arrears on the last banking day of the month. Payslips are available
        in PeopleHub from the 25th of the month. Salaries are reviewed once a year; adjustments take effect on
        1 April. Changes to your bank details or tax class must be entered in PeopleHub by the 10th of a month
        to be taken into account for that month's payroll. A 13th salary is not paid; instead, eligible
        employees take part in the annual bonus programme, which pays out in April for the previous
        financial year."""),
        h1("8. Learning and development"),
        p("""Every employee has an individual learning budget of EUR 1,200 per calendar year and three paid
        learning days per year for courses, conferences, certifications or books. The budget is not
        transferable to the next year. Requests above EUR 500 need the approval of your manager in
        PeopleHub before you book. German and English language courses are offered free of charge at both
        sites and do not count against your budget. If the company pays more than EUR 3,000 for a single
        qualification, a pro-rata repayment clause applies if you leave within 24 months."""),
        h1("9. Company equipment"),
        p(
            """You receive a laptop, a headset and a FIDO2 security key on your first day. Employees on an
        on-call rota or in field service also receive a company smartphone. Equipment remains the property of
        the company. Report loss or theft immediately to the IT service desk (extension """
            + SERVICE_DESK_EXT
            + """) and, for the security key or a laptop, also to the IT security hotline. Private use
            of company equipment is allowed within the limits of the acceptable use policy."""
        ),
        h1("10. Conduct, speaking up and data protection"),
        p("""We expect honest, respectful and lawful behaviour from everyone. The rules on gifts,
        hospitality, conflicts of interest and fair competition are set out in our Code of Conduct (the
        2019 edition signed by the management board is still valid and is filed in the HR documents area).
        Harassment or discrimination of any kind is not tolerated."""),
        p("""If you observe a breach of law or of our policies, raise it with your manager, HR or the works
        council. You can also report confidentially, and if you wish anonymously, to our external
        ombudsperson under the Whistleblower Protection Act (HinSchG): Dr. Eva Lindner, Lindner & Partner
        Rechtsanwälte, reachable by phone on +49 89 2130 7788 or through the reporting portal linked on the
        intranet. Reports are acknowledged within seven days. Nobody who reports in good faith will suffer
        any disadvantage."""),
        p(
            """Personal data of customers, colleagues and applicants may only be processed for the purpose for
        which it was collected. Questions go to our data protection officer at privacy@"""
            + DOMAIN
            + """. Confidential documents must not be stored on private devices or in private cloud
        storage."""
        ),
        h1("11. Who to contact"),
        table(
            [
                ["Topic", "Contact", "How to reach"],
                ["Contracts, pay, absences", "People & HR team", f"hr@{DOMAIN}, PeopleHub ticket"],
                ["HR business partner Munich", "Miriam Scholz", f"miriam.scholz@{DOMAIN}"],
                ["HR business partner Leipzig", "Jana Herrmann", f"jana.herrmann@{DOMAIN}"],
                ["Chief People Officer", "Sabine Krüger", f"sabine.krueger@{DOMAIN}"],
                ["Works council (chair)", "Thomas Richter", f"betriebsrat@{DOMAIN}"],
                ["IT service desk", "IT & Security", f"extension {SERVICE_DESK_EXT}, help.{DOMAIN}"],
                ["Whistleblowing (external)", "Dr. Eva Lindner", "+49 89 2130 7788"],
                ["Data protection", "Data protection officer", f"privacy@{DOMAIN}"],
            ],
            [0.34, 0.28, 0.38],
        ),
    ]
    render_pdf(
        out / "staff-handbook.pdf",
        "Staff Handbook",
        "Version 2024.1 \u2013 issued 15 January 2024 \u2013 owner: People & HR (Sabine Krüger)",
        blocks,
        author="People & HR",
    )


def parental_leave_policy(out: Path) -> None:
    blocks = [
        h1("1. Purpose and scope"),
        p("""This policy describes the leave and financial support available to employees of Northwind
        Robotics who become parents through birth, adoption or foster care. It complements the statutory
        rules of the German Maternity Protection Act (MuSchG) and the Federal Parental Allowance and Parental
        Leave Act (BEEG). Where the law gives you more, the law applies. The policy applies to all employees
        with a permanent or fixed-term contract at the Munich and Leipzig sites, including part-time staff.
        Working students and interns are covered by the statutory rules only."""),
        h1("2. Maternity protection"),
        p("""Expectant mothers should inform HR as soon as they know the expected date of delivery, so that we
        can carry out the workplace risk assessment required by law. This is particularly important for
        colleagues in production, assembly and field service in Leipzig, where certain tasks (lifting loads
        above 10 kg, work at the battery test stations) are not permitted during pregnancy. The statutory
        protection period starts six weeks before the expected date of delivery and ends eight weeks after
        birth (twelve weeks for premature or multiple births). During this time you receive maternity benefit
        from the health insurer plus the employer's top-up to your average net salary."""),
        h1("3. Parental leave (Elternzeit)"),
        p("""Each parent is entitled to up to three years of unpaid parental leave per child, of which up to
        24 months can be taken between the child's third and eighth birthday. Parental leave must be
        requested in writing with a handwritten signature. For leave that starts before the child's third
        birthday, the request must reach HR at least seven weeks before the start; for leave between the
        third and eighth birthday, at least thirteen weeks before. Please state in the request how you intend
        to distribute the leave over the first two years."""),
        p("""During parental leave you may work part-time for up to 32 hours per week, either at Northwind
        Robotics or, with our consent, for another employer. Requests for part-time work during parental
        leave are answered within four weeks. Your employment contract and your seniority continue during
        parental leave; your vacation entitlement is reduced by one twelfth for each full calendar month of
        leave without part-time work, as permitted by law."""),
        h1("4. Company benefits for parents"),
        p("""In addition to the statutory entitlements, Northwind Robotics offers the following benefits. They
        apply to employees who have been with the company for at least 12 months on the day of birth or
        adoption, except the childcare subsidy, which is available from the first day of employment."""),
        table(
            [
                ["Benefit", "Who", "Amount", "Duration / timing"],
                [
                    "Parental allowance top-up",
                    "Primary caregiver on parental leave",
                    "Top-up of the statutory Elterngeld to 80% of previous net salary",
                    "First 8 weeks of parental leave",
                ],
                [
                    "Partner leave",
                    "Second parent (any gender)",
                    "10 working days at full pay",
                    "Within 8 weeks after birth or adoption",
                ],
                [
                    "Childcare subsidy",
                    "All parents with children in daycare",
                    "EUR 150 per month per child, tax-free",
                    "Until the child starts school",
                ],
                [
                    "Keep-in-touch days",
                    "Employees on parental leave",
                    "Paid at daily rate",
                    "Up to 10 days per leave period, voluntary",
                ],
                [
                    "Return bonus",
                    "Parents returning after at least 6 months of leave",
                    "EUR 1,000 gross",
                    "Paid with the third salary after return",
                ],
            ],
            [0.2, 0.27, 0.3, 0.23],
        ),
        p("""The parental allowance top-up is calculated by payroll on the basis of the Elterngeld notice
        (Elterngeldbescheid) you submit. Please upload the notice in PeopleHub within four weeks of receiving
        it; the top-up is paid retroactively. Partner leave is requested in PeopleHub like vacation with the
        absence type "Partner leave" and can be split into at most two blocks. The childcare subsidy is
        paid with the monthly salary against a copy of the daycare contract (Kita-Vertrag) and the monthly
        fee notice."""),
        h1("5. Returning to work"),
        p("""Four weeks before your planned return, your manager invites you to a return meeting to discuss
        your role, working hours and any training you may need. You return to the same job or, if that is not
        possible, to an equivalent position with the same pay band. A phased return with reduced hours for up
        to three months is possible in agreement with your manager. Nursing mothers are entitled to paid
        breaks for breastfeeding; a quiet room is available on the 4th floor in Munich (room 4.17) and in the
        Leipzig office building next to the first-aid room."""),
        h1("6. Contacts"),
        p(f"""Your contact for all questions about maternity protection, parental leave and the company
        benefits is our parental leave coordinator Miriam Scholz (HR business partner Munich,
        miriam.scholz@{DOMAIN}). Employees in Leipzig may also contact Jana Herrmann
        (jana.herrmann@{DOMAIN}). This policy was last reviewed on 3 February 2025 and is valid from
        1 March 2025."""),
    ]
    render_docx(
        out / "parental-leave-policy.docx",
        "Parental Leave Policy",
        "Version 2.1 \u2013 valid from 1 March 2025 \u2013 owner: People & HR",
        blocks,
        author="People & HR",
        stamp=dt.datetime(2025, 2, 3, 9, 0),
    )


def remote_work_2023(out: Path) -> None:
    blocks = [
        p("""Document ID: HR-POL-007. Version 1.0. Effective from 1 March 2023. Approved by the management
        board on 14 February 2023 after consultation with the works council. Owner: People & HR."""),
        h1("1. Purpose"),
        p("""Since 2020 many of us have worked partly from home. This policy turns the temporary
        arrangements of the pandemic years into permanent rules. It aims to combine the focus time of
        working from home with the collaboration, onboarding and team spirit that only happen when we
        meet in person."""),
        h1("2. Scope"),
        p("""The policy applies to all employees whose work can be done outside company premises. It does not
        apply to production, assembly, warehouse and field service roles in Leipzig, whose work requires
        presence on site or at customer sites, nor to apprentices in their first year of training."""),
        h1("3. Number of remote days"),
        p("""Full-time employees may work from home on up to two days per week. Part-time employees may work
        from home pro rata to their working days, rounded down to whole days. Remote days cannot be saved up
        or carried over to a later week. Tuesday and Thursday are core office days on which all teams are
        expected on site; remote days should therefore be taken on Monday, Wednesday or Friday. Managers may
        agree team-specific patterns within this framework."""),
        h1("4. Place of work"),
        p("""Remote work means working from your registered home address in Germany. Working from another
        address in Germany (for example a holiday home) is possible after informing your manager. Working
        from abroad is not permitted under this policy because of tax, social security and data protection
        risks."""),
        h1("5. Availability"),
        p("""On remote days the same working time rules apply as in the office, including core hours and time
        recording. You must be reachable by phone and chat during core hours and be able to come to the office
        at one day's notice if your manager asks you to."""),
        h1("6. Equipment and costs"),
        p("""You work with your company laptop and headset. For additional equipment for your home workplace,
        such as a monitor, office chair, desk lamp or docking station, the company reimburses up to EUR 500
        against receipts. The budget can be used once every three years and is claimed through the expense
        tool under the category "Home office equipment". Items bought with the budget become your property.
        There is no allowance for internet, electricity or heating costs; the statutory home office tax
        allowance (Homeoffice-Pauschale) can be claimed in your personal tax return."""),
        h1("7. Occupational safety and data protection"),
        p("""Before your first remote day, complete the home workplace self-check in PeopleHub. Confidential
        documents must not be printed at home. Your screen must be locked whenever you leave the laptop, and
        conversations about confidential topics must not be audible to other people in your household.
        Connect to internal systems only through the company VPN."""),
        h1("8. Approval"),
        p("""Remote work is requested by submitting the form "Remote work agreement" in PeopleHub, which your
        manager approves. The agreement can be terminated by either side with one month's notice, for
        example if the work results or team collaboration suffer. Disputes are resolved with the involvement
        of HR and, on request, the works council."""),
    ]
    render_pdf(
        out / "remote-work-policy-2023.pdf",
        "Remote Work Policy",
        "HR-POL-007 \u2013 Version 1.0 \u2013 effective from 1 March 2023",
        blocks,
        author="People & HR",
    )


def remote_work_2025(out: Path) -> None:
    blocks = [
        p("""Document ID: HR-POL-007. Version 2.0. Effective from 1 April 2025. This version supersedes
        Version 1.0 of the Remote Work Policy (effective 1 March 2023) in full. Approved by the management
        board on 10 March 2025 after agreement with the works council (works agreement BV-2025-02).
        Owner: People & HR (Sabine Krüger)."""),
        h1("What changes compared with Version 1.0"),
        ul(
            "Up to three remote days per week instead of two.",
            "Equipment budget raised from EUR 500 to EUR 750 per three years.",
            "New monthly internet allowance of EUR 25.",
            "Wednesday replaces Tuesday and Thursday as the common office day (anchor day).",
            "Working from other EU countries is now possible for up to 20 working days per calendar year.",
        ),
        h1("1. Scope"),
        p("""The policy applies to all employees whose work can be done outside company premises. It does not
        apply to production, assembly, warehouse and field service roles in Leipzig, nor to apprentices in
        their first year of training. Employees in their probation period may work remotely on at most one day
        per week during their first three months."""),
        h1("2. Number of remote days"),
        p("""Full-time employees may work remotely on up to three days per week. Part-time employees
        may work remotely pro rata to their working days, rounded down to whole days. Remote days
        cannot be saved up or carried over to a later week. Wednesday is the company-wide anchor day on
        which every team meets in the office; all-hands meetings, team workshops and onboarding
        sessions are scheduled on Wednesdays. Teams may agree one additional fixed office day."""),
        h1("3. Place of work"),
        p("""Remote work is normally done from your home address in Germany. In addition, you may work from
        another member state of the European Union for up to 20 working days per calendar year. Such periods
        must be requested from HR in PeopleHub at least 10 working days in advance so that the A1 certificate
        for social security can be applied for. Working from countries outside the EU, including Switzerland
        and the United Kingdom, is not permitted."""),
        h1("4. Equipment and allowances"),
        p("""The company reimburses up to EUR 750 against receipts for equipment for your home workplace, such
        as a monitor, office chair, desk or docking station. The budget can be used once every three years.
        Employees who already received up to EUR 500 under Version 1.0 of this policy may claim the
        difference up to EUR 250 until 31 December 2025; the three-year period is not restarted by this
        top-up claim. In addition, employees with a remote work agreement receive an internet allowance of
        EUR 25 per month, paid tax-free with the salary."""),
        h1("5. Availability and working time"),
        p("""The working time rules of the staff handbook apply on remote days, including core hours and time
        recording in PeopleHub. You must be reachable by phone and chat during core hours and be able to come
        to the office at one day's notice if your manager asks you to."""),
        h1("6. Occupational safety and data protection"),
        p("""Complete the home workplace self-check in PeopleHub before your first remote day and renew
        it every two years. Confidential documents must not be printed outside the office. Use the
        company VPN for all internal systems and never use public Wi-Fi without it. Lock your screen
        whenever you leave the laptop."""),
        h1("7. Approval and transition"),
        p("""Remote work is agreed with the form "Remote work agreement 2025" in PeopleHub and approved
        by your manager. Agreements approved under Version 1.0 remain valid until 30 June 2025 and must
        be re-confirmed in PeopleHub by that date; otherwise they end automatically. Either side may
        terminate an agreement with one month's notice. Questions go to your HR business partner."""),
    ]
    render_docx(
        out / "remote-work-policy-2025.docx",
        "Remote Work Policy",
        "HR-POL-007 \u2013 Version 2.0 \u2013 effective from 1 April 2025 \u2013 supersedes Version "
        "1.0 (2023)",
        blocks,
        author="People & HR",
        stamp=dt.datetime(2025, 3, 10, 12, 0),
    )
