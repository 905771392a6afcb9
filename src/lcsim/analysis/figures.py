"""Figures for many runs: survival curves, outcomes by strategy, heatmaps, tipping curves, sensitivity.

Each function returns a matplotlib figure (seaborn styling); the caller saves it. The
statistics behind them come from `survival`, `tipping` and `sensitivity`.
"""

from __future__ import annotations

import itertools
import warnings

import matplotlib

matplotlib.use("Agg")  # files, not windows: the CLI runs on servers and in CI
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..outcomes import OUTCOMES
from ..strategies import COLOURS, STRATEGIES, order, rank
from .comparison import COMPARED, arm_label
from .survival import completed, survival_curve
from .tipping import MAX_GRID_VALUES, binned_survival, fitted_curve, scale_of

DISTRIBUTIONS = ("months_alive_after_exit", *COMPARED)  # the panels of `outcome_distributions`
OTHER = "#333333"  # an arm that is not a known strategy
MAX_HEATMAP_PARAMETERS = 6  # pairs among at most this many parameters (15 panels)


def _theme() -> None:
    sns.set_theme(style="whitegrid", context="notebook")


def detached(figures: dict) -> dict:
    """The figures, closed in pyplot: they still save and display, but pyplot no longer holds them open
    (a notebook does not show each as it is built, and many of them raise no too-many-figures warning)."""
    for fig in figures.values():
        plt.close(fig)
    return figures


def _arms(runs: pd.DataFrame, by: list[str]):
    """(label, colour, dashed, rows) for each arm, in strategy order, digital channel off first."""
    keys = runs[by].drop_duplicates()
    keys = keys.sort_values(by, key=lambda c: c.map(rank) if c.name == "exit_strategy" else c)
    for key in keys.itertuples(index=False):
        row = dict(zip(by, key))
        mask = np.ones(len(runs), dtype=bool)
        for column, value in row.items():
            mask &= (runs[column] == value).to_numpy()
        dashed = bool(row.get("digital_channel", False)) and "digital_channel" in by
        yield arm_label(row), COLOURS.get(row["exit_strategy"], OTHER), dashed, runs[mask]


def survival_curves(runs: pd.DataFrame, by: list[str], title: str = ""):
    """Kaplan-Meier curves of months alive after exit, one per arm, with pointwise 95% bands."""
    _theme()
    runs = completed(runs)
    fig, ax = plt.subplots(figsize=(8.5, 5))
    for label, colour, dashed, arm in _arms(runs, by):
        curve = survival_curve(arm)
        ax.step(curve["month"], curve["survival"], where="post", color=colour, linewidth=2,
                linestyle="--" if dashed else "-", label=f"{label} (n={len(arm)})")
        ax.fill_between(curve["month"], curve["lower"], curve["upper"], step="post", color=colour, alpha=0.15,
                        linewidth=0)
    ax.axhline(0.5, color="#888888", linewidth=0.8, linestyle=":")
    ax.set_xlabel("months after the convener's exit")
    ax.set_ylabel("share of communities still alive")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.legend(title="exit strategy", fontsize=9, loc="lower left")
    ax.set_title(title or "Survival after the convener's exit (Kaplan-Meier, 95% bands)")
    fig.tight_layout()
    return fig


def survival_bars(table: pd.DataFrame, title: str = ""):
    """Survival probability per arm with its 95% Wilson interval (from `compare.comparison_table`)."""
    _theme()
    labels = [arm_label(r) for _, r in table.iterrows()]
    colours = [COLOURS.get(s, OTHER) for s in table["exit_strategy"]]
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(table) + 1.6))
    y = np.arange(len(table))[::-1]
    err = _bars(table["survival"], table["survival_lo"], table["survival_hi"])
    ax.errorbar(table["survival"], y, xerr=err, fmt="none", ecolor="#444444", capsize=4, linewidth=1.2)
    ax.scatter(table["survival"], y, color=colours, s=70, zorder=3)
    ax.set_yticks(y, labels)
    ax.axvline(0.5, color="#888888", linewidth=0.8, linestyle=":")
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("communities alive at the horizon (95% Wilson interval)")
    ax.set_title(title or "Survival probability by exit strategy")
    fig.tight_layout()
    return fig


def _bars(estimate, lo, hi) -> np.ndarray:
    """Error-bar lengths below and above; an interval's bound can sit a rounding error past its estimate."""
    return np.clip(np.vstack([np.asarray(estimate) - np.asarray(lo), np.asarray(hi) - np.asarray(estimate)]), 0, None)


