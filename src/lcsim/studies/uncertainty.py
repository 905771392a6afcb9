"""What is uncertain in every answer, and how it is drawn: one definition for `compare`, `report`, `advise` and the
app's two-plan view (issue 21 item 6, issue 22 item 2).

The uncertain values are those the calibration treats as uncertain (`lcsim.calibration.problem.uncertain()`:
parameters and assumptions). Each *world* is one draw of them:

- from the **posterior** when there is one (`posterior=` a folder `lcsim calibrate` wrote or a `Posterior`; else
  the shipped one, `lcsim.posterior()`): weighted resampling of its particles, for the values it calibrated;
- the uncertain values the calibration held at their hand-set values (its screening found the targets do not
  inform them; the posterior says which, `held` in its metadata) stay so: the posterior is conditional on them;
- the uncertain values the posterior does not hold otherwise (the calibration left them free), and all of them when no
  posterior is fitted for these rules, over their **plausible ranges** (`problem.default_priors()`: a parameter's
  schema sweep range, an assumption's range in `lcsim.assumptions.TABLE`; log-uniform where the prior says), by a
  Latin hypercube;
- a value the user fixed (a `--set`/`overrides` value, an assumption passed in, a value a scenario *file* sets) is
  never drawn: it stays as given in every world. A named scenario's own values stay too, with or without a
  posterior (`held_by_scenario`): a named scenario is defined by them (fragile's low initial engagement, which the
  posterior, fitted on the default community, would otherwise replace).

`fixed_values=True` draws nothing: the scenario's values, replicate noise only (the behaviour before this module).
`fixed_values=None` (every answer's default) is `DEFAULT_WITHOUT_POSTERIOR` when no posterior is shipped (see
docs/advise.md for why and the measurement), and the posterior when one is.

Draws are seeded from `SeedSequence([seed, STREAM])` and are the same for every plan: world w is the same draw in
every arm (common random numbers), and `compare` and `advise` run replicate r in world r % worlds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..assumptions import PREFIX
from ..errors import UsageError

STREAM = 13  # the SeedSequence word of the uncertain draws (after the answer's seed)
FIXED, POSTERIOR, RANGES = "fixed", "posterior", "ranges"
DEFAULT_WITHOUT_POSTERIOR = FIXED  # measured in docs/advise.md: drawing all 34 over their ranges buries the plans
DOC = "docs/advise.md#what-is-uncertain"


def key_of(name: str, kind: str) -> str:
    """A value's name where a run's parameters are: a parameter's name, or `assumptions.NAME`."""
    return name if kind == "param" else PREFIX + name


