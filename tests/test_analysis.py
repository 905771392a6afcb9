"""Analysis: known answers on synthetic data, then compare/report/analyze end to end.

The statistics are checked on data whose truth is known (exponential survival times with a
known median, a logistic survival curve with a known 50% crossing, the Ishigami function's
known Sobol indices). The end-to-end tests check plumbing only, never model outcomes: the
model is still being calibrated.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lcsim.analysis import survival
from lcsim.analysis.comparison import comparison_table, format_table, mean_interval, plain_reading
from lcsim.analysis.tipping import binned_survival, crossing, tipping_points

HORIZON = 36.0


def exponential_runs(median: float, n: int, rng: np.random.Generator, horizon: float = HORIZON, **columns):
    """Runs whose months alive after exit are exponential with a known median, censored at the horizon."""
    t = rng.exponential(median / math.log(2), n)
    alive = t > horizon
    return pd.DataFrame({
        "months_alive_after_exit": np.minimum(t, horizon), "censored": alive, "survived": alive,
        "error": pd.Series([None] * n, dtype=object), **columns,
    })


def true_survival(median: float, t: float) -> float:
    return math.exp(-math.log(2) * t / median)


# --- survival statistics --------------------------------------------------------------------------

def test_wilson_interval_covers_the_true_probability_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    p, n = 0.3, 60
    successes = rng.binomial(n, p, size=4000)
    _, lo, hi = survival.wilson(successes, np.full(4000, n))
    coverage = np.mean((lo <= p) & (p <= hi))
    assert 0.93 <= coverage <= 0.97
    share, lo, hi = survival.wilson(0, 20)  # no successes: the interval still has width
    assert share == 0 and lo == 0 and 0.1 < hi < 0.2
    assert all(math.isnan(v) for v in survival.wilson(0, 0))


def test_survival_probability_and_kaplan_meier_median_recover_known_values():
    rng = np.random.default_rng(2)
    runs = exponential_runs(median=20.0, n=3000, rng=rng)
    prob = survival.survival_probability(runs).iloc[0]
    truth = true_survival(20.0, HORIZON)  # 0.287
    assert prob["runs"] == 3000
    assert prob["survival_lo"] <= truth <= prob["survival_hi"]
    assert abs(prob["survival"] - truth) < 0.03
    median = survival.median_survival(runs)
    assert median["reached"]
    assert abs(median["median"] - 20.0) < 1.5
    assert median["median_lo"] <= 20.0 <= median["median_hi"]
    assert median["median_hi"] - median["median_lo"] < 5


def test_kaplan_meier_curve_tracks_the_true_survival_function_within_its_band():
    rng = np.random.default_rng(3)
    curve = survival.survival_curve(exponential_runs(median=15.0, n=1500, rng=rng))
    assert curve["month"].iloc[0] == 0 and curve["survival"].iloc[0] == 1
    assert curve["month"].iloc[-1] == HORIZON
    assert (curve["survival"].diff().dropna() <= 1e-12).all()  # a survival curve never rises
    assert ((curve["lower"] <= curve["survival"] + 1e-12) & (curve["survival"] <= curve["upper"] + 1e-12)).all()
    assert curve[["lower", "upper"]].stack().between(0, 1).all()
    for t in (5.0, 15.0, 30.0):
        step = curve[curve["month"] <= t].iloc[-1]
        truth = true_survival(15.0, t)
        assert abs(step["survival"] - truth) < 0.04
        assert step["lower"] - 0.01 <= truth <= step["upper"] + 0.01


def test_median_not_reached_when_most_communities_outlive_the_horizon():
    rng = np.random.default_rng(4)
    runs = exponential_runs(median=80.0, n=400, rng=rng)
    median = survival.median_survival(runs)
    assert not median["reached"] and math.isnan(median["median"])
    assert median["horizon"] == HORIZON
    everyone = runs.assign(censored=True, survived=True, months_alive_after_exit=HORIZON)
    assert not survival.median_survival(everyone)["reached"]
    # nothing dissolved: there is nothing for a log-rank test to compare
    assert math.isnan(survival.logrank(everyone, pd.Series(["a", "b"] * 200, index=everyone.index))["p"])


def test_alive_after_a_common_follow_up_counts_later_dissolutions_as_alive():
    runs = pd.DataFrame({"months": 84, "exit_month": [12, 12, 12, 48, 48],
                         "survived": [True, False, False, True, False],
                         "months_alive_after_exit": [72, 40, 36, 36, 10],
                         "censored": [True, False, False, True, False]})
    assert survival.common_follow_up(runs) == (36.0, 72.0)
    # dissolved 40 months after exit: alive at 36; dissolved at 36 exactly: not alive at 36
    assert survival.alive_after(runs, 36).tolist() == [True, True, False, True, False]
    with pytest.raises(ValueError, match="fewer than 40"):
        survival.alive_after(runs, 40)


def test_failed_runs_are_left_out_of_every_statistic():
    rng = np.random.default_rng(5)
    runs = exponential_runs(median=20.0, n=100, rng=rng)
    broken = runs.iloc[:10].assign(survived=False, censored=False, months_alive_after_exit=0.0,
                                   error="ValueError: boom")
    both = pd.concat([runs, broken], ignore_index=True)
    assert survival.survival_probability(both).iloc[0]["runs"] == 100
    assert survival.median_survival(both) == survival.median_survival(runs)


def test_log_rank_separates_different_curves_and_not_identical_ones():
    rng = np.random.default_rng(6)
    same = pd.concat([exponential_runs(20.0, 300, rng, arm="a"), exponential_runs(20.0, 300, rng, arm="b")],
                     ignore_index=True)
    apart = pd.concat([exponential_runs(10.0, 300, rng, arm="a"), exponential_runs(30.0, 300, rng, arm="b")],
                      ignore_index=True)
    assert survival.logrank(same, same["arm"])["p"] > 0.01
    assert survival.logrank(apart, apart["arm"])["p"] < 1e-6


# --- the comparison table -------------------------------------------------------------------------

STRATEGY_MEDIANS = {"stay": 400.0, "phase_out": 12.0, "phase_down": 18.0, "phase_over": 40.0}


def synthetic_comparison(n: int = 400, digital: bool = False, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for setting in ([False, True] if digital else [False]):
        for strategy, median in STRATEGY_MEDIANS.items():
            part = exponential_runs(median * (1.5 if setting else 1.0), n, rng, exit_strategy=strategy,
                                    digital_channel=setting)
            part["active_members"] = rng.poisson(30 if strategy != "phase_out" else 10, n)
            part["leaders"] = rng.poisson(2, n)
            part["cross_sector_share"] = rng.uniform(0.2, 0.6, n)
            part["local_hosting_share"] = rng.uniform(0.0, 1.0, n)
            part["replications"] = rng.poisson(0.5, n)
            parts.append(part)
    runs = pd.concat(parts, ignore_index=True)
    runs["exit_strategy"] = runs["exit_strategy"].astype("str")  # pandas 3 string columns, as Parquet returns
    return runs


def test_comparison_table_gives_each_strategy_its_known_survival_and_tests_it_against_phase_out():
    runs = synthetic_comparison()
    table = comparison_table(runs)
    assert list(table["exit_strategy"]) == ["stay", "phase_out", "phase_down", "phase_over"]
    for row in table.itertuples():
        truth = true_survival(STRATEGY_MEDIANS[row.exit_strategy], HORIZON)
        assert row.survival_lo <= truth <= row.survival_hi
    out = table.set_index("exit_strategy")
    assert math.isnan(out.loc["phase_out", "logrank_p"]) and math.isnan(out.loc["phase_out", "difference"])
    assert out.loc["phase_over", "logrank_p"] < 1e-6
    gap = true_survival(40.0, HORIZON) - true_survival(12.0, HORIZON)
    assert out.loc["phase_over", "difference_lo"] <= gap <= out.loc["phase_over", "difference_hi"]
    assert out.loc["phase_out", "reached"] and abs(out.loc["phase_out", "median"] - 12.0) < 2.5
    assert not out.loc["stay", "reached"]
    assert out.loc["phase_out", "active_members_lo"] <= 10 <= out.loc["phase_out", "active_members_hi"]
    text = format_table(table)
    assert "phase_over" in text and "survival (95% CI)" in text and "members" in text
    reading = " ".join(plain_reading(table, horizon_after_exit=HORIZON))
    assert "handing over (phase_over) keeps about" in reading.lower() and "abrupt exit (phase_out) about" in reading


def test_comparison_with_and_without_the_digital_channel_tests_each_setting_separately():
    runs = synthetic_comparison(n=200, digital=True)
    table = comparison_table(runs)
    assert len(table) == 8 and "digital_channel" in table.columns
    assert table.groupby("digital_channel")["exit_strategy"].apply(list).map(len).tolist() == [4, 4]
    by_arm = table.set_index(["exit_strategy", "digital_channel"])
    for setting in (False, True):
        arm = runs[(runs["exit_strategy"] == "phase_over") & (runs["digital_channel"] == setting)]
        ref = runs[(runs["exit_strategy"] == "phase_out") & (runs["digital_channel"] == setting)]
        pair = pd.concat([arm, ref])
        expected = survival.logrank(pair, pair["exit_strategy"])["p"]
        assert by_arm.loc[("phase_over", setting), "logrank_p"] == pytest.approx(expected)
    assert "+ digital" in format_table(table)
    assert any(s.startswith("With a digital channel") for s in plain_reading(table))


def test_mean_interval_covers_the_mean_and_handles_constant_values():
    rng = np.random.default_rng(8)
    mean, lo, hi = mean_interval(pd.Series(rng.normal(5.0, 2.0, 500)))
    assert lo < 5.0 < hi and abs(mean - 5.0) < 0.3
    assert mean_interval(pd.Series([3, 3, 3])) == (3.0, 3.0, 3.0)


# --- tipping points -------------------------------------------------------------------------------

def logistic_sweep(center: float, scale: float, n: int, rng, low=0.0, high=60.0, **columns) -> pd.DataFrame:
    x = rng.uniform(low, high, n)
    p = 1 / (1 + np.exp(-(x - center) / scale))
    return pd.DataFrame({"exit_month": x, "survived": rng.random(n) < p, **columns})


def test_tipping_point_finds_a_known_crossing_with_an_interval_that_covers_it():
    rng = np.random.default_rng(9)
    runs = logistic_sweep(30.0, 5.0, 2000, rng)
    row = crossing(runs, "exit_month")
    assert row["method"] == "logistic" and row["slope"] > 0
    assert abs(row["crossing"] - 30.0) < 1.5
    assert row["crossing_lo"] <= 30.0 <= row["crossing_hi"]
    assert row["crossing_hi"] - row["crossing_lo"] < 4
    assert "rises above 50%" in row["reading"]
    falling = runs.assign(survived=~runs["survived"])
    row = crossing(falling, "exit_month")
    assert row["slope"] < 0 and row["crossing_lo"] <= 30.0 <= row["crossing_hi"]


def test_tipping_points_per_strategy_find_each_strategys_own_crossing():
    rng = np.random.default_rng(10)
    runs = pd.concat([
        logistic_sweep(20.0, 4.0, 1500, rng, exit_strategy="phase_over", control=rng.choice([0.2, 0.8], 1500)),
        logistic_sweep(40.0, 4.0, 1500, rng, exit_strategy="phase_out", control=rng.choice([0.2, 0.8], 1500)),
    ], ignore_index=True)
    table = tipping_points(runs, ["exit_month", "exit_strategy", "control"]).set_index("within")
    # control has two values: a choice to stratify by, not a line to find a crossing along
    assert set(table["parameter"]) == {"exit_month"}
    over = table.loc["exit_strategy=phase_over, control=0.2"]
    out = table.loc["exit_strategy=phase_out, control=0.8"]
    assert over["crossing_lo"] <= 20.0 <= over["crossing_hi"]
    assert out["crossing_lo"] <= 40.0 <= out["crossing_hi"]


def test_tipping_point_outside_the_range_or_without_trend_is_not_reported_as_a_value():
    rng = np.random.default_rng(11)
    high = logistic_sweep(-20.0, 5.0, 600, rng)  # survival near 100% over 0..60
    row = crossing(high, "exit_month")
    assert math.isnan(row["crossing"]) and "above" in row["reading"]
    flat = pd.DataFrame({"exit_month": rng.uniform(0, 60, 600), "survived": rng.random(600) < 0.5})
    row = crossing(flat, "exit_month")
    assert math.isnan(row["crossing"]) or row["slope_p"] < 0.05


def test_tipping_point_with_perfect_separation_falls_back_to_binned_estimates():
    grid = np.repeat(np.arange(10.0, 60.0, 5.0), 40)
    runs = pd.DataFrame({"exit_month": grid, "survived": grid > 32})
    row = crossing(runs, "exit_month")
    assert row["method"].startswith("binned")
    assert row["crossing_lo"] <= 32.5 <= row["crossing_hi"] and row["crossing_lo"] == 30 and row["crossing_hi"] == 35
    binned = binned_survival(runs, "exit_month")
    assert len(binned) == 10 and binned["runs"].eq(40).all()


# --- sensitivity through the sweep engine and `lcsim analyze` --------------------------------------
#
# The model is swapped for a function with known indices (the sweep engine's worker calls
# `simulate`; tests may patch it). Three float parameters stand in for the function's inputs:
# each is mapped linearly from its range onto the function's domain, which leaves every index
# unchanged. Everything else is the real plumbing: the engine's SALib sampler and manifest,
# Parquet parts, `load_results`, and `lcsim analyze`.

STAND_INS = {"control": (0.0, 1.0), "complementarity": (0.0, 1.0), "homophily": (0.2, 0.9)}


class KnownFunction:
    """What `simulate` returns, for a function of the stand-in parameters scaled to [0, 1]."""

    def __init__(self, function, noise: float = 0.0):
        self.function, self.noise = function, noise

    def __call__(self, seed, scenario, **params):
        u = np.array([(params[n] - lo) / (hi - lo) for n, (lo, hi) in STAND_INS.items()])
        value = float(self.function(u)) + np.random.default_rng(seed).normal(0.0, self.noise)
        summary = {"survived": value > 0, "months_alive_after_exit": value, "censored": value > 0}
        return type("Result", (), {"summary": summary, "monthly": pd.DataFrame({"month": [0]})})()


def ishigami(u, a=7.0, b=0.1):
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[0]) + a * np.sin(x[1]) ** 2 + b * x[2] ** 4 * np.sin(x[0])


def known_sweep(tmp_path, monkeypatch, design: dict, function, noise=0.0) -> Path:
    import lcsim
    import lcsim.experiments.worker as worker

    monkeypatch.setattr(worker, "simulate", KnownFunction(function, noise))
    experiment = {"name": f"known-{design['design']}", "root_seed": 11, "fixed": {"n_members": 30},
                  "vary": {n: list(r) for n, r in STAND_INS.items()}, **design}
    out = tmp_path / design["design"]
    lcsim.sweep(experiment, out, workers=1, progress=False)
    return out


def analyze(folder, capsys) -> str:
    from lcsim.cli import main

    assert main(["analyze", str(folder)]) == 0
    return capsys.readouterr().out


def test_sobol_indices_of_the_ishigami_function_come_back_through_sweep_and_analyze(tmp_path, monkeypatch, capsys):
    # Two replicates with noise per seed: the analysis must average replicates in design order.
    folder = known_sweep(tmp_path, monkeypatch, {"design": "sobol", "samples": 1024, "replicates": 2}, ishigami,
                         noise=0.2)
    printed = analyze(folder, capsys)
    assert "## Sensitivity" in printed and "Sobol indices" in printed
    table = pd.read_csv(folder / "analysis" / "sensitivity.csv")
    ishi = table[table["output"] == "months_alive_after_exit"].set_index("parameter").loc[list(STAND_INS)]
    assert ishi["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.05)
    assert ishi["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.05)
    assert (ishi["S1_conf"] > 0).all() and (ishi["S1_conf"] < 0.1).all()
    assert (folder / "analysis" / "sensitivity.png").stat().st_size > 10_000


def test_morris_indices_of_a_linear_function_come_back_through_sweep_and_analyze(tmp_path, monkeypatch, capsys):
    # y = 3 u1 + u2 (u scaled to [0, 1]): every elementary effect is the coefficient, so mu* = (3, 1, 0), sigma = 0.
    folder = known_sweep(tmp_path, monkeypatch, {"design": "morris", "samples": 10, "replicates": 1},
                         lambda u: 3 * u[0] + u[1])
    analyze(folder, capsys)
    table = pd.read_csv(folder / "analysis" / "sensitivity.csv")
    linear = table[table["output"] == "months_alive_after_exit"].set_index("parameter").loc[list(STAND_INS)]
    assert linear["mu_star"].to_numpy() == pytest.approx([3.0, 1.0, 0.0], abs=1e-6)
    assert linear["sigma"].to_numpy() == pytest.approx([0.0, 0.0, 0.0], abs=1e-6)
    summary = (folder / "analysis" / "summary.md").read_text()
    assert "Morris screening" in summary and "Most influential: control, complementarity, homophily" in summary


def test_a_sweep_with_missing_design_points_is_refused_for_sensitivity():
    from lcsim.analysis.sensitivity import SensitivityError, sensitivity

    manifest = {"design": "sobol", "points": 8, "problem": {"num_vars": 2, "names": ["a", "b"],
                                                            "bounds": [[0, 1], [0, 1]]}}
    runs = pd.DataFrame({"point": range(7), "replicate": 0, "survived": [True, False] * 3 + [True],
                         "months_alive_after_exit": range(7), "error": None})
    with pytest.raises(SensitivityError, match="1 design point"):
        sensitivity(runs, manifest)
    with pytest.raises(SensitivityError, match="no sensitivity analysis"):
        sensitivity(runs, {**manifest, "design": "grid"})
    import lcsim

    assert issubclass(SensitivityError, lcsim.LcsimError)  # so the CLI prints it as one line


# --- end to end on the real model: compare, report, analyze -----------------------------------------
# Plumbing only: the model is being recalibrated, so no outcome is asserted.

SMALL = ["--replicates", "6", "--set", "n_members=30", "--set", "months=30", "--set", "exit_month=15",
         "--set", "transition_months=6", "--workers", "2"]
PNG = b"\x89PNG\r\n\x1a\n"


def test_compare_prints_the_table_and_writes_csv_and_figures_and_resumes(tmp_path, capsys):
    from lcsim.cli import main

    out = tmp_path / "cmp"
    assert main(["compare", *SMALL, "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "survival (95% CI)" in printed.out and "log-rank p" in printed.out and "local hosting" in printed.out
    for strategy in ("stay", "phase_out", "phase_down", "phase_over"):
        assert strategy in printed.out
    assert "keeps about" in printed.out
    assert "24 runs ran" in printed.err
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["exit_strategy"]) == ["stay", "phase_out", "phase_down", "phase_over"]
    assert (table["runs"] == 6).all()
    for column in ("survival", "survival_lo", "survival_hi", "median", "median_lo", "median_hi", "logrank_p",
                   "difference", "active_members", "leaders", "cross_sector_share", "local_hosting_share",
                   "replications"):
        assert column in table.columns
    assert ((table["survival_lo"] <= table["survival"]) & (table["survival"] <= table["survival_hi"])).all()
    for name in ("survival.png", "survival_curves.png", "outcomes.png"):
        assert (out / name).read_bytes()[:8] == PNG
    # The same command again resumes the same sweep instead of running it twice.
    assert main(["compare", *SMALL, "--out", str(out)]) == 0
    again = capsys.readouterr()
    assert "0 runs ran, 24 resumed" in again.err
    # The library call with the same settings is the same comparison: it resumes the CLI's runs and
    # gives what the CLI printed and wrote.
    import lcsim

    comparison = lcsim.compare(replicates=6, overrides={"n_members": 30, "months": 30, "exit_month": 15,
                                                        "transition_months": 6}, workers=2, out=out, progress=False)
    assert isinstance(comparison, lcsim.Comparison)
    assert [p.name for p in (out / "runs").iterdir()] == [comparison.runs_dir.name]
    assert comparison.text() in again.out and comparison.reading()[0] in again.out
    assert comparison.horizon == 15 and comparison.failed == 0 and len(comparison.runs) == 24
    pd.testing.assert_frame_equal(comparison.table[table.columns].round(6), table.round(6), check_dtype=False)
    assert comparison.command("compare") == ("lcsim compare --scenario default --replicates 6 --set n_members=30 "
                                             "--set months=30 --set exit_month=15 --set transition_months=6")
    elsewhere = tmp_path / "notebook"
    assert comparison.write(elsewhere) == ["comparison.csv", "survival.png", "survival_curves.png", "outcomes.png"]
    assert (elsewhere / "comparison.csv").read_bytes() == (out / "comparison.csv").read_bytes()


def test_report_is_one_self_contained_html_file(tmp_path, capsys):
    from lcsim import __version__
    from lcsim.cli import main

    out = tmp_path / "rep"
    assert main(["report", *SMALL, "--digital", "both", "--strategies", "phase_out", "phase_over",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("src='data:image/png;base64,") == 3
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered and "<script" not in lowered
    assert "<link" not in lowered  # nothing to fetch: styles are inline
    # the reading names both arms, the better first ("keeps about"), whichever it is in this small run
    assert {"handing over (phase_over) keeps about", "abrupt exit (phase_out) keeps about"} & {
        phrase for phrase in ("handing over (phase_over) keeps about", "abrupt exit (phase_out) keeps about")
        if phrase in lowered}
    assert "handing over (phase_over)" in lowered and "abrupt exit (phase_out)" in lowered
    assert "With a digital channel" in html and "phase_over + digital" in html
    assert "docs/model.md" in html and f"lcsim {__version__}" in html
    assert "root seed" in html and "6 times" in html
    assert "<code>n_members</code>" in html and "n_members=30" in html
    assert "lcsim report --scenario default --replicates 6 --strategies phase_out phase_over --digital both" in html
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 4 and set(table["digital_channel"]) == {False, True}


def test_analyze_writes_heatmaps_tipping_points_and_a_summary_for_a_grid_sweep(tmp_path, capsys):
    import lcsim

    experiment = {"name": "tiny-timing", "design": "grid", "replicates": 3, "root_seed": 5,
                  "fixed": {"n_members": 30, "months": 36, "transition_months": 3},
                  "vary": {"exit_month": [6, 12, 18], "control": [0.2, 0.8],
                           "exit_strategy": ["phase_out", "phase_over"]}}
    folder = tmp_path / "timing"
    lcsim.sweep(experiment, folder, workers=2, progress=False)
    printed = analyze(folder, capsys)
    written = {p.name for p in (folder / "analysis").iterdir()}
    assert {"heatmaps.png", "tipping-exit_month.png", "tipping_points.csv", "survival_by_setting.csv",
            "survival_by_point.csv", "survival_by_exit_strategy.csv", "summary.md"} <= written
    assert "sensitivity.csv" not in written  # a grid has no SALib problem
    assert (folder / "analysis" / "heatmaps.png").read_bytes()[:8] == PNG
    tipping = pd.read_csv(folder / "analysis" / "tipping_points.csv")
    assert set(tipping["parameter"]) == {"exit_month"} and len(tipping) == 4  # per strategy and control
    by_strategy = pd.read_csv(folder / "analysis" / "survival_by_exit_strategy.csv")
    assert set(by_strategy["parameter"]) == {"exit_month", "control"}
    assert (by_strategy.groupby("exit_strategy")["runs"].sum() == 2 * 18).all()  # each run once per parameter
    assert "## Survival by exit_strategy and each varied value" in printed
    points = pd.read_csv(folder / "analysis" / "survival_by_point.csv")
    assert len(points) == 12 and (points["runs"] == 3).all()
    assert "## Tipping points" in printed and "## Survival at each design point" in printed
    # exit_month varies while months is fixed: survival is counted at the follow-up every run had
    assert "Runs were followed for 18 to 30 months" in printed and "alive 18 months after the exit" in printed
    assert lcsim.load_results(folder).shape[0] == 36  # analysis files never disturb the results
    # The library gives the same analysis without writing anything until asked.
    analysis = lcsim.analyze(folder)
    assert isinstance(analysis, lcsim.Analysis) and analysis.written == []
    assert analysis.summary == (folder / "analysis" / "summary.md").read_text(encoding="utf-8")
    assert set(analysis.files) == written and set(analysis.tables) | set(analysis.figures) == written - {"summary.md"}
    assert {p.name for p in (folder / "analysis").iterdir()} == written
    pd.testing.assert_frame_equal(analysis.tables["survival_by_point.csv"].reset_index(drop=True).round(6),
                                  points.round(6), check_dtype=False)
    assert analysis.write(tmp_path / "again") == analysis.files
    assert (tmp_path / "again" / "summary.md").read_text(encoding="utf-8") == analysis.summary


def test_analyze_refuses_a_folder_that_is_not_a_sweep_in_one_line(tmp_path, capsys):
    from lcsim.cli import main

    assert main(["analyze", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lcsim analyze: error:") and "manifest.json" in err and "\n" not in err


def test_compare_refuses_setting_what_it_varies(tmp_path, capsys):
    from lcsim.cli import main

    assert main(["compare", "--set", "exit_strategy=stay", "--out", str(tmp_path / "x")]) == 2
    assert "use --strategies instead" in capsys.readouterr().err
    assert main(["compare", "--scenario", "nowhere", "--out", str(tmp_path / "x")]) == 2
    assert "scenario 'nowhere' is unknown" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_tipping_point_along_a_geometric_grid_is_found_on_the_log_scale():
    rng = np.random.default_rng(12)
    sizes = np.repeat([20.0, 40.0, 80.0, 160.0, 320.0, 640.0], 300)
    p = 1 / (1 + np.exp(-2.0 * (np.log(sizes) - np.log(100.0))))
    runs = pd.DataFrame({"n_members": sizes, "survived": rng.random(len(sizes)) < p})
    row = crossing(runs, "n_members")
    assert row["scale"] == "log"
    assert row["crossing_lo"] <= 100.0 <= row["crossing_hi"]
    assert abs(math.log(row["crossing"] / 100.0)) < 0.15
    assert row["crossing_lo"] < row["crossing"] < row["crossing_hi"]


# --- the tables everything reads: outcomes and strategies --------------------------------------------

def test_the_outcomes_table_describes_every_summary_key():
    import lcsim
    from lcsim.outcomes import KINDS, OUTCOMES

    summary = lcsim.simulate(seed=1, n_members=20, months=12, exit_month=6).summary
    assert set(summary) <= set(OUTCOMES), set(summary) - set(OUTCOMES)
    for name, outcome in OUTCOMES.items():
        assert outcome.name == name and outcome.label and outcome.kind in KINDS, name
        low, high = outcome.bounds
        assert low < high, name
        if outcome.kind in ("share", "bool"):
            assert outcome.bounds == (0.0, 1.0), name
        assert not outcome.percent or outcome.kind in ("share", "bool"), name
        value = summary.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:  # NaN: undefined
            assert low <= value <= high, (name, value)
    assert OUTCOMES["reached_max_members"].kind == "bool"
    assert OUTCOMES["survived"].mean_words == "survival probability"


def test_tables_and_figures_take_labels_from_the_outcomes_table_and_strategies_from_theirs(monkeypatch):
    from lcsim import outcomes, strategies
    from lcsim.analysis import comparison as comparing

    table = pd.DataFrame({"exit_strategy": ["phase_over", "phase_out"], "survived": [True, False],
                          "months_alive_after_exit": [10, 4], "censored": [True, False],
                          "active_members": [10, 0], "leaders": [1, 0], "cross_sector_share": [0.4, 0.0],
                          "local_hosting_share": [0.5, 0.0], "replications": [0, 0]})
    monkeypatch.setitem(outcomes.OUTCOMES, "leaders", outcomes.Outcome("leaders", "local champions", "count"))
    monkeypatch.setitem(strategies.WORDS, "phase_over", "a relay (phase_over)")
    result = comparison_table(pd.concat([table] * 3, ignore_index=True))
    assert list(result["exit_strategy"]) == ["phase_out", "phase_over"]  # the canonical order
    assert "local champions" in format_table(result)
    assert any("A relay (phase_over)" in s or "a relay (phase_over)" in s for s in plain_reading(result))
    assert comparing.WORDS is strategies.WORDS


def test_no_analysis_or_cli_module_keeps_its_own_strategy_words_colours_or_order():
    from pathlib import Path

    import lcsim
    from lcsim.strategies import STRATEGIES

    root = Path(lcsim.__file__).parent
    for path in [*(root / "analysis").rglob("*.py"), *(root / "studies").rglob("*.py"),
                 *(root / "cli").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for strategy in STRATEGIES.values():
            assert strategy.colour not in text.lower() and strategy.words not in text, (path.name, strategy.name)
            assert strategy.definition not in " ".join(text.split()), (path.name, strategy.name)
        assert "enumerate(EXIT_STRATEGIES)" not in text, path.name


# --- the library's own checks, and output folders refused before anything runs ---------------------

@pytest.mark.parametrize("kwargs, words", [
    ({"strategies": ["phase-out"]}, ["'exit_strategy'", "'phase-out'", "did you mean 'phase_out'"]),
    ({"replicates": 0}, ["replicates", "at least 1"]),
    ({"digital": "maybe"}, ["digital", "'maybe'", "off, on, both"]),
    ({"overrides": {"contrl": 0.3}}, ["unknown parameter 'contrl'"]),
    ({"overrides": {"assumptions.engagement_rate": 3.0}}, ["assumption 'engagement_rate'", "[0.1, 2]"]),
    ({"scenario": "nowhere"}, ["scenario 'nowhere' is unknown"]),
])
def test_compare_checks_its_arguments_before_any_run(tmp_path, kwargs, words):
    import lcsim

    with pytest.raises(lcsim.ParameterError) as err:
        lcsim.compare(out=tmp_path / "x", progress=False, **kwargs)
    for word in words:
        assert word in str(err.value)
    assert not (tmp_path / "x").exists()


def tiny_sweep(folder):
    import lcsim

    experiment = {"name": "tiny", "design": "grid", "replicates": 1, "root_seed": 3,
                  "fixed": {"n_members": 20, "months": 12, "exit_month": 6}, "vary": {"control": [0.2, 0.8]}}
    lcsim.sweep(experiment, folder, workers=1, progress=False)
    return folder


@pytest.mark.parametrize("command", ["compare", "report", "analyze"])
def test_an_output_folder_under_a_file_is_refused_in_one_line_and_nothing_is_written(tmp_path, capsys, command):
    from lcsim.cli import main

    afile = tmp_path / "afile"
    afile.write_text("keep me\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    if command == "analyze":
        folder = tiny_sweep(tmp_path / "sweep")
        before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
        argv = ["analyze", str(folder), "--out", str(afile / "analysis")]
    else:
        argv = [command, *SMALL, "--out", str(afile / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"lcsim {command}: error: output folder") and "is a file" in err and "\n" not in err
    assert afile.read_text() == "keep me\n"
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) if command == "analyze" else \
        sorted(p.name for p in tmp_path.iterdir())
    assert after == before
