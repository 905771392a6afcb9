"""The plans `advise` searches: the levers' space and its encoding on [0, 1] for NSGA-II; and uncertain values a
caller gives as explicit ranges, drawn per world by a Latin hypercube seeded from the advice's seed (what is
uncertain by default is `lcsim.studies.uncertainty`)."""

from __future__ import annotations

import json
import math

import numpy as np

from ..errors import UsageError
from ..parameters import SCHEMA
from ..strategies import GRADUAL, STRATEGIES

DEFAULT_LEVERS = ("exit_strategy", "exit_month", "transition_months", "control", "digital_channel")
# Adaptive exits (`--triggers`): step back when members host trigger_share of the last trigger_window meetings, at
# exit_month at the latest (model/exits.py); searched beside the fixed plans (exit_trigger=none is one of them).
TRIGGER_LEVERS = ("exit_trigger", "trigger_share", "trigger_window")
LEVERS = DEFAULT_LEVERS + TRIGGER_LEVERS


def plan_key(plan: dict, tag: str, replicate: int) -> str:
    """A plan's (and one of its replicates') identity as text: the key of its stored evaluation."""
    return json.dumps([sorted((k, plain(v)) for k, v in plan.items()), tag, int(replicate)])


def plain(v):
    """A JSON-able Python scalar for numpy values."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def checked_levers(levers) -> tuple:
    if isinstance(levers, str):
        levers = [s.strip() for s in levers.split(",") if s.strip()]
    levers = tuple(levers)
    if not levers:
        raise UsageError("levers: none given; expected some of " + ", ".join(LEVERS))
    for name in levers:
        if name not in LEVERS:
            raise UsageError(f"lever {name!r} is unknown; expected some of " + ", ".join(LEVERS))
    return levers


def plan_space(levers, base: dict) -> dict:
    """Lever -> ('choice', values) or ('int'/'float', low, high), within the schema's sweep ranges."""
    space = {}
    for name in levers:
        p = SCHEMA[name]
        if p.kind == "choice":
            values = tuple(c for c in p.choices if STRATEGIES.get(c) is None or STRATEGIES[c].leaves)
            space[name] = ("choice", values)
        elif p.kind == "bool":
            space[name] = ("choice", (False, True))
        else:
            low, high = p.sweep
            if name == "exit_month":
                high = min(high, base["months"])
            space[name] = (p.kind, low, high)
    return space


def decode(space: dict, x, base: dict) -> dict:
    """The plan at a point of [0, 1]^levers: choices and integers by cells of equal width, floats to 3 decimals."""
    plan = {}
    for name, v in zip(space, x):
        spec, v = space[name], min(max(float(v), 0.0), 1.0)
        if spec[0] == "choice":
            plan[name] = spec[1][min(int(v * len(spec[1])), len(spec[1]) - 1)]
        elif spec[0] == "int":
            plan[name] = int(min(spec[2], math.floor(spec[1] + v * (spec[2] - spec[1] + 1))))
        else:
            plan[name] = round(float(spec[1] + v * (spec[2] - spec[1])), 3)
    consistent(plan, base)
    return plan


def encode(space: dict, plan: dict) -> np.ndarray:
    """The point of [0, 1]^levers that `decode` maps to `plan` (the middle of its cell)."""
    x = []
    for name, spec in space.items():
        v = plan[name]
        if spec[0] == "choice":
            x.append((spec[1].index(v) + 0.5) / len(spec[1]) if v in spec[1] else 0.5)
        elif spec[0] == "int":
            x.append((v - spec[1] + 0.5) / (spec[2] - spec[1] + 1))
        else:
            x.append((v - spec[1]) / (spec[2] - spec[1]) if spec[2] > spec[1] else 0.5)
    return np.clip(np.array(x, dtype=float), 0.0, 1.0)


def nsga2(space, base, plans, runner, done, reps0, draws, seeds, budget, pop_size, generations, seed):
    """Rung 0: pymoo's NSGA-II over the levers encoded on [0, 1] (decoded by `decode`), on two objectives
    (maximise survival, minimise convener-months; `budget` a constraint), each plan evaluated at `reps0`
    common replicates on the runner. Appends new plans to `plans`; returns (final population's plan
    indices, generations run)."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.optimize import minimize

    index = {plan_key(p, "", 0): i for i, p in enumerate(plans)}

    def indices(X) -> list[int]:
        out = []
        for x in X:
            plan = decode(space, x, base)
            key = plan_key(plan, "", 0)
            if key not in index:
                index[key] = len(plans)
                plans.append(plan)
            out.append(index[key])
        return out

    class Plans(Problem):
        def __init__(self):
            super().__init__(n_var=len(space), n_obj=2, n_ieq_constr=0 if budget is None else 1, xl=0.0, xu=1.0)

        def _evaluate(self, X, out, *args, **kwargs):
            ids = indices(X)
            todo = [i for i in dict.fromkeys(ids) if done.get(i, 0) < reps0]
            runner.run([(i, plans[i]) for i in todo], range_from=done, upto=reps0, draws=draws, seeds=seeds)
            for i in todo:
                done[i] = reps0
            table = runner.estimates(plans, done)
            s = table.loc[ids, "survival"].fillna(0.0).to_numpy(dtype=float)
            e = table.loc[ids, "convener_months"].fillna(1e9).to_numpy(dtype=float)
            out["F"] = np.column_stack([-s, e])
            if budget is not None:
                out["G"] = (e - budget)[:, None]

    start = np.vstack([encode(space, plans[0]),
                       qmc_points(len(space), pop_size - 1, seed)])
    res = minimize(Plans(), NSGA2(pop_size=pop_size, sampling=start), ("n_gen", generations), seed=seed,
                   verbose=False)
    return indices(res.pop.get("X")), generations


def qmc_points(d: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=np.random.default_rng([seed, 7])).random(max(n, 0))


def consistent(plan: dict, base: dict) -> None:
    p = {**base, **plan}
    if p["exit_strategy"] in GRADUAL and p["transition_months"] > p["exit_month"]:
        if "transition_months" in plan:
            plan["transition_months"] = p["exit_month"]
        elif "exit_month" in plan:
            plan["exit_month"] = p["transition_months"]
    if "transition_months" in plan and p["exit_strategy"] not in GRADUAL and "exit_strategy" in plan:
        plan["transition_months"] = base["transition_months"] if base["transition_months"] <= p["exit_month"] \
            else p["exit_month"]  # irrelevant for an abrupt exit: one value, so plans are not duplicated
    if p.get("exit_trigger", "none") == "none":  # no signpost: its share and window mean nothing, one value each
        for name in ("trigger_share", "trigger_window"):
            if name in plan:
                plan[name] = base[name]


def uncertain_ranges(uncertain: dict) -> dict:
    """Explicit ranges a caller gives (`advise(uncertain={name: (low, high)})`), each bound checked."""
    ranges = {}
    for k, (lo, hi) in uncertain.items():
        if k not in SCHEMA:
            raise UsageError(f"uncertain value {k!r} is not a parameter; expected one of lcsim params")
        ranges[k] = (SCHEMA[k].check(lo), SCHEMA[k].check(hi))
    return ranges


def uncertain_draws(ranges: dict, n: int, seed: int) -> list[dict]:
    from scipy.stats import qmc

    if not ranges:
        return [{} for _ in range(n)]
    u = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng([seed, 11])).random(n)
    out = []
    for row in u:
        d = {}
        for (name, (lo, hi)), x in zip(ranges.items(), row):
            value = lo + x * (hi - lo)
            d[name] = int(round(value)) if SCHEMA[name].kind == "int" else float(value)
        out.append(d)
    return out
