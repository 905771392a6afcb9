"""A sweep's output folder, written as runs finish: manifest, design table, Parquet parts, resume.

The folder's layout, atomic writes and checksums are in `files`; checking its files against the
manifest and design in `checks`; reading it back (`load_results`, `check_folder`) in `results`.

Every part carries its provenance in its Parquet metadata (`lcsim.experiment_hash`,
`lcsim.model_fingerprint`, `lcsim.run_ids`) and its SHA-256 in `checksums/`: a folder whose parts
disagree with its manifest, or that has parts and no manifest, is refused rather than adopted; a
part that fails its check (damaged on disk, or edited) is set aside in `damaged/` by a resume, which
reruns its runs.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import OutputError, SweepError
from ..output import disk_error
from .checks import Verified, verify
from .files import (
    DAMAGED,
    DESIGN_FILE,
    IDENTITY,
    LOCK,
    MANIFEST,
    META_RUNS,
    MONTHLY,
    PARAMS,
    RUNS,
    SUMS,
    PartInfo,
    Scan,
    SweepWarning,
    atomic_write,
    by_fingerprint,
    checked_write,
    designed_ids,
    digest,
    harmonize,
    param_columns,
    part_number,
    parts,
    provenance,
    read_manifest,
    read_part,
    remove_temporaries,
    sidecar,
    unify,
    unreadable,
    write_manifest,
)
from .results import FolderCheck, check_folder, load_results

# What other modules import from here (the sweep engine, validation's and analysis' writers, tests).
__all__ = ["DESIGN_FILE", "IDENTITY", "MONTHLY", "RUNS", "FolderCheck", "SweepError", "SweepFolder", "SweepWarning",
           "atomic_write", "check_folder", "designed_ids", "harmonize", "load_results", "read_manifest"]
CHECKSUMS = {"algorithm": "sha256", "folder": SUMS}  # the manifest's record of what carries a checksum


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
        self._scan: Scan | None = None  # the sound runs parts
        self._verified: Verified | None = None
        self._warned: set[str] = set()
        self._model = ""  # the fingerprint of the code writing new parts (the manifest keeps the first one's)

    # -- before anything is written ---------------------------------------------------------
    def check(self, manifest: dict, adopt: bool = False) -> dict | None:
        """Refuse a folder this sweep must not write to; return its manifest if it is a sweep to resume.

        Every part's provenance is checked against this experiment: a part of another experiment is
        refused, and so are parts without a manifest unless `adopt` (and then they must be this one's). Every
        part is checked (checksum, values against the design): a damaged part is left out of what is done, with
        a warning, and `open` sets it aside so its runs rerun."""
        self._scan = self._verified = None
        if not self.path.exists():
            return None
        if not self.path.is_dir():
            raise SweepError(f"{self.path}: exists and is not a folder; choose another output folder")
        old = read_manifest(self.path)
        if old is None:
            foreign = [e for e in os.listdir(self.path) if e not in (DESIGN_FILE, RUNS, MONTHLY, LOCK, SUMS, DAMAGED)
                       and not e.startswith(".")]
            if foreign:
                raise SweepError(f"{self.path}: not a sweep folder (no {MANIFEST}, holds {foreign[0]!r}); "
                                 "choose another output folder")
            if parts(self.path / RUNS) and not adopt:
                raise SweepError(f"{self.path}: holds {len(parts(self.path / RUNS))} part file(s) of runs but no "
                                 f"{MANIFEST}, so nothing says which experiment wrote them; use another output folder, "
                                 "or add --adopt (lcsim.sweep(..., adopt=True)) if they are this experiment's runs")
            found = self._verify(manifest, adopting=True)
            self._check_parts(found.sound, manifest["experiment_hash"], adopting=True)
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
        self._verify(old, adopting=False)
        return old

    def _verify(self, manifest: dict, adopting: bool) -> Verified:
        found = verify(self.path, manifest)
        if found.foreign:
            p = found.foreign[0]
            whose = "this folder's manifest" if not adopting else "this experiment"
            raise SweepError(f"{p.path}: was written by another experiment (hash {p.experiment_hash[:12]}; {whose} "
                             f"is {manifest['experiment_hash'][:12]}); move it out of the folder, or use another "
                             "output folder")
        if found.damaged:
            runs = len({r for items in found.damaged.values() for f, _ in items if f.parent.name == RUNS
                        for r in _listed(f)})
            listed = f" ({runs} listed in them)" if runs else ""
            self._warn(f"{self.path}: {len(found.damaged)} part(s) fail their check: {found.describe_damage()}; "
                       f"a resume moves them to {DAMAGED}/ and reruns their runs{listed}")
        if found.design_problem and not adopting:
            self._warn(f"{self.path}: {found.design_problem}; a resume writes it again from the experiment")
        self._scan, self._verified = found.sound, found
        return found

    def _warn(self, message: str) -> None:
        if message not in self._warned:  # once, though plan() and open() both check the folder
            self._warned.add(message)
            warnings.warn(message, SweepWarning, stacklevel=5)

    def _check_parts(self, found: Scan, experiment_hash: str, adopting: bool) -> None:
        for p in found.parts:
            if adopting and p.experiment_hash is None:
                raise SweepError(f"{p.path}: carries no provenance (written by an older lcsim), so it cannot be "
                                 "adopted without a manifest; use another output folder")

    # -- opening, streaming, closing -----------------------------------------------------------
    def open(self, manifest: dict, design: pd.DataFrame, adopt: bool = False, retry_failed: bool = False) -> None:
        """Create (or reopen to resume) the folder, take its lock, and learn which runs are done."""
        from ..output import usable_folder

        self._model = manifest.get("model_fingerprint") or ""
        old = self.check(manifest, adopt)
        usable_folder(self.path, what="sweep folder")
        self._take_lock()
        self.manifest = manifest
        self.params = param_columns(manifest.get("columns", {}).get("assumptions", ()))
        try:
            if old is None:
                table = pa.Table.from_pandas(design, preserve_index=False)
                checked_write(self.path / DESIGN_FILE, lambda tmp: pq.write_table(table, tmp))
                adopted = self._verified.legacy if self._verified is not None else []
                start = self._first_free() if any(f.name != DESIGN_FILE for f in adopted) else 1  # adopted, no sums
                self.manifest = {**manifest, "checksums": {**CHECKSUMS, "design": True, "from_part": start}}
                write_manifest(self.path, self.manifest)  # last: a folder with a manifest is a complete start
            else:
                self._resume_design(design)
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
            remove_temporaries(self.path, tables)
            self._set_aside()
            if old is not None and not isinstance(old.get("checksums"), dict):
                # Written by an lcsim without checksums: parts from the next number on carry one.
                old = {**read_manifest(self.path), "checksums": {**CHECKSUMS, "design": True,
                                                                  "from_part": self._first_free()}}
                write_manifest(self.path, old)
        except OSError as err:
            self.close()
            raise disk_error(err, self.path) from None
        except SweepError:
            self.close()  # release the lock: nothing was written
            raise
        found = self._scan if self._scan is not None else Scan()
        if manifest["monthly"]:  # a monthly part whose runs part never landed: those runs will rerun
            kept = {part_number(p.path) for p in found.parts}
            for f in parts(self.path / MONTHLY):
                if part_number(f) not in kept:
                    f.unlink()
                    sidecar(f).unlink(missing_ok=True)
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
                raise unreadable(p.path, err) from None
        self._next = self._first_free()
        self._scan = found

    def _first_free(self) -> int:
        """The next part number: never one a part (set aside or not) has had, so no two files share one."""
        numbers = [part_number(f) for sub in (RUNS, MONTHLY) for d in (self.path, self.path / DAMAGED)
                   for f in parts(d / sub)]
        return max(numbers, default=0) + 1

    def _resume_design(self, design: pd.DataFrame) -> None:
        """A resumed folder's design.parquet: rewritten if damaged; refused if it is not the one this
        experiment draws (the sampler's library changed?); given a checksum if an older lcsim wrote it."""
        path, found = self.path / DESIGN_FILE, self._verified
        if found is None or found.design_problem is not None:
            table = pa.Table.from_pandas(design, preserve_index=False)
            checked_write(path, lambda tmp: pq.write_table(table, tmp))
            return
        stored = found.design
        if stored is not None and not _same_values(stored, design):
            raise SweepError(f"{path}: is not the design this experiment draws now (same experiment hash: a "
                             "sampler library changed?), so new runs would not match the earlier ones; use another "
                             "output folder, or install the versions the manifest records")
        if path in found.legacy:
            sums = sidecar(path)
            sums.parent.mkdir(exist_ok=True)
            atomic_write(sums, lambda tmp: Path(tmp).write_text(f"{digest(path)}  {DESIGN_FILE}\n", encoding="ascii"))

    def _set_aside(self) -> None:
        """Move the parts that failed their check (and their checksum files) to DIR/damaged/: kept for a
        look, out of the way of the resume that reruns their runs."""
        found = self._verified
        for number in (found.damaged if found is not None else {}):
            for sub in (RUNS, MONTHLY):
                f = self.path / sub / f"part-{number:06d}.parquet"
                for source, target in ((f, self.path / DAMAGED / sub / f.name),
                                       (sidecar(f), self.path / DAMAGED / SUMS / sub / sidecar(f).name)):
                    if source.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.replace(source, target)

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
                for f in (p.path, self.path / MONTHLY / p.path.name):
                    f.unlink(missing_ok=True)
                    sidecar(f).unlink(missing_ok=True)
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
        return self._model

    def _write(self, target: Path, write) -> None:
        try:
            checked_write(target, write)
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
                    manifest["model_fingerprints"] = by_fingerprint(self._scan)
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
                self.outcomes[f.name] = f.type if known is None else unify(known, f.type)

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
                known = unify(known, array.type)
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


def _listed(path: Path) -> list[str]:
    """The run ids a (damaged) part's metadata lists, if it can be read at all."""
    try:
        meta = pq.read_schema(path).metadata or {}
        listed = json.loads(meta.get(META_RUNS, b"[]"))
        return [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
    except Exception:  # damaged: nothing to say
        return []


def _same_values(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """The same design, whatever dtypes pandas gave its columns (str or object, int64 or Int64)."""
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    return all(a[c].astype(object).tolist() == b[c].astype(object).tolist() for c in a.columns)
