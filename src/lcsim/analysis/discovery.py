"""Scenario discovery: which regions of a sweep's inputs hold most of its collapses (or survivals)?

`discover(folder_or_runs)` fits PRIM (the patient rule induction method of Friedman and Fisher 1999,
as used for scenario discovery by Bryant and Lempert 2010) and a CART tree to the completed runs of
a sweep, through EMA Workbench's analysis module (`ema_workbench.analysis.prim` and `.cart`, which
wraps scikit-learn's decision tree), and returns a `Discovery`:

- the PRIM peeling trajectory: for each peeling step the box's coverage (share of all cases of
  interest that fall in the box), density (share of the runs in the box that are cases of interest),
  mass (share of all runs in the box) and the number of inputs it restricts;
- the chosen box and its limits per input, each restricted limit with its quasi-p-value (a
  one-sided binomial test of whether the box's density would fall if that limit were dropped;
  below 0.05 the limit matters), with its coverage and density;
- the CART tree's leaves as rules, and the tree as text;
- a plain-language sentence ("Communities collapse mostly when aspiration is at least 0.45 and
  meeting_interval is at least 4: 62% of collapses fall in that box, and 81% of runs in it collapse");
- `figures`: the peeling trade-off, the box's limits against each input's range, the CART tree.

Which box: PRIM peels a trajectory of ever smaller, denser boxes; the chosen box is the first on
the trajectory that maximises coverage x lift, where lift = (density - base rate) / (1 - base rate)
is how far the box raises the share of cases from the whole sweep's rate toward certainty (RULE).
It balances catching most cases against being sure inside the box, and unlike coverage x density
it never prefers the whole input space when the cases are common. `box=` picks a step instead.

The inputs default to the sweep's varied parameters (the manifest's `varied` key, else the columns
that vary); numbers are peeled as intervals, choices and switches (e.g. exit_strategy) as sets of
levels. Only completed runs count (`error` is null). With `target="collapse"` a case of interest
is a run whose outcome is False (for `survived`: the community dissolved), with "survival" one
whose outcome is True. When the runs' horizons lie at different distances from the exit,
`survived` means alive after the follow-up every run had, as in `lcsim analyze`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from .discovery_figures import FIGURES, TREE_DEPTH, draw_figures, number_text, p_text, words_for  # noqa: F401  (re-exported)

TARGETS = ("collapse", "survival")  # collapse: y = not outcome; survival: y = outcome
MASS_MIN = 0.05  # PRIM's smallest box and CART's smallest leaf, as shares of the runs
PEEL_ALPHA = 0.05  # share of the runs peeled off per PRIM step
MIN_RUNS = 50  # completed runs PRIM needs: a box of 5% then still holds a few runs
MIN_CASES = 5  # cases of interest (and other runs) PRIM needs
SIGNIFICANT = 0.05  # quasi-p-value below which a box limit is said to matter
RULE = ("the first box on the PRIM peeling trajectory that maximises coverage x lift, where lift = "
        "(density - base rate) / (1 - base rate)")
TABLES = ("discovery_box.csv", "discovery_trajectory.csv", "discovery_rules.csv")
MARKDOWN = "discovery.md"


@dataclass(eq=False)  # it holds DataFrames and figures: compared by identity
class Discovery:
    """What `discover` found: PRIM's trajectory and chosen box, CART's rules, the sentence, figures.

    `trajectory`: one row per peeling step (step, coverage, density, mass, restricted, runs, cases,
    score). `limits`: one row per input (restricted ones first, most significant first): the box's
    low/high (numbers) or levels (choices), the input's range over the sweep, the quasi-p-values of
    each restricted limit, a reading ("at least 0.7") and the parameter's meaning. `rules`: CART's
    leaves (rule, runs, cases, coverage, density, predicts). `figures`: file name -> matplotlib figure.
    """

    outcome: str
    target: str
    inputs: list[str]
    categorical: list[str]
    runs: int
    cases: int
    base_rate: float
    trajectory: pd.DataFrame = field(repr=False)
    chosen: int
    limits: pd.DataFrame = field(repr=False)
    coverage: float
    density: float
    mass: float
    rules: pd.DataFrame = field(repr=False)
    tree: str = field(repr=False)
    sentence: str
    rule: str = field(default=RULE, repr=False)
    note: str = field(default="", repr=False)
    figures: dict = field(default_factory=dict, repr=False)
    out: Path | None = None
    written: list[str] = field(default_factory=list)

    @property
    def restricted(self) -> list[str]:
        """The inputs the chosen box restricts, most significant first."""
        return self.limits.loc[self.limits["restricted"], "input"].tolist()

    @property
    def tables(self) -> dict:
        """File name -> DataFrame: the box's limits, the peeling trajectory and CART's rules."""
        return dict(zip(TABLES, (self.limits, self.trajectory, self.rules)))

    def box_table(self) -> str:
        """The chosen box's restricted limits as a Markdown table (input, box, sweep range, quasi-p, meaning)."""
        rows = self.limits[self.limits["restricted"]]
        if rows.empty:
            return "The chosen box restricts no input."
        lines = ["| input | in the box | over the sweep | quasi-p | meaning |", "|---|---|---|---|---|"]
        for r in rows.itertuples():
            qp = min(q for q in (r.qp_low, r.qp_high) if not pd.isna(q)) if not (
                pd.isna(r.qp_low) and pd.isna(r.qp_high)) else math.nan
            lines.append(f"| {r.input} | {r.reading} | {r.sweep_range} | {p_text(qp)} | {r.meaning} |")
        return "\n".join(lines)

    def to_markdown(self, level: int = 1, figures: bool = True) -> str:
        """The discovery in words: the sentence, the box, how it was chosen, CART's rules, the figures."""
        h = "#" * level
        case = words_for(self.outcome, self.target)
        lines = [f"{h} Scenario discovery: where do {case['subject']}?", "", self.sentence, ""]
        if self.note:
            lines += [self.note, ""]
        step = self.trajectory.iloc[self.chosen]
        lines += [
            f"PRIM (EMA Workbench) on {self.runs} completed runs, {self.cases} of them {case['cases']} "
            f"({self.base_rate:.0%}). The box is step {self.chosen} of {len(self.trajectory) - 1} on the peeling "
            f"trajectory: {self.rule}. It holds {step['runs']:.0f} runs ({self.mass:.0%} of all), "
            f"{self.coverage:.0%} of the {case['cases']} (coverage) and {self.density:.0%} of the runs in it "
            f"are {case['cases']} (density).", "",
            self.box_table(), "",
            "Quasi-p-values (Bryant and Lempert 2010): a one-sided binomial test of whether the box's density would "
            f"fall if that limit were dropped; below {SIGNIFICANT:g} the limit matters. Inputs searched: "
            + ", ".join(self.inputs) + ".", "",
        ]
        shown = self.rules[self.rules["predicts"]]
        if shown.empty:
            shown = self.rules.head(3)
            intro = f"No leaf of the CART tree has a majority of {case['cases']}; the three densest:"
        else:
            intro = f"CART (a decision tree, leaves of at least {MASS_MIN:.0%} of the runs): the leaves where most runs are {case['cases']}:"  # noqa: E501
        lines += [intro, ""]
        lines += [f"- {r.rule}: {r.runs} runs, {r.coverage:.0%} of the {case['cases']}, {r.density:.0%} of them "
                  f"{case['verb_past']}" for r in shown.itertuples()]
        lines.append("")
        if figures and self.figures:
            lines += [f"![{name.removesuffix('.png')}]({name})" for name in self.figures] + [""]
        return "\n".join(lines)

    def write(self, out: str | Path) -> list[str]:
        """Write the tables (CSV), figures (PNG) and discovery.md into `out`; each file whole or absent."""
        from ..experiments.store import atomic_write
        from ..output import usable_folder

        folder = usable_folder(out)
        written = []
        for name, table in self.tables.items():
            atomic_write(folder / name, lambda path, table=table: table.to_csv(path, index=False, float_format="%.6g"))
            written.append(name)
        for name, fig in self.figures.items():
            atomic_write(folder / name, lambda path, fig=fig: fig.savefig(path, dpi=110, format="png"))
            written.append(name)
        text = self.to_markdown()
        atomic_write(folder / MARKDOWN, lambda path: Path(path).write_text(text, encoding="utf-8"))
        written.append(MARKDOWN)
        self.out, self.written = Path(folder), written
        return written

    def _repr_markdown_(self) -> str:
        return self.to_markdown(figures=False)


