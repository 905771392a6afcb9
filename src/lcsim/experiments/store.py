"""A sweep's output folder: manifest, design table, Parquet part files streamed as runs finish, resume.

    DIR/manifest.json          the experiment, its hash, design, seeds, versions (written first)
    DIR/design.parquet         one row per design point
    DIR/runs/part-000001.parquet     one row per run (run id, seed, parameters, outcomes, error)
    DIR/monthly/part-000001.parquet  with --monthly: one row per run and month (same part numbers)

Every file is written to a hidden temporary name, synced, then renamed, so a reader (or a
resumed sweep) never sees half a file. A monthly part is renamed before its runs part: the runs
table alone says which runs are done, and a monthly part without its runs part is dropped.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..parameters import SCHEMA, ParameterError

MANIFEST, DESIGN_FILE, RUNS, MONTHLY, LOCK = "manifest.json", "design.parquet", "runs", "monthly", ".lock"
PART = re.compile(r"part-(\d+)\.parquet")
IDENTITY = {"run_id": pa.string(), "point": pa.int64(), "replicate": pa.int64(), "seed": pa.int64()}
KINDS = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "choice": pa.string()}
PARAMS = {name: KINDS[p.kind] for name, p in SCHEMA.items()}


from ..errors import SweepError  # noqa: E402  (re-exported)


class SweepWarning(UserWarning):
    """Something a researcher should know about a sweep that still runs (e.g. resumed on other code)."""


class SweepFolder:
    def __init__(self, path: Path, flush_seconds: float = 2.0, flush_rows: int = 2000) -> None:
        self.path = Path(path)
        self.flush_seconds, self.flush_rows = flush_seconds, flush_rows
        self.done: set[str] = set()  # run ids found on opening: what a resume skips
        self.finished = 0  # runs in the folder, resumed ones included
        self.failed = 0  # of which recorded with an error
        self.outcomes: dict[str, pa.DataType | None] = {}  # summary keys in order, and their types so far
        self._rows: list[dict] = []
        self._monthly: list[pd.DataFrame] = []
        self._next = 1
        self._last_flush = time.monotonic()
        self._lock = None

    # -- before anything is written ---------------------------------------------------------
    def check(self, manifest: dict) -> dict | None:
        """Refuse a folder this sweep must not write to; return its manifest if it is a sweep to resume."""
        if not self.path.exists():
            return None
        if not self.path.is_dir():
            raise SweepError(f"{self.path}: exists and is not a folder; choose another output folder")
        old = read_manifest(self.path)
        if old is None:
            foreign = [e for e in os.listdir(self.path) if e not in (DESIGN_FILE, RUNS, MONTHLY, LOCK)
                       and not e.startswith(".")]
            if foreign:
                raise SweepError(f"{self.path}: not a sweep folder (no {MANIFEST}, holds {foreign[0]!r}); "
                                 "choose another output folder")
            return None
        if old.get("experiment_hash") != manifest["experiment_hash"]:
            name = old.get("experiment", {}).get("name", "?")
            raise SweepError(f"{self.path}: holds results of a different experiment ('{name}', hash "
                             f"{str(old.get('experiment_hash'))[:12]}; this one is "
                             f"{manifest['experiment_hash'][:12]}); use another output folder, or delete that one "
                             "to start over")
        if bool(old.get("monthly")) != bool(manifest["monthly"]):
            flag = "with" if old.get("monthly") else "without"
            raise SweepError(f"{self.path}: was started {flag} --monthly; resume it the same way, "
                             "or use another output folder")
        return old

    # -- opening, streaming, closing -----------------------------------------------------------
    def open(self, manifest: dict, design: pd.DataFrame) -> None:
        """Create (or reopen to resume) the folder, take its lock, and learn which runs are done."""
        old = self.check(manifest)
        self.path.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        if old is None:
            table = pa.Table.from_pandas(design, preserve_index=False)
            atomic_write(self.path / DESIGN_FILE, lambda tmp: pq.write_table(table, tmp))
            write_manifest(self.path, manifest)  # last: a folder with a manifest is a complete start
        elif old.get("lcsim_version") != manifest["lcsim_version"]:
            warnings.warn(f"{self.path} was started with lcsim {old.get('lcsim_version')}; this is "
                          f"{manifest['lcsim_version']}: its new runs may not be comparable with the earlier ones",
                          SweepWarning, stacklevel=3)
        elif old.get("model_fingerprint") != manifest.get("model_fingerprint"):
            warnings.warn(f"{self.path} was started with other model code (model_fingerprint differs): its new "
                          "runs may not be comparable with the earlier ones; use a new folder to start over",
                          SweepWarning, stacklevel=3)
        tables = [RUNS, MONTHLY] if manifest["monthly"] else [RUNS]
        for table in tables:
            (self.path / table).mkdir(exist_ok=True)
        _remove_temporaries(self.path, tables)
        run_parts = parts(self.path / RUNS)
        if manifest["monthly"]:  # a monthly part whose runs part never landed: those runs will rerun
            kept = {part_number(f) for f in run_parts}
            for f in parts(self.path / MONTHLY):
                if part_number(f) not in kept:
                    f.unlink()
        for f in run_parts:
            try:
                written = pq.read_table(f, columns=["run_id", "error"])
                self.done.update(written.column("run_id").to_pylist())
                self.finished += len(written)
                self.failed += len(written) - written.column("error").null_count
                self._learn(pq.read_schema(f))
            except (OSError, pa.ArrowException) as err:
                raise SweepError(f"{f}: unreadable part file ({err}); move it aside and rerun to redo its runs"
                                 ) from None
            self._next = max(self._next, part_number(f) + 1)

    def add(self, rows: list[dict], monthly: list[pd.DataFrame]) -> None:
        self._rows.extend(rows)
        self._monthly.extend(monthly)
        if len(self._rows) >= self.flush_rows:
            self.flush()
        else:
            self.tick()

    def tick(self) -> None:
        """Flush if `flush_seconds` have passed since the last write: a crash loses at most that much."""
        if self._rows and time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered runs as one part (and its monthly part), each atomically."""
        self._last_flush = time.monotonic()
        if not self._rows:
            return
        name = f"part-{self._next:06d}.parquet"
        if self._monthly:
            table = pa.Table.from_pandas(pd.concat(self._monthly, ignore_index=True), preserve_index=False)
            atomic_write(self.path / MONTHLY / name, lambda tmp: pq.write_table(table, tmp))
        runs = self._runs_table(self._rows)
        atomic_write(self.path / RUNS / name, lambda tmp: pq.write_table(runs, tmp))
        self.finished += len(self._rows)
        self.failed += sum(r["error"] is not None for r in self._rows)
        self._next += 1
        self._rows, self._monthly = [], []

    def close(self, status: dict | None = None) -> None:
        """Flush, give every part one schema (readers that scan a folder want that), record status, unlock."""
        try:
            self.flush()
            if status is not None:
                for table in (RUNS, MONTHLY):
                    if (self.path / table).is_dir():
                        harmonize(self.path / table, last="error" if table == RUNS else None)
                manifest = read_manifest(self.path)
                manifest["outcomes"] = list(self.outcomes)
                manifest["status"] = status
                write_manifest(self.path, manifest)
        finally:
            if self._lock is not None:
                self._lock.close()  # releases the flock
                self._lock = None

    # -- internals ---------------------------------------------------------------------------
    def _take_lock(self) -> None:
        self._lock = open(self.path / LOCK, "a+")
        try:
            import fcntl
        except ImportError:  # no advisory locks here (Windows): one sweep per folder is up to the user
            return
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise SweepError(f"{self.path}: another sweep is writing to this folder; wait for it "
                             "or use another output folder") from None

    def _learn(self, schema: pa.Schema) -> None:
        for f in schema:
            if f.name not in IDENTITY and f.name not in PARAMS and f.name != "error":
                known = self.outcomes.get(f.name)
                self.outcomes[f.name] = f.type if known is None else _unify(known, f.type)

    def _runs_table(self, rows: list[dict]) -> pa.Table:
        for row in rows:
            if row.get("error") is None:
                for key in row:
                    if key not in IDENTITY and key not in PARAMS and key != "error":
                        self.outcomes.setdefault(key, None)
        arrays, fields = [], []
        for name, kind in {**IDENTITY, **PARAMS}.items():
            arrays.append(pa.array([r[name] for r in rows], type=kind))
            fields.append(pa.field(name, kind))
        for name, known in self.outcomes.items():
            array = pa.array([r.get(name) for r in rows])
            if known is not None and not pa.types.is_null(array.type):
                known = _unify(known, array.type)
            elif known is None and not pa.types.is_null(array.type):
                known = array.type
            if known is not None:
                array = array.cast(known)
            self.outcomes[name] = known
            arrays.append(array)
            fields.append(pa.field(name, array.type))
        arrays.append(pa.array([r.get("error") for r in rows], type=pa.string()))
        fields.append(pa.field("error", pa.string()))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _unify(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if a.equals(b):
        return a
    merged = pa.unify_schemas([pa.schema([("x", a)]), pa.schema([("x", b)])], promote_options="permissive")
    return merged.field("x").type


def harmonize(folder: Path, last: str | None = None) -> None:
    """Rewrite (atomically) the parts whose schema differs from the union of all: e.g. a part where every
    run survived has an all-null `dissolved_month` that others hold as integers."""
    files = parts(folder)
    if len(files) < 2:
        return
    schemas = [pq.read_schema(f) for f in files]
    unified = pa.unify_schemas(schemas, promote_options="permissive")
    if last is not None and last in unified.names:  # keep `error` as the last column
        moved = unified.field(last)
        unified = unified.remove(unified.get_field_index(last)).append(moved)
    unified = unified.remove_metadata()
    for f, schema in zip(files, schemas):
        if not schema.remove_metadata().equals(unified):
            table = conform(pq.read_table(f), unified)
            atomic_write(f, lambda tmp: pq.write_table(table, tmp))


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def parts(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if PART.fullmatch(f.name)), key=part_number)


