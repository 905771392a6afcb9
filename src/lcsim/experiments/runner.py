"""`lcsim.sweep`: run an experiment on this process, all local cores, or a Dask cluster, streaming to disk.

Runs travel to workers in chunks (a task runs several runs) and at most a few chunks per
worker are in flight, so the client holds only the runs not yet written: its memory stays
flat however many runs the experiment has.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import functools
import itertools
import math
import multiprocessing as mp
import os
import re
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..output import unusable, usable_folder
from ..parameters import SCHEMA
from .design import COMMON_SEED_RULE, RUN_ID, SEED_RULE, Design, build_design, runs, show
from .experiment import Experiment, ExperimentError, load_experiment
from .store import DESIGN_FILE, IDENTITY, MONTHLY, RUNS, SweepError, SweepFolder, designed_ids, load_results
from .worker import lcsim_version, one_line, run_chunk, watch_client

DEFAULT_ROOT = Path("out") / "sweeps"
MAX_CHUNK = 32  # runs per task: enough to hide a task's overhead, few enough for a smooth progress bar
IN_FLIGHT = 2  # chunks queued per worker, so no worker waits for the client
CONNECT_TIMEOUT = "10s"  # to reach a Dask scheduler
TIME_LIMIT = 1800.0  # seconds per run by default: the costliest shipped design point takes far less (docs/sweeps.md)
STRIKES = 2  # a run that kills its worker this many times (alone) is recorded as failed
SCHEDULER = re.compile(r"((tcp|tls|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[^\s:/\[\]]+):\d{1,5}/?|inproc://\S+")


def default_out(exp: Experiment) -> Path:
    return DEFAULT_ROOT / exp.name


@dataclass
class SweepPlan:
    """What `sweep` would do with these arguments, decided without running or writing anything."""

    experiment: Experiment
    design: Design
    out: Path
    manifest: dict
    resumable: bool  # the folder holds this experiment's sweep
    done: int  # designed runs already in the folder (after --retry-failed: without the failed ones)
    failed: int  # of which recorded as failed
    retry_failed: bool = False
    adopt: bool = False
    folder: SweepFolder | None = field(default=None, repr=False)

    @property
    def to_run(self) -> int:
        return self.experiment.runs - self.done

    def describe(self) -> str:
        exp = self.experiment
        varied = ", ".join(exp.varied) or "nothing"
        failed = f", {self.failed} of them failed" if self.failed else ""
        retry = " (failed runs rerun)" if self.retry_failed else ""
        return (f"{exp.name}: {exp.design} design, {exp.points} points x {exp.replicates} replicates = {exp.runs} "
                f"runs on scenario {exp.scenario}, varying {varied}\n"
                f"output: {self.out} ({self.done} runs already there{failed}, {self.to_run} to run{retry})")


def plan(experiment, out=None, overrides: dict | None = None, monthly: bool = False, *,
         retry_failed: bool = False, adopt: bool = False, flush_seconds: float = 2.0) -> SweepPlan:
    """Check `experiment` and its output folder, and say what a sweep would run (`lcsim sweep --dry-run`).

    Raises the one-line error (ExperimentError, SweepError, OutputError) for anything `sweep` would refuse.
    """
    exp = load_experiment(experiment, overrides)
    design = build_design(exp)
    target = Path(out) if out is not None else default_out(exp)
    usable_folder(target, what="--out", create=False)
    folder = SweepFolder(target, flush_seconds=flush_seconds)
    manifest = build_manifest(exp, design, monthly)
    try:
        old = folder.check(manifest, adopt=adopt)
    except OSError as err:
        raise unusable(err, target, "--out") from None
    found = folder._scan
    done = failed = 0
    if found is not None:
        designed = designed_ids(manifest)
        first = found.first()
        ids = {r for r in first if designed(r)}
        failed = len(found.failed() & ids)
        done = len(ids) - (failed if retry_failed else 0)
        failed = 0 if retry_failed else failed
    return SweepPlan(exp, design, target, manifest, old is not None, done, failed, retry_failed, adopt, folder)


def sweep(experiment, out=None, *, workers: int | None = None, scheduler=None, monthly: bool = False,
          progress: bool = True, chunk_size: int | None = None, flush_seconds: float = 2.0,
          overrides: dict | None = None, retry_failed: bool = False, adopt: bool = False,
          time_limit: float | None = TIME_LIMIT, _run=None) -> pd.DataFrame:
    """Run every run of `experiment` not yet in `out`, and return the table of all finished runs.

    `experiment`: a TOML path, a dict of the same shape, or an `Experiment`. `out`: the output
    folder (default `out/sweeps/<name>`); an existing folder of the same experiment is resumed.
    `workers`: local processes (default: every core; 1 runs in this process). `scheduler`: a Dask
    scheduler address (or a `distributed.Client`) to run on a cluster instead. `monthly`: also write
    each run's monthly table. `overrides`: parameter values added to the experiment's [fixed].
    `retry_failed`: rerun the runs recorded as failed. `adopt`: take over a folder that has this
    experiment's part files but lost its manifest. `time_limit`: seconds a run may take before it
    is stopped and recorded as failed (None: no limit).
    A worker that dies (killed by the system, out of memory) costs only its chunk: the pool restarts,
    the chunk's runs are retried one by one, and a run that kills its worker twice is recorded as failed.
    Everything refused raises one `lcsim.LcsimError` line before anything is written.
    """
    _check_executor_options(workers, scheduler, chunk_size, flush_seconds, time_limit)
    p = plan(experiment, out, overrides, monthly, retry_failed=retry_failed, adopt=adopt, flush_seconds=flush_seconds)
    exp, design, folder = p.experiment, p.design, p.folder
    if p.resumable and p.to_run == 0:
        workers, scheduler = 1, None  # nothing left to run: start no pool, reach no cluster
    manifest = {**p.manifest, "limits": {"time_limit": time_limit, "strikes": STRIKES}}
    started = time.perf_counter()
    with open_pool(workers, scheduler) as pool:
        folder.open(manifest, design.table, adopt=adopt, retry_failed=retry_failed)
        resumed = len(folder.done)
        status = None
        try:
            ran = _Stream(exp, design, folder, pool, monthly, progress, chunk_size, time_limit, _run).run()
            folder.flush()
            status = {"designed": exp.runs, "finished": folder.finished, "failed": folder.failed,
                      "complete": folder.finished == exp.runs,
                      "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        finally:
            folder.close(status)
    results = load_results(folder.path)
    if progress:
        print(f"{exp.name}: {ran} runs ran, {resumed} resumed, {folder.failed} failed "
              f"({len(results)} of {exp.runs} designed runs done) in {time.perf_counter() - started:.1f} s "
              f"on {pool.label}; results in {folder.path}", file=sys.stderr)
    return results


def _worker_died(err: BaseException) -> bool:
    """A failure of the worker process itself (killed, out of memory), not of the run or the cluster."""
    return isinstance(err, cf.BrokenExecutor) or type(err).__name__ == "KilledWorker"


class _Stream:
    """Submit the missing runs chunk by chunk and write results as they come.

    A chunk whose worker died is not lost: its runs are retried alone, one at a time (so a death is
    the retried run's own), and a run that kills its worker `STRIKES` times is recorded as failed."""

    def __init__(self, exp, design, folder, pool, monthly, progress, chunk_size, time_limit, run) -> None:
        self.exp, self.folder, self.pool, self.monthly, self.progress = exp, folder, pool, monthly, progress
        self.time_limit, self.hook = time_limit, run
        self.points = design.point_values()
        self.base = exp.base_params
        self.reserved = {*IDENTITY, *folder.params, "error"}
        missing = exp.runs - len(folder.done)
        self.todo = (r for r in runs(exp, len(self.points)) if r[0] not in folder.done)  # lazy: memory stays flat
        self.size = chunk_size or (1 if pool.in_process else max(1, min(MAX_CHUNK, missing // (pool.capacity * 8))))
        self.inflight: dict[cf.Future, tuple[list, bool]] = {}
        self.suspects: collections.deque = collections.deque()  # runs of a chunk whose worker died
        self.strikes: collections.Counter = collections.Counter()
        self.ran = self.failed = 0

    def run(self) -> int:
        from tqdm import tqdm

        with tqdm(total=self.exp.runs, initial=len(self.folder.done), desc=self.exp.name, unit="run",
                  file=sys.stderr, disable=not self.progress, mininterval=0.5, smoothing=0.05) as self.bar:
            self.fill()
            while self.inflight:
                finished, _ = cf.wait(self.inflight, timeout=self.folder.flush_seconds,
                                      return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    if future not in self.inflight:  # dropped with a pool that broke
                        continue
                    chunk, alone = self.inflight.pop(future)
                    try:
                        results = future.result()
                    except Exception as err:
                        if self.pool.in_process or not _worker_died(err):
                            if self.pool.in_process:
                                raise
                            raise SweepError(f"a task failed on {self.pool.label} ({one_line(err)}); finished runs "
                                             "are saved: rerun the same command to resume") from None
                        self.died(chunk, alone, err)
                        continue
                    self.record(chunk, results)
                self.fill()
                self.folder.tick()
        return self.ran

    # -- submitting ----------------------------------------------------------------------------
    def fill(self) -> None:
        while True:
            if self.suspects:  # isolate: one suspect at a time, nothing else beside it
                if self.inflight:
                    return
                run = self.suspects.popleft()
                if not self.submit([run], alone=True):
                    continue
                return
            if len(self.inflight) >= self.pool.capacity * IN_FLIGHT:
                return
            chunk = list(itertools.islice(self.todo, self.size))
            if not chunk:
                return
            self.submit(chunk, alone=False)

    def submit(self, chunk: list, alone: bool) -> bool:
        tasks = [(rid, seed, self.points[point]) for rid, point, _, seed in chunk]
        args = (self.exp.scenario, self.base, tasks, self.monthly, self.time_limit)
        try:
            future = self.pool.executor.submit(run_chunk, *args, self.hook) if self.hook else \
                self.pool.executor.submit(run_chunk, *args)
        except cf.BrokenExecutor as err:  # the pool broke since the last result came back
            self.died(chunk, alone, err)
            return False
        self.inflight[future] = (chunk, alone)
        return True

    # -- a worker died -------------------------------------------------------------------------
    def died(self, chunk: list, alone: bool, err: BaseException) -> None:
        lost = [(chunk, alone)]
        if isinstance(err, cf.BrokenExecutor):  # a broken local pool fails every task in it: restart it
            lost += list(self.inflight.values())
            self.inflight.clear()
            self.pool.restart()
        else:  # Dask: only this task's worker died; its other tasks went on elsewhere
            pass
        for runs_, single in lost:
            for run in runs_:
                if single:
                    self.strikes[run[0]] += 1
                    if self.strikes[run[0]] >= STRIKES:
                        self.give_up(run, err)
                        continue
                self.suspects.append(run)

    def give_up(self, run, err: BaseException) -> None:
        rid, point, replicate, seed = run
        shown = ", ".join(f"{k}={show(v)}" for k, v in self.points[point].items()) or "the base parameters"
        error = (f"WorkerDied: the worker running this run died {STRIKES} times ({one_line(err)[:160]}; "
                 f"e.g. killed by the system for lack of memory); run {rid}, seed {seed}, {shown}")
        self.record([run], [(rid, None, error, None)])

    # -- results -------------------------------------------------------------------------------
    def record(self, chunk: list, results: list) -> None:
        rows, tables = [], []
        for (rid, point, replicate, seed), (_, summary, error, monthly_table) in zip(chunk, results):
            row = {"run_id": rid, "point": point, "replicate": replicate, "seed": seed,
                   **self.base, **self.points[point]}
            for key, value in (summary or {}).items():
                row[key if key not in self.reserved else f"summary_{key}"] = value  # never shadow a parameter
            row["error"] = error
            rows.append(row)
            self.failed += error is not None
            if monthly_table is not None:
                tables.append(monthly_table.assign(run_id=rid, point=point, replicate=replicate)
                              [["run_id", "point", "replicate", *monthly_table.columns]])
        self.folder.add(rows, tables)
        self.ran += len(rows)
        self.bar.update(len(rows))
        if self.failed:
            self.bar.set_postfix(failed=self.failed, refresh=False)


@dataclass
class Pool:
    executor: cf.Executor
    capacity: int  # runs that can execute at once
    label: str
    in_process: bool = False
    factory: object = field(default=None, repr=False)  # makes a fresh executor after one broke
    restarts: int = 0

    def restart(self) -> None:
        if self.factory is None:
            raise SweepError(f"the workers of {self.label} died and cannot be restarted; finished runs are saved: "
                             "rerun the same command to resume")
        try:
            self.executor.shutdown(wait=True, cancel_futures=True)
        except Exception:  # a broken pool may complain on the way down
            pass
        self.executor = self.factory()
        self.restarts += 1


class InProcess(cf.Executor):
    """Runs each task at submit time in this process (workers=1): no pickling, and tests can patch it."""

    def submit(self, fn, /, *args, **kwargs):
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


def _check_executor_options(workers, scheduler, chunk_size, flush_seconds, time_limit=None) -> None:
    if scheduler is not None and workers is not None:
        raise SweepError("--workers does not apply with --scheduler: the cluster's workers run the sweep")
    if isinstance(scheduler, str) and not SCHEDULER.fullmatch(scheduler.strip()):
        raise SweepError(f"--scheduler: {scheduler!r} is not a scheduler address; expected e.g. tcp://HOST:8786")
    if scheduler is not None and not isinstance(scheduler, str) and not hasattr(scheduler, "get_executor"):
        raise SweepError(f"scheduler: {type(scheduler).__name__} is not allowed; expected an address or a "
                         "distributed.Client")
    for name, value in (("workers", workers), ("chunk_size", chunk_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SweepError(f"{name}: {value!r} is not allowed; expected an integer >= 1")
    for name, value in (("flush_seconds", flush_seconds), ("time_limit", time_limit)):
        if value is None and name == "time_limit":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            raise SweepError(f"{name}: {value!r} is not allowed; expected a number of seconds > 0")


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

    def factory() -> cf.Executor:
        return cf.ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=watch_client,
                                      initargs=(os.getpid(),))

    pool = Pool(factory(), n, f"{n} local worker processes", factory=factory)
    try:
        yield pool
    finally:
        pool.executor.shutdown(wait=True, cancel_futures=True)


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
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {one_line(err)}") from None
    else:
        client = scheduler
    executor = None
    try:
        versions = _worker_versions(client)
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


def _worker_versions(client, tries: int = 3) -> dict:
    """Every Dask worker's lcsim version. A worker without lcsim is told to install it; a worker that
    restarted or left during the check is asked again, and only then reported as it is."""
    for attempt in range(tries):
        try:
            return client.run(lcsim_version)
        except (ImportError, AttributeError) as err:  # unpickling lcsim.experiments.worker failed there
            raise SweepError(f"the Dask workers cannot run lcsim ({one_line(err)}); "
                             "install lcsim (same version) on every worker machine") from None
        except Exception as err:
            if "No module named" in str(err) or "lcsim" in str(err) and "import" in str(err).lower():
                raise SweepError(f"the Dask workers cannot run lcsim ({one_line(err)}); "
                                 "install lcsim (same version) on every worker machine") from None
            if attempt == tries - 1:
                raise SweepError(f"the Dask workers did not answer the version check ({one_line(err)}), "
                                 f"{tries} times: a worker restarting or leaving? Check the cluster and rerun"
                                 ) from None
            time.sleep(1.0 + attempt)
    return {}


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
        "columns": {"identity": list(IDENTITY), "params": [*SCHEMA, *exp.assumptions],
                    "assumptions": exp.assumptions, "error": "error"},
        "lcsim_version": __version__,
        "model_fingerprint": model_fingerprint(),
        "versions": {pkg: _version(pkg) for pkg in ("mesa", "numpy", "pandas", "pyarrow", "scipy", "SALib")},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if design.problem is not None:
        manifest["problem"] = design.problem
        manifest["sampler"] = design.sampler
    return manifest


@functools.lru_cache(maxsize=1)
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


__all__ = ["ExperimentError", "SweepError", "SweepPlan", "build_manifest", "default_out", "open_pool", "plan", "sweep"]
