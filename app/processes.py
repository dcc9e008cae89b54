"""Process liveness: who runs an ingest or an engine, and whether that process is still the one
that recorded itself (psutil). The one owner of psutil process checks; pure of everything else."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from typing import Any

import psutil


def pid_alive(pid: object, created: object = None) -> bool:
    """Whether process ``pid`` runs (a zombie does not) and, when ``created`` (its psutil create
    time, as recorded) is given, is still that process rather than a later one given the same pid."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return not isinstance(created, int | float) or abs(proc.create_time() - created) < 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # alive, owned by someone else
        return True


def process_created() -> float:
    """This process's create time (psutil): with its pid, tells it from a later process given the pid."""
    return float(psutil.Process().create_time())


def run_owner() -> dict[str, object]:
    """Who runs an ingest (stored with the run), so a run left "running" by a killed process is
    recognised as dead later."""
    return {
        "pid": os.getpid(),
        "process_created": process_created(),
        "host": socket.gethostname(),
    }


def run_is_dead(args: Mapping[str, Any], host: str, alive: Callable[[Any, Any], bool]) -> bool:
    """Whether a run recorded as running belongs to a process that is gone (``alive(pid, created)``:
    a later process given the same pid is not the run's). A run started on another host can't be
    checked (False); one without an owner predates owners being recorded (True)."""
    if "pid" not in args:
        return True
    return args.get("host") == host and not alive(args["pid"], args.get("process_created"))
