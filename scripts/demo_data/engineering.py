"""Engineering (data/docs/engineering)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor as PptxRGB
from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
from pptx.util import Inches
from pptx.util import Pt as PptxPt

from .blocks import code, h1, h2, ol, p, table, ul
from .markup import render_html, render_md
from .office import core_props, normalize_zip, render_docx


def oncall_runbook(out: Path) -> None:
    blocks = [
        p("""Runbook for the FleetOS on-call rota. Owner: Felix Neumann (SRE lead). Last reviewed 2
        July 2025 after INC-2025-041. If you are on call and something is on fire, jump straight to
        "First 15 minutes"."""),
        h1("Rota and handover"),
        p("""The rota is weekly. Handover is on Monday at 10:00 CET in the #oncall-handover channel and in a
        15-minute call: the outgoing primary summarises open incidents, silenced alerts and risky deployments.
        Every week has a primary and a secondary on call. The primary acknowledges pages; the secondary takes
        over if the primary does not acknowledge, and helps during SEV1 and SEV2 incidents. Engineers join the
        rota after their probation period and after one shadow shift. Swaps are arranged between engineers and
        entered in PagerDuty by the person giving away the shift."""),
        p("""On-call compensation: EUR 300 flat per week on the primary rota, EUR 150 per week on the
        secondary rota, plus EUR 60 per hour of active incident work outside 08:00-20:00 on weekdays
        and at any time at weekends and on public holidays. Active hours are recorded in PeopleHub
        under "On-call incident work" with the incident ID."""),
        h1("Severity levels"),
        table(
            [
                ["Severity", "Definition", "Acknowledge within", "Status updates", "Example"],
                [
                    "SEV1",
                    "Robots stopped or unsafe at one or more customer sites; data loss",
                    "5 minutes",
                    "Every 30 minutes",
                    "Command channel down, robots in safe stop",
                ],
                [
                    "SEV2",
                    "Major feature degraded for many customers, robots still operating",
                    "15 minutes",
                    "Every 60 minutes",
                    "Mission planning latency > 10 s",
                ],
                [
                    "SEV3",
                    "Minor degradation or single customer affected, workaround exists",
                    "2 hours",
                    "Daily",
                    "Analytics dashboard stale",
                ],
                ["SEV4", "No customer impact", "Next business day", "In the ticket", "Staging cluster down"],
            ]
        ),
        h1("Escalation"),
        ol(
            "PagerDuty pages the primary. No acknowledgement after 10 minutes: the secondary is paged.",
            "No acknowledgement after 20 minutes: the engineering manager on duty is paged.",
            "For every SEV1, the primary names an incident commander (IC) immediately; the IC is "
            "never the person "
            "doing the hands-on fixing. Default IC during office hours is Felix Neumann, otherwise "
            "the secondary.",
            "SEV1 lasting longer than 60 minutes: the IC informs Priya Raman (VP Engineering), who "
            "informs the "
            "CTO and customer success.",
            "Customer communication for SEV1 goes out on status.northwind-robotics.example within 30 minutes "
            "of the first page, written by customer success on duty.",
        ),
        h1("First 15 minutes"),
        ol(
            "Acknowledge the page and open an incident in PagerDuty with severity; this creates the Slack "
            "channel #inc-<id>.",
            "Check the FleetOS overview dashboard in Grafana (dashboard 'FleetOS / Global health').",
            "Check recent deployments in Argo CD; if a deployment in the last 2 hours correlates, roll back "
            "first and investigate later.",
            "Confirm robot safety: robots that lose the command channel go into safe stop after 3 seconds. "
            "They must not be restarted remotely until the cause is understood.",
        ),
        h1("Common alerts and remediation"),
        h2("MqttBrokerUnavailable"),
        p("""The MQTT broker cluster (3 nodes, namespace fleetos-messaging) no longer accepts
        connections from edge gateways. Check the broker pods and the certificate expiry first; since
        INC-2025-041 an expired intermediate certificate is the first suspect."""),
        code(
            """kubectl -n fleetos-messaging get pods -l app=mqtt-broker
