"""What several `docqa eval` commands share: the --half option."""

from __future__ import annotations

HALF_HELP = (
    "tune, test or all: the half of the set fixed by a hash of each question id (sha256, even = tune; "
    "eval/golden.py half_of). Tune on tune, report test."
)


def check_half(half: str) -> None:
    from app.console import fail

    if half not in ("tune", "test", "all"):
        raise fail(f"--half must be tune, test or all, got {half!r}")
