"""Pattern-oriented validation (docs/validation.md, `lcsim.validation`): the patterns of the case
and the practice literature, each as a fast test (few seeds, run by default) and a full one (the
validation experiments, hundreds of seeds: `pytest -m validation`, through the package's patterns).

Fast tests pair arms on seeds (tests/paired_runs.py, shared with tests/test_mechanisms.py): seed s
draws the same initial community in every arm, so the arms differ only by the mechanism, and a sign
test on the runs where only one arm survived has the power to see it with few runs. Their thresholds
are wider than the full criteria: they guard the direction of each pattern; the full tests and
`lcsim validate` carry the measured claims. Mechanism checks (brokering, control, stay, the channel
after an abrupt exit, handover growing leaders) live in tests/test_mechanisms.py.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd
import pytest
from paired_runs import assert_survives_more, outcome, sign_test
from scipy.stats import wilcoxon
from statsmodels.stats.proportion import proportion_confint

from lcsim.analysis.sensitivity import oat
from lcsim.assumptions import TABLE
from lcsim.errors import UsageError
from lcsim.parameters import SCHEMA
from lcsim.validation import PATTERNS, Context, Verdict, measure, members, paired, patterns, validate
from lcsim.validation.leaders import run_leaders


# -- P1: the case's community mostly survives and sometimes replicates --------------------------
def test_p1_fast_the_case_community_mostly_survives_and_some_runs_replicate():
    seeds = range(40)
    survived = outcome("survived", seeds, scenario="mexico-csa")
    low, high = proportion_confint(int(survived.sum()), len(survived), method="wilson")
    assert low > 0.25, f"survival {survived.mean():.2f}: too rare for the case's outcome"
    assert high > 0.5, f"survival {survived.mean():.2f}: not even consistent with 'mostly'"
    replications = outcome("replications", seeds, scenario="mexico-csa")
    convened = outcome("communities_ever", seeds, scenario="mexico-csa") - replications
    assert (replications > 0).any()  # some runs replicate ...
    # ... below the savings-group upper reference of about two new groups per group (docs/sources.md)
    assert (replications / convened).mean() < 2.0


# -- P2: leaders emerge, but unpredictably --------------------------------------------------------
def leaders_in(seed: int, dynamics: int) -> tuple[set, int | None, np.ndarray]:
    """Community `seed` run under dynamics seed `dynamics` (pattern P2's run): the initial members
    who ever led, the first one to lead, and the members' leadership propensity."""
    run = run_leaders(({}, seed, dynamics))
    return set(run["leaders"]), run["first"], run["propensity"]


def test_p2_fast_the_same_community_grows_different_leaders_from_the_prone_tail():
    jaccards, top_shares = [], []
    for seed in range(4):
        runs = [leaders_in(seed, 1000 + k) for k in range(6)]
        sets = [r[0] for r in runs]
        assert all(sets), "every run should grow at least one leader"
        jaccards += [len(a & b) / len(a | b) for a, b in itertools.combinations(sets, 2)]
        firsts = [r[1] for r in runs]
        assert len(set(firsts)) > 1, "the same member led first in every run"
        propensity = runs[0][2]
        top = set(np.argsort(propensity)[-len(propensity) // 10:].tolist())
        top_shares += [x in top for s in sets for x in s]
    assert np.mean(jaccards) < 0.5  # unpredictable: two runs share fewer than half their leaders
    assert 0.1 < np.mean(top_shares) < 0.9  # from the prone tail (0.1 if random), but not only its top


# -- P3: the digital channel raises survival ------------------------------------------------------
def test_p3_fast_the_digital_channel_raises_survival_where_communities_are_at_risk():
    # P3's criterion is set on the case's scenario (docs/validation.md); a fast sample guards the mechanism
    # where there is a gap to fill. Since members learn the convener's hosting routine in proportion to its
    # control (docs/model.md 8 (f)), default communities (control 0.5) outlive an abrupt exit in about 0.99 of
    # runs and `fragile` ones in none: no discordant pairs either way. A hands-off convener (control 0)
    # teaches no routine, so about half its communities die after an abrupt exit: there the channel can show.
    seeds = range(60)
    with_channel = outcome("survived", seeds, control=0.0, digital_channel=True)
    without = outcome("survived", seeds, control=0.0, digital_channel=False)
    assert 0.2 < without.mean() < 0.8, f"survival {without.mean():.2f} without the channel: no longer at risk"
    assert_survives_more(with_channel, without)


# -- P4: value from complementary differences ------------------------------------------------------
def test_p4_fast_alike_members_form_fewer_cross_sector_ties_and_fewer_communities_survive():
    seeds = range(30)
    # The cross-sector share at the exit month, while every community is still convened.
    share = {c: outcome("cross_sector_share", seeds, month="exit", complementarity=c) for c in (0.2, 0.7)}
    assert share[0.7].mean() > share[0.2].mean()
    assert wilcoxon(share[0.7], share[0.2], alternative="greater").pvalue < 0.01
    # The survival gap is a few points since communities became programmes (issue 12; docs/validation.md):
    # too small for a fast sample to show beyond noise, so the full test carries that claim; a fast
    # sample guards its direction.
    wins, losses, _ = sign_test(outcome("survived", seeds, complementarity=0.7),
                                outcome("survived", seeds, complementarity=0.2))
    assert wins > losses, f"alike members' communities survived as often: {wins} for, {losses} against"


# -- P5-P7: who takes part, who hosts, which ties last (issue 20 item 8) -----------------------------------
@functools.cache
def observed(seeds: range, **assumptions) -> pd.DataFrame:
    """Default-scenario runs observed month by month (attendance per member, ties a year apart)."""
    from lcsim.calibration.observe import observe_runs

    return observe_runs("default", seeds, assumptions=assumptions or None)


def test_p5_fast_most_members_attend_little_and_not_without_lasting_availability():
    seeds = range(8)
    base, off = observed(seeds), observed(seeds, availability_shape=0.0)
    assert base["low_attender_share"].mean() > 0.3 and 0.1 < base["high_attender_share"].mean() < 0.5
    assert off["low_attender_share"].mean() < 0.2  # the knock-out: everyone available, most come to most meetings
    assert wilcoxon(base["low_attender_share"], off["low_attender_share"], alternative="greater").pvalue < 0.01


def test_p6_fast_hosting_rotates_after_the_exit_and_concentrates_without_host_fatigue():
    seeds = range(10)
    base, off = observed(seeds), observed(seeds, host_fatigue=0.0)
    top, top_off = base["top_host_share_after_exit"], off["top_host_share_after_exit"]
    assert top.mean() < 0.4, f"the most frequent post-exit host held {top.mean():.2f} of the meetings"
    assert top_off.mean() > top.mean() + 0.1
    assert wilcoxon(top_off, top, alternative="greater").pvalue < 0.05


def test_p7_fast_bridges_fade_faster_than_embedded_ties_and_slower_without_weighted_renewal():
    seeds = range(10)
    base, off = observed(seeds), observed(seeds, renewal_weighting=0.0)
    assert (base["embedded_retention"] - base["bridge_retention"]).mean() > 0.2
    assert base["bridge_retention"].mean() < 0.45  # wider than the full criterion (0.35): few seeds
    assert wilcoxon(off["bridge_retention"], base["bridge_retention"], alternative="greater").pvalue < 0.05


def test_the_member_patterns_fail_when_their_criterion_is_not_met():
    even = pd.DataFrame({"low_attender_share": [0.1] * 20, "high_attender_share": [0.6] * 20, "participants": 100})
    uneven = even.assign(low_attender_share=0.4, high_attender_share=0.25)
    assert members.assess_p5(uneven).passed and not members.assess_p5(even).passed
    rotating = pd.DataFrame({"top_host_share_after_exit": [0.25, 0.3, 0.35] * 10, "meetings_after_exit": 12})
    assert members.assess_p6(rotating).passed
    assert not members.assess_p6(rotating.assign(top_host_share_after_exit=[0.3, 0.4, 0.5] * 10)).passed
    ties = pd.DataFrame({"bridge_retention": [0.2, 0.3] * 10, "embedded_retention": [0.7, 0.8] * 10})
    assert members.assess_p7(ties).passed
    assert not members.assess_p7(ties.assign(bridge_retention=[0.45, 0.5] * 10)).passed  # bridges last
    assert not members.assess_p7(ties.assign(embedded_retention=[0.3, 0.4] * 10)).passed  # no longer than bridges


# -- L1: gradual or handover exits beat an abrupt one (Rogers & Coates 2015) ------------------------
def test_l1_fast_a_handover_beats_an_abrupt_exit():
    # Under a hands-off convener (control 0), where about half the communities die after an abrupt exit (see
    # the P3 fast test for why not the default): on default nearly every run survives either way.
    seeds = range(60)
    out = outcome("survived", seeds, control=0.0, exit_strategy="phase_out")
    assert 0.2 < out.mean() < 0.8, f"survival {out.mean():.2f} after an abrupt exit: no longer at risk"
    assert_survives_more(outcome("survived", seeds, control=0.0, exit_strategy="phase_over"), out)


def test_l1_fast_a_taper_hands_over_and_does_no_worse_than_an_abrupt_exit():
    # The taper's survival gain is modest (+0.10 at 400 pairs, docs/validation.md): too small for a
    # fast sample to show, so the full test carries that claim. What a fast sample can see is the
    # mechanism, more local leaders when the convener leaves, and survival not reversed.
    seeds = range(100)
    down = outcome("leaders", seeds, month=36, exit_strategy="phase_down")
    out = outcome("leaders", seeds, month=36, exit_strategy="phase_out")
    assert down.mean() > out.mean() and wilcoxon(down, out, alternative="greater").pvalue < 0.01
    wins, losses, _ = sign_test(outcome("survived", seeds, exit_strategy="phase_down"),
                                outcome("survived", seeds, exit_strategy="phase_out"))
    assert wins >= losses


# -- L2: both benefit and resources are needed (Rogers & Coates 2015) -----------------------------
def test_l2_fast_removing_member_benefit_lowers_survival():
    assert_survives_more(outcome("survived"), outcome("survived", member_benefit=0.0))


def test_l2_fast_removing_resources_lowers_survival():
    assert_survives_more(outcome("survived"), outcome("survived", resource_sharing=0.0))


# -- verdicts: each criterion can fail ---------------------------------------------------------------
def _l2_table(no_benefit: float, no_resources: float, n: int = 200) -> pd.DataFrame:
    """A synthetic L2 run table: the default arm survives in 70% of seeds; each arm's own rate given."""
    rng = np.random.default_rng(5)
    u = rng.random(n)  # shared per seed, so arms are paired like common seeds
    rates = {(1.0, 0.5): 0.7, (0.0, 0.5): no_benefit, (1.0, 0.0): no_resources, (0.5, 0.5): 0.7, (1.0, 0.25): 0.7}
    return pd.DataFrame([{"member_benefit": b, "resource_sharing": r, "replicate": i, "survived": bool(u[i] < rate)}
                         for (b, r), rate in rates.items() for i in range(n)])


def test_a_verdict_passes_only_when_its_criterion_is_met():
    met = patterns.assess_l2(_l2_table(no_benefit=0.2, no_resources=0.3))
    assert isinstance(met, Verdict) and met.passed and met.status == "PASS"
    # Resources removed and survival unchanged: L2's criterion is not met, so the verdict fails.
    failed = patterns.assess_l2(_l2_table(no_benefit=0.2, no_resources=0.7))
    assert not failed.passed and failed.status == "FAIL"
    assert failed.key == "L2" and failed.criterion == PATTERNS["L2"].criterion and failed.claim == PATTERNS["L2"].claim
    assert failed.value == pytest.approx(0.0) and failed.low <= failed.value <= failed.high
    assert failed.knockout is None  # measured by knockouts.knock_out, not by the assessment


def test_the_document_shows_a_failed_verdict_and_why():
    from lcsim.validation import render

    failed = patterns.assess_l2(_l2_table(no_benefit=0.2, no_resources=0.7))
    text = render([failed], seconds=60, workers=2, measured_on="commit `test`")
    assert "| L2: Both benefit to members and resources are needed | survival loss without resources: 0.00" in text
    assert "**FAIL** |" in text and "**Verdict: FAIL.**" in text
    assert f"**Why it fails.** {PATTERNS['L2'].note}" in text and "lcsim validate --only L2" in text


def test_the_p1_verdict_fails_when_most_runs_die():
    def table(survival):
        n = 200
        return pd.DataFrame({"survived": np.arange(n) < survival * n, "replications": np.arange(n) % 2,
                             "months": 72, "exit_month": 36, "months_alive_after_exit": 30, "leaders_ever": 5})

    assert patterns.assess_p1(table(0.8)).passed
    v = patterns.assess_p1(table(0.45))
    assert not v.passed and v.value == pytest.approx(0.45) and v.interval[0] < 0.5 < v.interval[1]


def test_a_paired_comparison_holds_only_in_its_direction():
    better = pd.Series([1, 1, 1, 1, 1, 1, 1, 1, 0, 0] * 5, dtype=float)
    worse = pd.Series([0, 0, 0, 0, 0, 0, 1, 1, 0, 0] * 5, dtype=float)
    assert paired("", better, worse).holds
    assert not paired("", worse, better).holds
    assert not paired("", better, better).holds


def test_an_unknown_pattern_is_refused_in_one_line():
    with pytest.raises(UsageError, match="unknown pattern 'P9'"):
        validate(["P9"])


def test_the_command_refuses_an_unknown_pattern(capsys):
    from lcsim.cli import main

    assert main(["validate", "--only", "P9"]) == 2
    assert "unknown pattern 'P9'" in capsys.readouterr().err


# -- calibration: every parameter and assumption, varied as data --------------------------------------
def test_calibration_varies_every_parameter_and_assumption_within_its_range():
    found = {(f.kind, f.name): f for f in oat.factors()}
    assert {n for k, n in found if k == "param"} == set(SCHEMA)
    assert {n for k, n in found if k == "assumption"} == set(TABLE)
    for name, a in TABLE.items():
        low, high = found[("assumption", name)].levels
        assert a.low <= low < high <= a.high, name
        assert low < a.default < high or a.default in (a.low, a.high), name


def test_calibration_runs_its_arms_through_the_sweep_engine(tmp_path):
    chosen = [f for f in oat.factors() if f.name in ("brokering", "engagement_rate", "digital_turnout")]
    from lcsim.calibration.sensitivity import oat as run_arms

    runs = run_arms(n_seeds=4, workers=1, out=tmp_path, factors_=chosen)
    assert (tmp_path / "oat" / "baseline" / "manifest.json").is_file()
    assert (tmp_path / "oat" / "brokering" / "manifest.json").is_file()
    table = oat.effects(runs, chosen)
    assert set(table["name"]) == {"brokering", "engagement_rate", "digital_turnout"}
    assert table.set_index("name").loc["digital_turnout", "setting"] == "digital"
    assert table["survival_default"].between(0, 1).all() and table["effect"].between(-1, 1).all()


# -- full versions: the validation experiments, as `lcsim validate` runs them ------------------------
@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("validation")
    return Context(workers=2, out=root / "out", img=root / "img")


@pytest.fixture(scope="module")
def l1_full(ctx):
    return measure.l1(ctx)


@pytest.mark.validation
def test_p1_full(ctx):
    v = measure.p1(ctx)
    assert v.passed, v.explain()


@pytest.mark.validation
def test_p2_full(ctx):
    v = measure.p2(ctx)
    assert v.passed, v.explain()


@pytest.mark.validation
@pytest.mark.xfail(strict=True, reason="P3 fails on the current model: the case's community survives without the "
                                       "channel (docs/validation.md, diagnosis); strict, so a pass is reported")
def test_p3_full(ctx, l1_full):
    v = measure.p3(ctx, l1_full[1])
    assert v.passed, v.explain()


@pytest.mark.validation
def test_p4_full(ctx):
    v = measure.p4(ctx)
    assert v.passed, v.explain()


@pytest.mark.validation
@pytest.mark.parametrize("key", ["P5", "P6", "P7"])
def test_member_patterns_full(ctx, key):
    v = measure.member_patterns([key], ctx)[key]
    assert v.passed, v.explain()


@pytest.mark.validation
def test_l1_full_handover(l1_full):
    v = l1_full[0]
    assert v.parts["phase_over"], v.explain()


@pytest.mark.validation
@pytest.mark.xfail(strict=True, reason="L1 fails for phase_down on the current model (docs/validation.md, diagnosis); "
                                       "strict, so a pass is reported")
def test_l1_full_taper(l1_full):
    v = l1_full[0]
    assert v.parts["phase_down"], v.explain()


@pytest.mark.validation
def test_l3_full(ctx, l1_full):
    v = measure.l3(ctx, l1_full[2])
    assert v.passed, v.explain()


def test_the_l3_verdict_fails_when_control_buys_nothing():
    def table(hands_off: float, n: int = 200) -> pd.DataFrame:
        u = np.random.default_rng(3).random(n)  # shared per seed: paired like common seeds
        rates = {0.1: hands_off, 0.5: 0.95, 0.9: 0.95}
        return pd.DataFrame([{"control": c, "exit_strategy": "phase_out", "replicate": i, "survived": bool(u[i] < r)}
                             for c, r in rates.items() for i in range(n)])

    assert patterns.assess_l3(table(0.7)).passed
    v = patterns.assess_l3(table(0.95))
    assert not v.passed and v.value == pytest.approx(0.0)


@pytest.mark.validation
def test_l2_full(ctx):
    v = measure.l2(ctx)
    assert v.passed, v.explain()


# -- knock-out controls (issue 13) ------------------------------------------------------------------
def test_every_pattern_has_a_knockout_with_settings_the_model_accepts():
    from lcsim.assumptions import PREFIX, Assumptions
    from lcsim.parameters import check_params
    from lcsim.validation.knockouts import BY_CONSTRUCTION, KNOCKOUTS

    assert set(KNOCKOUTS) == set(PATTERNS) and set(BY_CONSTRUCTION) <= set(PATTERNS)
    for key, ko in KNOCKOUTS.items():
        assert ko.experiment in PATTERNS[key].experiments and ko.what
        Assumptions.of({k[len(PREFIX):]: v for k, v in ko.settings.items() if k.startswith(PREFIX)})
        check_params({k: v for k, v in ko.settings.items() if not k.startswith(PREFIX)})


def test_an_effect_below_the_minimum_size_does_not_meet_the_criterion():
    from lcsim.validation.statistics import MIN_EFFECT

    # 5 more survivors in 200 pairs, no losses: beyond noise (p = 0.03), but a 0.025 difference
    better = pd.Series([1.0] * 200)
    worse = pd.Series([0.0] * 5 + [1.0] * 195)
    small = paired("", better, worse)
    assert small.holds and small.diff < MIN_EFFECT and not small.meets
    assert paired("", better, pd.Series([0.0] * 20 + [1.0] * 180)).meets


def test_a_knockout_is_run_and_recorded_and_the_document_shows_it(tmp_path):
    from lcsim.validation import render
    from lcsim.validation.knockouts import knock_out

    v = patterns.assess_l2(_l2_table(no_benefit=0.6, no_resources=0.5))
    ctx = Context(workers=1, out=tmp_path, img=tmp_path / "img", replicates=12)
    knock_out(v, ctx)
    assert v.knockout is not None and v.knockout_low <= v.knockout <= v.knockout_high
    assert isinstance(v.knockout_passed, bool) and "resource_rate 0" in v.knockout_setting
    assert v.by_construction  # L2's benefit half holds by construction
    text = render([v], seconds=60, workers=1, measured_on="commit `test`")
    assert "knock-out: mechanism off" in text and "**Knock-out** (the convener's resources do nothing" in text
    assert "**By construction** (not counted as evidence)" in text
    assert v.evidence in text


@pytest.mark.validation
def test_full_every_knockout_is_measured(tmp_path):
    verdicts = validate(list(PATTERNS), Context(workers=2, out=tmp_path, img=tmp_path / "img"))
    assert all(v.knockout is not None and v.knockout_passed is not None for v in verdicts)


# -- an installed package: the experiment files are package data, nothing looks for the source tree ---------------
def test_validate_runs_from_an_installed_package_without_the_source_tree(tmp_path):
    """A copy of the package alone (no pyproject.toml, docs/ or experiments/ beside it), run from an empty folder:
    every validation experiment loads from the package, and `lcsim validate` measures a pattern there."""
    import os
    import shutil
    import subprocess
    import sys
    import tomllib
    from pathlib import Path

    from lcsim.calibration.sensitivity import MORRIS
    from lcsim.validation.knockouts import KNOCKOUTS

    root = Path(__file__).resolve().parents[1]
    package = root / "src" / "lcsim" / "validation"
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {p.stem for pattern in globs["lcsim.validation"] for p in package.glob(pattern)}
    needed = {e for p in PATTERNS.values() for e in p.experiments} | {k.experiment for k in KNOCKOUTS.values()}
    assert needed | {MORRIS} <= shipped
    site, work = tmp_path / "site", tmp_path / "work"
    shutil.copytree(root / "src" / "lcsim", site / "lcsim")  # with __pycache__: numba's compiled kernels too
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import lcsim; from lcsim.validation import runs, PATTERNS; ctx = runs.Context(workers=1); "
            "[runs.experiment(e, ctx) for p in PATTERNS.values() for e in p.experiments]; "
            "print(lcsim.__file__); print(runs.home()); print(ctx.out)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    where, home, out = proc.stdout.split("\n")[:3]
    assert where.startswith(str(site)) and Path(home) == work and Path(out) == work / "out" / "validation"
    proc = subprocess.run([sys.executable, "-m", "lcsim", "validate", "--only", "P1", "--replicates", "3",
                           "--no-knockouts", "--workers", "1"], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("P1 ") and (work / "out" / "validation" / "validation-p1-case").is_dir()
