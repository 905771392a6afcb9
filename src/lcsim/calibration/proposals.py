"""pyabc's proposals, drawn as pyabc draws them, at a fraction of the cost (used by `smc.run_smc`).

After the first generation pyabc proposes a candidate by perturbing a particle with its multivariate normal
transition and redraws until the prior's density there is positive. With 34 uncertain values in boxes, most
perturbations land outside some box: a measured calibration generation drew about 250 proposals per candidate,
and each cost a singular value decomposition of the covariance (numpy's `multivariate_normal` decomposes it on
every draw) and 34 scipy density calls: 30 ms a proposal, several seconds a candidate, more than the candidate's
own runs. Here the covariance is decomposed once per fit, and a proposal outside a prior's support is refused by
comparing it with the support's bounds. Both draw the very same numbers from numpy's global state in the same
order and return the same values (tests/test_calibration_parts.py).

`smc.run_smc` gives the transition the priors' scales: it is then fitted and drawn on the log of a log-uniform
value and each value in units of its prior's standard deviation, its density carrying the Jacobian back to the
natural scale, where pyabc stores the particles (`Transition`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyabc
from pyabc.parameters import Parameter
from pyabc.transition.exceptions import NotEnoughParticles
from pyabc.transition.multivariatenormal import silverman_rule_of_thumb
from pyabc.transition.util import smart_cov


class Transition(pyabc.MultivariateNormalTransition):
    """pyabc's `MultivariateNormalTransition`, its single draws without a decomposition per draw; given `scales`,
    fitted and drawn on the priors' own scale.

    `scales` maps a value's name to (log, width): the kernel lives on y = (log x if log else x) / width (a name
    not in it: y = x). Without it (the default) this is pyabc's kernel on the natural scale, number for number.
    On the natural scale, 34 values whose priors differ by orders of magnitude (a log-uniform over 5..1000 beside
    shares of width 0.01) gave a covariance with eigenvalues 4.5e-10..1.7e4, proposals of density exactly 0
    (scipy's singular normal) and importance weights with an effective sample size of 2 in 100. The particles
    stay on the natural scale: the density is the one in y times the Jacobian |dy/dx| = prod(1 / (x width)) over
    log values, prod(1 / width) over the others. A ridge on the diagonal (RIDGE of each dimension's variance, at
    least RIDGE * FLOOR) keeps the fitted covariance positive definite.
    """

    RIDGE = 1e-3
    FLOOR = 1e-6  # in y's units: a prior's standard deviation is 1 when width is it

    def __init__(self, scaling: float = 1, bandwidth_selector=silverman_rule_of_thumb,
                 scales: dict[str, tuple[bool, float]] | None = None, prior: Prior | None = None):
        super().__init__(scaling, bandwidth_selector)
        self.scales = scales
        self.prior = prior  # given: a draw outside its support is redrawn here, as pyabc would redraw it

    def ready_draws(self, X) -> None:
        """What each draw reuses: the particles as an array, numpy's cumulative weights (`np.random.choice`
        computes them on every call) and the prior's support in the columns' order (None: not checked here)."""
        self._X_arr = X.to_numpy()
        w = np.asarray(self.w, dtype=np.double)
        valid = len(w) == len(X) and np.isfinite(w).all() and (w >= 0).all() and abs(w.sum() - 1) < 1e-9
        self._cdf = None  # invalid weights: np.random.choice itself draws, and raises as it always did
        if valid:
            self._cdf = w.cumsum()
            self._cdf /= self._cdf[-1]
        bounds = self.prior.support() if self.prior is not None else {}
        self._low = self._high = None
        if set(bounds) == set(self._columns) and len(bounds) == len(self._columns):
            self._low = np.array([bounds[c][0] for c in self._columns])
            self._high = np.array([bounds[c][1] for c in self._columns])
            if self.scales is not None:  # the values drawn on their own scale: their bounds, without an exp
                self._linear_low = np.where(self._log, -np.inf, self._low)
                self._linear_high = np.where(self._log, np.inf, self._high)

    def fit(self, X, w) -> None:
        self._columns = list(X.columns)
        if self.scales is None:
            super().fit(X, w)
            cov = self.cov.astype(np.double)
            _u, s, v = np.linalg.svd(cov)  # what numpy's legacy multivariate_normal computes on every draw
            self._factor = np.sqrt(s)[:, None] * v
            self._zeros = np.zeros(cov.shape[0])
            self.ready_draws(X)
            return
        if len(X) == 0:
            raise NotEnoughParticles("Fitting not possible.")
        pairs = [self.scales.get(c, (False, 1.0)) for c in self._columns]
        self._log = np.array([bool(log) for log, _ in pairs])
        self._width = np.array([float(width) for _, width in pairs])
        if not (np.isfinite(self._width).all() and (self._width > 0).all()):
            raise ValueError(f"Transition scales: every width must be positive and finite, got {self.scales}")
        self._Y = self.scaled(X.to_numpy(dtype=np.double))
        cov = smart_cov(self._Y, w) * self.bandwidth_selector(1 / (w ** 2).sum(), self._Y.shape[1]) ** 2 \
            * self.scaling
        cov[np.diag_indices_from(cov)] += self.RIDGE * np.maximum(np.diag(cov), self.FLOOR)
        self.cov = cov
        self._chol = np.linalg.cholesky(cov)
        self._factor = self._chol.T
        self._zeros = np.zeros(cov.shape[0])
        self._lognorm = -0.5 * len(cov) * np.log(2 * np.pi) - np.log(np.diag(self._chol)).sum() \
            - np.log(self._width).sum()  # the normal's constant in y, and the widths' share of the Jacobian
        self._range = np.arange(len(X))
        self.ready_draws(X)

    def scaled(self, x: np.ndarray) -> np.ndarray:
        """x (natural scale, rows of the fitted columns) to y; nan where a log value is not positive."""
        with np.errstate(divide="ignore", invalid="ignore"):
            logged = np.log(np.where(x > 0, x, np.nan))
        return np.where(self._log, logged, x) / self._width

    def natural(self, y: np.ndarray) -> np.ndarray:
        return np.where(self._log, np.exp(y * self._width), y * self._width)

    def rvs_single(self) -> Parameter:
        """One proposal, drawn as pyabc's kernel draws it; with a `prior`, the first draw inside its support
        (pyabc redraws until the prior's density is positive: the draws refused here it would refuse too, having
        drawn the same numbers, so it gets the same proposal without a density and a Parameter per refusal)."""
        dim = len(self._zeros)
        refused = 0
        while True:
            if self._cdf is None:
                sample_ind = np.random.choice(self._range, p=self.w, replace=True)
            else:  # np.random.choice(p=w) step by step: one uniform, the index its cumulative weights give
                sample_ind = int(self._cdf.searchsorted(np.random.random_sample(), side="right"))
            x = np.random.standard_normal([dim]).reshape(-1, dim)  # numpy's multivariate_normal, step by step
            x = np.dot(x, self._factor)
            x += self._zeros
            x = x.reshape(dim)
            if self.scales is None:
                value = self._X_arr[sample_ind] + x
            else:  # self.natural, step by step: a value drawn on its own scale refused before any exp is taken
                value = (self._Y[sample_ind] + x) * self._width
                if self._low is not None and ((value < self._linear_low) | (value > self._linear_high)).any():
                    value = None
                else:
                    value = np.where(self._log, np.exp(value), value)
            if value is not None and (self._low is None or not ((value < self._low) | (value > self._high)).any()):
                return Parameter(dict(zip(self._columns, value, strict=True)))
            refused += 1
            if refused == 1000:  # pyabc's own warning, at its own count
                logging.getLogger("ABC").warning("Unusually many (model, parameter) samples have prior density "
                                                 "zero. The transition might be inappropriate.")

    def rvs(self, size: int | None = None):
        if size is None or self.scales is None:
            return super().rvs(size)
        return pd.DataFrame([self.rvs_single() for _ in range(size)], columns=self._columns)

    def pdf(self, x):
        if self.scales is None:
            return super().pdf(x)
        single = not isinstance(x, pd.DataFrame)
        arr = np.array([[x[k] for k in self._columns]], dtype=np.double) if single \
            else x[self._columns].to_numpy(dtype=np.double)
        density = np.exp(self.log_pdf(arr))
        return float(density[0]) if single else density

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """The log density in x of each row of `x` (natural scale): the kernel mixture's in y plus log |dy/dx|."""
        from scipy.linalg import solve_triangular
        from scipy.special import logsumexp

        y = self.scaled(x)
        out = np.full(len(x), -np.inf)
        inside = np.isfinite(y).all(axis=1)
        for i in np.flatnonzero(inside):
            z = solve_triangular(self._chol, (y[i] - self._Y).T, lower=True)  # whitened offsets to each particle
            out[i] = logsumexp(-0.5 * (z * z).sum(axis=0), b=self.w) + self._lognorm \
                - np.log(x[i, self._log]).sum()
        return out


