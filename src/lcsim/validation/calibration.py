"""Calibration: every parameter and every assumption, its value, its source, and how much survival
depends on it; writes docs/calibration.md and docs/img/calibration-*.png (`lcsim calibrate`).

Two methods, both on the default scenario (phase_out at month 36, survival at month 72):

1. One at a time (OAT): each parameter at the two ends of its sweep range (each other value of a
   choice), each assumption (`lcsim.assumptions.TABLE`) at half and one and a half times its
   documented value, clipped to its plausible range; everything else at its default. Every arm is
   one `lcsim.sweep` of the same common seeds (`common_seeds = true`, one root seed), so each arm
   is compared run by run with the baseline. Assumptions are varied exactly as parameters are, as
   `assumptions.NAME` in the experiment's [vary]. Effect = survival(high) - survival(low), with a
   paired bootstrap interval.
2. Morris screening (experiments/validation-sensitivity-morris.toml through `lcsim.sweep`, indices
   from SALib via `lcsim.analysis.sensitivity`): every numeric parameter varied together, so the
   effects are averaged over the others' ranges (mu*) and interactions show up (sigma).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..assumptions import PREFIX, TABLE
from ..parameters import SCHEMA
from . import runs as _runs
from .statistics import bootstrap_mean

DOC = _runs.ROOT / "docs" / "calibration.md"
DEFAULT_OUT = Path("out") / "calibration"
MORRIS = "validation-sensitivity-morris"
ROOT_SEED = 20260611
SEEDS = 100  # common seeds per OAT arm
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


# -- running -----------------------------------------------------------------------------------
def arm_experiment(name: str, n_seeds: int, setting: str | None, vary: dict | None = None) -> dict:
    """One OAT arm as an experiment dict: the default scenario, the common seeds, `vary` (one factor) if any."""
    return {"name": name, "description": "One-at-a-time calibration arm (lcsim calibrate).", "scenario": "default",
            "design": "grid", "replicates": n_seeds, "root_seed": ROOT_SEED, "common_seeds": True,
            "fixed": dict(SETTINGS.get(setting, {})), "vary": dict(vary or {})}


def _sweep_arms(exp: dict, labels: list[str], folder: Path, workers: int) -> pd.DataFrame:
    """Run one arm experiment through `lcsim.sweep`; its runs labelled by point (labels[point])."""
    import lcsim

    shutil.rmtree(folder, ignore_errors=True)
    runs = lcsim.sweep(exp, folder, workers=workers, progress=False)
    failed = runs["error"].notna().sum()
    if failed:
        raise RuntimeError(f"{exp['name']}: {failed} runs failed, e.g. {runs['error'].dropna().iloc[0]}")
    runs = runs.assign(arm=[labels[p] for p in runs["point"]])
    return runs[["arm", "replicate", *OUTCOMES]]


def oat(n_seeds: int = SEEDS, workers: int = 2, out: Path | None = None, factors_: list[Factor] | None = None,
        progress=None) -> pd.DataFrame:
    """Every OAT arm (the baselines, then each factor's levels): one row per run, `arm` naming it."""
    out = Path(out) if out is not None else _runs.ROOT / DEFAULT_OUT
    chosen = factors() if factors_ is None else factors_
    parts = [_sweep_arms(arm_experiment("calibration-baseline", n_seeds, None), ["baseline"],
                         out / "oat" / "baseline", workers)]
    for key in SETTINGS:
        parts.append(_sweep_arms(arm_experiment(f"calibration-baseline-{key}", n_seeds, key), [f"baseline:{key}"],
                                 out / "oat" / f"baseline-{key}", workers))
    for i, f in enumerate(chosen):
        if not f.levels:
            continue
        if progress:
            progress(f"{i + 1}/{len(chosen)} {f.key}")
        exp = arm_experiment(f"calibration-{f.key}", n_seeds, f.setting, {f.key: list(f.levels)})
        parts.append(_sweep_arms(exp, [f.arm(v) for v in f.levels], out / "oat" / f.key, workers))
    return pd.concat(parts, ignore_index=True)


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


def morris(workers: int = 2, out: Path | None = None, experiments: Path | None = None) -> tuple[pd.DataFrame, int]:
    """The Morris screening sweep and its SALib indices; (indices, runs)."""
    import lcsim

    from ..analysis.sensitivity import sensitivity

    out = Path(out) if out is not None else _runs.ROOT / DEFAULT_OUT
    ctx = _runs.Context(workers=workers, out=out, **({"experiments": experiments} if experiments else {}))
    folder = out / "morris"
    shutil.rmtree(folder, ignore_errors=True)
    runs = lcsim.sweep(_runs.experiment(MORRIS, ctx), folder, workers=workers, progress=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    return sensitivity(runs, manifest), len(runs)


# -- figures and the document --------------------------------------------------------------------
def label(kind: str, name: str) -> str:
    return name if kind == "param" else f"{name} (assumption)"


def figures(table: pd.DataFrame, indices: pd.DataFrame | None, img: Path) -> None:
    import matplotlib.pyplot as plt

    from ..analysis.figures import _bars as error_bars

    img = Path(img)
    img.mkdir(parents=True, exist_ok=True)
    t = table.dropna(subset=["effect"]).copy()
    t["label"] = [label(k, n) for k, n in zip(t["kind"], t["name"])]
    t = t.assign(size=t["effect"].abs()).sort_values("size").tail(30)
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(t) + 1.2))
    colors = np.where(t["kind"] == "param", "C0", "C1")
    labels = [f"{a} {fmt_value(h)} vs {fmt_value(lo)}" for a, h, lo in zip(t["label"], t["high"], t["low"])]
    ax.barh(labels, t["effect"], color=colors, xerr=error_bars(t["effect"], t["effect_low"], t["effect_high"]),
            capsize=2)
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="survival(high) - survival(low), paired, 95% bootstrap",
           title="one at a time: 30 largest effects\n(blue: parameters, orange: assumptions)")
    fig.tight_layout()
    fig.savefig(img / "calibration-oat.png", dpi=110)
    plt.close(fig)
    if indices is not None:
        part = indices[indices["output"] == "survived"].dropna(subset=["mu_star"])
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        ax.scatter(part["mu_star"], part["sigma"])
        for _, r in part.iterrows():
            ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), fontsize=7, xytext=(3, 2),
                        textcoords="offset points")
        ax.set(xlabel="mu* (mean absolute elementary effect on survival)", ylabel="sigma (interactions, non-linearity)",
               title="Morris screening of survival (default scenario, phase_out)")
        fig.tight_layout()
        fig.savefig(img / "calibration-morris.png", dpi=110)
        plt.close(fig)


