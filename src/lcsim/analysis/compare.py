"""The comparison a program designer reads: exit strategies side by side, with their uncertainty.

One row per strategy (and per digital-channel setting when both were run): survival
probability with a 95% Wilson interval, its difference from abrupt exit (`phase_out`) with
Newcombe's interval (`confint_proportions_2indep`), the Kaplan-Meier median of months alive
after exit with its interval, the log-rank test of the strategy's survival curve against
`phase_out`, and the other outcomes at the horizon as means with 95% t intervals
(statsmodels `DescrStatsW.tconfint_mean`).

`compare(...)` (exported as `lcsim.compare`) runs the comparison through the sweep engine and
returns a `Comparison`, which holds everything `lcsim compare` and `lcsim report` print and write:

    c = lcsim.compare("fragile", replicates=100, digital="both", overrides={"control": 0.3})
    c.table; c.reading(); c.figures["survival_curves.png"]; c.write("out/fragile"); c.to_html()

Labels, bounds and formats of outcomes come from `lcsim.model.outcomes.OUTCOMES`; strategies'
words and order from `lcsim.strategies`.
"""

from __future__ import annotations

import hashlib
import json
import math
import shlex
from dataclasses import dataclass, field
from functools import cached_property
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.weightstats import DescrStatsW

from ..errors import ParameterError, UsageError
from ..model.outcomes import OUTCOMES
from ..parameters import SCHEMA
from ..strategies import EXIT_STRATEGIES, WORDS, rank
from .survival import ALPHA, completed, logrank, median_survival, survival_probability

REFERENCE = "phase_out"  # abrupt exit: the strategy every other one is tested against

# Outcomes at the horizon shown as means with intervals (labels, bounds and format: `OUTCOMES`).
COMPARED = ("active_members", "leaders", "cross_sector_share", "local_hosting_share", "replications",
            "replications_alive")


def groups_of(runs: pd.DataFrame) -> list[str]:
    """The columns that tell the compared arms apart: strategy, and the digital channel if it varies."""
    cols = ["exit_strategy"]
    if "digital_channel" in runs.columns and runs["digital_channel"].nunique() > 1:
        cols.append("digital_channel")
    return cols


def comparison_table(runs: pd.DataFrame, by: list[str] | None = None, reference: str = REFERENCE) -> pd.DataFrame:
    """One row per arm: survival with Wilson CI, KM median with CI, log-rank p vs `reference`, outcome means.

    Arms are ordered as the strategies are in the schema (stay, phase_out, phase_down,
    phase_over), digital channel off before on. The log-rank test compares each strategy
    with `reference` at the same digital-channel setting; the reference's own row is NaN.
    """
    runs = completed(runs)
    by = by or groups_of(runs)
    table = survival_probability(runs, by=by)
    rows = []
    for key in table[by].itertuples(index=False, name=None):
        arm = _select(runs, by, key)
        row = dict(zip(by, key))
        row.update(median_survival(arm))
        row.update(_versus(runs, by, key, reference))
        for column in (c for c in COMPARED if c in runs):  # a table from an older model may lack some
            mean, lo, hi = mean_interval(arm[column], OUTCOMES[column].bounds)
            row.update({column: mean, f"{column}_lo": lo, f"{column}_hi": hi})
        rows.append(row)
    table = table.merge(pd.DataFrame(rows), on=by)
    table = table.sort_values(by, key=lambda col: col.map(rank) if col.name == "exit_strategy" else col)
    return table.reset_index(drop=True)


