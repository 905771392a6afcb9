"""The advice carries robustness (issue 22 item 3) and its page is made for a programme officer (item 6)."""

import re

import pytest
from test_advise import toy  # the known-answer evaluator: best at exit month 30, control 0.3

from lcsim.studies.advise import advise


@pytest.fixture(scope="module")
def advice():
    return advise("default", levers=("exit_month", "control"), evaluate=toy, seed=3, candidates=8, replicates=40,
                  finalists=3, discover=False, seeds_per_world=5, threshold=0.6,
                  uncertain={"member_benefit": (0.75, 1.25)})  # drawn per world, whatever advise's default


def test_the_advice_carries_the_robustness_table(advice):
    t = advice.robustness
    assert advice.recommended["plan_index"] in t.index and advice.reference["plan_index"] in t.index
    assert (t["worlds"] == 8).all()  # 40 replicates, 5 seeds per world
    assert t["best_share"].sum() == pytest.approx(1)
    assert t["max_regret"].ge(t["mean_regret"]).all() and t["mean_regret"].ge(0).all()
    # every world has its 5 seeds, so the mean over worlds is the survival over the replicates
    plans = advice.plans.set_index("plan_index")
    for i, row in t.iterrows():
        assert row["mean"] == pytest.approx(plans.loc[i, "survival"])
    runs = advice.runs[advice.runs["plan"] == advice.recommended["plan_index"]]
    assert runs.groupby(runs["replicate"] % 8)["member_benefit"].nunique().eq(1).all()  # one draw per world
    assert runs["member_benefit"].nunique() == 8
    text = advice.text()
    assert "Robustness over 8 simulated worlds" in text and "at least 60%" in text


def test_the_page_puts_the_answer_first_in_plain_words(advice):
    page = advice.to_html()
    body = page[page.index("<body>"):]
    assert "<pre" not in body
    people = body[:body.index("How it was computed")]  # the method, last, may name the parameters
    for code_name in ("plan_index", "survival_lo", "survival_hi", "convener_months", "exit_month", "_"):
        assert code_name not in people.replace("lcsim-advice", ""), code_name
    order = [body.index(s) for s in ("Recommended plan:", "How sure:", "What it costs:", "When it fails:",
                                     "<img", "<h2>The plans</h2>", "Robustness across", "How it was computed")]
    assert order == sorted(order)
    assert "36 months after this plan&#x27;s own exit" in body or "36 months after this plan's own exit" in body
    assert "How often the best" in body and "Worlds where it survives (threshold 0.6)" in body


def test_the_page_fits_1280_px_and_prints(advice):
    page = advice.to_html()
    assert re.search(r"\.lcsim-advice\{max-width:1050px", page)
    assert page.count("<table") == page.count("<div class=\"box\"><table")  # every table scrolls in its own box
    assert ".lcsim-advice .box{max-width:100%;overflow-x:auto}" in page and "@media print" in page
    assert "http" not in page and "data:image/png;base64," in page
    fragment = advice.to_html(heading=False)
    assert fragment.startswith("<section class='lcsim-advice'>") and "<style>" in fragment


CHROMIUM = "/usr/bin/chromium"


def test_the_page_and_the_report_with_it_have_no_horizontal_scrolling_at_1280_px(advice, tmp_path):
    import os

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"this browser test needs Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    import lcsim

    comparison = lcsim.compare("default", strategies=["phase_out", "phase_over"], replicates=2, workers=1,
                               overrides={"n_members": 20}, out=tmp_path / "c", progress=False)
    pages = {"advice": advice.to_html(), "report": comparison.to_html(advice=advice)}
    measured = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--no-first-run"])
        try:
            for name, html in pages.items():
                path = tmp_path / f"{name}.html"
                path.write_text(html, encoding="utf-8")
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(path.as_uri())
                measured[name] = (page.evaluate("document.documentElement.scrollWidth"), page.evaluate(
                    "document.querySelector('section.lcsim-advice').getBoundingClientRect().width"))
        finally:
            browser.close()
    for name, (width, section) in measured.items():
        assert width <= 1280 and section <= 1050, (name, width, section)


def test_the_page_shows_the_evidence_after_the_robustness_table(advice):
    body = advice.to_html()[advice.to_html().index("<body>"):]
    order = [body.index(s) for s in ("What it leans on:", "Robustness across", "Evidence: what the plan leans on",
                                     "Best trade-offs", "How it was computed")]
    assert order == sorted(order)
    evidence = body[body.index("Evidence: what the plan leans on"):body.index("Best trade-offs")]
    for words in ("Survival with it", "Without it", "What validation says", "replication", "L3", "evidence"):
        assert words in evidence, words
    assert evidence.count("<tr>") == 1 + len(advice.evidence.gains) and "_" not in evidence


