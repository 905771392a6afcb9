"""`lcsim advise --scenario NAME`: which exit plan gives the community the best chance, at what effort?

The command line of `lcsim.studies.advise.advise(...)`: NSGA-II then successive halving over the plans the designer
controls (the levers), on common random numbers, each world drawing the uncertain values as every answer does
(`lcsim.studies.uncertainty`: the shipped posterior when one is fitted, else fixed values; --fixed-values,
--drawn-values, --posterior DIR choose), and says which values carry the decision.
Prints the recommended plan, its gain over the scenario's current plan, the runners-up, the trade-off
of survival against convener effort and where the plan fails; writes advice.md, advice.html,
front.png and the run table (default out/advise/NAME, or NAME-<hash> for other --set values or settings:
one folder per configuration, which `lcsim report --advise` shares). Every finished run is kept in
DIR/evaluations/ (Parquet, keyed by a hash of the inputs), so rerunning the same command reuses
them instead of running them again; another configuration in the same DIR is refused in one line
(--fresh replaces the earlier advice). The candidate plans come from pymoo's NSGA-II (the advise extra).
`--triggers` adds adaptive exits (exit_trigger, trigger_share, trigger_window) to the levers.
"""

from __future__ import annotations

from pathlib import Path

from .options import add_model_options, add_seed_option, add_values_options, overrides, seed_of

ORDER = 57


def register(sub) -> None:
    from ..analysis.robustness import THRESHOLD
    from ..studies.advise import CANDIDATES, DEFAULT_LEVERS, REPLICATES, TRIGGER_LEVERS
    from ..studies.fair import FOLLOW_UP

    cmd = sub.add_parser("advise", help="recommend an exit plan: best survival for the convener's effort, robust "
                                        "to what is uncertain about the community")
    add_model_options(cmd)
    cmd.add_argument("--levers", default=",".join(DEFAULT_LEVERS), metavar="A,B,...",
                     help="the parameters the plan chooses (default: %(default)s; also: "
                          f"{', '.join(TRIGGER_LEVERS)})")
    cmd.add_argument("--triggers", action="store_true",
                     help="also search adaptive exits: the convener steps back once members have hosted a share "
                          "of the last meetings (exit_trigger=local_hosting, trigger_share of the last "
                          "trigger_window meetings), exit_month its latest month; compared with the fixed plans at "
                          "the same follow-up after the month it actually left")
    cmd.add_argument("--budget", type=float, metavar="CONVENER_MONTHS",
                     help="most convener effort a plan may take, in convener-months")
    cmd.add_argument("--replicates", type=int, default=REPLICATES, metavar="N",
                     help="replicates of each finalist and of the current plan (default: %(default)s)")
    cmd.add_argument("--candidates", type=int, default=CANDIDATES, metavar="N",
                     help="plans in the first rung of successive halving (default: %(default)s)")
    cmd.add_argument("--follow-up", type=int, metavar="MONTHS",
                     help=f"read each plan's survival this many months after its own exit (default: {FOLLOW_UP}, "
                          "or what --set months implies)")
    cmd.add_argument("--threshold", type=float, default=THRESHOLD, metavar="SURVIVAL",
                     help="the survival a simulated world must reach for a plan to count as good enough there "
                          "(satisficing, in the robustness table; default: %(default)s, i.e. the community survives)")
    add_values_options(cmd)
    add_seed_option(cmd, "root seed of the plans, draws and replicates")
    cmd.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: every core)")
    cmd.add_argument("--out", metavar="DIR", help="where to write the advice (default: out/advise/NAME, or "
                     "NAME-<hash> for other --set values or settings; lcsim report --advise reuses it)")
    cmd.add_argument("--fresh", action="store_true",
                     help="replace the advice of another configuration in DIR (deletes its evaluations)")
    cmd.set_defaults(handler=cmd_advise)


def cmd_advise(args) -> int:
    from ..extras import require

    require("advise", "discover")  # NSGA-II proposes the plans; PRIM and CART say where the plan fails
    from ..output import usable_folder
    from ..scenarios import describe, plan_limits
    from ..studies.advise import TRIGGER_LEVERS, advise, advise_folder

    describe(args.scenario)
    if args.triggers:
        args.levers += "".join(f",{name}" for name in TRIGGER_LEVERS if name not in args.levers)
    args.levers, args.budget = plan_limits(args.scenario, args.levers, args.budget)  # a scenario file's limits
    settings = dict(levers=args.levers, budget=args.budget, replicates=args.replicates, candidates=args.candidates,
                    seed=seed_of(args), follow_up=args.follow_up, threshold=args.threshold,
                    fixed_values=args.fixed_values, posterior=args.posterior)
    given = overrides(args)
    out = Path(args.out) if args.out else advise_folder(args.scenario, given, **settings)
    usable_folder(out, create=False)
    found = advise(args.scenario, overrides=given, workers=args.workers, out=out, fresh=args.fresh, **settings)
    written = found.write(out)
    print(found.text())
    print(f"\nwrote {out}/: " + ", ".join(written))
    return 0
