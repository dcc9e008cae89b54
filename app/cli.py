"""`docqa`: the one console script. Subcommands live next to the code they drive."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import typer
from rich.markup import escape
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
db_app = typer.Typer(no_args_is_help=True, help="The database schema (Alembic migrations in app/migrations).")
app.add_typer(db_app, name="db")

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
    from app.access import add_user, cli_actor, record_audit

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with services() as svc:
        existed = svc.db.get_user(name.strip()) is not None
        try:
            user = add_user(
                svc.db,
                name,
                password,
                split_csv(groups),
                split_csv(roles),
                demo_passwords=svc.settings.demo_mode,
            )
        except ValueError as exc:
            raise fail(str(exc)) from None
        details = {"groups": user.group_names, "roles": user.role_list, "password_changed": True}
        record_audit(svc.db, cli_actor(), "user.change" if existed else "user.create", user.name, details)
        out.print(f"user {user.name}: groups {', '.join(user.group_names) or '-'}; roles {user.roles}")


@users_app.command("rm")
def users_rm(name: str) -> None:
    """Remove a user (their logs, feedback and escalations keep their name)."""
    from app.access import cli_actor, record_audit

    with services() as svc:
        found = svc.db.get_user(name)
        if found is None or not svc.db.delete_user(name):
            raise fail(f"no user {name!r}; see `docqa users list`")
        details = {"groups": found.group_names, "roles": found.role_list}
        record_audit(svc.db, cli_actor(), "user.delete", name, details)
    out.print(f"removed user {name}")


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
    """Create the demo users (demo only: their passwords are published in data/users.yaml).
    Refused unless DOCQA_DEMO_MODE=true; scripts/demo.sh sets it."""
    from app.access import cli_actor, record_audit, seed_users

    settings = Settings()
    if not settings.demo_mode:
        raise fail(
            "refusing to seed the demo users outside demo mode: their passwords are published in "
            f"{file}. For the demo set DOCQA_DEMO_MODE=true (scripts/demo.sh does); otherwise create "
            "users with `docqa users add`"
        )
    if not file.is_file():
        raise fail(f"{file} not found")
    with services(settings) as svc:
        users = seed_users(svc.db, file)
        record_audit(svc.db, cli_actor(), "user.seed", str(file), {"users": [u.name for u in users]})
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
    doc: str | None = typer.Option(
        None,
        "--doc",
        help="Answer from this one document only: its path as `docqa docs list` shows it (or its file "
        "name, or doc_id). Default: every document USER may read.",
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
            question, user, backend=backend, history=history, on_token=None if as_json else on_token, doc=doc
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
        label += f" — model not used: {result['fallback_reason']}"
    if result.get("cache_hit"):
        label += " — from the answer cache (its sources are unchanged)"
    out.print()
    out.print(result["answer"], highlight=False, markup=False)
    out.print(f"[dim]{label}[/]", highlight=False)
    for c in result["citations"]:
        pages = f"p. {c['page']}" if c["page"] == c["page_end"] else f"pp. {c['page']}–{c['page_end']}"
        pages = c.get("location") or pages  # "sheet Revenue, rows 4–9", "section Methods › Results"
        if c.get("verified_by"):  # a verified answer (app/verified.py) has no pages
            pages = f"Verified by {c['verified_by']}, {c.get('verified_at') or '?'}"
        snippet = " ".join(c["snippet"].split())
        short = snippet[:160] + ("…" if len(snippet) > 160 else "")
        where = escape(f"{c['path']}, {pages}")  # a sheet or heading may hold "[…]"
        out.print(f"[bold][{c['n']}][/] {where}: [dim]{escape(short)}[/]", highlight=False)
    out.print(
        f"confidence: [{colour}]{conf['band']}[/] ({conf['score']:.2f}) — {conf['message']}", highlight=False
    )
    for reason in conf["reasons"]:
        out.print(f"  · {reason}", highlight=False)
    if conf["suggest_expert"]:
        out.print("[bold]Consider asking an expert[/] (low confidence or a high-stakes topic).")


# -- doctor ----------------------------------------------------------------------------------------
@app.command("doctor")
def doctor(
    repair: bool = typer.Option(False, "--repair", help="Fix what an interrupted run left behind."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check that the database and the vector store agree: every document answerable at exactly one
    version with all its chunks, no orphan or duplicate points, no half-written versions, no runs of
    killed processes still marked running, no kept originals missing, no points embedded by another
    encoder than DOCQA_EMBED_BACKEND (--repair re-embeds them). Exit 0 when consistent, 1 when
    not (after --repair: 0 if everything was repaired); 3 when the stores can't be opened."""
    from app.client import find_engine
    from app.doctor import check, live_runs, summary
    from app.doctor import repair as fix

    settings = Settings()
    running = find_engine(settings)
    if running is not None:
        running.close()
        raise fail(
            f"an engine (`docqa serve`) at {running.url} holds the stores: stop it, then run "
            "`docqa doctor` again",
            3,
        )
    with services(settings) as svc:
        if live := live_runs(svc.db):
            raise fail(f"ingest run {live[0]} is still running: run `docqa doctor` when it has finished", 3)
        found = check(svc)
        remaining = found
        if repair and found:
            fix(svc, found)
            remaining = check(svc)
    if as_json:
        result = {"consistent": not remaining, "findings": [f.to_dict() for f in found]}
        if repair:
            result["remaining"] = [f.to_dict() for f in remaining]
        print(json.dumps(result, indent=2))
    else:
        if found:
            table = Table("problem", "detail", *(["repair"] if repair else []), title="docqa doctor")
            for f in found:
                table.add_row(f.kind, f.message, *([f.repaired or "-"] if repair else []))
            out.print(table)
        if not remaining:
            what = "repaired: " if found else ""
            out.print(f"{what}database and vector store are consistent", highlight=False)
        else:
            counts = ", ".join(f"{n} {k}" for k, n in summary(remaining).items())
            hint = "" if repair else " (run `docqa doctor --repair`)"
            err.print(f"[bold red]inconsistent:[/] {counts}{hint}", highlight=False)
            if repair:
                for f in remaining:
                    err.print(f"  · {f.message}", highlight=False, markup=False)
    raise typer.Exit(1 if remaining else 0)