def outcome_distributions(runs: pd.DataFrame, by: list[str], title: str = ""):
    """Box plots of each outcome by strategy (digital channel as hue when both settings were run)."""
    _theme()
    runs = completed(runs).copy()
    shown = order(runs["exit_strategy"])
    hue = "digital channel" if "digital_channel" in by else None
    if hue:
        runs[hue] = runs["digital_channel"].map({True: "on", False: "off"})
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, column in zip(axes.flat, DISTRIBUTIONS):
        kwargs = {"hue": hue, "hue_order": ["off", "on"]} if hue else {
            "hue": "exit_strategy", "palette": COLOURS, "legend": False}
        with warnings.catch_warnings():  # seaborn 0.13 passes matplotlib 3.11 a deprecated `vert`
            warnings.simplefilter("ignore", matplotlib.MatplotlibDeprecationWarning)
            sns.boxplot(data=runs, x="exit_strategy", y=column, order=shown, ax=ax, showmeans=True, fliersize=2,
                        meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "#222222"},
                        **kwargs)
        ax.set_title(OUTCOMES[column].label)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(axis="x", labelsize=9)
        if hue and ax is not axes.flat[0] and ax.get_legend():
            ax.get_legend().remove()
    fig.suptitle(title or "Outcomes at the horizon by exit strategy (diamond: mean)")
    fig.tight_layout()
    return fig


def heatmap_pairs(runs: pd.DataFrame, varied: list[str], priority: list[str] | None = None,
                  most: int = MAX_HEATMAP_PARAMETERS) -> list[tuple[str, str]]:
    """Pairs among at most `most` varied parameters: the most influential (if known), else the first ones."""
    chosen = [p for p in (priority or []) if p in varied] + [p for p in varied if p not in (priority or [])]
    chosen = [p for p in chosen if runs[p].nunique() > 1][:most]
    return list(itertools.combinations(chosen, 2))


def survival_heatmaps(runs: pd.DataFrame, pairs: list[tuple[str, str]], bins: int = 6, title: str = "",
                      facet: str | None = None, label: str = "survival"):
    """Survival probability over each pair of varied parameters (sampled values binned into quantiles).

    With `facet` (a varied choice such as exit_strategy), one row per pair and one panel per level
    of the facet, so the map of each strategy can be read on its own.
    """
    _theme()
    runs = completed(runs)
    levels = [None] if facet is None else _ordered(runs[facet])
    panels = [(x, y, level) for x, y in pairs for level in levels]
    cols = min(3, len(panels)) if facet is None else len(levels)
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols if facet is None else 4.2 * cols, 4.4 * rows),
                             squeeze=False)
    for k, (ax, (x, y, level)) in enumerate(zip(axes.flat, panels)):
        part = runs if level is None else runs[runs[facet] == level]
        grid = part.assign(_x=_levels(part[x], bins), _y=_levels(part[y], bins))
        share = grid.groupby(["_y", "_x"], observed=True)["survived"].mean().unstack("_x").astype(float)
        share = share.sort_index(ascending=False)
        last = facet is None or k % cols == cols - 1
        sns.heatmap(share, ax=ax, vmin=0, vmax=1, cmap="RdYlGn", annot=share.shape[0] * share.shape[1] <= 64,
                    fmt=".0%", annot_kws={"fontsize": 8}, cbar=last, cbar_kws={"label": label} if last else None)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        if level is not None:
            ax.set_title(f"{facet} = {_short(level)}")
        ax.tick_params(axis="y", labelrotation=0)
        ax.tick_params(axis="x", labelrotation=45 if share.shape[1] > 4 else 0)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(title or "Survival probability over pairs of varied parameters"
                 + ("" if facet is None else f", by {facet}"))
    fig.tight_layout()
    return fig


def _ordered(column: pd.Series) -> list:
    values = column.dropna().unique().tolist()
    if set(values) <= set(STRATEGIES):
        return order(values)
    return sorted(values)


def _levels(column: pd.Series, bins: int) -> pd.Categorical:
    """A grid parameter's values in their own order; a sampled one cut into quantile bins labelled by midpoints."""
    if column.nunique() <= MAX_GRID_VALUES:
        values = _ordered(column)
        return pd.Categorical(column.map(_short), categories=[_short(v) for v in values], ordered=True)
    cut = pd.qcut(column.astype(float), q=bins, duplicates="drop")
    labels = [_short(interval.mid) for interval in cut.cat.categories]
    return pd.Categorical(cut.cat.codes.map(dict(enumerate(labels))), categories=labels, ordered=True)


