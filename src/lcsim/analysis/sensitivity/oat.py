"""One at a time (OAT): how much survival moves when one parameter or assumption moves, from the runs of
arms on common seeds (`lcsim.calibration.sensitivity` runs them; this module only reads their table).

Each parameter at the two ends of its sweep range (each other value of a choice), each assumption
(`lcsim.assumptions.TABLE`) at half and one and a half times its documented value, clipped to its
plausible range; everything else at its default. Arms share their seeds, so each is compared run by
run with the baseline: effect = survival(high) - survival(low), with a paired bootstrap interval.
The runs table has one row per run: `arm` (`baseline`, `baseline:<setting>`, `<kind>:<name>=<value>`),
`replicate` and the outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...assumptions import PREFIX, TABLE
from ...parameters import SCHEMA
from .bootstrap import bootstrap_mean

STRONG, MODERATE = 0.3, 0.1  # |survival effect| cut-offs for the words "strong" and "moderate"
OUTCOMES = ("survived", "months_alive_after_exit", "leaders_ever")
# Values that act only in some settings are varied in a setting where they act.
SETTINGS = {"phase_over": {"exit_strategy": "phase_over"}, "digital": {"digital_channel": True},
            "programme": {"n_communities": 3}}  # shared members need another community to share them with
CONTEXT = {"transition_months": "phase_over", "mentoring_rate": "phase_over", "development_boost": "phase_over",
           "shared_members": "programme"}
NOT_A_BEHAVIOUR = {"months"}  # the horizon: a longer one measures survival later (no elasticity, no shape)


def context(name: str) -> str | None:
    """The setting (a key of SETTINGS) a parameter or assumption is varied in; None: the baseline."""
    if name in TABLE and TABLE[name].group == "digital":
        return "digital"
    return CONTEXT.get(name)


@dataclass(frozen=True)
class Factor:
    """A parameter or an assumption, and the values OAT gives it."""

    kind: str  # "param" or "assumption"
    name: str
    levels: tuple
    numeric: bool

    @property
    def key(self) -> str:
        """Its name where parameters are named (experiment files, run tables)."""
        return PREFIX + self.name if self.kind == "assumption" else self.name

    @property
    def entry(self):
        return TABLE[self.name] if self.kind == "assumption" else SCHEMA[self.name]

    @property
    def setting(self) -> str | None:
        return context(self.name)

    def arm(self, value) -> str:
        return f"{self.kind}:{self.name}={value}"


# -- what to vary ------------------------------------------------------------------------------
def parameter_levels(p) -> tuple:
    """The two ends of a number's sweep range (none when the range is one value), or a choice's other values."""
    if p.kind in ("int", "float"):
        return tuple(p.sweep) if p.sweep[0] != p.sweep[1] else ()
    return tuple(x for x in p.sweep if x != p.default)


def assumption_levels(a) -> tuple:
    """Half and one and a half times the documented value (whole numbers rounded; 1 -> 0 and 2), clipped to
    the assumption's plausible range in TABLE."""
    v = a.default
    if a.kind == "int":
        low, high = (0, 2) if v == 1 else (max(1, round(v * 0.5)), round(v * 1.5))
    else:
        low, high = v * 0.5, v * 1.5
    return (a.check(min(max(low, a.low), a.high)), a.check(min(max(high, a.low), a.high)))


def factors() -> list[Factor]:
    """Every parameter of the schema, then every assumption, with its OAT levels."""
    found = [Factor("param", name, parameter_levels(p), p.kind in ("int", "float") and name not in NOT_A_BEHAVIOUR)
             for name, p in SCHEMA.items()]
    found += [Factor("assumption", name, assumption_levels(a), True) for name, a in TABLE.items()]
    return found


# -- effects -----------------------------------------------------------------------------------
def shape(move_low, move_high) -> str:
    """Peaked or dipped when both ends move survival the same way, each beyond noise."""
    if move_low[1] > 0 and move_high[1] > 0:
        return "dips at the default"
    if move_low[2] < 0 and move_high[2] < 0:
        return "peaks near the default"
    return ""


def strength(diff, signed: bool = True) -> str:
    """In words, from a paired difference (value, low, high): its size, and its sign if `signed`."""
    effect, low, high = diff
    if low <= 0 <= high:
        return "none detected"
    size = abs(effect)
    word = "strong" if size >= STRONG else "moderate" if size >= MODERATE else "weak"
    return f"{word} ({'+' if effect > 0 else '-'})" if signed else word


def effects(runs: pd.DataFrame, factors_: list[Factor] | None = None) -> pd.DataFrame:
    """Per parameter or assumption: survival at each level and the paired effect across its range."""
    chosen = factors() if factors_ is None else factors_
    by_arm = {arm: g.set_index("replicate")["survived"].astype(float) for arm, g in runs.groupby("arm")}
    rows = []

    def row(f: Factor, value, low, high, numeric):
        base = by_arm[f"baseline:{f.setting}" if f.setting else "baseline"]
        s_low, s_high = by_arm[f.arm(low)], by_arm[f.arm(high)]
        diff = bootstrap_mean((s_high - s_low).dropna())
        move_low, move_high = bootstrap_mean((s_low - base).dropna(), 1), bootstrap_mean((s_high - base).dropna(), 2)
        s0 = base.mean()
        elasticity = np.nan
        if numeric and value and s0 > 0 and high != low:
            elasticity = (diff[0] / s0) / ((float(high) - float(low)) / float(value))
        peaked = shape(move_low, move_high) if numeric else ""
        e = f.entry
        rows.append({"kind": f.kind, "name": f.name, "value": value, "low": low, "high": high,
                     "survival_low": s_low.mean(), "survival_default": s0, "survival_high": s_high.mean(),
                     "effect": diff[0], "effect_low": diff[1], "effect_high": diff[2], "elasticity": elasticity,
                     "shape": peaked,
                     "strength": strength(diff) if not peaked
                     else strength(max(move_low, move_high, key=lambda m: abs(m[0])), signed=False),
                     "source": e.source, "meaning": e.meaning, "setting": f.setting or "",
                     "rule": e.group if f.kind == "assumption" else "",
                     "plausible": f"{e.low:g}..{e.high:g}" if f.kind == "assumption" else ""})

    for f in chosen:
        p = f.entry
        if not f.levels:  # e.g. max_members, a bound whose sweep range is its default alone
            rows.append({"kind": f.kind, "name": f.name, "value": p.default, "low": np.nan, "high": np.nan,
                         "effect": np.nan, "shape": "", "strength": "not varied: its sweep range is one value",
                         "source": p.source, "meaning": p.meaning, "setting": "", "rule": "", "plausible": ""})
            continue
        if f.kind == "param" and p.kind not in ("int", "float"):  # each other value against the default
            by_arm[f.arm(p.default)] = by_arm["baseline"]
            for value in f.levels:
                row(f, p.default, p.default, value, False)
        else:
            row(f, p.default, f.levels[0], f.levels[1], f.numeric)
    return pd.DataFrame(rows)