def fmt_value(x) -> str:
    """A parameter's or assumption's value, to three significant digits."""
    if isinstance(x, (float, np.floating)) and not np.isnan(x):
        return f"{x:.3g}"
    return fmt(x)


def fmt(x, digits=2) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(x).lower()
    if isinstance(x, (int, np.integer)):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{digits}f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x:.0f}"
    return str(x)


def sensitivity_text(r) -> str:
    extra = r.get("shape", "")
    return r["strength"] + (f"; {extra}" if isinstance(extra, str) and extra else "")


def _header(*columns: str) -> str:
    return "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|"


PARAMETER_HEADER = _header("parameter", "value", "source", "OAT range", "survival low / default / high",
                           "effect high - low [95%]", "elasticity", "Morris mu* (rank)", "sensitivity")
ASSUMPTION_HEADER = _header("assumption", "rule", "value", "meaning", "source", "plausible range", "OAT range",
                            "survival low / default / high", "effect high - low [95%]", "elasticity", "sensitivity")


def render(table: pd.DataFrame, indices: pd.DataFrame | None, n_seeds: int, n_morris: int, seconds: float,
           workers: int, measured_on: str) -> str:
    mu = {}
    if indices is not None:
        part = indices[indices["output"] == "survived"].copy()
        part["rank"] = part["mu_star"].rank(ascending=False, method="min")
        mu = {r["parameter"]: r for _, r in part.iterrows()}
    params = table[table["kind"] == "param"]
    assumed = table[table["kind"] == "assumption"]
    base = params.loc[params["name"] == "n_members", "survival_default"].iloc[0]
    lines = [f"""# Calibration: every parameter and assumption, its source, and how much survival depends on it

Numbers in the model are few and mostly *assumptions*: the case gives the setting (sectors, about
three years of convening, events a few times a year, a digital channel after exit), the practice
literature gives the mechanisms and their direction, and a few published figures give upper
references ([sources.md](sources.md)). Three values were set by hand against an observation, and
are named as such in their sources: `aspiration` (about what members get in their first months,
as the case's members all wanted to keep taking part), `outreach` (Cottica et al.'s manager-to-peer
ratio) and `hosting_cost` (so that the default community's survival after an abrupt exit lies in
the band measured for coalitions after their funding ended): that survival level is therefore met
by construction and is no evidence. Nothing else was fitted; the validation patterns
([validation.md](validation.md)) were measured after the values were set. This page says, for
every value, where it comes from and how much the main outcome (survival at month 72, three years
after the convener's exit) moves with it, so you know which assumptions carry the results.

Generated by `lcsim calibrate` ({measured_on}; {seconds / 60:.1f} minutes on {workers}
worker processes). Baseline: the default scenario, survival {base:.2f} over {n_seeds} seeds.

**Methods.**
- *One at a time (OAT)*: each parameter at the two ends of its sweep range (`lcsim params`; each
  other value of a choice or switch), each assumption (the model's constants, `lcsim.assumptions.TABLE`)
  at half and one and a half times its documented value (whole numbers rounded), clipped to its
  plausible range in the table. The half-to-one-and-a-half range is narrower than most plausible
  ranges (shares, for instance, may lie anywhere in 0..1): it measures how much the results lean on
  the value chosen, not what the whole range can do. Assumptions were varied as `assumptions.NAME`
  in each arm's experiment, through `lcsim.sweep`, exactly as the parameters.
  All else at the default; {n_seeds} common seeds per arm (one root seed, `common_seeds = true`),
  so arms are compared run by run. **Effect** = survival at the high end minus
  survival at the low end, with a 95% paired bootstrap interval. **Elasticity** = (effect / baseline
  survival) / (range / value): the relative change in survival per relative change in the value.
  **Sensitivity** in words, from the effect: *strong* if it is >= {STRONG} in size, *moderate* if >= {MODERATE},
  *weak* below, *none detected* when its interval includes 0, with its sign (+: survival rises with the
  value). *Peaks near the default* (or *dips*) when both ends lower (raise) survival against the
  baseline beyond noise, so the effect across the range hides a turning point; the word then sizes the
  larger of the two moves. Values that act
  only in some settings are varied there, against that setting's own baseline (named in the range
  column): `transition_months`, `mentoring_rate` and `development_boost` under `phase_over`, the
  `digital_*` assumptions with the digital channel. `months` is the horizon: a longer one measures
  survival later, so its effect is not a behaviour of the community (no elasticity given).
- *Morris screening* ([`experiments/{MORRIS}.toml`](../experiments/{MORRIS}.toml),
  {n_morris} runs, `lcsim sweep` then SALib through `lcsim.analysis.sensitivity`, also `lcsim analyze`):
  all numeric parameters varied together over their sweep ranges. **mu\\*** is the mean absolute effect
  on survival of a move across a quarter-range grid step, averaged over the others' values; a large
  **sigma** against mu\\* means the effect depends on the others (interactions) or is non-linear.
  Rank 1 is the most influential.

![one at a time](img/calibration-oat.png)

![Morris](img/calibration-morris.png)

## Parameters (the schema, `src/lcsim/parameters.py`)

{PARAMETER_HEADER}
"""]
    for _, r in params.iterrows():
        if np.isnan(r["effect"]):
            lines.append(f"| `{r['name']}` | {fmt_value(r['value'])} | {r['source']} | | | | | | {r['strength']} |\n")
            continue
        m = mu.get(r["name"])
        mtext = f"{m['mu_star']:.2f} ({int(m['rank'])})" if m is not None and not np.isnan(m["mu_star"]) else ""
        where = f" ({r['setting']})" if r["setting"] else ""
        sep = " -> " if not isinstance(r["value"], (int, float)) or isinstance(r["value"], bool) else ".."
        lines.append(f"| `{r['name']}` | {fmt_value(r['value'])} | {r['source']} | "
                     f"{fmt_value(r['low'])}{sep}{fmt_value(r['high'])}{where} | "
                     f"{fmt(r['survival_low'])} / {fmt(r['survival_default'])} / {fmt(r['survival_high'])} | "
                     f"{r['effect']:+.2f} [{r['effect_low']:+.2f}, {r['effect_high']:+.2f}] | {fmt(r['elasticity'])} | "
                     f"{mtext} | {sensitivity_text(r)} |\n")
    lines.append("""
## Assumptions (the model's constants, `lcsim.assumptions.TABLE`)

Every constant of the rules, as `lcsim params --assumptions` lists it, varied as
`assumptions.NAME` (in an experiment file, `--set`, or `simulate(assumptions=...)`).

""" + ASSUMPTION_HEADER + "\n")
    for _, r in assumed.iterrows():
        where = f" ({r['setting']})" if r["setting"] else ""
        lines.append(f"| `{r['name']}` | {r['rule']} | {fmt_value(r['value'])} | {r['meaning']} | {r['source']} | "
                     f"{r['plausible']} | {fmt_value(r['low'])}..{fmt_value(r['high'])}{where} | "
                     f"{fmt(r['survival_low'])} / "
                     f"{fmt(r['survival_default'])} / {fmt(r['survival_high'])} | "
                     f"{r['effect']:+.2f} [{r['effect_low']:+.2f}, {r['effect_high']:+.2f}] | "
                     f"{fmt(r['elasticity'])} | {sensitivity_text(r)} |\n")
    strong = table[table["strength"].str.startswith("strong")]
    top_morris = "not run"
    if indices is not None:
        ranked = indices[indices["output"] == "survived"].sort_values("mu_star", ascending=False).head(5)
        top_morris = ", ".join(f"`{n}`" for n in ranked["parameter"])
    peaked = table[table["shape"].fillna("").astype(str) != ""]
    reasons = "\n".join(f"- `{name}`: {why}" for name, why in REASONS.items()
                         if name in set(strong["name"])) or "- none of the strong effects needs one."
    lines.append(f"""
## What carries the results

Strong effects over the ranges tried: {", ".join(f"`{n}`" for n in dict.fromkeys(strong["name"])) or "none"}.
Turning points near the default: {", ".join(f"`{n}` ({t})" for n, t in zip(peaked["name"], peaked["shape"])) or "none"}.

Why the strongest ones are strong (documented reasons; model.md sections 7.2 and 8):
{reasons}

How to read this. Survival is a threshold outcome: a community either keeps a quorum of engaged members
and a host, or unravels. The default sits in the coalition band (most communities survive), so values
that push it toward the threshold move it a lot one at a time. That makes the *level* of survival (any single percentage) an
assumption-laden number, not a prediction: no data on learning communities pins it. What the model
can support are comparisons on common seeds (a strategy against another, a style against another),
which is how [validation.md](validation.md) states its patterns; check that a comparison you rely
on holds across the strong parameters' ranges (an experiment file with a grid over them) before
quoting it. The Morris screening varies everything at once, so most of its design points are
communities that die (or survive) whatever one parameter does; its mu\\* values are smaller and
noisier than the one-at-a-time effects and rank the parameters that matter *anywhere* in the space
above those that matter near the default. Its top five by mu\\*: {top_morris}.
""")
    return "".join(lines)


