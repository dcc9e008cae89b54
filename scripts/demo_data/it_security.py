"""IT security (data/docs/it-security)."""

from __future__ import annotations

from pathlib import Path

from .blocks import code, h1, ol, p, table, ul
from .company import COMPANY, DOMAIN, SECURITY_HOTLINE, SERVICE_DESK_EXT
from .markup import render_html, render_md
from .pdf import render_pdf


def password_mfa_policy(out: Path) -> None:
    blocks = [
        p("""Document ID: SEC-POL-003. Version 3.0. Effective from 1 February 2025; replaces version
        2.2 of 1 October 2022. Owner: Emre Yilmaz, Chief Information Security Officer (CISO). Applies
        to all employees, contractors and service accounts with access to Northwind Robotics systems."""),
        h1("1. Why this policy exists"),
        p("""Stolen or guessed passwords are the most common way attackers get into companies like
        ours. A single compromised account can give access to customer site layouts, robot firmware
        signing or payroll data. This policy therefore combines long passwords, a password manager and
        phishing-resistant multi-factor authentication (MFA). It follows the recommendations of the BSI
        IT-Grundschutz and NIST SP 800-63B."""),
        h1("2. Password requirements"),
        table(
            [
                ["Account type", "Minimum length", "Rotation", "Notes"],
                [
                    "Personal user account",
                    "14 characters",
                    "Only on suspicion of compromise",
                    "Passphrases of 4+ random words are recommended",
                ],
                [
                    "Administrator account",
                    "20 characters",
                    "Only on suspicion of compromise",
                    "Separate from the personal account; FIDO2 key mandatory",
                ],
                [
                    "Service account",
                    "32 characters, randomly generated",
                    "Every 12 months and when staff leave",
                    "Stored only in the password manager vault of the owning team",
                ],
                [
                    "Robot / edge box local admin",
                    "24 characters, unique per device",
                    "On every firmware release",
                    "Managed by the fleet provisioning service",
                ],
            ]
        ),
        p("""Passwords are checked against a list of known breached passwords when they are set;
        passwords found on the list are rejected. Passwords must not contain the company name, your
        name or your username. The same password must never be used for a company account and a private
        service. We no longer require periodic password changes for personal accounts, because forced
        rotation leads to weaker passwords; you must, however, change your password immediately if you
        suspect that it has become known to someone else."""),
        h1("3. Password manager"),
        p("""Every employee receives a Bitwarden account in the company organisation. All work
        passwords that are not covered by single sign-on are stored there. Shared credentials are
        stored in team collections, never sent by e-mail or chat. The Bitwarden master password must be
        at least 16 characters long and must not be used anywhere else. If you forget it, the IT
        service desk can start an account recovery after verifying your identity in person or by video
        call."""),
        h1("4. Multi-factor authentication"),
        p("""MFA is mandatory for all accounts on all systems that support it, including e-mail and
        Microsoft 365, the VPN, PeopleHub, SpendLine, GitHub, AWS and the fleet console. The following
        methods are accepted:"""),
        ul(
            "FIDO2 security key (YubiKey 5 NFC). Issued to every employee on the first day; mandatory for "
            "administrators, Finance, People & HR and everyone with production access to FleetOS.",
            "Microsoft Authenticator app with number matching, for all other employees as a second method.",
        ),
        p("""SMS and voice call codes are no longer accepted as of 1 February 2025, because they can be
        intercepted through SIM swapping. Every employee registers two methods, for example the
        security key and the app, so that losing one does not lock them out."""),
        h1("5. Account lockout and sessions"),
        p("""After 10 failed login attempts an account is locked for 15 minutes. After three lockouts
        within 24 hours the account stays locked until it is unlocked by the IT service desk. Laptops
        lock the screen automatically after 5 minutes of inactivity. Single sign-on sessions expire
        after 12 hours; sessions on administrative consoles expire after 1 hour."""),
        h1("6. Lost or compromised credentials"),
        p(f"""If you lose your security key or your phone, or suspect that a password or MFA method has
        been compromised, report it within 24 hours to the IT service desk (extension
        {SERVICE_DESK_EXT}) and, outside office hours, to the IT security hotline {SECURITY_HOTLINE}.
        The service desk blocks the lost key and issues a replacement; replacement keys are handed out
        at the IT desk in Munich (3rd floor) or Leipzig (building B, ground floor) against your ID
        card."""),
        h1("7. Exceptions and enforcement"),
        p("""Exceptions, for example for legacy systems that cannot enforce MFA, must be requested from
        the CISO in writing with a risk assessment. They are granted for at most 90 days and reviewed
        before any extension. Violations of this policy may lead to the suspension of access and to
        disciplinary measures."""),
    ]
    render_pdf(
        out / "password-mfa-policy.pdf",
        "Password and Multi-Factor Authentication Policy",
        "SEC-POL-003 \u2013 Version 3.0 \u2013 effective from 1 February 2025 \u2013 owner: CISO",
        blocks,
        author="IT & Security",
    )


