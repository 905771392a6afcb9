"""`lcsim sweep FILE`: run an experiment file on all local cores or a Dask cluster; resumable.

A thin shell: it parses the options and calls `lcsim.experiments` (`sweep`, `plan` for --dry-run,
`check_folder` for --check); every decision lives there.
"""

from __future__ import annotations

import sys
import warnings

from ..errors import UsageError

ORDER = 20


def register(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run an experiment file (many runs) on all cores or a Dask cluster; rerun to resume",
        description="Run every run of an experiment file and stream the results to Parquet files. Running the "
                    "same command on the same folder again runs only what is missing. See docs/sweeps.md.")
    p.add_argument("file", metavar="FILE", nargs="?",
                   help="experiment file (TOML), e.g. experiments/exit-timing-by-style.toml")
    p.add_argument("--out", metavar="DIR", help="output folder (default: out/sweeps/NAME, NAME from the file)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: every core; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster instead, e.g. tcp://HOST:8786 (needs lcsim[cluster])")
    p.add_argument("--monthly", action="store_true", help="also write every run's monthly table (monthly/)")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                   help="fix a parameter (repeatable), e.g. --set control=0.3 or --set assumptions.engagement_rate=0.2")
    p.add_argument("--flush-seconds", type=float, default=2.0, metavar="S",
                   help="write finished runs about every S seconds: what a crash can lose (default: 2)")
    p.add_argument("--time-limit", type=float, metavar="S",
                   help="stop a run after S seconds and record it as failed (default: 1800)")
    p.add_argument("--retry-failed", action="store_true", help="rerun the runs recorded as failed in the folder")
    p.add_argument("--adopt", action="store_true",
                   help="take over a folder that holds this experiment's part files but lost its manifest")
    p.add_argument("--dry-run", action="store_true", help="check the file and print the design size; run nothing")
    p.add_argument("--check", metavar="DIR", help="verify a sweep folder (counts, duplicates, provenance) and stop")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no closing summary line")
    p.set_defaults(handler=cmd_sweep)


def cmd_sweep(args) -> int:
    from ..experiments import TIME_LIMIT, check_folder, parse_settings, plan, sweep

    if args.check is not None:
        if args.file is not None:
            raise UsageError("--check DIR verifies a folder on its own; give no experiment FILE with it")
        verdict = check_folder(args.check)
        print(verdict.describe())
        return 0 if verdict.ok else 1
    if args.file is None:
        raise UsageError("expected an experiment FILE (or --check DIR); e.g. lcsim sweep experiments/"
                         "exit-timing-by-style.toml")
    extra = parse_settings(args.assignments)
    if args.dry_run:
        with warnings.catch_warnings():
            warnings.showwarning = one_line_warning
            print(plan(args.file, args.out, extra, args.monthly, retry_failed=args.retry_failed,
                       adopt=args.adopt).describe())
        return 0
    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line_warning
            sweep(args.file, args.out, workers=args.workers, scheduler=args.scheduler, monthly=args.monthly,
                  progress=not args.quiet, flush_seconds=args.flush_seconds, overrides=extra,
                  retry_failed=args.retry_failed, adopt=args.adopt,
                  time_limit=TIME_LIMIT if args.time_limit is None else args.time_limit)
    except KeyboardInterrupt:
        print("lcsim sweep: interrupted; finished runs are saved: rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


def one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line each on stderr (Python's own format adds the source line of lcsim's code)."""
    print(f"lcsim: warning: {message}", file=sys.stderr)
