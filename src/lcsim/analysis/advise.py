"""Advice for a programme designer: which exit plan gives this community the best chance, at what effort?

`advise(scenario, levers=..., overrides=..., budget=...)` searches the plans a designer controls (the
levers: by default `exit_strategy`, `exit_month`, `transition_months`, `control`, `digital_channel`)
for the one with the highest survival, and reports it against the scenario's current plan.

How it works
- *Plan space*: each lever's schema sweep range (`exit_strategy` without `stay`, which never leaves:
  `stay` is not an exit plan); `exit_month` at most `months`; `transition_months` at most `exit_month`
  (it only matters for the gradual strategies).
- *The described community, and what is uncertain about it*: every other parameter is the scenario's
  (then `overrides`). A few values a designer rarely knows (`UNCERTAIN`: member benefit, aspiration,
  initial engagement, ...) that `overrides` does not fix are drawn per replicate from +-25% around
  the scenario's value (clipped to the schema's sweep range) by a Latin hypercube: the advice is
  robust to them, not tuned to one guess.
- *Common random numbers*: replicate r has the same uncertain draw and the same seed for every plan,
  so plans are compared pairwise on the same simulated worlds.
- *Search*: pymoo's NSGA-II, then successive halving. The levers are encoded on [0, 1] (choices and
  integers by cells of equal width, decoded by `decode`). NSGA-II (population `candidates / 2`, started
  from the current plan and a Latin hypercube) runs `generations` generations on two objectives,
  survival (maximised) and convener-months (minimised), with `budget` as a constraint, every plan
  evaluated at the first rung's replicates on common random numbers. Every plan it evaluated (its
  final population, the current plan and the plans it dropped) then goes through successive halving,
  from the second rung's size: the better half (survival; ties to lower convener
  effort; plans over `budget` last) goes on with twice the replicates, until `finalists` remain with
  `replicates` each. Replicates are spent where the decision is still open.
- *Runs*: each batch of runs goes to the sweep engine's executor and worker
  (`experiments.runner.open_pool`, `experiments.worker.run_chunk`: every core, or Dask with
  `scheduler=`), in chunks. A replicate's uncertain draw differs between replicates, which the sweep's
  experiment format cannot express, so the runs are not a sweep folder; instead, with `out=`, every
  finished (plan, replicate) summary is kept in `out/evaluations/<hash>.parquet` (the hash of the
  inputs: scenario, parameters, levers, uncertain ranges, seed, budget, replicates, stress runs;
  rewritten atomically after each batch), and a rerun with the same inputs reads them back instead of
  running them again (resume). `Advice.runs` holds every run and `write()` saves it.
- *Outputs*: the recommended plan with its survival (95% Wilson interval) and convener-months; the
  gain over the current plan (paired difference on common replicates with a 95% interval and
  McNemar's exact test); the runners-up, each compared pairwise with the recommended; the Pareto
  front of survival against convener effort over every evaluated plan (figure); and where the
  recommended plan fails (scenario discovery over the uncertain values on its replicates).
  `Advice.to_html()` is one self-contained page (figures inlined as base64 PNG, no links);
  `to_html(heading=False)` is its `<section>` alone, for embedding in another page.

`evaluate=` replaces the simulation (tests: a toy objective with a known optimum): a callable taking a
list of `(run_id, seed, params)` and returning one summary dict (with `survived` and
`convener_months`) per task, or None for a failed run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LcsimError, UsageError
from ..parameters import SCHEMA, check_params
from ..strategies import COLOURS, GRADUAL, STRATEGIES
from .survival import wilson

DEFAULT_LEVERS = ("exit_strategy", "exit_month", "transition_months", "control", "digital_channel")
UNCERTAIN = ("member_benefit", "aspiration", "initial_engagement", "complementarity", "attendance_cost",
             "leadership", "burnout")
SPREAD = 0.25  # the uncertain values: +-25% around the scenario's value
CANDIDATES = 48
FINALISTS = 4
REPLICATES = 160  # replicates of each finalist (and of the current plan)
CHUNK = 20
STRESS = 200  # runs of the recommended plan over the uncertain values' whole sweep ranges, for discovery
GENERATIONS = 3  # NSGA-II generations (population: the second rung's plans, candidates / 2)

Evaluate = Callable[[list], list]


@dataclass
class Advice:
    """What `advise` found. Plans are dicts of lever values; survival is a share of replicates."""

    scenario: str
    levers: tuple
    budget: float | None
    uncertain: dict  # name -> (low, high) drawn per replicate
    recommended: dict  # plan, survival, survival_lo, survival_hi, convener_months, replicates
    reference: dict  # the scenario's current plan, on the same replicates
    gain: dict  # difference, lo, hi, p (McNemar), distinct
    runners_up: list  # dicts like `recommended`, plus the paired comparison with it
    front: pd.DataFrame = field(repr=False)  # the Pareto front: survival against convener effort
    plans: pd.DataFrame = field(repr=False)  # every evaluated plan with its estimate and rung
    runs: pd.DataFrame = field(repr=False)  # every run
    failure: Any = None  # a Discovery over the recommended plan's replicates, or None (see failure_note)
    failure_note: str = ""
    evaluations: int = 0
    rungs: list = field(default_factory=list)  # (plans, replicates each) per rung
    figures: dict = field(default_factory=dict, repr=False)
    stress_runs: Any = field(default=None, repr=False)  # the recommended plan over the wide ranges (discovery)
    generations: int = 0  # NSGA-II generations run in the first rung
    pop_size: int = 0  # NSGA-II's population
    reused: int = 0  # runs read back from `out/evaluations/` instead of run again

    @property
    def cheaper(self):
        """(number, runner-up) of the cheapest runner-up the data cannot tell apart from the recommended, if it
        takes less convener effort; else None."""
        options = [(i, u) for i, u in enumerate(self.runners_up, 1) if not u["versus"]["distinct"]
                   and u["convener_months"] < self.recommended["convener_months"]]
        return min(options, key=lambda iu: iu[1]["convener_months"]) if options else None

    # --- words -----------------------------------------------------------------------------------
    def text(self) -> str:
        r, ref, g = self.recommended, self.reference, self.gain
        lines = [f"Advice for scenario '{self.scenario}' (levers: {', '.join(self.levers)}"
                 + (f"; budget {self.budget:g} convener-months" if self.budget is not None else "") + ")",
                 "",
                 f"Recommended plan: {plan_text(r['plan'])}",
                 f"  survival {pct(r)} over {r['replicates']} replicates; convener effort "
                 f"{r['convener_months']:.1f} convener-months",
                 f"Current plan:     {plan_text(ref['plan'])}",
                 f"  survival {pct(ref)}; convener effort {ref['convener_months']:.1f} convener-months",
                 f"Gain over the current plan: {points(g)} (paired on common replicates; McNemar p = "
                 f"{p_text(g['p'])}): " + ("the data tell them apart" if g["distinct"]
                                           else "the data cannot tell them apart")
                 + f"; effort {g.get('effort_difference', 0):+.1f} convener-months",
                 "", "Runners-up (paired with the recommended plan on the same replicates):"]
        for i, u in enumerate(self.runners_up, 1):
            c = u["versus"]
            lines.append(f"  {i}. {plan_text(u['plan'])}: survival {pct(u)}, {u['convener_months']:.1f} "
                         f"convener-months; {points(c)} vs recommended, p = {p_text(c['p'])}: "
                         + ("worse, distinguishable" if c["distinct"] else "not distinguishable"))
        if not self.runners_up:
            lines.append("  (none)")
        cheaper = self.cheaper
        if cheaper is not None:
            lines.append(f"  The data cannot tell runner-up {cheaper[0]} apart from the recommended plan, and it takes "
                         f"{r['convener_months'] - cheaper[1]['convener_months']:.1f} fewer convener-months: "
                         "if effort matters, it is as good a choice on this evidence.")
        lines += ["", "Trade-off: survival against convener effort (Pareto front over the evaluated plans)"]
        lines += ["  " + line for line in front_text(self.front).splitlines()]
        lines += ["", "Where the recommended plan fails:"]
        if self.failure is not None:
            lines.append("  " + self.failure_note + ":")
            lines.append("  " + self.failure.sentence)
        else:
            lines.append("  " + self.failure_note)
        stressed = 0 if self.stress_runs is None else len(self.stress_runs)
        first, rest = (self.rungs[0], self.rungs[1:]) if self.rungs else ((0, 0), [])
        lines += ["", f"Runs: {self.evaluations} in all ({first[0]} plans x {first[1]} replicates proposed by "
                  f"NSGA-II (population {self.pop_size}, {self.generations} generations)"
                  + ("; then " + ", ".join(f"{n} plans x {k}" for n, k in rest) + " replicates by successive "
                     "halving" if rest else "")
                  + f"; the current plan at {ref['replicates']}"
                  + (f"; {stressed} stress runs of the recommended plan" if stressed else "") + ")"
                  + (f"; {self.reused} of them read back from earlier evaluations" if self.reused else ""),
                  "Uncertain values drawn per replicate: "
                  + ", ".join(f"{k} {lo:g}-{hi:g}" for k, (lo, hi) in self.uncertain.items())]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        text = self.text().splitlines()
        parts = [f"# Advice: {self.scenario}", "", "```", *text, "```", ""]
        parts += ["## Pareto front", "", _md_table(self.front), "", "![front](front.png)", ""]
        if self.failure is not None:
            parts += ["## Where the recommended plan fails", "", self.failure.to_markdown(level=3, figures=False)]
        return "\n".join(parts) + "\n"

    def to_html(self, heading: bool = True) -> str:
        """A self-contained page: the figures are inlined as base64 PNG, nothing is linked. `heading=False`:
        the fragment inside <body> only (one section, `<section class='lcsim-advice'>`), to embed elsewhere."""
        import base64
        import io
        from html import escape

        figures = ""
        for name, fig in self.figures.items():
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
            data = base64.b64encode(buf.getvalue()).decode("ascii")
            figures += f"<img src='data:image/png;base64,{data}' alt='{escape(name)}'>"
        body = (f"<section class='lcsim-advice'><h1>Advice: {escape(self.scenario)}</h1>"
                f"<pre>{escape(self.text())}</pre>"
                "<h2>Pareto front</h2>" + self.front.to_html(index=False, float_format=lambda x: f"{x:.3g}")
                + figures + "</section>")
        if not heading:
            return body
        return ("<!doctype html><html><head><meta charset='utf-8'><title>lcsim advise</title></head><body>"
                + body + "</body></html>")

    def write(self, out) -> list[str]:
        from ..output import usable_folder

        folder = usable_folder(out)
        written = []
        for name, fig in self.figures.items():
            fig.savefig(folder / name, dpi=120, bbox_inches="tight")
            written.append(name)
        (folder / "advice.md").write_text(self.to_markdown())
        (folder / "advice.html").write_text(self.to_html())
        self.plans.to_csv(folder / "plans.csv", index=False)
        self.front.to_csv(folder / "front.csv", index=False)
        self.runs.to_csv(folder / "runs.csv", index=False)
        written += ["advice.md", "advice.html", "plans.csv", "front.csv", "runs.csv"]
        if self.stress_runs is not None:
            self.stress_runs.to_csv(folder / "stress_runs.csv", index=False)
            written.append("stress_runs.csv")
        if self.failure is not None:
            try:
                self.failure.write(folder / "failure")
                written.append("failure/")
            except LcsimError:
                pass
        return written


# --- the search ---------------------------------------------------------------------------------

def advise(scenario: str = "default", levers=DEFAULT_LEVERS, overrides: dict | None = None,
           budget: float | None = None, replicates: int = REPLICATES, candidates: int = CANDIDATES,
           finalists: int = FINALISTS, uncertain=None, seed: int = 0, workers: int | None = None,
           scheduler=None, evaluate: Evaluate | None = None, discover: bool = True, stress: int = STRESS,
           progress: bool = False, generations: int = GENERATIONS, out=None) -> Advice:
    """Search the levers' plan space for the plan with the best survival; see the module's docstring.

    `overrides`: parameters the designer fixes (a lever set here is the current plan's value).
    `uncertain`: names of parameters drawn per replicate (default `UNCERTAIN` minus `overrides`),
    or a dict name -> (low, high). Raises a one-line `UsageError`/`ParameterError` on bad input.
    """
    from ..scenarios import describe, scenario_params

    levers = _levers(levers)
    overrides = dict(overrides or {})
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or not 0 < budget < math.inf):
        raise UsageError(f"budget {budget!r}: expected a number of convener-months > 0")
    for name, value, low in (("replicates", replicates, 4), ("candidates", candidates, 2),
                             ("finalists", finalists, 1), ("generations", generations, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UsageError(f"{name} {value!r}: expected an integer >= {low}")
    if finalists > candidates:
        raise UsageError(f"finalists {finalists} is more than candidates {candidates}")
    describe(scenario)
    base = check_params({k: v for k, v in overrides.items() if not k.startswith("assumptions.")},
                        scenario_params(scenario))
    assumed = {k: v for k, v in overrides.items() if k.startswith("assumptions.")}
    space = plan_space(levers, base)
    ranges = _uncertain(uncertain, base, overrides, levers)
    current = {k: base[k] for k in levers}

    # successive halving schedule: plans and cumulative replicates per rung
    schedule, n = [], candidates
    while True:
        schedule.append(n)
        if n <= finalists:
            break
        n = max(finalists, math.ceil(n / 2))
    reps = [max(2, replicates >> (len(schedule) - 1 - k)) for k in range(len(schedule))]
    reps[-1] = replicates
    draws = _draws(ranges, replicates, seed)
    seeds = [int(np.random.SeedSequence(seed, spawn_key=(r,)).generate_state(1)[0]) for r in range(replicates)]

    cache = _Cache(out, {"scenario": scenario, "base": base, "assumed": assumed, "overrides": overrides,
                         "levers": levers, "uncertain": ranges, "seed": seed, "budget": budget,
                         "replicates": replicates, "stress": stress if discover else 0})
    plans = [current]
    runner = _Runner(scenario, {**base, **assumed}, evaluate, workers, scheduler, progress, cache)
    with runner:
        done: dict[int, int] = {}  # plan index -> replicates run so far
        # rung 0: NSGA-II proposes the plans, each evaluated at the first rung's replicates (CRN)
        pop_size = max(4, schedule[1] if len(schedule) > 1 else schedule[0])
        final, generations_run = _nsga2(space, base, plans, runner, done, reps[0], draws, seeds, budget,
                                        pop_size, generations, seed)
        rungs = [(len(done), reps[0])]
        # successive halving on every plan NSGA-II evaluated (its final population, the current plan, and
        # the plans it dropped: at the first rung's few replicates a good plan can lose by bad luck, and
        # the halving's rank is the better judge)
        alive = _rank(runner.estimates(plans, done).loc[sorted({*final, 0, *done})], budget)
        for k in range(1, len(schedule)):
            alive = alive[:schedule[k]]
            want = reps[k]
            runner.run([(i, plans[i]) for i in alive], range_from=done, upto=want, draws=draws, seeds=seeds)
            for i in alive:
                done[i] = want
            rungs.append((len(alive), want))
            alive = _rank(runner.estimates(plans, done).loc[alive], budget)
        finals = alive[:schedule[-1]]
        ref_index = 0  # the current plan is plan 0; make sure it has the full replicates
        if done.get(ref_index, 0) < replicates:
            runner.run([(ref_index, plans[ref_index])], range_from=done, upto=replicates, draws=draws, seeds=seeds)
            done[ref_index] = replicates
        table = runner.estimates(plans, done)
        if ref_index not in finals:  # the current plan, now on the finalists' replicates, competes with them
            finals = _rank(table.loc[[*finals, ref_index]], budget)
        best = finals[0]
        stress_runs = None
        if discover and stress and ranges:  # the recommended plan over the uncertain values' whole sweep ranges
            wide = {k: tuple(SCHEMA[k].sweep) for k in ranges}
            wide_draws = _draws(wide, stress, seed + 1)
            stress_seeds = [int(np.random.SeedSequence(seed, spawn_key=(1, r)).generate_state(1)[0])
                            for r in range(stress)]
            before = len(runner.rows)
            runner.run([(best, plans[best])], range_from={}, upto=stress, draws=wide_draws, seeds=stress_seeds,
                       tag="s")
            stress_runs = pd.DataFrame(runner.rows[before:])
            runner.rows = runner.rows[:before]
        runs = runner.frame()


    rec = _summary(table, best, plans)
    ref = _summary(table, ref_index, plans)
    gain = paired(runs, best, ref_index)
    gain["effort_difference"] = rec["convener_months"] - ref["convener_months"]
    runners = []
    for i in finals[1:4]:
        u = _summary(table, i, plans)
        u["versus"] = paired(runs, i, best)
        runners.append(u)
    front = pareto(table, levers)
    failure, note = None, ""
    if discover:
        failure, note = _failure(runs[runs["plan"] == best], stress_runs, list(ranges))
    else:
        note = "not searched (discover=False)"
    advice = Advice(scenario=scenario, levers=levers, budget=budget, uncertain=ranges, recommended=rec,
                    reference=ref, gain=gain, runners_up=runners, front=front, plans=table.reset_index(),
                    runs=runs, failure=failure, failure_note=note,
                    evaluations=len(runs) + (0 if stress_runs is None else len(stress_runs)), rungs=rungs,
                    stress_runs=stress_runs, generations=generations_run, pop_size=pop_size,
                    reused=runner.reused)
    advice.figures = {"front.png": front_figure(advice)}
    return advice


def _levers(levers) -> tuple:
    if isinstance(levers, str):
        levers = [s.strip() for s in levers.split(",") if s.strip()]
    levers = tuple(levers)
    if not levers:
        raise UsageError("levers: none given; expected some of " + ", ".join(DEFAULT_LEVERS))
    for name in levers:
        if name not in DEFAULT_LEVERS:
            raise UsageError(f"lever {name!r} is unknown; expected some of " + ", ".join(DEFAULT_LEVERS))
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


def sample_plans(space: dict, n: int, seed: int, base: dict) -> list[dict]:
    """`n` distinct plans from a Latin hypercube over the lever space; `transition_months <= exit_month`."""
    from scipy.stats import qmc

    if n <= 0:
        return []
    u = qmc.LatinHypercube(d=len(space), seed=np.random.default_rng([seed, 7])).random(n)
    plans = []
    for row in u:
        plan = decode(space, row, base)
        if plan not in plans:
            plans.append(plan)
    return plans


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
    _consistent(plan, base)
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


def _nsga2(space, base, plans, runner, done, reps0, draws, seeds, budget, pop_size, generations, seed):
    """Rung 0: pymoo's NSGA-II over the levers encoded on [0, 1] (decoded by `decode`), on two objectives
    (maximise survival, minimise convener-months; `budget` a constraint), each plan evaluated at `reps0`
    common replicates on the runner. Appends new plans to `plans`; returns (final population's plan
    indices, generations run)."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.optimize import minimize

    index = {_Cache.key(p, "", 0): i for i, p in enumerate(plans)}

    def indices(X) -> list[int]:
        out = []
        for x in X:
            plan = decode(space, x, base)
            key = _Cache.key(plan, "", 0)
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


class _Cache:
    """Every finished (plan, replicate) summary, in `out/evaluations/<hash of the inputs>.parquet`, so that
    rerunning the same advice reads them back instead of running them again. No folder: in memory only."""

    def __init__(self, out, inputs: dict):
        import hashlib
        import json

        self.results: dict[str, dict] = {}
        self.path = None
        if out is not None:
            digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()[:16]
            from pathlib import Path

            self.path = Path(out) / "evaluations" / f"{digest}.parquet"

    @staticmethod
    def key(plan: dict, tag: str, replicate: int) -> str:
        import json

        return json.dumps([sorted((k, _plain(v)) for k, v in plan.items()), tag, int(replicate)])

    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        import json

        try:
            table = pd.read_parquet(self.path)
        except Exception:  # a damaged file: start again (it is rewritten whole, atomically)
            return
        self.results = {k: json.loads(v) for k, v in zip(table["key"], table["summary"])}

    def add(self, results: dict) -> None:
        if not results:
            return
        self.results.update(results)
        if self.path is None:
            return
        import json

        from ..experiments.store import atomic_write

        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.results)
        texts = [json.dumps({k: _plain(v) for k, v in self.results[key].items()}, default=str) for key in keys]
        table = pd.DataFrame({"key": keys, "summary": texts})
        atomic_write(self.path, lambda tmp: table.to_parquet(tmp, index=False))


