"""`lcsim analyze DIR`: the maps behind a sweep: heatmaps, tipping points, sensitivity.

Reads a sweep's results folder (the run table and `manifest.json` that `lcsim sweep` wrote)
and writes into DIR/analysis/ (or --out):
- `heatmaps.png`: survival probability over each pair of varied parameters (the most
  influential ones for a sensitivity sweep); with a varied choice such as exit_strategy and
  two numeric parameters, also `heatmaps-by-<choice>.png`, one panel per level;
- `tipping_points.csv` and `tipping-<parameter>.png`: where survival crosses 50% along each
  numeric varied parameter (figures for the six most influential in a sensitivity sweep);
- for morris and sobol sweeps, `sensitivity.csv` and `sensitivity.png` (SALib);
- for grids, `survival_by_setting.csv` (each value of each varied parameter), with a varied
  choice and two more parameters `survival_by_<choice>.csv` (the same within each level of the
  choice), and `survival_by_point.csv`; and `summary.md`, which says it all in words.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import UsageError

ORDER = 50
TIPPING_FIGURES = 6  # tipping curves drawn for a sensitivity sweep: its most influential parameters
FACETS = 4  # at most this many levels (panels per row), and this many rows less one, in a faceted heatmap


def register(sub) -> None:
    cmd = sub.add_parser("analyze", help="analyse a sweep's results: heatmaps, tipping points, sensitivity (SALib)")
    cmd.add_argument("folder", metavar="DIR", help="a sweep's results folder (as written by `lcsim sweep`)")
    cmd.add_argument("--out", metavar="DIR", help="where to write figures and summary.md (default: DIR/analysis)")
    cmd.set_defaults(handler=cmd_analyze)


def cmd_analyze(args) -> int:
    folder = Path(args.folder)
    runs, manifest = load_sweep(folder)
    out = Path(args.out) if args.out else folder / "analysis"
    out.mkdir(parents=True, exist_ok=True)
    written, summary = analyze_sweep(runs, manifest, out)
    print(summary)
    print(f"\nwrote {out}/: " + ", ".join(written))
    return 0


def load_sweep(folder: Path):
    """The run table and manifest of a sweep folder; a one-line UsageError if it is not one."""
    import lcsim

    manifest_path = folder / "manifest.json"
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder; expected a sweep's results folder (from `lcsim sweep`)")
    if not manifest_path.is_file():
        raise UsageError(f"{folder}: no manifest.json; expected a sweep's results folder (from `lcsim sweep`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"{manifest_path}: cannot read it ({err})") from None
    runs = lcsim.load_results(folder)
    if runs.empty:
        raise UsageError(f"{folder}: the sweep has no finished runs yet; run `lcsim sweep` on it first")
    return runs, manifest


def analyze_sweep(runs, manifest: dict, out: Path) -> tuple[list[str], str]:
    """Write the figures and tables of one sweep into `out`; return the file names and summary.md's text."""
    import matplotlib.pyplot as plt

    from ..analysis import figures
    from ..analysis.sensitivity import SensitivityError, design_of, ranking, sensitivity
    from ..analysis.summary import summary_markdown, survival_by_point, survival_by_setting
    from ..analysis.survival import alive_after, common_follow_up, completed
    from ..analysis.tipping import categorical_parameters, numeric_parameters, tipping_points
    from ..experiments.store import atomic_write

    done = completed(runs)
    if done.empty:
        raise UsageError(f"every run of the sweep failed (first error: {runs['error'].dropna().iloc[0]})")
    varied = [v for v in varied_of(manifest, runs) if v in done.columns]
    written = []
    outcome, outcome_note = "alive at the horizon", ""
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

    def save_figure(name: str, fig) -> None:
        atomic_write(out / name, lambda path: fig.savefig(path, dpi=110, format="png"))
        plt.close(fig)
        written.append(name)

    def save_table(name: str, table) -> None:
        atomic_write(out / name, lambda path: table.to_csv(path, index=False, float_format="%.6g"))
        written.append(name)

    # Varied choices to split by, the exit strategy first: it is the question every map is read against.
    strata = sorted(categorical_parameters(done, varied), key=lambda name: name != "exit_strategy")
    numeric = numeric_parameters(done, varied)
    indices, note = None, ""
    if design_of(manifest) in ("morris", "sobol"):
        try:
            indices = sensitivity(runs, manifest)
        except SensitivityError as err:
            note = str(err)
        else:
            save_table("sensitivity.csv", indices)
            save_figure("sensitivity.png", figures.sensitivity_bars(indices, labels={"survived": f"share {outcome}"}))
    priority = ranking(indices)["parameter"].tolist() if indices is not None else None
    # A sensitivity sweep varies many parameters: map the four that matter most (six panels).
    pairs = figures.heatmap_pairs(done, varied, priority, most=4 if priority else figures.MAX_HEATMAP_PARAMETERS)
    if pairs:
        save_figure("heatmaps.png", figures.survival_heatmaps(done, pairs, label=outcome))
    if strata and len(numeric) >= 2 and done[strata[0]].nunique() <= FACETS:
        # The same maps drawn separately for each level of the first varied choice (e.g. each strategy).
        facet_pairs = figures.heatmap_pairs(done, numeric, priority)[:FACETS - 1]
        save_figure(f"heatmaps-by-{strata[0]}.png",
                    figures.survival_heatmaps(done, facet_pairs, facet=strata[0], label=outcome))
    # Margins per value only where the design is balanced (a grid): a Morris trajectory's levels are not.
    settings, points, within = survival_by_setting(done, []), None, None
    if design_of(manifest) == "grid" and varied:
        settings = survival_by_setting(done, varied)
        save_table("survival_by_setting.csv", settings)
        if strata and len(varied) > 2:  # with two varied parameters the design-point table says it all
            within = survival_by_setting(done, varied, within=strata[0])
            save_table(f"survival_by_{strata[0]}.csv", within)
        points = survival_by_point(done, varied)
        save_table("survival_by_point.csv", points)
    tipping = tipping_points(done, varied)
    if not tipping.empty:
        save_table("tipping_points.csv", tipping)
    # A figure per numeric parameter; for a sensitivity sweep, only the most influential ones
    # (tipping_points.csv still has every parameter).
    shown = [p for p in priority if p in numeric][:TIPPING_FIGURES] if priority else numeric
    for parameter in shown:
        save_figure(f"tipping-{parameter}.png", figures.tipping_curves(done, parameter, strata, label=outcome))
    text = summary_markdown(manifest, runs, varied, settings=settings, tipping=tipping, indices=indices,
                            files=written, note=note, points=points, outcome=outcome, outcome_note=outcome_note,
                            within=within)
    atomic_write(out / "summary.md", lambda path: Path(path).write_text(text, encoding="utf-8"))
    written.append("summary.md")
    return written, text


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
