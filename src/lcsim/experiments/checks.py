"""Checking a sweep folder's files: each part's checksum, provenance and values against the manifest and design.

A part is sound when its bytes are those written with it (its SHA-256 in `checksums/`), it was
written by this folder's experiment, and its values are the design's: column types, run ids of
the design, each run's point, replicate and seed as the design derives them, every parameter
within the schema's range and equal to the design point's (or the base) value. `verify` checks a
whole folder; the sweep (resume), `load_results` and `check_folder` (`lcsim sweep --check`) use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import SweepError
from .design import build_design, entry, run_seed
from .experiment import load_experiment
from .files import (
    DESIGN_FILE,
    IDENTITY,
    KINDS,
    MONTHLY,
    NO_CHECKSUM,
    PARAMS,
    RUN_ID_RE,
    RUNS,
    PartInfo,
    Scan,
    checksum_problem,
    part_info,
    part_number,
    parts,
)


def _entry(name: str):
    try:
        return entry(name)
    except Exception:  # a parameter this lcsim no longer knows: its column is not checked
        return None


def must_carry_checksum(manifest: dict | None, path: Path) -> bool:
    """Was `path` written by an lcsim that writes checksums? (The manifest says from which part on.)"""
    sums = (manifest or {}).get("checksums")
    if not isinstance(sums, dict):
        return False
    if path.name == DESIGN_FILE:
        return bool(sums.get("design"))
    start = sums.get("from_part")
    return isinstance(start, int) and part_number(path) >= start


MISSING = "its checksum file is missing (checksums/ lost, or the file copied in)"


def _checksum(path: Path, manifest: dict | None, verified: list | None = None,
              data: bytes | None = None) -> tuple[str | None, bool]:
    """(problem, legacy): legacy is a file written before lcsim wrote checksums. `verified` collects the
    files whose checksum held; `data`: the file's bytes, if already read."""
    problem = checksum_problem(path, data)
    if problem is None and verified is not None:
        verified.append(path)
    if problem == NO_CHECKSUM:
        if must_carry_checksum(manifest, path):
            return MISSING, False
        return None, True
    return problem, False


# -- the design ---------------------------------------------------------------------------------------
def read_design(folder: Path, manifest: dict, verified: list | None = None
                ) -> tuple[pd.DataFrame | None, str | None, bool]:
    """(design table, problem, legacy) of a folder's design.parquet, checked against the manifest."""
    path = Path(folder) / DESIGN_FILE
    if not path.exists():
        return None, f"{DESIGN_FILE} is missing", False
    problem, legacy = _checksum(path, manifest, verified)
    if problem is not None:
        return None, f"{DESIGN_FILE}: {problem}", legacy
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException, ValueError) as err:
        return None, f"{DESIGN_FILE}: unreadable ({type(err).__name__}: {' '.join(str(err).split())[:100]})", legacy
    varied = manifest.get("varied")
    varied = list(varied) if isinstance(varied, list) else [c for c in table.column_names if c != "point"]
    if table.column_names != ["point", *varied]:
        return None, f"{DESIGN_FILE}: columns {table.column_names[:8]} are not point and the varied {varied}", legacy
    points = manifest.get("points")
    if points is not None and table.num_rows != points:
        return None, f"{DESIGN_FILE}: {table.num_rows} rows, the manifest designs {points} points", legacy
    frame = table.to_pandas()
    if not frame["point"].equals(pd.Series(np.arange(len(frame)), name="point")):
        return None, f"{DESIGN_FILE}: its points are not 0, 1, 2, ... in order", legacy
    for name in varied:
        why = _range_problem(name, frame[name], table.schema.field(name).type)
        if why is not None:
            return None, f"{DESIGN_FILE}: {why}", legacy
    return frame, None, legacy


def _range_problem(name: str, column, kind: pa.DataType) -> str | None:
    """Why a column of parameter `name` (an Arrow or pandas column) is not of its type and range."""
    p = _entry(name)
    if p is None:
        return None
    if not _same_kind(kind, KINDS[p.kind]):
        return f"column {name} holds {kind}, expected {KINDS[p.kind]}"
    if _nulls(column):
        return f"column {name} has a missing value"
    values = _array(column)
    if p.kind in ("int", "float") and p.low is not None:
        bad = (values < p.low) | (values > p.high)
        if bad.any():
            return f"{name} = {_plain(values[bad][0])!r} is outside its range [{p.low:g}, {p.high:g}]"
    elif p.kind == "choice":
        bad = ~np.isin(values, list(p.choices))
        if bad.any():
            return f"{name} = {str(values[bad][0])[:40]!r} is not one of {', '.join(p.choices)}"
    return None


def _array(column) -> np.ndarray:
    if isinstance(column, (pa.ChunkedArray, pa.Array)):
        return column.to_numpy(zero_copy_only=False)
    return column.to_numpy()


