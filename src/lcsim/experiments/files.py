"""The files of a sweep folder: names, atomic writes with checksums, part files and their metadata, the manifest.

    DIR/manifest.json                the experiment, its hash, design, seeds, versions (written first)
    DIR/design.parquet               one row per design point
    DIR/runs/part-000001.parquet     one row per run (run id, seed, parameters, outcomes, error)
    DIR/monthly/part-000001.parquet  with --monthly: one row per run and month (same part numbers)
    DIR/checksums/runs/part-000001.parquet.sha256   each file's SHA-256 (`sha256sum` format), design too
    DIR/damaged/runs/part-...        parts that failed their check, set aside by a resume (their runs rerun)

Every file is written to a hidden temporary name, synced, then renamed, so a reader (or a resumed
sweep) never sees half a file. A part's checksum file is renamed into place before the part, so a
part never lands without the checksum of its bytes (a checksum file without its part is ignored).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import SweepError
from ..parameters import SCHEMA
from .design import entry

MANIFEST, DESIGN_FILE, RUNS, MONTHLY, LOCK = "manifest.json", "design.parquet", "runs", "monthly", ".lock"
DAMAGED, SUMS, CHECKSUM = "damaged", "checksums", ".sha256"
PART = re.compile(r"part-(\d+)\.parquet")
RUN_ID_RE = re.compile(r"p(\d+)-r(\d+)")
SUM_LINE = re.compile(r"([0-9a-f]{64})  (\S+)")
IDENTITY = {"run_id": pa.string(), "point": pa.int64(), "replicate": pa.int64(), "seed": pa.int64()}
KINDS = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "choice": pa.string()}
PARAMS = {name: KINDS[p.kind] for name, p in SCHEMA.items()}
META_HASH, META_MODEL, META_RUNS = b"lcsim.experiment_hash", b"lcsim.model_fingerprint", b"lcsim.run_ids"


class SweepWarning(UserWarning):
    """Something a researcher should know about a sweep that still runs (e.g. resumed on other code)."""


def param_columns(assumptions=()) -> dict[str, pa.DataType]:
    """The parameter columns of a runs table: every schema parameter, then the experiment's assumptions."""
    return {**PARAMS, **{name: KINDS[entry(name).kind] for name in assumptions}}


# -- atomic writes and checksums ---------------------------------------------------------------------
def atomic_write(target: Path, write) -> None:
    """Write through a hidden temporary file in the same folder, sync it, then rename over `target`."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        _discard(tmp)


def _discard(tmp: Path) -> None:
    """Remove a temporary file a write left behind (none after a successful rename)."""
    try:
        if tmp.exists():
            tmp.unlink()
    except OSError:
        pass


def _relative(path: Path) -> tuple[Path, str]:
    """The sweep folder `path` belongs to, and its name there (`runs/part-000001.parquet`)."""
    if path.parent.name in (RUNS, MONTHLY):
        return path.parent.parent, f"{path.parent.name}/{path.name}"
    return path.parent, path.name


def sidecar(path: Path) -> Path:
    """The checksum file of `path`: DIR/checksums/runs/part-000001.parquet.sha256, in `sha256sum` format
    (`cd DIR; cat checksums/runs/*.sha256 | sha256sum -c`). Not beside the part: Parquet readers given
    the folder `runs/` would try to read it."""
    root, name = _relative(path)
    return root / SUMS / (name + CHECKSUM)


def digest(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_sums(target: Path, sums: list[str]) -> None:
    name = _relative(target)[1]
    text = "".join(f"{s}  {name}\n" for s in sums)
    side = sidecar(target)
    side.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(side, lambda tmp: Path(tmp).write_text(text, encoding="ascii"))


def checked_write(target: Path, write) -> None:
    """`atomic_write` that also records the SHA-256 of the bytes written in `target`'s checksum file.

    The checksum file lands before the file it vouches for. Rewriting a file, the checksum file first
    lists the old and the new sums, and only the new one once the new file is in place: a crash at any
    moment leaves a file whose sum its checksum file holds."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        new = digest(tmp)
        old = recorded_sums(target) if target.exists() else []
        _write_sums(target, [new, *(s for s in old or [] if s != new)])
        os.replace(tmp, target)
        if old:
            _write_sums(target, [new])
    finally:
        _discard(tmp)


