"""`lcsim analyze DIR`: the maps behind a sweep: heatmaps, tipping points, sensitivity.

The command line of `lcsim.analyze(DIR, out=DIR/analysis)` (analysis/workflow.py says what it
writes); prints summary.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from .sweep import one_line_warning

ORDER = 50


def register(sub) -> None:
    cmd = sub.add_parser("analyze", help="analyse a sweep's results: heatmaps, tipping points, sensitivity (SALib)")
    cmd.add_argument("folder", metavar="DIR", help="a sweep's results folder (as written by `lcsim sweep`)")
    cmd.add_argument("--out", metavar="DIR", help="where to write figures and summary.md (default: DIR/analysis)")
    cmd.add_argument("--skip-damaged", action="store_true",
                     help="analyse the runs of the parts that pass their checks, leaving out any damaged part "
                          "(named in a warning); default: a damaged part is refused (see `lcsim sweep --check`)")
    cmd.set_defaults(handler=cmd_analyze)


def cmd_analyze(args) -> int:
    from ..analysis.workflow import analyze

    folder = Path(args.folder)
    with warnings.catch_warnings():
        warnings.showwarning = one_line_warning
        analysis = analyze(folder, out=Path(args.out) if args.out else folder / "analysis",
                           skip_damaged=args.skip_damaged)
    print(analysis.summary)
    print(f"\nwrote {analysis.out}/: " + ", ".join(analysis.written))
    return 0
