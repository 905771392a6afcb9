"""Pattern-oriented validation of the model (docs/validation.md).

    from lcsim.validation import validate, regenerate, PATTERNS
    verdicts = validate(["P1"])            # run P1's experiments afresh; a list of Verdict
    verdicts[0].passed, verdicts[0].value, verdicts[0].interval, verdicts[0].criterion
    regenerate(workers=2)                  # every pattern; rewrites docs/validation.md and its figures

Each pattern (`Pattern`: claim, source, experiment files, criterion, all stated before measuring)
runs its experiments (the package's `validation/experiments/*.toml`) through `lcsim.sweep`; its verdict
(`Verdict`) holds the measured value, its 95% interval and pass or fail, and its knock-out control
(`knockouts`: the same experiment with the mechanism switched off). `lcsim validate` is the command-line
face. Calibration against the targets is `lcsim.calibration` (`lcsim calibrate`).
"""

from .document import Validation, provenance, regenerate, render, write_document
from .measure import validate
from .patterns import L1, L2, L3, P1, P2, P3, P4, P5, P6, P7, PATTERNS, Pattern, Verdict
from .runs import Context
from .statistics import Paired, bootstrap_mean, paired

__all__ = ["L1", "L2", "L3", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "PATTERNS", "Context", "Paired", "Pattern",
           "Validation", "Verdict", "bootstrap_mean", "paired", "provenance", "regenerate", "render", "validate",
           "write_document"]