def _short(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(value).lower()
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}"
    return str(value)


def tipping_curves(runs: pd.DataFrame, parameter: str, strata: list[str], title: str = "",
                   label: str = "communities alive at the horizon"):
    """Binned survival (Wilson intervals) and the fitted logistic curve along one parameter, per stratum."""
    _theme()
    runs = completed(runs)
    fig, ax = plt.subplots(figsize=(8, 5))
    log = scale_of(runs[parameter]) == "log"
    groups = [((), runs)] if not strata else list(runs.groupby(strata, sort=True))
    palette = sns.color_palette("colorblind", max(len(groups), 1))
    if strata == ["exit_strategy"]:  # each strategy in its own colour, in the canonical order
        groups.sort(key=lambda g: rank(g[0][0] if isinstance(g[0], tuple) else g[0]))
        palette = [COLOURS.get(g[0][0] if isinstance(g[0], tuple) else g[0], OTHER) for g in groups]
    for colour, (key, part) in zip(palette, groups):
        key = key if isinstance(key, tuple) else (key,)
        name = ", ".join(f"{s}={_short(k)}" for s, k in zip(strata, key)) or "all runs"
        binned = binned_survival(part, parameter)
        err = _bars(binned["survival"], binned["survival_lo"], binned["survival_hi"])
        ax.errorbar(binned["value"], binned["survival"], yerr=err, fmt="o", color=colour, capsize=3, label=name)
        low, high = float(part[parameter].min()), float(part[parameter].max())
        xs = np.geomspace(low, high, 200) if log else np.linspace(low, high, 200)
        curve = fitted_curve(part, parameter, xs)
        if curve is not None:
            ax.plot(xs, curve, color=colour, linewidth=1.5)
    ax.axhline(0.5, color="#888888", linewidth=0.8, linestyle=":")
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    if log:  # a geometric grid: ticks at its own values, in plain numbers
        ax.set_xscale("log")
        ax.minorticks_off()
        values = sorted(runs[parameter].dropna().unique())
        ax.set_xticks(values, [_short(v) for v in values])
    ax.set_xlabel(parameter + (" (log scale)" if log else ""))
    ax.set_ylabel(label)
    ax.legend(fontsize=8)
    ax.set_title(title or f"Survival along {parameter} (points: 95% Wilson; lines: logistic fit)")
    fig.tight_layout()
    return fig


def sensitivity_bars(table: pd.DataFrame, title: str = "", labels: dict | None = None):
    """SALib indices per parameter, one panel per output: Sobol S1 and ST, or Morris mu* and sigma.

    `labels` names each output in words (default: the mean over runs in words, from `OUTCOMES`).
    """
    _theme()
    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(6.2 * len(outputs), 0.42 * table["parameter"].nunique() + 2),
                             squeeze=False)
    sobol = "ST" in table.columns
    names = {**{name: o.mean_words for name, o in OUTCOMES.items()}, **(labels or {})}
    for ax, output in zip(axes.flat, outputs):
        part = table[table["output"] == output]
        key = "ST" if sobol else "mu_star"
        if key not in part.columns or part[key].isna().all():
            ax.text(0.5, 0.5, f"{output} did not vary:\nnothing to apportion", ha="center", va="center")
            ax.set_axis_off()
            continue
        part = part.sort_values(key, ascending=True)
        y = np.arange(len(part))
        if sobol:
            ax.barh(y + 0.2, part["ST"], height=0.4, xerr=part["ST_conf"], color="#4c72b0", label="total (ST)")
            ax.barh(y - 0.2, part["S1"], height=0.4, xerr=part["S1_conf"], color="#dd8452", label="first order (S1)")
            ax.set_xlabel("Sobol index (95% bootstrap interval)")
        else:
            ax.barh(y + 0.2, part["mu_star"], height=0.4, xerr=part["mu_star_conf"], color="#4c72b0",
                    label="mu* (influence)")
            ax.barh(y - 0.2, part["sigma"], height=0.4, color="#dd8452", label="sigma (interactions)")
            ax.set_xlabel("Morris elementary effects (change in the output over the parameter's range)")
        ax.set_yticks(y, part["parameter"])
        ax.set_title(f"{output}: {names[output]}" if output in names else output, fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(title or "Global sensitivity (SALib)")
    fig.tight_layout()
    return fig

