"""Measuring the patterns: each one's experiments run afresh through `lcsim.sweep`, assessed
(`patterns.assess_<key>`), drawn (`figures.figure_<key>`), and its knock-out control (`knockouts`).

    verdicts = validate(["P1", "L1"], Context(workers=2))
"""

from __future__ import annotations

import pandas as pd

from . import leaders, members
from .figures import figure_l1, figure_l2, figure_l3, figure_members, figure_p1, figure_p2, figure_p3, figure_p4
from .knockouts import knock_out
from .patterns import (
    PATTERNS,
    Verdict,
    assess_l1,
    assess_l2,
    assess_l3,
    assess_p1,
    assess_p2,
    assess_p3,
    assess_p4,
    with_share_at_exit,
)
from .runs import Context, experiment, run


def p1(ctx: Context) -> Verdict:
    runs, _ = run("validation-p1-case", ctx)
    v = assess_p1(runs)
    figure_p1(runs, ctx.img)
    return v


def p2(ctx: Context) -> Verdict:
    from ..experiments.design import run_seed
    from ..experiments.experiment import load_experiment

    exp = load_experiment(experiment("validation-p2-leaders", ctx))
    params = exp.base_params
    seeds = [run_seed(exp.root_seed, 0, r, common=True) for r in range(exp.replicates)]
    rows = leaders.run_communities(params, seeds, ctx.workers)
    per = leaders.measure(rows)
    v = assess_p2(per, params["n_members"])
    figure_p2(per, rows, ctx.img)
    return v


def p3(ctx: Context, l1_runs: pd.DataFrame | None = None) -> Verdict:
    runs, _ = run("validation-p3-digital", ctx)
    if l1_runs is None:
        l1_runs, _ = run("validation-l1-exits", ctx)
    v = assess_p3(runs, l1_runs)
    figure_p3(runs, l1_runs, ctx.img)
    return v


def p4(ctx: Context) -> Verdict:
    runs, monthly = run("validation-p4-complementarity", ctx, monthly=True)
    runs = with_share_at_exit(runs, monthly)
    v = assess_p4(runs)
    figure_p4(runs, ctx.img)
    return v


def l1(ctx: Context, runs: pd.DataFrame | None = None) -> tuple[Verdict, pd.DataFrame, pd.DataFrame]:
    """L1's verdict, the runs of validation-l1-exits (P3 reads them too) and of its by-control file (L3 too)."""
    if runs is None:
        runs, _ = run("validation-l1-exits", ctx)
    case, _ = run("validation-l1-exits-case", ctx)
    style, _ = run("validation-l1-exits-by-control", ctx)
    v = assess_l1(runs, case, style)
    figure_l1(runs, style, ctx.img)
    return v, runs, style


def l3(ctx: Context, style: pd.DataFrame | None = None) -> Verdict:
    if style is None:
        style, _ = run("validation-l1-exits-by-control", ctx)
    v = assess_l3(style)
    figure_l3(style, ctx.img)
    return v


def l2(ctx: Context) -> Verdict:
    runs, _ = run("validation-l2-benefit-resources", ctx)
    v = assess_l2(runs)
    figure_l2(runs, v.n.split()[0], ctx.img)
    return v


def member_patterns(keys, ctx: Context) -> dict[str, Verdict]:
    """P5, P6, P7 (those in `keys`) from one set of observed runs of their shared experiment."""
    exp, seeds = members.member_seeds(ctx)
    runs = members.observe_all(exp.scenario, dict(exp.fixed), seeds, ctx.workers)
    figure_members(runs, ctx.img)
    return {k: members.MEMBER_PATTERNS[k](runs) for k in keys}


def validate(only=tuple(PATTERNS), ctx: Context | None = None) -> list[Verdict]:
    """Measure the patterns named in `only` (all by default), in PATTERNS order."""
    from ..errors import UsageError

    ctx = ctx or Context()
    unknown = [k for k in only if k not in PATTERNS]
    if unknown:
        raise UsageError(f"unknown pattern '{unknown[0]}'; expected one of {', '.join(PATTERNS)}")
    found: dict[str, Verdict] = {}
    l1_runs = style = None
    if "L1" in only:
        found["L1"], l1_runs, style = l1(ctx)
    if "L3" in only:
        found["L3"] = l3(ctx, style)
    for key, fn in (("P1", p1), ("P2", p2), ("P4", p4), ("L2", l2)):
        if key in only:
            found[key] = fn(ctx)
    wanted = [k for k in members.MEMBER_PATTERNS if k in only]
    if wanted:
        found.update(member_patterns(wanted, ctx))
    if "P3" in only:
        found["P3"] = p3(ctx, l1_runs)
    if ctx.knockouts:
        for key in found:
            knock_out(found[key], ctx)
    return [found[k] for k in PATTERNS if k in found]