@dataclass(frozen=True)
class Uncertainty:
    """What a study draws per world: `source` (fixed, posterior or ranges), the posterior's particles (`table`,
    columns named by run key, and `weight`) and the priors of the values drawn over their ranges (`free`), the
    uncertain values held as given (`held`), and where the posterior came from (`label`)."""

    source: str
    free: tuple = ()  # Prior: drawn over its plausible range
    table: pd.DataFrame | None = field(default=None, repr=False, compare=False)  # posterior particles (run keys)
    label: str = ""  # "fitted on <commit> (N particles)" or "in DIR (N particles)"
    held: tuple = ()  # run keys of uncertain values fixed by the user (never drawn)
    held_by_scenario: tuple = ()  # run keys a named scenario sets itself (kept without a posterior)
    held_by_calibration: tuple = ()  # run keys the posterior was fitted with at their hand-set values (kept so)
    default: bool = True  # the source was chosen by default (not asked for)

    @property
    def calibrated(self) -> list[str]:
        """Run keys drawn from the posterior."""
        return [] if self.table is None else [c for c in self.table.columns if c != "weight"]

    @property
    def names(self) -> list[str]:
        """Every run key drawn per world: the posterior's, then those over their ranges."""
        return self.calibrated + [key_of(p.name, p.kind) for p in self.free]

    @property
    def drawn(self) -> bool:
        return bool(self.names)

    def draws(self, n: int, seed: int) -> pd.DataFrame:
        """`n` worlds (rows), one column per drawn value (run keys); the same `seed` gives the same worlds."""
        from scipy.stats import qmc

        from ..parameters import SCHEMA

        n = int(n)
        post, free = np.random.SeedSequence([int(seed), STREAM]).spawn(2)
        parts = []
        if self.calibrated:
            w = self.table["weight"].to_numpy(float)
            idx = np.random.default_rng(post).choice(len(self.table), size=n, replace=True, p=w / w.sum())
            parts.append(self.table[self.calibrated].iloc[idx].reset_index(drop=True).astype(float))
        if self.free:
            u = qmc.LatinHypercube(d=len(self.free), seed=np.random.default_rng(free)).random(n)
            cols = {}
            for p, x in zip(self.free, u.T):
                if p.log:
                    v = np.exp(np.log(p.low) + x * (np.log(p.high) - np.log(p.low)))
                else:
                    v = p.low + x * (p.high - p.low)
                if p.kind == "param" and SCHEMA[p.name].kind == "int":
                    v = np.rint(v).astype(int)
                cols[key_of(p.name, p.kind)] = v
            parts.append(pd.DataFrame(cols))
        return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=range(n))

    def ranges(self) -> dict:
        """Run key -> (low, high) each value is drawn within: a free value's plausible range, a calibrated value's
        particles' range."""
        found = {c: (float(self.table[c].min()), float(self.table[c].max())) for c in self.calibrated}
        found.update({key_of(p.name, p.kind): (float(p.low), float(p.high)) for p in self.free})
        return found

    def sentence(self) -> str:
        """Where an answer's intervals come from, in one plain sentence."""
        held = list(self.held) + list(self.held_by_scenario)
        kept = f"; kept as given: {', '.join(held)}" if held and self.source != FIXED else ""
        if self.source == POSTERIOR:
            free = (f", and {_count(len(self.free))} it leaves free over their plausible ranges" if self.free else "")
            fitted = (f"; {_count(len(self.held_by_calibration))} the targets do not inform stay at their hand-set "
                      "values, as the calibration held them" if self.held_by_calibration else "")
            return (f"Intervals include parameter uncertainty from the posterior {self.label}: each world draws "
                    f"{_count(len(self.calibrated), 'calibrated value')} from it{free}{fitted}{kept}.")
        if self.source == RANGES:
            return ("No posterior is fitted for these rules yet: the uncertain values are drawn over their plausible "
                    f"ranges ({_count(len(self.free))}, list in {DOC}){kept}.")
        if self.default:
            return ("Fixed values: replicate noise only (no posterior is fitted for these rules yet, and drawing the "
                    f"uncertain values over their plausible ranges blurs every plan alike: {DOC}).")
        return "Fixed values: replicate noise only (the scenario's values, as asked; no parameter uncertainty)."

    def identity(self) -> dict:
        """What the draws depend on, as plain data (for a study's cache key)."""
        return {"source": self.source, "label": self.label, "held": list(self.held),
                "held_by_calibration": list(self.held_by_calibration),
                "calibrated": self.calibrated, "free": [p.to_dict() for p in self.free]}