def _nulls(column) -> bool:
    if isinstance(column, (pa.ChunkedArray, pa.Array)):
        return column.null_count > 0
    return bool(column.isna().any())


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def _same_kind(found: pa.DataType, expected: pa.DataType) -> bool:
    """The type a column must have (a string column may be large: pandas writes the design's that way)."""
    return found.equals(expected) or (pa.types.is_string(expected) and pa.types.is_large_string(found))


# -- run values ---------------------------------------------------------------------------------------
def run_values_problem(table: pa.Table, manifest: dict, design: pd.DataFrame | None) -> str | None:
    """Why a runs part's values are not this design's runs (None when they are)."""
    columns = manifest.get("columns") if isinstance(manifest.get("columns"), dict) else {}
    params = columns.get("params") if isinstance(columns.get("params"), list) else list(PARAMS)
    expected = {**IDENTITY, **{n: KINDS[p.kind] for n in params if (p := _entry(n)) is not None}, "error": pa.string()}
    for name, kind in expected.items():
        if name not in table.column_names:
            return f"column {name} is missing"
        if not _same_kind(table.schema.field(name).type, kind):
            return f"column {name} holds {table.schema.field(name).type}, expected {kind}"
        if name != "error" and table.column(name).null_count:
            return f"column {name} has a missing value"
    if table.num_rows == 0:
        return "holds no runs"
    ids = _array(table.column("run_id"))
    matches = [RUN_ID_RE.fullmatch(r) if isinstance(r, str) else None for r in ids]
    if None in matches:
        return f"run id {str(ids[matches.index(None)])[:40]!r} is not of the form p0000-r0000"
    point = np.array([int(m.group(1)) for m in matches], dtype=np.int64)
    replicate = np.array([int(m.group(2)) for m in matches], dtype=np.int64)
    wrong = (point != _array(table.column("point"))) | (replicate != _array(table.column("replicate")))
    if wrong.any():
        return f"run {ids[wrong][0]}: its point or replicate column disagrees with its id"
    points, replicates = manifest.get("points", math.inf), manifest.get("replicates", math.inf)
    outside = (point >= points) | (replicate >= replicates)
    if outside.any():
        return f"run {ids[outside][0]} is outside the design ({points} points x {replicates} replicates)"
    problem = _seed_problem(ids, point, replicate, _array(table.column("seed")), manifest)
    if problem is not None:
        return problem
    base = manifest.get("base_params") if isinstance(manifest.get("base_params"), dict) else {}
    varied = manifest.get("varied") if isinstance(manifest.get("varied"), list) else []
    for name in expected:
        if name in IDENTITY or name == "error":
            continue
        why = _range_problem(name, table.column(name), table.schema.field(name).type)
        if why is not None:
            return why
        if design is not None and name in design.columns:
            want, source = design[name].to_numpy()[np.minimum(point, len(design) - 1)], "design"
        elif name in varied or name not in base:
            continue  # no design to compare with (damaged): the range above is all that can be checked
        else:
            want, source = np.full(len(ids), base[name], dtype=object), "manifest"
        values = _array(table.column(name))
        differ = values != want
        if differ.any():
            i = int(np.argmax(differ))
            return f"run {ids[i]}: {name} = {_plain(values[i])!r}, but the {source} says {_plain(want[i])!r}"
    return None


def _seed_problem(ids, point, replicate, seeds, manifest: dict) -> str | None:
    root = manifest.get("root_seed")
    if not isinstance(root, int):
        return None
    experiment = manifest.get("experiment") if isinstance(manifest.get("experiment"), dict) else {}
    common = bool(experiment.get("common_seeds"))
    for rid, p, r, seed in zip(ids, point.tolist(), replicate.tolist(), seeds.tolist()):
        want = run_seed(root, p, r, common)
        if seed != want:
            return f"run {rid}: seed {seed} is not the design's ({want})"
    return None


def monthly_values_problem(table: pa.Table, run_ids: list[str] | None) -> str | None:
    """Why a monthly part's rows are not those of its runs part's runs."""
    for name in ("run_id", "point", "replicate"):
        if name not in table.column_names:
            return f"column {name} is missing"
    if run_ids is not None:
        stray = set(table.column("run_id").to_pylist()) - set(run_ids)
        if stray:
            return f"holds months of run {sorted(stray, key=str)[0]!s:.40}, which its runs part does not hold"
    for rid, point, replicate in set(zip(*(table.column(n).to_pylist() for n in ("run_id", "point", "replicate")))):
        m = RUN_ID_RE.fullmatch(rid) if isinstance(rid, str) else None
        if m is None or (int(m.group(1)), int(m.group(2))) != (point, replicate):
            return f"run {str(rid)[:40]}: its point or replicate column disagrees with its id"
    return None


def drawn_design_problem(manifest: dict, stored: pd.DataFrame) -> str | None:
    """Why a (sound) stored design is not the one the manifest's experiment draws with the libraries installed
    now; None when it is, or when the experiment cannot be loaded here (its parameters changed)."""
    try:
        drawn = build_design(load_experiment(manifest["experiment"])).table
    except Exception:  # an experiment this lcsim cannot load (a parameter renamed): nothing to compare with
        return None
    if list(drawn.columns) == list(stored.columns) and len(drawn) == len(stored) and all(
            drawn[c].astype(object).tolist() == stored[c].astype(object).tolist() for c in drawn.columns):
        return None
    return (f"{DESIGN_FILE}: not the design its experiment draws (edited, or a sampler library changed: the "
            "manifest's versions say which were used)")


