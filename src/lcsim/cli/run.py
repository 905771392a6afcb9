"""`lcsim run`, `lcsim params`: one community, and what can be set (`lcsim scenarios`: cli/scenarios.py).

`lcsim params` lists the parameters (`lcsim.SCHEMA`); `lcsim params --assumptions` the model's
assumptions (`lcsim.assumptions.TABLE`), set with `--set assumptions.NAME=VALUE`.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..assumptions import PREFIX
from ..assumptions import TABLE as ASSUMPTIONS
from ..parameters import SCHEMA
from ..scenarios import label
from .options import add_model_options, add_seed_option, assumptions_of, output_dir, resolved_params, seed_of

ORDER = 10


def register(sub) -> None:
    run = sub.add_parser("run", help="run one community and write its trajectory, summary and figure")
    add_model_options(run)
    add_seed_option(run, "random seed")
    run.add_argument("--months", type=int, help="simulated horizon in months")
    run.add_argument("--exit-strategy", choices=SCHEMA["exit_strategy"].choices, help="how the convener withdraws")
    run.add_argument("--out", metavar="DIR", help="output folder (default: out/run-SCENARIO-seedN)")
    run.set_defaults(handler=cmd_run)

    params = sub.add_parser("params", help="list the model's parameters: default, range, unit, meaning, source")
    params.add_argument("--markdown", action="store_true", help="print a Markdown table (as in docs/model.md)")
    params.add_argument("--assumptions", action="store_true",
                        help=f"list the model's assumptions instead (set them with --set {PREFIX}NAME=VALUE)")
    params.set_defaults(handler=cmd_params)


def cmd_run(args) -> int:
    from ..output import usable_folder
    from ..simulation import simulate

    seed = seed_of(args)
    params = resolved_params(args, months=args.months, exit_strategy=args.exit_strategy)
    assumed = assumptions_of(args)
    out = usable_folder(output_dir(args.out, f"out/run-{label(args.scenario)}-seed{seed}"))
    result = simulate(seed=seed, assumptions=assumed, keep_model=True, **params)  # the model: when the convener left
    print(summary_text(result, args.scenario))
    write_run(result, out, args.scenario)
    print(f"\nwrote {out}/monthly.csv, communities.csv, summary.json, trajectories.png")
    return 0


def exit_of(result) -> tuple[int, int | None]:
    """(the month the convener actually left, the month its exit trigger fired or None). A trigger
    (`exit_trigger`) can move the exit before the plan's `exit_month`; without the model, the plan's."""
    model = result.model
    if model is None:
        return int(result.params["exit_month"]), None
    return int(model.exit_month_actual), model.convener.triggered_at


def exit_text(result) -> str:
    """'phase_out at month 36', or, where the trigger fired, the actual month and the plan's."""
    p = result.params
    actual, fired = exit_of(result)
    if fired is None:
        return f"{p['exit_strategy']} at month {actual}"
    return (f"{p['exit_strategy']} at month {actual} (the {p['exit_trigger']} trigger fired at month {fired}; "
            f"the plan's exit month was {p['exit_month']})")


def summary_text(result, scenario: str) -> str:
    s, p = result.summary, result.params
    fate = f"still meeting at month {p['months']:d}" if s["survived"] else (
        f"dissolved at month {s['dissolved_month']:d}")
    lines = [
        f"scenario {scenario}, seed {result.seed}: "
        f"{_communities(p)}{p['n_members']} members{' each' if p['n_communities'] > 1 else ''}, {exit_text(result)}, "
        f"control {p['control']:g}, "
        f"digital channel {'on' if p['digital_channel'] else 'off'}",
        f"  survived:            {'yes' if s['survived'] else 'no'} ({fate}; "
        f"{s['months_alive_after_exit']} months alive after exit{', censored' if s['censored'] else ''})",
        f"  active members:      {s['active_members']} (peak {s['peak_members']})",
        f"  local leaders:       {s['leaders']} now, {s['leaders_ever']} ever",
        f"  meetings:            {s['meetings']} ({s['meetings_after_exit']} after exit), "
        f"{s['local_hosting_share']:.0%} hosted locally",
        f"  ties:                {s['ties']} ({s['cross_sector_share']:.0%} cross-sector, density {s['density']:.3f})",
        f"  replications:        {s['replications']} "
        f"{'community' if s['replications'] == 1 else 'communities'} started by members, "
        f"{s['replications_alive']} alive at the horizon",
    ]
    if s["communities_ever"] > 1:
        convened = p["n_communities"]
        lines[1:1] = [
            f"  programme:           {s['convened_alive']} of {convened} convened "
            f"{'community' if convened == 1 else 'communities'} alive, {s['communities_alive']} of "
            f"{s['communities_ever']} communities in all; {s['organisations_active']} organisations active"]
    changed = result.assumptions.changed()
    if changed:
        lines.append("  assumptions set:     " + ", ".join(f"{k}={_show(v)}" for k, v in changed.items()))
    return "\n".join(lines)


