import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import lcsim


def test_same_seed_same_result_and_different_seeds_differ():
    a, b = lcsim.simulate(seed=7), lcsim.simulate(seed=7)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert a.summary == b.summary
    c = lcsim.simulate(seed=8)
    assert not a.monthly.equals(c.monthly)


def test_same_seed_same_result_in_another_process():
    code = "import lcsim, json; r = lcsim.simulate(seed=11, n_members=60); print(r.monthly.to_json())"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    here = lcsim.simulate(seed=11, n_members=60).monthly.to_json()
    assert other.strip() == here


def test_result_shape():
    r = lcsim.simulate(seed=1, months=40, exit_month=20)
    assert len(r.monthly) == 41 and list(r.monthly["month"]) == list(range(41))
    for column in ["alive", "convener_intensity", "meeting", "host", "attendance", "active_members", "ties",
                   "density", "cross_sector_share", "ei_index", "largest_component_share", "leaders",
                   "mean_engagement", "mean_capacity", "replications", "local_hosting_share"]:
        assert column in r.monthly
    s = r.summary
    assert isinstance(s["survived"], bool)
    assert s["survived"] == bool(r.monthly["alive"].iloc[-1])
    assert 0 <= s["months_alive_after_exit"] <= 20
    assert s["censored"] == s["survived"]
    assert r.params["exit_month"] == 20
    assert set(r.monthly["host"]) <= {"none", "convener", "leader", "digital"}
    # After a phase_out the convener hosts nothing.
    assert not (r.monthly.query("month >= 20")["host"] == "convener").any()


def test_scenarios_apply_and_set_overrides():
    r = lcsim.simulate(seed=0, scenario="mexico-csa", months=48)
    assert r.params["n_members"] == 20 and r.params["exit_strategy"] == "phase_over" and r.params["months"] == 48
    with pytest.raises(lcsim.ParameterError, match="unknown.*default"):
        lcsim.simulate(seed=0, scenario="nowhere")


def test_members_are_mesa_agents_with_the_documented_state():
    r = lcsim.simulate(seed=3, months=12, exit_month=12, keep_model=True)
    model = r.model
    members = list(model.agents_by_type[lcsim.model.Member])
    assert len(members) == r.summary["active_members"]
    m = members[0]
    assert m.sector in ("cso", "business", "academia", "government")
    assert 0 <= m.engagement <= 1 and 0 <= m.capacity <= 1 and m.active
    assert m.role in ("member", "local leader")
    assert np.isclose(m.assets.sum(), 1.0)
    assert model.convener.intensity == 0.0 and not model.convener.present  # gone at exit_month


def test_batch_run_runs_the_model():
    from mesa import batch_run

    rows = batch_run(lcsim.LearningCommunity,
                     parameters={"n_members": 40, "control": [0.2, 0.8], "months": 24, "exit_month": 12},
                     rng=[1, 2], max_steps=24, number_processes=1, display_progress=False)
    df = pd.DataFrame(rows)
    assert len(df) == 2 * 2  # 2 controls x 2 seeds, last month of each
    assert (df["Step"] == 24).all()
    assert {"alive", "leaders", "active_members", "control", "rng"} <= set(df.columns)