# -- a whole folder -----------------------------------------------------------------------------------
@dataclass
class Verified:
    """A folder's files, checked: the sound runs parts, the damaged part numbers, the design."""

    sound: Scan = field(default_factory=Scan)
    damaged: dict[int, list[tuple[Path, str]]] = field(default_factory=dict)  # part number -> [(file, why)]
    foreign: list[PartInfo] = field(default_factory=list)  # parts another experiment wrote
    legacy: list[Path] = field(default_factory=list)  # files written before lcsim wrote checksums
    design: pd.DataFrame | None = None
    design_problem: str | None = None
    tables: dict[Path, pa.Table] = field(default_factory=dict)  # with keep=True: each sound part's table
    verified: list[Path] = field(default_factory=list)  # files whose checksum held

    def damage(self, path: Path, why: str) -> None:
        self.damaged.setdefault(part_number(path), []).append((path, why))

    def describe_damage(self, limit: int = 3) -> str:
        shown = [f"{f.parent.name}/{f.name} ({why})" for items in self.damaged.values() for f, why in items]
        more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
        return "; ".join(shown[:limit]) + more


def verify(folder: Path, manifest: dict | None, *, monthly: bool | None = None, keep: bool = False,
           design: pd.DataFrame | None = None) -> Verified:
    """Check every part of `folder` (and its design.parquet) without changing anything.

    `design`: the design to check values against (default: the folder's own, if sound). `keep`: keep
    each sound part's table (load_results reads them once)."""
    folder = Path(folder)
    manifest = manifest or {}
    out = Verified()
    stored, out.design_problem, legacy = read_design(folder, manifest, out.verified) if manifest else \
        (None, None, False)
    if legacy:
        out.legacy.append(folder / DESIGN_FILE)
    out.design = design if design is not None else stored
    infos: list[PartInfo] = []
    for f in parts(folder / RUNS):
        info = _check_runs_part(f, manifest, out, keep)
        if info is not None:
            infos.append(info)
    sound_ids = {part_number(p.path): p.run_ids for p in infos}
    if monthly if monthly is not None else manifest.get("monthly"):
        for f in parts(folder / MONTHLY):
            number = part_number(f)
            if number not in sound_ids:
                continue  # an orphan (its runs part never landed, or is damaged): never read
            data, problem, legacy = _read_checked(f, manifest, out.verified)
            if legacy:
                out.legacy.append(f)
            if problem is None:
                try:
                    table = pq.read_table(pa.BufferReader(data))
                    problem = monthly_values_problem(table, sound_ids[number])
                    if problem is None and keep:
                        out.tables[f] = table
                except (OSError, pa.ArrowException, ValueError) as err:
                    problem = f"unreadable ({type(err).__name__})"
            if problem is not None:
                out.damage(f, problem)
    out.sound = Scan([p for p in infos if part_number(p.path) not in out.damaged])
    if keep:
        out.tables = {f: t for f, t in out.tables.items() if part_number(f) not in out.damaged}
    return out


def _check_runs_part(f: Path, manifest: dict, out: Verified, keep: bool) -> PartInfo | None:
    data, problem, legacy = _read_checked(f, manifest, out.verified)
    try:
        table = pq.read_table(pa.BufferReader(data))
        info = part_info(f, table)
    except (OSError, pa.ArrowException, ValueError, SweepError) as err:
        text = str(err).split(";")[0].split(": ", 1)[-1] if isinstance(err, SweepError) else type(err).__name__
        out.damage(f, problem or f"unreadable part file ({text[:100]})")
        return None
    exp_hash = manifest.get("experiment_hash")
    if problem in (None, MISSING) and None not in (info.experiment_hash, exp_hash) and info.experiment_hash != exp_hash:
        out.foreign.append(info)  # intact bytes (or none to compare) of another experiment: copied in, not damage
        return None
    if problem is None and info.listed is not None and info.listed != info.run_ids:
        problem = "its run ids differ from those its metadata lists"
    if problem is None and manifest:
        problem = run_values_problem(table, manifest, out.design)
    if problem is not None:
        out.damage(f, problem)
        return None
    if legacy:
        out.legacy.append(f)
    if keep:
        out.tables[f] = table
    return info


def _read_checked(f: Path, manifest: dict, verified: list) -> tuple[bytes, str | None, bool]:
    """A file's bytes (read once: the bytes hashed are the bytes parsed) and its checksum verdict. A mismatch
    is read again once: a sweep closing beside this reader may have just replaced the part and its sum."""
    data = _read(f)
    problem, legacy = _checksum(f, manifest, verified, data)
    if problem not in (None, MISSING):
        data = _read(f)
        problem, legacy = _checksum(f, manifest, verified, data)
    return data, problem, legacy


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # fails its checksum and its read, and is reported as damaged
