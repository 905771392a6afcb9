"""What is uncertain in every answer (issue 21 item 6, issue 22 item 2): one definition (`lcsim.studies.uncertainty`)
for compare, report and advise; a value the user fixes is never drawn; `--fixed-values` is the old behaviour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lcsim
from lcsim.calibration import shipped
from lcsim.calibration.problem import default_priors
from lcsim.errors import LcsimError
from lcsim.studies import uncertainty as u
from lcsim.studies.compare import compare

SMALL = {"n_members": 24, "exit_month": 12}
COMMIT = "abc1234def5678"


def fixture_posterior(n: int = 30) -> pd.DataFrame:
    """A small posterior as `lcsim.posterior()` returns it: three calibrated values, weights, what it was fitted to."""
    rng = np.random.default_rng(7)
    table = pd.DataFrame({"hosting_cost": rng.uniform(0.05, 0.9, n), "coordination_scale": rng.uniform(20, 400, n),
                          "member_benefit": rng.uniform(0.6, 1.4, n), "weight": rng.uniform(0.5, 1.5, n)})
    table["weight"] /= table["weight"].sum()
    table.attrs["lcsim"] = {"commit": COMMIT, "priors": {
        "hosting_cost": {"kind": "assumption"}, "coordination_scale": {"kind": "assumption"},
        "member_benefit": {"kind": "param"}}}
    return table


@pytest.fixture
def with_posterior(monkeypatch):
    """The package ships the fixture posterior."""
    table = fixture_posterior()
    monkeypatch.setattr(shipped, "posterior", lambda path=None: table.copy())
    return table


@pytest.fixture
def without_posterior(monkeypatch):
    def none(path=None):
        raise shipped.NoPosterior("no posterior")

    monkeypatch.setattr(shipped, "posterior", none)


def test_without_a_posterior_the_default_is_fixed_and_says_so(without_posterior):
    unc = u.uncertainty("default")
    assert unc.source == u.FIXED and not unc.drawn
    assert "Fixed values: replicate noise only" in unc.sentence() and "no posterior is fitted" in unc.sentence()
    assert u.uncertainty("default", fixed_values=True).sentence().startswith("Fixed values: replicate noise only")


def test_over_the_plausible_ranges_user_and_scenario_values_are_kept(without_posterior, tmp_path):
    unc = u.uncertainty("fragile", {"member_benefit": 1.2, "assumptions.hosting_cost": 0.3}, fixed_values=False)
    assert unc.source == u.RANGES
    assert {"member_benefit", "assumptions.hosting_cost"} == set(unc.held)
    assert unc.held_by_scenario == ("initial_engagement",)  # fragile's own value: it defines the scenario
    assert len(unc.names) == len(default_priors()) - 3
    draws = unc.draws(40, seed=3)
    assert list(draws.columns) == unc.names and len(draws) == 40
    assert not {"member_benefit", "assumptions.hosting_cost", "initial_engagement"} & set(draws.columns)
    for p in unc.free:  # within the plausible range; log-uniform where the prior says
        x = draws[u.key_of(p.name, p.kind)]
        assert x.between(p.low, p.high).all() and x.nunique() == 40
    scale = draws["assumptions.coordination_scale"]
    assert (scale < 100).mean() > 0.5  # log-uniform over 5..1000: most below 100 (uniform would put 10% there)
    assert draws.equals(unc.draws(40, seed=3)) and not draws.equals(unc.draws(40, seed=4))
    assert "No posterior is fitted for these rules yet" in unc.sentence() and "member_benefit" in unc.sentence()
    # a scenario file's values are the designer's: never drawn
    mine = tmp_path / "mine.toml"
    from lcsim.cli import main

    assert main(["scenarios", "new", "mine", "--out", str(mine)]) == 0
    mine.write_text(mine.read_text().replace("\n[params]\n", "\n[params]\nburnout = 0.05\n", 1))
    assert "burnout" in u.uncertainty(str(mine), fixed_values=False).held


def test_posterior_draws_keep_user_fixed_values_and_vary_the_others(with_posterior):
    unc = u.uncertainty("default", {"assumptions.hosting_cost": 0.3}, assumptions={"conversations": 8.0})
    assert unc.source == u.POSTERIOR and unc.default
    assert unc.calibrated == ["assumptions.coordination_scale", "member_benefit"]
    assert {"assumptions.hosting_cost", "assumptions.conversations"} <= set(unc.held)
    draws = unc.draws(20, seed=1)
    assert "assumptions.hosting_cost" not in draws and "assumptions.conversations" not in draws
    assert draws["member_benefit"].nunique() > 5
    assert set(draws["member_benefit"]) <= set(with_posterior["member_benefit"])  # particles, resampled
    free = [u.key_of(p.name, p.kind) for p in unc.free]
    assert "assumptions.hosting_cost" not in free and "tie_decay" in free  # left free by the calibration
    text = unc.sentence()
    assert f"include parameter uncertainty from the posterior fitted on {COMMIT[:12]} (30 particles)" in text
    assert "kept as given: assumptions.hosting_cost" in text
    assert u.uncertainty("default", fixed_values=True).source == u.FIXED  # --fixed-values: nothing drawn
    only = u.uncertainty("default", names=["member_benefit", "tie_decay"])
    assert only.names == ["member_benefit", "tie_decay"]


def test_bad_input_is_one_line(with_posterior):
    for bad, match in ((dict(names=["nope"]), "uncertain value 'nope' is unknown"),
                       (dict(names=["exit_strategy"]), "uncertain value 'exit_strategy' is unknown"),
                       (dict(fixed_values="yes"), "fixed_values 'yes'")):
        with pytest.raises(LcsimError, match=match) as err:
            u.uncertainty("default", **bad)
        assert "\n" not in str(err.value)
    with pytest.raises(LcsimError, match="scenario 'nowhere' is unknown"):
        u.uncertainty("nowhere")


def test_the_command_line_refuses_bad_values_options_in_one_line(tmp_path, capsys):
    from lcsim.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--fixed-values", "--drawn-values", "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2 and "not allowed with" in capsys.readouterr().err
    assert main(["compare", "--set", "assumptions.nope=1", "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_compare_with_no_options_draws_from_the_shipped_posterior(with_posterior, tmp_path, capsys):
    from lcsim.cli import main

    code = main(["compare", "--scenario", "fragile", "--replicates", "20", "--strategies", "phase_out", "phase_over",
                 "--set", "n_members=24", "--set", "exit_month=12", "--set", "assumptions.hosting_cost=0.3",
                 "--follow-up", "12", "--workers", "1", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert f"Intervals include parameter uncertainty from the posterior fitted on {COMMIT[:12]}" in out
    assert "kept as given: assumptions.hosting_cost" in out
    runs = pd.read_parquet(next(tmp_path.glob("runs/*/runs.parquet")))
    assert "assumptions.hosting_cost" not in runs  # never drawn: the --set value in every run
    assert runs["member_benefit"].nunique() > 1 and runs["assumptions.coordination_scale"].nunique() > 1
    by_replicate = runs.pivot_table(index="replicate", columns="exit_strategy", values="member_benefit")
    assert (by_replicate["phase_out"] == by_replicate["phase_over"]).all()  # the same world in every arm
    c = compare("fragile", strategies=["phase_out", "phase_over"], replicates=20, overrides={
        **SMALL, "assumptions.hosting_cost": 0.3}, out=tmp_path, workers=1, progress=False, follow_up=12)
    assert c.experiment["fixed"]["assumptions.hosting_cost"] == 0.3 and c.draws == 2  # 20 // 10 seeds per world
    assert c.runs.equals(runs)  # the same call reads its runs back


def test_fixed_values_reproduce_the_comparison_without_draws(with_posterior, tmp_path):
    kw = dict(strategies=["phase_out", "phase_over"], replicates=8, overrides=SMALL, workers=1, progress=False,
              follow_up=12, seed=3)
    fixed = compare("fragile", out=tmp_path / "a", fixed_values=True, **kw)
    assert "uncertainty" not in fixed.experiment and fixed.draws == 0  # the experiment (and its folder key) as before
    assert "Fixed values: replicate noise only" in fixed.heading() and "--fixed-values" in fixed.command("compare")
    # what the sweep engine gives for that experiment, as `lcsim compare` ran it before draws existed
    swept = lcsim.sweep(fixed.experiment, tmp_path / "sweep", workers=1, progress=False)
    cols = ["exit_strategy", "replicate", "seed", "survived", "months_alive_after_exit", "convener_months"]
    mine = fixed.runs.sort_values(["exit_strategy", "replicate"])[cols].reset_index(drop=True)
    theirs = swept.sort_values(["exit_strategy", "replicate"])[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    drawn = compare("fragile", out=tmp_path / "b", seeds_per_draw=2, **kw)
    assert drawn.draws == 4 and drawn.runs_dir.name != fixed.runs_dir.name
    # the report says where its intervals come from, in its method list
    assert "Fixed values: replicate noise only" in fixed.to_html() and "without the draws" not in fixed.to_html()
    page = drawn.to_html()
    assert "include parameter uncertainty from the posterior fitted on" in page and "without the draws" in page


def test_decisive_values_find_the_value_that_moves_the_difference():
    rng = np.random.default_rng(0)
    worlds = pd.DataFrame({"a": rng.random(30), "b": rng.random(30), "c": rng.random(30)})
    difference = pd.Series(0.5 - worlds["b"] + 0.05 * rng.standard_normal(30))
    found = u.decisive(worlds, difference)
    assert list(found.columns) == ["name", "effect", "p", "direction"]
    assert found.iloc[0]["name"] == "b" and found.iloc[0]["effect"] < -0.8
    assert found.iloc[0]["direction"] == "higher favours the runner-up"
    assert u.decisive(worlds, pd.Series(np.zeros(30))).empty  # no difference to explain
    text = u.decisive_text(found)[0]
    assert "b (rank correlation -0.98" in text and "1 of them clear p < 0.017 (0.05 over the 3 values tried" in text
    noise = u.decisive(worlds, pd.Series(rng.random(30)))  # nothing moves it: no value clears the corrected bar
    assert "none clears" in u.decisive_text(noise)[0]


def test_advise_says_where_its_worlds_come_from_and_which_values_carry_the_decision(with_posterior):
    from lcsim.studies.advise import advise

    def toy(tasks):  # the handover's advantage grows with member benefit; the rest is noise
        out = []
        for _, seed, params in tasks:
            rng = np.random.default_rng(seed)
            mb = params.get("member_benefit", 1.0)
            p = 0.5 + (0.4 * (mb - 1.0) if params["exit_strategy"] == "phase_over" else -0.1)
            out.append({"survived": bool(rng.random() < p), "convener_months": 30.0})
        return out

    a = advise("default", levers=("exit_strategy",), overrides={"assumptions.hosting_cost": 0.3}, evaluate=toy,
               replicates=160, candidates=4, finalists=3, generations=1, seed=2, discover=False, seeds_per_world=5)
    assert "from the posterior fitted on" in a.uncertainty_note and a.uncertainty_note in a.text()
    assert "assumptions.hosting_cost" not in a.runs and a.runs["member_benefit"].nunique() > 5
    d = a.decisive_values
    assert list(d.columns) == ["name", "effect", "p", "direction"] and len(d) <= 5
    assert d.iloc[0]["name"] == "member_benefit", d
    assert "Values that move the recommended plan's advantage" in a.text()
    assert "Intervals include parameter uncertainty from the posterior fitted on" in a.to_html()  # the page says so too
    fixed = advise("default", levers=("exit_strategy",), evaluate=toy, replicates=8, candidates=4, finalists=3,
                   generations=1, seed=2, discover=False, fixed_values=True)
    assert fixed.uncertain == {} and fixed.decisive_values.empty and "Fixed values" in fixed.text()
    with pytest.raises(LcsimError, match="uncertain value 'nope'"):
        advise("default", levers=("exit_strategy",), evaluate=toy, replicates=8, candidates=4, finalists=3,
               generations=1, uncertain=["nope"], discover=False)


def test_scenarios_say_where_their_uncertain_values_come_from(capsys, with_posterior, monkeypatch):
    from lcsim.cli import main

    assert main(["scenarios"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"drawn per world from the posterior fitted on {COMMIT[:12]}" in out
    monkeypatch.setattr(shipped, "posterior", lambda path=None: (_ for _ in ()).throw(shipped.NoPosterior("none")))
    assert main(["scenarios"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "its own hand-set values (initial_engagement=0.35)" in out and "no posterior is fitted" in out


def test_the_apps_two_plan_view_is_one_drawn_world_and_keeps_what_the_trainer_changed(with_posterior):
    from lcsim.app.room import TWO_PLANS, Room, RunSpec
    from lcsim.scenarios import scenario_params

    params = {**scenario_params("default"), "n_members": 20, "months": 24, "exit_month": 12, "member_benefit": 1.3}
    room = Room("default", params, seed=4)
    room.start(mode=TWO_PLANS)
    a, b = (run.spec for run in room.runs)
    assert a.assumptions == b.assumptions and "coordination_scale" in a.assumptions
    assert "hosting_cost" in a.assumptions and a.params["tie_decay"] == b.params["tie_decay"]
    assert a.params["member_benefit"] == 1.3  # changed from the preset by the trainer: kept
    assert a.params["tie_decay"] != scenario_params("default")["tie_decay"]  # drawn (left free by the posterior)
    assert "one world drawn from the posterior fitted on" in room.world_note
    assert RunSpec.from_dict(a.to_dict()) == a  # the session record keeps the drawn world
    assert room.runs[0].model.assumptions.coordination_scale == a.assumptions["coordination_scale"]
    from lcsim.app.record import FORMAT, VERSION, check_record

    room.show(0)
    checked = check_record({"format": FORMAT, "version": VERSION, "scenes": room.record()})
    again = Room.replay(checked["scenes"])
    assert [run.spec.assumptions for run in again.runs] == [a.assumptions, b.assumptions]
    bad = room.record()
    bad[-1]["runs"][0]["assumptions"] = {"nope": 1.0}
    with pytest.raises(LcsimError, match="field 'assumptions'.*nope"):
        check_record({"format": FORMAT, "version": VERSION, "scenes": bad})


def test_a_named_scenarios_own_value_stays_even_where_the_posterior_calibrated_it(with_posterior):
    fragile = u.uncertainty("fragile")  # initial_engagement = 0.35 is fragile's own; the fixture did not calibrate it
    assert fragile.held_by_scenario == ("initial_engagement",) and "initial_engagement" not in fragile.names
    assert "kept as given: initial_engagement" in fragile.sentence()
    with_it = fixture_posterior().assign(initial_engagement=0.5)
    with_it.attrs = fixture_posterior().attrs
    # the posterior is fitted on the default community: fragile is defined by its low initial engagement
    drawn = u.uncertainty("fragile", posterior=with_it)
    assert "initial_engagement" not in drawn.calibrated and drawn.held_by_scenario == ("initial_engagement",)
    assert "initial_engagement" in u.uncertainty("default", posterior=with_it).calibrated


def test_a_scenario_files_values_stay_fixed_when_drawing_from_a_posterior(with_posterior, tmp_path):
    from lcsim.cli import main
    from lcsim.studies.advise import advise

    mine = tmp_path / "mine.toml"
    assert main(["scenarios", "new", "mine", "--out", str(mine)]) == 0
    mine.write_text(mine.read_text().replace("\n[params]\n", "\n[params]\nmember_benefit = 1.25\n", 1))
    unc = u.uncertainty(str(mine))
    assert unc.source == u.POSTERIOR and "member_benefit" in unc.held and "member_benefit" not in unc.names
    seen = []

    def toy(tasks):
        seen.extend(params for _, _, params in tasks)
        return [{"survived": bool(np.random.default_rng(seed).random() < 0.5), "convener_months": 10.0}
                for _, seed, _ in tasks]

    a = advise(str(mine), levers=("exit_strategy",), evaluate=toy, replicates=20, candidates=4, finalists=3,
               generations=1, seed=1, discover=False, seeds_per_world=5)
    assert seen and all("member_benefit" not in params for params in seen)  # every run: the file's value (base)
    assert len({params["assumptions.coordination_scale"] for params in seen}) == 4  # the others vary per world
    assert "kept as given: member_benefit" in a.uncertainty_note