def discover(runs_or_folder, outcome: str = "survived", target: str = "collapse", inputs: list[str] | None = None,
             *, box: int | None = None, mass_min: float = MASS_MIN, peel_alpha: float = PEEL_ALPHA,
             manifest: dict | None = None, draw: bool = True, seed: int = 0) -> Discovery:
    """PRIM and CART on a sweep's completed runs: where do the runs of `target` concentrate?

    `runs_or_folder`: a sweep's results folder or its run table (`lcsim.load_results`). `outcome`: a
    yes/no outcome column (default `survived`). `target`: "collapse" (cases are runs whose outcome
    is False) or "survival" (True). `inputs`: the columns to search (default: the sweep's varied
    parameters). `box`: a step of the peeling trajectory instead of the rule's choice. `manifest`:
    the sweep's manifest when a run table is given (for its varied parameters). `draw=False` skips
    the figures. `seed`: the CART tree's `random_state` (it breaks ties between equally good splits;
    PRIM draws nothing), so the same runs give the same rules. Raises a one-line `UsageError` when there
    is nothing to search or too little to go on.
    """
    from .results import load_sweep, varied_of
    from .survival import alive_after, common_follow_up, completed

    if target not in TARGETS:
        raise UsageError(f"target {target!r}: expected one of {', '.join(TARGETS)}")
    note = ""
    if isinstance(runs_or_folder, pd.DataFrame):
        runs = runs_or_folder
    else:
        runs, manifest = load_sweep(Path(runs_or_folder))
    done = completed(runs)
    if done.empty:
        raise UsageError("the sweep has no completed runs (every run failed or none ran yet)")
    if outcome not in done.columns:
        raise UsageError(f"outcome {outcome!r} is not a column of the runs; yes/no outcomes here: "
                         + ", ".join(_yes_no(done)))
    if outcome == "survived" and {"months", "exit_month", "months_alive_after_exit"} <= set(done.columns):
        shortest, longest = common_follow_up(done)
        if longest > shortest:
            done = done.assign(survived=alive_after(done, shortest))
            note = (f"Runs were followed for {shortest:g} to {longest:g} months after the convener's exit; "
                    f"survival here means alive {shortest:g} months after the exit, as in `lcsim analyze`.")
    values = _yes_no_values(done[outcome], outcome, done)
    if inputs is None:
        names = varied_of(manifest or {}, done)
        inputs = [_column(n, done) for n in names]
        inputs = [n for n in inputs if n is not None and done[n].nunique() > 1]
    else:
        missing = [n for n in inputs if _column(n, done) is None]
        if missing:
            raise UsageError(f"input {missing[0]!r} is not a column of the runs")
        inputs = [_column(n, done) for n in inputs]
        inputs = [n for n in inputs if done[n].nunique() > 1]
    if not inputs:
        raise UsageError("the sweep varies no inputs: scenario discovery needs a sweep that varies at least one "
                         "parameter (an lhs, sobol, morris or grid design)")
    words = words_for(outcome, target)
    y = (~values if target == "collapse" else values).to_numpy(dtype=bool)
    n, cases = len(y), int(y.sum())
    if cases == 0 or cases == n:
        raise UsageError(f"outcome {outcome!r} is the same in every one of the {n} completed runs "
                         f"({'no' if cases == 0 else 'all'} {words['cases']}): there is nothing to discover")
    if n < MIN_RUNS:
        raise UsageError(f"scenario discovery needs at least {MIN_RUNS} completed runs; this sweep has {n}")
    if min(cases, n - cases) < MIN_CASES:
        raise UsageError(f"only {min(cases, n - cases)} of the {n} runs are "
                         f"{words['cases'] if cases < n - cases else 'not ' + words['cases']}: "
                         f"scenario discovery needs at least {MIN_CASES} of each")
    x, categorical = _design_matrix(done, inputs)
    prim, cart = _ema()
    with _quiet():
        finder = prim.Prim(x, y, mass_min=mass_min, peel_alpha=peel_alpha)
        found = finder.find_box()
        tree = cart.CART(x, y, mass_min=mass_min)
        _build_tree(tree, seed)
        leaves = tree.boxes
    base = cases / n
    trajectory = _trajectory(found.peeling_trajectory, base)
    if box is None:
        chosen = int(trajectory["score"].to_numpy().argmax())  # argmax: the first maximum
    else:
        if not 0 <= box < len(trajectory):
            raise UsageError(f"box {box}: the peeling trajectory has steps 0 to {len(trajectory) - 1}")
        chosen = int(box)
    init = found.box_lims[0]
    limits = _limits(found.box_lims[chosen], init, found.p_values[chosen], x, done, inputs, categorical)
    row = trajectory.iloc[chosen]
    rules = _rules(leaves, init, x, y, done, categorical)
    discovery = Discovery(
        outcome=outcome, target=target, inputs=inputs, categorical=categorical, runs=n, cases=cases, base_rate=base,
        trajectory=trajectory, chosen=chosen, limits=limits, coverage=float(row["coverage"]),
        density=float(row["density"]), mass=float(row["mass"]), rules=rules,
        tree=_tree_text(tree), sentence="", note=note)
    discovery.sentence = sentence(discovery)
    if draw:
        discovery.figures = draw_figures(discovery, tree)
    return discovery


