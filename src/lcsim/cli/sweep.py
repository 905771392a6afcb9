"""`lcsim sweep FILE`: run an experiment file on all local cores or a Dask cluster; resumable."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from . import UsageError
from .options import add_model_options, overrides

ORDER = 20


def register(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run an experiment file (many runs) on all cores or a Dask cluster; rerun to resume",
        description="Run every run of an experiment file and stream the results to Parquet files. Running the "
                    "same command on the same folder again runs only what is missing. See docs/sweeps.md.")
    p.add_argument("file", metavar="FILE", help="experiment file (TOML), e.g. experiments/exit-timing-by-style.toml")
    p.add_argument("--out", metavar="DIR", help="output folder (default: out/sweeps/NAME, NAME from the file)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster instead, e.g. tcp://HOST:8786 (needs lcsim[cluster])")
    p.add_argument("--monthly", action="store_true", help="also write every run's monthly table (monthly/)")
    add_model_options(p, scenario=False)
    p.add_argument("--flush-seconds", type=float, default=2.0, metavar="S",
                   help="write finished runs about every S seconds: what a crash can lose (default: 2)")
    p.add_argument("--dry-run", action="store_true", help="check the file and print the design size; run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no closing summary line")
    p.set_defaults(handler=cmd_sweep)


def cmd_sweep(args) -> int:
    from ..experiments import SweepError, sweep

    extra = overrides(args)
    try:
        if args.dry_run:
            return dry_run(args, extra)
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            sweep(args.file, args.out, workers=args.workers, scheduler=args.scheduler, monthly=args.monthly,
                  progress=not args.quiet, flush_seconds=args.flush_seconds, overrides=extra)
    except SweepError as err:
        raise UsageError(str(err)) from None
    except KeyboardInterrupt:
        print("lcsim sweep: interrupted; finished runs are saved: rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"lcsim sweep: warning: {message}", file=sys.stderr)


def dry_run(args, extra: dict) -> int:
    from ..experiments.design import build_design
    from ..experiments.experiment import load_experiment
    from ..experiments.runner import build_manifest, default_out
    from ..experiments.store import SweepFolder, finished_run_ids

    exp = load_experiment(args.file, extra)
    design = build_design(exp)
    out = Path(args.out) if args.out else default_out(exp)
    resumable = SweepFolder(out).check(build_manifest(exp, design, args.monthly)) is not None
    done = len(finished_run_ids(out)) if resumable else 0
    varied = ", ".join(exp.varied) or "nothing"
    print(f"{exp.name}: {exp.design} design, {exp.points} points x {exp.replicates} replicates = {exp.runs} runs "
          f"on scenario {exp.scenario}, varying {varied}")
    print(f"output: {out} ({done} runs already there, {exp.runs - done} to run)")
    return 0
