"""`docqa`: the one console script. Subcommands live next to the code they drive."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.table import Table

from app.console import fail, out, services, split_csv

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
    as_user: str = typer.Option(
        ..., "--user", "--as", help="Answer as this user: only their groups' documents are used."
    ),
    limit: int = typer.Option(5, help="How many passages to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Find the passages that answer QUESTION among the documents USER may read, with citations."""
    from app.access import user_groups
    from app.retrieve import search

    with services() as svc:
        if svc.db.get_user(as_user) is None:
            raise fail(f"no user {as_user!r}; see `docqa users list`")
        groups = user_groups(svc.db, as_user)
        passages = search(svc.store, svc.embedder, question, groups, limit=limit)
    if as_json:
        rows = [{"citation": p.citation, "score": p.score, **p.payload} for p in passages]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not passages:
        out.print("No document you may read matches this question.")
        return
    out.print(
        f"[dim]Passages for {as_user} (groups: {', '.join(groups)}); generated answers arrive with "
        "the query engine.[/]"
    )
    for n, p in enumerate(passages, start=1):
        out.print(f"\n[bold][{n}] {p.citation}[/]  [dim]{p.payload.get('section', '')}[/]", highlight=False)
        out.print(p.payload["text"], highlight=False, markup=False)


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
