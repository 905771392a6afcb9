"""`lcsim compare --posterior`: each replicate draws its uncertain values from a posterior, the same draw
in every strategy, and the survival intervals then carry parameter uncertainty (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcsim.calibration import Posterior, Prior
from lcsim.errors import LcsimError
from lcsim.studies.compare import compare

SMALL = {"n_members": 30, "months": 30, "exit_month": 18}


@pytest.fixture(scope="module")
def posterior(tmp_path_factory):
    """Hosting anywhere from cheap to dear: some worlds keep their communities, others lose them."""
    values = np.linspace(0.05, 1.0, 40)
    table = pd.DataFrame({"hosting_cost": values, "weight": 1 / len(values), "distance": 0.0})
    post = Posterior(table, [Prior("hosting_cost", "assumption", 0.01, 1.0)], {}, {})
    folder = tmp_path_factory.mktemp("posterior")
    post.save(folder)
    return folder


def test_posterior_intervals_are_at_least_as_wide_and_draws_are_common_across_arms(tmp_path, posterior):
    kw = dict(strategies=["phase_out", "phase_over"], replicates=30, overrides=SMALL, workers=1, progress=False)
    fixed = compare("default", out=tmp_path / "fixed", **kw)
    drawn = compare("default", out=tmp_path / "drawn", posterior=posterior, seeds_per_draw=5, **kw)
    for (_, f), (_, d) in zip(fixed.table.iterrows(), drawn.table.iterrows()):
        assert f["exit_strategy"] == d["exit_strategy"]
        assert d["survival_hi"] - d["survival_lo"] >= f["survival_hi"] - f["survival_lo"]
        assert d["survival_lo"] <= d["survival_chance_lo"] and d["survival_hi"] >= d["survival_chance_hi"]
    # clearly wider here: the draws span worlds where communities live and die
    widths = (drawn.table["survival_hi"] - drawn.table["survival_lo"]) - (fixed.table["survival_hi"]
                                                                         - fixed.table["survival_lo"])
    assert (widths > 0.1).all()
    runs = drawn.runs
    by_replicate = runs.pivot_table(index="replicate", columns="exit_strategy", values="assumptions.hosting_cost")
    assert (by_replicate["phase_out"] == by_replicate["phase_over"]).all()  # replicate r: one draw in every arm
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()  # and one seed (common seeds)
    assert runs["draw"].nunique() == 6 and (runs["draw"] == runs["replicate"] % 6).all()  # world r % worlds
    assert "include parameter uncertainty from the posterior in" in drawn.heading()
    assert "Fixed values: replicate noise only" in fixed.heading() and "include parameter" not in fixed.heading()
    assert "--posterior" in drawn.command("compare")
    again = compare("default", out=tmp_path / "drawn", posterior=posterior, seeds_per_draw=5, **kw)
    assert again.runs.equals(drawn.runs)  # the same call reuses its runs


def test_posterior_options_are_checked(tmp_path, posterior):
    # a value the user fixes is never drawn: it stays as given in every replicate
    kept = compare("default", strategies=["phase_out"], replicates=10, overrides={**SMALL,
                   "assumptions.hosting_cost": 0.3}, posterior=posterior, out=tmp_path / "kept", workers=1,
                   progress=False)
    assert "assumptions.hosting_cost" not in kept.runs and kept.experiment["fixed"]["assumptions.hosting_cost"] == 0.3
    assert "kept as given: assumptions.hosting_cost" in kept.heading()
    with pytest.raises(LcsimError, match="seeds_per_draw"):
        compare("default", replicates=4, overrides=SMALL, posterior=posterior, seeds_per_draw=0, out=tmp_path,
                progress=False)
    with pytest.raises(LcsimError, match="holds no posterior"):
        compare("default", replicates=10, overrides=SMALL, posterior=tmp_path, out=tmp_path, progress=False)
