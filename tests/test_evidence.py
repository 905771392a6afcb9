"""The evidence behind a recommendation (issue 22 item 5, issue 21 item 7): each mechanism the recommended plan uses
switched off on the same replicates, with the validation status of the pattern that tests it, read from the stored
verdicts, which agree with docs/validation.md."""

import dataclasses
import json
from pathlib import Path

import pytest
from test_advise import toy  # the known-answer evaluator: survival best at exit month 30, control 0.3

from lcsim.studies.advise import advise
from lcsim.studies.evidence import sentence
from lcsim.validation.verdict import MECHANISMS, STATUSES, Mechanism, read_statuses, statuses_from_document

DOC = Path(__file__).resolve().parent.parent / "docs" / "validation.md"
CHANNEL_GAIN = 0.2  # what the channel adds to the toy's chance of survival
MECHANISM_KEYS = ("digital_channel", "exit_strategy", "replication", "resource_sharing", "assumptions.routine_learning")


def toy_with_channel(tasks):
    """test_advise's toy, where the digital channel raises the chance of survival by CHANNEL_GAIN (through the toy's
    member benefit: 1.2 points of chance per unit) and no other mechanism matters: their settings are not passed on,
    so switching one of them off leaves every replicate's luck, and its outcome, as it was."""
    moved = []
    for rid, seed, params in tasks:
        p = {k: v for k, v in params.items() if k not in MECHANISM_KEYS}
        shift = -0.3 + (CHANNEL_GAIN if params.get("digital_channel") else 0.0)  # away from the 0.98 ceiling
        p["member_benefit"] = p.get("member_benefit", 1.0) + shift / 1.2
        moved.append((rid, seed, p))
    return toy(moved)


@pytest.fixture(scope="module")
def advice():
    return advise("default", levers=("exit_month", "control", "digital_channel"), evaluate=toy_with_channel, seed=3,
                  candidates=8, replicates=160, finalists=3, discover=False, seeds_per_world=5)


def test_the_evidence_gives_the_known_gains_and_the_stored_statuses(advice):
    plan = advice.recommended["plan"]
    assert plan["digital_channel"]  # the channel helps, so the recommended plan has it
    gains = {g["key"]: g for g in advice.evidence.gains}
    # default scenario: an abrupt exit (no handover, no taper), replication, control > 0 and resources all on
    assert set(gains) == {"digital_channel", "replication", "routine", "resources"}
    channel = gains["digital_channel"]
    assert channel["replicates"] == advice.recommended["replicates"] == 160
    # the known gain, within 0.1: the recommended plan was chosen for its survival on these replicates, so its luck
    # there leans favourable and the measured gain a little larger (the winner's curse; 160 paired replicates)
    assert abs(channel["difference"] + CHANNEL_GAIN) <= 0.1 and channel["hi"] < 0 and channel["distinct"]
    assert channel["with"] == pytest.approx(advice.recommended["survival"])
    assert channel["without"] - channel["with"] == pytest.approx(channel["difference"])
    for key in ("replication", "routine", "resources"):  # no effect in the toy: the same outcome on every replicate
        assert gains[key]["difference"] == 0 and not gains[key]["distinct"], key
    statuses = read_statuses()
    assert {k: g["status"] for k, g in gains.items()} == {
        m.key: m.status(statuses)[0] for m in MECHANISMS if m.key in gains}
    # docs/validation.md as it stands: P3 fails, P1's replication half holds by construction, L3 and L2 are evidence
    assert (channel["status"], gains["replication"]["status"]) == ("fails", "by construction")
    assert gains["routine"]["status"] == gains["resources"]["status"] == "evidence"
    words = sentence(channel)
    assert words.startswith("The plan leans on the digital channel: without it, survival falls from")
    assert "P3" in words and "fails: treat this gain with caution." in words
    assert "does not need it here: survival is" in sentence(gains["routine"]) and "evidence for it" in \
        sentence(gains["routine"])
    assert "leans on the digital channel" in advice.evidence.summary()
    assert advice.evidence.runs == 4 * 160


def test_the_advice_text_and_its_saved_files_carry_the_evidence(advice, tmp_path):
    text = advice.text()
    assert "Evidence behind the recommendation" in text and "The plan leans on the digital channel" in text
    advice.write(tmp_path)
    saved = (tmp_path / "evidence.csv").read_text()
    assert "digital_channel" in saved and "P3" in saved
    assert "The plan leans on the digital channel" in (tmp_path / "advice.md").read_text()


