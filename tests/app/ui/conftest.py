"""A tiny ingested corpus, users with real (argon2) passwords, and the UI pointed at it.

The UI runs in-process (no `docqa serve`) with the extractive backend, so no language model is needed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MAIN = ROOT / "app" / "ui" / "main.py"
SALARY_Q = "What is the salary band for a senior engineer?"
LEAVE_Q = "How many vacation days does an employee get?"
USERS = {  # name: (password, groups, roles)
    "alice": ("alice-secret", ["everyone", "hr"], ["employee"]),
    "dave": ("dave-secret", ["everyone"], ["employee"]),
    "rita": ("rita-secret", ["everyone", "hr"], ["employee", "reviewer"]),
    "victor": ("victor-secret", ["everyone", "engineering"], ["employee", "reviewer"]),
}


def make_pdf(path: Path, pages: list[str]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        y = 780
        for line in text.splitlines():
            c.drawString(60, y, line)
            y -= 18
        c.showPage()
    c.save()


def write_corpus(root: Path) -> Path:
    (root / "public").mkdir(parents=True, exist_ok=True)
    (root / "public" / "leave.txt").write_text(
        "Vacation policy\n\nEvery employee gets 30 vacation days per year. Unused days expire on 31 March.\n"
    )
    make_pdf(
        root / "hr" / "salary-bands.pdf",
        [
            "Salary bands 2026\nThis document lists the salary bands per role.",
            "Engineering\nThe salary band for a senior engineer is 80,000 to 95,000 EUR per year.\n"
            "Bands are reviewed every January.",
        ],
    )
    (root / "acl.yaml").write_text('default: [everyone]\nrules:\n  - match: "hr/**"\n    groups: [hr]\n')
    return root


@dataclass
class UiEnv:
    settings: object  # app.ui.backend.UiSettings
    data_dir: Path

    def db(self):
        from app.db import Database

        return Database(self.settings.db_url)


@pytest.fixture(scope="module")
def ui_env(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[UiEnv]:
    from app.access import add_user
    from app.services import Services
    from app.ui.backend import UiSettings

    tmp = tmp_path_factory.mktemp("ui")
    env = {
        "DOCQA_DATA_DIR": str(tmp / "state"),
        "DOCQA_LLM_BACKEND": "extractive",
        "DOCQA_INGEST_WORKERS": "0",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("DOCQA_"):
                mp.delenv(key)
        for key, value in env.items():
            mp.setenv(key, value)
        settings = UiSettings()
        svc = Services(settings, embedder=embedder)
        try:
            report = svc.ingestor.ingest([write_corpus(tmp / "docs")], set_name="t")
            assert all(f.status == "indexed" for f in report.files), report.files
            for name, (password, groups, roles) in USERS.items():
                add_user(svc.db, name, password, groups, roles)
        finally:
            svc.close()  # the UI opens the stores itself (one process per store)
        yield UiEnv(settings, tmp / "state")


@pytest.fixture
def app_test(ui_env: UiEnv):
    from streamlit.testing.v1 import AppTest

    def make(script: Path = MAIN) -> AppTest:
        return AppTest.from_file(str(script), default_timeout=90)

    return make


def login(at, name: str, password: str | None = None):
    """Run the app and log in through the form; returns the AppTest."""
    at.run()
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password if password is not None else USERS[name][0])
    at.button[0].click().run()
    return at
