"""Fair comparisons (issue 22 item 1): survival read the same follow-up after each plan's own exit, on the same
worlds (common random numbers), so the same plan gets the same survival in `lcsim.compare` and `lcsim.advise`."""

import numpy as np
import pytest

import lcsim
from lcsim.errors import LcsimError
from lcsim.studies.advise import advise
from lcsim.studies.fair import FOLLOW_UP, resolved_follow_up

SMALL = {"n_members": 30, "exit_month": 18}
REPLICATES = 12


def test_the_same_plan_gets_the_same_survival_in_compare_and_advise(tmp_path):
    a = advise("fragile", levers=("exit_strategy",), overrides=SMALL, uncertain={}, replicates=REPLICATES,
               candidates=4, finalists=3, generations=1, seed=5, discover=False, follow_up=12, workers=1)
    c = lcsim.compare("fragile", strategies=["phase_out", "phase_down", "phase_over"], replicates=REPLICATES,
                      overrides=SMALL, out=tmp_path, workers=1, seed=5, progress=False, follow_up=12)
    assert c.params["months"] == 18 + 12 and c.horizon == 12
    ok = a.runs[a.runs["error"].isna() & (a.runs["replicate"] < REPLICATES)]
    assert (ok["months"] == 30).all()
    seen = 0
    for strategy, part in ok.groupby("exit_strategy"):
        if part["replicate"].nunique() < REPLICATES:
            continue  # advise dropped this plan after its first rung
        theirs = c.completed[c.completed["exit_strategy"] == strategy].set_index("replicate")["survived"]
        mine = part.drop_duplicates("replicate").set_index("replicate")["survived"]
        assert mine.astype(bool).sort_index().tolist() == theirs.astype(bool).sort_index().tolist(), strategy
        seen += 1
    assert seen >= 2  # the recommended plan and the current one at least


def test_each_plan_is_followed_the_same_months_after_its_own_exit():
    a = advise("fragile", levers=("exit_month",), overrides={"n_members": 20}, uncertain={}, replicates=4,
               candidates=4, finalists=2, generations=1, seed=1, discover=False, follow_up=10, workers=1)
    runs = a.runs[a.runs["error"].isna()]
    assert runs["exit_month"].nunique() > 1
    assert (runs["months"] == runs["exit_month"] + 10).all()
    assert "10 months after each plan's own exit" in a.text()


def test_the_follow_up_default_and_a_months_override():
    assert resolved_follow_up(None, {}, {"months": 72, "exit_month": 36}) == FOLLOW_UP == 36
    assert resolved_follow_up(None, {"months": 30}, {"months": 30, "exit_month": 18}) == 12
    assert resolved_follow_up(24, {"months": 30}, {"months": 30, "exit_month": 18}) == 24
    assert resolved_follow_up(np.int64(24), {}, {"months": 72, "exit_month": 36}) == 24
    for bad in (0, -3, 2.5, True, 241, "36", np.bool_(True)):
        with pytest.raises(LcsimError, match="follow_up"):
            resolved_follow_up(bad, {}, {"months": 72, "exit_month": 36})
    with pytest.raises(LcsimError, match="months 10"):
        resolved_follow_up(None, {"months": 10}, {"months": 10, "exit_month": 18})


def test_compare_states_the_follow_up_on_the_command_line(tmp_path, capsys):
    from lcsim.cli import main

    code = main(["compare", "--scenario", "fragile", "--replicates", "2", "--strategies", "phase_out",
                 "--set", "n_members=20", "--follow-up", "6", "--workers", "1", "--out", str(tmp_path)])
    assert code == 0
    assert "convener gone at month 36, survival read 6 months later (month 42)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--scenario", "fragile", "--follow-up", "0", "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2
    assert "--follow-up" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_on_drawn_worlds_too_the_same_plan_gets_the_same_survival(tmp_path, monkeypatch):
    """With the uncertain values drawn (here from a small fixture posterior the package 'ships', and the values it
    leaves free over their ranges), replicate r runs in world r % worlds in both, on the same seed."""
    import pandas as pd

    from lcsim.calibration import shipped

    rng = np.random.default_rng(1)
    table = pd.DataFrame({"hosting_cost": rng.uniform(0.05, 0.9, 20), "weight": 0.05})
    table.attrs["lcsim"] = {"commit": "fixture", "priors": {"hosting_cost": {"kind": "assumption"}}}
    monkeypatch.setattr(shipped, "posterior", lambda path=None: table.copy())
    a = advise("fragile", levers=("exit_strategy",), overrides=SMALL, replicates=REPLICATES, candidates=4,
               finalists=3, generations=1, seed=5, discover=False, follow_up=12, workers=1, seeds_per_world=3)
    c = lcsim.compare("fragile", strategies=["phase_out", "phase_down", "phase_over"], replicates=REPLICATES,
                      overrides=SMALL, out=tmp_path, workers=1, seed=5, progress=False, follow_up=12, seeds_per_draw=3)
    assert c.draws == REPLICATES // 3
    assert "posterior fitted on fixture" in c.heading() and "posterior fitted on fixture" in a.text()
    ok = a.runs[a.runs["error"].isna() & (a.runs["replicate"] < REPLICATES)]
    seen = 0
    for strategy, part in ok.groupby("exit_strategy"):
        if part["replicate"].nunique() < REPLICATES:
            continue
        mine = part.drop_duplicates("replicate").set_index("replicate").sort_index()
        theirs = c.completed[c.completed["exit_strategy"] == strategy].set_index("replicate").sort_index()
        for value in ("assumptions.hosting_cost", "tie_decay"):  # the same world: calibrated and free values
            assert np.allclose(mine[value].to_numpy(float), theirs[value].to_numpy(float)), value
        assert mine["survived"].astype(bool).tolist() == theirs["survived"].astype(bool).tolist(), strategy
        seen += 1
    assert seen >= 2
