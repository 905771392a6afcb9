"""Experiments at scale: experiment files, designs, sweeps on all cores or a Dask cluster, Parquet results.

    lcsim.sweep("experiments/exit-timing-by-style.toml", workers=2)   # or `lcsim sweep FILE`
    lcsim.load_results("out/sweeps/exit-timing-by-style")

The experiment file format, seeds, resume and the output layout are in docs/sweeps.md.
"""

from .design import Design, build_design, run_id, run_seed
from .experiment import Experiment, ExperimentError, load_experiment
from .runner import sweep
from .store import SweepError, SweepWarning, load_results, read_manifest

__all__ = ["Design", "Experiment", "ExperimentError", "SweepError", "SweepWarning", "build_design", "load_experiment",
           "load_results", "read_manifest", "run_id", "run_seed", "sweep"]
