"""Adaptive exits: the convener steps back when a signpost holds (exit_trigger), its exit month a backstop."""

from __future__ import annotations

import pytest

import lcsim
from lcsim.model.exits import ExitPlan, Trigger, stepped_back

TRIGGER = {"exit_trigger": "local_hosting", "trigger_share": 0.5, "trigger_window": 4}


def test_the_signpost_needs_a_full_window_and_counts_members_hosts():
    t = Trigger("local_hosting", 0.5, 4)
    assert not t.holds([True, True, True])  # fewer meetings seen than the window
    assert t.holds([False, True, False, True])  # 2 of the last 4
    assert not t.holds([True, True, False, False, True, False])  # only the last 4 count: 1 of them
    assert t.describe() == "members host 2 of the last 4 meetings"


def test_stepping_back_brings_the_plan_forward_never_later_than_its_backstop():
    assert stepped_back(ExitPlan("phase_out", 36, 12), 20) == ExitPlan("phase_out", 20, 12)
    assert stepped_back(ExitPlan("phase_over", 36, 12), 10) == ExitPlan("phase_over", 22, 12)
    assert stepped_back(ExitPlan("phase_down", 36, 12), 30).exit_month == 36


def test_trigger_off_is_the_fixed_plan_and_on_the_same_seed_it_acts_only_when_the_signpost_holds():
    fired = 0
    for seed in range(4):
        fixed = lcsim.simulate(seed, "default", keep_model=True)
        off = lcsim.simulate(seed, "default", exit_trigger="none", trigger_share=0.9)
        assert off.summary == fixed.summary  # the trigger's values mean nothing while it is off
        on = lcsim.simulate(seed, "default", keep_model=True, **TRIGGER)
        c = on.model.convener
        if c.triggered_at is None:  # never held before the fixed exit: the very same run (common random numbers)
            assert on.summary == fixed.summary
            continue
        fired += 1
        assert c.triggered_at < 36 and c.exit_month == c.triggered_at  # phase_out leaves the month it holds
        assert Trigger.of(on.params).holds(c.hosted_locally)
        # it held for the first time at that month: one meeting fewer seen, it did not hold
        assert all(m["convener_intensity"] == 1.0 for m in on.records[1:c.triggered_at])
        assert on.records[c.triggered_at]["convener_intensity"] == 0.0
        assert on.summary["convener_months"] == pytest.approx(c.triggered_at - 1)
        assert on.summary["months_alive_after_exit"] <= 72 - c.triggered_at
        # the same world up to the month it stepped back
        assert [r["active_members"] for r in on.records[:c.triggered_at]] == \
            [r["active_members"] for r in fixed.records[:c.triggered_at]]
    assert fired >= 1


def test_a_strict_signpost_never_holds_and_a_loose_one_holds_first():
    strict = lcsim.simulate(1, "default", keep_model=True, exit_trigger="local_hosting", trigger_share=1.0,
                            trigger_window=24)
    loose = lcsim.simulate(1, "default", keep_model=True, exit_trigger="local_hosting", trigger_share=0.25,
                           trigger_window=2)
    assert strict.model.convener.triggered_at is None
    assert loose.model.convener.triggered_at is not None and loose.model.convener.triggered_at < 36


def test_a_gradual_plan_starts_its_handover_when_the_signpost_holds():
    on = lcsim.simulate(1, "default", keep_model=True, exit_strategy="phase_over", transition_months=6, **TRIGGER)
    c = on.model.convener
    assert c.triggered_at is not None and c.exit_month == c.triggered_at + 6
    assert on.records[c.triggered_at + 6]["convener_intensity"] == 0.0


def test_bad_trigger_values_are_one_line():
    with pytest.raises(lcsim.ParameterError, match="exit_trigger"):
        lcsim.simulate(0, "default", exit_trigger="sometimes")
    with pytest.raises(lcsim.ParameterError, match="trigger_window"):
        lcsim.simulate(0, "default", trigger_window=0)


def test_a_trigger_plan_is_read_follow_up_months_after_it_actually_left():
    from lcsim.studies.evaluations import Runner

    def evaluate(tasks):  # left at month 20 (backstop 40): dissolved at month 60 = 40 months after it left
        return [{"survived": False, "months_alive_after_exit": 40, "convener_months": 19.0} for _ in tasks]

    base = lcsim.parameters.check_params({})
    for follow_up, survived in ((36, True), (40, False)):
        runner = Runner("default", base, evaluate, 1, None, follow_up=follow_up)
        with runner:
            runner.run([(0, {"exit_month": 40, **TRIGGER})], {}, 1, [{}], [7])
        row = runner.rows[0]
        assert row["months"] == 40 + follow_up  # run to the backstop + follow-up, read at the actual exit + follow-up
        assert bool(row["survived"]) is survived