def test_near_duplicate_runners_up_are_shown_merged_and_the_advice_says_when_it_cannot_tell_plans_apart(advice):
    import dataclasses

    def plan(month, transition=6, channel=True, control=0.5):
        return {"exit_strategy": "phase_out", "exit_month": month, "transition_months": transition, "control": control,
                "digital_channel": channel}

    def runner(k, p, distinct, survival=0.8):
        return {**advice.recommended, "plan": p, "plan_index": 100 + k, "survival": survival,
                "versus": {"difference": -0.01, "lo": -0.05, "hi": 0.03, "p": 0.6, "distinct": distinct}}

    a = dataclasses.replace(advice, recommended={**advice.recommended, "plan": plan(45)}, meeting_interval=3,
                            runners_up=[runner(1, plan(47, transition=12), False), runner(2, plan(40), False),
                                        runner(3, plan(45, channel=False), True, 0.5),
                                        runner(4, plan(46, control=0.501), False)])
    assert set(a.merged()) == {1, 4}  # runner-up 2 exits 5 months earlier (beyond one meeting); 3 has no channel
    text = a.text()
    assert "Recommended plan: exit_strategy=phase_out, exit_month=45-47" in text
    assert ("Runners-up 1 and 4 differ from the recommended plan only in the exit month, within one meeting interval "
            "(3 months); the handover's length, which an abrupt exit does not use; and values the same to the "
            "precision shown, and the data cannot tell them apart") in text
    assert "cannot be told apart from runner-up 2" in text and "\n  1. " not in text
    page = a.to_html()
    assert "the convener gone at month 45-47" in page and "Runner-up 1<" not in page
    assert "Runner-up 2" in page and "Runner-up 3" in page


def test_a_runner_up_that_is_the_current_plan_or_the_same_as_shown_is_named_so(advice):
    import dataclasses

    ref = advice.reference
    same = {**ref, "plan_index": 101, "plan": {**ref["plan"], "control": ref["plan"]["control"] + 0.001}}
    versus = {"difference": -0.01, "lo": -0.05, "hi": 0.03, "p": 0.6, "distinct": False}
    a = dataclasses.replace(advice, runners_up=[{**ref, "versus": versus}, {**same, "versus": versus}])
    assert a.twins() == {1: "the current plan", 2: "the current plan"}
    text = a.text()
    assert "  1. the current plan: survival" in text
    assert "  2. the same as the current plan, to the precision shown: survival" in text
    assert "the same as the current plan, to the precision shown" in a.to_html()


def test_error_bars_never_negative_when_every_run_survived():
    """A Wilson upper bound one rounding step below an estimate of 1 (every run survived) must not
    make the front figure fail: matplotlib refuses a negative error bar."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from lcsim.studies.advice import _error_bar

    row = {"survival": 1.0, "survival_lo": 0.83, "survival_hi": 0.9999999999999999}
    bars = _error_bar(row)
    assert bars[0][0] > 0.16 and bars[1][0] == 0.0
    fig, ax = plt.subplots()
    ax.errorbar([1.0], [1.0], yerr=bars)  # would raise "yerr must not contain negative values"
    plt.close(fig)


def test_a_best_of_failing_plans_is_said_to_fail(advice):
    """When even the recommended plan's 95% interval lies below the threshold, the advice says plainly that no
    plan gives the community that chance (the fixed-values fragile case: every plan at 0%), first thing."""
    import dataclasses

    assert advice.no_even_chance == ""  # the toy's best plan reaches the threshold
    failing = dataclasses.replace(advice, recommended={**advice.recommended, "survival": 0.02, "survival_lo": 0.0,
                                                       "survival_hi": 0.05})
    words = failing.no_even_chance
    assert "No plan searched gives this community a 60% chance" in words and "best of failing plans" in words
    text = failing.text()
    assert text.index("No plan searched") < text.index("Current plan:")
    body = failing.to_html()
    assert body.index("Warning:") < body.index("How sure:")


def test_worlds_without_drawn_values_are_called_groups_of_seeds(advice):
    import dataclasses

    assert "each one draw of the uncertain values" in advice.text()
    fixed = dataclasses.replace(advice, drawn=False)
    assert "each a group of seeds: no value is drawn" in fixed.text()
