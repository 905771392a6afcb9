"""`lcsim.compare`: run the exit strategies side by side on one scenario, and everything shown of it.

`compare(...)` runs the comparison (through the sweep engine, or with posterior draws through the one
executor) and returns a `Comparison`, which holds everything `lcsim compare` and `lcsim report` print
and write:

    c = lcsim.compare("fragile", replicates=100, digital="both", overrides={"control": 0.3})
    c.table; c.reading(); c.figures["survival_curves.png"]; c.write("out/fragile"); c.to_html()

The table and its words are `lcsim.analysis.comparison` (which only reads runs).
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import dataclass, field
from functools import cached_property
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.comparison import (  # noqa: F401  (the table's names, re-exported for `lcsim.studies.compare`)
    COMPARED,
    REFERENCE,
    comparison_table,
    format_table,
    groups_of,
    mean_interval,
    plain_reading,
    readable,
    with_parameter_uncertainty,
)
from ..analysis.survival import completed
from ..errors import ParameterError, UsageError
from ..parameters import SCHEMA
from ..strategies import EXIT_STRATEGIES

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
    posterior: str | None = None  # the posterior folder given (--posterior), if one was
    draws: int = 0  # distinct draws of the uncertain values (worlds); replicate r runs in world r % draws
    uncertainty: str = ""  # where the intervals come from, in one sentence (`studies.uncertainty`)
    fixed_values: bool | None = None  # as asked: True fixed, False drawn, None the default

    @property
    def uncertainty_note(self) -> str:
        """Where the intervals come from: the sentence, and with draws how the survival intervals combine them."""
        if not self.draws:
            return self.uncertainty
        return (f"{self.uncertainty} Replicate k ran in world k mod {self.draws} (the same world and seed for "
                "replicate k in every strategy); each survival interval is the wider of the 95% Wilson interval over "
                "all runs and the 2.5-97.5% range of survival across the worlds. The other intervals (differences, "
                "medians, outcomes) are chance only, over the pooled runs.")

    def heading(self) -> str:
        """One line: the scenario, what every run shared, and how many runs there were."""
        p = self.params
        digital = {"both": "with and without the digital channel", "on": "with the digital channel",
                   "off": "without the digital channel", None: "digital channel " + (
                       "on" if p["digital_channel"] else "off")}[self.digital]
        assumed = {k: v for k, v in self.overrides.items() if str(k).startswith("assumptions.")}
        if assumed:
            digital += "; " + ", ".join(f"{k}={_value_text(v)}" for k, v in assumed.items())
        text = (f"scenario {self.scenario}: {p['n_members']} members, convener gone at month {p['exit_month']}, "
                f"survival read {p['months'] - p['exit_month']} months later (month {p['months']}), "
                f"control {p['control']:g}, {digital}; "
                f"{self.replicates} communities per strategy ({len(self.runs)} runs")
        if self.failed:
            text += f", {self.failed} failed and left out"
        text += ")"
        return text + ("\n" + self.uncertainty_note if self.uncertainty_note else "")

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
        from ..analysis import figures

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
                            self.overrides, self.posterior, self.fixed_values)

    def to_html(self, command: str | None = None, date: str | None = None, advice=None) -> str:
        """The self-contained HTML report (figures inline, no network): what `lcsim report` writes.

        With `advice` (an `lcsim.Advice` for the same scenario), the report adds the advisor's section:
        the recommended plan, the trade-off with convener effort and the conditions under which it fails.
        """
        from .. import __version__
        from ..analysis.report import CAPTIONS, build_report
        from ..scenarios import describe

        meta = {"version": __version__, "replicates": self.replicates, "root_seed": self.seed,
                "runs": len(self.runs), "failed": self.failed, "common_seeds": True,
                "command": command if command is not None else self.command("report")}
        if date:
            meta["date"] = date
        meta["uncertainty_note"] = self.uncertainty_note  # the report's method list says where intervals come from
        meta["draws"] = self.draws
        return build_report(table=self.table, params=self.params, scenario=describe(self.scenario),
                            figures={CAPTIONS[name]: fig for name, fig in self.figures.items()},
                            overrides=self.overrides, meta=meta,
                            advice_html=advice.to_html(heading=False) if advice is not None else None,
                            advice=advice.facts() if advice is not None else None)

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
            seed: int = ROOT_SEED, progress: bool = True, posterior=None, seeds_per_draw: int = 10,
            follow_up: int | None = None, fixed_values: bool | None = None) -> Comparison:
    """Compare exit strategies on a scenario: run (or resume) the sweep, and return its `Comparison`.

    The runs go through the sweep engine as a grid over `exit_strategy` (and `digital_channel`:
    "off", "on" or "both" side by side; None keeps the scenario's setting) with common seeds:
    replicate k of every strategy starts from the same random state, so the strategies meet the
    same luck. `strategies`: names (default: all four); `overrides`: parameter values (and
    `"assumptions.NAME"` values) every run shares. The runs are kept in `out`/runs/<key>, one
    folder per distinct comparison (default `out`: out/compare-SCENARIO), so the same call again
    resumes instead of rerunning. Nothing is written besides the runs: call `.write()`.

    What is uncertain is `lcsim.studies.uncertainty` (the same for compare, report, advise and the app):
    by default (`fixed_values=None`) each world draws the uncertain values from the shipped posterior
    (`lcsim.posterior()`), or from `posterior` (a folder `lcsim calibrate` wrote, or a `Posterior`), with
    the values it leaves free over their plausible ranges; when no posterior is fitted for these rules
    the default is fixed values (replicate noise only: drawing all of them over their ranges blurs every
    strategy alike, docs/advise.md); `fixed_values=False` draws over the ranges then, `True` never draws.
    A value in `overrides` (or set by a scenario file) is never drawn. With draws: `replicates //
    seeds_per_draw` worlds (seeded from `SeedSequence([seed, STREAM])`), replicate k in world
    k % worlds in every strategy (as in `advise`, common across arms like its seed); the survival
    intervals then include parameter uncertainty, and the runs are kept as one Parquet file per distinct
    comparison, reused when the same call comes again. `Comparison.uncertainty` says which in one sentence.

    `follow_up`: survival is read this many months after the exit, as in `advise` (`lcsim.studies.fair`; default
    `FOLLOW_UP`, 36, or what a `months` override implies): every run lasts exit_month + follow_up months.

    Everything is checked before any run: an unknown scenario, parameter or strategy raises
    `ParameterError`; an unusable `out` raises `OutputError`.
    """
    import lcsim

    from ..output import usable_folder

    fixed = dict(overrides or {})
    digital = _digital(digital)
    params = _checked_params(scenario, fixed)
    from .fair import horizon, resolved_follow_up

    months = horizon(params, resolved_follow_up(follow_up, fixed, params))
    if months != params["months"]:  # only then: the same comparison as before keeps its runs folder
        fixed["months"] = params["months"] = months
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
    from ..scenarios import describe, is_file
    from ..scenarios import label as short

    runs_on, run_fixed = scenario, fixed
    if is_file(scenario):  # a designer's file: its values travel in [fixed], so an edited file is a new sweep
        run_fixed = {**{k: v for k, v in describe(scenario)["params"].items() if k not in vary}, **fixed}
        runs_on = "default"
    experiment = {
        "name": f"compare-{short(scenario)}",
        "description": f"lcsim compare: exit strategies {', '.join(strategies)} on scenario {scenario}",
        "scenario": runs_on, "fixed": run_fixed, "vary": vary, "design": "grid",
        "replicates": replicates, "root_seed": seed, "common_seeds": True,
    }
    folder = usable_folder(out if out is not None else f"out/compare-{short(scenario)}")
    from .uncertainty import uncertainty

    if isinstance(seeds_per_draw, bool) or not isinstance(seeds_per_draw, int) or seeds_per_draw < 1:
        raise ParameterError(f"seeds_per_draw: {seeds_per_draw!r} is not allowed; expected a whole number of at "
                             "least 1")
    unc = uncertainty(scenario, fixed, fixed_values, posterior, exclude=tuple(vary))
    drawn = None
    if unc.drawn:  # only then: a comparison with fixed values keeps its runs folder (and its numbers)
        drawn = unc.draws(max(1, replicates // seeds_per_draw), seed)
        experiment["uncertainty"] = {**unc.identity(), "draws": len(drawn), "values": drawn.to_dict("list")}
    # One runs folder per distinct comparison, so changing replicates or overrides never collides
    # with (or silently reuses) an earlier sweep, and the same call again resumes it.
    key = hashlib.sha256(json.dumps(experiment, sort_keys=True, default=str).encode()).hexdigest()[:10]
    runs_dir = folder / "runs" / key
    if drawn is None:
        runs = lcsim.sweep(experiment, runs_dir, workers=workers, progress=progress)
    else:
        runs = run_with_draws(experiment, drawn, runs_dir, workers)
    done = completed(runs)
    if done.empty:
        raise UsageError(f"every run failed (first error: {runs['error'].dropna().iloc[0]}); see {runs_dir}")
    if params.get("exit_trigger", "none") != "none":  # read follow_up months after the month it actually left
        follow = params["months"] - params["exit_month"]  # (the runs last to the backstop + follow-up: studies.fair)
        done = done.assign(survived=done["survived"].astype(bool) | (done["months_alive_after_exit"] > follow))
    by = groups_of(done) if digital == "both" else ["exit_strategy"]
    table = comparison_table(done, by=by)
    if drawn is not None:
        table = with_parameter_uncertainty(table, done, by)
    return Comparison(table=table, runs=runs, completed=done, failed=len(runs) - len(done),
                      params=params, experiment=experiment, by=by, horizon=params["months"] - params["exit_month"],
                      runs_dir=runs_dir, scenario=scenario, replicates=replicates, strategies=tuple(strategies),
                      digital=digital, seed=seed, overrides=fixed, out=folder,
                      posterior=None if posterior is None else str(posterior), draws=0 if drawn is None else len(drawn),
                      uncertainty=unc.sentence(), fixed_values=fixed_values)



def run_with_draws(experiment: dict, drawn: pd.DataFrame, runs_dir: Path, workers: int | None) -> pd.DataFrame:
    """Every arm x replicate, replicate k with the seed it has in the sweep (common seeds) and world
    k % len(drawn) (as `advise`), through the one executor (`lcsim.experiments.executor`). The runs are
    kept in `runs_dir`/runs.parquet, reused when present."""
    import functools
    import itertools

    from ..experiments.design import run_seed
    from ..experiments.executor import Executor
    from ..experiments.store import atomic_write
    from ..experiments.worker import simulate_summary

    path = runs_dir / "runs.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    vary = experiment["vary"]
    arms = [dict(zip(vary, values)) for values in itertools.product(*vary.values())]
    values = drawn.to_dict("records")
    tasks, rows = [], {}
    for point, arm in enumerate(arms):
        for r in range(experiment["replicates"]):
            draw = r % len(values)
            rid = f"p{point:04d}-r{r:04d}"
            s = run_seed(experiment["root_seed"], point, r, common=True)
            tasks.append((rid, (s, {**arm, **values[draw]})))
            rows[rid] = {"run_id": rid, "point": point, "replicate": r, "seed": s, "draw": draw, **arm, **values[draw]}
    fn = functools.partial(simulate_summary, experiment["scenario"], experiment["fixed"])
    found = {}
    with Executor(workers) as executor:
        for done in executor.run(fn, tasks, chunk_size=16):
            found.update((rid, (summary, error)) for rid, summary, error in done)
    runs = pd.DataFrame([{**rows[rid], **(found[rid][0] or {}), "error": found[rid][1]} for rid, _ in tasks])
    runs_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: runs.to_parquet(tmp, index=False))
    return runs


def command_line(command: str, scenario: str, replicates: int, strategies, digital: str | None, seed: int,
                 overrides: dict, posterior: str | None = None, fixed_values: bool | None = None) -> str:
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
    if fixed_values is not None:
        words += ["--fixed-values" if fixed_values else "--drawn-values"]
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
