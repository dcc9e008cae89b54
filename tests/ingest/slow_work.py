"""A stand-in for ingest.worker.prepare_file, named as such, for the worker pool's timeout test: it
reports its start like the real one, then sleeps for the seconds its file holds."""

from __future__ import annotations

import time
from pathlib import Path

from ingest.worker import Prepared, WorkerOptions, report_stage


def sleep_for_file(path: str, opts: WorkerOptions) -> Prepared:
    report_stage(path, "parse")
    time.sleep(float(Path(path).read_text()))
    return Prepared("empty", "slept")
