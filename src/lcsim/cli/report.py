"""`lcsim report`: the comparison of exit strategies as one HTML file a designer can send.

The command line of `lcsim.compare(...)` then `Comparison.write(out, report=True)`, which writes
`Comparison.to_html()` (analysis/report.py builds it) next to the table and figures.
"""

from __future__ import annotations

from .compare import add_comparison_options, comparison_of

ORDER = 40


def register(sub) -> None:
    cmd = sub.add_parser("report", help="compare exit strategies and write one self-contained HTML report")
    add_comparison_options(cmd, default_out="out/report-SCENARIO")
    cmd.set_defaults(handler=cmd_report)


def cmd_report(args) -> int:
    comparison = comparison_of(args, "report")
    print()
    print(comparison.format_table())
    written = comparison.write(report=True)
    rest = [name for name in written if name != "report.html"]
    print(f"\nwrote {comparison.out}/report.html (open it in any browser; it needs no network), " + ", ".join(rest))
    return 0
