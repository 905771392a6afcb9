"""Throughput and client memory of `lcsim sweep`, next to `mesa.batch_run` on the same runs.

    .venv/bin/python benchmarks/bench_sweep.py            # about three minutes on two cores
    .venv/bin/python benchmarks/bench_sweep.py --quick    # smaller, for a smoke test

1. Runs per second, wall clock from the call to the returned table (pool start-up included),
   for `lcsim.sweep` on 1 and 2 workers and `mesa.batch_run` on 1 and 2 processes, on the same
   parameter sets and the same number of runs: the default scenario (72 months, 150 members),
   then a small one (20 members, 12 months) where per-run overhead matters most. On 1 worker both
   run in this process, so runs per CPU-second of this process are printed too: unlike the wall
   clock, they do not depend on what else the machine is doing.
2. The client's and the workers' peak memory at 1,000 and 10,000 runs of the small scenario (2 workers),
   each in a fresh process: tracemalloc's peak of Python allocations during the sweep (while streaming,
   and including the final table `sweep` returns), the client's peak resident set size
   (`resource.getrusage(RUSAGE_SELF).ru_maxrss`: the whole client, imports included), and the largest
   peak resident set size of any worker process (VmHWM in /proc, Linux only).
3. Runaway runs: the most expensive design point of every shipped experiment (experiments/*.toml; the
   few points with the most member-months, each timed once), against the sweep's per-run time limit.
4. Every batch path against `simulate` in a loop (issue 23: each at least 70% of the loop's runs per CPU-second):
   the same runs (small scenario) through the loop and through the sweep, compare's posterior draws
   (`Executor.run` of `simulate_summary`) and advise's evaluations (`studies.evaluations.Runner`); and
   calibration's path, `calibration.abc.run_abc` (pyabc's ABC-SMC, its candidates through the executor by
   `batches.IndexedSampler`, the default scenario's targets measured), against `simulate` in a loop on exactly
   the runs it made (its values come from the priors). Runs per CPU-second of this process on 1 worker (in this
   process: each path's own overhead), as a ratio to its loop, and runs per wall-second on 2 workers; the paths
   take turns within each repeat.
5. Whether memory stays flat: one sweep of 10,000 short runs (20 members, 12 months) on 2 workers in a fresh
   process, the client's and the workers' resident memory (now, and peak so far) sampled as the 1,000th,
   5,000th and 10,000th results are recorded; flat when no figure grows by more than 10 MiB.

    .venv/bin/python benchmarks/bench_sweep.py --runaway    # only part 3
    .venv/bin/python benchmarks/bench_sweep.py --executor   # only part 4
    .venv/bin/python benchmarks/bench_sweep.py --flat       # only part 5 (about a minute)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SMALL = {"n_members": 20, "months": 12, "exit_month": 6, "transition_months": 3}
CONTROLS = [0.1, 0.3, 0.5, 0.7, 0.9]
STRATEGIES = ["stay", "phase_out", "phase_down", "phase_over"]


def experiment(name: str, fixed: dict, replicates: int, controls=CONTROLS, strategies=STRATEGIES) -> dict:
    return {"name": name, "design": "grid", "replicates": replicates, "root_seed": 1, "fixed": dict(fixed),
            "vary": {"control": list(controls), "exit_strategy": list(strategies)}}


def time_sweep(exp: dict, workers: int) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds of one `lcsim.sweep` into a fresh folder."""
    import lcsim

    with tempfile.TemporaryDirectory() as out:
        wall, cpu = time.perf_counter(), time.process_time()
        table = lcsim.sweep(exp, out, workers=workers, progress=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(table) == runs_of(exp) and table["error"].isna().all()
    return wall, cpu


def time_batch_run(exp: dict, processes: int) -> tuple[float, float]:
    """The same runs through `mesa.batch_run` (its seeds are 0..replicates-1 for every point)."""
    from mesa import batch_run

    import lcsim

    params = {**exp["fixed"], **exp["vary"]}
    months = exp["fixed"].get("months", lcsim.SCHEMA["months"].default)
    wall, cpu = time.perf_counter(), time.process_time()
    rows = batch_run(lcsim.LearningCommunity, parameters=params, rng=list(range(exp["replicates"])),
                     max_steps=months, number_processes=processes, data_collection_period=-1,
                     display_progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(rows) == runs_of(exp)
    return wall, cpu


def runs_of(exp: dict) -> int:
    return len(exp["vary"]["control"]) * len(exp["vary"]["exit_strategy"]) * exp["replicates"]


def throughput(label: str, exp: dict, repeats: int) -> dict:
    """Best of `repeats` for each tool and worker count, the tools taking turns (a shared machine is noisy).

    On 1 worker both tools run in this process, so runs per CPU-second of this process measure the
    work itself, whatever else the machine is doing; on 2 workers only the wall clock can.
    """
    runs = runs_of(exp)
    print(f"\n{label}: {runs} runs, best of {repeats}", flush=True)
    print(f"  {'runs per second':22}{'1 worker':>12}{'(per CPU s)':>13}{'2 workers':>12}{'scaling':>9}")
    timers = {"lcsim sweep": time_sweep, "mesa.batch_run": time_batch_run}
    wall = {(name, n): 0.0 for name in timers for n in (1, 2)}
    cpu = {name: 0.0 for name in timers}
    for _ in range(repeats):
        for n in (1, 2):
            for name, timer in timers.items():
                w, c = timer(exp, n)
                wall[name, n] = max(wall[name, n], runs / w)
                if n == 1:
                    cpu[name] = max(cpu[name], runs / c)
    rates = {}
    for name in timers:
        r1, r2 = wall[name, 1], wall[name, 2]
        rates[name] = (r1, cpu[name], r2)
        print(f"  {name:22}{r1:12.1f}{cpu[name]:13.1f}{r2:12.1f}{r2 / r1:8.2f}x", flush=True)
    s, b = rates["lcsim sweep"], rates["mesa.batch_run"]
    print(f"  {'sweep / batch_run':22}{s[0] / b[0]:11.2f}x{s[1] / b[1]:12.2f}x{s[2] / b[2]:11.2f}x")
    return rates


def memory_child(runs: int) -> None:
    """In a fresh process: one sweep of `runs` small runs on 2 workers; print the client's peaks as JSON."""
    import tracemalloc

    import lcsim
    import lcsim.experiments.runner as runner

    streaming = {}
    real_load = runner.load_results

    def load_and_note(path, **kw):  # the streaming phase ends where the returned table is read
        streaming["peak"] = tracemalloc.get_traced_memory()[1]
        return real_load(path, **kw)

    runner.load_results = load_and_note
    workers_peak = {"kib": 0}
    stop = threading.Event()

    def watch_workers() -> None:  # the workers are the fork server's children: every descendant of this process
        while not stop.is_set():
            workers_peak["kib"] = max(workers_peak["kib"], max((peak_rss_kib(pid) for pid in descendants()),
                                                               default=0))
            stop.wait(0.1)

    watcher = threading.Thread(target=watch_workers, daemon=True)
    watcher.start()
    exp = experiment(f"memory-{runs}", SMALL, runs // 2, controls=[0.25, 0.75], strategies=["phase_out"])
    with tempfile.TemporaryDirectory() as out:
        tracemalloc.start()
        start = time.perf_counter()
        table = lcsim.sweep(exp, out, workers=2, progress=False)
        elapsed = time.perf_counter() - start
        total_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    stop.set()
    watcher.join()
    print(json.dumps({"runs": len(table), "seconds": elapsed, "streaming_peak": streaming["peak"],
                      "total_peak": total_peak, "table_bytes": int(table.memory_usage(deep=True).sum()),
                      "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "worker_peak_kib": workers_peak["kib"]}))


def descendants(root: int | None = None) -> list[int]:
    """Process ids below `root` (this process), from /proc (empty where there is no /proc)."""
    root = root or os.getpid()
    parents = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == pid]
        found += kids
        frontier += kids
    return found


def peak_rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def runaway(top: int = 4) -> dict:
    """Time the costliest design points of the shipped experiments (by member-months, growth included)."""
    from pathlib import Path

    import lcsim
    from lcsim.experiments import TIME_LIMIT, build_design, load_experiment

    folder = Path(__file__).resolve().parents[1] / "experiments"
    candidates = []
    for f in sorted(folder.glob("*.toml")):
        exp = load_experiment(f)
        design = build_design(exp)
        base = exp.base_params
        for point, values in enumerate(design.point_values()):
            p = {**base, **values}
            growth = min(p["max_members"], p["n_members"] * (1 + p["join_rate"]) ** p["months"])
            candidates.append(((p["months"] * p["n_members"], p["months"] * growth), f.stem, point, p, exp.scenario))
    chosen, seen = [], set()
    for key in (0, 1):  # the largest communities over the longest horizons, and the fastest growing ones
        for c in sorted(candidates, key=lambda c: c[0][key], reverse=True):
            sig = json.dumps(c[3], sort_keys=True, default=str)
            if sig not in seen:
                seen.add(sig)
                chosen.append(c)
                if len([x for x in chosen if x[0] is c[0] or True]) >= top * (key + 1):
                    break
    print(f"\nrunaway: {len(chosen)} of the costliest of {len(candidates):,} shipped design points "
          f"(by member-months, and by member-months with growth), each timed once; per-run time limit "
          f"{TIME_LIMIT:g} s", flush=True)
    worst = {"seconds": 0.0}
    for _cost, name, point, p, scenario in chosen:
        start = time.perf_counter()
        result = lcsim.simulate(seed=1, scenario=scenario, **p)
        seconds = time.perf_counter() - start
        print(f"  {name} point {point}: n_members={p['n_members']}, months={p['months']}, "
              f"join_rate={p['join_rate']:g}: {seconds:.1f} s, peak {result.summary['peak_members']} members",
              flush=True)
        if seconds > worst["seconds"]:
            worst = {"seconds": seconds, "experiment": name, "point": point}
    print(f"  costliest: {worst.get('experiment')} point {worst.get('point')} in {worst['seconds']:.1f} s "
          f"({worst['seconds'] / TIME_LIMIT:.1%} of the time limit)")
    return worst


def executor_paths(replicates: int, repeats: int, calibration: tuple[int, int, int] | None = None) -> dict:
    """Part 4: runs per CPU-second (1 worker) and per wall-second (2 workers) of each batch path against a loop.

    The paths take turns within each repeat (best of `repeats`: a shared machine is noisy). Calibration's
    runs are drawn from the priors, so its loop is `simulate` on exactly the runs its ABC-SMC made
    (recorded on 1 worker); `calibration`: (population, generations, replicates per simulation; default 40, 2, 20)."""
    import functools

    import lcsim
    from lcsim.calibration.problem import REPLICATES
    from lcsim.experiments.executor import Executor
    from lcsim.experiments.worker import simulate_summary
    from lcsim.studies.evaluations import Runner

    exp = experiment("bench-executor", SMALL, replicates, strategies=["phase_out"])
    with tempfile.TemporaryDirectory() as out:
        table = lcsim.sweep(exp, out, workers=1, progress=False)
    items = [(int(r.seed), {"control": float(r.control), "exit_strategy": r.exit_strategy})
             for r in table.itertuples()]

    def loop(workers):
        for seed, params in items:
            lcsim.simulate(seed=seed, **SMALL, **params)
        return len(items)

    def sweep(workers):
        with tempfile.TemporaryDirectory() as out:
            return len(lcsim.sweep(exp, out, workers=workers, progress=False))

    def draws(workers):  # compare's posterior draws: keyed runs through Executor.run
        fn = functools.partial(simulate_summary, "default", SMALL)
        with Executor(workers) as ex:
            for _ in ex.run(fn, ((k, item) for k, item in enumerate(items)), chunk_size=16):
                pass
        return len(items)

    def advise(workers):  # advise's evaluations: one plan per control value, replicates on common seeds
        plans = [(i, {"control": c, "exit_strategy": "phase_out"}) for i, c in enumerate(CONTROLS)]
        seeds = [seed for seed, _ in items[:replicates]]
        with Runner("default", SMALL, None, workers, None) as runner:
            runner.run(plans, range_from={}, upto=replicates, draws=[{}] * replicates, seeds=seeds)
        return len(plans) * replicates

    calibrate, recorded, inside = calibration_path(*(calibration := calibration or (40, 2, REPLICATES)))

    def calibration_loop(workers):  # the runs calibration made, through `simulate` in a loop
        for seed, scenario, params, assumptions in recorded:
            lcsim.simulate(seed=seed, scenario=scenario, assumptions=assumptions, **params)
        return len(recorded)

    population, generations, per = calibration
    paths = {"simulate in a loop": (loop, None), "sweep": (sweep, loop), "compare (draws)": (draws, loop),
             "advise (evaluations)": (advise, loop), "simulate, calibration's runs": (calibration_loop, None),
             "calibration (ABC-SMC)": (calibrate, calibration_loop)}
    print(f"\nbatch paths against simulate in a loop: {len(items)} runs of the small scenario through each path "
          f"(calibration: ABC-SMC, population {population}, {generations} generations, {per} runs a simulation "
          f"(`lcsim calibrate`: {REPLICATES}), values from priors), best of {repeats}, the paths in turn", flush=True)
    cpu = {name: 0.0 for name in paths}
    wall = {name: 0.0 for name in paths}
    for _ in range(repeats):
        for name, (path, base) in paths.items():
            start = time.process_time()
            n = path(1)
            cpu[name] = max(cpu[name], n / (time.process_time() - start))
            if base is not None:
                start = time.perf_counter()
                n = path(2)
                wall[name] = max(wall[name], n / (time.perf_counter() - start))
    print(f"  {'path':30}{'runs/CPU s (1 worker)':>23}{'vs its loop':>13}{'runs/s (2 workers)':>20}")
    found = {}
    for name, (_path, base) in paths.items():
        loop_name = next((k for k, (p, _) in paths.items() if p is base), name)
        ratio = cpu[name] / cpu[loop_name]
        found[name] = {"cpu": cpu[name], "ratio": ratio, "wall": wall[name]}
        wall_text = f"{wall[name]:20.1f}" if wall[name] else f"{'-':>20}"
        print(f"  {name:30}{cpu[name]:23.1f}{ratio:12.2f}x{wall_text}", flush=True)
    print(f"  calibration: {len(recorded)} runs; {inside['share']:.0%} of its CPU time inside the model's runs "
          f"(calibration's per-member statistics included), the rest pyabc and the targets' measures")
    slow = [name for name, f in found.items() if f["ratio"] < 0.7]
    print(f"  every path at least 70% of its loop: {'yes' if not slow else 'no (' + ', '.join(slow) + ')'}")
    return found


def calibration_path(population: int, generations: int, per: int):
    """Calibration's batch path (`calibration.abc.run_abc`: pyabc's ABC-SMC, its candidates through the one
    executor by `batches.IndexedSampler`) on the small scenario, measuring the default scenario's targets.

    Returns the path (workers -> runs), the runs of its first call on 1 worker (seed, scenario, parameters,
    assumptions; the same every call: the seed fixes them), and the share of that call's CPU time spent in
    the runs themselves."""
    from lcsim.calibration import abc, problem, targets

    chosen = {k: t for k, t in targets.TARGETS.items() if t.scenario is None}
    cal = problem.model_problem(chosen, fixed=SMALL, replicates=per)
    recorded: list = []
    inside = {"seconds": 0.0, "share": 0.0}
    real = targets.observe

    def recording(seed, scenario="default", params=None, assumptions=None):
        start = time.process_time()
        try:
            return real(seed, scenario, params, assumptions)
        finally:
            inside["seconds"] += time.process_time() - start
            recorded.append((int(seed), scenario, dict(params or {}), dict(assumptions or {})))

    def calibrate(workers):
        record = workers == 1 and not recorded
        with tempfile.TemporaryDirectory() as out:
            if record:
                targets.observe = recording  # ModelSimulator calls it through the module, in this process
            start = time.process_time()
            try:
                post = abc.run_abc(cal, Path(out) / "bench.db", population=population, max_populations=generations,
                                   min_acceptance=0.2, workers=workers)  # at most population / 0.2 a generation
            finally:
                targets.observe = real
        if record:
            inside["share"] = inside["seconds"] / (time.process_time() - start)
        return post.info["simulations"] * post.info["runs_per_simulation"]

    calibrate(1)  # records the runs (and pays pyabc's first-call costs outside the timings)
    return calibrate, recorded, inside


def flat_child(runs: int, checkpoints: list[int]) -> None:
    """In a fresh process: one sweep of `runs` short runs on 2 workers; at each checkpoint (runs recorded) the
    client's and the workers' resident memory now and at their peak; printed as JSON."""
    import lcsim
    import lcsim.experiments.runner as runner

    seen = []
    real_record = runner._Stream.record

    def record_and_sample(stream, done):
        real_record(stream, done)
        while len(seen) < len(checkpoints) and stream.ran >= checkpoints[len(seen)]:
            workers = descendants()
            seen.append({"runs": stream.ran, "client_rss": rss_kib(os.getpid(), "VmRSS:"),
                         "client_peak": rss_kib(os.getpid(), "VmHWM:"),
                         "worker_rss": max((rss_kib(p, "VmRSS:") for p in workers), default=0),
                         "worker_peak": max((rss_kib(p, "VmHWM:") for p in workers), default=0)})

    runner._Stream.record = record_and_sample
    exp = experiment(f"flat-{runs}", SMALL, runs // 2, controls=[0.25, 0.75], strategies=["phase_out"])
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        table = lcsim.sweep(exp, out, workers=2, progress=False)
        elapsed = time.perf_counter() - start
    print(json.dumps({"runs": len(table), "seconds": elapsed, "checkpoints": seen}))


def rss_kib(pid: int, field: str) -> int:
    """A process's resident memory now (VmRSS) or at its peak (VmHWM), from /proc (0 where there is none)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def flat_memory(runs: int = 10_000, checkpoints: tuple[int, ...] = (1_000, 5_000, 10_000),
                allowance_mib: float = 10.0) -> dict:
    """Part 5: whether a sweep's memory stays flat in the number of runs: one sweep of `runs` short runs
    (20 members, 12 months) on 2 workers in a fresh process, the client's and the workers' resident memory
    (now, and peak so far) sampled as the results of the checkpoint runs are recorded. Flat: no figure grows by
    more than `allowance_mib` from the first checkpoint to the last."""
    print(f"\nmemory over one sweep of {runs:,} runs (20 members, 12 months, 2 workers, a fresh process), "
          "resident MiB now / peak so far", flush=True)
    out = subprocess.run([sys.executable, __file__, "--flat-child", str(runs), *map(str, checkpoints)],
                         capture_output=True, text=True, check=True).stdout
    m = json.loads(out.strip().splitlines()[-1])
    print(f"  {'runs':>7}{'client now':>12}{'client peak':>13}{'worker now':>12}{'worker peak':>13}")
    for c in m["checkpoints"]:
        print(f"  {c['runs']:>7,}{c['client_rss'] / 1024:>12.1f}{c['client_peak'] / 1024:>13.1f}"
              f"{c['worker_rss'] / 1024:>12.1f}{c['worker_peak'] / 1024:>13.1f}")
    first, last = m["checkpoints"][0], m["checkpoints"][-1]
    growth = {k: (last[k] - first[k]) / 1024 for k in ("client_rss", "client_peak", "worker_rss", "worker_peak")}
    flat = all(g <= allowance_mib for g in growth.values())
    print(f"  {m['runs']:,} runs in {m['seconds']:.0f} s; from {first['runs']:,} to {last['runs']:,} runs: client "
          f"{growth['client_rss']:+.1f} MiB now, {growth['client_peak']:+.1f} peak; workers "
          f"{growth['worker_rss']:+.1f} now, {growth['worker_peak']:+.1f} peak: memory "
          f"{'flat' if flat else 'GROWS'} (allowance {allowance_mib:g} MiB)", flush=True)
    return {**m, "growth_mib": growth, "flat": flat}


def memory(sizes: list[int]) -> list[dict]:
    print("\nclient memory, small scenario, 2 workers (each size in a fresh process)", flush=True)
    print(f"  {'runs':>7}{'seconds':>9}{'streaming peak':>16}{'with table':>12}{'table':>9}{'peak RSS':>10}"
          f"{'worker RSS':>12}")
    found = []
    for runs in sizes:
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(runs)], capture_output=True,
                             text=True, check=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        found.append(m)
        mib = 1024 * 1024
        print(f"  {m['runs']:>7}{m['seconds']:>8.1f}s{m['streaming_peak'] / mib:>13.1f} MiB"
              f"{m['total_peak'] / mib:>8.1f} MiB{m['table_bytes'] / mib:>5.1f} MiB{m['maxrss_kib'] / 1024:>6.0f} MiB"
              f"{m['worker_peak_kib'] / 1024:>8.0f} MiB",
              flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the script)")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many timings (default: 2)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--flat-child", type=int, nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--flat", action="store_true", help="only whether memory stays flat over 10,000 runs (part 5)")
    parser.add_argument("--memory", action="store_true", help="only the memory figures (part 2)")
    parser.add_argument("--runaway", action="store_true", help="only the costliest shipped design points (part 3)")
    parser.add_argument("--executor", action="store_true", help="only the executor's paths against a loop (part 4)")
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.memory_child)
    if args.flat_child:
        return flat_child(args.flat_child[0], args.flat_child[1:])
    if args.flat:
        flat_memory(*((2_000, (200, 1_000, 2_000)) if args.quick else ()))
        return None
    if args.runaway:
        runaway()
        return None
    if args.memory:
        memory([200, 2_000] if args.quick else [1_000, 10_000])
        return None
    if args.executor:
        import lcsim

        lcsim.simulate(seed=0, **SMALL)  # warm up
        executor_paths(20 if args.quick else 100, 1 if args.quick else args.repeats,
                       (20, 2, 10) if args.quick else None)
        return None

    import lcsim

    print(f"lcsim {lcsim.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    lcsim.simulate(seed=0, **SMALL)  # warm up: first-call costs belong to neither tool
    repeats = 1 if args.quick else args.repeats
    default = throughput("default scenario (150 members, 72 months)",
                         experiment("bench-default", {}, 2 if args.quick else 10), repeats)
    throughput("small scenario (20 members, 12 months)",
               experiment("bench-small", SMALL, 10 if args.quick else 50), repeats)
    found = memory([200, 2_000] if args.quick else [1_000, 10_000])
    one, _, two = default["lcsim sweep"]
    print(f"\nprojection: 10,000 runs of the default scenario take about {10_000 / two / 60:.0f} min on 2 workers "
          f"here ({10_000 / one / 60:.0f} min on 1)")
    grew = (found[-1]["streaming_peak"] - found[0]["streaming_peak"]) / 2**20
    print(f"client memory while streaming: {grew:+.1f} MiB from {found[0]['runs']:,} to {found[-1]['runs']:,} runs")
    runaway()
    executor_paths(20 if args.quick else 100, repeats, (20, 2, 10) if args.quick else None)
    flat_memory(*((2_000, (200, 1_000, 2_000)) if args.quick else ()))


if __name__ == "__main__":
    main()
