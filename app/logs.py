"""Personal data out of the logs: ``RedactingFilter`` masks e-mail addresses, phone numbers, IBANs
and credit-card-like numbers in every log record it sees (message, arguments, exception text).

``install()`` puts it on the root logger's and uvicorn's handlers (`docqa serve`, `docqa ui`), so
records from every library are redacted before any handler writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from app.querylog import redact  # one redactor for the query log and the logs


class RedactingFilter(logging.Filter):
    """Rewrites a record so that nothing downstream sees the personal data: the formatted message
    replaces msg/args, and exception text is formatted and redacted once."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # formatters would print the raw traceback again
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def install(logger_names: Iterable[str] = ("", *UVICORN_LOGGERS)) -> RedactingFilter:
    """Add one RedactingFilter to each named logger and to its handlers (filters on a logger do not
    see records propagated from child loggers; filters on handlers do). Idempotent."""
    flt = RedactingFilter()
    for name in logger_names:
        logger = logging.getLogger(name)
        for target in [logger, *logger.handlers]:
            if not any(isinstance(f, RedactingFilter) for f in target.filters):
                target.addFilter(flt)
    return flt
