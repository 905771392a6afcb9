"""The posterior shipped with the package (issue 21 item 5), as it is in this checkout: either none is shipped and
`lcsim.posterior()` says so, or the shipped one was fitted to these very rules (a rule change that moves any result
makes it fail here: refit with `lcsim calibrate --ship`), and every answer draws from it by default."""

from __future__ import annotations

import numpy as np
import pytest

import lcsim
from lcsim.calibration import shipped
from lcsim.calibration.problem import uncertain
from lcsim.studies import uncertainty as u

pytestmark = pytest.mark.shipped


def test_the_shipped_posterior_is_none_or_fitted_to_these_rules():
    if not shipped.default_path().is_file():
        with pytest.raises(shipped.NoPosterior, match="no posterior has been fitted for these rules"):
            lcsim.posterior()
        assert u.uncertainty("default").source == u.FIXED
        return
    table = lcsim.posterior()  # refuses, in one line, a posterior fitted to other rules
    meta = table.attrs["lcsim"]
    names = [c for c in table.columns if c != "weight"]
    assert names == list(meta["priors"]) and table["weight"].sum() == pytest.approx(1.0)
    assert np.isfinite(table[names].to_numpy()).all() and len(table) >= 20
    uncertain_names = {n for n, _, _ in uncertain()}
    assert set(names) <= uncertain_names and set(meta["held"]) == uncertain_names - set(names)
    for name, prior in meta["priors"].items():  # every particle inside its prior
        assert table[name].between(prior["low"], prior["high"]).all(), name
    unc = u.uncertainty("default")  # every answer's default
    assert unc.source == u.POSTERIOR and set(unc.calibrated) == {u.key_of(n, meta["priors"][n]["kind"])
                                                                 for n in names}
    assert not unc.free and "include parameter uncertainty from the posterior fitted on" in unc.sentence()
