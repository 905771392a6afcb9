"""`lcsim compare`: every exit strategy on one scenario, side by side, with its uncertainty.

The command line of `lcsim.compare` (analysis/compare.py), which runs the sweep (a grid over
exit_strategy, common seeds, resumable) and returns the `Comparison` printed and written here.
"""

from __future__ import annotations

import argparse

from ..scenarios import label
from ..strategies import EXIT_STRATEGIES
from ..studies.compare import DIGITAL, ROOT_SEED
from .options import add_model_options, add_seed_option, add_values_options, overrides, seed_of

ORDER = 30


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
    add_seed_option(cmd, "root seed; every run's seed derives from it", default=ROOT_SEED)
    cmd.add_argument("--workers", type=_positive, metavar="N", help="worker processes (default: all local cores)")
    cmd.add_argument("--out", metavar="DIR", help=f"output folder (default: {default_out})")
    cmd.add_argument("--follow-up", type=_positive, metavar="MONTHS",
                     help="read survival this many months after the exit, as lcsim advise does (default: 36, or what "
                          "--set months implies)")
    add_values_options(cmd)


def comparison_of(args, command: str):
    """Run `lcsim.compare` with the command's options (the runs kept under --out)."""
    from ..studies.compare import compare

    return compare(scenario=args.scenario, strategies=args.strategies, replicates=args.replicates,
                   digital=args.digital, overrides=overrides(args), workers=args.workers, seed=seed_of(args),
                   out=args.out if args.out is not None else f"out/{command}-{label(args.scenario)}", progress=True,
                   posterior=args.posterior, follow_up=args.follow_up, fixed_values=args.fixed_values)


def cmd_compare(args) -> int:
    comparison = comparison_of(args, "compare")
    print()
    print(comparison.text())
    written = comparison.write()
    print(f"\nwrote {comparison.out}/: " + ", ".join(written))
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of at least 1")
    return value
