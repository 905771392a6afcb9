"""lcsim: agent-based simulation of convener withdrawal in multi-sector learning communities."""

from importlib.metadata import PackageNotFoundError, version

from .assumptions import Assumptions
from .errors import ExperimentError, LcsimError, OutputError, SweepError, UsageError
from .model import LearningCommunity
from .parameters import SCHEMA, ParameterError
from .simulation import SimulationResult, simulate
from .experiments import load_results, sweep

try:
    __version__ = version("lcsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["SCHEMA", "Assumptions", "ExperimentError", "LcsimError", "OutputError", "SweepError", "UsageError", "LearningCommunity", "ParameterError", "SimulationResult", "__version__", "load_results",
           "simulate", "sweep"]
__all__ += ["Analysis", "Comparison", "analyze", "compare"]

# The workflows load statsmodels, SALib and matplotlib: imported on first use, so `import lcsim` stays light.
_WORKFLOWS = {"compare": "analysis.compare", "Comparison": "analysis.compare",
              "analyze": "analysis.workflow", "Analysis": "analysis.workflow"}


def __getattr__(name: str):
    if name in _WORKFLOWS:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_WORKFLOWS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
