"""`lcsim.sweep`: run an experiment on this process, all local cores, or a Dask cluster, streaming to disk.

Runs travel to workers in chunks (a task runs several runs) and at most a few chunks per
worker are in flight, so the client holds only the runs not yet written: its memory stays
flat however many runs the experiment has.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import multiprocessing as mp
import os
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..parameters import SCHEMA
from .design import COMMON_SEED_RULE, RUN_ID, SEED_RULE, Design, build_design, runs
from .experiment import Experiment, ExperimentError, load_experiment
from .store import DESIGN_FILE, IDENTITY, MONTHLY, RUNS, SweepError, SweepFolder, finished_run_ids, load_results
from .worker import lcsim_version, one_line, run_chunk, watch_client

DEFAULT_ROOT = Path("out") / "sweeps"
MAX_CHUNK = 32  # runs per task: enough to hide a task's overhead, few enough for a smooth progress bar
IN_FLIGHT = 2  # chunks queued per worker, so no worker waits for the client
CONNECT_TIMEOUT = "10s"  # to reach a Dask scheduler
RESERVED = {*IDENTITY, *SCHEMA, "error"}


def default_out(exp: Experiment) -> Path:
    return DEFAULT_ROOT / exp.name


def sweep(experiment, out=None, *, workers: int | None = None, scheduler=None, monthly: bool = False,
          progress: bool = True, chunk_size: int | None = None, flush_seconds: float = 2.0,
          overrides: dict | None = None) -> pd.DataFrame:
    """Run every run of `experiment` not yet in `out`, and return the table of all finished runs.

    `experiment`: a TOML path, a dict of the same shape, or an `Experiment`. `out`: the output
    folder (default `out/sweeps/<name>`); an existing folder of the same experiment is resumed.
    `workers`: local processes (default: every core; 1 runs in this process). `scheduler`: a Dask
    scheduler address (or a `distributed.Client`) to run on a cluster instead. `monthly`: also write
    each run's monthly table. `overrides`: parameter values added to the experiment's [fixed].
    Bad experiments raise `ExperimentError` (a `lcsim.ParameterError`) before anything is written.
    """
    exp = load_experiment(experiment, overrides)
    design = build_design(exp)
    _check_executor_options(workers, scheduler, chunk_size, flush_seconds)
    folder = SweepFolder(Path(out) if out is not None else default_out(exp), flush_seconds=flush_seconds)
    manifest = build_manifest(exp, design, monthly)
    resumable = folder.check(manifest) is not None  # refuse a foreign folder before connecting to anything
    if resumable and len(finished_run_ids(folder.path)) == exp.runs:
        workers, scheduler = 1, None  # nothing left to run: start no pool, reach no cluster
    started = time.perf_counter()
    with open_pool(workers, scheduler) as pool:
        folder.open(manifest, design.table)
        resumed = len(folder.done)
        status = None
        try:
            ran = _stream(exp, design, folder, pool, monthly, progress, chunk_size)
            folder.flush()
            status = {"designed": exp.runs, "finished": folder.finished, "failed": folder.failed,
                      "complete": folder.finished == exp.runs,
                      "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        finally:
            folder.close(status)
    results = load_results(folder.path)
    if progress:
        print(f"{exp.name}: {ran} runs ran, {resumed} resumed, {folder.failed} failed "
              f"({len(results)} of {exp.runs} designed runs done) in {time.perf_counter() - started:.1f} s "
              f"on {pool.label}; results in {folder.path}", file=sys.stderr)
    return results


def _stream(exp: Experiment, design: Design, folder: SweepFolder, pool, monthly: bool, progress: bool,
            chunk_size: int | None) -> int:
    """Submit the missing runs chunk by chunk, write results as they come; return how many ran."""
    from tqdm import tqdm

    points = design.point_values()
    base = exp.base_params
    missing = exp.runs - len(folder.done)
    todo = (run for run in runs(exp, len(points)) if run[0] not in folder.done)  # lazy: memory stays flat
    size = chunk_size or (1 if pool.in_process else max(1, min(MAX_CHUNK, missing // (pool.capacity * 8))))
    inflight: dict[cf.Future, list] = {}

    def submit_next() -> None:
        chunk = list(itertools.islice(todo, size))
        if chunk:
            tasks = [(rid, seed, points[point]) for rid, point, _, seed in chunk]
            inflight[pool.executor.submit(run_chunk, exp.scenario, base, tasks, monthly)] = chunk

    ran = failed = 0
    with tqdm(total=exp.runs, initial=len(folder.done), desc=exp.name, unit="run", file=sys.stderr,
              disable=not progress, mininterval=0.5, smoothing=0.05) as bar:
        for _ in range(pool.capacity * IN_FLIGHT):
            submit_next()
        while inflight:
            finished, _ = cf.wait(inflight, timeout=folder.flush_seconds, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                chunk = inflight.pop(future)
                try:
                    results = future.result()
                except Exception as err:  # the executor failed (a worker died, the cluster went away), not a run
                    if pool.in_process:
                        raise
                    raise SweepError(f"a task failed on {pool.label} ({one_line(err)}); finished runs are saved: "
                                     "rerun the same command to resume") from err
                rows, tables = [], []
                for (rid, point, replicate, seed), (_, summary, error, monthly_table) in zip(chunk, results):
                    row = {"run_id": rid, "point": point, "replicate": replicate, "seed": seed, **base, **points[point]}
                    for key, value in (summary or {}).items():
                        row[key if key not in RESERVED else f"summary_{key}"] = value  # never shadow a parameter
                    row["error"] = error
                    rows.append(row)
                    failed += error is not None
                    if monthly_table is not None:
                        tables.append(monthly_table.assign(run_id=rid, point=point, replicate=replicate)
                                      [["run_id", "point", "replicate", *monthly_table.columns]])
                folder.add(rows, tables)
                ran += len(rows)
                bar.update(len(rows))
                if failed:
                    bar.set_postfix(failed=failed, refresh=False)
                submit_next()
            folder.tick()
    return ran


@dataclass
class Pool:
    executor: cf.Executor
    capacity: int  # runs that can execute at once
    label: str
    in_process: bool = False


class InProcess(cf.Executor):
    """Runs each task at submit time in this process (workers=1): no pickling, and tests can patch it."""

    def submit(self, fn, /, *args, **kwargs):
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


def _check_executor_options(workers, scheduler, chunk_size, flush_seconds) -> None:
    if scheduler is not None and workers is not None:
        raise SweepError("--workers does not apply with --scheduler: the cluster's workers run the sweep")
    for name, value in (("workers", workers), ("chunk_size", chunk_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SweepError(f"{name}: {value!r} is not allowed; expected an integer >= 1")
    if not flush_seconds > 0:
        raise SweepError(f"flush_seconds: {flush_seconds!r} is not allowed; expected a number of seconds > 0")


@contextmanager
def open_pool(workers: int | None, scheduler):
    """The executor a sweep submits to: in this process, a local process pool, or a Dask cluster."""
    if scheduler is not None:
        with _dask(scheduler) as pool:
            yield pool
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n == 1:
        yield Pool(InProcess(), 1, "1 worker (this process)", in_process=True)
        return
    # Never fork a process that may hold threads (tqdm, Dask, the caller's): a fork server (or spawn)
    # starts clean workers; the fork server imports lcsim once, so each new worker starts warm.
    if "forkserver" in mp.get_all_start_methods():
        context = mp.get_context("forkserver")
        context.set_forkserver_preload(["lcsim.experiments.worker"])
    else:
        context = mp.get_context("spawn")
    executor = cf.ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=watch_client,
                                      initargs=(os.getpid(),))
    try:
        yield Pool(executor, n, f"{n} local worker processes")
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask(scheduler):
    try:
        from distributed import Client
    except ImportError:
        raise SweepError("--scheduler needs Dask: pip install 'lcsim[cluster]'") from None
    own = isinstance(scheduler, str)
    if own:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {one_line(err)}") from None
    else:
        client = scheduler
    executor = None
    try:
        try:
            versions = client.run(lcsim_version)
        except Exception as err:
            raise SweepError(f"the Dask workers cannot run lcsim ({one_line(err)}); "
                             "install lcsim (same version) on every worker machine") from None
        from .. import __version__

        other = sorted({v for v in versions.values() if v != __version__})
        if other:
            warnings.warn(f"Dask workers run lcsim {', '.join(other)}; this client runs {__version__}", stacklevel=4)
        threads = sum(client.nthreads().values())
        if not threads:
            warnings.warn(f"no Dask workers are connected to {client.scheduler.address} yet; the sweep waits for them",
                          stacklevel=4)
        executor = client.get_executor()
        yield Pool(executor, max(threads, 1), f"Dask cluster {client.scheduler.address} ({threads} threads)")
    finally:
        if executor is not None:
            executor.shutdown(wait=False)  # cancels what is left after an error; a no-op after success
        if own:
            client.close()


def build_manifest(exp: Experiment, design: Design, monthly: bool) -> dict:
    """What an analysis needs to read the folder without the experiment file (docs/sweeps.md)."""
    from .. import __version__

    manifest = {
        "format": 1,
        "experiment": exp.to_dict(),
        "experiment_hash": exp.hash,
        "source": exp.source,
        "design": exp.design,
        "design_file": DESIGN_FILE,
        "points": len(design.table),
        "varied": design.varied,
        "replicates": exp.replicates,
        "root_seed": exp.root_seed,
        "runs": exp.runs,
        "run_id": RUN_ID,
        "seed_rule": COMMON_SEED_RULE if exp.common_seeds else SEED_RULE,
        "scenario": exp.scenario,
        "base_params": exp.base_params,
        "monthly": monthly,
        "tables": {"runs": RUNS, "monthly": MONTHLY if monthly else None},
        "columns": {"identity": list(IDENTITY), "params": list(SCHEMA), "error": "error"},
        "lcsim_version": __version__,
        "model_fingerprint": model_fingerprint(),
        "versions": {pkg: _version(pkg) for pkg in ("mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib")},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if design.problem is not None:
        manifest["problem"] = design.problem
        manifest["sampler"] = design.sampler
    return manifest


def model_fingerprint() -> str:
    """SHA-256 of the code and data that decide a run's result (model, simulate, schema, scenarios).

    The version number lags behind a model under recalibration; this does not, so resuming a
    folder after the model changed can warn that old and new runs are not comparable.
    """
    import hashlib

    root = Path(__file__).resolve().parents[1]
    files = sorted([*(root / "model").glob("*.py"), root / "simulation.py", root / "parameters.py",
                    *(root / "scenarios").glob("*.toml")])
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


__all__ = ["ExperimentError", "SweepError", "build_manifest", "default_out", "open_pool", "sweep"]
