"""What every CLI command shares: consoles, error exits, opening the services or reaching the engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from app.engine_api import Engine
from app.settings import Settings

out = Console()
err = Console(stderr=True)


def split_csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@contextmanager
def services(settings: Settings | None = None) -> Iterator:
    """Open the stores for one command, turning 'busy' and 'unavailable' into plain messages."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from app.db import DatabaseUnavailableError
    from app.services import Services
    from app.store import StoreBusyError, StoreUnavailableError

    svc = Services(settings or Settings())
    try:
        yield svc
    except (StoreBusyError, StoreUnavailableError, DatabaseUnavailableError) as exc:
        raise fail(str(exc), 3) from None
    except (OperationalError, InterfaceError) as exc:  # the database went away after it was opened
        raise fail(f"the database stopped answering: {exc.orig}", 3) from None
    finally:
        svc.close()


@contextmanager
def engine(settings: Settings | None = None) -> Iterator[Engine]:
    """The running engine (`docqa serve`) as an app.client.EngineClient; when none runs, the same
    interface over stores opened in this process (app.client.InProcessEngine). Engine errors
    become plain messages: exit 3 when the engine or its stores are unavailable, else 2."""
    from app.client import EngineError, InProcessEngine, find_engine

    settings = settings or Settings()
    client = find_engine(settings)
    try:
        if client is None:
            with services(settings) as svc:
                yield InProcessEngine(svc)
        else:
            with client:
                yield client
    except EngineError as exc:
        raise fail(exc.detail, 3 if exc.status in (0, 503) else 2) from None
