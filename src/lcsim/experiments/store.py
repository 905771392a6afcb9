"""A sweep's output folder: manifest, design table, Parquet part files streamed as runs finish, resume.

    DIR/manifest.json          the experiment, its hash, design, seeds, versions (written first)
    DIR/design.parquet         one row per design point
    DIR/runs/part-000001.parquet     one row per run (run id, seed, parameters, outcomes, error)
    DIR/monthly/part-000001.parquet  with --monthly: one row per run and month (same part numbers)

Every file is written to a hidden temporary name, synced, then renamed, so a reader (or a
resumed sweep) never sees half a file. A monthly part is renamed before its runs part: the runs
table alone says which runs are done, and a monthly part without its runs part is dropped.

Every part carries its provenance in its Parquet metadata (`lcsim.experiment_hash`,
`lcsim.model_fingerprint`, `lcsim.run_ids`): a folder whose parts disagree with its manifest, or
that has parts and no manifest, is refused rather than adopted. `check_folder` verifies a folder.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError, SweepError  # noqa: F401  (SweepError re-exported)
from ..output import disk_error
from ..parameters import SCHEMA

MANIFEST, DESIGN_FILE, RUNS, MONTHLY, LOCK = "manifest.json", "design.parquet", "runs", "monthly", ".lock"
PART = re.compile(r"part-(\d+)\.parquet")
RUN_ID_RE = re.compile(r"p(\d+)-r(\d+)")
IDENTITY = {"run_id": pa.string(), "point": pa.int64(), "replicate": pa.int64(), "seed": pa.int64()}
KINDS = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "choice": pa.string()}
PARAMS = {name: KINDS[p.kind] for name, p in SCHEMA.items()}
META_HASH, META_MODEL, META_RUNS = b"lcsim.experiment_hash", b"lcsim.model_fingerprint", b"lcsim.run_ids"


class SweepWarning(UserWarning):
    """Something a researcher should know about a sweep that still runs (e.g. resumed on other code)."""


def param_columns(assumptions=()) -> dict[str, pa.DataType]:
    """The parameter columns of a runs table: every schema parameter, then the experiment's assumptions."""
    from .design import entry

    return {**PARAMS, **{name: KINDS[entry(name).kind] for name in assumptions}}


# -- part files -----------------------------------------------------------------------------------
@dataclass
class PartInfo:
    """What a runs part holds, read from its metadata and its run_id and error columns."""

    path: Path
    run_ids: list[str]
    failed: set[str]
    experiment_hash: str | None  # None: written before parts carried their provenance
    model_fingerprint: str | None
    listed: list[str] | None  # the run ids its metadata lists


def read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A part file's table, or the one-line SweepError naming it (truncated, not Parquet, unreadable)."""
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException, ValueError) as err:
        raise _unreadable(path, err) from None


def _unreadable(path: Path, err: BaseException) -> SweepError:
    text = " ".join(str(err).split())[:120]
    return SweepError(f"{path}: unreadable part file ({type(err).__name__}: {text}); move it aside and rerun "
                      "to redo its runs (`lcsim sweep --check DIR` lists every problem)")


def part_info(path: Path) -> PartInfo:
    try:
        meta = pq.read_schema(path).metadata or {}
        table = pq.read_table(path, columns=["run_id", "error"])
    except (OSError, pa.ArrowException, ValueError, KeyError) as err:
        raise _unreadable(path, err) from None
    ids = table.column("run_id").to_pylist()
    errors = table.column("error").to_pylist()
    listed = None
    if META_RUNS in meta:
        try:
            listed = json.loads(meta[META_RUNS])
        except ValueError:
            listed = []
    return PartInfo(path, ids, {r for r, e in zip(ids, errors) if e is not None},
                    meta[META_HASH].decode() if META_HASH in meta else None,
                    meta[META_MODEL].decode() if META_MODEL in meta else None, listed)


def provenance(experiment_hash: str, fingerprint: str, run_ids: list[str] | None) -> dict[bytes, bytes]:
    meta = {META_HASH: experiment_hash.encode(), META_MODEL: fingerprint.encode()}
    if run_ids is not None:
        meta[META_RUNS] = json.dumps(run_ids, separators=(",", ":")).encode()
    return meta


