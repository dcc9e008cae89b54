"""Finance (data/docs/finance)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from .blocks import h1, p, table, ul
from .company import COMPANY, DOMAIN, HEADCOUNT, HEADCOUNT_TOTAL, MUNICH_ADDRESS, SWITCHBOARD_MUC
from .mail import write_eml
from .markup import render_md
from .office import render_docx, write_xlsx
from .pdf import render_pdf

PER_DIEM = [
    [
        "Destination",
        "Country",
        "Per diem full day (EUR)",
        "Per diem partial day (EUR)",
        "Hotel cap per night (EUR)",
    ],
    ["Munich", "Germany", "28", "14", "160"],
    ["Leipzig", "Germany", "28", "14", "110"],
    ["Berlin", "Germany", "28", "14", "140"],
    ["Hamburg", "Germany", "28", "14", "145"],
    ["Other cities in Germany", "Germany", "28", "14", "120"],
    ["Vienna", "Austria", "50", "33", "170"],
    ["Zurich", "Switzerland", "64", "43", "230"],
    ["Paris", "France", "58", "39", "210"],
    ["London", "United Kingdom", "66", "44", "240"],
    ["Warsaw", "Poland", "34", "23", "120"],
    ["New York", "USA", "66", "44", "310"],
    ["Other international destinations", "-", "45", "30", "180"],
]


def expense_policy(out: Path) -> None:
    blocks = [
        p("""Document ID: FIN-POL-002. Version 4.2. Effective from 1 January 2025. Owner: Finance (Martin
        Hoffmann, CFO). Applies to all employees of Northwind Robotics GmbH who incur business expenses."""),
        h1("1. Principles"),
        p("""We spend company money as carefully as if it were our own. Business expenses are reimbursed when
        they are necessary for the job, reasonable in amount and documented with an original receipt or an
        electronic invoice. Expenses are claimed in SpendLine, our expense tool, which is available in the
        browser and as a mobile app. Private expenses, fines, and costs caused by violations of traffic
        rules are never reimbursed."""),
        h1("2. Submitting claims"),
        p("""Submit each claim within 30 days after the expense or the end of the trip. Photograph or upload
        every receipt in SpendLine; paper originals must be kept for 10 days after approval in case of a spot
        check and can then be discarded. Claims submitted more than 90 days after the expense are rejected
        unless the CFO grants an exception. Reimbursements are paid with the next payroll run if the claim is
        approved by the 20th of the month. Receipts in a foreign currency are converted at the exchange rate
        of the day of the expense, or at the rate on your credit card statement."""),
        h1("3. Per diem rates and hotel limits"),
        p("""For business trips you receive a daily allowance (per diem) for meals instead of reimbursement of
        individual meal receipts. The full-day rate applies to calendar days on which you are away from home
        and from your first place of work for 24 hours. The partial-day rate applies to the day of arrival and
        the day of departure of a trip with an overnight stay, and to one-day trips of more than 8 hours.
        Hotel costs are reimbursed up to the cap per night shown in the table, including city tax but
        excluding breakfast. The rates are reviewed every January."""),
        table(PER_DIEM, [0.3, 0.18, 0.17, 0.17, 0.18]),
        p("""If a meal is provided free of charge by the company, a customer or the hotel, the per diem
        is reduced: by 20% of the full-day rate for breakfast and by 40% of the full-day rate each for
        lunch and dinner. Trips of 8 hours or less give no per diem. If the hotel cap cannot be met,
        for example because of a trade fair in the city, book through the travel portal and attach the
        portal's confirmation that no cheaper room was available; the line manager may then approve up
        to 30% above the cap."""),
        h1("4. Transport"),
        p("""Use the most economical means of transport, taking travel time into account. Train travel is
        reimbursed in second class; first class is allowed for journeys with a scheduled duration of more than
        four hours. Flights are booked in economy class. Use of a private car for business trips is reimbursed
        at EUR 0.30 per kilometre; trips of more than 600 km return need prior approval by the line manager.
        Taxi and ride-hailing costs are reimbursed when public transport is not reasonably available, for
        example late at night, with heavy luggage or equipment, or when the time saved is significant.
        Parking fees and tolls are reimbursed against receipts. Details on booking are in the Travel Booking
        Procedure."""),
        h1("5. Entertainment and other expenses"),
        p("""Business meals with customers or partners are reimbursed up to EUR 70 per person including drinks
        and tip; the receipt must state the names of all participants, their companies and the business
        purpose. Internal team events are paid from the team budget of EUR 150 per employee per year and must
        be approved in advance by the head of department. Alcohol is reimbursed only as part of a customer
        meal. Tips of up to 10% are reimbursed. Mobile phone costs for private phones are not reimbursed;
        employees who need a phone for their work receive a company phone."""),
        h1("6. Corporate credit cards"),
        p("""Employees who travel on business more than six times per year may request a corporate credit
        card (Visa Business) with a monthly limit of EUR 5,000. Card transactions are imported into SpendLine
        automatically; you still have to attach receipts and submit the monthly statement by the 5th working
        day of the following month. Cash withdrawals are allowed only abroad and up to EUR 300 per trip."""),
        h1("7. Approval limits"),
        p("""Each expense claim is approved in SpendLine by the person responsible for the cost centre.
        Claims up to EUR 1,000 are approved by the line manager. Claims above EUR 1,000 and up to EUR
        5,000 require approval by the head of department. Claims above EUR 5,000 require approval by
        the CFO. Nobody may approve their own expenses; expenses of a head of department are approved
        by the CFO, and those of the CFO by the CEO. Finance checks every claim for completeness and
        compliance before payment and samples 10% of approved claims for a detailed audit every month."""),
        h1("8. Contacts"),
        p(f"""Questions about this policy and about SpendLine go to the travel and expenses team in Finance,
        Olga Petrova (expenses@{DOMAIN}, extension 2207)."""),
    ]
    render_pdf(
        out / "expense-policy.pdf",
        "Travel and Expense Policy",
        "FIN-POL-002 \u2013 Version 4.2 \u2013 effective from 1 January 2025 \u2013 owner: Finance",
        blocks,
        author="Finance",
    )


def q3_budget(out: Path) -> None:
    opex = {
        "CC-2100": (3420000, 3512400, "Contractor spend for NW-600 firmware: 3 external engineers Jul-Sep"),
        "CC-3100": (2860000, 2794300, "Lower material cost after new battery supplier contract"),
        "CC-3300": (1050000, 1118750, "Overtime and travel for follow-up site visits after INC-2025-041"),
        "CC-4100": (1380000, 1296200, "LogiMAT follow-up campaign moved to Q4"),
        "CC-2300": (410000, 402900, ""),
        "CC-1200": (265000, 259800, ""),
        "CC-1300": (290000, 301450, "Recruiting agency fees for two field service hires"),
        "CC-1400": (520000, 547600, "Early renewal of Microsoft 365 E5 licences"),
        "CC-1100": (610000, 588300, "Legal fees lower than planned"),
    }
    rows: list[list] = [
        [
            "Department",
            "Cost centre",
            "Q3 budget (EUR)",
            "Q3 actual (EUR)",
            "Variance (EUR)",
            "Variance (%)",
            "Comment",
        ]
    ]
    total_b = total_a = 0
    for dept, cc, _muc, _lej in HEADCOUNT:
        budget, actual, comment = opex[cc]
        total_b += budget
        total_a += actual
        rows.append(
            [dept, cc, budget, actual, actual - budget, round((actual - budget) / budget, 4), comment]
        )
    rows.append(
        [
            "Total",
            "",
            total_b,
            total_a,
            total_a - total_b,
            round((total_a - total_b) / total_b, 4),
            "Q3 2025 final",
        ]
    )
    hires = {  # (budget 30 Sep Munich, Leipzig), (actual 30 Sep Munich, Leipzig)
        "CC-2100": ((82, 23), (81, 23)),
        "CC-3100": ((12, 62), (12, 61)),
        "CC-3300": ((14, 29), (14, 28)),
        "CC-4100": ((35, 4), (34, 4)),
        "CC-2300": ((12, 1), (12, 1)),
        "CC-1200": ((9, 2), (9, 2)),
        "CC-1300": ((7, 3), (7, 3)),
        "CC-1400": ((10, 3), (9, 3)),
        "CC-1100": ((13, 2), (13, 2)),
    }
    head: list[list] = [
        [
            "Department",
            "Site",
            "Headcount 30 Jun 2025",
            "Budget headcount 30 Sep 2025",
            "Actual headcount 30 Sep 2025",
            "Open requisitions",
        ]
    ]
    for dept, cc, muc, lej in HEADCOUNT:
        (b_muc, b_lej), (a_muc, a_lej) = hires[cc]
        head.append([dept, "Munich", muc, b_muc, a_muc, b_muc - a_muc])
        head.append([dept, "Leipzig", lej, b_lej, a_lej, b_lej - a_lej])
    head.append(
        [
            "Total",
            "Both sites",
            HEADCOUNT_TOTAL,
            sum(sum(v[0]) for v in hires.values()),
            sum(sum(v[1]) for v in hires.values()),
            sum(sum(v[0]) - sum(v[1]) for v in hires.values()),
        ]
    )
    capex = [
        ["Capex ID", "Item", "Department", "Site", "Amount (EUR)", "Status", "Approved by"],
        [
            "CX-25-031",
            "Torque test bench for assembly line 3",
            "Hardware & Production",
            "Leipzig",
            184000,
            "Ordered, delivery 14 Oct 2025",
            "Andrea Vogel",
        ],
        [
            "CX-25-032",
            "Test fleet of 6 NW-600 robots for the customer acceptance lab",
            "Software Engineering",
            "Munich",
            312000,
            "Delivered",
            "Tobias Lenz",
        ],
        [
            "CX-25-033",
            "Laptop refresh, 60 units",
            "IT & Security",
            "Both sites",
            93600,
            "Delivered",
            "Jan Kowalski",
        ],
        [
            "CX-25-034",
            "UPS replacement for the Munich server room",
            "IT & Security",
            "Munich",
            46500,
            "Approved, installation in Q4",
            "Martin Hoffmann",
        ],
        [
            "CX-25-035",
            "Electric forklift 1.6 t for goods-in",
            "Hardware & Production",
            "Leipzig",
            38900,
            "Delivered",
            "Andrea Vogel",
        ],
        [
            "CX-25-036",
            "Video conferencing kits for 8 meeting rooms",
            "IT & Security",
            "Munich",
            27200,
            "Postponed to Q4 2025",
            "Jan Kowalski",
        ],
        [
            "CX-25-037",
            "6 EV charging points in the Leipzig car park",
            "Management & Legal",
            "Leipzig",
            54000,
            "In approval",
            "-",
        ],
        ["Total", "", "", "", 756200, "", ""],
    ]
    assert sum(r[4] for r in capex[1:-1]) == capex[-1][4]
    write_xlsx(
        out / "q3-2025-budget.xlsx",
        [
            ("Opex by department", rows, [30, 12, 16, 16, 15, 13, 60]),
            ("Headcount", head, [30, 12, 16, 18, 18, 14]),
            ("Capex", capex, [11, 52, 24, 12, 14, 30, 16]),
        ],
        title="Q3 2025 budget vs actual",
        stamp=dt.datetime(2025, 10, 7, 17, 30),
    )


def travel_booking_procedure(out: Path) -> None:
    blocks = [
        p("""Document ID: FIN-PRO-004. Version 2.0, valid from 1 January 2025. Owner: Finance, travel and
        expenses team. This procedure explains how business trips are approved and booked. What is reimbursed
        and up to which amount is defined in the Travel and Expense Policy (FIN-POL-002)."""),
        h1("1. Before you book: approval"),
        p("""Every business trip needs the approval of your line manager before anything is booked. Domestic
        trips are approved with the travel request in the travel portal TravelDesk; the request contains the
        purpose, destination, dates and estimated costs. International trips additionally require the approval
        of the head of department. Trips to countries outside the EU, the EEA, Switzerland and the United
        Kingdom must also be registered with IT & Security at least 10 working days before departure, because
        you will travel with a loaner laptop and a clean phone instead of your own devices."""),
        h1("2. Booking channel"),
        p("""All flights, trains, hotels and rental cars are booked through TravelDesk, which is
        operated by our travel agency Reisebüro Alpina. Bookings made outside TravelDesk are only
        reimbursed if they were at least 10% cheaper than the cheapest comparable offer in the portal
        at the time of booking; attach a screenshot as evidence. The agency can also be reached by
        phone on weekdays from 08:00 to 19:00 at +49 89 5550 1234. Outside these hours, the 24/7
        emergency line +49 89 5550 1299 helps with missed connections, cancellations and rebooking."""),
        h1("3. Rail"),
        p("""Rail is the preferred means of transport for domestic trips and for destinations that can
        be reached in five hours or less, for example Munich to Leipzig (about 3 h 15 min with the ICE)
        or Munich to Vienna. Tickets are booked with the company's Deutsche Bahn business customer
        account, which gives an additional discount. Employees who travel by train more than eight
        times a year receive a BahnCard 50 (second class) paid by the company; request it from the
        travel and expenses team. Seat reservations are always allowed."""),
        h1("4. Flights"),
        p("""Flights are booked in economy class at least 14 days before departure whenever the travel date is
        known. Premium economy may be booked for flights with a scheduled flight time of more than 8 hours.
        Business class requires the prior written approval of the CFO. Choose the lowest fare that is
        reasonable in terms of schedule, with at most one stopover; flexible fares are only booked when a
        change of dates is likely. Miles and loyalty points may be kept privately, but must not influence the
        choice of airline."""),
        h1("5. Hotels"),
        p("""Hotels are booked through TravelDesk, which shows the negotiated company rates first. The
        hotel cap per night depends on the destination and is listed in the table in section 3 of the
        Travel and Expense Policy; the portal flags rooms above the cap. At both company sites, use the
        partner hotels: in Munich the Hotel Isarblick (5 minutes' walk from the office), in Leipzig the
        Parkhotel Messe (shuttle to the site every 30 minutes in the morning). Cancel rooms you no
        longer need before the free cancellation deadline; no-show fees caused by late cancellation are
        charged to the cost centre."""),
        h1("6. Rental cars"),
        p("""Rental cars are booked only when rail or public transport is not practical, for example
        for visits to customer warehouses outside cities or when transporting robot spare parts. Book
        the compact class (VW Golf or similar) through TravelDesk; the company contract with Sixt
        includes full insurance, so do not buy additional insurance at the counter. Refuel before
        returning the car. Electric cars are preferred where charging is possible at the destination."""),
        h1("7. Travel insurance and emergencies"),
        p("""All employees on business trips are covered by the company's group travel insurance,
        including medical treatment abroad and repatriation, under policy number NWR-TRV-2025-0815. In
        an emergency abroad call the insurer's assistance service on +49 89 5550 1777 (24/7) and inform
        your manager. Lost or stolen company devices must be reported immediately to the IT security
        hotline."""),
        h1("8. After the trip"),
        p("""Submit your expense claim in SpendLine within 30 days after the end of the trip. Bookings
        made through TravelDesk are invoiced centrally and must not be claimed again. Unused tickets
        must be returned through TravelDesk so that the refund can be processed."""),
    ]
    render_docx(
        out / "travel-booking-procedure.docx",
        "Travel Booking Procedure",
        "FIN-PRO-004 \u2013 Version 2.0 \u2013 valid from 1 January 2025 \u2013 owner: Finance",
        blocks,
        author="Finance",
        stamp=dt.datetime(2024, 12, 18, 10, 0),
    )


APPROVAL_LIMITS_CSV = [
    ["category", "approver", "from_eur", "to_eur", "notes"],
    ["Expense claim", "Line manager", "0", "1500", ""],
    ["Expense claim", "Head of department", "1500.01", "7500", ""],
    ["Expense claim", "CFO", "7500.01", "", "Expenses of the CFO are approved by the CEO"],
    ["Purchase order", "Cost centre owner", "0", "5000", "Only within the approved cost centre budget"],
    ["Purchase order", "Head of department", "5000.01", "25000", ""],
    ["Purchase order", "CFO", "25000.01", "100000", ""],
    [
        "Purchase order",
        "CFO and CEO (dual approval)",
        "100000.01",
        "",
        "Reported to the advisory board quarterly",
    ],
    ["Capex", "CFO after review by Head of Controlling", "0", "", "Every capex item needs a CX number first"],
    ["IT hardware and software", "Head of IT (co-approval)", "0", "", "In addition to the approver above"],
    ["Contracts longer than 12 months", "Legal (co-approval)", "0", "", "In addition to the approver above"],
]


def cfo_email(out: Path) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(APPROVAL_LIMITS_CSV)
    body = f"""
Dear budget owners and heads of department,

as announced in the leadership meeting on 8 September, we are updating our approval limits. Our business
has grown considerably since the current limits were set in 2021, and too many routine claims and orders
are waiting for approvals at a level that adds no real control. At the same time the auditors asked us
to tighten the rules for very large purchase orders and for IT purchases.

The new limits apply to all expense claims and purchase orders submitted on or after 1 October 2025.
Claims and orders submitted before that date are approved under the old rules. The attached file
approval-limits-2025-10.csv contains the complete new matrix; SpendLine and the purchasing module in our
ERP will be switched over by Controlling during the weekend of 27/28 September.

Three points I would like to highlight:

1. The limits for line managers and heads of department on expense claims go up.
2. Very large purchase orders will need two signatures.
3. All IT hardware and software purchases now need a co-approval by IT, whatever the amount, so that we
   stop buying licences twice and every device ends up in the asset inventory.

The Travel and Expense Policy (FIN-POL-002) will be updated to version 4.3 in Q4; until then this e-mail and
its attachment take precedence over section 7 of the policy. Please pass this on to your teams where
relevant. Questions go to Lukas Baumann (Head of Controlling) or to me.

Best regards
Martin Hoffmann
Chief Financial Officer
{COMPANY} | {MUNICH_ADDRESS}
martin.hoffmann@{DOMAIN} | {SWITCHBOARD_MUC}
"""
    write_eml(
        out / "2025-09-15-cfo-new-approval-limits.eml",
        sender=f"Martin Hoffmann <martin.hoffmann@{DOMAIN}>",
        to=f"Budget Owners <budget-owners@{DOMAIN}>",
        cc=f"Lukas Baumann <lukas.baumann@{DOMAIN}>",
        subject="New approval limits for expenses and purchase orders (1 Oct 2025)",
        date="Mon, 15 Sep 2025 08:42:17 +0200",
        message_id=f"<20250915084217.cfo-approval-limits@{DOMAIN}>",
        body=body,
        attachments=[("approval-limits-2025-10.csv", "text", "csv", buf.getvalue().encode("utf-8"))],
    )


def month_end_close(out: Path) -> None:
    blocks = [
        p("""Internal procedure of the Finance team (FIN-PRO-001, version 3.1, last updated 4 June 2025,
        owner: Lukas Baumann, Head of Controlling). The monthly close is completed on working day 6 (WD6);
        quarter-end closes follow the same calendar with the additional steps marked (Q)."""),
        h1("Close calendar"),
        table(
            [
                ["Working day", "Task", "Owner"],
                ["WD-2", "Reminder to budget owners: goods receipts and open purchase orders", "Controlling"],
                [
                    "WD1",
                    "Cut-off for supplier invoices received by 12:00; payroll journal posted",
                    "Accounting",
                ],
                ["WD2", "Accruals for services received but not invoiced; bank reconciliation", "Accounting"],
                [
                    "WD3",
                    "Inventory valuation Leipzig (raw materials, WIP, finished robots)",
                    "Accounting Leipzig",
                ],
                ["WD3", "Revenue recognition for FleetOS subscriptions and robot deliveries", "Controlling"],
                ["WD4", "Reconciliation of customer prepayments and deposits for robot orders", "Accounting"],
                [
                    "WD5",
                    "Cost centre reports to budget owners; variance comments due by 16:00",
                    "Controlling",
                ],
                [
                    "WD6",
                    "Reporting package to the CFO; (Q) quarterly package to the advisory board",
                    "Controlling",
                ],
            ]
        ),
        h1("Rules"),
        ul(
            "Accruals are only booked for amounts of EUR 5,000 or more per supplier and month; "
            "smaller amounts are expensed when invoiced.",
            "Variances above 5% and at least EUR 20,000 against budget need a written comment from "
            "the budget owner.",
            "Manual journal entries above EUR 50,000 require four-eyes approval in the ERP by the "
            "Head of Controlling.",
            "Revenue for robot sales is recognised on signed site acceptance (SAT), not on shipment.",
            "The period in the ERP is locked at 18:00 on WD5; later corrections go into the following month.",
        ),
        h1("Quarter-end additions (Q)"),
        ul(
            "Physical stock count in Leipzig on the last Friday of the quarter, supervised by Controlling.",
            "Review of capex projects: status and capitalisation of finished assets.",
            "Update of the rolling forecast for the next four quarters.",
            "Audit firm Berger Treuhand receives the quarterly trial balance by WD8.",
        ),
    ]
    render_md(
        out / "month-end-close-procedure.md", "Month-End Close Procedure", "Finance \u2013 internal", blocks
    )
