"""`lcsim report`: the comparison of exit strategies as one HTML file a designer can send."""

from __future__ import annotations

import shlex
from pathlib import Path

from ..parameters import EXIT_STRATEGIES
from .compare import ROOT_SEED, add_comparison_options, comparison_figures, run_comparison, write_comparison

ORDER = 40


def register(sub) -> None:
    cmd = sub.add_parser("report", help="compare exit strategies and write one self-contained HTML report")
    add_comparison_options(cmd, default_out="out/report-SCENARIO")
    cmd.set_defaults(handler=cmd_report)


def cmd_report(args) -> int:
    from .. import __version__
    from ..analysis.compare import format_table
    from ..analysis.report import build_report
    from ..scenarios import describe
    from ..experiments.store import atomic_write
    from .options import overrides

    if args.out is None:
        args.out = f"out/report-{args.scenario}"
    comparison = run_comparison(args)
    out: Path = comparison["out"]
    print()
    print(format_table(comparison["table"]))
    titles = {
        "survival.png": "Share of communities alive at the horizon, with 95% Wilson intervals.",
        "survival_curves.png": "Kaplan-Meier survival after the convener's exit, with pointwise 95% bands; "
                               "communities alive at the horizon are censored.",
        "outcomes.png": "Outcomes at the horizon across the simulated communities (box: middle half; line: "
                        "median; diamond: mean; points: unusual communities).",
    }
    figures = comparison_figures(comparison["table"], comparison["completed"], comparison["by"], args.scenario)
    html = build_report(
        table=comparison["table"], params=comparison["params"], scenario=describe(args.scenario),
        figures={titles[name]: fig for name, fig in figures.items()}, overrides=overrides(args),
        meta={"version": __version__, "replicates": args.replicates, "root_seed": args.seed,
              "runs": len(comparison["runs"]), "failed": comparison["failed"], "common_seeds": True,
              "command": command_line(args)},
    )
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "report.html", lambda path: Path(path).write_text(html, encoding="utf-8"))
    written = write_comparison(comparison, out, figures)
    print(f"\nwrote {out}/report.html (open it in any browser; it needs no network), " + ", ".join(written))
    return 0


def command_line(args) -> str:
    """The command that reproduces this report's numbers (the output folder aside)."""
    words = ["lcsim", "report", "--scenario", args.scenario, "--replicates", str(args.replicates)]
    if list(args.strategies) != list(EXIT_STRATEGIES):
        words += ["--strategies", *args.strategies]
    if args.digital:
        words += ["--digital", args.digital]
    if args.seed != ROOT_SEED:
        words += ["--seed", str(args.seed)]
    for text in args.assignments:
        words += ["--set", text]
    return shlex.join(words)
