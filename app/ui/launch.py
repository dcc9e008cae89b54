"""`docqa ui`: Streamlit over the engine. Starts `docqa serve` first when none runs for this data
dir (and stops it again on exit), so that every browser session shares one engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from app.ui.backend import UiSettings

MAIN = Path(__file__).with_name("main.py")
ENGINE_START_S = 300.0  # loading the embedding model and opening the stores; generous on 2 cores


class LaunchError(RuntimeError):
    pass


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def streamlit_command(port: int, address: str | None = None) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(MAIN),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--server.port",
        str(port),
    ]
    return cmd + (["--server.address", address] if address else [])


def start_engine(
    settings: UiSettings, env: dict[str, str], *, timeout_s: float = ENGINE_START_S
) -> tuple[Any, str]:
    """(the `docqa serve` process, its URL) once it answers /health."""
    from app.client import find_engine

    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], env=env)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LaunchError(f"`docqa serve` exited with code {proc.returncode} (see its message above)")
        client = find_engine(settings)
        if client is not None:
            url = client.url
            client.close()
            return proc, url
        time.sleep(0.5)
    stop(proc)
    raise LaunchError(f"`docqa serve` did not answer within {timeout_s:.0f} s")


def stop(proc: Any, timeout_s: float = 15.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # uvicorn and streamlit shut down cleanly on SIGINT
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def run(
    settings: UiSettings,
    port: int,
    *,
    address: str | None = None,
    offline_env: dict[str, str],
    echo: Any = print,
) -> int:
    """Run the UI until it exits or is interrupted (Ctrl-C, SIGTERM); returns its exit code."""
    from app.client import find_engine

    env = dict(os.environ) | offline_env | {"DOCQA_DATA_DIR": str(settings.data_dir.resolve())}
    engine_proc = None
    previous = signal.signal(signal.SIGTERM, _interrupt)
    ui = None
    try:
        client = find_engine(settings)
        if client is None:
            echo(
                f"starting the engine (`docqa serve`, port {settings.engine_port}) for {settings.data_dir} …"
            )
            engine_proc, url = start_engine(settings, env)
        else:
            url = client.url
            client.close()
        echo(f"engine: {url}")
        env["DOCQA_ENGINE_URL"] = url
        ui = subprocess.Popen(streamlit_command(port, address), env=env)
        echo(f"DocQA web UI: http://{address or 'localhost'}:{port}  (Ctrl-C stops it)")
        return ui.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        stop(ui)
        if engine_proc is not None:
            echo("stopping the engine we started …")
            stop(engine_proc)
        signal.signal(signal.SIGTERM, previous)
