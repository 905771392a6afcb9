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
                     help="also search for the best plan (lcsim advise) and add it, with where it fails, to the report")
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
    print(comparison.format_table())
    advice = None
    if args.advise:  # the advisor on the same scenario and --set values; its evaluations resume in out/advise
        import lcsim

        advice = lcsim.advise(comparison.scenario, overrides=comparison.overrides, workers=args.workers,
                              out=comparison.out / "advise", follow_up=args.follow_up)
        print()
        print(advice.text())
    written = comparison.write(report=True, advice=advice)
    rest = [name for name in written if name != "report.html"]
    print(f"\nwrote {comparison.out}/report.html (open it in any browser; it needs no network), " + ", ".join(rest))
    return 0
