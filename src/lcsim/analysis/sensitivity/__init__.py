"""Sensitivity analysis of what sweeps wrote, one method a module (as SALib arranges them):

- `morris`: Morris screening of a `morris` sweep (SALib), `sobol`: Sobol indices of a `sobol` sweep (SALib);
  `indices.sensitivity(runs, manifest)` picks the one the sweep's design allows;
- `oat`: one at a time, each parameter and assumption moved alone on common seeds.

    from lcsim.analysis.sensitivity import sensitivity, ranking
    table = sensitivity(lcsim.load_results("out/sweeps/sensitivity-morris"), manifest)

Nothing here runs the model: `lcsim.calibration.sensitivity` runs the one-at-a-time arms and the Morris
sweep for docs/calibration.md, `lcsim sweep` any other.
"""

from .indices import (
    METHODS,
    OUTPUTS,
    SensitivityError,
    design_of,
    has_indices,
    is_balanced,
    point_means,
    problem_of,
    ranking,
    sampler_settings,
    sensitivity,
)
from .morris import morris_indices, point_inputs
from .sobol import sobol_indices

__all__ = ["METHODS", "OUTPUTS", "SensitivityError", "design_of", "has_indices", "is_balanced", "morris_indices",
           "point_inputs", "point_means", "problem_of", "ranking", "sampler_settings", "sensitivity",
           "sobol_indices"]
