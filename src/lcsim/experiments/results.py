"""Reading a sweep folder back: `load_results` (refuses a part that fails its check) and `check_folder`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import SweepError
from ..parameters import SCHEMA
from .checks import Verified, drawn_design_problem, verify
from .files import (
    DAMAGED,
    DESIGN_FILE,
    MANIFEST,
    MONTHLY,
    RUNS,
    SweepWarning,
    by_fingerprint,
    designed_ids,
    part_number,
    parts,
    read_manifest,
)


def load_results(path, monthly: bool = False, *, skip_damaged: bool = False) -> pd.DataFrame:
    """All finished runs of a sweep folder, one row per run in (point, replicate) order.

    With `monthly=True`, the run-community-month table instead (run_id, point, replicate, then the
    model's per-community monthly columns, `SimulationResult.communities`: with one community,
    `community` is 0 throughout and the columns are those of `.monthly`). Works on a folder whose sweep
    is still running or was interrupted. A run id found in more than one part (a copied part) is
    returned once, from its first part.

    Every part is checked first (its checksum, its provenance, its values against the manifest and the
    design): a part that fails is refused in one line naming it, unless `skip_damaged=True`, which loads
    the sound parts and warns (SweepWarning) which parts were left out. Parts written by an lcsim
    without checksums load with a warning. A resume (rerunning the sweep) redoes a damaged part's runs.
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    if manifest is None:
        raise SweepError(f"{folder}: not a sweep folder (no {MANIFEST})")
    if monthly and not (folder / MONTHLY).is_dir():
        raise SweepError(f"{folder}: this sweep was run without --monthly; rerun it with --monthly in a new folder")
    found = verify(folder, manifest, monthly=monthly, keep=True)
    _refuse_or_warn(folder, found, skip_damaged)
    run_parts = [p.path for p in found.sound.parts]
    if monthly:
        numbers = {part_number(f) for f in run_parts}
        files = [f for f in parts(folder / MONTHLY) if part_number(f) in numbers and f in found.tables]
        order = ["point", "replicate", "month", "community"]
    else:
        files, order = run_parts, ["point", "replicate"]
    if not files:
        assumptions = manifest.get("columns", {}).get("assumptions", [])
        columns = ["run_id", "point", "replicate"] + ([] if monthly else ["seed", *SCHEMA, *assumptions, "error"])
        return pd.DataFrame(columns=columns)
    tables = [found.tables[f] for f in files]
    table = pa.concat_tables([t.replace_schema_metadata(None) for t in tables], promote_options="permissive")
    frame = table.to_pandas()
    if monthly:
        owner = {}  # each run's monthly rows from the part that holds its first runs row
        for p in found.sound.parts:
            for rid in p.run_ids:
                owner.setdefault(rid, part_number(p.path))
        part_of = pd.Series([part_number(f) for f, t in zip(files, tables) for _ in range(len(t))])
        keep = (frame["run_id"].map(owner) == part_of).to_numpy()
        frame = frame[keep]
    else:
        frame = frame[~frame["run_id"].duplicated(keep="first")]
    for name in frame.columns:  # a bool outcome with nulls (failed runs) comes back as object
        if frame[name].dtype == object and frame[name].dropna().map(type).eq(bool).all() and frame[name].notna().any():
            frame[name] = frame[name].astype("boolean")
    return frame.sort_values([c for c in order if c in frame.columns], kind="stable").reset_index(drop=True)


