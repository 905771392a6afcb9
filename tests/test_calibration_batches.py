"""Calibration's batch path at a fraction of its overhead, with the same numbers (issue 23 item 3): proposals
refused inside the transition as pyabc would refuse them, a generation's payload loaded once per process, the
targets' measures without pandas' per-call costs, months nothing is read in run in one call."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lcsim.calibration import batches, problem, proposals, statistics


def cloud_at_the_edges():
    """34 values like the calibration's (8 log-uniform, 26 uniform), the particles near their supports' edges
    so that most perturbations land outside some support (as in a calibration's later generations)."""
    priors = [problem.Prior(f"scale_{i}", "toy", 1.0, 1e4, "loguniform") for i in range(8)] + \
             [problem.Prior(f"share_{i}", "toy", 0.0, 1.0) for i in range(26)]
    rng = np.random.default_rng(2)
    X = pd.DataFrame({p.name: np.exp(rng.uniform(np.log(1.5), np.log(300), 60)) if p.log
                      else rng.uniform(0.0, 0.15, 60) for p in priors})
    return priors, X, rng.dirichlet(np.ones(60))


@pytest.mark.parametrize("scaled", [True, False])
def test_a_transition_given_the_prior_proposes_what_pyabc_s_redraws_would_leaving_the_same_state(scaled):
    """pyabc redraws until the prior's density is positive; the transition given the prior refuses the same
    draws itself: from the same numpy state, the same proposal and the same state after it."""
    priors, X, w = cloud_at_the_edges()
    prior = proposals.Prior(**{p.name: p.rv() for p in priors})
    scales = {p.name: (p.log, p.spread) for p in priors} if scaled else None
    plain, truncated = proposals.Transition(scales=scales), proposals.Transition(scales=scales, prior=prior)
    plain.fit(X, w)
    truncated.fit(X, w)
    redraws = []
    for seed in range(40):
        np.random.seed(seed)
        tries = 1
        theta = plain.rvs()
        while not prior.pdf(theta) > 0:  # pyabc's generate_valid_proposal, with one model
            theta, tries = plain.rvs(), tries + 1
        expected = (dict(theta), np.random.random())
        np.random.seed(seed)
        got = truncated.rvs()
        assert (dict(got), np.random.random()) == expected
        assert prior.pdf(got) > 0
        redraws.append(tries)
    assert max(redraws) > 5  # the refusals were exercised


def test_weights_numpy_refuses_are_still_refused_by_numpy():
    """Weights np.random.choice would refuse (nan here) are drawn by np.random.choice itself: the same error."""
    priors, X, w = cloud_at_the_edges()
    transition = proposals.Transition(scales={p.name: (p.log, p.spread) for p in priors})
    transition.fit(X, w)
    transition.w = np.full(len(w), np.nan)
    transition.ready_draws(X)
    with pytest.raises(ValueError, match="probabilities"):
        transition.rvs()


def test_a_payload_is_loaded_once_per_process_and_judged_the_same():
    import cloudpickle

    calls = []

    def simulate_one():
        calls.append(1)
        return float(np.random.random())

    payload = cloudpickle.dumps(simulate_one)
    first = batches.evaluate((payload, (3, 1), [0, 1, 2]))
    assert batches.loaded(payload) is batches.loaded(payload)
    again = batches.evaluate((payload, (3, 1), [2, 1, 0]))
    assert again == first[::-1]  # each candidate's randomness is its index's
    other = cloudpickle.dumps(lambda: 0.0)
    assert batches.evaluate((other, (3, 1), [0])) == [0.0]  # another generation's payload is loaded afresh


# -- the measures: the same numbers as the pandas formulations they replace ---------------------------------
def reference_yearly_hazards(runs):
    t = pd.to_numeric(runs["months_alive_after_exit"], errors="coerce").to_numpy(float)
    censored = runs["censored"].astype(bool).to_numpy()
    years = int(np.nanmax(t) // 12) + 1 if len(t) and np.isfinite(t).any() else 0
    rows = []
    for y in range(1, years + 1):
        start, end = 12 * (y - 1), 12 * y
        ended = ~censored & (t > start) & (t <= end)
        followed = (t > start) & (~censored | (t >= end))
        at_risk = int(followed.sum())
        rows.append({"year": y, "at_risk": at_risk, "ended": int(ended.sum()),
                     "hazard": float(ended.sum() / at_risk) if at_risk else np.nan})
    return pd.DataFrame(rows, columns=["year", "at_risk", "ended", "hazard"])


def reference_yearly_hazard(runs, first, worst):
    table = reference_yearly_hazards(runs)
    table = table[(table["year"] >= first) & (table["at_risk"] >= statistics.MIN_AT_RISK)]
    if not len(table):
        return np.nan
    return float(table["hazard"].max()) if worst else float(table["ended"].sum() / table["at_risk"].sum())


def reference_retention_gap(runs):
    both = runs[["embedded_retention", "bridge_retention"]].apply(pd.to_numeric, errors="coerce").dropna()
    return float((both["embedded_retention"] - both["bridge_retention"]).mean()) if len(both) else np.nan


def same(a, b) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


def test_life_table_statistics_equal_their_pandas_formulation_number_for_number():
    rng = np.random.default_rng(0)
    for _ in range(400):
        n = int(rng.integers(0, 45))
        t = rng.integers(-5, 70, n).astype(float)
        t[rng.random(n) < 0.1] = np.nan
        runs = pd.DataFrame({"months_alive_after_exit": t, "censored": rng.random(n) < 0.4,
                             "embedded_retention": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
                             "bridge_retention": np.where(rng.random(n) < 0.2, np.nan, rng.random(n))})
        pd.testing.assert_frame_equal(statistics.yearly_hazards(runs), reference_yearly_hazards(runs))
        for first in (1, 2, 3):
            for worst in (False, True):
                assert same(statistics.yearly_hazard(first, worst)(runs), reference_yearly_hazard(runs, first, worst))
        assert same(statistics.retention_gap(runs), reference_retention_gap(runs))
    text = pd.DataFrame({"embedded_retention": ["0.5", "x", "0.25"], "bridge_retention": [0.25, 0.5, 0.0]})
    assert statistics.retention_gap(text) == reference_retention_gap(text) == 0.25  # not numbers: coerced


def test_a_target_measures_only_its_scenario_s_runs():
    from lcsim.calibration import targets

    runs = pd.DataFrame({"scenario": ["default", "mexico-csa", "default"], "share_alive": [0.0, 1.0, 0.5],
                         "communities_ever": [1, 3, 1]})
    share = targets.TARGETS["share_alive"]
    assert share.measure(runs) == 1.0
    assert share.with_scenario("default").measure(runs) == 0.25
    assert share.measure(runs[runs["scenario"] == "mexico-csa"]) == 1.0


def test_observe_runs_the_months_nothing_is_read_in_at_once_with_the_same_result():
    """Past the exit (and the ties' second snapshot) the tracker reads nothing: those months run in one call,
    which gives the model `simulate` gives."""
    import lcsim
    from lcsim.calibration import observe

    params = {"n_members": 25, "months": 40, "exit_month": 14}
    row = observe.observe(5, "default", params)
    assert {k: row[k] for k in lcsim.simulate(seed=5, **params).summary} == lcsim.simulate(seed=5, **params).summary
    assert observe.Tracker(14).months_read(40) == list(range(1, 15))
    assert observe.Tracker(30).months_read(40) == list(range(1, 31))
    assert observe.Tracker(6).months_read(40) == [1, 2, 3, 4, 5, 6, 13]  # the ties at month 1 compared at 13
    assert observe.Tracker(6).months_read(12) == [1, 2, 3, 4, 5, 6]
    params = {"n_members": 25, "months": 40, "exit_month": 6}
    assert {k: observe.observe(5, "default", params)[k] for k in ("bridge_retention", "embedded_retention")} == \
        reference_observe(5, params)


def reference_observe(seed, params):
    """The ties' retention as measured month by month (the tracker reading every month)."""
    from lcsim.calibration import observe
    from lcsim.model.model import LearningCommunity
    from lcsim.simulation import run_months

    model = LearningCommunity(rng=seed, collect=False, **params)
    tracker = observe.Tracker(params["exit_month"], float(model.assumptions.initial_acquaintance))
    for _ in range(params["months"]):
        run_months(model, 1)
        tracker.after_step(model)
    stats = tracker.stats()
    return {k: stats[k] for k in ("bridge_retention", "embedded_retention")}


def test_the_prior_density_is_pyabc_s_number_for_number_on_and_inside_the_supports():
    """`proposals.Prior` computes uniform and log-uniform densities as scipy does (no checks per call): equal
    to pyabc's product of scipy's, bit for bit, inside the supports, on their bounds and a step inside them."""
    import pyabc

    from lcsim.calibration import proposals

    priors = problem.default_priors()
    rvs = {p.name: p.rv() for p in priors}
    fast, slow = proposals.Prior(**rvs), pyabc.Distribution(**rvs)
    assert fast.closed_forms() is not None and {p.dist for p in priors} == {"uniform", "loguniform"}
    rng = np.random.default_rng(1)
    for _ in range(300):
        x = {}
        for p in priors:
            low, high = fast.support()[p.name]
            r = rng.random()
            x[p.name] = low if r < 0.05 else high if r < 0.1 else np.nextafter(high, -np.inf) if r < 0.15 else \
                np.exp(rng.uniform(np.log(low), np.log(high))) if p.log else rng.uniform(low, high)
        a, b = fast.pdf(x), slow.pdf(x)
        assert a == b and type(a) is type(b)
    beta = {"p": problem.Prior("p", "toy", 0, 1, "beta", 2, 3).rv()}
    assert proposals.Prior(**beta).closed_forms() is None  # another kind: scipy's own
    assert proposals.Prior(**beta).pdf({"p": 0.3}) == pyabc.Distribution(**beta).pdf({"p": 0.3})


def test_the_heap_frozen_for_a_run_is_handed_back_even_when_the_run_fails():
    import gc

    from lcsim.calibration import smc

    before = gc.get_freeze_count()
    with smc.frozen_heap():
        assert gc.get_freeze_count() > max(before, 1000)  # the modules' objects, left out of collections
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), smc.frozen_heap():
        raise RuntimeError("a run that fails")
    assert gc.get_freeze_count() == 0


def test_in_this_process_no_candidate_is_evaluated_in_vain(tmp_path):
    """On 1 worker each batch is as many candidates as acceptances still wanted: every candidate evaluated is
    one pyabc counts (none past the population's last accepted one)."""
    from lcsim.calibration import abc

    seen = tmp_path / "seen"  # the simulator runs on a copy (sent cloudpickled): it counts in a file

    toy = problem.toy_problem()
    simulator = toy.simulator

    def counted(pars):
        with open(seen, "a") as fh:
            fh.write(".")
        return simulator(pars)

    counting = problem.Problem(toy.name, toy.priors, counted, toy.targets, info=toy.info)
    post = abc.run_abc(counting, tmp_path / "toy.db", population=30, max_populations=3, seed=4)
    assert len(seen.read_text()) == post.info["simulations"] and post.info["generations"] == 3