def part_number(path: Path) -> int:
    return int(PART.fullmatch(path.name).group(1))


def atomic_write(target: Path, write) -> None:
    """Write through a hidden temporary file in the same folder, sync it, then rename over `target`."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _remove_temporaries(path: Path, tables: list[str]) -> None:
    for folder in [path, *(path / t for t in tables)]:
        for f in folder.glob(".*.tmp"):
            f.unlink(missing_ok=True)


def read_manifest(path: Path) -> dict | None:
    try:
        return json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write_manifest(path: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    atomic_write(Path(path) / MANIFEST, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def finished_run_ids(path) -> set[str]:
    """The ids of the runs a sweep folder already holds (what a resume will skip)."""
    return {rid for f in parts(Path(path) / RUNS)
            for rid in pq.read_table(f, columns=["run_id"]).column("run_id").to_pylist()}


def load_results(path, monthly: bool = False) -> pd.DataFrame:
    """All finished runs of a sweep folder, one row per run in (point, replicate) order.

    With `monthly=True`, the run-month table instead (run_id, point, replicate, then the model's
    monthly columns). Works on a folder whose sweep is still running or was interrupted.
    """
    folder = Path(path)
    if read_manifest(folder) is None:
        raise SweepError(f"{folder}: not a sweep folder (no {MANIFEST})")
    run_files = parts(folder / RUNS)
    if monthly:
        if not (folder / MONTHLY).is_dir():
            raise SweepError(f"{folder}: this sweep was run without --monthly; rerun it with --monthly in a new folder")
        numbers = {part_number(f) for f in run_files}
        files = [f for f in parts(folder / MONTHLY) if part_number(f) in numbers]
        order = ["point", "replicate", "month"]
    else:
        files, order = run_files, ["point", "replicate"]
    if not files:
        columns = ["run_id", "point", "replicate"] + ([] if monthly else ["seed", *SCHEMA, "error"])
        return pd.DataFrame(columns=columns)
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    frame = table.to_pandas()
    for name in frame.columns:  # a bool outcome with nulls (failed runs) comes back as object
        if frame[name].dtype == object and frame[name].dropna().map(type).eq(bool).all() and frame[name].notna().any():
            frame[name] = frame[name].astype("boolean")
    return frame.sort_values([c for c in order if c in frame.columns], kind="stable").reset_index(drop=True)