def test_a_handover_plan_is_measured_against_the_same_plan_as_an_abrupt_exit():
    a = advise("mexico-csa", levers=("exit_month", "control"), evaluate=toy_with_channel, seed=1, candidates=4,
               replicates=16, finalists=2, discover=False, seeds_per_world=4)
    assert a.recommended["plan"].keys() == {"exit_month", "control"}  # the scenario's strategy: phase_over
    handover = next(g for g in a.evidence.gains if g["key"] == "handover")
    assert handover["difference"] == 0 and handover["status"] == "fails"  # L1 fails (its phase_over half too)
    assert "handing over" in sentence(handover)


def status_table(**fields):
    base = {"key": "X1", "title": "t", "passed": True, "parts": {}, "knockout_passed": False, "by_construction": ""}
    return {"measured_on": "now", "patterns": {"X1": {**base, **fields}}}


@pytest.mark.parametrize("fields, part, status", [
    ({}, None, "evidence"),
    ({"passed": False}, None, "fails"),
    ({"knockout_passed": True}, None, "no evidence"),
    ({"knockout_passed": None}, None, "not tested"),
    ({"by_construction": "the a half: why"}, "a", "by construction"),
    ({"by_construction": "the b half: why"}, "a", "evidence"),  # another half holds by construction
    ({"passed": False, "parts": {"a": True, "b": False}}, "a", "evidence"),  # its own part passes
    ({"passed": False, "parts": {"a": False}, "by_construction": "the a half: why"}, "a", "fails"),
])
def test_each_validation_status_in_words(fields, part, status):
    m = Mechanism("m", "a mechanism", "X1", part, {"x": 0})
    found, words = m.status(status_table(**fields))
    assert found == status and words.startswith("its validation pattern, X1")
    assert Mechanism("m", "a mechanism", "Z9", None, {}).status(status_table())[0] == "not tested"


def test_the_shipped_verdicts_agree_with_docs_validation_md():
    shipped = json.loads(STATUSES.read_text(encoding="utf-8"))
    assert shipped == json.loads(statuses_from_document(DOC.read_text(encoding="utf-8"))), \
        "regenerate src/lcsim/validation/verdicts.json from docs/validation.md (statuses_from_document)"
    assert len(shipped["patterns"]) == 10 and shipped["measured_on"].startswith("commit")
    by_key = read_statuses()["patterns"]
    assert not by_key["P3"]["passed"] and by_key["L3"]["evidence"] == "yes"


def test_the_page_validate_writes_and_the_table_it_writes_say_the_same(tmp_path):
    from lcsim.validation.document import render
    from lcsim.validation.verdict import Pattern, statuses_text

    pattern = Pattern("L9", "A title: with a colon", "claim", "source", ("exp",), "criterion", "l9.png")
    v = pattern.verdict("gain", 0.125, -0.014, 0.31, False, n="10 seeds", lines=["a line"],
                        extra=[("other gain", 0.2, 0.1, 0.3, "b")], parts={"a": False, "b": True}, part="a")
    v = dataclasses.replace(v, knockout=0.01, knockout_low=-0.02, knockout_high=0.04, knockout_passed=False,
                            knockout_setting="x 0", by_construction="the b half: it must")
    w = dataclasses.replace(pattern.verdict("share", 0.5, 0.4, 0.6, True), key="L8", title="Another")
    page = render([v, w], 60.0, 2, "commit `abc1234`, 2026-12-07 20:00 UTC")
    table = statuses_text([v, w], "commit `abc1234`, 2026-12-07 20:00 UTC")
    assert json.loads(statuses_from_document(page)) == json.loads(table)
    # `lcsim validate` writes the table with the page: beside it, or the package's for the source tree's page
    from lcsim.validation.document import write_document
    from lcsim.validation.verdict import statuses_path

    write_document(tmp_path / "validation.md", [v, w], 60.0, 2, "commit `abc1234`, 2026-12-07 20:00 UTC")
    assert (tmp_path / "validation.verdicts.json").read_text(encoding="utf-8") == table
    assert statuses_path(DOC) == STATUSES