@dataclass
class Scan:
    """What a folder's runs parts hold, each part read once."""

    parts: list[PartInfo] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        return [r for p in self.parts for r in p.run_ids]

    def first(self) -> dict[str, PartInfo]:
        """Each run id's first part (the copy load_results keeps)."""
        out: dict[str, PartInfo] = {}
        for p in self.parts:
            for r in p.run_ids:
                out.setdefault(r, p)
        return out

    @property
    def duplicates(self) -> dict[str, int]:
        return {r: n for r, n in Counter(self.run_ids).items() if n > 1}

    def failed(self) -> set[str]:
        return {r for r, p in self.first().items() if r in p.failed}


def scan(path: Path) -> Scan:
    return Scan([part_info(f) for f in parts(Path(path) / RUNS)])


class SweepFolder:
    def __init__(self, path: Path, flush_seconds: float = 2.0, flush_rows: int = 2000) -> None:
        self.path = Path(path)
        self.flush_seconds, self.flush_rows = flush_seconds, flush_rows
        self.done: set[str] = set()  # run ids found on opening: what a resume skips
        self.finished = 0  # runs in the folder, resumed ones included
        self.failed = 0  # of which recorded with an error
        self.outcomes: dict[str, pa.DataType | None] = {}  # summary keys in order, and their types so far
        self.params = dict(PARAMS)
        self.manifest: dict | None = None
        self._rows: list[dict] = []
        self._monthly: list[pd.DataFrame] = []
        self._next = 1
        self._last_flush = time.monotonic()
        self._lock = None
        self._scan: Scan | None = None

    # -- before anything is written ---------------------------------------------------------
    def check(self, manifest: dict, adopt: bool = False) -> dict | None:
        """Refuse a folder this sweep must not write to; return its manifest if it is a sweep to resume.

        Every part's provenance is checked against this experiment: a part of another experiment is
        refused, and so are parts without a manifest unless `adopt` (and then they must be this one's)."""
        self._scan = None
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
            found = scan(self.path)
            if found.parts and not adopt:
                raise SweepError(f"{self.path}: holds {len(found.parts)} part file(s) of runs but no {MANIFEST}, so "
                                 "nothing says which experiment wrote them; use another output folder, or add "
                                 "--adopt (lcsim.sweep(..., adopt=True)) if they are this experiment's runs")
            self._check_parts(found, manifest["experiment_hash"], adopting=True)
            self._scan = found
            return None
        if old.get("experiment_hash") != manifest["experiment_hash"]:
            name = old.get("experiment", {}).get("name", "?") if isinstance(old.get("experiment"), dict) else "?"
            raise SweepError(f"{self.path}: holds results of a different experiment ('{name}', hash "
                             f"{str(old.get('experiment_hash'))[:12]}; this one is "
                             f"{manifest['experiment_hash'][:12]}); use another output folder, or delete that one "
                             "to start over")
        if bool(old.get("monthly")) != bool(manifest["monthly"]):
            flag = "with" if old.get("monthly") else "without"
            raise SweepError(f"{self.path}: was started {flag} --monthly; resume it the same way, "
                             "or use another output folder")
        found = scan(self.path)
        self._check_parts(found, manifest["experiment_hash"], adopting=False)
        self._scan = found
        return old

    def _check_parts(self, found: Scan, experiment_hash: str, adopting: bool) -> None:
        for p in found.parts:
            if adopting and p.experiment_hash is None:
                raise SweepError(f"{p.path}: carries no provenance (written by an older lcsim), so it cannot be "
                                 "adopted without a manifest; use another output folder")
            if p.experiment_hash is not None and p.experiment_hash != experiment_hash:
                whose = "this folder's manifest" if not adopting else "this experiment"
                raise SweepError(f"{p.path}: was written by another experiment (hash {p.experiment_hash[:12]}; "
                                 f"{whose} is {experiment_hash[:12]}); move it out of the folder, or use another "
                                 "output folder")
            if p.listed is not None and p.listed != p.run_ids:
                raise SweepError(f"{p.path}: its run ids differ from those its metadata lists (edited by hand?); "
                                 "move it aside and rerun to redo its runs")

    # -- opening, streaming, closing -----------------------------------------------------------
    def open(self, manifest: dict, design: pd.DataFrame, adopt: bool = False, retry_failed: bool = False) -> None:
        """Create (or reopen to resume) the folder, take its lock, and learn which runs are done."""
        from ..output import usable_folder

        old = self.check(manifest, adopt)
        usable_folder(self.path, what="sweep folder")
        self._take_lock()
        self.manifest = manifest
        self.params = param_columns(manifest.get("columns", {}).get("assumptions", ()))
        try:
            if old is None:
                table = pa.Table.from_pandas(design, preserve_index=False)
                atomic_write(self.path / DESIGN_FILE, lambda tmp: pq.write_table(table, tmp))
                write_manifest(self.path, manifest)  # last: a folder with a manifest is a complete start
            else:
                self.manifest = {**manifest, "created": old.get("created", manifest.get("created")),
                                 "model_fingerprint": old.get("model_fingerprint")}
                if old.get("lcsim_version") != manifest["lcsim_version"]:
                    warnings.warn(f"{self.path} was started with lcsim {old.get('lcsim_version')}; this is "
                                  f"{manifest['lcsim_version']}: its new runs may not be comparable with the earlier "
                                  "ones", SweepWarning, stacklevel=3)
                elif old.get("model_fingerprint") != manifest.get("model_fingerprint"):
                    warnings.warn(f"{self.path} was started with other model code (model_fingerprint differs): its "
                                  "new runs may not be comparable with the earlier ones (the manifest records which "
                                  "runs came from which code); use a new folder to start over",
                                  SweepWarning, stacklevel=3)
            tables = [RUNS, MONTHLY] if manifest["monthly"] else [RUNS]
            for table in tables:
                (self.path / table).mkdir(exist_ok=True)
            _remove_temporaries(self.path, tables)
        except OSError as err:
            self.close()
            raise disk_error(err, self.path) from None
        found = self._scan if self._scan is not None else scan(self.path)
        if manifest["monthly"]:  # a monthly part whose runs part never landed: those runs will rerun
            kept = {part_number(p.path) for p in found.parts}
            for f in parts(self.path / MONTHLY):
                if part_number(f) not in kept:
                    f.unlink()
        if retry_failed:
            found = self._drop_failed(found)
        dups = found.duplicates
        if dups:
            warnings.warn(f"{self.path}: {len(dups)} run id(s) appear in more than one part (e.g. {next(iter(dups))}; "
                          "a copied part?): each is counted once and load_results keeps its first copy; "
                          "`lcsim sweep --check DIR` lists them", SweepWarning, stacklevel=3)
        designed = designed_ids(manifest)
        first = found.first()
        self.done = {r for r in first if designed(r)}
        self.finished = len(self.done)
        self.failed = len(found.failed() & self.done)
        for p in found.parts:
            try:
                self._learn(pq.read_schema(p.path))
            except (OSError, pa.ArrowException) as err:
                raise _unreadable(p.path, err) from None
            self._next = max(self._next, part_number(p.path) + 1)
        self._scan = found

    def _drop_failed(self, found: Scan) -> Scan:
        """--retry-failed: rewrite each part without its failed runs (atomically), so they run again."""
        kept = []
        for p in found.parts:
            if not p.failed:
                kept.append(p)
                continue
            table = read_part(p.path)
            mask = pa.array([r not in p.failed for r in p.run_ids])
            rest = table.filter(mask)
            if len(rest) == 0:
                p.path.unlink()
                monthly = self.path / MONTHLY / p.path.name
                if monthly.exists():
                    monthly.unlink()
                continue
            ids = rest.column("run_id").to_pylist()
            meta = dict(table.schema.metadata or {})
            if META_RUNS in meta:
                meta[META_RUNS] = json.dumps(ids, separators=(",", ":")).encode()
            rest = rest.replace_schema_metadata(meta)
            self._write(p.path, lambda tmp, t=rest: pq.write_table(t, tmp))
            kept.append(PartInfo(p.path, ids, set(), p.experiment_hash, p.model_fingerprint,
                                 ids if p.listed is not None else None))
        return Scan(kept)

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
        ids = [r["run_id"] for r in self._rows]
        if self._monthly:
            table = pa.Table.from_pandas(pd.concat(self._monthly, ignore_index=True), preserve_index=False)
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **self._provenance(None)})
            self._write(self.path / MONTHLY / name, lambda tmp: pq.write_table(table, tmp))
        runs = self._runs_table(self._rows).replace_schema_metadata(self._provenance(ids))
        self._write(self.path / RUNS / name, lambda tmp: pq.write_table(runs, tmp))
        if self._scan is not None:
            self._scan.parts.append(PartInfo(self.path / RUNS / name, ids,
                                             {r["run_id"] for r in self._rows if r["error"] is not None},
                                             None, self._fingerprint(), ids))
        self.finished += len(self._rows)
        self.failed += sum(r["error"] is not None for r in self._rows)
        self._next += 1
        self._rows, self._monthly = [], []

    def _provenance(self, ids) -> dict[bytes, bytes]:
        m = self.manifest or {}
        return provenance(m.get("experiment_hash", ""), self._fingerprint(), ids)

    def _fingerprint(self) -> str:
        from .runner import model_fingerprint

        return model_fingerprint()

    def _write(self, target: Path, write) -> None:
        try:
            atomic_write(target, write)
        except OSError as err:
            raise disk_error(err, target) from None

    def close(self, status: dict | None = None) -> None:
        """Flush, give every part one schema (readers that scan a folder want that), record status, unlock."""
        try:
            try:
                self.flush()
            except OutputError:
                if status is not None:
                    raise
                # already failing (e.g. the disk is full): the runs written so far stay saved
            if status is not None:
                for table in (RUNS, MONTHLY):
                    if (self.path / table).is_dir():
                        self._harmonize(self.path / table, last="error" if table == RUNS else None)
                manifest = read_manifest(self.path) or dict(self.manifest or {})
                manifest["outcomes"] = list(self.outcomes)
                manifest["status"] = status
                if self._scan is not None:
                    manifest["model_fingerprints"] = _by_fingerprint(self._scan)
                try:
                    write_manifest(self.path, manifest)
                except OSError as err:
                    raise disk_error(err, self.path / MANIFEST) from None
        finally:
            if self._lock is not None:
                self._lock.close()  # releases the flock
                self._lock = None

    def _harmonize(self, folder: Path, last: str | None) -> None:
        try:
            harmonize(folder, last)
        except OSError as err:
            raise disk_error(err, folder) from None

    # -- internals ---------------------------------------------------------------------------
    def _take_lock(self) -> None:
        try:
            self._lock = open(self.path / LOCK, "a+")
        except OSError as err:
            raise disk_error(err, self.path / LOCK) from None
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
            if f.name not in IDENTITY and f.name not in self.params and f.name != "error":
                known = self.outcomes.get(f.name)
                self.outcomes[f.name] = f.type if known is None else _unify(known, f.type)

    def _runs_table(self, rows: list[dict]) -> pa.Table:
        for row in rows:
            if row.get("error") is None:
                for key in row:
                    if key not in IDENTITY and key not in self.params and key != "error":
                        self.outcomes.setdefault(key, None)
        arrays, fields = [], []
        for name, kind in {**IDENTITY, **self.params}.items():
            arrays.append(pa.array([r.get(name) for r in rows], type=kind))
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


