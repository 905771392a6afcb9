"""`lcsim calibrate`: one-at-a-time and Morris sensitivity of every parameter and assumption; docs/calibration.md."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UsageError

ORDER = 75


def register(sub) -> None:
    cmd = sub.add_parser("calibrate", help="sensitivity of survival to every parameter and assumption; "
                                           "regenerate docs/calibration.md")
    cmd.add_argument("--workers", type=int, default=2, metavar="N", help="worker processes (default 2)")
    cmd.add_argument("--out", metavar="DIR", default=None,
                     help="folder for the calibration sweeps and tables (default out/calibration; cleared per arm)")
    cmd.add_argument("--doc", metavar="FILE", default=None,
                     help="the document to regenerate (default docs/calibration.md; figures go to its img/ folder)")
    cmd.add_argument("--seeds", type=int, default=100, metavar="N",
                     help="common seeds per one-at-a-time arm (default 100)")
    cmd.add_argument("--no-morris", action="store_true", help="skip the Morris screening")
    cmd.add_argument("--no-doc", action="store_true", help="leave the document and its figures alone")
    cmd.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from ..output import usable_folder
    from ..validation import calibration, runs

    for option, value in (("--workers", args.workers), ("--seeds", args.seeds)):
        if value < 1:
            raise UsageError(f"{option}: {value} is not allowed; expected an integer >= 1")
    out = usable_folder(args.out if args.out is not None else runs.ROOT / calibration.DEFAULT_OUT,
                        "calibration output folder")
    doc = Path(args.doc) if args.doc is not None else calibration.DOC
    if not args.no_doc:
        usable_folder(doc.parent, "document folder")
    result = calibration.calibrate(seeds=args.seeds, workers=args.workers, out=out, doc=doc,
                                   with_morris=not args.no_morris, write_doc=not args.no_doc,
                                   progress=lambda text: print(f"  {text}", file=sys.stderr, flush=True))
    table = result.table.dropna(subset=["effect"]).assign(size=lambda t: t["effect"].abs())
    show = table.sort_values("size", ascending=False)
    print(show[["kind", "name", "value", "low", "high", "survival_low", "survival_default", "survival_high", "effect",
                "effect_low", "effect_high", "elasticity", "strength"]].round(3).to_string(index=False))
    if result.indices is not None:
        part = result.indices[result.indices["output"] == "survived"]
        print(part.sort_values("mu_star", ascending=False).round(3).to_string(index=False))
    print(f"{result.seconds:.0f} s on {args.workers} worker processes; tables in {out}, figures in {result.img}")
    if result.doc is not None:
        print(f"wrote {result.doc}")
    return 0
