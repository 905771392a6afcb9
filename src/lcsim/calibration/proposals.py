"""pyabc's proposals, drawn as pyabc draws them, at a fraction of the cost (used by `smc.run_smc`).

After the first generation pyabc proposes a candidate by perturbing a particle with its multivariate normal
transition and redraws until the prior's density there is positive. With 34 uncertain values in boxes, most
perturbations land outside some box: a measured calibration generation drew about 250 proposals per candidate,
and each cost a singular value decomposition of the covariance (numpy's `multivariate_normal` decomposes it on
every draw) and 34 scipy density calls: 30 ms a proposal, several seconds a candidate, more than the candidate's
own runs. Here the covariance is decomposed once per fit, and a proposal outside a prior's support is refused by
comparing it with the support's bounds. Both draw the very same numbers from numpy's global state in the same
order and return the same values (tests/test_calibration_parts.py), so every result stays as it was.
"""

from __future__ import annotations

import numpy as np
import pyabc
from pyabc.parameters import Parameter


class Transition(pyabc.MultivariateNormalTransition):
    """pyabc's `MultivariateNormalTransition`, its single draws without a decomposition per draw."""

    def fit(self, X, w) -> None:
        super().fit(X, w)
        cov = self.cov.astype(np.double)
        _u, s, v = np.linalg.svd(cov)  # what numpy's legacy multivariate_normal computes on every draw
        self._factor = np.sqrt(s)[:, None] * v
        self._zeros = np.zeros(cov.shape[0])
        self._columns = list(self.X.columns)

    def rvs_single(self) -> Parameter:
        sample_ind = np.random.choice(self._range, p=self.w, replace=True)
        dim = len(self._zeros)
        x = np.random.standard_normal([dim]).reshape(-1, dim)  # numpy's multivariate_normal, step by step
        x = np.dot(x, self._factor)
        x += self._zeros
        x = x.reshape(dim)
        return Parameter(dict(zip(self._columns, self.X.iloc[sample_ind].to_numpy() + x, strict=True)))


class Prior(pyabc.Distribution):
    """pyabc's `Distribution`, whose density is 0 at once where a value lies outside its variable's support."""

    def pdf(self, x):
        bounds = self.__dict__.get("_bounds")
        if bounds is None:
            bounds = self.__dict__["_bounds"] = {k: tuple(map(float, rv.distribution.support()))
                                                 for k, rv in self.items()}
        if len(x) == len(bounds):
            for key, value in x.items():
                low_high = bounds.get(key)
                if low_high is not None and (value < low_high[0] or value > low_high[1]):
                    return 0.0
        return super().pdf(x)  # inside every support (or not one of its variables): pyabc's own product