def _by_fingerprint(found: Scan) -> dict[str, dict]:
    """Which parts (and how many runs) each version of the model code wrote."""
    out: dict[str, dict] = {}
    for p in found.parts:
        entry = out.setdefault(p.model_fingerprint or "unknown (written before parts carried it)",
                               {"parts": [], "runs": 0})
        entry["parts"].append(p.path.name)
        entry["runs"] += len(p.run_ids)
    return out


def designed_ids(manifest: dict):
    """A test: is this run id one the manifest's design has?"""
    points, replicates = manifest.get("points"), manifest.get("replicates")

    def designed(rid: str) -> bool:
        m = RUN_ID_RE.fullmatch(rid) if isinstance(rid, str) else None
        if m is None or points is None or replicates is None:
            return m is not None
        return int(m.group(1)) < points and int(m.group(2)) < replicates

    return designed


def _unify(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if a.equals(b):
        return a
    merged = pa.unify_schemas([pa.schema([("x", a)]), pa.schema([("x", b)])], promote_options="permissive")
    return merged.field("x").type


def harmonize(folder: Path, last: str | None = None) -> None:
    """Rewrite (atomically) the parts whose schema differs from the union of all: e.g. a part where every
    run survived has an all-null `dissolved_month` that others hold as integers. Each keeps its metadata."""
    files = parts(folder)
    if len(files) < 2:
        return
    schemas = [pq.read_schema(f) for f in files]
    unified = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    if last is not None and last in unified.names:  # keep `error` as the last column
        moved = unified.field(last)
        unified = unified.remove(unified.get_field_index(last)).append(moved)
    unified = unified.remove_metadata()
    for f, schema in zip(files, schemas):
        if not schema.remove_metadata().equals(unified):
            table = conform(read_part(f), unified).replace_schema_metadata(schema.metadata)
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
        try:
            if tmp.exists():
                tmp.unlink()
        except OSError:
            pass


def _remove_temporaries(path: Path, tables: list[str]) -> None:
    for folder in [path, *(path / t for t in tables)]:
        for f in folder.glob(".*.tmp"):
            f.unlink(missing_ok=True)


def read_manifest(path: Path) -> dict | None:
    """The folder's manifest, None if it has none, or the one-line SweepError if it cannot be read."""
    target = Path(path) / MANIFEST
    try:
        text = target.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise SweepError(f"{target}: cannot read it ({type(err).__name__}); check the folder's permissions") from None
    try:
        manifest = json.loads(text)
    except ValueError as err:
        raise SweepError(f"{target}: not valid JSON ({err}; truncated or edited?); restore it, or move the folder "
                         "aside and rerun to start over") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("experiment_hash", ""), str):
        raise SweepError(f"{target}: not a sweep manifest (expected a JSON object with experiment_hash); "
                         "restore it, or move the folder aside and rerun to start over")
    return manifest


