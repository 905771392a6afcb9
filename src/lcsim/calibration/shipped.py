"""The posterior that ships with the package (issue 21 item 5): `lcsim.posterior()` and the function that writes
it from a calibration history (`ship`).

The file is `lcsim/calibration/data/posterior.parquet`: one row per weighted particle (one column per value,
`weight`), with, in its Parquet metadata, the commit it was fitted at, a fingerprint of the rules it was fitted
to (the model's source and its assumptions table), the targets and bands, the priors and the inference's size.
A posterior fitted to other rules is not one of these rules': `posterior()` refuses it in one line, as it does
when none has been fitted. Nothing here makes a posterior up.

    import lcsim
    table = lcsim.posterior()          # values..., weight
    table.attrs["lcsim"]["commit"]     # what it was fitted to
"""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from importlib import resources
from pathlib import Path

import pandas as pd

from ..errors import LcsimError, UsageError

META_KEY = b"lcsim"
SHIPPED = "posterior.parquet"
HOW = "fit one with `lcsim calibrate`, then write it with lcsim.calibration.shipped.ship(<history .db>)"


class NoPosterior(LcsimError):
    """No posterior has been fitted for the rules this package runs."""


def default_path() -> Path:
    """Where the shipped posterior lives in this package (it may not exist)."""
    return Path(str(resources.files("lcsim.calibration"))) / "data" / SHIPPED


# Runs whose monthly tables stand for the rules (the golden cases of tests/data/make_golden.py, shortened): every
# exit strategy, the channel, a programme and a fragile community.
FINGERPRINT_CASES = (("default", {}), ("default", {"exit_strategy": "phase_down"}),
                     ("default", {"exit_strategy": "phase_over", "digital_channel": True, "control": 0.2}),
                     ("default", {"exit_strategy": "stay", "meeting_interval": 1, "join_rate": 0.03}),
                     ("mexico-csa", {}), ("fragile", {}),
                     ("default", {"n_members": 20, "replication": 0.3, "leadership": 0.3}))


