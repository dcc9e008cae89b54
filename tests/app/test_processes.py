from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from app.processes import pid_alive

pytestmark = pytest.mark.integration


def test_a_process_is_alive_only_while_it_runs_and_only_as_itself() -> None:
    """Real processes: ours is alive; a finished child (reaped, or a zombie not yet reaped) is not;
    our pid with another create time is a later process that reused the pid, not the one recorded."""
    me = psutil.Process()
    assert pid_alive(os.getpid()) and pid_alive(os.getpid(), me.create_time())
    assert not pid_alive(os.getpid(), me.create_time() - 3600)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(zombie.pid)  # exited, not reaped yet
    zombie.wait()
    assert not pid_alive(zombie.pid) and not pid_alive(None) and not pid_alive(-1)
