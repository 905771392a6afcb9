"""`lcsim scenarios`: the named scenarios, and `lcsim scenarios new NAME` for a designer's own.

`new` writes a commented scenario file (`lcsim.scenarios.community.template`) asking for what a designer
knows in their own terms; every command that takes `--scenario` takes the file's path.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from ..errors import UsageError
from ..scenarios import describe, names

ORDER = 12  # after run (10) and params (in run.py)


def register(sub) -> None:
    scen = sub.add_parser("scenarios", help="list the named scenarios; `scenarios new NAME` writes your own")
    scen.set_defaults(handler=cmd_scenarios)
    actions = scen.add_subparsers(dest="action", metavar="ACTION")
    new = actions.add_parser("new", help="write NAME.toml: a commented file describing your community in your "
                                         "own terms, for --scenario NAME.toml")
    new.add_argument("name", metavar="NAME", help="the scenario's name (letters, digits, - and _)")
    new.add_argument("--out", metavar="FILE", help="where to write it (default: NAME.toml here)")
    new.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    new.set_defaults(handler=cmd_new)


def cmd_scenarios(args) -> int:
    for name in names():
        s = describe(name)
        print(f"{name}: {s['title']}")
        print(textwrap.indent(textwrap.fill(" ".join(s["description"].split()), 92), "    "))
        sets = ", ".join(f"{k}={_show(v)}" for k, v in s["params"].items()) or "(the defaults)"
        print(textwrap.indent(textwrap.fill("sets: " + sets, 92), "    "))
        print(textwrap.indent(textwrap.fill(uncertain_source(name), 92), "    "))
        print()
    print("your own: `lcsim scenarios new NAME` writes NAME.toml to fill in (organisations by sector, meetings a\n"
          "year, months of convening left, budget, digital channel); then use --scenario NAME.toml with run,\n"
          "compare, report and advise.")
    return 0


def cmd_new(args) -> int:
    from ..experiments.files import atomic_write
    from ..scenarios.community import template

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", args.name):
        raise UsageError(f"scenario name {args.name!r} is not allowed; expected letters, digits, - and _ "
                         "(at most 64, starting with a letter or digit)")
    if args.name in names():
        raise UsageError(f"scenario name {args.name!r} is taken by a named scenario; expected another name")
    out = Path(args.out) if args.out else Path(f"{args.name}.toml")
    if out.suffix != ".toml":
        raise UsageError(f"--out {str(out)!r}: expected a file name ending in .toml (so --scenario reads it)")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; not overwritten (add --force to replace it)")
    if not out.parent.is_dir():
        raise UsageError(f"--out {str(out)!r}: folder {str(out.parent)!r} does not exist")
    atomic_write(out, lambda path: Path(path).write_text(template(args.name), encoding="utf-8"))
    print(f"wrote {out}: fill in what you know, then e.g.  lcsim run --scenario {out}")
    return 0


def uncertain_source(name) -> str:
    """Where a named scenario's uncertain values come from in compare, report and advise (studies.uncertainty)."""
    from ..calibration.problem import default_priors
    from ..studies.uncertainty import POSTERIOR, uncertainty

    unc = uncertainty(name)
    if unc.source == POSTERIOR:
        free = f", the {len(unc.free)} it leaves free over their plausible ranges" if unc.free else ""
        kept = (f"; its own {', '.join(unc.held_by_scenario)} stays: it defines the scenario"
                if unc.held_by_scenario else "")
        if unc.held_by_calibration:
            kept += (f"; the {len(unc.held_by_calibration)} values the targets do not inform stay at their hand-set "
                     "values, as the calibration held them")
        return (f"uncertain values: drawn per world from the posterior {unc.label} ({len(unc.calibrated)} values"
                f"{free}; weighted draws, not the median), in place of the hand-set defaults{kept}; --fixed-values "
                "keeps the scenario's values")
    params, n = describe(name)["params"], len(default_priors())
    own = [p.name for p in default_priors() if p.name in params]
    values = (f"its own hand-set values ({', '.join(f'{k}={_show(params[k])}' for k in own)}) and the model's "
              f"defaults for the other {n - len(own)}") if own else f"the model's defaults for all {n}"
    return (f"uncertain values: {values}: no posterior is fitted for these rules yet, so compare, report and advise "
            "use them fixed (--drawn-values draws those the scenario does not set over their plausible ranges)")


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
