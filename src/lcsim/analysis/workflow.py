"""`lcsim.analyze(folder)`: the maps behind a sweep (heatmaps, tipping points, sensitivity) as one object.

Reads a sweep's results folder (the run table and `manifest.json` that `lcsim sweep` wrote) and
returns an `Analysis`: its tables (name.csv -> DataFrame), figures (name.png -> matplotlib figure)
and `summary` (the Markdown of summary.md), which `.write(out)` writes, each file whole or not at all:

- `heatmaps.png`: survival probability over each pair of varied parameters (the most influential
  ones for a sensitivity sweep); with a varied choice such as exit_strategy and two numeric
  parameters, also `heatmaps-by-<choice>.png`, one panel per level;
- `tipping_points.csv` and `tipping-<parameter>.png`: where survival crosses 50% along each numeric
  varied parameter (figures for the six most influential in a sensitivity sweep);
- for morris and sobol sweeps, `sensitivity.csv` and `sensitivity.png` (SALib);
- for grids, `survival_by_setting.csv` (each value of each varied parameter), with a varied choice
  and two more parameters `survival_by_<choice>.csv` (the same within each level of the choice),
  and `survival_by_point.csv`;
- with at least two numeric varied parameters and an outcome that varies, scenario discovery
  (analysis/discovery.py, EMA Workbench's PRIM and CART): `discovery_box.csv`,
  `discovery_trajectory.csv`, `discovery_rules.csv`, `discovery-tradeoff.png`, `discovery-box.png`
  and `discovery-tree.png`; and `summary.md`, which says it all in words.

`lcsim analyze DIR` is `analyze(DIR, out=DIR/analysis)` and prints the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import UsageError
from .results import load_sweep, varied_of

TIPPING_FIGURES = 6  # tipping curves drawn for a sensitivity sweep: its most influential parameters
FACETS = 4  # at most this many levels (panels per row), and this many rows less one, in a faceted heatmap
SUMMARY = "summary.md"


@dataclass(eq=False)  # it holds DataFrames: compared by identity
class Analysis:
    """A sweep's analysis: what `lcsim.analyze` returns.

    `tables` (file name -> DataFrame) and `figures` (file name -> matplotlib figure) in the order
    they are written; `summary` is summary.md's Markdown; `indices` the SALib table (None unless a
    morris or sobol sweep), with `note` saying why not when it could not be computed; `outcome` says
    what survival means here (e.g. "alive 18 months after the exit" when horizons differ); `written`
    lists the files of the last `.write()`, into `out`.
    """

    folder: Path
    manifest: dict = field(repr=False)
    runs: pd.DataFrame = field(repr=False)
    varied: list[str]
    tables: dict = field(repr=False)
    figures: dict = field(repr=False)
    summary: str = field(repr=False)
    indices: pd.DataFrame | None = field(default=None, repr=False)
    note: str = ""
    outcome: str = "alive at the horizon"
    order: list[str] = field(default_factory=list, repr=False)  # tables and figures in the order built
    out: Path | None = None
    written: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """Every file the analysis writes, in order: tables and figures as built, then summary.md."""
        return [*self._order, SUMMARY]

    @property
    def _order(self) -> list[str]:
        return [n for n in self.order if n in self.tables or n in self.figures] or [*self.tables, *self.figures]

    def write(self, out: str | Path | None = None) -> list[str]:
        """Write every table (CSV), figure (PNG) and summary.md into `out` (default: the folder given to
        `analyze`, else <sweep folder>/analysis). Returns the file names; each file is whole or absent."""
        from ..experiments.store import atomic_write
        from ..output import usable_folder

        folder = usable_folder(out if out is not None else (self.out or self.folder / "analysis"))
        written = []
        for name in self._order:
            if name in self.tables:
                table = self.tables[name]
                atomic_write(folder / name,
                             lambda path, table=table: table.to_csv(path, index=False, float_format="%.6g"))
            else:
                fig = self.figures[name]
                atomic_write(folder / name, lambda path, fig=fig: fig.savefig(path, dpi=110, format="png"))
            written.append(name)
        text = self.summary
        atomic_write(folder / SUMMARY, lambda path: Path(path).write_text(text, encoding="utf-8"))
        written.append(SUMMARY)
        self.out, self.written = folder, written
        return written

    def _repr_markdown_(self) -> str:  # a notebook shows the summary
        return self.summary


def analyze(folder: str | Path, out: str | Path | None = None, *, skip_damaged: bool = False) -> Analysis:
    """Analyse a sweep's results folder; with `out`, also write every file there (see `Analysis.write`).

    Raises `UsageError` (one line) if `folder` is not a sweep's results folder or every run failed,
    and `OutputError` if `out` cannot be written, before anything is computed. A damaged part is refused
    (one line naming it) unless `skip_damaged`, which analyses the rest and warns what was left out.
    """
    from ..output import usable_folder

    folder = Path(folder)
    runs, manifest = load_sweep(folder, skip_damaged=skip_damaged)
    target = usable_folder(out) if out is not None else None
    analysis = analysis_of(runs, manifest, folder)
    if target is not None:
        analysis.write(target)
    return analysis


def analysis_of(runs: pd.DataFrame, manifest: dict, folder: Path | None = None) -> Analysis:
    """Every table and figure of one sweep's run table and manifest, and the summary that says them."""
    from ..outcomes import OUTCOMES
    from . import figures
    from .sensitivity import SensitivityError, has_indices, is_balanced, ranking, sensitivity
    from .summary import summary_markdown, survival_by_point, survival_by_setting
    from .survival import alive_after, common_follow_up, completed
    from .tipping import categorical_parameters, numeric_parameters, tipping_points

    done = completed(runs)
    if done.empty:
        raise UsageError(f"every run of the sweep failed (first error: {runs['error'].dropna().iloc[0]})")
    varied = [v for v in varied_of(manifest, runs) if v in done.columns]
    tables, made, order = {}, {}, []
    outcome, outcome_note = OUTCOMES["survived"].label, ""  # "alive at the horizon"
    shortest, longest = common_follow_up(done)
    if longest > shortest:
        # Horizons lie at different distances from the exit (e.g. months fixed, exit_month varied):
        # count survival at the follow-up every run had, so timing is not confused with watching longer.
        outcome = f"alive {shortest:g} months after the exit"
        outcome_note = (f"Runs were followed for {shortest:g} to {longest:g} months after the convener's exit. So that "
                        f"an early exit is not confused with a longer watch, survival here means {outcome} (the "
                        "follow-up every run had), in every table and figure below and in the sensitivity indices "
                        f"of `survived`; likewise `months_alive_after_exit` counts at most {shortest:g} months "
                        "(its mean is the restricted mean survival time).")
        alive = alive_after(done, shortest)
        capped = done["months_alive_after_exit"].clip(upper=shortest)
        runs = runs.assign(survived=alive.reindex(runs.index).astype("boolean"),
                           months_alive_after_exit=capped.reindex(runs.index))
        done = done.assign(survived=alive, months_alive_after_exit=capped)

    def figure(name: str, fig) -> None:
        made[name] = figures.detached({name: fig})[name]
        order.append(name)

    def table(name: str, frame: pd.DataFrame) -> None:
        tables[name] = frame
        order.append(name)

    # Varied choices to split by, the exit strategy first: it is the question every map is read against.
    strata = sorted(categorical_parameters(done, varied), key=lambda name: name != "exit_strategy")
    numeric = numeric_parameters(done, varied)
    indices, note = None, ""
    if has_indices(manifest):
        try:
            indices = sensitivity(runs, manifest)
        except SensitivityError as err:
            note = str(err)
        else:
            table("sensitivity.csv", indices)
            figure("sensitivity.png", figures.sensitivity_bars(indices, labels={"survived": f"share {outcome}"}))
    priority = ranking(indices)["parameter"].tolist() if indices is not None else None
    # A sensitivity sweep varies many parameters: map the four that matter most (six panels).
    pairs = figures.heatmap_pairs(done, varied, priority, most=4 if priority else figures.MAX_HEATMAP_PARAMETERS)
    if pairs:
        figure("heatmaps.png", figures.survival_heatmaps(done, pairs, label=outcome))
    if strata and len(numeric) >= 2 and done[strata[0]].nunique() <= FACETS:
        # The same maps drawn separately for each level of the first varied choice (e.g. each strategy).
        facet_pairs = figures.heatmap_pairs(done, numeric, priority)[:FACETS - 1]
        figure(f"heatmaps-by-{strata[0]}.png",
               figures.survival_heatmaps(done, facet_pairs, facet=strata[0], label=outcome))
    # Margins per value only where the design is balanced (a grid): a Morris trajectory's levels are not.
    settings, points, within = survival_by_setting(done, []), None, None
    if is_balanced(manifest) and varied:
        settings = survival_by_setting(done, varied)
        table("survival_by_setting.csv", settings)
        if strata and len(varied) > 2:  # with two varied parameters the design-point table says it all
            within = survival_by_setting(done, varied, within=strata[0])
            table(f"survival_by_{strata[0]}.csv", within)
        points = survival_by_point(done, varied)
        table("survival_by_point.csv", points)
    tipping = tipping_points(done, varied)
    if not tipping.empty:
        table("tipping_points.csv", tipping)
    # A figure per numeric parameter; for a sensitivity sweep, only the most influential ones
    # (tipping_points.csv still has every parameter).
    shown = [p for p in priority if p in numeric][:TIPPING_FIGURES] if priority else numeric
    for parameter in shown:
        figure(f"tipping-{parameter}.png", figures.tipping_curves(done, parameter, strata, label=outcome))
    # Scenario discovery (PRIM boxes, a CART tree) where at least two numbers vary and the outcome does.
    discovery = discovery_of(done, manifest, varied, numeric)
    if discovery is not None:
        for name, frame in discovery.tables.items():
            table(name, frame)
        for name, fig in discovery.figures.items():
            figure(name, fig)
    text = summary_markdown(manifest, runs, varied, settings=settings, tipping=tipping, indices=indices,
                            files=order, note=note, points=points, outcome=outcome, outcome_note=outcome_note,
                            within=within)
    if discovery is not None:
        text = with_discovery(text, discovery)
    analysis = Analysis(folder=Path(folder) if folder is not None else Path("."), manifest=manifest, runs=runs,
                        varied=varied, tables=tables, figures=made, summary=text, indices=indices, note=note,
                        outcome=outcome, order=order)
    return analysis


def discovery_of(done: pd.DataFrame, manifest: dict, varied: list[str], numeric: list[str]):
    """The sweep's scenario discovery (`analysis.discovery.discover` on its completed runs, survival as counted
    here), or None: with fewer than two numeric varied parameters, an outcome the same in every run, too few
    runs for PRIM, or EMA Workbench not installed (`lcsim discover` then says why in one line)."""
    if len(numeric) < 2 or done["survived"].nunique() < 2:
        return None
    from .discovery import discover

    try:
        return discover(done, manifest=manifest, inputs=varied)
    except UsageError:
        return None


def with_discovery(text: str, discovery) -> str:
    """summary.md with the discovery's section before its list of figures (or at its end)."""
    section = discovery.to_markdown(level=2, figures=False)
    head, mark, tail = text.partition("## Figures")
    return f"{head}{section}\n{mark}{tail}" if mark else f"{text.rstrip()}\n\n{section}"
