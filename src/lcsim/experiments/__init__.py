"""Experiments at scale: experiment files, designs, sweeps on all cores or a Dask cluster, Parquet results.

    lcsim.sweep("experiments/exit-timing-by-style.toml", workers=2)   # or `lcsim sweep FILE`
    lcsim.experiments.plan("experiments/exit-timing-by-style.toml").describe()   # `--dry-run`
    lcsim.experiments.check_folder("out/sweeps/exit-timing-by-style").describe()  # `--check DIR`
    lcsim.load_results("out/sweeps/exit-timing-by-style")

The experiment file format, seeds, resume and the output layout are in docs/sweeps.md.
"""

from .design import (
                     DESIGN_CLASSES,
                     Design,
                     DesignKind,
                     GridDesign,
                     LhsDesign,
                     MorrisDesign,
                     SobolDesign,
                     build_design,
                     design_class,
                     run_id,
                     run_seed,
)
from .executor import Executor, ExecutorError, execute
from .experiment import Experiment, ExperimentError, load_experiment, parse_settings
from .runner import TIME_LIMIT, SweepPlan, plan, sweep
from .store import FolderCheck, SweepError, SweepWarning, check_folder, load_results, read_manifest

__all__ = ["DESIGN_CLASSES", "Design", "DesignKind", "Executor", "ExecutorError", "Experiment", "ExperimentError",
           "FolderCheck", "GridDesign", "LhsDesign", "MorrisDesign", "SobolDesign", "SweepError", "SweepPlan",
           "SweepWarning", "TIME_LIMIT", "build_design", "check_folder", "design_class", "execute", "load_experiment",
           "load_results", "parse_settings", "plan", "read_manifest", "run_id", "run_seed", "sweep"]