def _communities(p) -> str:
    n = p["n_communities"]
    return "" if n == 1 else f"{n} communities of "


def write_run(result, out: Path, scenario: str) -> None:
    """Write the monthly table, summary and figure; each file appears whole or not at all."""
    from ..analysis.trajectories import trajectory_figure
    from ..experiments.store import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    actual, fired = exit_of(result)
    summary = {"scenario": scenario, "seed": result.seed, "exit_month_actual": actual, "trigger_fired_at": fired,
               "summary": result.summary, "params": result.params}
    changed = result.assumptions.changed()
    if changed:  # the assumptions set with --set, so the file says how the run was made
        summary["assumptions"] = changed
    atomic_write(out / "monthly.csv", lambda path: result.monthly.to_csv(path, index=False))
    atomic_write(out / "communities.csv", lambda path: result.communities.to_csv(path, index=False))
    atomic_write(out / "summary.json", lambda path: Path(path).write_text(json.dumps(summary, indent=2) + "\n"))
    p = result.params
    fig = trajectory_figure(result.monthly, actual,
                            f"{scenario}: {p['exit_strategy']} at month {actual}"
                            f"{f' (trigger fired at month {fired})' if fired is not None else ''}, seed {result.seed}",
                            communities=result.communities)
    atomic_write(out / "trajectories.png", lambda path: fig.savefig(path, dpi=110, format="png"))


def cmd_params(args) -> int:
    print(assumptions_table(markdown=args.markdown) if args.assumptions else params_table(markdown=args.markdown))
    return 0


def params_table(markdown: bool = False) -> str:
    """The parameters: name, default, range, unit, meaning, source."""
    rows = [(p.name, _show(p.default), p.range_text, p.unit, p.meaning, p.source) for p in SCHEMA.values()]
    return _table(("name", "default", "range", "unit", "meaning", "source"), rows, markdown)


def assumptions_table(markdown: bool = False) -> str:
    """The assumptions, by rule group: name, value, range, unit, rule, meaning, source."""
    rows = [(a.name, _show(a.default), a.range_text, a.unit, a.group, a.meaning, a.source)
            for a in ASSUMPTIONS.values()]
    table = _table(("name", "value", "range", "unit", "rule", "meaning", "source"), rows, markdown)
    if markdown:
        return table
    return f"set one with --set {PREFIX}NAME=VALUE (e.g. --set {PREFIX}engagement_rate=0.2)\n\n{table}"


def _table(head: tuple, rows: list[tuple], markdown: bool) -> str:
    """Markdown, or fixed-width columns then the meaning, with the source on a line of its own."""
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(f"`{r[0]}`" if k == 0 else r[k] for k in range(len(r))) + " |" for r in rows]
        return "\n".join(lines)
    fixed = len(head) - 2  # every column but meaning and source
    widths = [max(len(str(r[k])) for r in rows + [head]) for k in range(fixed)]
    out = []
    for r in [head] + rows:
        cells = "  ".join(str(r[k]).ljust(widths[k]) for k in range(fixed))
        out.append(f"{cells}  {r[fixed]}")
        if r is not head:
            out.append(" " * (sum(widths) + 2 * fixed) + f"  source: {r[fixed + 1]}")
    return "\n".join(out)


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)