def _plain(v):
    """A JSON-able Python scalar for numpy values."""
    if isinstance(v, np.generic):
        return v.item()
    return v


def _consistent(plan: dict, base: dict) -> None:
    p = {**base, **plan}
    if p["exit_strategy"] in GRADUAL and p["transition_months"] > p["exit_month"]:
        if "transition_months" in plan:
            plan["transition_months"] = p["exit_month"]
        elif "exit_month" in plan:
            plan["exit_month"] = p["transition_months"]
    if "transition_months" in plan and p["exit_strategy"] not in GRADUAL and "exit_strategy" in plan:
        plan["transition_months"] = base["transition_months"] if base["transition_months"] <= p["exit_month"] \
            else p["exit_month"]  # irrelevant for an abrupt exit: one value, so plans are not duplicated


def _uncertain(uncertain, base: dict, overrides: dict, levers) -> dict:
    if isinstance(uncertain, dict):
        ranges = {}
        for k, (lo, hi) in uncertain.items():
            if k not in SCHEMA:
                raise UsageError(f"uncertain value {k!r} is not a parameter")
            ranges[k] = (SCHEMA[k].check(lo), SCHEMA[k].check(hi))
        return ranges
    names = UNCERTAIN if uncertain is None else tuple(uncertain)
    ranges = {}
    for name in names:
        if name not in SCHEMA or SCHEMA[name].kind not in ("int", "float"):
            raise UsageError(f"uncertain value {name!r}: expected a numeric parameter")
        if name in overrides or name in levers:
            continue
        p, v = SCHEMA[name], float(base[name])
        lo, hi = p.sweep
        half = SPREAD * abs(v) if v else SPREAD * (hi - lo) / 2
        ranges[name] = (max(lo, v - half), min(hi, v + half))
    return ranges