# -- serve -----------------------------------------------------------------------------------------
@app.command("serve")
def serve(
    host: str | None = typer.Option(
        None,
        help="Interface to bind (default DOCQA_ENGINE_HOST, 127.0.0.1). Every request needs a token "
        "(DOCQA_ENGINE_TOKEN, or the one written to <data_dir>/engine.json); put TLS in front "
        "before exposing it beyond this machine.",
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
    from app.logs import install
    from app.ui.backend import UiSettings
    from app.ui.launch import LaunchError, run

    install()  # personal data out of the logs (the Streamlit process installs its own)
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


# -- db --------------------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database (DOCQA_DATABASE_URL; default <data_dir>/docqa.db) to the newest schema.
    Every process opening it does the same; this only does it ahead of time."""
    from app.db import Database, DatabaseUnavailableError
    from app.migrations import head_revisions

    settings = Settings()
    settings.ensure_dirs()
    try:
        Database(settings.db_url).close()
    except DatabaseUnavailableError as exc:
        raise fail(str(exc), 3) from None
    out.print(f"database at revision {', '.join(head_revisions())} (newest)")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one, changing nothing."""
    from sqlalchemy.exc import OperationalError

    from app.migrations import status

    try:
        current, heads = status(Settings().db_url)
    except OperationalError as exc:
        raise fail(f"cannot open the database: {exc.orig}", 3) from None
    state = "up to date" if current == heads else "needs `docqa db upgrade` (or any docqa command)"
    out.print(f"database: {', '.join(current) or 'empty'}; newest: {', '.join(heads)} ({state})")


@db_app.command("revision")
def db_revision(message: str = typer.Argument(..., help="What changed, e.g. 'add audit log'.")) -> None:
    """For developers: write the migration from the schema at head to app/models.py's."""
    from app.migrations import new_revision

    out.print(f"wrote {new_revision(message)}: review it, then run the schema test (tests/app/test_db.py)")


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
