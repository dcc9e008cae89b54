"""Headless Debian chromium (/usr/bin/chromium) driven by Playwright.

Playwright's own browser download cannot be used here, so every launch names the system chromium:
``playwright.chromium.launch(**launch_options())`` with the sync or the async API. Streamlit's content
arrives over its own websocket after the page loads (a plain ``chromium --screenshot`` catches only the
loading skeleton): wait for the app's text, then act or capture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
# Playwright already passes --headless, --hide-scrollbars, --no-first-run, --disable-background-networking,
# --disable-component-update, --disable-dev-shm-usage, a fresh profile and the switches that keep a
# background tab's timers and rendering at full speed (every page is in the foreground). These are ours:
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-sync", "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 1400}  # Streamlit scrolls inside its own container: make pages tall


def launch_options() -> dict[str, Any]:
    """Keyword arguments of ``BrowserType.launch`` for the system chromium (a clear error when absent)."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh does)")
    return {"executable_path": str(CHROMIUM), "args": ARGS}
