"""A sweep's results as an analysis reads them: the run table, the manifest, and what the sweep varied."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UsageError


def load_sweep(folder: Path, skip_damaged: bool = False):
    """The run table and manifest of a sweep folder; a one-line UsageError if it is not one.

    A part that fails its checksum or value check is refused in one line, unless `skip_damaged` (then the
    rest load and a warning names what was left out).
    """
    from ..experiments.store import load_results

    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder; expected a sweep's results folder (from `lcsim sweep`)")
    if not manifest_path.is_file():
        raise UsageError(f"{folder}: no manifest.json; expected a sweep's results folder (from `lcsim sweep`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"{manifest_path}: cannot read it ({err})") from None
    runs = load_results(folder, skip_damaged=skip_damaged)
    if runs.empty:
        raise UsageError(f"{folder}: the sweep has no finished runs yet; run `lcsim sweep` on it first")
    return runs, manifest


def varied_of(manifest: dict, runs) -> list[str]:
    """The varied parameters, as the manifest names them (or, failing that, the columns that vary)."""
    from ..parameters import SCHEMA

    varied = manifest.get("varied")
    if varied:
        return list(varied)
    experiment = manifest.get("experiment", {})
    if experiment.get("vary"):
        return list(experiment["vary"])
    return [name for name in SCHEMA if name in runs.columns and runs[name].nunique() > 1]
