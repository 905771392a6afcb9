"""Running a validation experiment: its file, fresh through the sweep engine, and its arms.

The experiment files ship with the package (`experiments/*.toml` beside this module, package data), so
validation runs from an installed package. Every run goes through `lcsim.sweep` into `<out>/<experiment>/`,
which is cleared first: results
always come from the model as it is now, never from an older sweep. Arms are paired on seeds
(`common_seeds = true`): replicate r starts from the same community in every arm.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError

EXPERIMENTS = Path(__file__).resolve().parent / "experiments"  # package data: the validation's experiment files
DEFAULT_OUT = Path("out") / "validation"


def home() -> Path:
    """Where outputs and pages go by default, looked up when asked: the source checkout this package runs from
    (pyproject.toml and docs/ beside src/), else the current folder (an installed package)."""
    tree = Path(__file__).resolve().parents[3]
    return tree if (tree / "pyproject.toml").is_file() and (tree / "docs").is_dir() else Path.cwd()


def default_doc() -> Path:
    return home() / "docs" / "validation.md"


@dataclass
class Context:
    """Where and how a validation runs: worker processes, the sweeps' folder, the figures' folder."""

    workers: int = 2
    out: Path = field(default_factory=lambda: home() / DEFAULT_OUT)
    img: Path = field(default_factory=lambda: home() / "docs" / "img")
    replicates: int | None = None  # override every file's replicates (quick looks only)
    experiments: Path = field(default_factory=lambda: EXPERIMENTS)
    progress: bool = False
    knockouts: bool = True  # also run each pattern's knock-out control

    def __post_init__(self) -> None:
        self.out, self.img, self.experiments = Path(self.out), Path(self.img), Path(self.experiments)


def experiment(name: str, ctx: Context) -> dict:
    """The experiment file `name` (under ctx.experiments) as a checked dict, replicates overridden if asked."""
    from ..experiments.experiment import load_experiment

    path = ctx.experiments / f"{name}.toml"
    if not path.is_file():
        raise UsageError(f"validation experiment '{name}' not found in {ctx.experiments}; expected one of "
                         f"{', '.join(sorted(p.stem for p in Path(ctx.experiments).glob('*.toml'))) or 'none'}")
    data = load_experiment(path).to_dict()
    if ctx.replicates:
        data["replicates"] = ctx.replicates
    load_experiment(data)  # check the override too
    return data


def run(name: str, ctx: Context, monthly: bool = False) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run one validation experiment afresh through `lcsim.sweep`; return its runs (and monthly table)."""
    return _fresh(experiment(name, ctx), ctx, monthly)


def _fresh(exp: dict, ctx: Context, monthly: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Sweep `exp` into a fresh `<out>/<its name>/`; any failed run is an error (a pattern needs all of them)."""
    import lcsim

    folder = ctx.out / exp["name"]
    shutil.rmtree(folder, ignore_errors=True)
    runs = lcsim.sweep(exp, folder, workers=ctx.workers, monthly=monthly, progress=ctx.progress)
    failed = runs["error"].notna().sum()
    if failed:
        raise RuntimeError(f"{exp['name']}: {failed} runs failed, e.g. {runs['error'].dropna().iloc[0]}")
    return runs, (lcsim.load_results(folder, monthly=True) if monthly else None)


def run_knockout(name: str, ctx: Context, settings: dict, vary: dict | None = None,
                 monthly: bool = False) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Experiment `name` with its mechanism switched off: `settings` added to its [fixed] (and its [vary]
    replaced by `vary` when given, to run only the arms the criterion compares), run afresh into
    `<out>/<name>-knockout/`."""
    exp = experiment(name, ctx)
    exp["name"] = f"{name}-knockout"
    exp["description"] = f"Knock-out control of {name}: {settings}"
    exp["fixed"] = {**exp.get("fixed", {}), **settings}
    if vary is not None:
        exp["vary"] = dict(vary)
    return _fresh(exp, ctx, monthly)


def arm(runs: pd.DataFrame, outcome: str = "survived", **where) -> pd.Series:
    """One arm's outcome per replicate: the runs whose columns equal `where`, indexed by replicate."""
    mask = np.ones(len(runs), bool)
    for name, value in where.items():
        mask &= (runs[name] == value).to_numpy()
    return runs.loc[mask].set_index("replicate")[outcome].astype(float)


def alive_after_exit(runs: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Share of runs still alive t months after the exit, t = 0..horizon."""
    m, c = runs["months_alive_after_exit"].to_numpy(), runs["censored"].astype(bool).to_numpy()
    return pd.DataFrame({"months after exit": np.arange(horizon + 1),
                         "share alive": [((m > t) | c).mean() for t in range(horizon + 1)]})
