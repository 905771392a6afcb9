"""Advice for a programme designer: which exit plan gives this community the best chance, at what effort?

`advise(scenario, levers=..., overrides=..., budget=...)` searches the plans a designer controls (the
levers: by default `exit_strategy`, `exit_month`, `transition_months`, `control`, `digital_channel`)
for the one with the highest survival, and reports it against the scenario's current plan. Among the finalists
the runs cannot tell apart from the one of highest survival (paired on common replicates), the one that costs the
convener least is recommended (`evaluations.cheapest_alike`: the one-standard-error rule's spirit), and the advice
says so.

How it works
- *Plan space*: each lever's schema sweep range (`exit_strategy` without `stay`, which never leaves:
  `stay` is not an exit plan); `exit_month` at most `months`; `transition_months` at most `exit_month`
  (it only matters for the gradual strategies).
- *The described community, and what is uncertain about it*: every other parameter is the scenario's
  (then `overrides`). What is uncertain is `lcsim.studies.uncertainty`, as in `compare`: the values the
  calibration treats as uncertain, drawn per world from the shipped posterior (with the values it leaves
  free over their plausible ranges); with no posterior fitted for these rules, fixed values by default
  (`fixed_values=False` draws them over their plausible ranges); a value `overrides` sets, and the levers,
  are never drawn. `Advice.uncertainty_note` says which in one sentence. A *world* is one draw, run on
  `seeds_per_world` seeds
  (replicate r in world r % worlds), so a plan's survival in each world is a share, from which the
  robustness table is computed (`lcsim.analysis.robustness`: mean, satisficing share at `threshold`,
  regret, how often best), and which drawn values carry the decision (`Advice.decisive_values`: the rank
  correlation of each with the recommended plan's survival minus its runner-up's, per world).
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
- *Runs*: each batch of runs goes through the one executor (`lcsim.experiments.executor`: every core,
  or Dask with `scheduler=`), in chunks; a worker that dies costs nothing (its runs are retried), so
  the advice is the same as an uninterrupted one. A replicate's uncertain draw differs between
  replicates, which the sweep's experiment format cannot express, so the runs are not a sweep folder;
  instead, with `out=`, every finished (plan, replicate) summary is kept in
  `out/evaluations/<hash>.parquet` (the hash of the inputs: scenario, parameters, levers, uncertain
  ranges, seed, budget, replicates, stress runs; rewritten atomically every few seconds while runs come
  back), and a rerun with the same inputs reads them back instead of running them again (resume).
  `out/advise.json` records the configuration: another configuration in the same folder is refused in
  one line naming the difference, unless `fresh=True` (`--fresh`), which deletes the earlier advice
  first. `Advice.runs` holds every run and `write()` saves it.
- *Seeds*: everything random derives from `seed`: the replicates' seeds (SeedSequence), the uncertain
  draws and NSGA-II's start (Latin hypercubes), NSGA-II itself, and the CART tree of the discovery; the
  same arguments write the same `advice.md`.
- *Outputs*: the recommended plan with its survival (95% Wilson interval) and convener-months; the
  gain over the current plan (paired difference on common replicates with a 95% interval and
  McNemar's exact test); the runners-up, each compared pairwise with the recommended; the Pareto
  front of survival against convener effort over every evaluated plan (figure); and where the
  recommended plan fails (scenario discovery on `stress` further runs of it with every uncertain value
  not fixed by the user over its plausible range).
  `Advice.to_html()` is one self-contained page (figures inlined as base64 PNG, no links);
  `to_html(heading=False)` is its `<section>` alone, for embedding in another page.

`evaluate=` replaces the simulation (tests: a toy objective with a known optimum): a callable taking a
list of `(run_id, seed, params)` and returning one summary dict (with `survived` and
`convener_months`) per task, or None for a failed run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..analysis.robustness import THRESHOLD, robustness
from ..errors import UsageError
from ..parameters import SCHEMA, check_params
from .advice import Advice, front_figure
from .evaluations import Cache, Runner, cheapest_alike, paired, pareto, rank, summary
from .fair import resolved_follow_up
from .plans import (
    DEFAULT_LEVERS,
    TRIGGER_LEVERS,
    checked_levers,
    nsga2,
    plan_space,
    uncertain_draws,
    uncertain_ranges,
)
from .uncertainty import decisive

CANDIDATES = 48
FINALISTS = 4
REPLICATES = 160  # replicates of each finalist (and of the current plan)
STRESS = 200  # runs of the recommended plan over the uncertain values' plausible ranges, for discovery
GENERATIONS = 3  # NSGA-II generations (population: the second rung's plans, candidates / 2)
SEEDS_PER_WORLD = 10  # replicates per uncertain draw: a plan's survival in one world is then a share, not 0/1

Evaluate = Callable[[list], list]

# --- the search ---------------------------------------------------------------------------------

def advise(scenario: str = "default", levers=DEFAULT_LEVERS, overrides: dict | None = None,
           budget: float | None = None, replicates: int = REPLICATES, candidates: int = CANDIDATES,
           finalists: int = FINALISTS, uncertain=None, seed: int = 0, workers: int | None = None,
           scheduler=None, evaluate: Evaluate | None = None, discover: bool = True, stress: int = STRESS,
           progress: bool = False, generations: int = GENERATIONS, out=None, fresh: bool = False,
           follow_up: int | None = None, threshold: float = THRESHOLD,
           seeds_per_world: int = SEEDS_PER_WORLD, fixed_values: bool | None = None, posterior=None) -> Advice:
    """Search the levers' plan space for the plan with the best survival; see the module's docstring.

    `overrides`: parameters the designer fixes (a lever set here is the current plan's value).
    `uncertain`: None (what `lcsim.studies.uncertainty` says, with `fixed_values` and `posterior` as in
    `compare`), names of the uncertain values to draw (the others fixed), or a dict parameter -> (low, high)
    drawn uniformly (`{}`: none). `follow_up`: survival is read this many months after each plan's own exit
    (`lcsim.studies.fair`; default `FOLLOW_UP`, 36, or what a `months` override implies). `threshold`: the
    survival a world must reach to count as satisficing (`lcsim.analysis.robustness`). `seeds_per_world`: a
    world is one draw of the uncertain values; replicate r runs in world r % (replicates // seeds_per_world), so
    the first replicates (the early rungs) still see distinct worlds and the finalists see each world this often.
    Raises a one-line `UsageError`/`ParameterError` on bad input.
    """
    from ..scenarios import describe, scenario_params

    levers = checked_levers(levers)
    overrides = dict(overrides or {})
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or not 0 < budget < math.inf):
        raise UsageError(f"budget {budget!r}: expected a number of convener-months > 0")
    for name, value, low in (("replicates", replicates, 4), ("candidates", candidates, 2),
                             ("finalists", finalists, 1), ("generations", generations, 1),
                             ("seeds_per_world", seeds_per_world, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UsageError(f"{name} {value!r}: expected an integer >= {low}")
    if finalists > candidates:
        raise UsageError(f"finalists {finalists} is more than candidates {candidates}")
    from ..values import check_seed

    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise UsageError(f"threshold {threshold!r}: expected a survival between 0 and 1")
    seed = check_seed(seed)  # a negative or oversized seed: one line, before any work (the one seed check)
    describe(scenario)
    base = check_params({k: v for k, v in overrides.items() if not k.startswith("assumptions.")},
                        scenario_params(scenario))
    assumed = {k: v for k, v in overrides.items() if k.startswith("assumptions.")}
    follow_up = resolved_follow_up(follow_up, overrides, base)
    space = plan_space(levers, base)
    from .uncertainty import uncertainty

    if isinstance(uncertain, dict):  # explicit ranges: uniform, as given
        ranges, unc = uncertain_ranges(uncertain), None
    else:
        unc = uncertainty(scenario, overrides, fixed_values, posterior, names=uncertain, exclude=levers)
        ranges = unc.ranges()
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
    worlds = max(1, replicates // seeds_per_world)
    world_draws = uncertain_draws(ranges, worlds, seed) if unc is None else unc.draws(worlds, seed).to_dict("records")
    values = {"source": "ranges given", "ranges": ranges} if unc is None else unc.identity()
    draws = [world_draws[r % worlds] for r in range(replicates)]
    seeds = [int(np.random.SeedSequence(seed, spawn_key=(r,)).generate_state(1)[0]) for r in range(replicates)]

    if out is not None:
        claim(out, {"scenario": scenario, "levers": list(levers), "overrides": overrides, "budget": budget,
                    "replicates": replicates, "candidates": candidates, "finalists": finalists,
                    "uncertain": {k: list(v) for k, v in ranges.items()}, "values": values["source"], "seed": seed,
                    "discover": discover,
                    "stress": stress, "generations": generations, "follow_up": follow_up,
                    "seeds_per_world": seeds_per_world}, fresh)
    cache = Cache(out, {"scenario": scenario, "base": base, "assumed": assumed, "overrides": overrides,
                         "levers": levers, "uncertain": ranges, "values": values, "seed": seed, "budget": budget,
                         "replicates": replicates, "stress": stress if discover else 0, "follow_up": follow_up,
                         "seeds_per_world": seeds_per_world})
    plans = [current]
    runner = Runner(scenario, {**base, **assumed}, evaluate, workers, scheduler, cache, follow_up)
    with runner:
        done: dict[int, int] = {}  # plan index -> replicates run so far
        # rung 0: NSGA-II proposes the plans, each evaluated at the first rung's replicates (CRN)
        pop_size = max(4, schedule[1] if len(schedule) > 1 else schedule[0])
        final, generations_run = nsga2(space, base, plans, runner, done, reps[0], draws, seeds, budget,
                                        pop_size, generations, seed)
        rungs = [(len(done), reps[0])]
        # successive halving on every plan NSGA-II evaluated (its final population, the current plan, and
        # the plans it dropped: at the first rung's few replicates a good plan can lose by bad luck, and
        # the halving's rank is the better judge)
        alive = rank(runner.estimates(plans, done).loc[sorted({*final, 0, *done})], budget)
        for k in range(1, len(schedule)):
            alive = alive[:schedule[k]]
            want = reps[k]
            runner.run([(i, plans[i]) for i in alive], range_from=done, upto=want, draws=draws, seeds=seeds)
            for i in alive:
                done[i] = want
            rungs.append((len(alive), want))
            alive = rank(runner.estimates(plans, done).loc[alive], budget)
        finals = alive[:schedule[-1]]
        ref_index = 0  # the current plan is plan 0; make sure it has the full replicates
        if done.get(ref_index, 0) < replicates:
            runner.run([(ref_index, plans[ref_index])], range_from=done, upto=replicates, draws=draws, seeds=seeds)
            done[ref_index] = replicates
        table = runner.estimates(plans, done)
        if ref_index not in finals:  # the current plan, now on the finalists' replicates, competes with them
            finals = rank(table.loc[[*finals, ref_index]], budget)
        top = finals[0]  # the highest survival (within budget)
        runs = runner.frame()  # every run so far; the stress runs below are kept apart
        finals = cheapest_alike(runs, table, finals)
        best = finals[0]
        stress_runs = None
        wide = (uncertainty(scenario, overrides, names=uncertain, exclude=levers, wide=True) if unc is not None
                else None)
        inputs = list(ranges) if unc is None else wide.names
        if discover and stress and inputs:  # the recommended plan over the uncertain values' plausible ranges
            wide_draws = (uncertain_draws({k: tuple(SCHEMA[k].sweep) for k in ranges}, stress, seed + 1)
                          if unc is None else wide.draws(stress, seed + 1).to_dict("records"))
            stress_seeds = [int(np.random.SeedSequence(seed, spawn_key=(1, r)).generate_state(1)[0])
                            for r in range(stress)]
            before = len(runner.rows)
            runner.run([(best, plans[best])], range_from={}, upto=stress, draws=wide_draws, seeds=stress_seeds,
                       tag="s")
            stress_runs = pd.DataFrame(runner.rows[before:])
            runner.rows = runner.rows[:before]


    rec = summary(table, best, plans)
    ref = summary(table, ref_index, plans)
    gain = paired(runs, best, ref_index)
    gain["effort_difference"] = rec["convener_months"] - ref["convener_months"]
    runners = []
    for i in finals[1:4]:
        u = summary(table, i, plans)
        u["versus"] = paired(runs, i, best)
        runners.append(u)
    front = pareto(table, levers)
    # robustness over the worlds every finalist and the current plan ran: survival per world, a share of its seeds
    compared = list(dict.fromkeys([*finals, ref_index]))
    ok = runs[runs["error"].isna() & runs["plan"].isin(compared) & (runs["replicate"] < replicates)]
    ok = ok.assign(world=ok["replicate"] % worlds, survived=ok["survived"].astype(float))
    per_world = ok.pivot_table(index="plan", columns="world", values="survived", aggfunc="mean").dropna(axis=1)
    robust = robustness(per_world.loc[compared].astype(float).to_numpy(), plans=compared, threshold=threshold)
    rival = finals[1] if len(finals) > 1 else ref_index  # the runner-up (else the current plan)
    decisive_values = decisive(pd.DataFrame(world_draws), per_world.loc[best] - per_world.loc[rival]) \
        if rival != best and ranges else decisive(pd.DataFrame(), pd.Series(dtype=float))
    failure, note = None, ""
    if discover:
        failure, note = _failure(runs[runs["plan"] == best], stress_runs, inputs, seed)
    else:
        note = "not searched (discover=False)"
    advice = Advice(scenario=scenario, levers=levers, budget=budget, uncertain=ranges, recommended=rec,
                    reference=ref, gain=gain, runners_up=runners, front=front, plans=table.reset_index(),
                    runs=runs, failure=failure, failure_note=note,
                    evaluations=len(runs) + (0 if stress_runs is None else len(stress_runs)), rungs=rungs,
                    stress_runs=stress_runs, generations=generations_run, pop_size=pop_size,
                    reused=runner.reused, robustness=robust, follow_up=follow_up, threshold=threshold,
                    seeds_per_world=seeds_per_world, drawn=unc is None or unc.drawn, top_index=int(top),
                    trigger_note=trigger_timing(runs[runs["plan"] == best], plans[best], base),
                    uncertainty_note=unc.sentence() if unc is not None else (
                        f"Uncertain values as given: {len(ranges)} drawn uniformly per world."),
                    decisive_values=decisive_values)
    with runner:  # the evidence behind the recommendation: each mechanism it uses off, on its worlds (studies.evidence)
        from .evidence import gather

        advice.evidence = gather(runner, plans[best], {**base, **assumed}, runs, best, draws, seeds, replicates)
        advice.evaluations, advice.reused = advice.evaluations + advice.evidence.runs, runner.reused
        advice.meeting_interval = int(base["meeting_interval"])  # near-duplicate exit months (Advice.merged)
    advice.figures = {"front.png": front_figure(advice)}
    return advice


def left_month(exit_strategy: str, transition_months: int, convener_months: float) -> float:
    """The month the convener was fully gone in a run, from its convener-months (full intensity until the
    transition; a taper of T months costs T / 2): how the advice tells when a trigger fired."""
    taper = transition_months / 2 if exit_strategy == "phase_down" else 0.0
    return convener_months + 1 + taper


def trigger_timing(runs: pd.DataFrame, plan: dict, base: dict) -> str:
    """When a trigger plan's signpost held in its runs: how often before the backstop, and the median month."""
    p = {**base, **plan}
    if p.get("exit_trigger", "none") == "none" or runs.empty:
        return ""
    ok = runs[runs["error"].isna()]
    left = np.array([left_month(p["exit_strategy"], int(p["transition_months"]), float(c))
                     for c in ok["convener_months"]])
    fired = left < int(p["exit_month"]) - 0.5
    if not fired.any():
        return (f"In the {len(ok)} simulated communities the signpost never held before month {int(p['exit_month'])}: "
                "the backstop decided every exit.")
    return (f"In the {len(ok)} simulated communities the signpost held before the backstop in {fired.mean():.0%} "
            f"of them (the convener gone at month {np.median(left[fired]):.0f} on median when it did); in the rest "
            f"the backstop, month {int(p['exit_month'])}, decided.")


def _failure(runs: pd.DataFrame, stress: pd.DataFrame | None, inputs: list[str], seed: int):
    """Scenario discovery of the recommended plan's collapses: on its stress runs (the uncertain values over
    their plausible ranges) when there are some, else on its replicates."""
    from ..analysis.discovery import discover

    if not inputs:
        return None, "no uncertain values were drawn, so there are no conditions to search"
    ok = runs[runs["error"].isna()]
    fails = int((~ok["survived"].astype(bool)).sum())
    said = f"{fails} of {len(ok)} replicates collapsed in the stated ranges"
    data = ok if stress is None else stress[stress["error"].isna()]
    where = "its replicates" if stress is None else (
        f"{len(data)} further runs with the uncertain values over their plausible ranges")
    try:
        found = discover(data, outcome="survived", target="collapse", inputs=inputs, seed=seed)
    except UsageError as err:
        return None, f"{said}; too few failures to say where it fails (on {where}): {err}"
    except ValueError as err:  # discovery.sentence writes into a read-only pandas array when no limit is significant
        return None, f"{said}; scenario discovery could not describe where ({type(err).__name__}: {err})"
    found.note = f"{said}; discovery on {where}"
    return found, found.note



def advise_folder(scenario: str, overrides: dict | None = None, **settings):
    """The folder `lcsim advise` and `lcsim report --advise` keep one configuration's advice and evaluations in:
    out/advise/NAME for the scenario as it is with the default settings, else out/advise/NAME-<hash of the
    overrides and the settings that differ from advise's defaults>, so the same configuration always finds its
    stored evaluations and another one never collides with them. `settings`: advise's keyword arguments."""
    import hashlib
    import inspect
    import json
    from pathlib import Path

    defaults = {k: v.default for k, v in inspect.signature(advise).parameters.items()}
    changed = {k: (list(checked_levers(v)) if k == "levers" else v) for k, v in settings.items()
               if v is not None and v != defaults.get(k) and k not in ("workers", "scheduler", "progress", "fresh")}
    if changed.get("levers") == list(DEFAULT_LEVERS):
        del changed["levers"]
    if overrides:
        changed["overrides"] = dict(overrides)
    from ..scenarios import label

    name = label(scenario)
    if not changed:
        return Path("out") / "advise" / name
    digest = hashlib.sha256(json.dumps(changed, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return Path("out") / "advise" / f"{name}-{digest}"


STAMP = "advise.json"  # the configuration whose advice the folder holds
OUTPUTS = ("advice.md", "advice.html", "plans.csv", "front.csv", "runs.csv", "stress_runs.csv", "front.png",
           "robustness.csv", "evidence.csv")


def claim(out, config: dict, fresh: bool) -> None:
    """Make `out` this configuration's folder: refuse (one line naming the first difference) a folder that
    holds another configuration's advice, unless `fresh`, which deletes that advice and its evaluations."""
    import json
    import shutil
    from pathlib import Path

    from ..experiments.store import atomic_write
    from ..output import usable_folder

    folder = usable_folder(Path(out))
    stamp = folder / STAMP
    config = json.loads(json.dumps(config, sort_keys=True, default=str))
    if stamp.exists() and not fresh:
        try:
            old = json.loads(stamp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UsageError(f"--out {folder}: {STAMP} is damaged; use --fresh to start over") from None
        if old != config:
            key = next(k for k in [*config, *old] if old.get(k) != config.get(k))
            raise UsageError(f"--out {folder} holds the advice of another configuration ({key} "
                             f"{json.dumps(old.get(key))} there, {json.dumps(config.get(key))} here); give another "
                             "--out, or --fresh to replace it")
    if fresh:
        for name in (*OUTPUTS, STAMP):
            (folder / name).unlink(missing_ok=True)
        for name in ("evaluations", "failure"):
            shutil.rmtree(folder / name, ignore_errors=True)
    text = json.dumps(config, sort_keys=True, indent=1)
    atomic_write(stamp, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


__all__ = ["Advice", "advise", "advise_folder", "paired", "pareto", "DEFAULT_LEVERS", "TRIGGER_LEVERS"]
