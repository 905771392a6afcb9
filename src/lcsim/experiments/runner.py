"""`lcsim.sweep`: run an experiment on this process, all local cores, or a Dask cluster, streaming to disk.

Runs travel to workers in chunks (a task runs several runs) and at most a few chunks per
worker are in flight, so the client holds only the runs not yet written: its memory stays
flat however many runs the experiment has.
"""

from __future__ import annotations

import functools
import math
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..output import unusable, usable_folder
from ..parameters import SCHEMA
from .design import COMMON_SEED_RULE, RUN_ID, SEED_RULE, Design, build_design, runs, show
from .executor import MAX_CHUNK, STRIKES, Executor, ExecutorError, check_options, refuse_in_worker_start
from .executor import worker_versions as _worker_versions  # noqa: F401  (tests patch it here)
from .experiment import Experiment, ExperimentError, load_experiment
from .store import DESIGN_FILE, IDENTITY, MONTHLY, RUNS, SweepError, SweepFolder, designed_ids, load_results
from .worker import lcsim_version, simulate_run

DEFAULT_ROOT = Path("out") / "sweeps"
TIME_LIMIT = 1800.0  # seconds per run by default: the costliest shipped design point takes far less (docs/sweeps.md)


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
    is stopped and recorded as failed (None: no limit); in worker processes this holds for a run
    blocked in compiled code too (its worker is ended).
    The runs go through the one executor (`lcsim.experiments.executor`). A worker that dies (killed
    by the system, out of memory) costs only its chunk: the chunk's runs are retried one by one, and
    a run that kills its worker twice on its own is recorded as failed. Workers that cannot start at
    all are one `ExecutorError` and no run is recorded.
    Everything refused raises one `lcsim.LcsimError` line before anything is written.
    """
    refuse_in_worker_start()
    _check_executor_options(workers, scheduler, chunk_size, flush_seconds, time_limit)
    p = plan(experiment, out, overrides, monthly, retry_failed=retry_failed, adopt=adopt, flush_seconds=flush_seconds)
    exp, design, folder = p.experiment, p.design, p.folder
    if p.resumable and p.to_run == 0:
        workers, scheduler = 1, None  # nothing left to run: start no pool, reach no cluster
    manifest = {**p.manifest, "limits": {"time_limit": time_limit, "strikes": STRIKES}}
    started = time.perf_counter()
    with Executor(workers, scheduler, time_limit=time_limit) as executor:
        folder.open(manifest, design.table, adopt=adopt, retry_failed=retry_failed)
        resumed = len(folder.done)
        status = None
        try:
            try:
                ran = _Stream(exp, design, folder, executor, monthly, progress, chunk_size, _run).run()
            except ExecutorError as err:
                raise ExecutorError(f"{err}; finished runs are saved: rerun the same command to resume") from None
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
              f"on {executor.label}; results in {folder.path}", file=sys.stderr)
    return results


class _Stream:
    """Hand the missing runs to the executor lazily and write their results as they come."""

    def __init__(self, exp, design, folder, executor, monthly, progress, chunk_size, run) -> None:
        self.exp, self.folder, self.executor, self.progress = exp, folder, executor, progress
        self.points = design.point_values()
        self.base = exp.base_params
        self.reserved = {*IDENTITY, *folder.params, "error"}
        missing = exp.runs - len(folder.done)
        self.todo = ((r, (r[3], self.points[r[1]])) for r in runs(exp, len(self.points))
                     if r[0] not in folder.done)  # lazy: memory stays flat
        spread = max(1, min(MAX_CHUNK, missing // (executor.capacity * 8)))
        self.size = chunk_size or (1 if executor.in_process else spread)  # in this process: a result per run
        self.fn = functools.partial(simulate_run, exp.run_scenario, self.base, monthly, run)
        self.ran = self.failed = 0

    def run(self) -> int:
        from tqdm import tqdm

        with tqdm(total=self.exp.runs, initial=len(self.folder.done), desc=self.exp.name, unit="run",
                  file=sys.stderr, disable=not self.progress, mininterval=0.5, smoothing=0.05) as self.bar:
            for done in self.executor.run(self.fn, self.todo, chunk_size=self.size):
                if done:
                    self.record(done)
                self.folder.tick()
        return self.ran

    def record(self, done: list) -> None:
        rows, tables = [], []
        for (rid, point, replicate, seed), value, error in done:
            row = {"run_id": rid, "point": point, "replicate": replicate, "seed": seed,
                   **self.base, **self.points[point]}
            summary, monthly_table = value if value is not None else (None, None)
            for key, v in (summary or {}).items():
                row[key if key not in self.reserved else f"summary_{key}"] = v  # never shadow a parameter
            if error is not None and error.startswith("WorkerDied"):
                shown = ", ".join(f"{k}={show(v)}" for k, v in self.points[point].items()) or "the base parameters"
                error = f"{error}; run {rid}, seed {seed}, {shown}"
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


def _check_executor_options(workers, scheduler, chunk_size, flush_seconds, time_limit=None) -> None:
    check_options(workers, scheduler, chunk_size, time_limit)
    if isinstance(flush_seconds, bool) or not isinstance(flush_seconds, (int, float)) \
            or not 0 < flush_seconds < math.inf:
        raise SweepError(f"flush_seconds: {flush_seconds!r} is not allowed; expected a number of seconds > 0")


def build_manifest(exp: Experiment, design: Design, monthly: bool) -> dict:
    """What an analysis needs to read the folder without the experiment file (docs/sweeps.md)."""
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
        "lcsim_version": lcsim_version(),
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


__all__ = ["ExperimentError", "SweepError", "SweepPlan", "build_manifest", "default_out", "plan", "sweep"]
