"""Throughput and client memory of `lcsim sweep`, next to `mesa.batch_run` on the same runs.

    .venv/bin/python benchmarks/bench_sweep.py            # about three minutes on two cores
    .venv/bin/python benchmarks/bench_sweep.py --quick    # smaller, for a smoke test

1. Runs per second, wall clock from the call to the returned table (pool start-up included),
   for `lcsim.sweep` on 1 and 2 workers and `mesa.batch_run` on 1 and 2 processes, on the same
   parameter sets and the same number of runs: the default scenario (72 months, 150 members),
   then a small one (20 members, 12 months) where per-run overhead matters most.
2. The client's peak memory at 1,000 and 10,000 runs of the small scenario (2 workers), each in a
   fresh process: tracemalloc's peak of Python allocations during the sweep (while streaming, and
   including the final table `sweep` returns), and the process's peak resident set size
   (`resource.getrusage(RUSAGE_SELF).ru_maxrss`: the whole client, imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

SMALL = {"n_members": 20, "months": 12, "exit_month": 6, "transition_months": 3}
CONTROLS = [0.1, 0.3, 0.5, 0.7, 0.9]
STRATEGIES = ["stay", "phase_out", "phase_down", "phase_over"]


def experiment(name: str, fixed: dict, replicates: int, controls=CONTROLS, strategies=STRATEGIES) -> dict:
    return {"name": name, "design": "grid", "replicates": replicates, "root_seed": 1, "fixed": dict(fixed),
            "vary": {"control": list(controls), "exit_strategy": list(strategies)}}


def time_sweep(exp: dict, workers: int) -> float:
    import lcsim

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        table = lcsim.sweep(exp, out, workers=workers, progress=False)
        elapsed = time.perf_counter() - start
    assert len(table) == len(exp["vary"]["control"]) * len(exp["vary"]["exit_strategy"]) * exp["replicates"]
    return elapsed


def time_batch_run(exp: dict, processes: int) -> float:
    import lcsim
    from mesa import batch_run

    params = {**exp["fixed"], **exp["vary"]}
    months = exp["fixed"].get("months", lcsim.SCHEMA["months"].default)
    start = time.perf_counter()
    rows = batch_run(lcsim.LearningCommunity, parameters=params, rng=list(range(exp["replicates"])),
                     max_steps=months, number_processes=processes, data_collection_period=-1,
                     display_progress=False)
    elapsed = time.perf_counter() - start
    assert len(rows) == len(exp["vary"]["control"]) * len(exp["vary"]["exit_strategy"]) * exp["replicates"]
    return elapsed


def throughput(label: str, exp: dict, repeats: int) -> dict:
    """Best of `repeats` for each tool and worker count, the tools taking turns (a shared machine is noisy)."""
    runs = len(exp["vary"]["control"]) * len(exp["vary"]["exit_strategy"]) * exp["replicates"]
    print(f"\n{label}: {runs} runs, best of {repeats}", flush=True)
    print(f"  {'':28}{'1 worker':>14}{'2 workers':>14}{'scaling':>10}")
    timers = {"lcsim sweep": time_sweep, "mesa.batch_run": time_batch_run}
    best = {(name, n): 0.0 for name in timers for n in (1, 2)}
    for _ in range(repeats):
        for n in (1, 2):
            for name, timer in timers.items():
                best[name, n] = max(best[name, n], runs / timer(exp, n))
    rates = {}
    for name in timers:
        r1, r2 = rates[name] = best[name, 1], best[name, 2]
        print(f"  {name:28}{r1:10.1f} r/s{r2:10.1f} r/s{r2 / r1:9.2f}x", flush=True)
    (s1, s2), (b1, b2) = rates["lcsim sweep"], rates["mesa.batch_run"]
    print(f"  lcsim sweep / batch_run:    {s1 / b1:10.2f}x    {s2 / b2:10.2f}x")
    return {"runs": runs, "sweep": rates["lcsim sweep"], "batch_run": rates["mesa.batch_run"]}


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
    exp = experiment(f"memory-{runs}", SMALL, runs // 2, controls=[0.25, 0.75], strategies=["phase_out"])
    with tempfile.TemporaryDirectory() as out:
        tracemalloc.start()
        start = time.perf_counter()
        table = lcsim.sweep(exp, out, workers=2, progress=False)
        elapsed = time.perf_counter() - start
        total_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps({"runs": len(table), "seconds": elapsed, "streaming_peak": streaming["peak"],
                      "total_peak": total_peak, "table_bytes": int(table.memory_usage(deep=True).sum()),
                      "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def memory(sizes: list[int]) -> list[dict]:
    print("\nclient memory, small scenario, 2 workers (each size in a fresh process)", flush=True)
    print(f"  {'runs':>7}{'seconds':>9}{'streaming peak':>16}{'with table':>12}{'table':>9}{'peak RSS':>10}")
    found = []
    for runs in sizes:
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(runs)], capture_output=True,
                             text=True, check=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        found.append(m)
        mib = 1024 * 1024
        print(f"  {m['runs']:>7}{m['seconds']:>8.1f}s{m['streaming_peak'] / mib:>13.1f} MiB"
              f"{m['total_peak'] / mib:>8.1f} MiB{m['table_bytes'] / mib:>5.1f} MiB{m['maxrss_kib'] / 1024:>6.0f} MiB",
              flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the script)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args.memory_child)

    import lcsim

    print(f"lcsim {lcsim.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (other work on the machine slows every figure)")
    lcsim.simulate(seed=0, **SMALL)  # warm up: first-call costs belong to neither tool
    repeats = 1 if args.quick else 2
    default = throughput("default scenario (150 members, 72 months)",
                         experiment("bench-default", {}, 2 if args.quick else 10), repeats)
    throughput("small scenario (20 members, 12 months)",
               experiment("bench-small", SMALL, 10 if args.quick else 50), repeats)
    memory([200, 2_000] if args.quick else [1_000, 10_000])
    rate = default["sweep"][1]
    print(f"\nprojection: 10,000 runs of the default scenario take about {10_000 / rate / 60:.0f} min on 2 workers "
          f"here ({10_000 / default['sweep'][0] / 60:.0f} min on 1); throughput grows with workers (local cores or "
          "a Dask cluster) and the client's memory does not grow with the number of runs.")


if __name__ == "__main__":
    main()
