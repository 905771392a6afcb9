"""Calibration against the targets (issue 13): the ABC machinery recovers a known posterior, resumes
from its history, runs end to end on the model, and the targets are data that degrade to "not
measurable" instead of failing. Fast: the full calibration is `lcsim calibrate` (docs/calibration.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

pytest.importorskip("pyabc")

from lcsim.errors import UsageError  # noqa: E402
from lcsim.validation import abc_calibration, inference, targets  # noqa: E402


# -- the known answer --------------------------------------------------------------------------------
def test_abc_recovers_the_exact_beta_posterior_of_a_binomial_survival_model(tmp_path):
    """38 of 50 communities survive; Beta(2, 2) prior: the exact posterior is Beta(40, 14)."""
    problem = inference.toy_problem(n=50, survivors=38, a=2, b=2)
    post = inference.run_abc(problem, tmp_path / "toy.db", population=300, max_populations=6)
    exact = stats.beta(40, 14)
    x, w = post.table["p"].to_numpy(), post.weights
    assert post.info["restricted_to_inside"]  # the posterior is the particles at distance 0
    assert abs(w @ x - exact.mean()) < 0.015
    sd = np.sqrt(w @ (x - w @ x) ** 2)
    assert abs(sd / exact.std() - 1) < 0.25
    for q in (0.1, 0.5, 0.9):
        assert abs(inference.weighted_quantile(x, w, q) - exact.ppf(q)) < 0.03
    # and it is not the prior: the prior's mean is 0.5, its spread 3.5 times the posterior's
    assert post.summary().loc[0, "identified"] == "narrowed"


def test_a_second_run_resumes_the_history_and_a_finished_one_adds_nothing(tmp_path):
    problem = inference.toy_problem()
    db = tmp_path / "toy.db"
    first = inference.run_abc(problem, db, population=60, max_populations=2)
    assert first.info["generations"] == 2 and first.info["resumed_generations"] == 0
    second = inference.run_abc(problem, db, population=60, max_populations=3)
    assert second.info["resumed_generations"] == 2 and second.info["generations"] == 3
    assert second.info["simulations"] > first.info["simulations"]
    again = inference.run_abc(problem, db, population=60, max_populations=3)
    assert again.info["simulations"] == second.info["simulations"]  # nothing left to do
    other = inference.toy_problem(survivors=20)  # another problem in the same file starts afresh
    fresh = inference.run_abc(other, db, population=60, max_populations=1)
    assert fresh.info["resumed_generations"] == 0 and fresh.info["generations"] == 1


# -- targets as data -----------------------------------------------------------------------------------
def test_every_target_names_its_source_population_mapping_and_a_band():
    for key, t in targets.TARGETS.items():
        assert t.key == key and t.source and t.population and t.mapping and t.confirmed
        assert t.low <= t.value <= t.high or t.low == t.high == t.value, key
    assert set(targets.GROUPS) == {"survival", "case", "participation", "bridges", "replication"}


def test_band_distance_is_zero_inside_grows_outside_and_penalises_nan():
    t = targets.TARGETS["alive_36m"]  # band 0.6..0.9, width 0.3
    assert t.distance(0.75) == 0 and t.distance(0.6) == 0
    assert t.distance(0.3) == pytest.approx(1.0) and t.distance(1.0) == pytest.approx(1 / 3)
    assert t.distance(float("nan")) == targets.MISS
    d = inference.BandDistance({"alive_36m": t, "alive_20m": targets.TARGETS["alive_20m"]})
    assert d({"alive_36m": 0.75, "alive_20m": 0.9}) == 0
    assert d({"alive_36m": 0.3, "alive_20m": 0.9}) == pytest.approx(1.0)


def test_a_target_whose_columns_are_absent_is_not_measurable_not_an_error():
    runs = pd.DataFrame({"months_alive_after_exit": [36, 10], "censored": [True, False], "replications": [1, 0]})
    case = targets.TARGETS["share_alive"]
    assert np.isnan(case.measure(runs))
    assert targets.status(case, runs.columns) == targets.NOT_MEASURABLE
    assert targets.TARGETS["alive_20m"].measure(runs) == 0.5
    assert np.isnan(targets.TARGETS["new_groups_per_group"].measure(runs))  # needs communities_ever


def test_statistics_on_a_synthetic_runs_table():
    runs = pd.DataFrame({"scenario": ["mexico-csa"] * 4, "replications": [0, 1, 2, 0],
                         "communities_ever": [3, 4, 5, 3], "share_alive": [1, 0.5, 1, 0.5],
                         "bridge_retention": [0.2, 0.4, np.nan, 0.3], "embedded_retention": [0.5, 0.6, 0.9, 0.3]})
    assert targets.TARGETS["replicated_share"].measure(runs) == 0.5
    assert targets.TARGETS["share_alive"].measure(runs) == 0.75
    assert targets.TARGETS["new_groups_per_group"].measure(runs) == pytest.approx(3 / 12)
    assert targets.TARGETS["embedded_gap"].measure(runs) == pytest.approx((0.3 + 0.2 + 0.0) / 3)
    assert np.isnan(targets.TARGETS["share_alive"].with_scenario("default").measure(runs))  # no run of it


def test_observe_adds_the_per_member_statistics_to_the_summary_simulate_gives():
    import lcsim

    row = targets.observe(3, "default", {"n_members": 30, "months": 30, "exit_month": 18})
    summary = lcsim.simulate(seed=3, n_members=30, months=30, exit_month=18).summary
    assert {k: row[k] for k in summary} == summary
    assert 0 <= row["low_attender_share"] <= 1 and 0 <= row["high_attender_share"] <= 1
    assert row["low_attender_share"] + row["high_attender_share"] <= 1
    assert row["participants"] > 0


def test_a_targets_file_rebands_and_selects_and_refuses_bad_entries(tmp_path):
    good = tmp_path / "t.toml"
    good.write_text("[targets.alive_36m]\nlow = 0.5\nhigh = 0.95\n[targets.alive_20m]\n")
    chosen = targets.load_targets(good)
    assert list(chosen) == ["alive_36m", "alive_20m"] and chosen["alive_36m"].band == (0.5, 0.95)
    for text, words in (("[targets.nope]\n", "unknown target 'nope'"),
                        ("[targets.alive_36m]\nlow = 0.9\nhigh = 0.1\n", "low 0.9 above high 0.1"),
                        ("[targets.alive_36m]\nwidth = 1\n", "alive_36m.width is not allowed"),
                        ("x = 1\n", "no [targets] table")):
        good.write_text(text)
        with pytest.raises(UsageError, match=words.replace("[", r"\[")) as err:
            targets.load_targets(good)
        assert "\n" not in str(err.value)
    with pytest.raises(UsageError, match="is not a file"):
        targets.load_targets(tmp_path / "missing.toml")


# -- the real path, tiny ----------------------------------------------------------------------------
SMALL = {"n_members": 24, "months": 30, "exit_month": 18}


def test_lcsim_calibrate_runs_end_to_end_on_the_model_and_resumes(tmp_path):
    settings = abc_calibration.Settings(population=6, max_populations=1, replicates=1, draws=4, heldout=False,
                                        check_replicates=1,
                                        max_minutes=5, fixed=SMALL)
    doc = tmp_path / "docs" / "calibration.md"
    page = abc_calibration.regenerate(None, out=tmp_path / "out", doc=doc, workers=1, settings=settings,
                                      with_sensitivity=False)
    result = page.result
    post = inference.load_posterior(tmp_path / "out" / "abc" / "posterior")
    assert set(post.names) == {p.name for p in inference.default_priors()}
    assert post.weights.sum() == pytest.approx(1) and len(post.table) >= 1
    checks = result.posterior_checks
    assert set(checks["target"]) == set(targets.TARGETS)
    assert set(checks["verdict"]) <= {"PASS", "FAIL", targets.NOT_MEASURABLE}
    text = doc.read_text()
    for heading in ("## Posterior and identifiability", "## Posterior predictive check", "## Held-out check",
                    "## Sensitivity: "):
        assert heading in text
    for name in ("calibration-posterior.png", "calibration-pairs.png", "calibration-checks.png"):
        assert (doc.parent / "img" / name).is_file()
    # run again with one more generation: it resumes the first
    settings.max_populations = 2
    again = abc_calibration.calibrate_to_targets(None, out=tmp_path / "out" / "abc", workers=1, settings=settings)
    assert again.posterior.info["resumed_generations"] == 1 and again.posterior.info["generations"] == 2


def test_posterior_draws_are_reproducible_and_weighted(tmp_path):
    table = pd.DataFrame({"p": [0.1, 0.9], "weight": [0.9, 0.1], "distance": [0.0, 0.0]})
    post = inference.Posterior(table, [inference.Prior("p", "toy", 0, 1)], {}, {})
    a, b = post.draw(2000, 5), post.draw(2000, 5)
    assert a.equals(b)
    assert abs((a["p"] == 0.1).mean() - 0.9) < 0.03
    post.save(tmp_path / "post")
    back = inference.load_posterior(tmp_path / "post")
    assert back.table.equals(post.table) and back.priors == post.priors
    assert json.loads((tmp_path / "post" / inference.META_FILE).read_text())["priors"][0]["name"] == "p"
    with pytest.raises(UsageError, match="holds no posterior"):
        inference.load_posterior(tmp_path)


def test_cli_refuses_bad_options_in_one_line(capsys):
    from lcsim.cli import main

    assert main(["calibrate", "--workers", "0", "--no-doc"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "lcsim calibrate: error: --workers: 0 is not allowed; expected an integer >= 1"
    assert main(["calibrate", "--targets", "/nonexistent.toml", "--no-doc", "--no-sensitivity"]) == 2
    assert "--targets: '/nonexistent.toml' is not a file" in capsys.readouterr().err


def test_docs_targets_md_is_the_targets_table_as_generated():
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "targets.md"
    assert page.read_text(encoding="utf-8") == targets.render(), "regenerate docs/targets.md (lcsim calibrate)"