# -- inputs and outcome ---------------------------------------------------------------------------
def _column(name: str, runs: pd.DataFrame) -> str | None:
    """The run table's column for a varied name (an assumption may be stored as assumptions.NAME)."""
    for candidate in (name, f"assumptions.{name}"):
        if candidate in runs.columns:
            return candidate
    return None


def _yes_no(runs: pd.DataFrame) -> list[str]:
    return [c for c in runs.columns if pd.api.types.is_bool_dtype(runs[c])] or ["(none)"]


def _yes_no_values(column: pd.Series, outcome: str, runs: pd.DataFrame) -> pd.Series:
    """The outcome as a plain bool Series; a one-line UsageError if it is not a yes/no outcome."""
    if column.isna().any():
        raise UsageError(f"outcome {outcome!r} is missing in {int(column.isna().sum())} completed runs")
    if pd.api.types.is_bool_dtype(column):
        return column.astype(bool)
    if pd.api.types.is_numeric_dtype(column) and set(column.unique()) <= {0, 1}:
        return column.astype(bool)
    raise UsageError(f"outcome {outcome!r} is not a yes/no outcome; choose one of: " + ", ".join(_yes_no(runs)))


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _design_matrix(runs: pd.DataFrame, inputs: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The inputs as PRIM reads them: numbers as float64, choices and switches as categories of text.

    (Whole numbers go in as floats: EMA Workbench 3.0 pastes half-way values into an integer column,
    which pandas 3 refuses; the readings round the limits back to whole numbers.)
    """
    columns, categorical = {}, []
    for name in inputs:
        column = runs[name].reset_index(drop=True)
        if _is_number(column):
            columns[name] = column.astype("float64")
        else:
            columns[name] = column.astype(str).astype("category")
            categorical.append(name)
    return pd.DataFrame(columns), categorical


# -- PRIM's trajectory and box --------------------------------------------------------------------
def _trajectory(peeling: pd.DataFrame, base: float) -> pd.DataFrame:
    t = pd.DataFrame({
        "step": peeling["id"].astype(int).to_numpy(),
        "coverage": peeling["coverage"].astype(float).to_numpy(),
        "density": peeling["density"].astype(float).to_numpy(),
        "mass": peeling["mass"].astype(float).to_numpy(),
        "restricted": peeling["res_dim"].astype(int).to_numpy(),
        "runs": peeling["n"].astype(int).to_numpy(),
        "cases": peeling["k"].astype(int).to_numpy(),
    })
    t["score"] = t["coverage"] * (t["density"] - base) / (1 - base)
    return t


def _limits(box_lim: pd.DataFrame, init: pd.DataFrame, p_values: dict, x: pd.DataFrame, runs: pd.DataFrame,
            inputs: list[str], categorical: list[str]) -> pd.DataFrame:
    """One row per input: the box's limits against the sweep's range, quasi-p-values, a reading."""
    from ..parameters import SCHEMA

    rows = []
    for name in inputs:
        qp = [math.nan if v is None or v < 0 else float(v) for v in p_values.get(name, [-1, -1])]
        meaning = SCHEMA[name].meaning if name in SCHEMA else ""
        if name in categorical:
            kept, every = set(box_lim[name].iloc[0]), set(init[name].iloc[0])
            kept_s, every_s = _levels(kept, runs[name]), _levels(every, runs[name])
            restricted = kept != every
            reading = " or ".join(kept_s) if restricted else "any"
            rows.append(dict(input=name, kind="choice", restricted=restricted, low=math.nan, high=math.nan,
                             levels=", ".join(kept_s), sweep_low=math.nan, sweep_high=math.nan,
                             sweep_range=", ".join(every_s), qp_low=qp[0], qp_high=math.nan,
                             reading=reading, meaning=meaning))
            continue
        whole = pd.api.types.is_integer_dtype(runs[name])
        lo, hi = float(box_lim[name].iloc[0]), float(box_lim[name].iloc[1])
        lo0, hi0 = float(init[name].iloc[0]), float(init[name].iloc[1])
        if whole:  # PRIM may cut half-way between whole numbers: the box holds the whole numbers inside
            lo, hi = float(math.ceil(lo - 1e-9)), float(math.floor(hi + 1e-9))
        cut_lo, cut_hi = lo > lo0, hi < hi0
        if cut_lo and cut_hi:
            reading = f"between {number_text(lo, whole)} and {number_text(hi, whole)}"
        elif cut_lo:
            reading = f"at least {number_text(lo, whole)}"
        elif cut_hi:
            reading = f"at most {number_text(hi, whole)}"
        else:
            reading = "any"
        rows.append(dict(input=name, kind="integer" if whole else "number", restricted=cut_lo or cut_hi,
                         low=lo, high=hi, levels="", sweep_low=lo0, sweep_high=hi0,
                         sweep_range=f"{number_text(lo0, whole)} to {number_text(hi0, whole)}",
                         qp_low=qp[0] if cut_lo else math.nan, qp_high=qp[1] if cut_hi else math.nan,
                         reading=reading, meaning=meaning))
    table = pd.DataFrame(rows)
    table["qp"] = table[["qp_low", "qp_high"]].min(axis=1)  # the more significant of its limits
    table = table.sort_values(["restricted", "qp"], ascending=[False, True], na_position="last", kind="stable")
    return table.drop(columns="qp").reset_index(drop=True)


def _levels(levels: set, column: pd.Series) -> list[str]:
    """Levels in the order the column's values sort (strategies in their own order when known)."""
    from ..strategies import rank

    def key(level):
        return (rank(level), level) if column.name == "exit_strategy" else (0, level)

    try:
        return sorted((str(v) for v in levels), key=key)
    except TypeError:
        return sorted(str(v) for v in levels)


def sentence(d: Discovery) -> str:
    """The discovery in one sentence a non-modeller can read."""
    words = words_for(d.outcome, d.target)
    rows = d.limits[d.limits["restricted"]]
    if rows.empty:
        return (f"No region of the inputs stands out: the {words['cases']} are spread over the whole sweep "
                f"({d.base_rate:.0%} of the {d.runs} runs).")
    strong = (rows[["qp_low", "qp_high"]].min(axis=1) < SIGNIFICANT).to_numpy().copy()
    if not strong.any():
        strong[:] = True  # no limit passes the test: say them all

    def said_of(part: pd.DataFrame) -> list[str]:
        return [f"{r.input.removeprefix('assumptions.')} is {r.reading}" for r in part.itertuples()]

    conditions, weaker = said_of(rows[strong].head(3)), said_of(rows[~strong].head(2))
    said = _and(conditions) + (f" (and, less surely, {_and(weaker)})" if weaker else "")
    return (f"{words['Subject']} mostly when {said}: {d.coverage:.0%} of {words['cases']} fall in that box, "
            f"and {d.density:.0%} of runs in it {words['verb']} (against {d.base_rate:.0%} over the whole sweep).")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- CART -----------------------------------------------------------------------------------------
def _rules(leaves: list, init: pd.DataFrame, x: pd.DataFrame, y: np.ndarray, runs: pd.DataFrame,
           categorical: list[str]) -> pd.DataFrame:
    """CART's leaves as rules ("aspiration above 0.45 and meeting_interval at least 4"), densest first."""
    rows = []
    total = max(int(y.sum()), 1)
    for leaf in leaves:
        inside = np.ones(len(x), dtype=bool)
        parts = []
        for name in x.columns:
            if name in categorical:
                kept, every = set(leaf[name].iloc[0]), set(init[name].iloc[0])
                if kept != every:
                    parts.append(f"{name} is " + " or ".join(_levels(kept, runs[name])))
                    inside &= x[name].astype(str).isin(kept).to_numpy()
                continue
            lo, hi = float(leaf[name].iloc[0]), float(leaf[name].iloc[1])
            lo0, hi0 = float(init[name].iloc[0]), float(init[name].iloc[1])
            values = x[name].to_numpy()
            # CART splits half-way between values: a leaf's lower limit is exclusive of the split, its upper inclusive
            if lo > lo0:
                parts.append(f"{name} > {number_text(lo, False)}")
                inside &= values > lo
            if hi < hi0:
                parts.append(f"{name} <= {number_text(hi, False)}")
                inside &= values <= hi
        runs_in = int(inside.sum())
        cases_in = int(y[inside].sum())
        rows.append(dict(rule=" and ".join(parts) or "every run", runs=runs_in, cases=cases_in,
                         coverage=cases_in / total, density=cases_in / runs_in if runs_in else math.nan))
    table = pd.DataFrame(rows, columns=["rule", "runs", "cases", "coverage", "density"])
    table["predicts"] = table["density"] >= 0.5
    return table.sort_values(["density", "coverage"], ascending=False, kind="stable").reset_index(drop=True)


def _build_tree(tree, seed: int) -> None:
    """`CART.build_tree` with a fixed `random_state`: EMA Workbench leaves it unset, and scikit-learn then
    breaks ties between equally good splits by chance, so the rules changed from run to run."""
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    from sklearn import tree as sk

    model = sk.DecisionTreeRegressor if tree.mode == RuleInductionType.REGRESSION else sk.DecisionTreeClassifier
    tree.clf = model(min_samples_leaf=int(tree.mass_min * tree.x.shape[0]), random_state=seed)
    tree.clf.fit(tree._x, tree.y)


def _tree_text(tree) -> str:
    from sklearn.tree import export_text

    return export_text(tree.clf, feature_names=[str(f) for f in tree.feature_names], max_depth=TREE_DEPTH + 2)


# -- EMA Workbench, quietly -----------------------------------------------------------------------
def _ema():
    """EMA Workbench's prim and cart modules; a one-line UsageError if it is not installed."""
    try:
        with _quiet():
            from ema_workbench.analysis import cart, prim
    except ImportError:
        raise UsageError("scenario discovery needs EMA Workbench: pip install 'lcsim[discover]' "
                         "(or pip install ema-workbench==3.0.0)") from None
    return prim, cart


@contextlib.contextmanager
def _quiet():
    """Silence EMA Workbench's log lines and library warnings (ipyparallel missing, pandas futures)."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
