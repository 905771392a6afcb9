"""A designer's own scenario file: `lcsim scenarios new NAME`, its loader, and --scenario FILE everywhere."""

from __future__ import annotations

import json
import tomllib

import pytest

import lcsim
from lcsim.cli import main
from lcsim.parameters import SCHEMA, ParameterError, check_params
from lcsim.scenarios import describe, plan_limits, scenario_params
from lcsim.scenarios.community import template

SMALL = """
[community]
csos = 15
businesses = 5
meetings_per_year = 12

[convener]
months_of_convening_left = 6
months_to_follow_after = 6
"""


def write(tmp_path, text: str, name: str = "mine.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_written_template_is_the_default_community(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["scenarios", "new", "mine"]) == 0
    assert "wrote mine.toml" in capsys.readouterr().out
    text = (tmp_path / "mine.toml").read_text()
    tomllib.loads(text)  # valid TOML
    assert scenario_params("mine.toml") == check_params({})
    assert scenario_params(tmp_path / "mine.toml") == check_params({})  # a Path too
    # the ranges shown are the schema's own words, not restated by hand
    for name in ("n_members", "cso_share", "n_communities", "meeting_interval", "exit_month", "months",
                 "transition_months", "digital_channel"):
        assert SCHEMA[name].allowed in text, name
    assert all(choice in text for choice in SCHEMA["exit_strategy"].choices)


def test_a_filled_file_sets_what_it_says(tmp_path):
    path = write(tmp_path, """
title = "Coastal network"
description = "Fishers' cooperatives and the port authority."
sources = ["member list, 2026"]
[community]
csos = 30
businesses = 6
academics = 0
officials = 4
communities = 2
meetings_per_year = 12
[convener]
months_of_convening_left = 18
months_to_follow_after = 24
how_to_leave = "phase_over"
handover_months = 6
budget_convener_months = 15
digital_channel_planned = true
[params]
control = 0.2
""")
    p = scenario_params(path)
    assert (p["n_members"], p["cso_share"], p["n_communities"]) == (40, 0.75, 2)
    assert p["meeting_interval"] == 1  # 12 meetings a year: one a month
    assert (p["exit_month"], p["months"]) == (18, 42)  # the horizon is the exit plus the follow-up
    assert (p["exit_strategy"], p["transition_months"], p["digital_channel"], p["control"]) == (
        "phase_over", 6, True, 0.2)
    assert p["complementarity"] == SCHEMA["complementarity"].default  # what the file leaves out: the default
    d = describe(path)
    assert (d["name"], d["title"], d["budget"]) == ("mine", "Coastal network", 15.0)
    assert d["sources"] == ["member list, 2026"]


@pytest.mark.parametrize("per_year, interval", [(1, 12), (4, 3), (5, 2), (6, 2), (12, 1), (2.5, 5)])
def test_meetings_a_year_become_whole_months_between_meetings(tmp_path, per_year, interval):
    path = write(tmp_path, f"[community]\nmeetings_per_year = {per_year}\n")
    assert scenario_params(path)["meeting_interval"] == interval


def test_params_table_wins_over_the_answers(tmp_path):
    path = write(tmp_path, "[community]\nmeetings_per_year = 12\n[params]\nmeeting_interval = 6\n")
    assert scenario_params(path)["meeting_interval"] == 6


@pytest.mark.parametrize("text, field, value", [
    ("[community]\nmeetings_per_year = 0\n", "meetings_per_year", "0"),
    ("[community]\nmeetings_per_year = 13\n", "meetings_per_year", "13"),
    ("[community]\nmeetings_per_year = 'often'\n", "meetings_per_year", "often"),
    ("[community]\ncsos = -1\n", "csos", "-1"),
    ("[community]\ncsos = 2.5\n", "csos", "2.5"),
    ("[community]\ncsos = 2\nofficials = 1\n", "csos + officials", "3"),
    ("[community]\ncommunities = 0\n", "communities", "0"),
    ("[convener]\nmonths_of_convening_left = 0\n", "months_of_convening_left", "0"),
    ("[convener]\nmonths_of_convening_left = 590\nmonths_to_follow_after = 20\n", "months_to_follow_after", "20"),
    ("[convener]\nhow_to_leave = 'vanish'\n", "how_to_leave", "vanish"),
    ("[convener]\nhandover_months = 0\n", "handover_months", "0"),
    ("[convener]\nbudget_convener_months = 0\n", "budget_convener_months", "0"),
    ("[convener]\nbudget_convener_months = 'lots'\n", "budget_convener_months", "lots"),
    ("[convener]\ndigital_channel_possible = 'maybe'\n", "digital_channel_possible", "maybe"),
    ("[convener]\ndigital_channel_planned = true\ndigital_channel_possible = false\n", "digital_channel", "false"),
    ("[community]\nmeetings_a_year = 4\n", "meetings_a_year", "meetings_per_year"),  # a typo: did you mean
    ("[params]\ncontrl = 0.2\n", "contrl", "control"),
    ("[params]\ncontrol = 2\n", "control", "2"),
    ("[convener]\nmonths_of_convening_left = 80\n[params]\nmonths = 40\n", "exit_month", "80"),
    ("colour = 'blue'\n", "colour", "colour"),
    ("community = 3\n", "community", "3"),
    ("[community\n", "not valid TOML", "mine.toml"),
])
def test_a_bad_value_is_one_line_naming_the_field(tmp_path, text, field, value):
    path = write(tmp_path, text)
    with pytest.raises(ParameterError) as err:
        scenario_params(path)
    message = str(err.value)
    assert "\n" not in message and field in message and value in message and "mine.toml" in message, message


def test_a_missing_file_and_an_unknown_name_say_what_is_allowed(tmp_path):
    with pytest.raises(ParameterError, match="does not exist .*lcsim scenarios new"):
        scenario_params(str(tmp_path / "nowhere.toml"))
    with pytest.raises(ParameterError, match="unknown.*or a scenario file"):
        scenario_params("fragil")
    assert scenario_params("fragile")["complementarity"] == 0.15  # the named ones are as before


def test_run_takes_a_scenario_file(tmp_path, capsys):
    path = write(tmp_path, SMALL)
    out = tmp_path / "run"
    assert main(["run", "--scenario", str(path), "--seed", "2", "--out", str(out)]) == 0
    assert "scenario " + str(path) in capsys.readouterr().out
    params = json.loads((out / "summary.json").read_text())["params"]
    assert (params["n_members"], params["cso_share"], params["meeting_interval"], params["months"]) == (20, 0.75, 1, 12)
    # the Python API takes the path too, and gives the same run
    again = lcsim.simulate(seed=2, scenario=str(path))
    written = json.loads((out / "summary.json").read_text())["summary"]
    assert json.dumps(again.summary, sort_keys=True) == json.dumps(written, sort_keys=True)  # NaN-safe


def test_run_with_a_bad_file_is_one_line_and_exit_2(tmp_path, capsys):
    path = write(tmp_path, "[community]\nmeetings_per_year = 40\n")
    assert main(["run", "--scenario", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "meetings_per_year = 40" in err and "[1, 12]" in err
    assert not (tmp_path / "run").exists()


def test_new_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    path = write(tmp_path, "# my notes\n", "mine.toml")
    assert main(["scenarios", "new", "mine", "--out", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "exists" in err and "--force" in err
    assert path.read_text() == "# my notes\n"
    assert main(["scenarios", "new", "mine", "--out", str(path), "--force"]) == 0
    assert path.read_text() == template("mine")


@pytest.mark.parametrize("argv, said", [
    (["scenarios", "new", "../up"], "not allowed"),
    (["scenarios", "new", "fragile"], "named scenario"),
    (["scenarios", "new", "mine", "--out", "mine.txt"], ".toml"),
    (["scenarios", "new", "mine", "--out", "no/such/folder/mine.toml"], "does not exist"),
])
def test_new_refuses_bad_names_and_places(tmp_path, monkeypatch, capsys, argv, said):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and said in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_scenarios_lists_the_named_ones_and_says_how_to_make_your_own(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name}:" in out for name in ("default", "fragile", "mexico-csa"))
    assert "lcsim scenarios new NAME" in out


def test_a_files_budget_and_channel_limit_the_advisers_plans(tmp_path):
    levers = ("exit_strategy", "exit_month", "digital_channel")
    path = write(tmp_path, "[convener]\nbudget_convener_months = 20\ndigital_channel_possible = false\n")
    assert plan_limits(str(path), levers, None) == (("exit_strategy", "exit_month"), 20.0)
    assert plan_limits(str(path), "exit_month,digital_channel", 30.0) == (("exit_month",), 30.0)  # --budget wins
    open_file = write(tmp_path, "[convener]\ndigital_channel_possible = true\n", "open.toml")
    assert plan_limits(str(open_file), levers, None) == (levers, None)
    assert plan_limits("fragile", levers, None) == (levers, None)


def test_compare_runs_the_files_values_and_an_edit_is_a_new_sweep(tmp_path):
    path = write(tmp_path, SMALL)
    first = lcsim.compare(scenario=str(path), strategies=["phase_out"], replicates=2, workers=1,
                          out=tmp_path / "cmp")
    assert (first.params["n_members"], first.params["exit_month"]) == (20, 6)
    assert first.experiment["fixed"]["meeting_interval"] == 1  # the file's values travel with the runs
    path.write_text(SMALL.replace("csos = 15", "csos = 19"), encoding="utf-8")
    second = lcsim.compare(scenario=str(path), strategies=["phase_out"], replicates=2, workers=1,
                           out=tmp_path / "cmp")
    assert second.params["n_members"] == 24 and second.runs_dir != first.runs_dir


def test_an_odd_path_is_one_short_line(tmp_path):
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe")
    for name in [str(tmp_path), str(tmp_path / "binary.toml"), "x\x00.toml", "a/" + "b" * 5000 + ".toml"]:
        with pytest.raises(ParameterError) as err:
            scenario_params(name)
        message = str(err.value)
        assert "\n" not in message and "\x00" not in message and len(message) < 300, message


def test_report_takes_a_scenario_file_and_shows_its_description(tmp_path, capsys):
    path = write(tmp_path, 'title = "Coastal network"\ndescription = "Fishers and the port."\n' + SMALL)
    out = tmp_path / "report"
    assert main(["report", "--scenario", str(path), "--replicates", "2", "--strategies", "phase_out",
                 "--workers", "1", "--out", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert "Fishers and the port." in page and "<b>mine</b>" in page
