"""The fictional company's facts that several documents share, so they agree."""

from __future__ import annotations

COMPANY = "Northwind Robotics GmbH"
DOMAIN = "northwind-robotics.example"
MUNICH_ADDRESS = "Friedenstraße 22, 81671 München"
LEIPZIG_ADDRESS = "Torgauer Straße 231, 04347 Leipzig"
SWITCHBOARD_MUC = "+49 89 5508 2000"
SWITCHBOARD_LEJ = "+49 341 7713 500"
SERVICE_DESK_EXT = "4357"
SERVICE_DESK_PHONE = "+49 89 5508 24357"
SECURITY_HOTLINE = "+49 89 5508 24999"

# Headcount on 30 June 2025 by department and site. Used by several documents so they agree.
HEADCOUNT = [
    # department, cost centre, Munich, Leipzig
    ("Software Engineering", "CC-2100", 78, 22),
    ("Hardware & Production", "CC-3100", 12, 58),
    ("Customer Service & Field Ops", "CC-3300", 14, 26),
    ("Sales & Marketing", "CC-4100", 34, 4),
    ("Product Management", "CC-2300", 11, 1),
    ("Finance", "CC-1200", 9, 2),
    ("People & HR", "CC-1300", 7, 3),
    ("IT & Security", "CC-1400", 9, 3),
    ("Management & Legal", "CC-1100", 13, 2),
]
HEADCOUNT_MUC = sum(row[2] for row in HEADCOUNT)
HEADCOUNT_LEJ = sum(row[3] for row in HEADCOUNT)
HEADCOUNT_TOTAL = HEADCOUNT_MUC + HEADCOUNT_LEJ