def _draws(ranges: dict, n: int, seed: int) -> list[dict]:
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


class _Runner:
    """Runs (plan, replicate) pairs on the sweep engine's executor, or through `evaluate`; keeps every run."""

    def __init__(self, scenario, base, evaluate, workers, scheduler, progress, cache=None):
        self.scenario, self.base, self.evaluate = scenario, base, evaluate
        self.workers, self.scheduler, self.progress = workers, scheduler, progress
        self.cache = cache if cache is not None else _Cache(None, {})
        self.rows: list[dict] = []
        self.reused = 0
        self._pool_cm = self.pool = None

    def __enter__(self):
        self.cache.load()
        if self.evaluate is None:
            from ..experiments.runner import open_pool

            self._pool_cm = open_pool(self.workers, self.scheduler)
            self.pool = self._pool_cm.__enter__()
        return self

    def __exit__(self, *exc):
        if self._pool_cm is not None:
            self._pool_cm.__exit__(*exc)

    def run(self, plans, range_from: dict, upto: int, draws, seeds, tag: str = "r") -> None:
        tasks, meta, stored = [], {}, []
        for i, plan in plans:
            for r in range(range_from.get(i, 0), upto):
                rid = f"p{i:04d}-{tag}{r:04d}"
                params = {**plan, **draws[r]}
                key = _Cache.key(plan, tag, r)
                meta[rid] = (i, r, params, key)
                if key in self.cache.results:
                    stored.append((rid, self.cache.results[key]))
                else:
                    tasks.append((rid, seeds[r], params))
        self.reused += len(stored)
        results = self._evaluate(tasks) if tasks else []
        new = [(rid, summary) for (rid, _, _), summary in zip(tasks, results)]
        self.cache.add({meta[rid][3]: summary for rid, summary in new if isinstance(summary, dict)})
        found = dict(stored + new)
        for rid, (i, r, params, _) in meta.items():
            summary = found[rid]
            row = {"run_id": rid, "plan": i, "replicate": r, "seed": seeds[r], **params}
            if isinstance(summary, str) or summary is None:
                row["error"] = summary or "failed"
            else:
                row.update(summary)
                row["error"] = None
            self.rows.append(row)

    def _evaluate(self, tasks) -> list:
        if self.evaluate is not None:
            return list(self.evaluate(tasks))
        from ..experiments.worker import run_chunk

        chunks = [tasks[k:k + CHUNK] for k in range(0, len(tasks), CHUNK)]
        futures = [self.pool.executor.submit(run_chunk, self.scenario, self.base, chunk, False) for chunk in chunks]
        out = {}
        for future in futures:
            for rid, summary, error, _ in future.result():
                out[rid] = summary if error is None else error
        return [out.get(rid) for rid, _, _ in tasks]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def estimates(self, plans, done) -> pd.DataFrame:
        runs = self.frame()
        ok = runs[runs["error"].isna()]
        rows = []
        for i, n in done.items():
            part = ok[(ok["plan"] == i) & (ok["replicate"] < n)]
            s = int(part["survived"].astype(bool).sum())
            share, lo, hi = wilson(s, len(part))
            rows.append({"plan_index": i, **plans[i], "replicates": len(part), "survived": s, "survival": share,
                         "survival_lo": lo, "survival_hi": hi,
                         "convener_months": float(part["convener_months"].mean()) if len(part) else math.nan})
        return pd.DataFrame(rows).set_index("plan_index", drop=False).rename_axis(None)


