"""The advice carries robustness (issue 22 item 3) and its page is made for a programme officer (item 6)."""

import re

import pytest
from test_advise import toy  # the known-answer evaluator: best at exit month 30, control 0.3

from lcsim.studies.advise import advise


@pytest.fixture(scope="module")
def advice():
    return advise("default", levers=("exit_month", "control"), evaluate=toy, seed=3, candidates=8, replicates=40,
                  finalists=3, discover=False, seeds_per_world=5, threshold=0.6)


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