class Prior(pyabc.Distribution):
    """pyabc's `Distribution`, whose density is 0 at once where a value lies outside its variable's support."""

    def support(self) -> dict[str, tuple[float, float]]:
        """Each variable's (lowest, highest) value of positive density."""
        bounds = self.__dict__.get("_bounds")
        if bounds is None:
            bounds = self.__dict__["_bounds"] = {k: tuple(map(float, rv.distribution.support()))
                                                 for k, rv in self.items()}
        return bounds

    def pdf(self, x):
        bounds = self.support()
        if len(x) == len(bounds):
            for key, value in x.items():
                low_high = bounds.get(key)
                if low_high is not None and (value < low_high[0] or value > low_high[1]):
                    return 0.0
        forms = self.closed_forms()
        if forms is None or len(x) != len(forms) or any(key not in forms for key in x):
            return super().pdf(x)  # pyabc's own product (and its error for other names)
        density = None
        for key, value in x.items():  # pyabc's product, in its order, of scipy's densities computed as scipy does
            d = forms[key](value)
            density = d if density is None else density * d
        return density

    def closed_forms(self) -> dict | None:
        """Each variable's density as scipy computes it, without scipy's 200 us of checks per call: uniform and
        log-uniform (the calibration's priors; None when another kind is among them)."""
        if "_forms" not in self.__dict__:
            forms = {}
            for key, rv in self.items():
                frozen = getattr(rv, "distribution", None)
                name = getattr(getattr(frozen, "dist", None), "name", None)
                if name not in ("uniform", "loguniform"):
                    forms = None
                    break
                shapes, loc, scale = frozen.dist._parse_args(*frozen.args, **frozen.kwds)
                forms[key] = (uniform_density if name == "uniform" else loguniform_density)(*shapes, loc, scale)
                if forms[key] is None:  # arguments scipy would refuse: scipy answers
                    forms = None
                    break
            self.__dict__["_forms"] = forms or None
        return self.__dict__["_forms"]


