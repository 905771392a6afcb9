"""A sweep's findings in words: the Markdown summary `lcsim analyze` writes next to the results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..outcomes import OUTCOMES
from ..strategies import STRATEGIES, rank
from .comparison import percent_interval
from .survival import completed, survival_probability
from .tipping import MAX_GRID_VALUES

TOP = 5  # parameters named in the sensitivity ranking
MAX_POINT_ROWS = 60  # a grid up to this many points is tabulated point by point in the summary


def survival_by_setting(runs: pd.DataFrame, parameters: list[str], within: str | None = None) -> pd.DataFrame:
    """Survival probability (Wilson 95%) at each value of each listed parameter, over all other settings.

    With `within` (e.g. exit_strategy), separately for each of its levels. Columns: [within],
    parameter, value, runs, survived, survival, survival_lo, survival_hi.
    """
    runs = completed(runs)
    frames = []
    for name in parameters:
        if name == within or runs[name].nunique() > MAX_GRID_VALUES:
            continue
        by = [within, name] if within else [name]
        table = survival_probability(runs, by=by).rename(columns={name: "value"})
        table = table.sort_values([c for c in (within, "value") if c], key=_in_order)
        table["value"] = table["value"].map(_show)
        table.insert(1 if within else 0, "parameter", name)
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=([within] if within else []) + [
            "parameter", "value", "runs", "survived", "survival", "survival_lo", "survival_hi"])
    return pd.concat(frames, ignore_index=True)


def _in_order(column: pd.Series) -> pd.Series:
    """Sort key: strategies in the canonical order, everything else as it is."""
    if column.isin(list(STRATEGIES)).all():
        return column.map(rank)
    return column


def survival_by_point(runs: pd.DataFrame, varied: list[str]) -> pd.DataFrame:
    """Survival probability (Wilson 95%) at each design point: one row per combination of varied values."""
    runs = completed(runs)
    table = survival_probability(runs, by=varied)
    return table.sort_values(varied, key=_in_order).reset_index(drop=True)


def summary_markdown(manifest: dict, runs: pd.DataFrame, varied: list[str], *, settings: pd.DataFrame,
                     tipping: pd.DataFrame, indices: pd.DataFrame | None, files: list[str], note: str = "",
                     points: pd.DataFrame | None = None, outcome: str = OUTCOMES["survived"].label,
                     outcome_note: str = "", within: pd.DataFrame | None = None) -> str:
    """The summary: what was run, overall survival, survival by setting, tipping points, sensitivity, figures."""
    experiment = manifest.get("experiment", {})
    done = completed(runs)
    failed = len(runs) - len(done)
    overall = survival_probability(done).iloc[0]
    name = experiment.get("name", "sweep")
    lines = [f"# {name}", ""]
    if experiment.get("description"):
        lines += [" ".join(str(experiment["description"]).split()), ""]
    lines += [
        f"- design: {experiment.get('design', '?')}, {_points(manifest, runs)} design points x "
        f"{experiment.get('replicates', manifest.get('replicates', '?'))} replicates = {len(runs)} runs"
        + (f" ({failed} failed and left out)" if failed else ""),
        f"- scenario: {experiment.get('scenario', 'default')}; fixed: {_fixed(experiment.get('fixed', {}))}",
        "- varied: " + "; ".join(f"{v} {_range(experiment.get('vary', {}).get(v), done[v])}" for v in varied),
        f"- root seed {experiment.get('root_seed', manifest.get('root_seed', '?'))}, "
        f"lcsim {manifest.get('lcsim_version', manifest.get('version', '?'))}",
        "",
        f"Over the whole sweep, {percent_interval(overall.survival, overall.survival_lo, overall.survival_hi)} of "
        f"communities were {outcome} (95% Wilson interval).",
        "",
    ]
    if outcome_note:
        lines += [outcome_note, ""]
    if not settings.empty:
        lines += ["## Survival by setting", "",
                  f"Share of communities {outcome} at each value, over all other settings of the sweep.",
                  "", "| parameter | value | runs | survival (95% CI) |", "|---|---|---|---|"]
        lines += [f"| {r.parameter} | {r.value} | {r.runs} | "
                  f"{percent_interval(r.survival, r.survival_lo, r.survival_hi)} |" for r in settings.itertuples()]
        lines.append("")
    if within is not None and not within.empty:
        lines += _within_lines(within, outcome)
    if points is not None and not points.empty and len(points) <= MAX_POINT_ROWS:
        names = [c for c in points.columns if c not in ("runs", "survived", "survival", "survival_lo", "survival_hi")]
        lines += ["## Survival at each design point", "",
                  "| " + " | ".join(names) + " | runs | survival (95% CI) |", "|" + "---|" * (len(names) + 2)]
        lines += ["| " + " | ".join(_show(getattr(r, n)) for n in names) + f" | {r.runs} | "
                  f"{percent_interval(r.survival, r.survival_lo, r.survival_hi)} |" for r in points.itertuples()]
        lines.append("")
    if not tipping.empty:
        lines += ["## Tipping points", "",
                  "Where survival probability crosses 50% along each numeric varied parameter (logistic regression "
                  "on every run, 95% delta-method interval; within each setting of the varied choices).", ""]
        lines += [f"- {r.parameter}, {r.within}: {r.reading}." for r in tipping.itertuples()]
        lines.append("")
    if indices is not None:
        lines += _sensitivity_lines(indices)
    elif note:
        lines += ["## Sensitivity", "", f"Not computed: {note}.", ""]
    figures = [f for f in files if f.endswith(".png")]
    if figures:
        lines += ["## Figures", ""] + [f"![{f.removesuffix('.png')}]({f})" for f in figures] + [""]
    return "\n".join(lines)


def _within_lines(table: pd.DataFrame, outcome: str) -> list[str]:
    """One table per parameter: a row per level of the choice (e.g. each strategy), a column per value."""
    choice = table.columns[0]
    lines = [f"## Survival by {choice} and each varied value", "",
             f"Share of communities {outcome} (95% Wilson interval), for each {choice}, over the other settings.", ""]
    for name, part in table.groupby("parameter", sort=False):
        values = list(dict.fromkeys(part["value"]))
        lines += [f"| {choice} \\ {name} | " + " | ".join(values) + " |", "|" + "---|" * (len(values) + 1)]
        for level, rows in part.groupby(choice, sort=False):
            cells = {r.value: percent_interval(r.survival, r.survival_lo, r.survival_hi) for r in rows.itertuples()}
            lines.append(f"| {_show(level)} | " + " | ".join(cells.get(v, "-") for v in values) + " |")
        lines.append("")
    return lines


def _sensitivity_lines(indices: pd.DataFrame) -> list[str]:
    method = indices["method"].iloc[0]
    lines = ["## Sensitivity", ""]
    if method == "sobol":
        lines += ["Sobol indices (SALib) of each output's mean over a design point's replicates: S1 is the share of "
                  "its variance a parameter explains alone, ST the share it takes part in, with interactions "
                  "(95% bootstrap half-widths).", ""]
        key, head = "ST", "| parameter | S1 | ST |"
    else:
        lines += ["Morris screening (SALib) of each output's mean over a design point's replicates: mu* is a "
                  "parameter's overall influence, in the output's units over the parameter's whole range (with its "
                  "95% bootstrap half-width), sigma how much its effect depends on the others (interactions or "
                  "non-linearity).", ""]
        key, head = "mu_star", "| parameter | mu* | sigma |"
    for output, part in indices.groupby("output", sort=False):
        lines += [f"### {output}", ""]
        if key not in part.columns or part[key].isna().all():
            lines += [f"{output} did not vary across design points: nothing to apportion.", ""]
            continue
        part = part.sort_values(key, ascending=False)
        top = [p for p in part["parameter"].head(TOP)]
        lines += [f"Most influential: {', '.join(top)}.", "", head, "|---|---|---|"]
        for r in part.itertuples():
            if method == "sobol":
                lines.append(f"| {r.parameter} | {r.S1:.2f} ± {r.S1_conf:.2f} | {r.ST:.2f} ± {r.ST_conf:.2f} |")
            else:
                lines.append(f"| {r.parameter} | {r.mu_star:.3g} ± {r.mu_star_conf:.2g} | {r.sigma:.3g} |")
        lines.append("")
    return lines


def _points(manifest: dict, runs: pd.DataFrame) -> int:
    return int(runs["point"].nunique()) if "point" in runs.columns else int(manifest.get("points", 0))


def _fixed(fixed: dict) -> str:
    return ", ".join(f"{k}={_show(v)}" for k, v in fixed.items()) or "(the scenario's values)"


def _range(spec, column: pd.Series) -> str:
    if isinstance(spec, (list, tuple)) and spec and not isinstance(spec, str):
        if column.nunique() > MAX_GRID_VALUES or (len(spec) == 2 and column.nunique() > 2):
            return f"in [{_show(spec[0])}, {_show(spec[1])}]"
        return "in {" + ", ".join(_show(v) for v in spec) + "}"
    values = column.dropna().unique()
    if len(values) > MAX_GRID_VALUES and np.issubdtype(column.dtype, np.number):
        return f"in [{column.min():.3g}, {column.max():.3g}]"
    return "in {" + ", ".join(_show(v) for v in sorted(values)) + "}"


def _show(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    return str(value)
