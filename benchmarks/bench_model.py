"""Model speed: one default run, member-months per second, and scaling with community size,
next to Mesa's own Boltzmann wealth example on the same machine; then programmes of several
communities (issue 12's targets) and how their cost grows with communities.

    python benchmarks/bench_model.py               # everything
    python benchmarks/bench_model.py --programme   # the programme figures only
    python benchmarks/bench_model.py --ratios      # issue 23's ratios to Boltzmann, and the compiled floor
    python benchmarks/bench_model.py --ratios --against /tmp/before/src   # and an earlier tree's, in the same turns
"""

from __future__ import annotations

import statistics
import time

import lcsim

LARGE_MEMBERS, LARGE_TARGET = 2000, 0.5  # a 2,000-member community (72 months) within half a second of CPU


def best_of(fn, repeat: int) -> float:
    """Median CPU time of `repeat` calls, after one warm-up call.

    CPU time rather than wall time, so that other work on a shared machine does not skew the
    ratio between lcsim and the Mesa example measured in the same process.
    """
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def interleaved(fns: list, repeat: int) -> list[float]:
    """Median CPU time of each of `fns`, called in turn `repeat` times after one warm-up call each.

    Taking turns exposes each to the same load from other work on the machine, so their ratio holds
    even when that load changes during the benchmark.
    """
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, spent in zip(fns, times):
            start = time.process_time()
            fn()
            spent.append(time.process_time() - start)
    return [statistics.median(spent) for spent in times]


BOLTZMANN_N, BOLTZMANN_STEPS = 1000, 100


def boltzmann_run() -> None:
    from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth

    model = BoltzmannWealth(scenario=BoltzmannScenario(n=BOLTZMANN_N, width=32, height=32, rng=1))
    for _ in range(BOLTZMANN_STEPS):
        model.step()


def boltzmann_agent_steps_per_second() -> float:
    return BOLTZMANN_N * BOLTZMANN_STEPS / best_of(boltzmann_run, 3)


def organisation_months(result) -> int:
    """Members summed over months and over every community of the run (replicated ones too: a
    run's work includes the communities its members founded)."""
    return int(result.communities["active_members"].sum())


def member_months(params: dict, seeds=range(10)) -> tuple[float, float]:
    """Mean seconds per run over several seeds, and the mean member-months a run simulated
    (active members summed over its months: members who left cost nothing)."""
    work = sum(organisation_months(lcsim.simulate(seed=s, **params)) for s in seeds)
    seconds = best_of(lambda: [lcsim.simulate(seed=s, **params) for s in seeds], 3)
    return seconds / len(seeds), work / len(seeds)


RATIO_RUNS = [  # (label, parameters, target ratio to Boltzmann per member-month; issue 23)
    ("default run (150 members, 72 months)", {}, 5.0),
    ("mexico-csa programme (3 communities of 20)", {"scenario": "mexico-csa"}, 3.0),
]