def acceptable_use_policy(out: Path) -> None:
    blocks = [
        p("""Document ID: SEC-POL-001. Version 2.3, valid from 1 July 2024. Owner: Emre Yilmaz (CISO).
        This policy applies to everyone who uses IT systems, devices, networks or accounts provided by
        Northwind Robotics, including contractors and interns."""),
        h1("1. Company devices and accounts"),
        p("""Company laptops, phones and accounts are provided for business purposes. Reasonable
        private use, such as checking private e-mail or online banking during a break, is allowed as
        long as it does not interfere with your work, does not create costs for the company and does
        not violate this policy. Do not store large private files (photos, videos, music libraries) on
        company devices; company devices are backed up and may be wiped or replaced at any time.
        Devices must not be used by family members or other persons."""),
        h1("2. Software"),
        p("""Install software only from the Company Portal (Self Service) catalogue. Software that is
        not in the catalogue can be requested through the IT service desk; IT checks the licence and
        security before approval, usually within five working days. Browser extensions are limited to
        the approved list. Cracked or unlicensed software, peer-to-peer file sharing clients,
        cryptocurrency mining and tools designed to bypass security controls (for example proxies that
        tunnel around the VPN) are strictly forbidden."""),
        h1("3. Generative AI tools"),
        p("""Use the company's internal assistant NW Assist for work with internal or confidential
        information; it runs in our own Azure tenant in the EU and does not use our data for training.
        Public AI chatbots and code assistants that are not approved may only be used with public
        information. Never paste source code, customer data, site layouts, personal data or financial
        figures into them. AI-generated code is reviewed like any other code, and you remain
        responsible for the result."""),
        h1("4. E-mail, chat and internet"),
        p("""Company e-mail and Slack are for business communication. Automatic forwarding of company
        e-mail to private accounts is blocked and must not be circumvented. Do not open unexpected
        attachments and report suspicious messages as described in the phishing report procedure.
        Access to websites with illegal, pornographic, extremist or gambling content is blocked and
        forbidden."""),
        h1("5. Removable media and cloud storage"),
        p("""USB storage devices are blocked on company laptops by default. Engineers who need USB
        access for robot firmware flashing get an exception for encrypted company USB drives, approved
        by their manager and IT security. Company data may only be stored in approved services:
        Microsoft 365 (OneDrive, SharePoint, Teams), GitHub, Confluence and Jira. Private cloud storage
        such as personal Dropbox or Google Drive accounts must not be used for company data."""),
        h1("6. Private devices (BYOD)"),
        p("""Private smartphones may be used for e-mail, Teams and Slack only through the Microsoft
        Intune app protection, which keeps company data in a separate, encrypted container. IT can wipe
        this container but never your private data. Private laptops and tablets must not be used to
        access internal systems."""),
        h1("7. Monitoring"),
        p("""Northwind Robotics does not monitor the content of your communication. To protect the
        company, security tools log connections, detect malware and block dangerous websites. These
        logs are kept for 90 days and are only evaluated in the case of a concrete security incident or
        a justified suspicion, with the involvement of the works council and the data protection
        officer, as agreed in works agreement BV-2021-04."""),
        h1("8. Violations"),
        p("""Violations of this policy can lead to the withdrawal of access rights and to disciplinary
        measures. If you are not sure whether something is allowed, ask the IT service desk before you
        do it."""),
    ]
    render_html(
        out / "acceptable-use-policy.html",
        "Acceptable Use Policy for IT Systems",
        "SEC-POL-001 \u2013 version 2.3 \u2013 valid from 1 July 2024",
        blocks,
    )


