"""A minimal Chrome DevTools Protocol client (headless Debian chromium over websockets).

Streamlit's content arrives over its own websocket after the page loads, so a plain
``chromium --screenshot`` catches only the loading skeleton: wait for the app's text, then capture.

``Chromium`` is one browser process; ``Chromium.new_page`` opens another page (a tab: its own
Streamlit session) with its own websocket, so one thread per page can drive several at once.
``Browser`` is a chromium with one page, for the end-to-end test.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections import deque
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    # every page is in the foreground: a background tab's timers and rendering are not slowed down
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
]


class Page:
    """One page over its own DevTools websocket; ``send`` is synchronous (events are buffered, the
    last 500 kept). Use a page from one thread at a time."""

    def __init__(self, ws_url: str, *, width: int = 1280, height: int = 1400) -> None:
        self.ws = connect(ws_url, max_size=64 * 2**20, open_timeout=30).__enter__()
        self._id = 0
        self.events: deque[dict[str, Any]] = deque(maxlen=500)
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def send(
        self, method: str, params: dict[str, Any] | None = None, timeout_s: float = 30.0
    ) -> dict[str, Any]:
        self._id += 1
        my_id = self._id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout_s
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def js(self, expression: str, timeout_s: float = 30.0) -> Any:  # noqa: ANN401
        """The value of a JavaScript expression (a promise is awaited, up to ``timeout_s``)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout_s=timeout_s,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JS error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def text(self) -> str:
        return self.js("document.body ? document.body.innerText : ''") or ""

    def wait_text(self, needle: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            time.sleep(0.25)
        raise TimeoutError(f"{needle!r} did not appear; the page says:\n{self.text()[:2000]}")

    def wait_js(self, predicate: str, timeout_s: float = 60.0) -> Any:  # noqa: ANN401
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.js(predicate)
            if value:
                return value
            time.sleep(0.25)
        raise TimeoutError(f"{predicate} stayed false; the page says:\n{self.text()[:2000]}")

    def click_button(self, label: str, nth: int = 0) -> None:
        """A real mouse click in the middle of the nth visible button whose text contains ``label``."""
        box = self.wait_js(
            "(() => { const b = [...document.querySelectorAll('button')].filter(b => "
            f"b.innerText.includes({json.dumps(label)}) && b.offsetParent !== null)[{nth}];"
            " if (!b) return null; b.scrollIntoView({block: 'center'}); const r = b.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        self.click_at(*box)

    def click_at(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}
            )

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element matching the CSS ``selector`` and type ``text`` as keyboard input."""
        self.wait_js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.focus(); return true; })()"
        )
        self.send("Input.insertText", {"text": text})

    def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                {
                    "type": kind,
                    "key": "Enter",
                    "code": "Enter",
                    "windowsVirtualKeyCode": 13,
                    "text": "\r" if kind == "keyDown" else "",
                },
            )

    def screenshot(self, path: Path) -> Path:
        """PNG of the viewport (Streamlit scrolls inside its own container, so make it tall)."""
        shot = self.send("Page.captureScreenshot", {"format": "png"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close_socket(self) -> None:
        self.ws.close()


class Chromium:
    """One headless chromium process with its DevTools endpoint on ``port``."""

    def __init__(self, port: int, *, width: int = 1280, height: int = 1400) -> None:
        self.port, self.width, self.height = port, width, height
        self.profile = Path(tempfile.mkdtemp(prefix="docqa-chromium-"))
        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _endpoint(self, path: str, method: str = "GET") -> Any:  # noqa: ANN401 - the JSON answer
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(request, timeout=5) as r:
            return json.load(r)

    def first_page_ws(self, timeout_s: float = 30.0) -> str:
        """The websocket URL of the page chromium opened at start (once its endpoint answers)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                pages = [t for t in self._endpoint("/json/list") if t.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.proc.returncode}")
            time.sleep(0.2)
        raise TimeoutError("chromium's DevTools endpoint did not come up")

    def new_page(self) -> Page:
        """Another page (tab) of this chromium; the first call waits for the endpoint."""
        self.first_page_ws()
        target = self._endpoint("/json/new?about:blank", method="PUT")
        return Page(target["webSocketDebuggerUrl"], width=self.width, height=self.height)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Browser(Page):
    """One headless chromium with one page."""

    def __init__(self, port: int, *, width: int = 1280, height: int = 1400) -> None:
        self.chromium = Chromium(port, width=width, height=height)
        try:
            super().__init__(self.chromium.first_page_ws(), width=width, height=height)
        except BaseException:
            self.chromium.close()
            raise

    def close(self) -> None:
        try:
            self.close_socket()
        finally:
            self.chromium.close()
