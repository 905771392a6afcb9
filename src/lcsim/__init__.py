"""lcsim: agent-based simulation of convener withdrawal in multi-sector learning communities."""

from importlib.metadata import PackageNotFoundError, version

from .assumptions import Assumptions
from .errors import ExperimentError, LcsimError, OutputError, SweepError, UsageError
from .experiments import load_results, sweep
from .model import LearningCommunity
from .parameters import SCHEMA, ParameterError
from .simulation import SimulationResult, simulate

try:
    __version__ = version("lcsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "SCHEMA", "Advice", "Analysis", "Assumptions", "Comparison", "Discovery", "ExperimentError", "LcsimError",
    "LearningCommunity",
    "OutputError", "ParameterError", "SimulationResult", "SweepError", "UsageError", "__version__", "advise", "analyze",
    "compare", "discover", "load_results", "posterior", "simulate", "sweep", "validation",
]

# The workflows load statsmodels, SALib and matplotlib: imported on first use, so `import lcsim` stays light.
_LAZY = {"compare": "studies.compare", "Comparison": "studies.compare",
         "analyze": "analysis.workflow", "Analysis": "analysis.workflow",
         "discover": "analysis.discovery", "Discovery": "analysis.discovery",
         "advise": "studies.advise", "Advice": "studies.advise", "posterior": "calibration.shipped"}


def __getattr__(name: str):
    from importlib import import_module

    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name == "validation":  # the patterns, verdicts and knock-outs (calibration is lcsim.calibration)
        return import_module(f"{__name__}.validation")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