def test_advise_searches_trigger_plans_beside_fixed_ones_and_says_what_to_monitor(tmp_path):
    from lcsim.studies.advice_page import monitoring
    from lcsim.studies.advise import DEFAULT_LEVERS, TRIGGER_LEVERS, advise

    a = advise("mexico-csa", levers=DEFAULT_LEVERS + TRIGGER_LEVERS, candidates=6, replicates=8, finalists=2,
               workers=1, discover=False, overrides={"n_members": 20})
    plans = a.plans
    assert set(plans["exit_trigger"]) == {"none", "local_hosting"}  # both kinds were searched
    fixed = plans[plans["exit_trigger"] == "none"]
    assert (fixed["trigger_share"] == 0.5).all() and (fixed["trigger_window"] == 4).all()  # one value: no duplicates
    runs = a.runs[a.runs["error"].isna()]
    assert (runs["months"] == runs["exit_month"] + a.follow_up).all()  # every run reaches its backstop + follow-up
    words = monitoring({"exit_strategy": "phase_over", "exit_month": 30, "exit_trigger": "local_hosting",
                        "trigger_share": 0.5, "trigger_window": 6})
    assert "start the handover once members (not the convener) have hosted 3 of the last 6 meetings" in words
    assert "month 30 at the latest" in words
    assert monitoring({"exit_trigger": "none"}) is None


def test_advise_help_offers_trigger_based_exits(capsys):
    from lcsim.cli import main

    with pytest.raises(SystemExit):
        main(["advise", "--help"])
    text = capsys.readouterr().out
    assert "--triggers" in text and "local_hosting" in text


@pytest.mark.parametrize("strategy, transition", [("phase_out", 12), ("phase_over", 6), ("phase_down", 6)])
def test_the_advice_reads_the_month_the_convener_left_from_its_convener_months(strategy, transition):
    from lcsim.studies.advise import left_month

    for seed in range(3):
        on = lcsim.simulate(seed, "default", keep_model=True, exit_strategy=strategy, transition_months=transition,
                            exit_trigger="local_hosting", trigger_share=0.25, trigger_window=2)
        c = on.model.convener
        assert left_month(strategy, transition, on.summary["convener_months"]) == pytest.approx(c.exit_month)


def test_compare_reads_a_trigger_plan_at_the_same_follow_up_after_its_actual_exit(tmp_path):
    loose = {"exit_trigger": "local_hosting", "trigger_share": 0.25, "trigger_window": 2}
    c = lcsim.compare("default", strategies=["phase_out"], replicates=8, overrides=loose, workers=1,
                      out=tmp_path, follow_up=12)
    done = c.completed
    assert (done["months"] == 36 + 12).all()  # to the backstop + follow-up
    late = done["dissolved_month"].notna() & (done["months_alive_after_exit"] > 12)
    assert late.any()  # some left early and dissolved only after their follow-up: they count as surviving it
    expected = done["dissolved_month"].isna() | late
    assert (done["survived"].astype(bool) == expected).all()
    assert c.table["survived"].sum() == expected.sum()


def test_a_sweep_varies_the_trigger_like_any_exit_plan_parameter(tmp_path):
    runs = lcsim.sweep({"name": "t", "scenario": "default", "design": "grid", "root_seed": 1, "replicates": 2,
                        "vary": {"exit_trigger": ["none", "local_hosting"]},
                        "fixed": {"trigger_share": 0.25, "trigger_window": 2, "months": 48}}, tmp_path, workers=1)
    fixed = runs[runs["exit_trigger"] == "none"]
    adaptive = runs[runs["exit_trigger"] == "local_hosting"]
    assert (fixed["convener_months"] == 35).all()
    assert (adaptive["convener_months"] < 35).any()  # the signpost held before the backstop in some run


def test_hosts_after_the_exit_are_counted_from_the_month_a_trigger_made_the_convener_leave():
    checked = 0
    for seed in range(6):
        run = lcsim.simulate(seed, "default", keep_model=True, exit_trigger="local_hosting", trigger_share=0.25,
                             trigger_window=2)
        model = run.model
        if model.convener.triggered_at is None:
            continue
        left = model.exit_month_actual
        assert left < run.params["exit_month"]
        for c in model.convened:
            hosted = [r for r in model.community_records if r["community"] == c.index and r["month"] > left
                      and r["host_member"] >= 0]
            assert sum(c.hosts_after_exit.values()) == len(hosted)
        checked += 1
    assert checked >= 1


def test_the_app_marks_the_month_the_signpost_held():
    """A trigger plan in the trainer's app: the view carries the month the signpost held, the charts mark it and
    the exit line moves there (not the plan's backstop month)."""
    from lcsim.app.charts import Charts
    from lcsim.app.room import Room
    from lcsim.parameters import DEFAULTS

    params = {**DEFAULTS, "exit_trigger": "local_hosting", "trigger_share": 0.25, "trigger_window": 4,
              "control": 0.0, "exit_month": 60}
    room = Room("default", params, 0)
    room.start()
    for _ in range(60):
        room.step()
        view = room.views()[0]
        if view.triggered_at is not None:
            break
    assert view.triggered_at is not None and view.triggered_at < 60
    assert view.exit_month == view.triggered_at  # phase_out: gone the month the signpost held
    charts = Charts(params["months"])
    charts.png(room.views())
    assert "signpost held" in [t.get_text() for ax in charts.axes for t in ax.texts]