@functools.lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """A hash of what the rules do: the monthly tables of `FINGERPRINT_CASES` (seed 0, 48 months, rounded to 10
    significant digits) and the assumptions table (names, defaults, ranges). A posterior fitted to one fingerprint
    says nothing about another; a change of code that leaves every result as it was (compiling a rule) keeps it."""
    from ..assumptions import TABLE
    from ..simulation import simulate

    digest = hashlib.sha256()
    for scenario, params in FINGERPRINT_CASES:
        monthly = simulate(seed=0, scenario=scenario, months=48, **params).monthly
        numbers = monthly.select_dtypes("number").astype(float)
        digest.update(json.dumps([list(monthly.columns), [[float(f"{x:.10g}") for x in row]
                                                          for row in numbers.to_numpy()]]).encode())
    table = {n: [str(p.default), str(p.low), str(p.high)] for n, p in sorted(TABLE.items())}
    digest.update(json.dumps(table, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def posterior(path: str | Path | None = None) -> pd.DataFrame:
    """The shipped posterior: one row per particle, one column per calibrated value, and `weight` (summing to 1);
    what it was fitted to in `.attrs["lcsim"]` (commit, rules, targets, priors, info). Raises `NoPosterior` (one
    line) when none has been fitted for these rules."""
    import pyarrow.parquet as pq

    path = Path(path) if path is not None else default_path()
    if not path.is_file():
        raise NoPosterior(f"lcsim.posterior(): no posterior has been fitted for these rules yet (no {path.name} in "
                          f"{path.parent}); {HOW}")
    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[META_KEY])
    except (OSError, ValueError, KeyError) as err:
        raise NoPosterior(f"lcsim.posterior(): {path} is not a posterior this package wrote "
                          f"({type(err).__name__}); {HOW}") from None
    rules = rules_fingerprint()
    if meta.get("rules") != rules:
        raise NoPosterior(f"lcsim.posterior(): the shipped posterior was fitted to other rules (commit "
                          f"{meta.get('commit', 'unknown')[:12]}, rules {meta.get('rules')}; these are {rules}), so "
                          f"none has been fitted for these rules; {HOW}")
    frame = table.to_pandas()
    frame.attrs["lcsim"] = meta
    return frame


def commit() -> str:
    """The commit of the source tree this package runs from ('unknown' outside a git checkout)."""
    from ..validation.runs import home

    try:
        out = subprocess.run(["git", "-C", str(home()), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = subprocess.run(["git", "-C", str(home()), "status", "--porcelain", "--", "src/lcsim/model",
                            "src/lcsim/assumptions.py"], capture_output=True, text=True, timeout=10, check=False)
    head = out.stdout.strip() if out.returncode == 0 else "unknown"
    return head + ("+modified-rules" if dirty.stdout.strip() and head != "unknown" else "")


def ship(db: str | Path, dest: str | Path | None = None) -> Path:
    """Write the shipped posterior from a calibration history (`abc-<key>.db` and its stamp `abc-<key>.json`,
    written by `lcsim calibrate`): the final generation's particles (those inside every band, reweighted, when
    there are enough: as `abc.posterior_from`), their values and weights, with the commit, the rules'
    fingerprint, the targets and priors in the file's metadata. `dest` defaults to the package's data file."""
    import pyabc
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..experiments.store import atomic_write
    from .abc import MIN_EFFECTIVE, MIN_INSIDE
    from .histories import generations, stamp_of
    from .posterior import effective_size

    db = Path(db)
    if not db.is_file() or not stamp_of(db).is_file():
        raise UsageError(f"ship: '{db}' is not a calibration history with its stamp; expected the abc-KEY.db "
                         "`lcsim calibrate` wrote (and abc-KEY.json beside it)")
    stamp = json.loads(stamp_of(db).read_text(encoding="utf-8"))
    identity = stamp["identity"]
    if "selection" in identity:
        raise UsageError(f"ship: '{db}' is a model-selection history; ship the main inference's (abc-KEY.db)")
    if not generations(db):
        raise UsageError(f"ship: '{db}' holds no finished generation; nothing to ship")
    history = pyabc.History(f"sqlite:///{db.resolve()}")
    names = list(identity["priors"])
    rows = [{**{n: float(p.parameter[n]) for n in names}, "weight": float(p.weight), "distance": float(p.distance)}
            for p in history.get_population().particles]
    frame = pd.DataFrame(rows)
    inside = frame["distance"] <= 0
    if int(inside.sum()) >= MIN_INSIDE:
        frame = frame[inside]
    frame = frame[names + ["weight"]].reset_index(drop=True)
    frame["weight"] = frame["weight"] / frame["weight"].sum()
    effective = effective_size(frame["weight"])
    if effective < MIN_EFFECTIVE:
        raise UsageError(f"ship: '{db.name}' has {effective:.1f} effective particles of {len(frame)} (its importance "
                         f"weights degenerated); expected at least {MIN_EFFECTIVE} for a posterior every answer draws "
                         "from: run more generations or calibrate fewer values")
    from .problem import uncertain

    # the uncertain values the inference held at their hand-set values: answers drawn from it keep them so
    held = [n for n, _, _ in uncertain() if n not in names and n not in identity.get("assumptions", {})]
    meta = {"commit": commit(), "rules": rules_fingerprint(), "history": db.name, "key": stamp["key"],
            "targets": identity.get("targets", {}), "priors": identity["priors"], "held": held,
            "info": {k: v for k, v in identity.items() if k not in ("priors", "targets")}
            | {"generations": int(history.max_t + 1), "simulations": int(history.total_nr_simulations),
               "particles": int(len(frame)), "restricted_to_inside": bool(int(inside.sum()) >= MIN_INSIDE)}}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(meta).encode()})
    dest = Path(dest) if dest is not None else default_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(dest, lambda tmp: pq.write_table(table, tmp))
    return dest