kubectl -n fleetos-messaging logs statefulset/mqtt-broker --since=15m | grep -i -E 'tls|handshake'
# Certificate expiry of the broker chain (leaf and intermediate):
kubectl -n fleetos-messaging get certificate
openssl s_client -connect mqtt.fleetos.internal:8883 -showcerts </dev/null | openssl x509 -noout -enddate"""
        ),
        h2("RobotHeartbeatLost"),
        p("""More than 5% of the robots at a site have not sent a heartbeat for 60 seconds. Usually a
        problem of the on-site edge gateway (NW Edge Box) or the customer's network. Check the gateway
        status in the fleet console; if the gateway is offline, customer success calls the site contact
        listed in the CRM. Do not restart robots remotely."""),
        h2("MapSyncLagHigh"),
        p("""The map service lags more than 60 seconds behind edge updates. Restart the map-sync
        worker; if the lag does not recover within 10 minutes, escalate to the Navigation team channel."""),
        code("kubectl -n fleetos rollout restart deployment/map-sync-worker"),
        h2("MissionPlannerLatencyHigh"),
        p("""p95 planning latency above 2 seconds for 10 minutes. Check the Postgres connection pool
        and scale the planner horizontally (maximum 24 replicas)."""),
        code("kubectl -n fleetos scale deployment/mission-planner --replicas=16"),
        h1("After the incident"),
        p("""Every SEV1 and SEV2 gets a blameless postmortem within 5 working days, using the template
        in the engineering wiki. Action items are tracked in Jira with the label 'postmortem' and
        reviewed in the weekly reliability meeting on Thursdays at 14:00."""),
    ]
    render_md(out / "on-call-runbook.md", "FleetOS On-Call Runbook", "Engineering \u2013 SRE team", blocks)


def architecture_slides(out: Path) -> None:
    prs = Presentation()
    prs.slide_width = Inches(13.333)
    prs.slide_height = Inches(7.5)
    title_layout, content_layout, title_only = (
        prs.slide_layouts[0],
        prs.slide_layouts[1],
        prs.slide_layouts[5],
    )

    def bullets(
        slide: Any,
        items: list[str],
        left: float = 0.6,
        top: float = 1.5,
        width: float = 12.1,
        height: float = 5.5,
    ) -> None:
        body = slide.placeholders[1]
        body.left, body.top, body.width, body.height = (
            Inches(left),
            Inches(top),
            Inches(width),
            Inches(height),
        )
        tf = body.text_frame
        tf.text = items[0]
        for item in items[1:]:
            level = 1 if item.startswith("- ") else 0
            para = tf.add_paragraph()
            para.text = item[2:] if level else item
            para.level = level
        for para in tf.paragraphs:
            for run in para.runs:
                run.font.size = PptxPt(22 if para.level == 0 else 18)

    def notes(slide: Any, text: str) -> None:
        slide.notes_slide.notes_text_frame.text = " ".join(text.split())

    def fix_title(slide: Any) -> None:
        slide.shapes.title.left, slide.shapes.title.top = Inches(0.6), Inches(0.4)
        slide.shapes.title.width, slide.shapes.title.height = Inches(12.1), Inches(1.0)

    # 1 Title
    s = prs.slides.add_slide(title_layout)
    s.shapes.title.text = "FleetOS Platform Architecture Overview"
    s.placeholders[1].text = "Engineering all-hands \u2013 Priya Raman, VP Engineering \u2013 September 2025"
    notes(
        s,
        """Welcome. This deck is the reference overview of the FleetOS platform for new engineers and for the
    architecture review on 18 September 2025. It covers the system context, the core services, the data flow,
    deployment, security and the 2026 roadmap.""",
    )

    # 2 System context diagram
    s = prs.slides.add_slide(title_only)
    s.shapes.title.text = "System context"
    fix_title(s)
    boxes = [
        ("Robots\nNW-200 Carrier\nNW-600 Lifter", 0.6),
        ("NW Edge Box\n(on site, k3s)\nlocal mission cache", 3.7),
        ("FleetOS Cloud\nAWS eu-central-1\n(Frankfurt)", 6.8),
        ("Customer systems\nWMS / ERP\nSAP EWM, Manhattan", 9.9),
    ]
    shapes = []
    for label, left in boxes:
        shape = s.shapes.add_shape(
            MSO_SHAPE.ROUNDED_RECTANGLE, Inches(left), Inches(2.6), Inches(2.8), Inches(1.8)
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = PptxRGB(0x1F, 0x4E, 0x79)
        shape.text_frame.text = label
        for para in shape.text_frame.paragraphs:
            for run in para.runs:
                run.font.size = PptxPt(16)
                run.font.color.rgb = PptxRGB(0xFF, 0xFF, 0xFF)
        shapes.append(shape)
    for a, b, label in zip(
        shapes[:-1], shapes[1:], ["Wi-Fi / 5G, mTLS", "MQTT over TLS :8883", "REST + webhooks"], strict=True
    ):
        conn = s.shapes.add_connector(
            MSO_CONNECTOR.STRAIGHT, a.left + a.width, a.top + a.height // 2, b.left, b.top + b.height // 2
        )
        conn.line.width = PptxPt(2.5)
        tb = s.shapes.add_textbox(a.left + a.width - Inches(0.3), Inches(4.6), Inches(1.6), Inches(0.8))
        tb.text_frame.text = label
        tb.text_frame.paragraphs[0].runs[0].font.size = PptxPt(12)
    tb = s.shapes.add_textbox(Inches(0.6), Inches(5.6), Inches(12), Inches(1.2))
    tb.text_frame.text = (
        "About 2,400 robots at 168 customer sites are connected; each site runs one NW Edge Box "
        "(two at sites with more than 40 robots)."
    )
    tb.text_frame.paragraphs[0].runs[0].font.size = PptxPt(16)
    notes(
        s,
        """Robots talk only to the edge box on site, never directly to the cloud. The edge box keeps a
        local mission cache of 15 minutes so that robots keep working if the cloud link drops; what it
        cannot do without the cloud is accept new orders from the WMS. Sites with more than 40 robots
        get a second edge box in hot standby.""",
    )

    # 3 Core services table
    s = prs.slides.add_slide(title_only)
    s.shapes.title.text = "Core services"
    fix_title(s)
    rows = [
        ["Service", "Responsibility", "Language", "Owner team", "SLO (monthly)"],
        ["fleet-api", "Public REST API, customer integrations, webhooks", "Go", "Platform", "99.95%"],
        ["mission-planner", "Assigns transport orders, plans routes", "Rust", "Navigation", "99.9%"],
        ["mqtt-broker / mqtt-bridge", "Command channel to edge boxes", "Go (bridge)", "Platform", "99.95%"],
        ["map-service", "Site maps, zones, map sync to edge", "Python", "Navigation", "99.5%"],
        ["telemetry-ingest", "Receives robot telemetry, writes to ClickHouse", "Go", "Data", "99.5%"],
        ["fleet-console", "Web UI for customers and support", "TypeScript", "Frontend", "99.9%"],
    ]
    shape = s.shapes.add_table(len(rows), len(rows[0]), Inches(0.6), Inches(1.6), Inches(12.1), Inches(4.2))
    col_widths = [2.6, 4.4, 1.6, 1.7, 1.8]
    for i, width in enumerate(col_widths):
        shape.table.columns[i].width = Inches(width)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = shape.table.cell(r, c)
            cell.text = value
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = PptxPt(15)
                    run.font.bold = r == 0
    notes(
        s,
        """Six core services, each with one owning team. The SLOs are measured monthly by the SRE team. The
    mission planner is the only Rust service; it was rewritten from Python in 2023 to bring p95 planning
    latency under 300 milliseconds. The mqtt-broker is a managed EMQX cluster with three nodes; the bridge
    is our own Go service that translates between MQTT topics and internal events.""",
    )

    # 4 Data flow
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Data flow and storage"
    fix_title(s)
    bullets(
        s,
        [
            "Robots send telemetry at 10 Hz to the edge box",
            "- Edge box downsamples to 1 Hz before sending to the cloud",
            "About 2.3 billion telemetry messages per day reach telemetry-ingest",
            "Hot storage: ClickHouse, 13 months retention",
            "- Raw telemetry archived in S3 for 30 days, then deleted",
            "Transactional data (orders, missions, maps): PostgreSQL 16 on Amazon RDS",
            "- Point-in-time recovery window: 14 days",
            "Customer data stays in the EU (Frankfurt region)",
        ],
    )
    notes(
        s,
        """Emphasise the 10 Hz to 1 Hz downsampling: full-rate data never leaves the site unless support
    enables a 30-minute debug capture for a single robot. Retention periods are agreed with legal and written
    into the customer data processing agreement.""",
    )

    # 5 Deployment
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Deployment and release"
    fix_title(s)
    bullets(
        s,
        [
            "Amazon EKS across 3 availability zones in eu-central-1",
            "Infrastructure as code with Terraform; GitOps with Argo CD",
            "Release train every second Tuesday",
            "- Code freeze Monday 12:00; canary to 5% of sites for 24 hours",
            "Edge boxes run k3s and update in customer-approved maintenance windows",
            "Robot firmware releases quarterly, signed and staged per site",
        ],
    )
    notes(
        s,
        """The release train is every second Tuesday. The canary group contains about 5% of sites,
    including our own acceptance lab in Munich and two friendly customer sites. A release is promoted if error
    budgets are not burned faster than 2x during the canary period.""",
    )

    # 6 Security
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Security architecture"
    fix_title(s)
    bullets(
        s,
        [
            "mTLS everywhere: robot to edge box, edge box to cloud",
            "- Device certificates from our internal CA, valid 90 days, renewed automatically",
            "- Intermediate and root certificates monitored since INC-2025-041",
            "Customer SSO for fleet-console via OIDC / SAML",
            "Secrets in AWS Secrets Manager, never in Git",
            "Yearly external penetration test; last one in May 2025, no critical findings",
        ],
    )
    notes(
        s,
        """After the June outage we added expiry monitoring for every certificate in the chain, not only leaf
    certificates. Alerts fire 30 days and again 7 days before expiry.""",
    )

    # 7 Roadmap
    s = prs.slides.add_slide(content_layout)
    s.shapes.title.text = "Roadmap 2026"
    fix_title(s)
    bullets(
        s,
        [
            "Q1 2026: replace EMQX with NATS JetStream for the command channel",
            "Q2 2026: disaster recovery region eu-west-1 (Ireland)",
            "- Targets: RPO 15 minutes, RTO 4 hours",
            "Q3 2026: multi-site fleet optimisation for customers with several warehouses",
            "Q4 2026: public API v3 with event streaming",
        ],
    )
    notes(
        s,
        """The NATS migration is the biggest platform project of 2026 and is owned by the Platform team; the
    budget request is part of the 2026 planning round. Dates are targets, not commitments to customers.""",
    )

    core_props(
        prs.core_properties,
        title="FleetOS Platform Architecture Overview",
        author="Priya Raman",
        stamp=dt.datetime(2025, 9, 12, 15, 0),
    )
    path = out / "architecture-overview.pptx"
    prs.save(str(path))
    normalize_zip(path, dt.datetime(2025, 9, 12, 15, 0))


def postmortem(out: Path) -> None:
    blocks = [
        h1("Summary"),
        table(
            [
                ["Field", "Value"],
                ["Incident ID", "INC-2025-041"],
                ["Severity", "SEV1"],
                ["Date", "Tuesday, 17 June 2025"],
                ["Duration", "2 hours 47 minutes (06:12-08:59 CEST)"],
                ["Impact", "41 customer sites of 17 customers; about 1,180 robots in safe stop"],
                ["Incident commander", "Felix Neumann"],
                ["Author", "Felix Neumann, with Platform team"],
                ["Status", "Action items in progress (review on 1 October 2025)"],
            ]
        ),
        p("""On 17 June 2025 the FleetOS command channel was unavailable for 41 customer sites in
        Germany, Austria and the Netherlands. Edge boxes could not establish TLS connections to the
        MQTT broker cluster because an intermediate certificate in the broker's certificate chain had
        expired at 06:00 CEST. Robots at the affected sites completed their current missions from the
        local cache and then went into safe stop. No robot behaved unsafely and no data was lost. Sites
        that had kept an established connection overnight were not affected until they reconnected."""),
        h1("Timeline (CEST)"),
        table(
            [
                ["Time", "Event"],
                ["06:00", "Intermediate certificate 'NW Fleet Intermediate CA 2' expires"],
                ["06:12", "Alert MqttBrokerUnavailable fires; primary on call (Jonas Weber) is paged"],
                ["06:19", "Page acknowledged; SEV2 declared"],
                [
                    "06:41",
                    "First customer call (logistics centre in Erfurt); upgraded to SEV1, IC Felix Neumann",
                ],
                ["07:05", "Status page updated; customer success informs all affected customers"],
                ["07:38", "TLS handshake errors identified in the broker logs"],
                ["08:10", "Root cause confirmed: expired intermediate certificate"],
                ["08:31", "New intermediate issued from offline root CA and deployed to all 3 broker nodes"],
                ["08:59", "All edge boxes reconnected; robots released by site staff; incident resolved"],
            ]
        ),
        h1("Root cause"),
        p("""The broker certificates are issued by cert-manager, which renews leaf certificates
        automatically. The intermediate certificate, however, had been created manually in 2022 with a
        validity of three years and installed as a static Kubernetes secret. Neither cert-manager nor
        our monitoring covered it: the certificate expiry alert only checked leaf certificates. The
        runbook did not mention certificates as a possible cause of MqttBrokerUnavailable, which cost
        about 80 minutes of diagnosis."""),
        h1("What went well"),
        ul(
            "Robots behaved exactly as designed: missions from the local cache were completed, then "
            "safe stop.",
            "Customer success had the status page updated within 30 minutes of the SEV1 declaration.",
            "Issuing a new intermediate from the offline root CA worked on the first attempt.",
        ),
        h1("What went wrong"),
        ul(
            "The incident was first classified as SEV2 although robots were stopped; the SEV1 criteria were "
            "not applied until a customer called.",
            "There was no inventory of manually managed certificates.",
            "Sites needed staff on site to release robots from safe stop, which prolonged the impact at two "
            "night-shift warehouses by another 40 minutes.",
        ),
        h1("Customer impact and credits"),
        p("""The monthly availability of the command channel in June was 99.61%, below the contractual SLA of
        99.9%. Service credits of EUR 38,400 in total were issued to the 17 affected customers with the July
        invoices. Customer success held follow-up calls with all affected customers by 27 June 2025."""),
        h1("Action items"),
        table(
            [
                ["ID", "Action", "Owner", "Due", "Status"],
                [
                    "AI-1",
                    "Monitor expiry of every certificate in all chains (alerts at 30 and 7 days)",
                    "Felix Neumann",
                    "30 Jun 2025",
                    "Done",
                ],
                [
                    "AI-2",
                    "Move the intermediate CA into cert-manager with automatic renewal",
                    "Platform team",
                    "31 Jul 2025",
                    "Done",
                ],
                [
                    "AI-3",
                    "Runbook: add certificate checks to MqttBrokerUnavailable",
                    "Felix Neumann",
                    "4 Jul 2025",
                    "Done",
                ],
                [
                    "AI-4",
                    "Clarify SEV1 criteria in on-call training; any stopped robots = SEV1",
                    "Priya Raman",
                    "31 Jul 2025",
                    "Done",
                ],
                [
                    "AI-5",
                    "Remote release of robots from safe stop after cloud outages (with site consent)",
                    "Navigation team",
                    "31 Dec 2025",
                    "In progress",
                ],
                [
                    "AI-6",
                    "Inventory of all manually managed secrets and certificates",
                    "IT & Security",
                    "30 Sep 2025",
                    "In progress",
                ],
            ]
        ),
    ]
    render_docx(
        out / "postmortem-2025-06-17-fleet-outage.docx",
        "Postmortem: FleetOS command channel outage (INC-2025-041)",
        "Blameless postmortem \u2013 published 24 June 2025 \u2013 Engineering / SRE",
        blocks,
        author="Felix Neumann",
        stamp=dt.datetime(2025, 6, 24, 11, 0),
    )


def coding_standards(out: Path) -> None:
    blocks = [
        p("""These standards apply to all code written at Northwind Robotics: FleetOS cloud services,
        the edge box software, robot firmware, internal tools and scripts. They are maintained by the
        engineering guild and published for everyone, including colleagues outside engineering who
        write scripts or automation. Version 3.4, last updated 28 April 2025, owner: Priya Raman (VP
        Engineering)."""),
        h1("Languages and tooling"),
        table(
            [
                ["Language", "Formatter", "Linter", "Minimum test coverage", "Used for"],
                ["Go", "gofmt", "golangci-lint", "75%", "fleet-api, mqtt-bridge, telemetry-ingest"],
                ["Rust", "rustfmt", "clippy (deny warnings)", "80%", "mission-planner"],
                ["Python", "ruff format", "ruff", "80%", "map-service, data tooling, scripts"],
                ["TypeScript", "prettier", "eslint", "70%", "fleet-console"],
                [
                    "C++ (firmware)",
                    "clang-format",
                    "clang-tidy + MISRA C++ subset",
                    "85% (safety modules 100% branch)",
                    "Robot firmware",
                ],
            ]
        ),
        p("""Coverage thresholds are enforced in CI for new and changed code. Formatting is never
        discussed in code review: if the formatter accepts it, it is fine."""),
        h1("Code review"),
        ul(
            "Every change goes through a pull request; direct pushes to main are blocked.",
            "One approval is required; changes to safety-critical paths (firmware/safety, motion control, "
            "emergency stop handling) require two approvals, one of them from a safety-certified engineer.",
            "Keep pull requests small: aim for fewer than 400 changed lines. Larger changes need a "
            "short design "
            "note linked in the description.",
            "Reviewers respond within one working day. The author merges after approval and green CI.",
        ),
        h1("Commits and branches"),
        ul(
            "Branch names: feature/NW-1234-short-description, fix/NW-1234-short-description.",
            "Commit messages follow Conventional Commits (feat:, fix:, docs:, refactor:, test:, chore:).",
            "Every commit references a Jira ticket ID in the body.",
        ),
        h1("Dependencies and licences"),
        p("""Allowed licences for dependencies: MIT, Apache-2.0, BSD-2-Clause, BSD-3-Clause, ISC and
        MPL-2.0. GPL and AGPL licensed code must never be included in robot firmware or in the edge box
        image; for other uses ask legal first. Dependencies are updated by Renovate; security updates
        are merged within 7 days for critical and 30 days for high severity vulnerabilities."""),
        h1("Secrets and configuration"),
        p("""Never commit secrets, tokens or customer data. Secrets live in AWS Secrets Manager (cloud)
        or the edge box's TPM-backed store. A pre-commit hook with gitleaks runs on every commit; CI
        fails if a secret is detected, and the secret must be rotated even if the commit was never
        pushed."""),
        h1("Documentation"),
        p("""Every service has a README with purpose, owner team, how to run it locally and links to
        dashboards and runbooks. Public functions of libraries have docstrings. Architecture decisions
        are recorded as ADRs in the repository under docs/adr."""),
    ]
    render_html(
        out / "coding-standards.html", "Coding Standards", "Engineering guild \u2013 version 3.4", blocks
    )
