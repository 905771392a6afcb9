"""Misspecification said plainly (issue 21 item 4): for each target, the share of posterior predictive draws
inside its band; for each pair of targets, how often their bands are met together against how often they would
be if the two were unrelated, and the pairs whose bands are not met together.

`stats` is a table of predictive draws: one row per draw (a particle drawn from the posterior and simulated),
one column per target's statistic (`checks.predictive`).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .targets import Target

PULL = 0.5  # a pair pulls against each other when met together at most half as often as if unrelated
RARE = 0.05  # ... or met together in at most 5% of the draws while each alone is met in at least 20%
ALONE = 0.2


def inside(targets: dict[str, Target], stats: pd.DataFrame) -> pd.DataFrame:
    """Draw x target: True where the draw's statistic lies inside the target's band (NaN: outside)."""
    found = {}
    for key, t in targets.items():
        x = pd.to_numeric(stats[key], errors="coerce").to_numpy(float) if key in stats else np.full(len(stats), np.nan)
        found[key] = np.isfinite(x) & (x >= t.low) & (x <= t.high)
    return pd.DataFrame(found, index=stats.index)


def coverage(targets: dict[str, Target], stats: pd.DataFrame) -> pd.DataFrame:
    """Per target: the share of draws inside its band; and one row `all targets`: the share inside every band."""
    met = inside(targets, stats)
    rows = [{"target": k, "group": t.group, "low": t.low, "high": t.high, "share_inside": float(met[k].mean())}
            for k, t in targets.items()]
    rows.append({"target": "all targets", "group": "", "low": np.nan, "high": np.nan,
                 "share_inside": float(met.all(axis=1).mean()) if len(met) else np.nan})
    return pd.DataFrame(rows)


def conflicts(targets: dict[str, Target], stats: pd.DataFrame) -> pd.DataFrame:
    """Per pair of targets: each one's share inside, both inside together, what together would be if the two
    were unrelated (the product), their ratio (lift), and `pulls`: the bands are met together much less often
    than unrelated ones would be (lift <= PULL while each alone is met in at least ALONE of the draws, or
    together in at most RARE). Sorted by lift, the strongest pulls first."""
    met = inside(targets, stats)
    rows = []
    for a, b in combinations(list(targets), 2):
        pa, pb = float(met[a].mean()), float(met[b].mean())
        both = float((met[a] & met[b]).mean())
        expected = pa * pb
        lift = both / expected if expected > 0 else np.nan
        pulls = bool(min(pa, pb) >= ALONE and (lift <= PULL or both <= RARE))
        rows.append({"a": a, "b": b, "inside_a": pa, "inside_b": pb, "together": both,
                     "if_unrelated": expected, "lift": lift, "pulls": pulls})
    table = pd.DataFrame(rows, columns=["a", "b", "inside_a", "inside_b", "together", "if_unrelated", "lift",
                                        "pulls"])
    return table.sort_values(["pulls", "lift"], ascending=[False, True], na_position="last").reset_index(drop=True)


def render(targets: dict[str, Target], stats: pd.DataFrame) -> str:
    """The page's misspecification section."""
    cover, pairs = coverage(targets, stats), conflicts(targets, stats)
    lines = [f"""## Misspecification

Over {len(stats)} posterior predictive draws: the share inside each target's band, and the share inside
every band at once. A target rarely inside its band is one the model cannot reach where the others hold it.

| target | band | share of draws inside |
|---|---|---|
"""]
    for _, r in cover.iterrows():
        band = "" if r["target"] == "all targets" else f"{r['low']:g}-{r['high']:g}"
        name = "**all targets at once**" if r["target"] == "all targets" else f"`{r['target']}`"
        lines.append(f"| {name} | {band} | {r['share_inside']:.2f} |\n")
    pulling = pairs[pairs["pulls"]]
    lines.append(f"""
Targets that pull against each other: pairs met together at most {PULL:g} times as often as they would be if
unrelated (or together in at most {RARE:.0%} of the draws), while each alone is met in at least {ALONE:.0%}.
""")
    if len(pulling):
        lines.append("\n| target | target | each inside | together | if unrelated |\n|---|---|---|---|---|\n")
        for _, r in pulling.iterrows():
            lines.append(f"| `{r['a']}` | `{r['b']}` | {r['inside_a']:.2f}, {r['inside_b']:.2f} | "
                         f"{r['together']:.2f} | {r['if_unrelated']:.2f} |\n")
    else:
        lines.append("\nNo pair pulls against another in these draws.\n")
    return "".join(lines)
