"""`lcsim compare`: every exit strategy on one scenario, side by side, with its uncertainty.

The runs go through the sweep engine (`lcsim.sweep`: all local cores, a progress bar,
results streamed to Parquet and resumable), as a grid over `exit_strategy` (and
`digital_channel` when asked) with common seeds: replicate k of every strategy starts from
the same random state, so the strategies meet the same luck and differences between them
come from the strategy, not the draw.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from ..parameters import EXIT_STRATEGIES
from . import UsageError
from .options import add_model_options, output_dir, overrides, resolved_params

ORDER = 30
DIGITAL = {"off": [False], "on": [True], "both": [False, True]}
ROOT_SEED = 20261128


def register(sub) -> None:
    cmd = sub.add_parser("compare", help="compare exit strategies on a scenario: survival with intervals, "
                                         "survival curves, outcomes (table, CSV, figures)")
    add_comparison_options(cmd, default_out="out/compare-SCENARIO")
    cmd.set_defaults(handler=cmd_compare)


def add_comparison_options(cmd: argparse.ArgumentParser, default_out: str) -> None:
    """The options `compare` and `report` share."""
    add_model_options(cmd)
    cmd.add_argument("--replicates", type=_positive, default=200, metavar="N",
                     help="communities simulated per strategy (default: %(default)s)")
    cmd.add_argument("--strategies", nargs="+", choices=EXIT_STRATEGIES, default=list(EXIT_STRATEGIES),
                     metavar="NAME", help="exit strategies to compare (default: all four: %(default)s)")
    cmd.add_argument("--digital", choices=tuple(DIGITAL),
                     help="digital channel off, on, or both side by side (default: as the scenario sets it)")
    cmd.add_argument("--seed", type=int, default=ROOT_SEED, metavar="N",
                     help="root seed; every run's seed derives from it (default: %(default)s)")
    cmd.add_argument("--workers", type=_positive, metavar="N", help="worker processes (default: all local cores)")
    cmd.add_argument("--out", metavar="DIR", help=f"output folder (default: {default_out})")


def cmd_compare(args) -> int:
    from ..analysis.compare import format_table, plain_reading

    comparison = run_comparison(args)
    out = comparison["out"]
    print()
    print(heading(comparison))
    print()
    print(format_table(comparison["table"]))
    print()
    for sentence in plain_reading(comparison["table"], comparison["horizon"]):
        print(sentence)
    written = write_comparison(comparison, out)
    print(f"\nwrote {out}/: " + ", ".join(written))
    return 0


def experiment_of(args) -> dict:
    """The sweep the comparison runs: a grid over the strategies (and the digital channel), common seeds."""
    fixed = overrides(args)
    for name in ("exit_strategy",) + (("digital_channel",) if args.digital else ()):
        if name in fixed:
            option = "--strategies" if name == "exit_strategy" else "--digital"
            raise UsageError(f"--set {name}: compare varies {name} itself; use {option} instead")
    strategies = list(dict.fromkeys(args.strategies))
    vary = {"exit_strategy": strategies}
    if args.digital:
        vary["digital_channel"] = DIGITAL[args.digital]
    return {
        "name": f"compare-{args.scenario}",
        "description": f"lcsim compare: exit strategies {', '.join(strategies)} on scenario {args.scenario}",
        "scenario": args.scenario, "fixed": fixed, "vary": vary, "design": "grid",
        "replicates": args.replicates, "root_seed": args.seed, "common_seeds": True,
    }


def run_comparison(args) -> dict:
    """Run (or resume) the comparison's sweep and compute its table. Returns what the writers need."""
    import lcsim
    from ..analysis.compare import comparison_table, groups_of
    from ..analysis.survival import completed
    from ..experiments import SweepError

    params = resolved_params(args)  # checks the scenario and every --set before any run
    if args.digital in ("on", "off"):  # what every run had, for the heading and the report
        params["digital_channel"] = args.digital == "on"
    experiment = experiment_of(args)
    default = f"out/compare-{args.scenario}"
    out = output_dir(args.out, default)
    # One runs folder per distinct comparison, so changing --replicates or --set never collides
    # with (or silently reuses) an earlier sweep, and rerunning the same command resumes it.
    key = hashlib.sha256(json.dumps(experiment, sort_keys=True, default=str).encode()).hexdigest()[:10]
    runs_dir = out / "runs" / key
    try:
        runs = lcsim.sweep(experiment, runs_dir, workers=args.workers, progress=True)
    except SweepError as err:  # e.g. another comparison is writing to the same folder
        raise UsageError(str(err)) from None
    done = completed(runs)
    failed = len(runs) - len(done)
    if done.empty:
        raise UsageError(f"every run failed (first error: {runs['error'].dropna().iloc[0]}); see {runs_dir}")
    by = groups_of(done) if args.digital == "both" else ["exit_strategy"]
    table = comparison_table(done, by=by)
    return {"args": args, "params": params, "experiment": experiment, "runs": runs, "completed": done,
            "failed": failed, "table": table, "by": by, "out": out, "runs_dir": runs_dir,
            "horizon": params["months"] - params["exit_month"]}


def heading(comparison: dict) -> str:
    args, p = comparison["args"], comparison["params"]
    digital = {"both": "with and without the digital channel", "on": "with the digital channel",
               "off": "without the digital channel", None: "digital channel " + (
                   "on" if p["digital_channel"] else "off")}[args.digital]
    text = (f"scenario {args.scenario}: {p['n_members']} members, convener gone at month {p['exit_month']} "
            f"of {p['months']}, control {p['control']:g}, {digital}; "
            f"{args.replicates} communities per strategy ({len(comparison['runs'])} runs")
    if comparison["failed"]:
        text += f", {comparison['failed']} failed and left out"
    return text + ")"


def write_comparison(comparison: dict, out: Path, figures: dict | None = None) -> list[str]:
    """The table (CSV) and the figures (PNG; built here unless given); each file appears whole or not at all."""
    import matplotlib.pyplot as plt

    from ..experiments.store import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    table = comparison["table"]
    atomic_write(out / "comparison.csv", lambda path: table.to_csv(path, index=False, float_format="%.6g"))
    written = ["comparison.csv"]
    if figures is None:
        figures = comparison_figures(table, comparison["completed"], comparison["by"], comparison["args"].scenario)
    for name, fig in figures.items():
        atomic_write(out / name, lambda path: fig.savefig(path, dpi=110, format="png"))
        plt.close(fig)
        written.append(name)
    return written


def comparison_figures(table, runs, by, scenario: str) -> dict:
    from ..analysis import figures

    return {
        "survival.png": figures.survival_bars(table, f"{scenario}: communities alive at the horizon"),
        "survival_curves.png": figures.survival_curves(
            runs, by, f"{scenario}: survival after the convener's exit (Kaplan-Meier, 95% bands)"),
        "outcomes.png": figures.outcome_distributions(runs, by, f"{scenario}: outcomes at the horizon by strategy"),
    }


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of at least 1")
    return value

