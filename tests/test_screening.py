"""The screening that chooses which values one inference calibrates (`lcsim.calibration.screening`): a known answer
(statistics that move with two of six values), the cap, the cache, and answers that keep the values a posterior was
fitted with at their hand-set values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcsim.calibration import screening, shipped
from lcsim.calibration.problem import Prior, Problem, particle_seed
from lcsim.calibration.targets import Target
from lcsim.cli import main
from lcsim.studies import uncertainty as u


class Linear:
    """Statistic `a` rises with x0, `b` falls with x1 (strongly), `c` is noise; x2..x5 move nothing."""

    def __call__(self, pars: dict) -> dict:
        rng = np.random.default_rng(particle_seed(3, pars))
        return {"a": pars["x0"] + rng.normal(0, 0.3), "b": -0.4 * pars["x1"] + rng.normal(0, 0.3),
                "c": rng.normal()}


def known_problem() -> Problem:
    priors = [Prior(f"x{i}", "toy", 0.0, 1.0) for i in range(6)]
    targets = {k: Target(k, k, k, k, 0.0, -0.1, 0.1, "toy", "toy", "toy", lambda r, m=None: np.nan)
               for k in ("a", "b", "c")}
    return Problem("linear", priors, Linear(), targets, info={"replicates": 1})


def test_the_screening_finds_the_values_the_statistics_move_with(tmp_path):
    found = screening.screen(known_problem(), samples=300, out=tmp_path)
    assert found.kept == ["x0", "x1"]  # x0's effect is the stronger: first
    table = found.table.set_index("name")
    assert table.loc["x0", "statistic"] in ("a", "distance") and table.loc["x0", "rho"] > 0.5
    assert table.loc["x1", "rho"] < -0.2  # b falls with x1
    assert not table.loc[[f"x{i}" for i in range(2, 6)], "informed"].any()
    assert (tmp_path / "screening.csv").is_file() and (tmp_path / "screening-samples.parquet").is_file()
    text = screening.section(found)
    assert "**2 of 6 values are informed; 2 are calibrated** (`x0`, `x1`)" in text


def test_the_cap_keeps_the_strongest_and_says_why_the_others_are_held(tmp_path, monkeypatch):
    capped = screening.screen(known_problem(), samples=300, most=1)
    assert capped.kept == ["x0"]
    held = capped.table.set_index("name").loc["x1"]
    assert held["informed"] and not held["kept"] and "past the 1 values" in held["reason"]
    # a screening already in `out` for the same problem, samples and seed is read back, not rerun
    first = screening.screen(known_problem(), samples=60, out=tmp_path)
    monkeypatch.setattr("lcsim.calibration.batches.simulate_values", lambda *a, **k: pytest.fail("reran"))
    again = screening.screen(known_problem(), samples=60, out=tmp_path)
    pd.testing.assert_frame_equal(first.table, again.table)


def test_a_statistic_defined_on_too_few_points_informs_nothing():
    values = pd.DataFrame({"x0": np.linspace(0, 1, 100), "x1": np.random.default_rng(1).random(100)})
    stats = pd.DataFrame({"rare": np.where(np.arange(100) < 20, values["x1"], np.nan)})
    corr, counts = screening.correlations(values, stats)
    assert corr.loc["x1", "rare"] == pytest.approx(1.0) and counts["rare"] == 20
    assert not screening.choose(corr, counts)["informed"].any()


def test_answers_keep_the_values_the_posterior_was_fitted_with(monkeypatch):
    rng = np.random.default_rng(7)
    table = pd.DataFrame({"hosting_cost": rng.uniform(0.05, 0.9, 20), "weight": 0.05})
    table.attrs["lcsim"] = {"commit": "fixture", "priors": {"hosting_cost": {"kind": "assumption"}},
                            "held": ["tie_decay", "conversations"]}
    monkeypatch.setattr(shipped, "posterior", lambda path=None: table.copy())
    unc = u.uncertainty("default")
    assert set(unc.held_by_calibration) == {"tie_decay", "assumptions.conversations"}
    assert "tie_decay" not in unc.draws(10, seed=1).columns and "tie_decay" not in unc.names
    assert "burnout" in unc.names  # not held by the calibration: still drawn over its range
    assert "2 values the targets do not inform stay at their hand-set values" in unc.sentence()


def test_bad_screen_options_are_one_line(capsys, tmp_path):
    for args, text in ((["--screen", "5"], "--screen: 5 is not allowed"),
                       (["--screen-replicates", "0"], "--screen-replicates: 0 is not allowed")):
        assert main(["calibrate", "--out", str(tmp_path / "x"), *args]) == 2
        err = capsys.readouterr().err.strip()
        assert text in err and len(err.splitlines()) == 1
