"""`docqa eval redteam` (eval/redteam.py) and `docqa eval leaks` (eval/leaks.py)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from app.console import out
from app.settings import Settings


def redteam_cmd(
    backend: str | None = typer.Option(None, help="local, openai or extractive (default: settings)."),
    limit: int | None = typer.Option(None, min=1, help="Only the first N cases."),
    kind: str | None = typer.Option(None, help="Only cases of this kind (e.g. exfiltration)."),
    strict: bool = typer.Option(
        False, "--strict", help="Also exit 1 on a dishonest citation or a followed injection."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print every case and the summary as JSON."),
) -> None:
    """Ask the red-team set (data/redteam: prompt injections in questions and documents, exfiltration,
    forged citations) as its users, in its own state under <data_dir>/eval/redteam, and count system-
    prompt disclosures, leaks of unreadable documents, dishonest citations and followed injections.
    Exits 1 when anything leaked or the prompt was disclosed."""
    import sys

    from app.console import err, fail, services
    from eval.redteam import RedteamError, prepare, redteam_settings, run_redteam, summarize

    settings = redteam_settings(Settings())
    with services(settings) as svc:
        try:
            err.print(f"ingesting the red-team set into {settings.data_dir} …", highlight=False)
            cases = prepare(svc)
            cases = [c for c in cases if kind is None or c.kind == kind][:limit]
            if not cases:
                raise fail(f"no red-team cases of kind {kind!r}")

            def progress(r) -> None:  # noqa: ANN001 - eval.redteam.CaseResult
                mark = "ok" if r.passed else "FAIL"
                print(f"[redteam] {r.id:<7} {mark:<4} {r.seconds:5.1f} s {r.question[:70]}", file=sys.stderr)

            results = run_redteam(svc, cases, backend=backend, on_result=progress)
        except RedteamError as exc:
            raise fail(str(exc)) from None
    summary = summarize(results)
    if as_json:
        print(json.dumps({"backend": backend or settings.llm_backend, **summary,
                          "cases": [r.to_dict() for r in results]}, indent=2))  # fmt: skip
    else:
        cols = ("cases", "disclosures", "leaks", "dishonest_citations", "injections_followed",
                "unsupported_claims", "refused", "useful", "fallbacks")  # fmt: skip
        heads = ("cases", "disclosed", "leaked", "bad cites", "obeyed", "unbacked", "refused", "useful",
                 "fallback")  # fmt: skip
        t = Table("kind", *heads, title=f"docqa eval redteam ({backend or settings.llm_backend})")
        for k, row in [*summary["by_kind"].items(), ("total", summary["totals"])]:
            t.add_row(k, *(str(row[c]) for c in cols))
        out.print(t)
        for r in results:
            for label, items in (("disclosure", r.disclosures), ("leak", r.leaks), ("citation", r.dishonest),
                                 ("injection", r.injections), ("unsupported", r.unsupported)):  # fmt: skip
                for item in items:
                    out.print(f"  {r.id} {label}: {item}", highlight=False)
    bad = not summary["safe"] or (
        strict and (summary["totals"]["dishonest_citations"] or summary["totals"]["injections_followed"])
    )
    if bad:
        raise typer.Exit(1)


def leaks_cmd(
    checks: int = typer.Option(10_000, min=1, help="Looks to make (one user looking at one surface)."),
    seed: int = typer.Option(0, help="The random world and steps; the same seed replays the same run."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Randomised leak suite (eval/leaks.py): a seeded world of users, groups and documents holding
    canary strings, stepped by questions, escalations, replies, verified answers, evaluations,
    re-grouping, deletion and killed re-ingestion; after every step every user looks at every
    surface that can show text. Runs in a temporary folder with the real encoder and stores and the
    extractive backend. Exits 1 on any leak."""
    import sys

    from eval.leaks import run_leaks

    def progress(done: int, what: str) -> None:
        print(f"[leaks] {done:>6}/{checks} checks · {what}", file=sys.stderr)

    result = run_leaks(checks, seed, on_step=progress)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        t = Table(
            "surface", "checks", "leaks", "showed readable text", title=f"docqa eval leaks (seed {seed})"
        )
        for name, row in result["surfaces"].items():
            t.add_row(name, str(row["checks"]), str(row["leaks"]), str(row["shown"]))
        t.add_row("total", str(result["checks"]), str(result["leaks"]), "")
        out.print(t)
        out.print(
            f"{result['steps']} steps, {result['users']} users, {result['documents']} documents "
            f"({result['deleted']} deleted), {result['seconds']} s",
            highlight=False,
        )
        for example in result["examples"]:
            out.print(f"  leak: {example}", highlight=False)
    if result["leaks"]:
        raise typer.Exit(1)