def load_other(src: str):
    """lcsim from another source tree (e.g. `git worktree add /tmp/before HEAD~3`: /tmp/before/src), imported
    as `lcsim_other` next to this one, so that before and after are timed in turns in one process."""
    import importlib.util
    import sys
    from pathlib import Path

    init = Path(src) / "lcsim" / "__init__.py"
    spec = importlib.util.spec_from_file_location("lcsim_other", init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["lcsim_other"] = module
    spec.loader.exec_module(module)
    return module


def ratios(seeds=range(10), repeat: int = 5, other=None) -> None:
    """Member-months per CPU-second of each run in RATIO_RUNS over Mesa's Boltzmann agent-steps per
    CPU-second, every one timed in turns in this process (issue 23's measure); with `other` (a module
    from `load_other`), its runs too, in the same turns."""
    versions = [("", lcsim)] + ([("other: ", other)] if other is not None else [])
    cases = [(name + label, sim, params, target) for name, sim in versions for label, params, target in RATIO_RUNS]
    work = [sum(organisation_months(sim.simulate(seed=s, **params)) for s in seeds) for _, sim, params, _ in cases]
    fns = [lambda sim=sim, params=params: [sim.simulate(seed=s, **params) for s in seeds]
           for _, sim, params, _ in cases]
    *times, boltzmann_time = interleaved(fns + [boltzmann_run], repeat)
    boltzmann = BOLTZMANN_N * BOLTZMANN_STEPS / boltzmann_time
    print(f"Mesa Boltzmann wealth (1,000 x 100):   {boltzmann:12,.0f} agent-steps per CPU-second")
    for (label, _, _, target), spent, done in zip(cases, times, work):
        rate = done / spent
        ratio = rate / boltzmann
        print(f"{label:51s} {spent / len(seeds) * 1000:7.1f} ms  {rate:12,.0f} member-months/s  "
              f"ratio {ratio:5.2f}x  (target >= {target:.0f}x: {'met' if ratio >= target else 'NOT met'})")


def _kernel_timers():
    """Every compiled kernel the model's modules call (numba dispatchers among their globals), each wrapped to add
    its calls' CPU time to a tally, {name: [calls, calls given a Generator, seconds]}. Returns the tally and a
    function that undoes the wrapping."""
    import sys

    import numpy as np
    from numba.core.dispatcher import Dispatcher

    tally: dict[str, list] = {}
    undo = []
    for module in [m for name, m in list(sys.modules.items()) if name.startswith("lcsim.model") and m is not None]:
        for attr, value in list(vars(module).items()):
            if not isinstance(value, Dispatcher):
                continue
            counts = tally.setdefault(value.py_func.__name__, [0, 0, 0.0])

            def timed(*args, _kernel=value, _counts=counts):
                start = time.process_time()
                out = _kernel(*args)
                _counts[2] += time.process_time() - start
                _counts[0] += 1
                _counts[1] += isinstance(args[0], np.random.Generator)
                return out

            setattr(module, attr, timed)
            undo.append((module, attr, value))
    return tally, lambda: [setattr(module, attr, value) for module, attr, value in undo]


def _crossing_seconds(repeat: int = 20000) -> tuple[float, float]:
    """CPU seconds of one call of a compiled function that does nothing, timed as `_kernel_timers` times: given
    an array, and given a NumPy Generator (numba unboxes a Generator through ctypes: a costlier crossing)."""
    import numpy as np

    from lcsim.model.kernels.compile import njit

    @njit
    def nothing(x):  # pragma: no cover - compiled
        return 0

    costs = []
    for arg in (np.zeros(3), np.random.default_rng(0)):
        nothing(arg)
        spent = 0.0
        for _ in range(repeat):
            start = time.process_time()
            nothing(arg)
            spent += time.process_time() - start
        costs.append(spent / repeat)
    return costs[0], costs[1]


def physical_limit(params: dict | None = None, seeds=range(10)) -> None:
    """How far a run is from the work it does in compiled code (issue 23, item 4).

    Times every compiled kernel's calls during the runs (CPU time, the call included) against the whole run,
    per member-month. The kernels' time less what crossing into compiled code costs (an empty call's time, per
    call) is the floor: the month's arithmetic with no Python around it. The rest of the run is Python: the
    rules' glue between kernels, the records, Mesa's model.
    """
    params = params or {}
    work = sum(organisation_months(lcsim.simulate(seed=s, **params)) for s in seeds)
    tally, undo = _kernel_timers()
    try:
        start = time.process_time()
        for s in seeds:
            lcsim.simulate(seed=s, **params)
        run = time.process_time() - start
    finally:
        undo()
    plain, with_rng = _crossing_seconds()
    calls, rng_calls, inside = (sum(counts[k] for counts in tally.values()) for k in range(3))
    floor = max(inside - plain * (calls - rng_calls) - with_rng * rng_calls, 0.0)
    per, runs = 1e6 / work, len(seeds)
    print(f"physical limit, default run ({work / runs:,.0f} member-months, {calls / runs:,.0f} kernel calls a run):")
    print(f"  whole run (kernels timed):         {run * per:7.3f} us per member-month")
    print(f"  in compiled kernels, calls incl.:  {inside * per:7.3f} us per member-month ({inside / run:.0%} of the "
          "run)")
    print(f"  compiled work alone (the floor):   {floor * per:7.3f} us per member-month; the run is "
          f"{run / floor if floor else float('inf'):.0f}x the floor")
    print(f"  crossing into compiled code:       {plain * 1e6:7.2f} us a call ({with_rng * 1e6:.2f} us given a "
          f"Generator; {rng_calls / runs:.0f} such calls a run)")
    top = sorted(tally.items(), key=lambda item: -item[1][2])[:6]
    print("  kernels by time a run: " + ", ".join(f"{name} {t / runs * 1000:.2f} ms ({c / runs:.0f} calls)"
                                                  for name, (c, _, t) in top))


def main() -> None:
    ratios()
    physical_limit()
    large, _ = member_months({"n_members": LARGE_MEMBERS}, seeds=range(3))
    print(f"{LARGE_MEMBERS:,}-member run (72 months):        {large:8.3f} s    (target < {LARGE_TARGET} s: "
          f"{'met' if large < LARGE_TARGET else 'NOT met'})")
    print("\nscaling with community size (default parameters, 72 months):")
    base = None
    for n in (150, 500, 2000):
        seconds, work = member_months({"n_members": n}, seeds=range(3))
        base = base or seconds / n
        print(f"  n_members={n:5d}: {seconds * 1000:8.1f} ms   {work / seconds:12,.0f} member-months/s   "
              f"time per member vs 150: {seconds / n / base:4.2f}x")


# Programme targets (CPU seconds per 72-month run unless said).
PROGRAMME_TARGETS = [
    ("the mexico-csa programme (3 communities of 20)", {"scenario": "mexico-csa"}, 0.030),
    ("10 communities of 150 organisations", {"n_communities": 10, "replication": 0.0}, 0.5),
    ("replications growing it to 50 communities (40 each, 120 months)",
     {"n_members": 40, "replication": 0.5, "leadership": 0.4, "months": 120, "max_communities": 50}, 2.0),
]


def programme(seeds=range(5)) -> None:
    print("\nprogrammes of several communities:")
    for label, params, target in PROGRAMME_TARGETS:
        kept = [lcsim.simulate(seed=s, **params).summary for s in seeds]
        seconds = best_of(lambda params=params: [lcsim.simulate(seed=s, **params) for s in seeds], 3) / len(seeds)
        ever = sum(k["communities_ever"] for k in kept) / len(kept)
        print(f"  {label:66s} {seconds * 1000:8.1f} ms  ({ever:.1f} communities)  "
              f"target < {target * 1000:.0f} ms: {'met' if seconds < target else 'NOT met'}")
    print("\nscaling with communities (150 organisations each, replication off): time per community")
    base = None
    for n in (1, 3, 10, 30):
        seconds = best_of(lambda n=n: [lcsim.simulate(seed=s, n_communities=n, replication=0.0) for s in range(2)],
                          2) / 2
        base = base or seconds
        print(f"  n_communities={n:3d}: {seconds * 1000:8.1f} ms   per community vs one: {seconds / n / base:4.2f}x")


if __name__ == "__main__":
    import sys

    if "--ratios" in sys.argv:  # --ratios [--against SRC]: with another tree's lcsim timed in the same turns
        ratios(other=load_other(sys.argv[sys.argv.index("--against") + 1]) if "--against" in sys.argv else None)
        physical_limit()
        sys.exit()
    if "--programme" not in sys.argv:
        main()
    programme()
