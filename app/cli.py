"""`docqa`: the one console script. Subcommands live next to the code they drive."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.table import Table

from app.console import err, fail, out, services, split_csv

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
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Answer QUESTION from the documents USER may read, with citations and a confidence."""
    from app.access import user_groups

    if backend not in (None, "local", "openai", "extractive"):
        raise fail("--backend must be local, openai or extractive")
    with services() as svc:
        if svc.db.get_user(user) is None:
            raise fail(f"no user {user!r}; see `docqa users list`")
        answerer = svc.answerer(backend)
        streamed = []

        def on_token(token: str) -> None:
            if not as_json:
                streamed.append(token)
                err.print(token, end="", style="dim", highlight=False, markup=False)

        groups = user_groups(svc.db, user)
        result = answerer.ask(question, groups, on_token=on_token)
        log_warning = ""
        try:
            from app.querylog import log_answer

            log_answer(svc.db, user, groups, result, settings=svc.settings)
        except Exception as exc:  # noqa: BLE001 - logging must never break the answer
            log_warning = f"warning: the question was not logged: {type(exc).__name__}: {exc}"[:300]
    if streamed:
        err.print()
    if log_warning:
        err.print(log_warning, style="yellow", markup=False, highlight=False)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    print_answer(result)


def print_answer(result) -> None:  # noqa: ANN001 - app.answer.Answer
    colour = {"high": "green", "medium": "yellow", "low": "red"}[result.confidence.band]
    label = {
        "extractive": "quoted from the sources (no language model)",
        "local": f"generated locally ({result.model})",
        "openai": f"generated by {result.model}",
    }[result.backend]
    if result.fallback_reason:
        label += f" — the language model failed: {result.fallback_reason}"
    if result.cache_hit:
        label += " — from the answer cache (its sources are unchanged)"
    out.print()
    out.print(result.answer, highlight=False, markup=False)
    out.print(f"[dim]{label}[/]", highlight=False)
    for c in result.citations:
        pages = f"p. {c.page}" if c.page == c.page_end else f"pp. {c.page}–{c.page_end}"
        snippet = " ".join(c.snippet.split())
        short = snippet[:160] + ("…" if len(snippet) > 160 else "")
        out.print(f"[bold][{c.n}][/] {c.path}, {pages}: [dim]{short}[/]", highlight=False)
    conf = result.confidence
    out.print(f"confidence: [{colour}]{conf.band}[/] ({conf.score:.2f}) — {conf.message}", highlight=False)
    for reason in conf.reasons:
        out.print(f"  · {reason}", highlight=False)
    if conf.suggest_expert:
        out.print("[bold]Consider asking an expert[/] (low confidence or a high-stakes topic).")


def _register_subcommands() -> None:
    from eval.cli import bench_app
    from ingest.cli import docs_app, ingest

    app.command("ingest")(ingest)
    app.add_typer(docs_app, name="docs")
    app.add_typer(bench_app, name="bench")


_register_subcommands()


def main() -> None:
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
    app()


if __name__ == "__main__":
    main()