def _count(n: int, what: str = "value") -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def uncertainty(scenario: str = "default", overrides: dict | None = None, fixed_values: bool | None = None,
                posterior=None, names=None, assumptions: dict | None = None, exclude=(),
                wide: bool = False) -> Uncertainty:
    """What every answer on `scenario` draws per world (see the module's docstring).

    `overrides`: values the user fixed (parameters, `assumptions.NAME`), never drawn; `assumptions`: assumptions
    passed in (name -> value), never drawn; `exclude`: run keys a study chooses itself (advise's levers).
    `fixed_values`: True draws nothing; False draws (the posterior, else the plausible ranges); None, the default:
    the posterior when one is shipped (or `posterior` given), else `DEFAULT_WITHOUT_POSTERIOR`. `posterior`: a
    folder `lcsim calibrate` wrote, a `Posterior`, or a table (values and `weight`), instead of the shipped one.
    `names`: only these uncertain values (parameters or assumptions, without the prefix). `wide=True`: every value
    not fixed by the user over its plausible range, a named scenario's own values too, whatever the posterior (the
    stress runs of advise's scenario discovery). Raises a one-line `UsageError` on bad input."""
    from ..calibration.problem import default_priors
    from ..scenarios import describe, is_file

    if fixed_values not in (None, True, False):
        raise UsageError(f"fixed_values {fixed_values!r}: expected True, False or None (the default)")
    given = set(overrides or {}) | {PREFIX + k.removeprefix(PREFIX) for k in (assumptions or {})}
    if is_file(scenario):  # a designer's file: every value it sets is theirs
        given |= set(describe(scenario)["params"])
    own = set() if is_file(scenario) else set(describe(scenario)["params"])
    priors = default_priors(_checked_names(names) if names is not None else None)
    wanted = [p for p in priors if key_of(p.name, p.kind) not in set(exclude)]
    held = tuple(k for k in (key_of(p.name, p.kind) for p in wanted) if k in given)
    wanted = [p for p in wanted if key_of(p.name, p.kind) not in given]
    if wide:
        return Uncertainty(RANGES, free=tuple(wanted), held=held, default=False)
    if fixed_values is True:
        return Uncertainty(FIXED, held=held, default=False)
    table, label, fitted_with = _posterior(posterior)
    if table is None:
        if fixed_values is None and DEFAULT_WITHOUT_POSTERIOR == FIXED:
            return Uncertainty(FIXED, held=held)
        by_scenario = tuple(k for k in (key_of(p.name, p.kind) for p in wanted) if k in own)
        return Uncertainty(RANGES, free=tuple(p for p in wanted if key_of(p.name, p.kind) not in own), held=held,
                           held_by_scenario=by_scenario, default=fixed_values is None)
    keys = {key_of(p.name, p.kind): p for p in wanted}
    only = None if names is None else set(keys)  # asked for some values: only those
    calibrated = [c for c in table.columns if c != "weight" and c not in given and c not in set(exclude)
                  and c not in own and (only is None or c in only)]
    # the values the calibration held at their hand-set values stay so (its posterior is conditional on them); the
    # others it leaves free, over their ranges; a named scenario's own among them stay its own
    by_calibration = tuple(k for k, p in keys.items() if k not in calibrated and k not in own
                           and p.name in fitted_with)
    free = tuple(p for k, p in keys.items() if k not in calibrated and k not in own and k not in by_calibration)
    by_scenario = tuple(k for k in keys if k in own)
    return Uncertainty(POSTERIOR, free=free, table=table[calibrated + ["weight"]].reset_index(drop=True), label=label,
                       held=held, held_by_scenario=by_scenario, held_by_calibration=by_calibration,
                       default=fixed_values is None)


def _checked_names(names) -> list[str]:
    from ..assumptions import TABLE
    from ..parameters import SCHEMA

    if isinstance(names, str):
        names = [s.strip() for s in names.split(",") if s.strip()]
    found = []
    for name in names:
        bare = str(name).removeprefix(PREFIX)
        numeric = (bare in SCHEMA and SCHEMA[bare].kind in ("int", "float")) or bare in TABLE
        if not numeric:
            raise UsageError(f"uncertain value {name!r} is unknown; expected a numeric parameter (lcsim params) or an "
                             "assumption (lcsim params --assumptions)")
        found.append(bare)
    return found


