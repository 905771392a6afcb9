"""`lcsim report`: the comparison of exit strategies as one HTML file a designer can send.

The command line of `lcsim.compare(...)` then `Comparison.write(out, report=True)`, which writes
`Comparison.to_html()` (analysis/report.py builds it) next to the table and figures. `--session FILE`
instead checks the app's session record against its schema (app/record.py) and writes its debrief.
Every page is written by `lcsim.pages`, which escapes every string it is given.
"""

from __future__ import annotations

from .compare import add_comparison_options, comparison_of

ORDER = 40


def register(sub) -> None:
    cmd = sub.add_parser("report", help="compare exit strategies and write one self-contained HTML report")
    add_comparison_options(cmd, default_out="out/report-SCENARIO")
    cmd.add_argument("--advise", action="store_true",
                     help="also search for the best plan (lcsim advise) and add it, with where it fails, to the "
                          "report; it reuses the evaluations lcsim advise stored for the same scenario and --set "
                          "values "
                          "(out/advise/NAME, or NAME-<hash>)")
    cmd.add_argument("--fresh", action="store_true",
                     help="with --advise: start that advice over (deletes its stored evaluations)")
    cmd.add_argument("--session", metavar="FILE",
                     help="instead: turn a session record saved in the app into a debriefing page "
                          "(FILE.html, or --out)")
    cmd.set_defaults(handler=cmd_report)


def cmd_report(args) -> int:
    if args.session:  # the trainer's debrief: the app's session record, re-simulated into one page
        from ..app.session import write_debrief

        written = write_debrief(args.session, args.out)
        print(f"wrote {written} (open it in any browser; it needs no network)")
        return 0
    comparison = comparison_of(args, "report")
    print()
    print(comparison.uncertainty)
    print(comparison.format_table())
    advice = None
    if args.advise:  # `lcsim advise` on the same scenario and --set values: the same folder, so its evaluations
        advice = _advice(args)  # are reused (same plan, same number)
    written = comparison.write(report=True, advice=advice)
    rest = [name for name in written if name != "report.html"]
    print(f"\nwrote {comparison.out}/report.html (open it in any browser; it needs no network), " + ", ".join(rest))
    return 0


def _advice(args):
    """The advice `lcsim advise --scenario NAME` with the same --set values (and its defaults) gives, read from and
    kept in the folder it uses (`studies.advise.advise_folder`)."""
    from ..extras import require

    require("advise", "discover")
    from ..scenarios import plan_limits
    from ..studies import advise as study
    from .options import overrides

    levers, budget = plan_limits(args.scenario, ",".join(study.DEFAULT_LEVERS), None)  # a scenario file's limits
    # advise's own defaults (its seed too: report's --seed seeds the comparison), so that a plain `lcsim advise`
    # with the same --set values is the same configuration
    settings = dict(levers=levers, budget=budget, replicates=study.REPLICATES, candidates=study.CANDIDATES,
                    follow_up=args.follow_up, fixed_values=args.fixed_values, posterior=args.posterior)
    given = overrides(args)
    out = study.advise_folder(args.scenario, given, **settings)
    found = study.advise(args.scenario, overrides=given, workers=args.workers, out=out, fresh=args.fresh, **settings)
    found.write(out)
    print()
    print(found.text())
    print(f"(the advice's evaluations: {out}/; {found.reused} of them reused)")
    return found