def mean_interval(values: pd.Series, bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    """Mean and its 95% t interval; with one value (or all equal) the interval is the value itself.

    The interval is clipped to the outcome's natural `bounds` (counts are never negative, shares
    lie in [0, 1]): with few, skewed runs the symmetric t interval can spill past them, and a
    mean can never lie there.
    """
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2 or np.all(x == x[0]):
        return mean, mean, mean
    lo, hi = DescrStatsW(x).tconfint_mean(alpha=ALPHA)
    return mean, float(max(lo, bounds[0])), float(min(hi, bounds[1]))


def _select(runs: pd.DataFrame, by: list[str], key: tuple) -> pd.DataFrame:
    mask = np.ones(len(runs), dtype=bool)
    for column, value in zip(by, key):
        mask &= (runs[column] == value).to_numpy()
    return runs[mask]


def _versus(runs: pd.DataFrame, by: list[str], key: tuple, reference: str) -> dict:
    """Log-rank test and survival difference (Newcombe 95% CI) of one arm against the reference arm."""
    none = {"logrank_chisq": math.nan, "logrank_p": math.nan,
            "difference": math.nan, "difference_lo": math.nan, "difference_hi": math.nan}
    here = dict(zip(by, key))
    if here["exit_strategy"] == reference:
        return none
    ref_key = tuple(reference if c == "exit_strategy" else here[c] for c in by)
    arm, ref = _select(runs, by, key), _select(runs, by, ref_key)
    if ref.empty:  # the reference arm was not run
        return none
    pair = pd.concat([arm, ref])
    result = logrank(pair, pair["exit_strategy"])
    a, b = int(arm["survived"].sum()), int(ref["survived"].sum())
    lo, hi = confint_proportions_2indep(a, len(arm), b, len(ref), method="newcomb", compare="diff", alpha=ALPHA)
    return {"logrank_chisq": result["chisq"], "logrank_p": result["p"],
            "difference": a / len(arm) - b / len(ref), "difference_lo": float(lo), "difference_hi": float(hi)}


# --- words and text -----------------------------------------------------------------------------

def arm_label(row) -> str:
    label = str(row["exit_strategy"])
    if "digital_channel" in row and not _missing(row.get("digital_channel")):
        label += " + digital" if bool(row["digital_channel"]) else ""
    return label


def percent_interval(p: float, lo: float, hi: float) -> str:
    if _missing(p):
        return "-"
    return f"{p:.0%} ({lo * 100:.0f}-{hi:.0%})"


def median_text(row) -> str:
    """'14 (11-19)'; '>36' when more than half were still alive at the horizon (median not reached)."""
    if not row["reached"]:
        return f">{row['horizon']:.0f}" if not _missing(row["horizon"]) else "-"
    hi = f"{row['median_hi']:.0f}" if np.isfinite(row["median_hi"]) else f">{row['horizon']:.0f}"
    lo = "?" if _missing(row["median_lo"]) else f"{row['median_lo']:.0f}"
    return f"{row['median']:.0f} ({lo} to {hi})"


def points_text(row) -> str:
    """A difference in survival in percentage points, with its interval: '+16 pts (-11 to +40)'."""
    if _missing(row["difference"]):
        return "-"
    return (f"{row['difference'] * 100:+.0f} pts ({row['difference_lo'] * 100:+.0f} to "
            f"{row['difference_hi'] * 100:+.0f})")


def p_text(p: float) -> str:
    if _missing(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def mean_text(row, column: str) -> str:
    mean, lo, hi = row[column], row[f"{column}_lo"], row[f"{column}_hi"]
    if _missing(mean):
        return "-"
    if OUTCOMES[column].percent:
        return f"{mean:.0%} ({lo * 100:.0f}-{hi:.0%})"
    digits = 0 if abs(mean) >= 10 else 1
    return f"{mean:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def readable(table: pd.DataFrame, reference: str = REFERENCE, part: str = "all") -> pd.DataFrame:
    """The comparison table as text cells with the column names a designer reads.

    `part`: "survival" (survival statistics), "outcomes" (means at the horizon) or "all".
    """
    rows = [r for _, r in table.iterrows()]
    cells = {"strategy": [arm_label(r) for r in rows]}
    if part in ("survival", "all"):
        cells["runs"] = [str(int(r["runs"])) for r in rows]
        cells["survival (95% CI)"] = [percent_interval(r["survival"], r["survival_lo"], r["survival_hi"]) for r in rows]
        cells[f"vs {reference}"] = [points_text(r) for r in rows]
        cells["median months alive after exit"] = [median_text(r) for r in rows]
        cells["log-rank p"] = [p_text(r["logrank_p"]) for r in rows]
    if part in ("outcomes", "all"):
        for column in (c for c in COMPARED if c in table):
            cells[OUTCOMES[column].label] = [mean_text(r, column) for r in rows]
    return pd.DataFrame(cells)


def format_table(table: pd.DataFrame, reference: str = REFERENCE) -> str:
    """Two fixed-width text tables for the terminal: survival, then the outcomes at the horizon."""
    blocks = []
    for part, title in (("survival", f"Survival after the convener's exit (95% intervals; tests against {reference})"),
                        ("outcomes", "At the horizon: mean per run (95% interval)")):
        text = readable(table, reference, part)
        widths = {c: max(len(c), *(len(v) for v in text[c])) for c in text.columns}
        lines = [title, "  ".join(c.ljust(widths[c]) for c in text.columns).rstrip(),
                 "  ".join("-" * widths[c] for c in text.columns)]
        lines += ["  ".join(row[c].ljust(widths[c]) for c in text.columns).rstrip() for _, row in text.iterrows()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def plain_reading(table: pd.DataFrame, horizon_after_exit: float | None = None,
                  reference: str = REFERENCE) -> list[str]:
    """Sentences a designer can quote: each exit strategy's survival with its interval, best first.

    One paragraph per digital-channel setting when both were run; `stay` is the control arm.
    """
    when = (f"{horizon_after_exit:.0f} months after the convener's exit" if horizon_after_exit
            else "at the horizon")
    settings = [None]
    if "digital_channel" in table.columns and table["digital_channel"].nunique() > 1:
        settings = sorted(table["digital_channel"].unique())
    sentences = []
    for setting in settings:
        part = table if setting is None else table[table["digital_channel"] == setting]
        part = part.sort_values("survival", ascending=False)
        exits, stay = part[part["exit_strategy"] != "stay"], part[part["exit_strategy"] == "stay"]
        said = [f"{WORDS.get(r.exit_strategy, r.exit_strategy)} "
                f"{'keeps about ' if k == 0 else 'about '}{percent_interval(r.survival, r.survival_lo, r.survival_hi)}"
                for k, r in enumerate(exits.itertuples())]
        prefix = "" if setting is None else ("With a digital channel, " if setting else "Without a digital channel, ")
        if said:
            sentences.append(_capital(prefix + _join(said) + f" of communities alive {when}."))
        if len(stay):
            r = stay.iloc[0]
            sentences.append(f"If the convener never leaves (the control arm), "
                             f"{percent_interval(r.survival, r.survival_lo, r.survival_hi)} are alive.")
        for r in exits.itertuples():
            if r.exit_strategy == reference or _missing(r.difference):
                continue
            clear = r.difference_lo > 0 or r.difference_hi < 0
            verdict = ("a clear difference" if clear else
                       "the interval includes no difference, so these runs cannot tell them apart")
            sentences.append(f"{_capital(WORDS.get(r.exit_strategy, r.exit_strategy))} against abrupt "
                             f"exit: {r.difference * 100:+.0f} percentage points ({r.difference_lo * 100:+.0f} to "
                             f"{r.difference_hi * 100:+.0f}), {verdict}.")
    return sentences


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --- the workflow: run the comparison, and everything `lcsim compare` and `lcsim report` show ---------

ROOT_SEED = 20261128  # the default root seed of a comparison: every run's seed derives from it
DIGITAL = {"off": [False], "on": [True], "both": [False, True]}  # `digital=` -> values of digital_channel
FIGURES = ("survival.png", "survival_curves.png", "outcomes.png")


@dataclass(eq=False)  # it holds DataFrames: compared by identity
class Comparison:
    """Every exit strategy on one scenario, side by side: what `lcsim.compare` returns.

    `table` has one row per arm (`comparison_table`); `runs` is the sweep's run table and
    `completed` its finished runs; `params` the parameters every arm shared (what varies is
    exit_strategy, and digital_channel when both settings ran); `experiment` the sweep it ran,
    stored in `runs_dir`; `horizon` the months from the exit to the end. `figures` (name -> matplotlib
    figure) are built on first use. `heading()`, `format_table()` and `reading()` are what
    `lcsim compare` prints; `write(out)` writes comparison.csv and the figures (and report.html
    with `report=True`); `to_html()` is the self-contained report.
    """

    table: pd.DataFrame = field(repr=False)
    runs: pd.DataFrame = field(repr=False)
    completed: pd.DataFrame = field(repr=False)
    failed: int
    params: dict = field(repr=False)
    experiment: dict = field(repr=False)
    by: list[str]
    horizon: int
    runs_dir: Path
    scenario: str = "default"
    replicates: int = 200
    strategies: tuple[str, ...] = EXIT_STRATEGIES
    digital: str | None = None
    seed: int = ROOT_SEED
    overrides: dict = field(default_factory=dict, repr=False)
    out: Path | None = None
    posterior: str | None = None  # the posterior folder each replicate drew its uncertain values from
    draws: int = 0  # distinct posterior draws (each run on `replicates // draws` seeds)

    @property
    def uncertainty_note(self) -> str:
        """Which intervals include parameter uncertainty (empty without a posterior)."""
        if not self.posterior:
            return ""
        return (f"Survival intervals include parameter uncertainty: each replicate drew its uncertain values from "
                f"the posterior in {self.posterior} ({self.draws} draws, {self.replicates // self.draws} seeds each, "
                "the same draw for replicate k in every strategy); each is the wider of the 95% Wilson interval "
                "over all runs and the 2.5-97.5% range of survival across the draws. The other intervals "
                "(differences, medians, outcomes) are chance only, over the pooled runs.")

    def heading(self) -> str:
        """One line: the scenario, what every run shared, and how many runs there were."""
        p = self.params
        digital = {"both": "with and without the digital channel", "on": "with the digital channel",
                   "off": "without the digital channel", None: "digital channel " + (
                       "on" if p["digital_channel"] else "off")}[self.digital]
        assumed = {k: v for k, v in self.overrides.items() if str(k).startswith("assumptions.")}
        if assumed:
            digital += "; " + ", ".join(f"{k}={_value_text(v)}" for k, v in assumed.items())
        text = (f"scenario {self.scenario}: {p['n_members']} members, convener gone at month {p['exit_month']} "
                f"of {p['months']}, control {p['control']:g}, {digital}; "
                f"{self.replicates} communities per strategy ({len(self.runs)} runs")
        if self.failed:
            text += f", {self.failed} failed and left out"
        text += ")"
        return text + ("\n" + self.uncertainty_note if self.posterior else "")

    def format_table(self) -> str:
        """The two fixed-width tables `lcsim compare` prints: survival, then outcomes at the horizon."""
        return format_table(self.table)

    def reading(self) -> list[str]:
        """Plain-language sentences a designer can quote, best strategy first."""
        return plain_reading(self.table, self.horizon)

    def text(self) -> str:
        """Everything `lcsim compare` prints before it writes: heading, tables, reading."""
        return "\n\n".join([self.heading(), self.format_table(), "\n".join(self.reading())])

    @cached_property
    def figures(self) -> dict:
        """survival.png, survival_curves.png, outcomes.png: name -> matplotlib figure (built on first use)."""
        from . import figures

        name = self.scenario
        built = {
            "survival.png": figures.survival_bars(self.table, f"{name}: communities alive at the horizon"),
            "survival_curves.png": figures.survival_curves(
                self.completed, self.by, f"{name}: survival after the convener's exit (Kaplan-Meier, 95% bands)"),
            "outcomes.png": figures.outcome_distributions(self.completed, self.by,
                                                          f"{name}: outcomes at the horizon by strategy"),
        }
        return figures.detached(built)

    def command(self, name: str = "report") -> str:
        """The `lcsim` command that reproduces these numbers (the output folder aside)."""
        return command_line(name, self.scenario, self.replicates, self.strategies, self.digital, self.seed,
                            self.overrides, self.posterior)

    def to_html(self, command: str | None = None, date: str | None = None, advice=None) -> str:
        """The self-contained HTML report (figures inline, no network): what `lcsim report` writes.

        With `advice` (an `lcsim.Advice` for the same scenario), the report adds the advisor's section:
        the recommended plan, the trade-off with convener effort and the conditions under which it fails.
        """
        from .. import __version__
        from ..scenarios import describe
        from .report import CAPTIONS, build_report

        meta = {"version": __version__, "replicates": self.replicates, "root_seed": self.seed,
                "runs": len(self.runs), "failed": self.failed, "common_seeds": True,
                "command": command if command is not None else self.command("report")}
        if date:
            meta["date"] = date
        page = build_report(table=self.table, params=self.params, scenario=describe(self.scenario),
                            figures={CAPTIONS[name]: fig for name, fig in self.figures.items()},
                            overrides=self.overrides, meta=meta,
                            advice_html=advice.to_html(heading=False) if advice is not None else None)
        if self.posterior:  # the report's method list names the chance-only interval: say which include more
            wilson = "Survival probability: share alive at the horizon with a 95% Wilson interval"
            note = html_escape(self.uncertainty_note)
            page = page.replace(wilson, note + " " + wilson.replace("with a 95% Wilson", "with, without the draws, "
                                                                   "a 95% Wilson"), 1) if wilson in page else \
                page.replace("<ul>", f"<ul><li>{note}</li>", 1)
        return page

    def write(self, out: str | Path | None = None, report: bool = False, advice=None) -> list[str]:
        """Write comparison.csv and the figures (PNG) into `out` (default: where the runs are kept), and
        report.html first with `report=True`; each file appears whole or not at all. Returns the names."""
        from ..experiments.store import atomic_write
        from ..output import usable_folder

        folder = usable_folder(out if out is not None else (self.out or self.runs_dir))
        written = []
        if report:
            html = self.to_html(advice=advice)
            atomic_write(folder / "report.html", lambda path: Path(path).write_text(html, encoding="utf-8"))
            written.append("report.html")
        table = self.table
        atomic_write(folder / "comparison.csv", lambda path: table.to_csv(path, index=False, float_format="%.6g"))
        written.append("comparison.csv")
        for name, fig in self.figures.items():
            atomic_write(folder / name, lambda path, fig=fig: fig.savefig(path, dpi=110, format="png"))
            written.append(name)
        return written

    def _repr_html_(self) -> str:  # a notebook shows the comparison as its table
        return f"<p>{html_escape(self.heading())}</p>" + readable(self.table).to_html(index=False)


def compare(scenario: str = "default", strategies=None, replicates: int = 200, digital: str | bool | None = None,
            overrides: dict | None = None, out: str | Path | None = None, workers: int | None = None,
            seed: int = ROOT_SEED, progress: bool = True, posterior=None, seeds_per_draw: int = 10) -> Comparison:
    """Compare exit strategies on a scenario: run (or resume) the sweep, and return its `Comparison`.

    The runs go through the sweep engine as a grid over `exit_strategy` (and `digital_channel`:
    "off", "on" or "both" side by side; None keeps the scenario's setting) with common seeds:
    replicate k of every strategy starts from the same random state, so the strategies meet the
    same luck. `strategies`: names (default: all four); `overrides`: parameter values (and
    `"assumptions.NAME"` values) every run shares. The runs are kept in `out`/runs/<key>, one
    folder per distinct comparison (default `out`: out/compare-SCENARIO), so the same call again
    resumes instead of rerunning. Nothing is written besides the runs: call `.write()`.

    With `posterior` (a folder `lcsim calibrate` wrote, or a `lcsim.calibration.Posterior`),
    each replicate draws its uncertain values from the posterior (weighted resampling seeded from
    `numpy.random.SeedSequence([seed, ...])`): `replicates // seeds_per_draw` distinct draws, replicate
    k using draw k // seeds_per_draw in every strategy (common across arms, like its seed). The
    survival intervals then include parameter uncertainty (`Comparison.uncertainty_note`); the runs
    are kept as one Parquet file per distinct comparison and reused when the same call comes again.

    Everything is checked before any run: an unknown scenario, parameter or strategy raises
    `ParameterError`; an unusable `out` raises `OutputError`.
    """
    import lcsim

    from ..output import usable_folder

    fixed = dict(overrides or {})
    digital = _digital(digital)
    params = _checked_params(scenario, fixed)
    for name in ("exit_strategy",) + (("digital_channel",) if digital else ()):
        if name in fixed:
            option = "--strategies" if name == "exit_strategy" else "--digital"
            raise UsageError(f"--set {name}: compare varies {name} itself; use {option} instead")
    strategies = _strategies(strategies)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ParameterError(f"replicates: {replicates!r} is not allowed; expected a whole number of at least 1")
    if digital in ("on", "off"):  # what every run had, for the heading and the report
        params["digital_channel"] = digital == "on"
    vary = {"exit_strategy": list(strategies)}
    if digital:
        vary["digital_channel"] = DIGITAL[digital]
    experiment = {
        "name": f"compare-{scenario}",
        "description": f"lcsim compare: exit strategies {', '.join(strategies)} on scenario {scenario}",
        "scenario": scenario, "fixed": fixed, "vary": vary, "design": "grid",
        "replicates": replicates, "root_seed": seed, "common_seeds": True,
    }
    folder = usable_folder(out if out is not None else f"out/compare-{scenario}")
    drawn = None
    if posterior is not None:
        drawn, label = posterior_draws(posterior, replicates, seeds_per_draw, seed, fixed)
        experiment["posterior"] = {"source": label, "draws": len(drawn), "seeds_per_draw": seeds_per_draw,
                                   "values": drawn.to_dict("list")}
    # One runs folder per distinct comparison, so changing replicates or overrides never collides
    # with (or silently reuses) an earlier sweep, and the same call again resumes it.
    key = hashlib.sha256(json.dumps(experiment, sort_keys=True, default=str).encode()).hexdigest()[:10]
    runs_dir = folder / "runs" / key
    if drawn is None:
        runs = lcsim.sweep(experiment, runs_dir, workers=workers, progress=progress)
    else:
        runs = run_with_draws(experiment, drawn, seeds_per_draw, runs_dir, workers)
    done = completed(runs)
    if done.empty:
        raise UsageError(f"every run failed (first error: {runs['error'].dropna().iloc[0]}); see {runs_dir}")
    by = groups_of(done) if digital == "both" else ["exit_strategy"]
    table = comparison_table(done, by=by)
    if drawn is not None:
        table = with_parameter_uncertainty(table, done, by)
    return Comparison(table=table, runs=runs, completed=done, failed=len(runs) - len(done),
                      params=params, experiment=experiment, by=by, horizon=params["months"] - params["exit_month"],
                      runs_dir=runs_dir, scenario=scenario, replicates=replicates, strategies=tuple(strategies),
                      digital=digital, seed=seed, overrides=fixed, out=folder,
                      posterior=None if drawn is None else label, draws=0 if drawn is None else len(drawn))


# -- answers that carry parameter uncertainty ------------------------------------------------------
POSTERIOR_STREAM = 13  # the SeedSequence word of the posterior draws (after the root seed)


def posterior_draws(posterior, replicates: int, seeds_per_draw: int, seed: int, fixed: dict) -> tuple[pd.DataFrame,
                                                                                                    str]:
    """The posterior's draws for a comparison: one row per distinct draw, columns named as a run's parameters
    (`assumptions.NAME` for an assumption); and where the posterior came from."""
    from ..assumptions import PREFIX
    from ..calibration.posterior import Posterior, load_posterior

    if isinstance(seeds_per_draw, bool) or not isinstance(seeds_per_draw, int) or seeds_per_draw < 1:
        raise ParameterError(f"seeds_per_draw: {seeds_per_draw!r} is not allowed; expected a whole number of at "
                             "least 1")
    if replicates < seeds_per_draw:
        raise ParameterError(f"replicates: {replicates} is not allowed with a posterior; expected at least "
                             f"seeds_per_draw ({seeds_per_draw}) so that every draw runs on that many seeds")
    post = posterior if isinstance(posterior, Posterior) else load_posterior(posterior)
    label = str(posterior) if not isinstance(posterior, Posterior) else "a posterior given in Python"
    names = {p.name: (p.name if p.kind == "param" else PREFIX + p.name) for p in post.priors}
    clash = [n for n in names.values() if n in fixed]
    if clash:
        raise UsageError(f"--set {clash[0]}: it is drawn from the posterior; leave it out, or compare without "
                         "--posterior")
    n = -(-replicates // seeds_per_draw)
    drawn = post.draw(n, np.random.SeedSequence([int(seed), POSTERIOR_STREAM])).rename(columns=names)
    return drawn, label


def run_with_draws(experiment: dict, drawn: pd.DataFrame, seeds_per_draw: int, runs_dir: Path,
                   workers: int | None) -> pd.DataFrame:
    """Every arm x replicate, replicate k with the seed it has in the sweep (common seeds) and draw
    k // seeds_per_draw; through the sweep engine's worker (`run_chunk`) on a local process pool. The
    runs are kept in `runs_dir`/runs.parquet, reused when present."""
    import concurrent.futures as cf
    import itertools
    import multiprocessing as mp
    import os

    from ..experiments.design import run_seed
    from ..experiments.store import atomic_write
    from ..experiments.worker import run_chunk

    path = runs_dir / "runs.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    vary = experiment["vary"]
    arms = [dict(zip(vary, values)) for values in itertools.product(*vary.values())]
    values = drawn.to_dict("records")
    tasks, rows = [], {}
    for point, arm in enumerate(arms):
        for r in range(experiment["replicates"]):
            draw = r // seeds_per_draw
            rid = f"p{point:04d}-r{r:04d}"
            s = run_seed(experiment["root_seed"], point, r, common=True)
            tasks.append((rid, s, {**arm, **values[draw]}))
            rows[rid] = {"run_id": rid, "point": point, "replicate": r, "seed": s, "draw": draw, **arm, **values[draw]}
    workers = workers or os.cpu_count() or 1
    chunks = [tasks[i:i + 16] for i in range(0, len(tasks), 16)]
    base, scenario = experiment["fixed"], experiment["scenario"]
    if workers > 1 and len(chunks) > 1:
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            done = list(pool.map(run_chunk, itertools.repeat(scenario), itertools.repeat(base), chunks,
                                 itertools.repeat(False)))
    else:
        done = [run_chunk(scenario, base, chunk, False) for chunk in chunks]
    table = []
    for rid, summary, error, _ in itertools.chain.from_iterable(done):
        table.append({**rows[rid], **(summary or {}), "error": error})
    runs = pd.DataFrame(table)
    runs_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: runs.to_parquet(tmp, index=False))
    return runs


def with_parameter_uncertainty(table: pd.DataFrame, runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Survival intervals widened by parameter uncertainty: per arm, the wider of the Wilson interval over all
    runs (`survival_chance_lo/hi`) and the 2.5-97.5% range of survival across posterior draws
    (`survival_draws_lo/hi`)."""
    table = table.copy()
    for name in ("survival_chance_lo", "survival_chance_hi", "survival_draws_lo", "survival_draws_hi"):
        table[name] = np.nan
    for i, row in table.iterrows():
        arm = _select(runs, by, tuple(row[c] for c in by))
        per_draw = arm.groupby("draw")["survived"].mean()
        lo, hi = float(per_draw.quantile(0.025)), float(per_draw.quantile(0.975))
        table.loc[i, ["survival_chance_lo", "survival_chance_hi"]] = [row["survival_lo"], row["survival_hi"]]
        table.loc[i, ["survival_draws_lo", "survival_draws_hi"]] = [lo, hi]
        table.loc[i, "survival_lo"] = min(row["survival_lo"], lo)
        table.loc[i, "survival_hi"] = max(row["survival_hi"], hi)
    return table


def command_line(command: str, scenario: str, replicates: int, strategies, digital: str | None, seed: int,
                 overrides: dict, posterior: str | None = None) -> str:
    """The `lcsim compare` / `lcsim report` command line that gives these numbers (the output folder aside)."""
    words = ["lcsim", command, "--scenario", scenario, "--replicates", str(replicates)]
    if list(strategies) != list(EXIT_STRATEGIES):
        words += ["--strategies", *strategies]
    if digital:
        words += ["--digital", digital]
    if seed != ROOT_SEED:
        words += ["--seed", str(seed)]
    for name, value in overrides.items():
        words += ["--set", f"{name}={_value_text(value)}"]
    if posterior:
        words += ["--posterior", str(posterior)]
    return shlex.join(words)


def _value_text(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    return repr(value) if isinstance(value, float) else str(value)


def _digital(digital) -> str | None:
    if digital is None or digital in DIGITAL:
        return digital
    if isinstance(digital, bool):
        return "on" if digital else "off"
    raise ParameterError(f"digital: {digital!r} is not allowed; expected one of {', '.join(DIGITAL)}, or None "
                         "(as the scenario sets it)")


def _strategies(strategies) -> list[str]:
    if strategies is None:
        return list(EXIT_STRATEGIES)
    if isinstance(strategies, str):
        strategies = [strategies]
    names = [SCHEMA["exit_strategy"].check(s) for s in strategies]
    if not names:
        raise ParameterError("strategies: an empty list is not allowed; expected at least one of "
                             + ", ".join(EXIT_STRATEGIES))
    return list(dict.fromkeys(names))


def _checked_params(scenario: str, overrides: dict) -> dict:
    """The scenario's parameters with `overrides`, every value checked (assumptions too); raises ParameterError."""
    from ..assumptions import PREFIX, Assumptions
    from ..parameters import check_params
    from ..scenarios import describe, scenario_params

    describe(scenario)  # an unknown scenario fails here, with the list of names
    Assumptions.of({k: v for k, v in overrides.items() if str(k).startswith(PREFIX)})
    return check_params({k: v for k, v in overrides.items() if not str(k).startswith(PREFIX)},
                        scenario_params(scenario))
