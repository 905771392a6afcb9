"""`lcsim validate`: measure the validation patterns and regenerate docs/validation.md."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError

ORDER = 70
PATTERN_NAMES = "P1-P7, L1-L3"  # lcsim.validation.PATTERNS, named here so `lcsim --help` stays light


def register(sub) -> None:
    cmd = sub.add_parser("validate",
                         help="measure the validation patterns (P1-P7, L1-L3); regenerate docs/validation.md")
    cmd.add_argument("--only", nargs="+", metavar="NAME", type=str.upper,
                     help=f"measure only these patterns ({PATTERN_NAMES}); the document is then left alone")
    cmd.add_argument("--workers", type=int, default=2, metavar="N", help="worker processes (default 2)")
    cmd.add_argument("--out", metavar="DIR", default=None,
                     help="folder for the validation sweeps (default out/validation; each is cleared first)")
    cmd.add_argument("--doc", metavar="FILE", default=None,
                     help="the document to regenerate (default docs/validation.md; figures go to its img/ folder)")
    cmd.add_argument("--replicates", type=int, metavar="N",
                     help="override every file's replicates (a quick look; the document is left alone)")
    cmd.add_argument("--no-doc", action="store_true", help="leave the document and its figures alone")
    cmd.add_argument("--no-knockouts", action="store_true",
                     help="skip the knock-out controls (the document is then left alone)")
    cmd.set_defaults(handler=cmd_validate)


def cmd_validate(args) -> int:
    from ..output import usable_folder
    from ..validation import runs
    from ..validation.document import regenerate
    from ..validation.patterns import PATTERNS

    for name in args.only or ():
        if name not in PATTERNS:
            raise UsageError(f"--only: unknown pattern '{name}'; expected one of {', '.join(PATTERNS)}")
    for option, value in (("--workers", args.workers), ("--replicates", args.replicates)):
        if value is not None and value < 1:
            raise UsageError(f"{option}: {value} is not allowed; expected an integer >= 1")
    out = usable_folder(args.out if args.out is not None else runs.home() / runs.DEFAULT_OUT,
                        "validation output folder")
    doc = Path(args.doc) if args.doc is not None else runs.default_doc()
    usable_folder(doc.parent, "document folder")
    result = regenerate(args.only, workers=args.workers, out=out, doc=doc, replicates=args.replicates,
                        write_doc=not args.no_doc, knockouts=not args.no_knockouts)
    for v in result.verdicts:
        print(f"{v.key}  {v.verdict_text:<40} {v.measure}: {v.value:.2f} [{v.low:.2f}, {v.high:.2f}]  ({v.n})")
        for line in v.lines:
            print(f"      {line}")
        if v.knockout is not None:
            print(f"      knock-out ({v.knockout_setting}): {v.knockout:.2f} [{v.knockout_low:.2f}, "
                  f"{v.knockout_high:.2f}], {'passes' if v.knockout_passed else 'fails'}; evidence: {v.evidence}")
    print(f"{result.seconds:.0f} s on {args.workers} worker processes; figures in {result.img}")
    if result.doc is not None:
        print(f"wrote {result.doc}")
    else:
        print(f"note: {result.note}")
    return 0