def _refuse_or_warn(folder: Path, found: Verified, skip_damaged: bool) -> None:
    failing = [(folder / DESIGN_FILE, found.design_problem)] if found.design_problem else []
    failing += [(f, why) for items in found.damaged.values() for f, why in items]
    failing += [(p.path, f"written by another experiment (hash {p.experiment_hash[:12]})") for p in found.foreign]
    if failing and not skip_damaged:
        f, why = failing[0]
        more = f" (and {len(failing) - 1} more; `lcsim sweep --check {folder}` lists them)" if len(failing) > 1 else ""
        raise SweepError(f"{f}: fails its check: {why}{more}; rerun the sweep to redo its runs, or "
                         "load_results(..., skip_damaged=True) to load the sound parts only")
    if failing:
        names = ", ".join(f"{f.parent.name}/{f.name}" for f, _ in failing[:6]) + (" ..." if len(failing) > 6 else "")
        design = "; the design is damaged, so parameters were checked against their ranges only" \
            if found.design_problem else ""
        warnings.warn(f"{folder}: skipped {len(failing)} file(s) that fail their check ({names}): their runs are "
                      f"not in the table; rerun the sweep to redo them{design}", SweepWarning, stacklevel=3)
    if found.legacy:
        warnings.warn(f"{folder}: {len(found.legacy)} file(s) written by an lcsim without checksums "
                      f"(e.g. {found.legacy[0].name}): their values were checked against the design, their bytes "
                      "cannot be", SweepWarning, stacklevel=3)


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
    verified: int = 0  # files whose checksum held
    damaged: int = 0  # part numbers (or the design) that fail their check: a resume redoes them
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
            lines.append(f"  checksums: {self.verified} file(s) verified; values checked against the design")
        for fp, what in self.fingerprints.items():
            lines.append(f"  model code {fp[:12]}: {what['runs']} runs in {len(what['parts'])} part(s)")
        lines += [f"  note: {n}" for n in self.notes]
        shown = self.problems[:12]
        lines += [f"  problem: {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more problems")
        if self.failed and self.ok:
            lines.append("  rerun the failed runs with: lcsim sweep FILE --out DIR --retry-failed")
        elif self.damaged and self.designed is not None:
            lines.append("  rerun the sweep (same FILE, --out DIR) to set damaged parts aside and redo their runs")
        return "\n".join(lines)


def check_folder(path) -> FolderCheck:
    """Verify a sweep folder without changing it: manifest, design and every part (checksum, provenance,
    values against the manifest and design), run ids distinct; counts of runs, failures and what is missing."""
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
    found = verify(folder, manifest)
    if found.design_problem:
        out.problems.append(found.design_problem)
    elif found.design is not None and isinstance(manifest.get("experiment"), dict):
        drawn = drawn_design_problem(manifest, found.design)
        out.problems += [drawn] if drawn else []
    for items in found.damaged.values():
        out.problems += [f"{f.parent.name}/{f.name}: {why}" for f, why in items]
    out.damaged = len(found.damaged) + bool(found.design_problem)
    out.problems += [f"{p.path.name}: written by another experiment (hash {p.experiment_hash[:12]})"
                     for p in found.foreign]
    if found.legacy:
        out.notes.append(f"{len(found.legacy)} file(s) carry no checksum (written by an older lcsim; e.g. "
                         f"{found.legacy[0].name}): their values were checked, their bytes cannot be")
    sound = found.sound
    out.parts, out.rows = len(parts(folder / RUNS)), len(sound.run_ids)
    out.verified = len([f for f in found.verified if f.name == DESIGN_FILE or part_number(f) not in found.damaged])
    for p in sound.parts:
        if p.experiment_hash is None:
            out.notes.append(f"{p.path.name}: carries no provenance (written by an older lcsim)")
    dups = sound.duplicates
    if dups:
        holders = sorted({p.path.name for p in sound.parts if set(p.run_ids) & set(dups)})
        out.problems.append(f"{len(dups)} run id(s) appear more than once (e.g. {next(iter(dups))}), in "
                            f"{', '.join(holders[:6])}: a copied part? load_results keeps the first copy")
    designed = designed_ids(manifest or {})
    first = sound.first()
    alien = [r for r in first if not designed(r)]
    if alien:
        out.problems.append(f"{len(alien)} run id(s) outside the design (e.g. {alien[0]})")
    ids = {r for r in first if designed(r)}
    out.runs, out.failed = len(ids), len(sound.failed() & ids)
    if out.designed is not None:
        out.missing = out.designed - out.runs
    out.fingerprints = by_fingerprint(sound)
    if manifest is not None and manifest.get("monthly"):
        numbers = {part_number(p) for p in parts(folder / RUNS)}
        orphans = [f.name for f in parts(folder / MONTHLY) if part_number(f) not in numbers]
        if orphans:
            out.notes.append(f"{len(orphans)} monthly part(s) without their runs part (a resume drops them)")
    aside = parts(folder / DAMAGED / RUNS) + parts(folder / DAMAGED / MONTHLY)
    if aside:
        out.notes.append(f"{len(aside)} part(s) set aside in {DAMAGED}/ by a resume (their runs were redone)")
    temporaries = [f.name for f in folder.rglob(".*.tmp")]
    if temporaries:
        out.notes.append(f"{len(temporaries)} temporary file(s) of an interrupted write (a resume removes them)")
    return out
