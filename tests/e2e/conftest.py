from __future__ import annotations

import pytest

from eval.browser import CHROMIUM


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    """A browser test fails (never skips) without chromium, so a green run cannot hide a missing install."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh does)")
