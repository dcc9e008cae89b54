"""app/logs.py: e-mail addresses, phone numbers, IBANs and card numbers never reach a log handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from app.logs import RedactingFilter, install, redact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail anna.berg@example.co.uk now", "mail [email] now"),
        ("from <j_doe+hr@corp-mail.de>", "from <[email]>"),
        ("call +49 30 1234567 please", "call [phone] please"),
        ("call (030) 123-4567", "call [phone]"),
        ("mobile 0171 2345678", "mobile [phone]"),
        ("US +1 (555) 010-9999.", "US [phone]."),
        ("iban DE89 3704 0044 0532 0130 00 ok", "iban [iban] ok"),
        ("IBAN GB29NWBK60161331926819.", "IBAN [iban]."),
        ("card 4111 1111 1111 1111 paid", "card [card] paid"),
        ("card 5500-0000-0000-0004", "card [card]"),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22 23:22:40,123 INFO took 12.5 ms",
        "engine at http://127.0.0.1:8765 (pid 12345)",
        "version 1.2.3, 1234567 points, epoch 1732312345",
        "doc 550e8400-e29b-41d4-a716-446655440000",
        "GET /ask?user=alice HTTP/1.1 200",
        "order 4111 1111 1111 1112",  # not Luhn-valid: not a card
    ],
)
def test_ordinary_log_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("docqa.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.removeHandler(handler)


def test_the_filter_redacts_message_arguments_and_tracebacks(captured) -> None:
    logger, stream = captured
    logger.handlers[0].addFilter(RedactingFilter())
    logger.info("user %s asked about %s", "ada@example.com", "IBAN DE89370400440532013000")
    try:
        raise ValueError("no account for bob@example.com, call +44 20 7946 0958")
    except ValueError:
        logger.exception("lookup failed for %s", "card 4111111111111111")
    text = stream.getvalue()
    assert "user [email] asked about IBAN [iban]" in text
    assert "lookup failed for card [card]" in text
    assert "ValueError: no account for [email], call [phone]" in text
    for secret in ("ada@example.com", "DE89", "bob@example.com", "7946", "4111"):
        assert secret not in text


def test_install_puts_one_filter_on_the_named_loggers_handlers() -> None:
    logger = logging.getLogger("docqa.test_install")
    handler = logging.StreamHandler(io.StringIO())
    logger.addHandler(handler)
    try:
        install(["docqa.test_install"])
        install(["docqa.test_install"])  # idempotent
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        assert sum(isinstance(f, RedactingFilter) for f in logger.filters) == 1
        logger.warning("reach me at carol@example.org")
        assert "[email]" in handler.stream.getvalue() and "carol" not in handler.stream.getvalue()
    finally:
        logger.removeHandler(handler)
        for f in list(logger.filters):
            logger.removeFilter(f)
