"""ABC-SMC with MCMC moves (`lcsim.calibration.mcmc`): the known answer (the toy's Beta posterior), weights that
do not degenerate, and the same particles for the same seed on any number of workers."""

from __future__ import annotations

import numpy as np
import pytest

from lcsim.calibration import mcmc, problem
from lcsim.errors import LcsimError

EXACT_MEAN, EXACT_SD = 40 / 54, float(np.sqrt(40 * 14 / (54**2 * 55)))  # Beta(2 + 38, 2 + 12)


def moments(post) -> tuple[float, float]:
    x, w = post.table["p"].to_numpy(), post.table["weight"].to_numpy()
    mean = float(w @ x)
    return mean, float(np.sqrt(w @ (x - mean) ** 2))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_toy_posterior_is_found_at_epsilon_zero(seed):
    post = mcmc.run_mcmc_smc(problem.toy_problem(), population=400, max_rounds=60, seed=seed)
    assert post.info["final_epsilon"] == 0 and (post.table["distance"] == 0).all()
    mean, sd = moments(post)
    assert abs(mean - EXACT_MEAN) < 0.015 and abs(sd - EXACT_SD) < 0.012  # the prior's mean is 0.5, its sd 0.22
    # the weights never degenerate: resampled whenever fewer than half the particles count
    assert min(post.info["effective_by_generation"]) >= 200 and post.info["effective_particles"] >= 200
    assert post.table["p"].nunique() > 150  # the moves keep the particles apart after resampling


def test_the_same_seed_gives_the_same_particles_on_any_number_of_workers():
    one = mcmc.run_mcmc_smc(problem.toy_problem(), population=60, max_rounds=4, seed=3)
    two = mcmc.run_mcmc_smc(problem.toy_problem(), population=60, max_rounds=4, seed=3, workers=2)
    assert one.table.equals(two.table) and one.info["epsilons"] == two.info["epsilons"]


def test_next_epsilon_keeps_alpha_of_the_effective_sample_size():
    d = np.arange(10.0)
    w = np.full(10, 0.1)
    assert mcmc.next_epsilon(d, w, 0.9) == 8.0  # 9 of 10 equal weights kept
    assert mcmc.next_epsilon(d, w, 0.5) == 4.0


def test_bad_settings_are_one_line():
    with pytest.raises(LcsimError, match="population 1, alpha 0.9") as err:
        mcmc.run_mcmc_smc(problem.toy_problem(), population=1)
    assert "\n" not in str(err.value)
