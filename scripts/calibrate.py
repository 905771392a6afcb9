"""Calibration table: every parameter of the schema and every named constant of src/lcsim/model/,
with its value, its source and how sensitive survival is to it; writes docs/calibration.md and
docs/img/calibration-*.png.

    python scripts/calibrate.py              # everything (about 8-10 minutes on 2 cores)
    python scripts/calibrate.py --seeds 30 --no-doc   # a quick look

Two methods, both on the default scenario (phase_out at month 36, survival at month 72):
1. One at a time (OAT): each parameter at the two ends of its sweep range (each other value of a
   choice), each constant at half and one and a half times its value (probabilities capped at 1),
   everything else at its default; common seeds, so each arm is compared run by run with the
   baseline. Effect = survival(high end) - survival(low end), with a paired bootstrap interval.
2. Morris screening (experiments/validation-sensitivity-morris.toml through `lcsim.sweep`, indices
   from SALib via lcsim.analysis.sensitivity): every numeric parameter varied together, so the
   effects are averaged over the others' ranges (mu*) and interactions show up (sigma).
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from validate import bootstrap_mean, process_pool, provenance  # noqa: E402

DOC = ROOT / "docs" / "calibration.md"
IMG = ROOT / "docs" / "img"
OUT = ROOT / "out" / "calibration"
MORRIS = ROOT / "experiments" / "validation-sensitivity-morris.toml"
MODEL_MODULES = ("agents", "members", "model", "ties", "exits", "outcomes")
CONSTANT = re.compile(r"^([A-Z][A-Z_0-9]+) = ([^#]+?)\s+#\s*(.+)$")  # the convention of scripts/model_doc.py
STRUCTURAL = {"N_ASSETS": "one asset kind per sector: not a quantity to vary"}
# Values that act only in some settings are varied in a setting where they act.
SETTINGS = {"phase_over": {"exit_strategy": "phase_over"}, "digital": {"digital_channel": True}}
CONTEXT = {"transition_months": "phase_over", "MENTORING_RATE": "phase_over", "DEVELOPMENT_BOOST": "phase_over"}


def context(name: str) -> str | None:
    """The setting (a key of SETTINGS) a parameter or constant is varied in; None: the baseline."""
    if name.startswith("DIGITAL_"):
        return "digital"
    return CONTEXT.get(name)
ROOT_SEED = 20260611
STRONG, MODERATE = 0.3, 0.1  # |survival effect| cut-offs for the words "strong" and "moderate"


# -- what to vary ------------------------------------------------------------------------------
def constants() -> list[dict]:
    """Every named constant in src/lcsim/model/*.py: name, value, module, meaning, source."""
    found = []
    for path in sorted((ROOT / "src" / "lcsim" / "model").glob("*.py")):
        for line in path.read_text().splitlines():
            match = CONSTANT.match(line)
            if not match:
                continue
            name, value, comment = match.groups()
            said = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", comment)
            meaning, source = (said.group(1), said.group(2)) if said else (comment, "not stated")
            try:
                number = json.loads(value.strip())
            except ValueError:
                number = None
            found.append({"name": name, "value": number, "text": value.strip(), "module": path.stem,
                          "meaning": meaning, "source": source})
    return found


def constant_levels(c: dict) -> tuple | None:
    v = c["value"]
    if c["name"] in STRUCTURAL or not isinstance(v, (int, float)) or isinstance(v, bool):
        return None
    if isinstance(v, int):
        low, high = (0, 2) if v == 1 else (max(1, round(v * 0.5)), round(v * 1.5))
        return (low, high)
    return (v * 0.5, min(v * 1.5, 1.0) if v <= 1.0 else v * 1.5)


def parameter_levels(p) -> tuple:
    if p.kind in ("int", "float"):
        return tuple(p.sweep)
    return tuple(x for x in p.sweep if x != p.default)


# -- running -----------------------------------------------------------------------------------
def _task(args) -> dict:
    """One run; `patch` = (constant name, value) is set in every model module that has it, then restored."""
    label, params, patch, seed = args
    import lcsim

    saved = []
    if patch:
        name, value = patch
        for stem in MODEL_MODULES:
            module = importlib.import_module(f"lcsim.model.{stem}")
            if name in vars(module):
                saved.append((module, getattr(module, name)))
                setattr(module, name, value)
    try:
        s = lcsim.simulate(seed=seed, **params).summary
    finally:
        for module, value in saved:
            setattr(module, name, value)
    return {"arm": label, "seed": seed, "survived": bool(s["survived"]),
            "months_alive_after_exit": s["months_alive_after_exit"], "leaders_ever": s["leaders_ever"]}


def oat(n_seeds: int, workers: int) -> pd.DataFrame:
    from lcsim.experiments.design import run_seed
    from lcsim.parameters import SCHEMA

    seeds = [run_seed(ROOT_SEED, 0, r, common=True) for r in range(n_seeds)]
    arms = [("baseline", {}, None)] + [(f"baseline:{k}", v, None) for k, v in SETTINGS.items()]
    for name, p in SCHEMA.items():
        for value in parameter_levels(p):
            arms.append((f"param:{name}={value}", {**SETTINGS.get(context(name), {}), name: value}, None))
    for c in constants():
        levels = constant_levels(c)
        for value in levels or ():
            arms.append((f"const:{c['name']}={value}", SETTINGS.get(context(c["name"]), {}), (c["name"], value)))
    tasks = [(label, params, patch, s) for label, params, patch in arms for s in seeds]
    with process_pool(workers) as pool:
        rows = list(pool.map(_task, tasks, chunksize=20))
    return pd.DataFrame(rows)


def effects(runs: pd.DataFrame) -> pd.DataFrame:
    """Per parameter or constant: survival at each level and the paired effect across its range."""
    from lcsim.parameters import SCHEMA

    by_arm = {arm: g.set_index("seed")["survived"].astype(float) for arm, g in runs.groupby("arm")}
    rows = []

    def row(kind, name, value, low, high, source, meaning, numeric):
        base_arm = f"baseline:{context(name)}" if context(name) else "baseline"
        base = by_arm[base_arm]
        s_low, s_high = by_arm[f"{kind}:{name}={low}"], by_arm[f"{kind}:{name}={high}"]
        diff = bootstrap_mean((s_high - s_low).dropna())
        move_low, move_high = bootstrap_mean((s_low - base).dropna(), 1), bootstrap_mean((s_high - base).dropna(), 2)
        s0 = base.mean()
        elasticity = np.nan
        if numeric and value and s0 > 0 and high != low:
            elasticity = (diff[0] / s0) / ((float(high) - float(low)) / float(value))
        rows.append({"kind": kind, "name": name, "value": value, "low": low, "high": high,
                     "survival_low": s_low.mean(), "survival_default": s0, "survival_high": s_high.mean(),
                     "effect": diff[0], "effect_low": diff[1], "effect_high": diff[2], "elasticity": elasticity,
                     "shape": shape(move_low, move_high) if numeric else "",
                     "strength": strength(diff) if not (numeric and shape(move_low, move_high))
                     else strength(max(move_low, move_high, key=lambda m: abs(m[0])), signed=False),
                     "source": source, "meaning": meaning, "setting": context(name) or ""})

    for name, p in SCHEMA.items():
        levels = parameter_levels(p)
        if p.kind in ("int", "float"):
            row("param", name, p.default, levels[0], levels[1], p.source, p.meaning, name not in ("months",))
        else:  # each other value against the default
            for value in levels:
                by_arm[f"param:{name}={p.default}"] = by_arm["baseline"]
                row("param", name, p.default, p.default, value, p.source, p.meaning, False)
    for c in constants():
        levels = constant_levels(c)
        if levels is None:
            rows.append({"kind": "const", "name": c["name"], "value": c["text"], "low": None, "high": None,
                         "strength": "not varied: " + STRUCTURAL.get(c["name"], "not a number"),
                         "source": c["source"], "meaning": c["meaning"], "module": c["module"]})
            continue
        row("const", c["name"], c["value"], levels[0], levels[1], c["source"], c["meaning"], True)
        rows[-1]["module"] = c["module"]
    return pd.DataFrame(rows)


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


def morris(workers: int) -> tuple[pd.DataFrame, int]:
    import lcsim
    from lcsim.analysis.sensitivity import sensitivity

    folder = OUT / "morris"
    shutil.rmtree(folder, ignore_errors=True)
    runs = lcsim.sweep(MORRIS, folder, workers=workers, progress=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    return sensitivity(runs, manifest), len(runs)


# -- figures and the document --------------------------------------------------------------------
def figures(table: pd.DataFrame, indices: pd.DataFrame | None, img: Path) -> None:
    import matplotlib.pyplot as plt

    img.mkdir(parents=True, exist_ok=True)
    t = table.dropna(subset=["effect"]).copy()
    t["label"] = np.where(t["kind"] == "param", t["name"], t["name"].str.lower() + " (const)")
    t = t.assign(size=t["effect"].abs()).sort_values("size").tail(30)
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(t) + 1.2))
    colors = np.where(t["kind"] == "param", "C0", "C1")
    labels = [f"{a} {fmt_value(h)} vs {fmt_value(lo)}" for a, h, lo in zip(t["label"], t["high"], t["low"])]
    ax.barh(labels, t["effect"], color=colors,
            xerr=[np.maximum(t["effect"] - t["effect_low"], 0), np.maximum(t["effect_high"] - t["effect"], 0)], capsize=2)
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="survival(high) - survival(low), paired, 95% bootstrap",
           title="one at a time: 30 largest effects\n(blue: parameters, orange: constants)")
    fig.tight_layout()
    fig.savefig(img / "calibration-oat.png", dpi=110)
    plt.close(fig)
    if indices is not None:
        part = indices[indices["output"] == "survived"].dropna(subset=["mu_star"])
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        ax.scatter(part["mu_star"], part["sigma"])
        for _, r in part.iterrows():
            ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), fontsize=7, xytext=(3, 2), textcoords="offset points")
        ax.set(xlabel="mu* (mean absolute elementary effect on survival)", ylabel="sigma (interactions, non-linearity)",
               title="Morris screening of survival (default scenario, phase_out)")
        fig.tight_layout()
        fig.savefig(img / "calibration-morris.png", dpi=110)
        plt.close(fig)


def fmt_value(x) -> str:
    """A parameter's or constant's value, to three significant digits."""
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


def render(table: pd.DataFrame, indices: pd.DataFrame | None, n_seeds: int, n_morris: int, seconds: float,
           workers: int, measured_on: str) -> str:
    mu = {}
    if indices is not None:
        part = indices[indices["output"] == "survived"].copy()
        part["rank"] = part["mu_star"].rank(ascending=False, method="min")
        mu = {r["parameter"]: r for _, r in part.iterrows()}
    params = table[table["kind"] == "param"]
    consts = table[table["kind"] == "const"]
    base = params.loc[params["name"] == "n_members", "survival_default"].iloc[0]
    lines = [f"""# Calibration: every parameter and constant, its source, and how much survival depends on it

Numbers in the model are few and mostly *assumptions*: the case gives the setting (sectors, about
three years of convening, events a few times a year, a digital channel after exit), the practice
literature gives the mechanisms and their direction, and a few published figures give upper
references (DESIGN.md s.8). Nothing was fitted per pattern: the validation patterns
([validation.md](validation.md)) were checked after the values were set. This page says, for
every value, where it comes from and how much the main outcome (survival at month 72, three years
after the convener's exit) moves with it, so you know which assumptions carry the results.

Generated by `python scripts/calibrate.py` ({measured_on}; {seconds / 60:.1f} minutes on {workers}
worker processes). Baseline: the default scenario, survival {base:.2f} over {n_seeds} seeds.

**Methods.**
- *One at a time (OAT)*: each parameter at the two ends of its sweep range (`lcsim params`; each
  other value of a choice or switch), each named constant at half and one and a half times its value
  (probabilities and shares capped at 1; whole numbers rounded), all else at the default; {n_seeds}
  common seeds per arm, so arms are compared run by run. **Effect** = survival at the high end minus
  survival at the low end, with a 95% paired bootstrap interval. **Elasticity** = (effect / baseline
  survival) / (range / value): the relative change in survival per relative change in the value.
  **Sensitivity** in words, from the effect: *strong* if it is >= {STRONG} in size, *moderate* if >= {MODERATE},
  *weak* below, *none detected* when its interval includes 0, with its sign (+: survival rises with the
  value). *Peaks near the default* (or *dips*) when both ends lower (raise) survival against the
  baseline beyond noise, so the effect across the range hides a turning point; the word then sizes the
  larger of the two moves. Values that act
  only in some settings are varied there, against that setting's own baseline (named in the range
  column): `transition_months`, `MENTORING_RATE` and `DEVELOPMENT_BOOST` under `phase_over`, the
  `DIGITAL_*` constants with the digital channel. `months` is the horizon: a longer one measures
  survival later, so its effect is not a behaviour of the community (no elasticity given).
- *Morris screening* ([`experiments/validation-sensitivity-morris.toml`](../experiments/validation-sensitivity-morris.toml),
  {n_morris} runs, `lcsim sweep` then SALib through `lcsim.analysis.sensitivity`, also `lcsim analyze`):
  all numeric parameters varied together over their sweep ranges. **mu\\*** is the mean absolute effect
  on survival of a move across a quarter-range grid step, averaged over the others' values; a large
  **sigma** against mu\\* means the effect depends on the others (interactions) or is non-linear.
  Rank 1 is the most influential.

![one at a time](img/calibration-oat.png)

![Morris](img/calibration-morris.png)

## Parameters (the schema, `src/lcsim/parameters.py`)

| parameter | value | source | OAT range | survival low / default / high | effect high - low [95%] | elasticity | Morris mu* (rank) | sensitivity |
|---|---|---|---|---|---|---|---|---|
"""]
    for _, r in params.iterrows():
        m = mu.get(r["name"])
        mtext = f"{m['mu_star']:.2f} ({int(m['rank'])})" if m is not None and not np.isnan(m["mu_star"]) else ""
        where = f" ({r['setting']})" if r["setting"] else ""
        sep = " -> " if not isinstance(r["value"], (int, float)) or isinstance(r["value"], bool) else ".."
        lines.append(f"| `{r['name']}` | {fmt_value(r['value'])} | {r['source']} | {fmt_value(r['low'])}{sep}{fmt_value(r['high'])}{where} | "
                     f"{fmt(r['survival_low'])} / {fmt(r['survival_default'])} / {fmt(r['survival_high'])} | "
                     f"{r['effect']:+.2f} [{r['effect_low']:+.2f}, {r['effect_high']:+.2f}] | {fmt(r['elasticity'])} | "
                     f"{mtext} | {sensitivity_text(r)} |\n")
    lines.append("""
## Constants in the code (`src/lcsim/model/*.py`)

Every named constant, found the way `scripts/model_doc.py` finds them (a module-level `NAME = value  #
meaning (source)`), set to half and one and a half times its value in every model module that uses it.

| constant | module | value | meaning | source | OAT range | survival low / default / high | effect high - low [95%] | elasticity | sensitivity |
|---|---|---|---|---|---|---|---|---|---|
""")
    for _, r in consts.iterrows():
        if r["low"] is None or (isinstance(r["low"], float) and np.isnan(r["low"])):
            lines.append(f"| `{r['name']}` | `{r['module']}.py` | {r['value']} | {r['meaning']} | {r['source']} | | | | | "
                         f"{r['strength']} |\n")
            continue
        where = f" ({r['setting']})" if r["setting"] else ""
        lines.append(f"| `{r['name']}` | `{r['module']}.py` | {fmt_value(r['value'])} | {r['meaning']} | {r['source']} | "
                     f"{fmt_value(r['low'])}..{fmt_value(r['high'])}{where} | {fmt(r['survival_low'])} / {fmt(r['survival_default'])} / "
                     f"{fmt(r['survival_high'])} | {r['effect']:+.2f} [{r['effect_low']:+.2f}, {r['effect_high']:+.2f}] | "
                     f"{fmt(r['elasticity'])} | {sensitivity_text(r)} |\n")
    strong = table[table["strength"].str.startswith("strong")]
    top_morris = "not run"
    if indices is not None:
        ranked = indices[indices["output"] == "survived"].sort_values("mu_star", ascending=False).head(5)
        top_morris = ", ".join(f"`{n}`" for n in ranked["parameter"])
    peaked = table[table.get("shape", pd.Series("", index=table.index)).fillna("").astype(str) != ""]
    lines.append(f"""
## What carries the results

Strong effects over the ranges tried: {", ".join(f"`{n}`" for n in dict.fromkeys(strong["name"]))}.
Turning points near the default: {", ".join(f"`{n}` ({t})" for n, t in zip(peaked["name"], peaked["shape"])) or "none"}.

How to read this. Survival is a threshold outcome: a community either keeps a quorum of engaged members
and a host, or unravels. The default sits where survival is neither near 0 nor near 1, so most
values move it a lot one at a time. That makes the *level* of survival (any single percentage) an
assumption-laden number, not a prediction: no data on learning communities pins it. What the model
can support are comparisons on common seeds (a strategy against another, a style against another),
which is how [validation.md](validation.md) states its patterns; check that a comparison you rely
on holds across the strong parameters' ranges (an experiment file with a grid over them) before
quoting it. The Morris screening varies everything at once, so most of its design points are
communities that die (or survive) whatever one parameter does; its mu\\* values are smaller and
noisier than the one-at-a-time effects and rank the parameters that matter *anywhere* in the space
above those that matter near the default. Its top five by mu\\*: {top_morris}.
""")
    lines.append(INLINE)
    return "".join(lines)


def sensitivity_text(r) -> str:
    extra = r.get("shape", "")
    return r["strength"] + (f"; {extra}" if isinstance(extra, str) and extra else "")


INLINE = """
## Numbers still written inline

Some numbers sit inside the rules rather than in named constants; they are *assumptions*, were not
varied here, and are candidates for naming: the shape of the trait distributions (capacity
Beta(2, 4); leadership propensity Beta(0.4, 3), heavy-tailed after van Mierlo 2014; interests
Dirichlet(0.5), as are the convener's priorities; assets 80% sector profile, 20% Dirichlet(2) noise;
engagement Beta with concentration 4), the extra decay of weak ties (a factor 1 - strength / 2), the weights of a contact's value (half complementarity, a quarter each member's agenda fit), a
local host's agenda (half its own interests), centrality's weight in leader emergence (0.5 + 0.5 x
centrality), the burnout multiplier after hosting (3x), the minimum quorum (3 members) and the
dissolution rule (no quorate meeting for two meeting intervals). Check `src/lcsim/model/` for the
current list: this paragraph is written by hand.
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100, help="common seeds per OAT arm (default 100)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-morris", action="store_true")
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.8)
    started, measured_on = time.perf_counter(), provenance()
    runs = oat(args.seeds, args.workers)
    OUT.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(OUT / "oat.parquet")
    table = effects(runs)
    table.to_csv(OUT / "oat-effects.csv", index=False)
    indices, n_morris = (None, 0) if args.no_morris else morris(args.workers)
    if indices is not None:
        indices.to_csv(OUT / "morris-indices.csv", index=False)
    seconds = time.perf_counter() - started
    show = table.dropna(subset=["effect"]).assign(size=lambda t: t["effect"].abs()).sort_values("size", ascending=False)
    print(show[["kind", "name", "value", "low", "high", "survival_low", "survival_default", "survival_high", "effect",
                "effect_low", "effect_high", "elasticity", "strength"]].round(3).to_string(index=False))
    if indices is not None:
        print(indices[indices["output"] == "survived"].sort_values("mu_star", ascending=False).round(3).to_string(index=False))
    print(f"{seconds:.0f} s")
    if not args.no_doc:
        figures(table, indices, IMG)
        DOC.write_text(render(table, indices, args.seeds, n_morris, seconds, args.workers, measured_on))
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
