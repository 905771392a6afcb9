"""`lcsim advise`: successive halving over exit plans on common random numbers.

The known-answer test injects a toy objective (survival a smooth function of `exit_month` and
`control` with a known argmax, Bernoulli draws per replicate) and checks that `advise` finds the
optimum within a stated tolerance with a small fraction of a brute-force grid's evaluations.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from lcsim.cli import main
from lcsim.errors import UsageError
from lcsim.studies.advise import Advice, advise, paired, pareto

BEST_MONTH, BEST_CONTROL = 30, 0.3


def true_p(exit_month, control, member_benefit=1.0):
    p = 0.9 - 0.8 * ((exit_month - BEST_MONTH) / 18) ** 2 - 0.8 * ((control - BEST_CONTROL) / 0.5) ** 2
    return float(np.clip(p + 1.2 * (member_benefit - 1.0), 0.02, 0.98))


def toy(tasks):
    """Survival ~ Bernoulli(true_p); half of each replicate's luck is common to every plan (CRN), half is the plan's."""
    out = []
    for _, seed, params in tasks:
        common = np.random.default_rng(seed).random(2)
        own = np.random.default_rng([seed, zlib.crc32(repr(sorted(params.items())).encode())]).random()
        u = common[0] if common[1] < 0.5 else own
        p = true_p(params["exit_month"], params["control"], params.get("member_benefit", 1.0))
        out.append({"survived": bool(u < p), "convener_months": float(params["exit_month"])})
    return out


def brute_force():
    months = np.arange(12, 49)
    controls = np.round(np.arange(0, 1.0001, 0.05), 2)
    grid = [(m, c) for m in months for c in controls]
    best = max(grid, key=lambda mc: true_p(*mc))
    return grid, best, true_p(*best)


def test_advise_finds_the_known_optimum_with_far_fewer_evaluations_than_brute_force():
    grid, (m_best, c_best), p_best = brute_force()
    assert (m_best, c_best) == (BEST_MONTH, BEST_CONTROL)
    a = advise("default", levers=("exit_month", "control"), evaluate=toy, seed=3)
    assert isinstance(a, Advice)
    plan = a.recommended["plan"]
    # tolerance: within 6 months and 0.15 of control of the argmax, and within 5 points of its survival
    assert abs(plan["exit_month"] - m_best) <= 6
    assert abs(plan["control"] - c_best) <= 0.15
    assert true_p(plan["exit_month"], plan["control"]) >= p_best - 0.05
    # the brute-force grid at the same replicates per plan as the finalists
    brute = len(grid) * a.recommended["replicates"]
    assert a.evaluations < 0.4 * brute
    assert a.evaluations == len(a.runs) + len(a.stress_runs) + a.evidence.runs
    # the current plan (the default scenario: exit_month 36, control 0.5) is evaluated on the same replicates
    assert a.reference["plan"] == {"exit_month": 36, "control": 0.5}
    assert a.reference["replicates"] == a.recommended["replicates"]
    assert a.gain["difference"] > 0 and a.gain["distinct"]
    # failures concentrate at low member benefit: scenario discovery (on the stress runs) says so
    assert a.failure is not None, a.failure_note
    assert a.failure.restricted[0] == "member_benefit"
    limit = a.failure.limits.set_index("input").loc["member_benefit"]
    assert limit["high"] < 1.0  # collapses where the benefit is below the scenario's value
    assert 2 <= len(a.runners_up) <= 3
    assert "front.png" in a.figures
    assert a.cheaper is None or a.cheaper[1]["convener_months"] < a.recommended["convener_months"]


def test_a_budget_keeps_the_recommended_plan_within_it():
    a = advise("default", levers=("exit_month", "control"), evaluate=toy, seed=1, budget=24,
               candidates=24, replicates=80)
    assert a.recommended["convener_months"] <= 24
    assert a.recommended["plan"]["exit_month"] >= 16  # the constrained optimum is exit_month 24


def test_pareto_front_and_paired_comparison():
    import pandas as pd

    table = pd.DataFrame({"plan_index": [0, 1, 2, 3], "exit_month": [12, 24, 36, 30],
                          "survival": [0.2, 0.6, 0.9, 0.5], "survival_lo": 0.0, "survival_hi": 1.0,
                          "convener_months": [12.0, 24.0, 36.0, 30.0], "replicates": 10})
    front = pareto(table, ["exit_month"])
    assert front["plan_index"].tolist() == [0, 1, 2]  # plan 3 is dominated by plan 1
    runs = pd.DataFrame({"plan": [0] * 4 + [1] * 4, "replicate": [0, 1, 2, 3] * 2,
                         "survived": [True, True, True, False, False, False, True, False], "error": None})
    c = paired(runs, 0, 1)
    assert c["difference"] == pytest.approx(0.5) and c["replicates"] == 4
    assert not c["distinct"]  # two discordant pairs cannot tell them apart


def test_a_real_run_on_mexico_csa_and_the_command_line(tmp_path, capsys):
    a = advise("mexico-csa", candidates=4, replicates=8, finalists=2, workers=1, discover=False)
    assert a.evaluations == len(a.runs) + a.evidence.runs > 0 and a.runs["error"].isna().all()
    assert set(a.recommended) >= {"plan", "survival", "survival_lo", "survival_hi", "convener_months"}
    assert a.recommended["plan"]["exit_strategy"] != "stay"
    assert a.reference["plan"]["exit_strategy"] == "phase_over"  # the scenario's current plan
    assert 0 <= a.recommended["survival_lo"] <= a.recommended["survival"] <= a.recommended["survival_hi"] <= 1
    assert not a.front.empty
    plan = a.recommended["plan"]
    assert plan["transition_months"] <= plan["exit_month"]

    out = tmp_path / "advice"
    code = main(["advise", "--scenario", "mexico-csa", "--candidates", "4", "--replicates", "8",
                 "--workers", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Recommended plan:" in printed and "Gain over the current plan" in printed
    assert "Pareto front" in printed and "Where the recommended plan fails" in printed
    assert (out / "advice.md").exists() and (out / "front.png").exists() and (out / "advice.html").exists()


@pytest.mark.parametrize("extra, words", [(["--levers", "exit_strategy,foo"], "lever 'foo' is unknown"),
                                          (["--budget", "0"], "budget"),
                                          (["--budget", "-3"], "budget"),
                                          (["--replicates", "1"], "replicates"),
                                          (["--set", "control=7"], "control")])
def test_bad_input_is_one_line_and_exit_2(extra, words, tmp_path, capsys):
    code = main(["advise", "--scenario", "mexico-csa", "--out", str(tmp_path / "x"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_rerunning_into_the_same_folder_reuses_every_finished_evaluation(tmp_path):
    calls = []

    def counting(tasks):
        calls.append(len(tasks))
        return toy(tasks)

    kw = dict(levers=("exit_month", "control"), evaluate=counting, seed=2, candidates=8, replicates=16,
              stress=40, out=tmp_path)
    first = advise("default", **kw)
    ran = sum(calls)
    assert ran == first.evaluations > 0 and first.reused == 0
    assert len(list((tmp_path / "evaluations").glob("*.parquet"))) == 1
    calls.clear()
    second = advise("default", **kw)
    assert sum(calls) == 0  # nothing new evaluated
    assert second.reused == second.evaluations == first.evaluations
    assert second.recommended == first.recommended and second.gain == first.gain
    assert "read back from earlier evaluations" in second.text()
    # another configuration (here the seed) in the same folder is refused in one line naming the difference
    with pytest.raises(UsageError, match=r"another configuration \(seed 2 there, 5 here\).*--fresh"):
        advise("default", **{**kw, "seed": 5})
    assert len(list((tmp_path / "evaluations").glob("*.parquet"))) == 1 and sum(calls) == 0
    # --fresh starts over: the earlier evaluations go, nothing is reused
    third = advise("default", **{**kw, "seed": 5}, fresh=True)
    assert third.reused == 0 and sum(calls) == third.evaluations
    assert len(list((tmp_path / "evaluations").glob("*.parquet"))) == 1


def test_the_command_line_refuses_another_configuration_in_one_line_and_fresh_replaces_it(tmp_path, capsys):
    out = tmp_path / "a"
    words = ["advise", "--scenario", "mexico-csa", "--candidates", "4", "--replicates", "8", "--workers", "1",
             "--set", "n_members=20", "--follow-up", "12", "--out", str(out)]  # small and short: three advices
    assert main(words) == 0
    before = (out / "advice.md").read_text()
    capsys.readouterr()
    assert main([*words, "--seed", "3"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "seed 0 there, 3 here" in err and "--fresh" in err
    assert (out / "advice.md").read_text() == before  # nothing of the earlier advice was touched
    assert main([*words, "--seed", "3", "--fresh"]) == 0
    assert '"seed": 3' in (out / "advise.json").read_text()


def test_two_runs_with_the_same_arguments_write_the_same_advice(tmp_path):
    kw = dict(candidates=4, replicates=8, finalists=2, workers=1, stress=80, seed=4)
    first = advise("mexico-csa", **kw)
    second = advise("mexico-csa", **kw)
    assert first.failure is not None, first.failure_note  # the discovery (CART too) ran
    first.write(tmp_path / "one")
    second.write(tmp_path / "two")
    assert (tmp_path / "one" / "advice.md").read_text() == (tmp_path / "two" / "advice.md").read_text()
    for name in ("discovery_rules.csv", "discovery_box.csv"):
        assert (tmp_path / "one" / "failure" / name).read_text() == (tmp_path / "two" / "failure" / name).read_text()


def test_a_killed_worker_leaves_the_advice_as_an_uninterrupted_run_gives_it(tmp_path):
    import multiprocessing
    import os
    import signal
    import threading
    import time

    kw = dict(candidates=4, replicates=8, finalists=2, discover=False, seed=7)
    calm = advise("mexico-csa", workers=1, **kw)
    killed = []

    def kill_one():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            workers = multiprocessing.active_children()
            if workers:
                time.sleep(0.3)  # let it start running
                os.kill(workers[0].pid, signal.SIGKILL)
                killed.append(time.monotonic())
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one, daemon=True)
    killer.start()
    hit = advise("mexico-csa", workers=2, out=tmp_path / "k", **kw)
    ended = time.monotonic()
    killer.join(timeout=1)
    assert killed and killed[0] < ended  # a worker died while the advice was running
    assert hit.recommended == calm.recommended and hit.gain == calm.gain and hit.rungs == calm.rungs
    cols = ["run_id", "plan", "replicate", "seed", "survived", "convener_months", "error"]
    assert hit.runs[cols].equals(calm.runs[cols])


def test_the_html_page_is_self_contained():
    a = advise("default", levers=("exit_month", "control"), evaluate=toy, seed=1, candidates=8, replicates=16,
               discover=False)
    page = a.to_html()
    assert "data:image/png;base64," in page
    assert "http" not in page and "src='front.png'" not in page and "<link" not in page
    assert a.to_html(heading=False).startswith("<section class='lcsim-advice'>")


def test_the_report_carries_the_advice_self_contained(tmp_path):
    import lcsim

    advice = advise("mexico-csa", candidates=4, replicates=8, finalists=2, workers=1, discover=False)
    comparison = lcsim.compare("mexico-csa", strategies=["phase_out", "phase_over"], replicates=4,
                               out=tmp_path / "c", workers=1, progress=False)
    html = comparison.to_html(advice=advice)
    lowered = html.lower()
    assert "the best plan for this community" in lowered and "lcsim-advice" in lowered
    assert "http://" not in lowered and "https://" not in lowered and "<script" not in lowered
    assert "the best plan for this community" not in comparison.to_html().lower()


def test_a_missing_extra_is_one_line_before_any_work(tmp_path, capsys, monkeypatch):
    from lcsim import extras

    monkeypatch.setitem(extras.EXTRAS, "advise", (("no_such_module_xyz",), "lcsim advise"))
    code = main(["advise", "--scenario", "mexico-csa", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "pip install 'lcsim[advise]'" in err
    assert not (tmp_path / "x").exists()


def test_damaged_evaluations_are_one_line_and_fresh_starts_over(tmp_path):
    kw = dict(levers=("exit_month", "control"), evaluate=toy, seed=2, candidates=8, replicates=16, stress=40,
              out=tmp_path)
    advise("default", **kw)
    stored = next((tmp_path / "evaluations").glob("*.parquet"))
    stored.write_bytes(stored.read_bytes()[:-40])  # truncated
    with pytest.raises(UsageError, match=r"evaluations cannot be read.*--fresh"):
        advise("default", **kw)
    assert advise("default", **kw, fresh=True).reused == 0


def test_report_advise_reuses_what_lcsim_advise_stored_for_the_same_configuration(tmp_path, capsys, monkeypatch):
    import lcsim.studies.advise as study
    from lcsim.studies.evaluations import Runner

    monkeypatch.chdir(tmp_path)  # both commands' default folders: out/advise/NAME-<hash of the --set values>
    tiny = ["--scenario", "mexico-csa", "--set", "n_members=12", "--workers", "1", "--follow-up", "12"]
    assert main(["advise", *tiny, "--candidates", "4", "--replicates", "8"]) == 0
    folders = list((tmp_path / "out" / "advise").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("mexico-csa-")
    advised = (folders[0] / "advice.md").read_text()
    capsys.readouterr()

    def nothing_new(self, tasks, meta):
        raise AssertionError(f"report --advise ran {len(tasks)} new evaluations")

    monkeypatch.setattr(Runner, "_evaluate", nothing_new)
    monkeypatch.setattr(study, "REPLICATES", 8)  # what `lcsim advise` was given above (report takes its defaults)
    monkeypatch.setattr(study, "CANDIDATES", 4)
    assert main(["report", *tiny, "--replicates", "4", "--strategies", "phase_out", "--advise",
                 "--out", str(tmp_path / "report")]) == 0
    printed = capsys.readouterr().out
    assert f"{folders[0].relative_to(tmp_path)}/" in printed and "reused" in printed
    assert list((tmp_path / "out" / "advise").iterdir()) == folders  # one folder per configuration
    import re

    again = (folders[0] / "advice.md").read_text()
    assert re.search(r"; \d+ of them read back from earlier evaluations", again)
    assert re.sub(r"; \d+ of them read back from earlier evaluations", "", again) == advised  # same plans, numbers
    # another configuration gets its own folder, and report has --fresh
    assert study.advise_folder("mexico-csa", {"n_members": 30}) != folders[0].relative_to(tmp_path)
    assert study.advise_folder("mexico-csa") == study.advise_folder("mexico-csa", {}, seed=0, levers=None)
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    assert "--fresh" in capsys.readouterr().out


def test_the_cheapest_plan_the_runs_cannot_tell_from_the_best_is_recommended():
    """Known answer: plan 1 (highest survival, 40 convener-months) and plan 2 (one run fewer survives, 20) cannot
    be told apart on 100 common replicates; plan 3 (10 convener-months) survives half as often: distinct. Plan 2 is
    recommended, then the others in their order."""
    import pandas as pd

    from lcsim.studies.evaluations import cheapest_alike

    survived = {1: [True] * 90 + [False] * 10, 2: [True] * 89 + [False] * 11, 3: [True] * 45 + [False] * 55}
    runs = pd.DataFrame([{"plan": p, "replicate": r, "survived": s, "error": None}
                         for p, rows in survived.items() for r, s in enumerate(rows)])
    table = pd.DataFrame({"survival": [0.90, 0.89, 0.45], "convener_months": [40.0, 20.0, 10.0]}, index=[1, 2, 3])
    assert cheapest_alike(runs, table, [1, 2, 3]) == [2, 1, 3]
    assert cheapest_alike(runs, table, [1, 3]) == [1, 3]  # the cheaper one is distinguishably worse
