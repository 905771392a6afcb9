"""The report's plain words name the mechanisms the compared strategies lean on, each with its validation status
(issue 21 item 7), and one sentence reconciles the comparison's figure for the current plan with the advice's
(issue 22, 'Contradictions'). From stored results only: synthetic runs, no model."""

import numpy as np
import pandas as pd
import pytest

from lcsim.analysis.comparison import comparison_table
from lcsim.analysis.report import build_report, leaned_on, reconcile
from lcsim.parameters import DEFAULTS
from lcsim.validation.verdict import read_statuses

SURVIVAL = {"phase_out": 0.72, "phase_over": 0.80, "phase_down": 0.60}
N = 200


def runs(channel=(False,)):
    rng = np.random.default_rng(4)
    parts = []
    for strategy, p in SURVIVAL.items():
        for on in channel:
            alive = rng.random(N) < p
            parts.append(pd.DataFrame({"exit_strategy": strategy, "digital_channel": on, "survived": alive,
                                       "censored": alive, "months_alive_after_exit": np.where(alive, 36, 10),
                                       "replicate": range(N), "error": pd.Series([None] * N, dtype=object)}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def table():
    return comparison_table(runs())


def test_the_mechanisms_each_strategy_leans_on_with_their_validation_status(table):
    found = {name: (who, words) for who, name, words in leaned_on(table, DEFAULTS)}
    assert "the digital channel" not in found  # not compared, and off in the scenario
    statuses = read_statuses()["patterns"]
    assert found["handing over to local leaders"][0] == "phase_over"
    assert found["handing over to local leaders"][1].endswith("fails (and this part of it holds by construction)")
    assert found["tapering off"][1].startswith("its validation pattern, L1") and not statuses["L1"]["passed"]
    assert found["replication (members founding new communities)"][0] == "every exit compared"
    assert "by construction" in found["replication (members founding new communities)"][1]
    assert found["the hosting routine members learn from the convener"][1].endswith("evidence for it")
    both = comparison_table(runs(channel=(False, True)))
    assert "the digital channel" in {name for _, name, _ in leaned_on(both, DEFAULTS)}


def test_the_report_says_them_in_its_plain_words(table):
    page = build_report(table=table, params=DEFAULTS, figures={}, scenario={"name": "default"},
                        meta={"replicates": N})
    reading = page[page.index("The answer, in plain words"):page.index("The comparison</h2>")]
    assert "lean on mechanisms that the model" in reading and "Handing over to local leaders" in reading
    assert "fails" in reading and "evidence for it" in reading


def facts(survival, drawn=(), follow_up=36, replicates=160):
    return {"current": {"exit_strategy": "phase_out", "exit_month": 36, "control": 0.5, "digital_channel": False},
            "survival": survival, "lo": survival - 0.07, "hi": survival + 0.07, "replicates": replicates,
            "follow_up": follow_up, "levers": ["exit_strategy", "exit_month", "control", "digital_channel"],
            "drawn": list(drawn)}


def test_one_sentence_reconciles_the_comparison_with_the_advice(table):
    here = float(table.set_index("exit_strategy").loc["phase_out", "survival"])
    same = reconcile(table, DEFAULTS, facts(here))
    assert same.startswith("The comparison keeps the scenario's plan, abrupt exit (phase_out) with the convener gone "
                           "at month 36") and "the two agree" in same
    assert "also searches the exit month, the convener's control and the digital channel, and reads" in same
    apart = reconcile(table, DEFAULTS, facts(0.64, drawn=["member_benefit"]))
    assert f"64% there against {here:.0%} here, because the advice's worlds draw the uncertain values " \
           "(member_benefit)" in apart
    assert "(other seeds: 160 there, 200 here)" in apart and apart.count(".") == 1 + apart.count("e.g.")
    page = build_report(table=table, params=DEFAULTS, figures={}, scenario={"name": "default"},
                        meta={"replicates": N}, advice_html="<section></section>", advice=facts(0.64))
    words = page[page.index("The answer, in plain words"):page.index("The comparison</h2>")]
    assert page.count("The comparison keeps the scenario") == 1 and "The comparison keeps the scenario" in words
    assert reconcile(table, DEFAULTS, {**facts(0.5), "current": {"exit_strategy": "stay"}}) == ""
