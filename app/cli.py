"""`docqa`: the one console script. Subcommands live next to the code they drive."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import typer
from rich.table import Table

from app.console import engine, err, fail, out, services, split_csv
from app.settings import Settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="DocQA: answers from your company's documents, with citations, for the people allowed to read them.",
)
users_app = typer.Typer(no_args_is_help=True, help="Manage users and their groups.")
app.add_typer(users_app, name="users")

OFFLINE_ENV = {
    "DO_NOT_TRACK": "1",
    "RAGAS_DO_NOT_TRACK": "true",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


# -- users -----------------------------------------------------------------------------------------
@users_app.command("add")
def users_add(
    name: str,
    groups: str = typer.Option("", help="Comma-separated groups, e.g. hr,finance."),
    roles: str = typer.Option(
        "employee", help="Comma-separated roles: employee, reviewer, admin, evaluator."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Create a user or update an existing one's password, groups and roles."""
    from app.access import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with services() as svc:
        try:
            user = add_user(svc.db, name, password, split_csv(groups), split_csv(roles))
        except ValueError as exc:
            raise fail(str(exc)) from None
        out.print(f"user {user.name}: groups {', '.join(user.group_names) or '-'}; roles {user.roles}")


@users_app.command("list")
def users_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List users with their groups and roles."""
    with services() as svc:
        users = svc.db.list_users()
        rows = [{"name": u.name, "groups": u.group_names, "roles": u.role_list} for u in users]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("user", "groups", "roles")
    for r in rows:
        table.add_row(r["name"], ", ".join(r["groups"]), ", ".join(r["roles"]))
    out.print(table)


@users_app.command("seed")
def users_seed(
    file: Path = typer.Option(Path("data/users.yaml"), help="YAML list of demo users."),
) -> None:
    """Create the demo users (demo only: their passwords are published in data/users.yaml)."""
    from app.access import seed_users

    if not file.is_file():
        raise fail(f"{file} not found")
    with services() as svc:
        users = seed_users(svc.db, file)
    out.print(f"seeded {len(users)} demo users: {', '.join(u.name for u in users)} (passwords in {file})")


# -- ask -------------------------------------------------------------------------------------------
@app.command("ask")
def ask(
    question: str,
    user: str = typer.Option(
        ..., "--user", "--as", help="Ask as this user: only their groups' documents are used."
    ),
    backend: str | None = typer.Option(
        None,
        help="local (llama.cpp), openai (OpenAI-compatible server) or extractive (no LLM).",
    ),
    history: list[str] = typer.Option(
        [],
        "--history",
        help="A previous question of the conversation (repeat, oldest first): makes follow-ups work.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Answer QUESTION from the documents USER may read, with citations and a confidence.

    Goes through the engine (`docqa serve`) when one runs, else opens the stores itself.
    """
    if backend not in (None, "local", "openai", "extractive"):
        raise fail("--backend must be local, openai or extractive")
    streamed = []

    def on_token(token: str) -> None:
        streamed.append(token)
        err.print(token, end="", style="dim", highlight=False, markup=False)

    with engine() as eng:
        result = eng.ask(
            question, user, backend=backend, history=history, on_token=None if as_json else on_token
        )
    if streamed:
        err.print()
    if result.get("log_warning"):
        err.print(result["log_warning"], style="yellow", markup=False, highlight=False)
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print_answer(result)


def print_answer(result: dict) -> None:
    """Print an answer in the engine's JSON shape (Answer.to_dict() + cache_hit)."""
    conf = result["confidence"]
    colour = {"high": "green", "medium": "yellow", "low": "red"}[conf["band"]]
    label = {
        "extractive": "quoted from the sources (no language model)",
        "local": f"generated locally ({result['model']})",
        "openai": f"generated by {result['model']}",
    }[result["backend"]]
    if result["fallback_reason"]:
        label += f" — the language model failed: {result['fallback_reason']}"
    if result.get("cache_hit"):
        label += " — from the answer cache (its sources are unchanged)"
    out.print()
    out.print(result["answer"], highlight=False, markup=False)
    out.print(f"[dim]{label}[/]", highlight=False)
    for c in result["citations"]:
        pages = f"p. {c['page']}" if c["page"] == c["page_end"] else f"pp. {c['page']}–{c['page_end']}"
        if c.get("verified_by"):  # a verified answer (app/verified.py) has no pages
            pages = f"Verified by {c['verified_by']}, {c.get('verified_at') or '?'}"
        snippet = " ".join(c["snippet"].split())
        short = snippet[:160] + ("…" if len(snippet) > 160 else "")
        out.print(f"[bold][{c['n']}][/] {c['path']}, {pages}: [dim]{short}[/]", highlight=False)
    out.print(
        f"confidence: [{colour}]{conf['band']}[/] ({conf['score']:.2f}) — {conf['message']}", highlight=False
    )
    for reason in conf["reasons"]:
        out.print(f"  · {reason}", highlight=False)
    if conf["suggest_expert"]:
        out.print("[bold]Consider asking an expert[/] (low confidence or a high-stakes topic).")


# -- serve -----------------------------------------------------------------------------------------
@app.command("serve")
def serve(
    host: str | None = typer.Option(
        None,
        help="Interface to bind (default DOCQA_ENGINE_HOST, 127.0.0.1). The engine trusts the user "
        "named in each request: do not expose it beyond this machine.",
    ),
    port: int | None = typer.Option(None, help="Port (default DOCQA_ENGINE_PORT, 8765)."),
) -> None:
    """Run the engine: one process holding the stores and the models, serving the CLI and the UI.

    Writes <data_dir>/engine.json while it runs, so `docqa ask`, `docqa ingest` and `docqa docs`
    go through it. OpenAPI schema at /openapi.json, interactive docs at /docs.
    """
    from app.db import DatabaseUnavailableError
    from app.server import EngineStartError
    from app.server import serve as run
    from app.store import StoreBusyError, StoreUnavailableError

    # INFO for the engine's own messages only: at INFO sentence-transformers draws a bar per question
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("docqa").setLevel(logging.INFO)
    settings = Settings()
    try:
        run(settings, host or settings.engine_host, settings.engine_port if port is None else port)
    except (EngineStartError, StoreBusyError, StoreUnavailableError, DatabaseUnavailableError) as exc:
        raise fail(str(exc), 3) from None


# -- ui --------------------------------------------------------------------------------------------
@app.command("ui")
def ui(
    port: int | None = typer.Option(None, help="Port of the web UI (default DOCQA_UI_PORT, 8501)."),
    address: str | None = typer.Option(
        None, help="Interface Streamlit binds to (default: Streamlit's, all interfaces)."
    ),
) -> None:
    """Run the web UI (Streamlit). Starts the engine (`docqa serve`) first when none runs for this
    data dir, and stops it again on exit, so that every browser session shares one engine."""
    from app.ui.backend import UiSettings
    from app.ui.launch import LaunchError, run

    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    settings = UiSettings()
    try:
        code = run(
            settings,
            settings.ui_port if port is None else port,
            address=address,
            offline_env=OFFLINE_ENV,
            echo=lambda msg: err.print(msg, highlight=False, markup=False),
        )
    except LaunchError as exc:
        raise fail(str(exc), 3) from None
    raise typer.Exit(code)


def _register_subcommands() -> None:
    from eval.cli import bench_app, eval_app
    from ingest.cli import docs_app, ingest

    app.command("ingest")(ingest)
    app.add_typer(docs_app, name="docs")
    app.add_typer(bench_app, name="bench")
    app.add_typer(eval_app, name="eval")


_register_subcommands()


def main() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    app()


if __name__ == "__main__":
    main()