# Why a value can swing survival far, for the values where it does (a documented reason, not a tuning note).
REASONS = {
    "hosting_cost": "hosting is a volunteer's dilemma: once hosting costs more than a meeting is worth to the most "
                    "capable members (K >= 1 for all, Diekmann 1985), no one hosts after the exit and the community "
                    "dissolves; below that, someone does. The threshold is the mechanism, its position an assumption "
                    "(hand-calibrated to the coalition band).",
    "coordination_scale": "the cost of coordinating a meeting grows with the community's size (Provan & Kenis 2008); a "
                          "smaller scale puts the default community (about 230 members at the exit) past the point where "
                          "anyone can host.",
    "member_benefit": "with no benefit a meeting is worth nothing: no one hosts and engagement falls (value < aspiration).",
    "leader_hosting_ease": "leaders are the community's core, which faces the hosting dilemma first; how much easier "
                           "hosting is for them decides whether a large community keeps a host.",
    "n_members": "size moves the hosting cost (coordination) and the convener's reach (finite effort); see survival by "
                 "size in results/.",
    "join_rate": "recruitment grows the community, and a larger community is harder to host after the exit.",
    "aspiration": "members judge value against what they expect; an expectation far above what a community gives "
                  "empties it.",
    "attendance_cost": "attendance and a host's subsidy both scale with it.",
}