def recorded_sums(path: Path) -> list[str] | None:
    """The SHA-256 sums `path`'s checksum file vouches for; None without one; [] if it is malformed."""
    try:
        text = sidecar(path).read_bytes().decode("ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return []
    sums = []
    for line in text.splitlines():
        m = SUM_LINE.fullmatch(line)
        if m is None or m.group(2) != _relative(path)[1]:
            return []
        sums.append(m.group(1))
    return sums


def checksum_problem(path: Path, data: bytes | None = None) -> str | None:
    """Why `path`'s bytes (`data`, if already read) are not the ones written with it; None when its checksum
    holds. A file without a checksum file gives NO_CHECKSUM (the caller decides whether it may lack one)."""
    sums = recorded_sums(path)
    if sums is None:
        return NO_CHECKSUM
    if not sums:
        return f"its checksum file {sidecar(path).name} is malformed"
    try:
        actual = digest(path) if data is None else hashlib.sha256(data).hexdigest()
    except OSError as err:
        return f"cannot be read ({type(err).__name__})"
    if actual not in sums:
        return f"its SHA-256 ({actual[:12]}...) is not the one written with it ({sums[0][:12]}...): changed on disk"
    return None


NO_CHECKSUM = "carries no checksum"


# -- part files ---------------------------------------------------------------------------------------
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
        raise unreadable(path, err) from None


def unreadable(path: Path, err: BaseException) -> SweepError:
    text = " ".join(str(err).split())[:120]
    return SweepError(f"{path}: unreadable part file ({type(err).__name__}: {text}); move it aside and rerun "
                      "to redo its runs (`lcsim sweep --check DIR` lists every problem)")


def part_info(path: Path, table: pa.Table | None = None) -> PartInfo:
    """What a part holds (`table`: the part, if already read)."""
    try:
        meta = (table.schema if table is not None else pq.read_schema(path)).metadata or {}
        if table is None:
            table = pq.read_table(path, columns=["run_id", "error"])
        ids = table.column("run_id").to_pylist()
        errors = table.column("error").to_pylist()
    except (OSError, pa.ArrowException, ValueError, KeyError) as err:
        raise unreadable(path, err) from None
    listed = None
    if META_RUNS in meta:
        try:
            listed = json.loads(meta[META_RUNS])
        except ValueError:
            listed = []
    return PartInfo(path, ids, {r for r, e in zip(ids, errors) if e is not None},
                    meta[META_HASH].decode(errors="replace") if META_HASH in meta else None,
                    meta[META_MODEL].decode(errors="replace") if META_MODEL in meta else None, listed)


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


def by_fingerprint(found: Scan) -> dict[str, dict]:
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


def parts(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if PART.fullmatch(f.name)), key=part_number)


def part_number(path: Path) -> int:
    return int(PART.fullmatch(path.name).group(1))


# -- one schema for every part ------------------------------------------------------------------------
def unify(a: pa.DataType, b: pa.DataType) -> pa.DataType:
    if a.equals(b):
        return a
    merged = pa.unify_schemas([pa.schema([("x", a)]), pa.schema([("x", b)])], promote_options="permissive")
    return merged.field("x").type


def harmonize(folder: Path, last: str | None = None) -> None:
    """Rewrite (atomically, with a new checksum) the parts whose schema differs from the union of all: e.g. a
    part where every run survived has an all-null `dissolved_month` that others hold as integers. Each keeps
    its metadata."""
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
        if checksum_problem(f) not in (None, NO_CHECKSUM):
            continue  # damaged since the sweep opened: left as it is, for the next check to catch
        if not schema.remove_metadata().equals(unified):
            table = conform(read_part(f), unified).replace_schema_metadata(schema.metadata)
            checked_write(f, lambda tmp, t=table: pq.write_table(t, tmp))


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


# -- the manifest -------------------------------------------------------------------------------------
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


def remove_temporaries(path: Path, tables: list[str]) -> None:
    """Leftovers of an interrupted write: temporary files, and checksum files whose part never landed."""
    for folder in [path, *(path / t for t in tables), path / SUMS, *(path / SUMS / t for t in tables)]:
        for f in folder.glob(".*.tmp"):
            f.unlink(missing_ok=True)
    for f in (path / SUMS).rglob(f"*{CHECKSUM}"):
        if not (path / f.relative_to(path / SUMS).as_posix().removesuffix(CHECKSUM)).exists():
            f.unlink(missing_ok=True)
