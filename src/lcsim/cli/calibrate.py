"""`lcsim calibrate`: ABC-SMC of the uncertain values against the targets, its checks, the sensitivity of
every parameter and assumption; regenerates docs/calibration.md."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UsageError

ORDER = 75


def register(sub) -> None:
    cmd = sub.add_parser("calibrate", help="calibrate the uncertain values against the targets (ABC-SMC); "
                                           "regenerate docs/calibration.md")
    cmd.add_argument("--targets", metavar="FILE", default=None,
                     help="a TOML or JSON file selecting and re-banding targets (default: every target, "
                          "docs/targets.md)")
    cmd.add_argument("--out", metavar="DIR", default=None,
                     help="folder for the histories, posterior, checks and sweeps (default out/calibration; "
                          "rerunning resumes from it; another configuration gets its own history there)")
    cmd.add_argument("--workers", type=int, default=2, metavar="N", help="worker processes (default 2)")
    cmd.add_argument("--scheduler", metavar="ADDRESS", default=None,
                     help="run the simulations on a Dask cluster (tcp://HOST:8786; pip install 'lcsim[cluster]')")
    cmd.add_argument("--population", type=int, default=None, metavar="N", help="particles per generation (100)")
    cmd.add_argument("--generations", type=int, default=None, metavar="N", help="most generations (12)")
    cmd.add_argument("--replicates", type=int, default=None, metavar="N",
                     help="runs of each scenario per simulation (20)")
    cmd.add_argument("--minutes", type=float, default=None, metavar="M",
                     help="stop each inference after about M minutes (no limit; rerunning resumes it)")
    cmd.add_argument("--draws", type=int, default=None, metavar="N", help="predictive draws per check (100)")
    cmd.add_argument("--check-replicates", type=int, default=None, metavar="N",
                     help="runs of each scenario per predictive draw (20)")
    cmd.add_argument("--after-exit", type=int, default=None, metavar="M",
                     help="months each scenario is followed past its exit (60)")
    cmd.add_argument("--select", metavar="RULES", default=None,
                     help="weigh structural alternatives: the revised rules against each named rule switched off "
                          "(comma-separated rule switches, e.g. availability_shape,founding_demand), by ABC model "
                          "selection as large as the main inference")
    cmd.add_argument("--values", metavar="NAMES", default=None,
                     help="the uncertain values to calibrate, comma-separated parameters or assumptions (default: "
                          "those survival leans on and every rule switch; docs/calibration.md, Method)")
    cmd.add_argument("--screen", type=int, default=None, metavar="N",
                     help="choose the values to calibrate by a screening of N Latin hypercube points of every "
                          "uncertain value: those the targets' statistics move with, at most 10 "
                          "(docs/calibration.md, Which values are calibrated); ignored with --values")
    cmd.add_argument("--screen-replicates", type=int, default=None, metavar="N",
                     help="runs of each scenario per screening point (5)")
    cmd.add_argument("--ship", action="store_true",
                     help="write this posterior into the package as the one lcsim.posterior() returns")
    cmd.add_argument("--no-heldout", action="store_true", help="skip the held-out check")
    cmd.add_argument("--no-sensitivity", action="store_true",
                     help="skip the one-at-a-time and Morris sensitivity (the page keeps its previous section)")
    cmd.add_argument("--seeds", type=int, default=100, metavar="N",
                     help="common seeds per one-at-a-time arm of the sensitivity (default 100)")
    cmd.add_argument("--fresh", action="store_true",
                     help="start this configuration's inference afresh instead of resuming it (other "
                          "configurations' histories are kept)")
    cmd.add_argument("--doc", metavar="FILE", default=None,
                     help="the page to regenerate (default docs/calibration.md; figures go to its img/ folder)")
    cmd.add_argument("--no-doc", action="store_true", help="leave the page and its figures alone")
    cmd.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from ..extras import require

    require("calibrate")
    from ..calibration import page
    from ..calibration.targets import NOT_MEASURABLE
    from ..output import usable_folder
    from ..validation.runs import home

    for option, value in (("--workers", args.workers), ("--seeds", args.seeds), ("--population", args.population),
                          ("--generations", args.generations), ("--replicates", args.replicates),
                          ("--draws", args.draws), ("--check-replicates", args.check_replicates),
                          ("--after-exit", args.after_exit), ("--screen-replicates", args.screen_replicates)):
        if value is not None and value < 1:
            raise UsageError(f"{option}: {value} is not allowed; expected an integer >= 1")
    if args.screen is not None and args.screen < 10:
        raise UsageError(f"--screen: {args.screen} is not allowed; expected an integer >= 10 (Latin hypercube points)")
    if args.minutes is not None and not args.minutes > 0:
        raise UsageError(f"--minutes: {args.minutes:g} is not allowed; expected a number > 0")
    settings = page.Settings()
    for name, value in (("population", args.population), ("max_populations", args.generations),
                        ("replicates", args.replicates), ("max_minutes", args.minutes), ("draws", args.draws),
                        ("check_replicates", args.check_replicates), ("after_exit", args.after_exit),
                        ("screen", args.screen), ("screen_replicates", args.screen_replicates)):
        if value is not None:
            setattr(settings, name, value)
    settings.heldout = not args.no_heldout
    if args.values:
        from ..calibration.problem import default_priors

        settings.values = tuple(n.strip() for n in args.values.split(",") if n.strip())
        default_priors(settings.values)  # an unknown name: one line, before any work
    if args.select:
        from ..calibration.selection import structures

        settings.select = tuple(n.strip() for n in args.select.split(",") if n.strip())
        structures(settings.select)  # an unknown rule switch: one line, before any work
    out = usable_folder(args.out if args.out is not None else home() / page.DEFAULT_OUT, "calibration output folder")
    doc = Path(args.doc) if args.doc is not None else page.default_doc()
    if not args.no_doc:
        usable_folder(doc.parent, "document folder")
    written = page.regenerate(args.targets, out=out, doc=doc, workers=args.workers, scheduler=args.scheduler,
                                      settings=settings, with_sensitivity=not args.no_sensitivity,
                                      oat_seeds=args.seeds, write_doc=not args.no_doc, fresh=args.fresh,
                                      progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True))
    result = written.result
    info = result.posterior.info
    print(f"{info['simulations']} simulations ({info['simulations'] * info['runs_per_simulation']} model runs) in "
          f"{info['generations']} generations; final epsilon {info['final_epsilon']:.3g}; "
          f"{info['inside_all_bands']} of {info['particles']} particles inside every band")
    print(result.summary[["name", "kind", "prior", "mean", "q05", "q95", "spread_ratio", "identified"]]
          .round(3).to_string(index=False))
    checks = result.posterior_checks
    print(checks[["target", "observed", "low", "high", "median", "q025", "q975", "inside", "verdict"]]
          .round(3).to_string(index=False))
    if len(result.heldout):
        print(result.heldout[["held_out", "target", "low", "high", "median", "inside", "verdict"]]
              .round(3).to_string(index=False))
    missing = result.problem.not_measurable
    if missing:
        print(f"{NOT_MEASURABLE}: {', '.join(missing)}")
    print(f"{written.seconds / 60:.1f} minutes on {args.workers} worker processes; posterior in "
          f"{result.out / 'posterior'}, figures in {result.img}")
    if result.selection is not None:
        print(result.selection.table.round(3).to_string(index=False))
    if args.ship:
        from ..calibration.shipped import ship

        print(f"shipped the posterior as {ship(result.out / info['history'])}")
    if written.doc is not None:
        print(f"wrote {written.doc}")
    return 0