def write_manifest(path: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    atomic_write(Path(path) / MANIFEST, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def finished_run_ids(path) -> set[str]:
    """The ids of the runs a sweep folder already holds (what a resume will skip)."""
    return set(scan(Path(path)).run_ids)


def load_results(path, monthly: bool = False) -> pd.DataFrame:
    """All finished runs of a sweep folder, one row per run in (point, replicate) order.

    With `monthly=True`, the run-community-month table instead (run_id, point, replicate, then the
    model's per-community monthly columns, `SimulationResult.communities`: with one community,
    `community` is 0 throughout and the columns are those of `.monthly`). Works on a folder whose sweep is still running or was interrupted. A run id
    found in more than one part (a copied part) is returned once, from its first part.
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    if manifest is None:
        raise SweepError(f"{folder}: not a sweep folder (no {MANIFEST})")
    run_files = parts(folder / RUNS)
    if monthly:
        if not (folder / MONTHLY).is_dir():
            raise SweepError(f"{folder}: this sweep was run without --monthly; rerun it with --monthly in a new folder")
        numbers = {part_number(f) for f in run_files}
        files = [f for f in parts(folder / MONTHLY) if part_number(f) in numbers]
        order = ["point", "replicate", "month", "community"]
    else:
        files, order = run_files, ["point", "replicate"]
    if not files:
        assumptions = manifest.get("columns", {}).get("assumptions", [])
        columns = ["run_id", "point", "replicate"] + ([] if monthly else ["seed", *SCHEMA, *assumptions, "error"])
        return pd.DataFrame(columns=columns)
    tables = [read_part(f) for f in files]
    table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables], promote_options="permissive")
    frame = table.to_pandas()
    if monthly:
        owner = {}  # each run's monthly rows from the part that holds its first runs row
        for f in run_files:
            for rid in read_part(f, ["run_id"]).column("run_id").to_pylist():
                owner.setdefault(rid, part_number(f))
        part_of = pd.Series([part_number(f) for f, t in zip(files, tables) for _ in range(len(t))])
        keep = (frame["run_id"].map(owner) == part_of).to_numpy()
        frame = frame[keep]
    else:
        frame = frame[~frame["run_id"].duplicated(keep="first")]
    for name in frame.columns:  # a bool outcome with nulls (failed runs) comes back as object
        if frame[name].dtype == object and frame[name].dropna().map(type).eq(bool).all() and frame[name].notna().any():
            frame[name] = frame[name].astype("boolean")
    return frame.sort_values([c for c in order if c in frame.columns], kind="stable").reset_index(drop=True)


# -- verifying a folder -------------------------------------------------------------------------------
@dataclass
class FolderCheck:
    """`check_folder`'s verdict: counts, and every problem found (empty when the folder is sound)."""

    path: Path
    name: str | None = None
    experiment_hash: str | None = None
    designed: int | None = None
    parts: int = 0
    rows: int = 0
    runs: int = 0  # distinct designed run ids
    failed: int = 0
    missing: int | None = None
    fingerprints: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def complete(self) -> bool:
        return self.ok and self.missing == 0

    def describe(self) -> str:
        lines = [f"{self.path}: " + ("sound" if self.ok else f"{len(self.problems)} problem(s)")
                 + (", complete" if self.complete else "")]
        if self.name is not None:
            lines.append(f"  experiment: {self.name} (hash {str(self.experiment_hash)[:12]})")
        if self.designed is not None:
            lines.append(f"  runs: {self.runs} of {self.designed} designed ({self.failed} failed, "
                         f"{self.missing} missing) in {self.rows} rows over {self.parts} part file(s)")
        for fp, what in self.fingerprints.items():
            lines.append(f"  model code {fp[:12]}: {what['runs']} runs in {len(what['parts'])} part(s)")
        lines += [f"  note: {n}" for n in self.notes]
        shown = self.problems[:12]
        lines += [f"  problem: {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more problems")
        if self.failed and self.ok:
            lines.append("  rerun the failed runs with: lcsim sweep FILE --out DIR --retry-failed")
        return "\n".join(lines)


def check_folder(path) -> FolderCheck:
    """Verify a sweep folder without changing it: manifest, every part readable and of this experiment,
    run ids designed and distinct, monthly parts matched; counts of runs, failures and what is missing."""
    folder = Path(path)
    out = FolderCheck(folder)
    if not folder.is_dir():
        out.problems.append("not a folder")
        return out
    try:
        manifest = read_manifest(folder)
    except SweepError as err:
        out.problems.append(str(err))
        manifest = None
    if manifest is None:
        if not out.problems:
            out.problems.append(f"no {MANIFEST}: nothing says which experiment wrote this folder")
    else:
        exp = manifest.get("experiment") if isinstance(manifest.get("experiment"), dict) else {}
        out.name, out.experiment_hash, out.designed = exp.get("name"), manifest.get("experiment_hash"), \
            manifest.get("runs")
    infos = []
    for f in parts(folder / RUNS):
        try:
            infos.append(part_info(f))
        except SweepError as err:
            out.problems.append(str(err))
    found = Scan(infos)
    out.parts, out.rows = len(parts(folder / RUNS)), len(found.run_ids)
    for p in infos:
        if p.experiment_hash is None:
            out.notes.append(f"{p.path.name}: carries no provenance (written by an older lcsim)")
        elif out.experiment_hash is not None and p.experiment_hash != out.experiment_hash:
            out.problems.append(f"{p.path.name}: written by another experiment (hash {p.experiment_hash[:12]})")
        if p.listed is not None and p.listed != p.run_ids:
            out.problems.append(f"{p.path.name}: its run ids differ from those its metadata lists")
    dups = found.duplicates
    if dups:
        holders = sorted({p.path.name for p in infos if set(p.run_ids) & set(dups)})
        out.problems.append(f"{len(dups)} run id(s) appear more than once (e.g. {next(iter(dups))}), in "
                            f"{', '.join(holders[:6])}: a copied part? load_results keeps the first copy")
    designed = designed_ids(manifest or {})
    first = found.first()
    alien = [r for r in first if not designed(r)]
    if alien:
        out.problems.append(f"{len(alien)} run id(s) outside the design (e.g. {alien[0]})")
    ids = {r for r in first if designed(r)}
    out.runs, out.failed = len(ids), len(found.failed() & ids)
    if out.designed is not None:
        out.missing = out.designed - out.runs
    out.fingerprints = _by_fingerprint(found)
    if manifest is not None and manifest.get("monthly"):
        numbers = {part_number(p.path) for p in infos}
        orphans = [f.name for f in parts(folder / MONTHLY) if part_number(f) not in numbers]
        if orphans:
            out.notes.append(f"{len(orphans)} monthly part(s) without their runs part (a resume drops them)")
    temporaries = [f.name for f in folder.rglob(".*.tmp")]
    if temporaries:
        out.notes.append(f"{len(temporaries)} temporary file(s) of an interrupted write (a resume removes them)")
    return out