def _posterior(posterior) -> tuple[pd.DataFrame | None, str, set]:
    """(particles with run-key columns and `weight`, where they come from, the uncertain values it was fitted with at
    their hand-set values), or (None, "", set()) when there is none."""
    from ..calibration.posterior import Posterior, load_posterior
    from ..calibration.shipped import NoPosterior
    from ..calibration.shipped import posterior as shipped

    if posterior is None:
        try:
            table = shipped()
        except NoPosterior:
            return None, "", set()
        meta = table.attrs.get("lcsim", {})
        fitted_with = set(meta.get("held", ()))
        kinds = {n: p.get("kind") for n, p in meta.get("priors", {}).items()}
        label = f"fitted on {str(meta.get('commit', 'unknown'))[:12]} ({len(table)} particles)"
    elif isinstance(posterior, pd.DataFrame):
        table, kinds, label = posterior, {}, f"given in Python ({len(posterior)} particles)"
        fitted_with = set(posterior.attrs.get("lcsim", {}).get("held", ()))
    else:
        post = posterior if isinstance(posterior, Posterior) else load_posterior(posterior)
        table, kinds = post.table[[*post.names, "weight"]], {p.name: p.kind for p in post.priors}
        fitted_with = set(post.info.get("held", ()))
        where = "given in Python" if isinstance(posterior, Posterior) else f"in {posterior}"
        label = f"{where} ({len(table)} particles)"
    if "weight" not in table.columns or not len(table):
        raise UsageError(f"posterior {label}: expected particles with a weight column")
    from ..parameters import SCHEMA

    values = [c for c in table.columns if c not in ("weight", "distance") and pd.api.types.is_numeric_dtype(table[c])]
    renamed = {c: key_of(c.removeprefix(PREFIX), kinds.get(c) or ("param" if c in SCHEMA else "assumption"))
               for c in values}
    out = table[values + ["weight"]].rename(columns=renamed)
    return out, label, fitted_with


def decisive(worlds: pd.DataFrame, difference: pd.Series, top: int = 5) -> pd.DataFrame:
    """Which drawn values carry a decision: the Spearman rank correlation of each value (`worlds`, one row per
    world) with the paired survival difference between two plans in that world (`difference`, indexed by world),
    strongest first, at most `top`. Columns: name, effect (the correlation), p, direction (in words)."""
    from scipy.stats import spearmanr

    columns = ["name", "effect", "p", "direction"]
    common = worlds.index.intersection(difference.dropna().index)
    d = difference.loc[common].to_numpy(float)
    rows = []
    if len(common) >= 5 and np.ptp(d) > 0:
        for name in worlds.columns:
            x = worlds.loc[common, name].to_numpy(float)
            if np.ptp(x) == 0:
                continue
            rho, p = spearmanr(x, d)
            if not np.isfinite(rho):
                continue
            way = "higher favours the recommended plan" if rho > 0 else "higher favours the runner-up"
            rows.append({"name": name, "effect": float(rho), "p": float(p), "direction": way})
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame = frame.reindex(frame["effect"].abs().sort_values(ascending=False).index).head(top).reset_index(drop=True)
    frame.attrs.update(tested=len(rows), worlds=len(common))  # how many values were tried, over how many worlds
    return frame


def decisive_text(frame, versus: str = "its runner-up") -> list[str]:
    """The decisive values in words (empty when none were drawn)."""
    if frame is None or len(frame) == 0:
        return []
    parts = [f"{r['name']} (rank correlation {r['effect']:+.2f}, p = {r['p']:.2g}: {r['direction']})"
             for _, r in frame.iterrows()]
    tested, worlds = frame.attrs.get("tested", len(frame)), frame.attrs.get("worlds", 0)
    bar = 0.05 / max(tested, 1)  # Bonferroni: the strongest of many correlations is large by chance alone
    clear = int((frame["p"] < bar).sum())
    caveat = (f"{clear} of them clear" if clear else "none clears") + (
        f" p < {bar:.2g} (0.05 over the {tested} values tried, across {worlds} worlds)"
        + ("" if clear else ": leads to check, not findings"))
    return [f"Values that move the recommended plan's advantage over {versus} most, across worlds: " + "; ".join(parts)
            + f"; {caveat}."]


__all__ = ["decisive", "decisive_text", "Uncertainty", "uncertainty", "FIXED", "POSTERIOR", "RANGES",
           "DEFAULT_WITHOUT_POSTERIOR", "STREAM"]