def _rank(table: pd.DataFrame, budget) -> list[int]:
    """Plan indices best first: within budget first, then survival (higher), then effort (lower)."""
    over = (table["convener_months"] > budget) if budget is not None else pd.Series(False, index=table.index)
    order = table.assign(_over=over.astype(int), _neg=-table["survival"]).sort_values(
        ["_over", "_neg", "convener_months", "plan_index"])
    return order.index.tolist()


def _summary(table: pd.DataFrame, i: int, plans) -> dict:
    row = table.loc[i]
    return {"plan": dict(plans[i]), "plan_index": int(i), "survival": float(row["survival"]),
            "survival_lo": float(row["survival_lo"]), "survival_hi": float(row["survival_hi"]),
            "convener_months": float(row["convener_months"]), "replicates": int(row["replicates"])}


def paired(runs: pd.DataFrame, a: int, b: int) -> dict:
    """Survival of plan a minus plan b on their common replicates: mean, 95% t interval, McNemar exact p."""
    from scipy import stats
    from statsmodels.stats.contingency_tables import mcnemar

    ok = runs[runs["error"].isna()]
    x = ok[ok["plan"] == a].set_index("replicate")["survived"].astype(bool)
    y = ok[ok["plan"] == b].set_index("replicate")["survived"].astype(bool)
    common = x.index.intersection(y.index)
    x, y = x.loc[common].to_numpy(), y.loc[common].to_numpy()
    n = len(common)
    if a == b or n == 0:
        return {"difference": 0.0, "lo": 0.0, "hi": 0.0, "p": 1.0, "distinct": False, "replicates": n}
    d = x.astype(float) - y.astype(float)
    mean = float(d.mean())
    if n > 1 and d.std(ddof=1) > 0:
        half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n))
    else:
        half = 0.0
    only_a, only_b = int((x & ~y).sum()), int((~x & y).sum())
    p = float(mcnemar([[0, only_a], [only_b, 0]], exact=True).pvalue) if only_a + only_b else 1.0
    return {"difference": mean, "lo": mean - half, "hi": mean + half, "p": p,
            "distinct": bool(p < 0.05 and (mean - half > 0 or mean + half < 0)), "replicates": n}


