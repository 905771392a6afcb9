"""Calibration of the model against what is known: ABC-SMC of its uncertain values against the targets, the
checks of the result, the sensitivity of every value, and docs/calibration.md (`lcsim calibrate`).

    from lcsim.calibration import page, problem, abc
    page.regenerate(workers=2)                       # what `lcsim calibrate` does; writes docs/calibration.md
    post = abc.run_abc(problem.toy_problem(), "toy.db", population=200)   # the engine on the known answer

Modules: `targets` (the targets, their sources and bands; docs/targets.md), `problem` (priors, simulators,
the band distance), `screening` (which values one inference calibrates), `abc` (the engine: pyabc's ABC-SMC),
`mcmc` (ABC-SMC with MCMC moves, whose weights do not degenerate; not yet what `lcsim calibrate` runs),
`batches` (a sampler whose result depends on the seed alone, whatever the workers), `histories` (one history
per configuration, never replaced), `posterior`, `checks` (predictive and held-out checks), `sensitivity`
(running the one-at-a-time arms and the Morris sweep), `figures`, `page` and `page_sensitivity` (the page).
pyabc is the `calibrate` extra: nothing imports it here.
"""

from .posterior import Posterior, load_posterior
from .problem import Prior, Problem

__all__ = ["Posterior", "Prior", "Problem", "load_posterior"]