def uniform_density(loc, scale):
    """scipy's uniform pdf (rv_continuous.pdf): 1 / scale where (x - loc) / scale lies in [0, 1]."""
    loc, scale = np.asarray(loc), np.asarray(scale)
    inside = np.float64(1.0) / np.float64(scale)
    if not scale > 0:
        return None

    def density(x):
        y = np.asarray((np.asarray(x) - loc) / scale, dtype=np.promote_types(np.asarray(x).dtype, np.float64))
        if np.isnan(y):
            return np.float64(np.nan)
        return inside if 0 <= y <= 1 else np.float64(0.0)

    return density


def loguniform_density(a, b, loc, scale):
    """scipy's log-uniform pdf: exp(-log x - log(log b - log a)) / scale on [a, b], on arrays of one value as
    scipy evaluates it."""
    a, b = np.array([a], dtype=np.float64), np.array([b], dtype=np.float64)
    loc, scale = np.asarray(loc), np.asarray(scale)
    if not (a[0] > 0 and b[0] > a[0] and scale > 0):
        return None
    log_width = np.log(np.log(b) - np.log(a))

    def density(x):
        y = np.asarray((np.asarray(x) - loc) / scale, dtype=np.promote_types(np.asarray(x).dtype, np.float64))
        if np.isnan(y):
            return np.float64(np.nan)
        if not a[0] <= y <= b[0]:
            return np.float64(0.0)
        return (np.exp(-np.log(np.array([y])) - log_width) / np.array([scale]))[0]

    return density