def pareto(table: pd.DataFrame, levers) -> pd.DataFrame:
    """The non-dominated plans: no other plan has higher survival at no more effort (or less effort at no
    lower survival). Sorted by effort."""
    t = table.dropna(subset=["survival", "convener_months"])
    s, e = t["survival"].to_numpy(), t["convener_months"].to_numpy()
    keep = []
    for k in range(len(t)):
        dominated = np.any((s >= s[k]) & (e <= e[k]) & ((s > s[k]) | (e < e[k])))
        keep.append(not dominated)
    front = t[np.array(keep, dtype=bool)] if len(t) else t
    cols = ["plan_index", *levers, "survival", "survival_lo", "survival_hi", "convener_months", "replicates"]
    front = front[cols].sort_values(["convener_months", "survival"])
    return front.drop_duplicates(subset=["survival", "convener_months"]).reset_index(drop=True)


def _failure(runs: pd.DataFrame, stress: pd.DataFrame | None, inputs: list[str]):
    """Scenario discovery of the recommended plan's collapses: on its stress runs (the uncertain values over
    their whole sweep ranges) when there are some, else on its replicates."""
    from .discovery import discover

    if not inputs:
        return None, "no uncertain values were drawn, so there are no conditions to search"
    ok = runs[runs["error"].isna()]
    fails = int((~ok["survived"].astype(bool)).sum())
    said = f"{fails} of {len(ok)} replicates collapsed in the stated ranges"
    data = ok if stress is None else stress[stress["error"].isna()]
    where = "its replicates" if stress is None else (
        f"{len(data)} further runs with the uncertain values over their whole sweep ranges")
    try:
        found = discover(data, outcome="survived", target="collapse", inputs=inputs)
    except UsageError as err:
        return None, f"{said}; too few failures to say where it fails (on {where}): {err}"
    except ValueError as err:  # discovery.sentence writes into a read-only pandas array when no limit is significant
        return None, f"{said}; scenario discovery could not describe where ({type(err).__name__}: {err})"
    found.note = f"{said}; discovery on {where}"
    return found, found.note


