import subprocess
import sys

import pytest

import lcsim
from lcsim.parameters import DEFAULTS, SCHEMA, check_params, parse_assignment

PUBLIC = ["n_members", "months", "exit_month", "exit_strategy", "control", "digital_channel"]


def test_schema_has_the_public_names_and_documents_every_parameter():
    for name in PUBLIC:
        assert name in SCHEMA
    assert 15 <= len(SCHEMA) <= 36  # 33 with the adaptive exit (exit_trigger, trigger_share, trigger_window)
    for p in SCHEMA.values():
        assert p.meaning and p.unit and p.source, p.name
        assert p.sweep, p.name
        assert p.check(p.default) == p.default
        if p.kind in ("int", "float"):
            assert p.low <= p.sweep[0] <= p.sweep[1] <= p.high, p.name


@pytest.mark.parametrize("params, words", [
    ({"contrl": 0.3}, ["unknown parameter 'contrl'", "did you mean 'control'"]),
    ({"control": 1.5}, ["'control'", "1.5", "[0, 1]"]),
    ({"control": "high"}, ["'control'", "'high'", "wrong type"]),
    ({"n_members": 10.5}, ["'n_members'", "10.5", "whole number"]),
    ({"exit_strategy": "phase-out"}, ["'exit_strategy'", "'phase-out'", "did you mean 'phase_out'", "stay"]),
    ({"digital_channel": "yes"}, ["'digital_channel'", "true or false"]),
    ({"months": 24}, ["'exit_month'", "36", "at most months (24)"]),
])
def test_bad_parameters_raise_a_clear_error(params, words):
    with pytest.raises(lcsim.ParameterError) as err:
        lcsim.simulate(seed=0, **params)
    assert isinstance(err.value, ValueError)
    for word in words:
        assert word in str(err.value)


def test_command_line_values_are_parsed_to_the_schema_types():
    assert parse_assignment("control=0.25") == ("control", 0.25)
    assert parse_assignment("n_members=80") == ("n_members", 80)
    assert parse_assignment("digital_channel=true") == ("digital_channel", True)
    assert parse_assignment("exit-strategy=phase_over") == ("exit_strategy", "phase_over")
    with pytest.raises(lcsim.ParameterError, match="'n_members': 8x"):
        parse_assignment("n_members=8x")


def test_defaults_are_consistent():
    assert check_params({}) == DEFAULTS


def test_cli_refuses_bad_input_with_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    for bad in (["--set", "control=2"], ["--set", "nope=1"], ["--scenario", "mexico"]):
        proc = subprocess.run([sys.executable, "-m", "lcsim", "run", "--out", str(out), *bad],
                              capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr
        assert not out.exists()
    assert "mexico-csa" in proc.stderr  # the unknown scenario lists the names


def test_set_takes_assumptions_by_their_dotted_name_and_checks_them():
    from lcsim.cli.options import parse_set

    assert parse_set("assumptions.engagement_rate=0.2") == ("assumptions.engagement_rate", 0.2)
    assert parse_set("assumptions.quorum_floor=4") == ("assumptions.quorum_floor", 4)
    assert parse_set("control=0.3") == ("control", 0.3)
    with pytest.raises(lcsim.ParameterError, match="unknown assumption 'engagment_rate'; did you mean "
                                                   "'assumptions.engagement_rate'"):
        parse_set("assumptions.engagment_rate=0.2")
    with pytest.raises(lcsim.ParameterError, match=r"assumption 'engagement_rate': 2.5 is not allowed.*\[0.1, 2\]"):
        parse_set("assumptions.engagement_rate=2.5")


def test_run_with_an_assumption_set_is_the_simulation_with_that_assumption(tmp_path, capsys):
    import json

    from lcsim.cli import main

    out = tmp_path / "run"
    argv = ["run", "--seed", "3", "--months", "30", "--set", "exit_month=12", "--out", str(out)]
    assert main([*argv, "--set", "assumptions.engagement_rate=0.15"]) == 0
    assert "assumptions set:     engagement_rate=0.15" in capsys.readouterr().out
    written = json.loads((out / "summary.json").read_text())
    assert written["assumptions"] == {"engagement_rate": 0.15}
    expected = lcsim.simulate(seed=3, months=30, exit_month=12, assumptions={"engagement_rate": 0.15}).summary
    default = lcsim.simulate(seed=3, months=30, exit_month=12).summary
    assert written["summary"] == json.loads(json.dumps(expected))
    assert expected != default  # the assumption reached the model


def test_params_lists_the_assumptions_with_value_range_unit_rule_and_source(capsys):
    from lcsim.assumptions import TABLE
    from lcsim.cli import main

    assert main(["params", "--assumptions"]) == 0
    text = capsys.readouterr().out
    assert "--set assumptions.NAME=VALUE" in text
    lines = text.splitlines()
    for a in TABLE.values():
        row = next(line for line in lines if line.split()[:1] == [a.name])
        assert str(a.default) in row and a.range_text in row and a.group in row and a.meaning in row
        assert f"source: {a.source}" in lines[lines.index(row) + 1]
    assert main(["params", "--assumptions", "--markdown"]) == 0
    markdown = capsys.readouterr().out.splitlines()
    assert markdown[0] == "| name | value | range | unit | rule | meaning | source |"
    assert len(markdown) == 2 + len(TABLE)
    assert main(["params"]) == 0
    assert "engagement_rate" not in capsys.readouterr().out  # the parameters' list is unchanged