def test_cli_run_writes_table_summary_and_figure(tmp_path):
    out = tmp_path / "r"
    proc = subprocess.run([sys.executable, "-m", "lcsim", "run", "--seed", "2", "--months", "30",
                           "--set", "exit_month=12", "--exit-strategy", "phase_down", "--set", "transition_months=6",
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "survived" in proc.stdout
    monthly = pd.read_csv(out / "monthly.csv")
    assert len(monthly) == 31
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["exit_strategy"] == "phase_down" and summary["seed"] == 2
    assert (out / "trajectories.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(out.glob(".*tmp"))


def test_cli_run_names_the_actual_exit_month_when_the_trigger_fired(tmp_path, capsys):
    from lcsim.cli import main

    trigger = ["--set", "exit_trigger=local_hosting", "--set", "trigger_share=0.25", "--set", "trigger_window=2"]
    common = ["run", "--seed", "1", "--months", "48", "--set", "exit_month=36", "--exit-strategy", "phase_down",
              "--set", "transition_months=4"]
    alone = lcsim.simulate(1, months=48, exit_month=36, exit_strategy="phase_down", transition_months=4,
                           exit_trigger="local_hosting", trigger_share=0.25, trigger_window=2, keep_model=True)
    fired, left = alone.model.convener.triggered_at, alone.model.exit_month_actual
    assert fired is not None and left == fired + 4 < 36  # the signpost held early: phase_down leaves after its taper
    assert main([*common, *trigger, "--out", str(tmp_path / "on")]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert f"phase_down at month {left} (the local_hosting trigger fired at month {fired}; the plan's exit month " \
           "was 36)" in header, header
    summary = json.loads((tmp_path / "on" / "summary.json").read_text())
    assert (summary["exit_month_actual"], summary["trigger_fired_at"]) == (left, fired)
    assert summary["summary"] == alone.summary
    assert main([*common, "--out", str(tmp_path / "off")]) == 0  # no trigger: the plan's month, no word of one
    header = capsys.readouterr().out.splitlines()[0]
    assert "phase_down at month 36, control" in header and "trigger" not in header, header
    summary = json.loads((tmp_path / "off" / "summary.json").read_text())
    assert (summary["exit_month_actual"], summary["trigger_fired_at"]) == (36, None)


def test_the_model_takes_mesa_s_own_scenario_object_and_records_its_latest_meeting():
    # SolaraViz's Reset rebuilds a model as type(model)(**params, scenario=<mesa Scenario>).
    from mesa.experimental.scenarios import Scenario

    model = lcsim.LearningCommunity(rng=4, scenario=Scenario(rng=4), n_members=40)
    assert model.scenario_name == "default" and model.last_host is None
    for _ in range(3):
        model.step()
    assert model.last_host.kind == "convener"  # the first meeting is due at month 3
    assert len(model.last_attendees) == model.records[-1]["attendance"]


def test_run_refuses_an_output_folder_under_a_file_in_one_line_and_writes_nothing(tmp_path, capsys):
    from lcsim.cli import main

    afile = tmp_path / "afile"
    afile.write_text("keep me\n")
    assert main(["run", "--months", "12", "--set", "exit_month=6", "--out", str(afile / "run")]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("lcsim run: error: output folder") and "is a file" in err and "\n" not in err
    assert captured.out == ""  # refused before the run, not after it
    assert [p.name for p in tmp_path.iterdir()] == ["afile"] and afile.read_text() == "keep me\n"


@pytest.mark.parametrize("seed, why", [("-3", "negative"), (str(2**63), "too large"), ("1_0", "not an integer"),
                                        ("１５", "not an integer"), ("3.0", "not an integer")])
def test_a_bad_seed_is_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, seed, why):
    from lcsim.cli import main

    monkeypatch.chdir(tmp_path)  # the default output folder, out/run-default-seedN, would be made here
    assert main(["run", "--seed", seed, "--months", "4", "--set", "exit_month=2"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"lcsim run: error: --seed: {seed if why != 'not an integer' else repr(seed)} is not allowed ({why}); "
        "expected an integer in [0, 2**63 - 1]"]
    assert captured.out == "" and list(tmp_path.iterdir()) == []
    with pytest.raises(lcsim.LcsimError, match=f"seed: .* is not allowed \\({why}\\)"):
        lcsim.simulate(seed=int(seed) if why != "not an integer" else seed, months=4, exit_month=2)


@pytest.mark.parametrize("command", ["run", "compare", "report", "advise", "app"])
def test_every_command_that_takes_a_seed_checks_it_first(tmp_path, monkeypatch, capsys, command):
    from lcsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main([command, "--seed", "-3"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"lcsim {command}: error: --seed: -3 is not allowed (negative); expected an integer in [0, 2**63 - 1]"]
    assert list(tmp_path.iterdir()) == []