# --- text and figures ---------------------------------------------------------------------------

def plan_text(plan: dict) -> str:
    parts = []
    for k, v in plan.items():
        if k == "transition_months" and plan.get("exit_strategy", "phase_over") not in GRADUAL:
            continue
        if isinstance(v, float):
            v = f"{v:.2f}"
        elif isinstance(v, (bool, np.bool_)):
            v = "on" if v else "off"
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def pct(r: dict) -> str:
    return f"{r['survival']:.0%} ({r['survival_lo'] * 100:.0f}-{r['survival_hi']:.0%})"


def points(c: dict) -> str:
    return f"{c['difference'] * 100:+.0f} pts ({c['lo'] * 100:+.0f} to {c['hi'] * 100:+.0f})"


def p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def front_text(front: pd.DataFrame) -> str:
    lines = ["convener-months  survival (95% CI)  replicates  plan"]
    for _, r in front.iterrows():
        plan = {k: r[k] for k in front.columns if k in DEFAULT_LEVERS}
        lines.append(f"{r['convener_months']:15.1f}  {pct(r):17s}  {int(r['replicates']):10d}  {plan_text(plan)}")
    return "\n".join(lines)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        out.append("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    return "\n".join(out)


def front_figure(advice: Advice):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    plans = advice.plans
    colour = [COLOURS.get(s, "#888888") for s in plans["exit_strategy"]] if "exit_strategy" in plans else "#888888"
    ax.scatter(plans["convener_months"], plans["survival"], s=10 + plans["replicates"] / 2, c=colour, alpha=0.5,
               label="evaluated plans (size: replicates)")
    f = advice.front
    ax.plot(f["convener_months"], f["survival"], "-", color="black", lw=1, label="Pareto front")
    r, ref = advice.recommended, advice.reference
    ax.errorbar([r["convener_months"]], [r["survival"]], yerr=[[r["survival"] - r["survival_lo"]],
                [r["survival_hi"] - r["survival"]]], fmt="*", ms=14, color="black", label="recommended")
    ax.errorbar([ref["convener_months"]], [ref["survival"]], yerr=[[ref["survival"] - ref["survival_lo"]],
                [ref["survival_hi"] - ref["survival"]]], fmt="s", ms=7, color="grey", label="current plan")
    if advice.budget is not None:
        ax.axvline(advice.budget, ls="--", color="red", lw=1, label="budget")
    ax.set_xlabel("convener effort (convener-months)")
    ax.set_ylabel("survival (share of replicates)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{advice.scenario}: survival against convener effort")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig
