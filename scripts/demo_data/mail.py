"""RFC 5322 e-mails (.eml) with deterministic boundaries, bodies wrapped like a mail client."""

from __future__ import annotations

import re
import textwrap
from email.message import EmailMessage
from email.policy import SMTPUTF8
from pathlib import Path


def reflow(body: str, width: int = 74) -> str:
    """Wrap an e-mail body like a mail client: paragraphs and list items at ``width`` characters."""
    out = []
    for para in body.strip("\n").split("\n\n"):
        lines = para.split("\n")
        if all(len(line) <= width for line in lines):
            out.append(para)
        elif any(line.startswith(" ") or re.match(r"(\d+\.|-) ", line) for line in lines):
            items: list[str] = []
            for line in lines:
                if re.match(r"\s*(\d+\.|-) ", line) or not items or line.startswith("    "):
                    items.append(line)
                else:
                    items[-1] += " " + line.strip()
            wrapped = []
            for item in items:
                indent = " " * len(re.match(r"\s*(?:(?:\d+\.|-)\s)?", item).group(0))
                if item.startswith("    "):  # preformatted line
                    wrapped.append(item)
                else:
                    wrapped.append(
                        textwrap.fill(item, width, subsequent_indent=indent, break_on_hyphens=False)
                    )
            out.append("\n".join(wrapped))
        else:
            out.append(textwrap.fill(" ".join(para.split()), width, break_on_hyphens=False))
    return "\n\n".join(out)


def write_eml(
    path: Path,
    *,
    sender: str,
    to: str,
    subject: str,
    date: str,
    message_id: str,
    body: str,
    attachments: list[tuple[str, str, str, bytes]] = (),
    cc: str | None = None,
) -> None:
    """attachments: (filename, maintype, subtype, data)."""
    msg = EmailMessage(policy=SMTPUTF8)
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = message_id
    msg["X-Mailer"] = "Northwind Mail Gateway 4.2"
    msg.set_content(reflow(body) + "\n", cte="8bit")
    for filename, maintype, subtype, data in attachments:
        if maintype == "text":  # readable in the raw file
            msg.add_attachment(data.decode("ascii"), subtype=subtype, filename=filename, cte="7bit")
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if msg.is_multipart():
        msg.set_boundary("=_northwind_" + re.sub(r"[^a-z0-9]", "", message_id.lower())[:24])
    path.write_bytes(msg.as_bytes())
