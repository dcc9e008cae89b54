"""General (data/docs/general)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from .blocks import h1, h2, p, table
from .company import (
    COMPANY,
    DOMAIN,
    HEADCOUNT,
    HEADCOUNT_LEJ,
    HEADCOUNT_MUC,
    HEADCOUNT_TOTAL,
    LEIPZIG_ADDRESS,
    MUNICH_ADDRESS,
    SWITCHBOARD_LEJ,
    SWITCHBOARD_MUC,
)
from .mail import write_eml
from .markup import render_html
from .office import render_docx, write_xlsx


def company_overview(out: Path) -> None:
    facts = [
        ["Field", "Value"],
        ["Legal name", COMPANY],
        ["Registered office", f"{MUNICH_ADDRESS}, Germany"],
        ["Commercial register", "HRB 214789, Amtsgericht München"],
        ["VAT ID", "DE 318 442 907"],
        ["Founded", "2014, Munich"],
        ["Founders", "Dr. Katharina Brandt and Tobias Lenz"],
        ["Sites", "Munich (headquarters) and Leipzig (production, service centre, field operations)"],
        ["Employees (30 June 2025)", HEADCOUNT_TOTAL],
        ["Employees in Munich (30 June 2025)", HEADCOUNT_MUC],
        ["Employees in Leipzig (30 June 2025)", HEADCOUNT_LEJ],
        ["Revenue 2024 (EUR million)", "58.4"],
        ["Revenue H1 2025 (EUR million)", "32.7"],
        [
            "Products",
            "NW-200 Carrier (payload 200 kg), NW-600 Lifter (payload 600 kg, launched March 2025), FleetOS",
        ],
        ["Customer sites (September 2025)", 168],
        ["Robots in operation (September 2025)", "about 2,400"],
        ["Countries with customers", 11],
        ["Financial year", "Calendar year"],
        ["Auditor", "Berger Treuhand GmbH Wirtschaftsprüfungsgesellschaft"],
        ["Works council", "Joint works council for both sites, 9 members, chair Thomas Richter"],
    ]
    leadership = [
        ["Name", "Role", "Site", "In role since"],
        ["Dr. Katharina Brandt", "Chief Executive Officer (CEO), co-founder", "Munich", "2014"],
        ["Tobias Lenz", "Chief Technology Officer (CTO), co-founder", "Munich", "2014"],
        ["Martin Hoffmann", "Chief Financial Officer (CFO)", "Munich", "2022"],
        ["Andrea Vogel", "Chief Operating Officer (COO), site lead Leipzig", "Leipzig", "2018"],
        ["Sabine Krüger", "Chief People Officer", "Munich", "2019"],
        ["Emre Yilmaz", "Chief Information Security Officer (CISO)", "Munich", "2023"],
        ["Priya Raman", "VP Engineering", "Munich", "2021"],
        ["Lukas Baumann", "Head of Controlling", "Munich", "2020"],
        ["Jan Kowalski", "Head of IT", "Munich", "2019"],
        ["Nadine Fischer", "Office manager Munich", "Munich", "2017"],
        ["Ralf Schubert", "Facility and safety manager Leipzig", "Leipzig", "2018"],
    ]
    sites = [
        ["Site", "Address", "Opened", "Headcount 30 Jun 2025", "Main functions", "Switchboard"],
        [
            "Munich (HQ)",
            MUNICH_ADDRESS,
            "2014",
            HEADCOUNT_MUC,
            "Software engineering, product, sales & marketing, central functions",
            SWITCHBOARD_MUC,
        ],
        [
            "Leipzig",
            LEIPZIG_ADDRESS,
            "2018",
            HEADCOUNT_LEJ,
            "Assembly & production, customer service centre, field operations",
            SWITCHBOARD_LEJ,
        ],
    ]
    by_dept = [["Department", "Cost centre", "Munich", "Leipzig", "Total"]]
    by_dept += [[d, cc, m, lj, m + lj] for d, cc, m, lj in HEADCOUNT]
    by_dept.append(["Total", "", HEADCOUNT_MUC, HEADCOUNT_LEJ, HEADCOUNT_TOTAL])
    write_xlsx(
        out / "company-overview.xlsx",
        [
            ("Key facts", facts, [36, 90]),
            ("Leadership", leadership, [24, 50, 12, 14]),
            ("Sites", sites, [14, 36, 10, 22, 66, 20]),
            ("Headcount by department", by_dept, [32, 12, 10, 10, 10]),
        ],
        title="Northwind Robotics company overview",
        stamp=dt.datetime(2025, 7, 8, 9, 0),
    )


def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return dt.date(year, month, day)


def holidays(out: Path) -> None:
    rows = [["date", "weekday", "name", "day_off_munich_bavaria", "day_off_leipzig_saxony", "note"]]
    for year in (2025, 2026):
        easter = _easter(year)
        nov23 = dt.date(year, 11, 23)
        repentance = nov23 - dt.timedelta(days=(nov23.weekday() - 2) % 7 or 7)  # Wednesday before 23 Nov
        entries = [
            (dt.date(year, 1, 1), "New Year's Day", "yes", "yes", ""),
            (dt.date(year, 1, 6), "Epiphany (Heilige Drei Könige)", "yes", "no", ""),
            (easter - dt.timedelta(days=2), "Good Friday", "yes", "yes", ""),
            (easter + dt.timedelta(days=1), "Easter Monday", "yes", "yes", ""),
            (dt.date(year, 5, 1), "Labour Day", "yes", "yes", ""),
            (easter + dt.timedelta(days=39), "Ascension Day", "yes", "yes", ""),
            (easter + dt.timedelta(days=50), "Whit Monday", "yes", "yes", ""),
            (easter + dt.timedelta(days=60), "Corpus Christi (Fronleichnam)", "yes", "no", ""),
            (dt.date(year, 8, 15), "Assumption Day (Mariä Himmelfahrt)", "yes", "no", ""),
            (dt.date(year, 10, 3), "Day of German Unity", "yes", "yes", ""),
            (dt.date(year, 10, 31), "Reformation Day", "no", "yes", ""),
            (dt.date(year, 11, 1), "All Saints' Day", "yes", "no", ""),
            (repentance, "Day of Repentance and Prayer (Buß- und Bettag)", "no", "yes", ""),
            (dt.date(year, 12, 24), "Christmas Eve", "yes", "yes", "Company day off (not a public holiday)"),
            (dt.date(year, 12, 25), "Christmas Day", "yes", "yes", ""),
            (dt.date(year, 12, 26), "Second Day of Christmas", "yes", "yes", ""),
            (dt.date(year, 12, 31), "New Year's Eve", "yes", "yes", "Company day off (not a public holiday)"),
        ]
        for day, name, muc, lej, note in sorted(entries):
            if day.weekday() >= 5 and not note:
                note = "Falls on a weekend"
            rows.append([day.isoformat(), day.strftime("%A"), name, muc, lej, note])
    with (out / "holidays-2025-2026.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def office_locations(out: Path) -> None:
    blocks = [
        p("""This guide describes our two sites, how to get there and which facilities are available. It is
        maintained by the office management in Munich (Nadine Fischer) and the facility management in Leipzig
        (Ralf Schubert). Last updated 1 August 2025."""),
        h1("Munich headquarters"),
        p(f"""Address: {MUNICH_ADDRESS} (Werksviertel, 5 minutes' walk from München Ostbahnhof, S-Bahn
        and U5). We occupy floors 3 to 6 of the building. Reception is on the 3rd floor and is staffed
        Monday to Friday from 08:00 to 18:00; the switchboard number is {SWITCHBOARD_MUC}. On 30 June
        2025, {HEADCOUNT_MUC} employees were based in Munich: software engineering, product management,
        sales and marketing and the central functions."""),
        table(
            [
                ["Floor", "What you find there"],
                ["3", "Reception, IT desk, canteen, large meeting room 'Zugspitze' (40 people)"],
                [
                    "4",
                    "People & HR, Finance, management, quiet room 4.17, meeting rooms 'Isar' (12) "
                    "and 'Eisbach' (6)",
                ],
                ["5", "Software engineering, product management, focus booths"],
                ["6", "Sales & marketing, customer acceptance lab with the NW-600 test fleet, roof terrace"],
            ]
        ),
        h2("Access, parking and mobility"),
        p("""The building is open from 06:00 to 22:00 with your access badge; outside these hours
        access has to be requested from the office manager. The underground car park has 38 spaces for
        Northwind Robotics, 12 of them with EV charging points. Spaces are booked in the Desk & Parking
        app at most 14 days in advance; employees with a disability parking permit have two reserved
        spaces. There is a secured bike room with 60 places and showers in the basement."""),
        h2("Canteen and coffee"),
        p("""The canteen on the 3rd floor is operated by an external caterer and serves lunch from
        11:30 to 14:00. Northwind Robotics subsidises every lunch by EUR 3.50; the subsidy is applied
        automatically when you pay with your badge. Coffee, tea, water and fruit are free in all
        kitchens."""),
        h1("Leipzig site"),
        p(f"""Address: {LEIPZIG_ADDRESS} (tram line 3, stop Torgauer Platz, then 6 minutes on foot).
        The site consists of the production hall (building A, 4,200 square metres) with the assembly
        lines 1 and 2 and the battery test area, and the office building B with the customer service
        centre, field operations and training rooms. Assembly line 3 is being installed and will start
        operation in November 2025. Reception in building B is staffed Monday to Friday from 07:00 to
        17:00; switchboard {SWITCHBOARD_LEJ}. On 30 June 2025, {HEADCOUNT_LEJ} employees were based in
        Leipzig."""),
        h2("Safety in the production hall"),
        p("""Safety shoes of class S3 and high-visibility vests are mandatory in building A, also for
        visitors and office staff. Shoes are issued free of charge by the facility team on the first
        day. Robots in the test area move autonomously: always use the marked walkways and never enter
        the fenced test zone while the amber lights are flashing. Every accident and near miss is
        reported to the facility and safety manager Ralf Schubert."""),
        h2("Parking, lunch and facilities"),
        p("""The site has 120 free parking spaces for employees and visitors and 4 EV charging points;
        6 more are planned. There is no canteen in Leipzig. Instead, employees receive a digital meal
        voucher of EUR 6.50 for every working day on site, credited to the lunch app. The kitchen in
        building B has a microwave, fridge and free coffee. Training rooms 'Auensee' (16 people) and
        'Pleiße' (8 people) can be booked by all employees."""),
        h1("Visitors"),
        p("""Register visitors in the visitor system at least 24 hours in advance, so that a badge and,
        in Leipzig, the safety briefing can be prepared. Visitors sign the confidentiality declaration
        at reception and must be accompanied at all times. Customer visits to the Leipzig production
        hall need the approval of the COO or the production manager."""),
        h1("Wi-Fi"),
        p("""Employees connect company laptops to the network 'NW-Corp', which uses certificates and
        connects automatically. Private phones and visitors use 'NW-Guest'; reception hands out guest
        vouchers that are valid for 7 days. Robots and test equipment use separate networks; do not
        connect anything else to them."""),
        h1("Travelling between the sites"),
        p("""Munich and Leipzig are about 3 hours 15 minutes apart by ICE. Travel between the sites is
        booked as a business trip through the travel portal. Both sites have two hot desks reserved for
        colleagues from the other site; book them in the Desk & Parking app."""),
    ]
    render_docx(
        out / "office-locations-and-facilities.docx",
        "Office Locations and Facilities",
        "Munich headquarters and Leipzig site \u2013 updated 1 August 2025",
        blocks,
        author="Office management",
        stamp=dt.datetime(2025, 8, 1, 10, 0),
    )


def all_hands_email(out: Path) -> None:
    body = f"""