def phishing_procedure(out: Path) -> None:
    text = f"""PHISHING REPORT PROCEDURE
{COMPANY} - IT & Security
Document ID: SEC-PRO-005, version 1.4, last updated 20 January 2025
Owner: Emre Yilmaz (CISO)
======================================================================

WHY THIS MATTERS
Nine out of ten successful attacks on companies start with an e-mail. Attackers send fake invoices,
fake parcel notifications, fake Microsoft 365 login pages and, increasingly, messages that pretend to come
from our own management ("CEO fraud"). You are our best sensor: report anything that looks odd. A false
alarm costs us two minutes; a missed attack can cost weeks.

HOW TO RECOGNISE A SUSPICIOUS MESSAGE
- The sender address does not match the name, or the domain is slightly misspelled
  (for example northwind-robotlcs.example or northwindrobotics-support.com).
- The message creates time pressure ("within 2 hours", "your account will be deleted").
- You are asked to log in, open an attachment, enable macros, or scan a QR code.
- A "manager" asks for a confidential bank transfer, gift cards or a change of supplier bank details.
- External e-mails are marked with the banner [EXTERNAL] at the top. A message that claims to come from
  a colleague but carries this banner is suspicious.

STEP 1 - REPORT
In Outlook (desktop, web or mobile), select the message and click the "Report Phishing" button in the
ribbon. This sends the message with all technical headers to the security team and removes it from your
inbox. If the button is not available, forward the message AS AN ATTACHMENT to
phishing@{DOMAIN}. Suspicious text messages or phone calls are reported in the same mailbox with a
screenshot or a short description.

STEP 2 - DO NOT INTERACT
Do not click links, do not open attachments, do not reply and do not forward the message to colleagues
"as a warning". The security team will warn everyone if necessary.

STEP 3 - IF YOU ALREADY CLICKED OR ENTERED DATA
Do not be embarrassed - speed matters more than anything else.
  a) If you entered your password: change it immediately at https://account.{DOMAIN}
     from a different device if possible.
  b) Call the IT security hotline {SECURITY_HOTLINE} (24/7) within 30 minutes and say
     "possible phishing compromise". During office hours you can also call the IT service desk on
     extension {SERVICE_DESK_EXT}.
  c) If you opened an attachment or the laptop behaves strangely: disconnect from the network (switch off
     Wi-Fi, unplug the cable) but do NOT switch off the laptop, so that evidence is preserved.
  d) If you approved an MFA prompt you did not start yourself: report this as well; it means someone
     knows your password.

STEP 4 - PAYMENT FRAUD
Requests to change supplier bank details or to make urgent payments are always verified by Finance with a
call-back to a phone number already on file - never to a number in the e-mail. If you have already
initiated a payment, call Finance (Olga Petrova, extension 2207, or Lukas Baumann, extension 2210)
immediately; a bank recall is only possible within the first hours.

WHAT HAPPENS NEXT
The Security Operations Centre (SOC), operated for us by an external partner around the clock, analyses
every report. You receive an automatic confirmation immediately and a result ("harmless", "spam" or
"phishing") within 4 working hours. Confirmed phishing messages are removed from all mailboxes in the
company.

PHISHING SIMULATIONS
IT & Security sends simulated phishing e-mails to all employees once a month. Reporting a simulation
counts as success. Employees who click on a simulation are assigned a 10-minute e-learning module.
Our target is a click rate below 5% and a reporting rate above 60%. In Q2 2025 the click rate was
4.1% and the reporting rate 57%. The best reporter of each quarter receives a EUR 50 voucher.

CONTACTS
IT security hotline (24/7) ........ {SECURITY_HOTLINE}
IT service desk .................... extension {SERVICE_DESK_EXT}, help.{DOMAIN}
Phishing mailbox ................... phishing@{DOMAIN}
CISO ............................... Emre Yilmaz, emre.yilmaz@{DOMAIN}
"""
    (out / "phishing-report-procedure.txt").write_text(text, encoding="utf-8")


