"""`lcsim discover DIR`: scenario discovery on a sweep: where do communities collapse (or survive)?

The command line of `lcsim.analysis.discovery.discover(DIR)`: PRIM boxes and a CART tree through
EMA Workbench (analysis/discovery.py says how the box is chosen). Prints the sentence, the box's
limits and the files written (default DIR/discovery).
"""

from __future__ import annotations

from pathlib import Path

ORDER = 55


def register(sub) -> None:
    from ..analysis.discovery import TARGETS

    cmd = sub.add_parser("discover", help="scenario discovery on a sweep: PRIM boxes and a CART tree of where "
                                          "communities collapse (EMA Workbench)")
    cmd.add_argument("folder", metavar="DIR", help="a sweep's results folder (as written by `lcsim sweep`)")
    cmd.add_argument("--outcome", default="survived", metavar="NAME",
                     help="a yes/no outcome of the runs (default: survived)")
    cmd.add_argument("--target", choices=TARGETS, default="collapse",
                     help="the cases to explain: collapse (outcome false, the default) or survival (outcome true)")
    cmd.add_argument("--out", metavar="DIR", help="where to write tables, figures and discovery.md "
                                                  "(default: DIR/discovery)")
    cmd.set_defaults(handler=cmd_discover)


def cmd_discover(args) -> int:
    from ..extras import require

    require("discover")
    from ..analysis.discovery import discover
    from ..analysis.results import load_sweep
    from ..output import usable_folder

    folder = Path(args.folder)
    runs, manifest = load_sweep(folder)  # a one-line error for a folder that is not a sweep's, before any output
    out = Path(args.out) if args.out else folder / "discovery"
    usable_folder(out, create=False)  # refused in one line before anything is computed; created on writing
    found = discover(runs, outcome=args.outcome, target=args.target, manifest=manifest)
    written = found.write(out)
    print(found.sentence)
    print()
    print(found.box_table())
    print(f"\n(PRIM box at step {found.chosen} of {len(found.trajectory) - 1}: coverage {found.coverage:.0%}, "
          f"density {found.density:.0%}, {found.mass:.0%} of the {found.runs} runs)")
    print(f"\nwrote {out}/: " + ", ".join(written))
    return 0
