"""`docqa eval …` and `docqa bench …` (app/cli.py mounts both).

bench holds `docqa bench`; the `docqa eval` commands are one module per group (calibrate, retrieval,
runs, security), registered on eval_app here in the order `docqa eval --help` lists them.
"""

from __future__ import annotations

import typer

from eval.cli.bench import bench_app
from eval.cli.calibrate import calibrate_cmd
from eval.cli.retrieval import retrieval_cmd
from eval.cli.runs import compare_cmd, list_cmd, report_cmd, run_cmd
from eval.cli.security import leaks_cmd, redteam_cmd

__all__ = ["bench_app", "eval_app"]

eval_app = typer.Typer(no_args_is_help=True, help="Measure answer quality on golden question sets.")
eval_app.command("calibrate")(calibrate_cmd)
eval_app.command("retrieval")(retrieval_cmd)
eval_app.command("run")(run_cmd)
eval_app.command("list")(list_cmd)
eval_app.command("report")(report_cmd)
eval_app.command("compare")(compare_cmd)
eval_app.command("redteam")(redteam_cmd)
eval_app.command("leaks")(leaks_cmd)