def vpn_guide(out: Path) -> None:
    blocks = [
        p(f"""How to set up and use the company VPN, NW Connect, on company laptops. NW Connect is
        based on WireGuard. Maintained by IT & Security (Jan Kowalski, Head of IT); last updated 3
        March 2025. For help, open a ticket at help.{DOMAIN} or call the IT service desk on extension
        {SERVICE_DESK_EXT} (Monday to Friday, 08:00-18:00)."""),
        h1("When you need the VPN"),
        ul(
            "Always when you work outside the office and access internal systems (PeopleHub, SpendLine, "
            "Confluence, Jira, file shares, the fleet console admin area).",
            "Always on untrusted networks such as hotels, trains, airports and cafés; the client switches on "
            "automatically when it detects an untrusted network (always-on mode).",
            "Not needed for Microsoft 365, Slack and Bitwarden; they are protected by single sign-on "
            "and MFA.",
        ),
        h1("Gateways"),
        table(
            [
                ["Gateway", "Hostname", "Port", "Use"],
                ["Munich", f"vpn-muc.{DOMAIN}", "UDP 51820", "Default for all employees"],
                ["Leipzig", f"vpn-lej.{DOMAIN}", "UDP 51820", "Leipzig staff; fallback for everyone"],
                [
                    "Fallback (TCP)",
                    f"vpn-tcp.{DOMAIN}",
                    "TCP 443",
                    "Networks that block UDP, e.g. some hotels",
                ],
            ]
        ),
        p("""NW Connect uses split tunnelling: only traffic to the internal networks 10.40.0.0/16 (Munich),
        10.60.0.0/16 (Leipzig) and 10.80.0.0/16 (AWS) goes through the tunnel. Internet traffic goes directly
        out, except on untrusted networks, where full tunnelling is enforced."""),
        h1("Setup on Windows"),
        ol(
            "Open the Company Portal and install 'NW Connect'. Administrator rights are not needed.",
            "Start NW Connect and click 'Sign in'. Log in with your company account and confirm with your "
            "security key or the authenticator app.",
            "The client downloads your personal WireGuard profile. Choose the gateway Munich unless "
            "you work in "
            "Leipzig.",
            "Click 'Connect'. The tray icon turns green when the tunnel is up.",
        ),
        h1("Setup on macOS"),
        ol(
            "Open Self Service and install 'NW Connect'.",
            "When macOS asks to allow the VPN configuration, click 'Allow' and enter your Mac password.",
            "Sign in with your company account and MFA, choose the gateway and click 'Connect'.",
        ),
        h1("Setup on Linux (engineering laptops)"),
        p("""Engineering laptops with Ubuntu 24.04 use the WireGuard tools directly. The profile is
        downloaded from the self-service page and is valid for 12 hours; after that you need to
        authenticate again."""),
        code(
            f"""sudo apt install wireguard-tools
# download your profile (opens the browser for SSO + MFA)
nw-connect login --gateway vpn-muc.{DOMAIN}
sudo wg-quick up nwconnect
# check the tunnel
sudo wg show nwconnect
ping -c 3 confluence.internal.{DOMAIN}"""
        ),
        h1("Re-authentication"),
        p("""VPN sessions last 12 hours. After that, NW Connect asks you to sign in again with MFA.
        Idle connections without traffic are disconnected after 30 minutes."""),
        h1("Troubleshooting"),
        table(
            [
                ["Symptom", "What to do"],
                [
                    "Client shows 'Handshake did not complete'",
                    "Your network probably blocks UDP; switch to the gateway 'Fallback (TCP)'.",
                ],
                [
                    "Connected, but internal sites do not load",
                    "Disconnect and reconnect; check that the laptop date "
                    "and time are correct; flush DNS (Windows: ipconfig /flushdns).",
                ],
                [
                    "MFA prompt does not arrive",
                    "Use the security key instead of the app; check that the phone has network access.",
                ],
                [
                    "Hotel Wi-Fi login page does not appear",
                    "Pause NW Connect for 5 minutes in the tray menu, log in to "
                    "the hotel Wi-Fi, then resume.",
                ],
                [
                    "Very slow connection",
                    "Choose the gateway closest to you; avoid the TCP fallback if UDP works.",
                ],
            ]
        ),
    ]
    render_md(
        out / "vpn-setup-guide.md",
        "VPN Setup Guide (NW Connect)",
        "IT & Security \u2013 how-to guide",
        blocks,
    )
