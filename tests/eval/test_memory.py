"""Peak memory of the process tree (eval.memory), with real child processes."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from eval.memory import PeakMemory, tree_rss


@pytest.mark.integration
def test_a_child_process_holding_memory_counts_toward_the_peak() -> None:
    alone = tree_rss(psutil.Process())
    hold = "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(2)"
    with PeakMemory() as peak:
        subprocess.run([sys.executable, "-c", hold], check=True)
    assert peak.mb * 2**20 >= alone + 250 * 2**20  # the child's 300 MB were seen


@pytest.mark.integration
def test_without_children_the_peak_is_about_this_process() -> None:
    with PeakMemory() as peak:
        pass
    assert 10 < peak.mb < 4096