Dear colleagues,

it is time for our autumn all-hands. Please block the date:

    Thursday, 25 September 2025, 14:00-15:30 CEST
    Munich: meeting room Zugspitze (3rd floor) - Leipzig: watch party in training room Auensee
    Livestream for everyone else: link in the calendar invitation, recording available for 30 days

Agenda
1. H1 2025 results and outlook (Martin Hoffmann)
2. NW-600 Lifter: the first six months in the market (Andrea Vogel)
3. FleetOS reliability after the June incident (Priya Raman)
4. Assembly line 3 in Leipzig (Andrea Vogel)
5. People topics: new hires, remote work rules, staff survey (Sabine Krüger)
6. Your questions

A few highlights in advance. Our revenue in the first half of 2025 was EUR 32.7 million, 18 percent more
than in H1 2024. We went live at 23 new customer sites, and the NW-600 Lifter, launched in March, has
already been ordered by 9 customers. On 30 June we were {HEADCOUNT_TOTAL} colleagues, {HEADCOUNT_MUC} in
Munich and {HEADCOUNT_LEJ} in Leipzig, and we plan to welcome about 20 more by the end of the year, most of
them in Leipzig, where assembly line 3 will start operation in November and increase our capacity from
110 to 160 robots per month.

Please send your questions in advance through Slido (event code #NW2509) by Monday, 22 September. You can
ask anonymously. Questions that we cannot answer in the session will be answered in writing on the intranet
within a week.

After the all-hands we celebrate the autumn with an Oktoberfest get-together on the roof terrace in Munich
from 16:00 and with a barbecue in front of building B in Leipzig from 15:45. Vegetarian and vegan options
are available at both sites.

See you there!

Katharina

Dr. Katharina Brandt
Chief Executive Officer
{COMPANY}
"""
    write_eml(
        out / "2025-09-02-all-hands-announcement.eml",
        sender=f"Dr. Katharina Brandt <katharina.brandt@{DOMAIN}>",
        to=f"All Employees <all@{DOMAIN}>",
        subject="Save the date: All-Hands on 25 September 2025",
        date="Tue, 02 Sep 2025 09:05:44 +0200",
        message_id=f"<20250902090544.all-hands-autumn@{DOMAIN}>",
        body=body,
    )


def benefits_faq(out: Path) -> None:
    qa = [
        (
            "Pension",
            "Does the company contribute to a company pension?",
            """Yes. If you convert part of your salary into the company pension scheme (betriebliche
            Altersversorgung, through our provider Allianz Direktversicherung), Northwind Robotics adds
            20% of the converted amount, plus a flat EUR 50 per month once you have passed your
            probation period. You can start, change or stop the conversion in PeopleHub with effect
            from the first day of the following month.""",
        ),
        (
            "Mobility",
            "Does the company pay for public transport?",
            """Yes. Every employee can get the Deutschlandticket as a job ticket. The company pays the
            full price of the ticket (currently EUR 58 per month), so it is free for you. Order it in
            PeopleHub by the 10th of a month to receive it for the following month.""",
        ),
        (
            "Mobility",
            "Can I lease a bike?",
            """Yes. Through JobRad you can lease up to two bikes or e-bikes with a total list price of
            up to EUR 8,000 by salary conversion over 36 months. The company pays the full insurance
            and service package for you. At the end of the lease you can buy the bike at the residual
            value offered by JobRad.""",
        ),
        (
            "Health",
            "Is there a gym or sports offer?",
            """Yes. With the EGYM Wellpass you can use more than 10,000 gyms, swimming pools and yoga
            studios in Germany. You pay EUR 25 per month, the company pays the rest. The membership
            runs monthly and can be cancelled at the end of any month.""",
        ),
        (
            "Health",
            "Is there support if I go through a difficult time?",
            """Yes. Our Employee Assistance Programme offers free, confidential counselling by phone
            24/7 and up to six sessions with a psychologist per topic, also for your family members
            living in your household. The company never learns who uses the service.""",
        ),
        (
            "Food",
            "Is lunch subsidised?",
            """In Munich, every lunch in the canteen on the 3rd floor is subsidised by EUR 3.50. In
            Leipzig, where there is no canteen, you receive a digital meal voucher of EUR 6.50 for
            every working day on site.""",
        ),
        (
            "Family",
            "What support is there for parents?",
            """Parents receive a childcare subsidy of EUR 150 per month per child for daycare until the
            child starts school, from the first day of employment. There is also a top-up of the
            parental allowance, 10 days of paid partner leave and a return bonus. All details are in
            the Parental Leave Policy.""",
        ),
        (
            "Learning",
            "How much can I spend on training?",
            """Each employee has a learning budget of EUR 1,200 per calendar year and three paid
            learning days. Language courses in German and English are free and do not count against the
            budget.""",
        ),
        (
            "Time off",
            "Do I get extra vacation days for long service?",
            """Yes. After 5 years of service you receive one additional vacation day per year, and
            after 10 years two additional days, on top of the 30 days in the staff handbook. The extra
            days apply from the calendar year in which the anniversary falls.""",
        ),
        (
            "Time off",
            "Can I take a sabbatical?",
            """After 3 years of service you can take an unpaid sabbatical of 1 to 3 months once every
            five years, with your manager's approval. Apply at least 4 months before the planned start.
            Your company pension and health insurance are continued during the sabbatical, but you pay
            the employee contributions yourself.""",
        ),
        (
            "Referrals",
            "Is there a bonus for recommending a new colleague?",
            """Yes. If someone you recommended is hired and passes the probation period, you receive a
            referral bonus of EUR 2,500 gross, paid with the next salary. Referrals of directors and of
            former employees who left less than 12 months ago are excluded. Submit referrals through
            the careers page with your name in the 'Referred by' field.""",
        ),
        (
            "Equipment",
            "Can I buy my old laptop when it is replaced?",
            """Yes. Laptops that are replaced after the regular lifetime of four years can be bought by
            the employee who used them for EUR 150, after IT has securely wiped them. Phones are not
            sold to employees.""",
        ),
    ]
    blocks: list[tuple] = [
        p(f"""Answers to the questions People & HR hears most often about employee benefits at
        {COMPANY}. The benefits apply to all employees with a permanent or fixed-term contract at both
        sites; for working students and interns only the mobility, food and health offers apply. Last
        updated 1 July 2025. If your question is not answered here, write to hr@{DOMAIN}."""),
    ]
    current = None
    for topic, question, answer in qa:
        if topic != current:
            blocks.append(h1(topic))
            current = topic
        blocks.append(h2(question))
        blocks.append(p(answer))
    render_html(
        out / "benefits-faq.html", "Benefits FAQ", "People & HR \u2013 last updated 1 July 2025", blocks
    )