@dataclass
class Calibration:
    """What `calibrate` measured and wrote."""

    table: pd.DataFrame  # one row per parameter (or choice value) and assumption
    indices: pd.DataFrame | None  # Morris indices, None if not run
    runs: pd.DataFrame  # every OAT run
    seconds: float
    img: Path
    doc: Path | None
    n_morris: int = 0  # runs of the Morris screening (0: not run)


def calibrate(*, seeds: int = SEEDS, workers: int = 2, out: Path | None = None, doc: Path | None = None,
              with_morris: bool = True, write_doc: bool = True, progress=None) -> Calibration:
    """OAT (and Morris) sensitivity of every parameter and assumption; rewrites `doc` and its figures.

    Raw tables go to `out` (default out/calibration/): oat.parquet, oat-effects.csv, morris-indices.csv.
    The document (default docs/calibration.md) and its figures (`<doc folder>/img/`) are rewritten when
    `write_doc`; otherwise the figures go to `<out>/img/`.
    """
    from ..experiments.store import atomic_write
    from .document import provenance
    from .figures import theme

    out = Path(out) if out is not None else _runs.ROOT / DEFAULT_OUT
    doc = Path(doc) if doc is not None else DOC
    theme(0.8)
    started, measured_on = time.perf_counter(), provenance(_runs.ROOT)
    runs = oat(seeds, workers, out, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(out / "oat.parquet")
    table = effects(runs)
    table.to_csv(out / "oat-effects.csv", index=False)
    indices, n_morris = morris(workers, out) if with_morris else (None, 0)
    if indices is not None:
        indices.to_csv(out / "morris-indices.csv", index=False)
    seconds = time.perf_counter() - started
    img = doc.parent / "img" if write_doc else out / "img"
    figures(table, indices, img)
    written = None
    if write_doc:
        text = render(table, indices, seeds, n_morris, seconds, workers, measured_on)
        doc.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(doc, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        written = doc
    return Calibration(table, indices, runs, seconds, img, written, n_morris)
