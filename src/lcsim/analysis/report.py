"""One self-contained HTML report a program designer can send to a colleague.

Everything is inside the file: the figures are base64 PNGs and the styling is inline, so it
opens offline and survives being attached to an e-mail. It answers one question (which
exit strategy gives a community like this one the best chance?), says how sure we are,
how it was computed, and what the model assumes.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

from ..pages import Markup, document, element, escape, fill, image, join, png_base64, rows
from ..parameters import DEFAULTS, SCHEMA
from ..strategies import DEFINITIONS, WORDS, order
from .comparison import REFERENCE, plain_reading, readable

QUESTION = ("A convener is about to step back from a multi-sector learning community. Which exit strategy "
            "gives a community like this one the best chance to keep meeting after the convener has gone, "
            "and how sure can we be?")

ASSUMPTIONS = [
    "A community is alive while it has held a meeting with a quorum (at least max(3, quorum x members) "
    "attending) within the last two meeting intervals; once it misses that, it has dissolved for good. "
    "Survival means alive at the end of the simulated horizon.",
    "Meetings happen only if someone hosts them. While present, the convener leaves a meeting to members with a "
    "chance that falls with its control, and hosts itself when no member steps up (a safety net); once it has "
    "gone, a member hosts or no one does (or the digital channel, when it is on). Whether a member steps up is a "
    "volunteer's dilemma: leaders first, then the others; hosting costs more for members of little capacity and "
    "in larger communities (more to coordinate), so large communities find a host less easily.",
    "Members take stock at meetings: their engagement follows the value they get per month from ties, the "
    "convener's follow-up and meetings (more when sectors bring complementary assets and the agenda fits them) "
    "against an aspiration that adapts to what they have grown used to, so an exit is felt as a loss. Members "
    "with low engagement leave. The convener's effort is finite: it serves a large community more thinly.",
    "Local leaders emerge at random from capable, engaged members; tight control by the convener crowds them "
    "out. Both gradual exits hand over as they go: they loosen the convener's control, speed up leader "
    "emergence and mentor leaders before the exit. Handing over (phase_over) does so at full effort; tapering "
    "off (phase_down) backs the handover with ever less effort, cutting brokering and resources as it goes.",
    "Ties strengthen when organisations meet and decay without contact: weak ties and bridges (pairs with no "
    "contact in common) fastest; an attendee catches up with only a few acquaintances per meeting.",
    "Under stay the convener never leaves; its 'months after exit' count from the same nominal exit month, so "
    "all strategies are compared on one clock.",
    "Many values are assumptions rather than measurements (`lcsim params` and `lcsim params --assumptions` give "
    "each value's source; survival's level on the default scenario was set by hand to the band measured for "
    "coalitions after their funding ended, so it is no evidence). The "
    "model compares strategies under the same assumptions; it does not forecast one real community.",
]
CAPTIONS = {  # each figure of the comparison (`Comparison.figures`) and what it shows
    "survival.png": "Share of communities alive at the horizon, with 95% Wilson intervals.",
    "survival_curves.png": "Kaplan-Meier survival after the convener's exit, with pointwise 95% bands; "
                           "communities alive at the horizon are censored.",
    "outcomes.png": "Outcomes at the horizon across the simulated communities (box: middle half; line: "
                    "median; diamond: mean; points: unusual communities).",
}
STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1050px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.88em;margin:.6em 0}th,td{border:1px solid #ccc;padding:.3em .55em;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}
.reading{background:#f5f8fc;border-left:4px solid #4c72b0;padding:.6em 1em}.muted{color:#666;font-size:.9em}
img{max-width:100%;height:auto;display:block;margin:.6em 0}code{background:#f3f3f3;padding:0 .2em}
tr.changed td{background:#fff8e6}
"""


def figure_to_base64(fig, dpi: int = 110) -> str:
    """The figure as base64 PNG text, ready for an `<img src="data:image/png;base64,...">`."""
    return png_base64(fig, dpi=dpi)


def build_report(*, table: pd.DataFrame, params: dict, scenario: dict, figures: dict, meta: dict,
                 overrides: dict | None = None, reference: str = REFERENCE, advice_html: Markup | None = None,
                 advice: dict | None = None, statuses: dict | None = None) -> str:
    """The report's HTML, written by `lcsim.pages` (every string from the table, scenario, overrides, meta and
    captions is escaped; `advice_html` is inserted only as `pages.Markup`, e.g. `Advice.to_html(heading=False)`).

    table: `compare.comparison_table`; params: the full parameter set the arms shared
    (exit_strategy and digital_channel are what varied); scenario: `scenarios.describe(name)`;
    figures: caption -> matplotlib figure (or base64 PNG text); meta: replicates, root_seed,
    version, runs, failed, command (what produced it), uncertainty_note (which intervals include the
    posterior's draws, if any); overrides: the --set values; advice: `Advice.facts()` (its current plan's
    figure, follow-up, levers and drawn values), for the sentence that reconciles the two; statuses: the stored
    validation verdicts (`validation.verdict.read_statuses()`, the default), for the mechanisms the answers lean on.
    """
    horizon = params["months"] - params["exit_month"]
    varied = [c for c in ("exit_strategy", "digital_channel") if c in table.columns]
    reading = plain_reading(table, horizon_after_exit=horizon, reference=reference)
    leaning = mechanisms_html(table, params, statuses)
    reconciled = reconcile(table, params, advice) if advice else ""
    advice_part = []
    if advice_html:
        advice_part = [Markup("<h2>The best plan for this community, and where it fails</h2>"
                         "<p class='muted'>From <code>lcsim advise</code>: every lever of the plan searched (NSGA-II, "
                         "then successive halving on common random numbers), every plan read the same time after "
                         "its own exit.</p>"), escape(advice_html)]
    body = [
        Markup("<h1>Which exit strategy keeps this learning community alive?</h1>"),
        fill("<p class='muted'>lcsim {} &middot; scenario <b>{}</b> &middot; {}</p>", meta.get("version", ""),
             scenario["name"], meta.get("date") or _dt.date.today().isoformat()),
        Markup("<h2>The question</h2>"), element("p", QUESTION),
        Markup("<h2>The answer, in plain words</h2>"),
        element("div", join(element("p", s) for s in [*reading, *([reconciled] if reconciled else [])]) + leaning,
                class_="reading"),
        fill("<p class='muted'>Percentages in brackets are 95% intervals: with {} simulated communities per "
             "strategy, the true share under the model's assumptions lies in that range with 95% confidence. "
             "Differences are in percentage points with Newcombe's 95% interval.</p>", str(meta.get("replicates"))),
        Markup("<h2>The comparison</h2>"), _comparison_html(table, reference),
        _strategies_html(table),
        Markup("<h2>Figures</h2>"), _figures_html(figures),
        *advice_part,
        Markup("<h2>The scenario</h2>"), _scenario_html(scenario, params, overrides or {}, horizon, varied),
        Markup("<h2>How it was computed</h2>"), _method_html(meta, params),
        Markup("<h2>What the model assumes</h2>"),
        element("ul", join(element("li", a) for a in ASSUMPTIONS)),
        Markup("<p>The full model description (ODD protocol), with every mechanism and its sources, is in "
               "<code>docs/model.md</code> of the lcsim repository; each parameter's meaning, range and source is "
               "listed by <code>lcsim params</code>.</p>"),
    ]
    return document(f"lcsim report: exit strategies for {scenario['name']}", body, style=STYLE)


def leaned_on(table: pd.DataFrame, params: dict, statuses: dict | None = None) -> list[tuple[str, str, str]]:
    """The mechanisms the compared strategies lean on: (what leans on it, the mechanism, its validation status in
    words), from the stored verdicts (no validation run)."""
    from ..validation.verdict import MECHANISMS, read_statuses

    statuses = statuses if statuses is not None else read_statuses()
    strategies = [s for s in order(table["exit_strategy"]) if s != "stay"]
    channel = bool(table["digital_channel"].any()) if "digital_channel" in table.columns else \
        bool(params.get("digital_channel"))
    found = []
    for m in MECHANISMS:
        if m.strategy is not None:
            users = [s for s in strategies if s == m.strategy]
        else:
            users = [s for s in strategies if m.applies({**params, "exit_strategy": s, "digital_channel": channel})]
        if users:
            who = ", ".join(users) if m.strategy is not None or len(users) < len(strategies) else \
                "every exit compared"
            found.append((who, m.name, m.status(statuses)[1]))
    return found


def mechanisms_html(table: pd.DataFrame, params: dict, statuses: dict | None = None) -> Markup:
    found = leaned_on(table, params, statuses)
    if not found:
        return Markup("")
    items = [fill("<li><b>{}</b> ({}): {}.</li>", name[:1].upper() + name[1:], who, words)
             for who, name, words in found]
    return (Markup("<p>These figures lean on mechanisms that the model's validation (docs/validation.md) judges "
                   "differently; a figure that rests on a mechanism whose pattern fails, or holds only by "
                   "construction, is the model's assumption, not a finding:</p>") + element("ul", join(items)))


LEVER_WORDS = {"exit_month": "the exit month", "transition_months": "the handover's length",
               "control": "the convener's control", "digital_channel": "the digital channel",
               "exit_trigger": "a trigger for the exit", "trigger_share": "the trigger's share",
               "trigger_window": "the trigger's window"}


def reconcile(table: pd.DataFrame, params: dict, advice: dict) -> str:
    """One sentence reconciling the comparison's figure for the current plan with the advice's for the same plan
    (`advice`: `Advice.facts()`): what each holds fixed and reads, and why the two differ, or that they agree."""
    plan = {**params, **advice["current"]}
    row = table[table["exit_strategy"] == plan["exit_strategy"]]
    if "digital_channel" in table.columns:
        row = row[row["digital_channel"] == bool(plan.get("digital_channel"))]
    if row.empty:
        return ""
    row = row.iloc[0]
    here, there = float(row["survival"]), float(advice["survival"])
    horizon = int(params["months"]) - int(params["exit_month"])
    varied = "digital_channel" in table.columns and table["digital_channel"].nunique() > 1
    searched = [LEVER_WORDS.get(n, n) for n in advice["levers"]
                if n != "exit_strategy" and not (n == "digital_channel" and varied)]
    head = (f"The comparison keeps the scenario's plan, {WORDS.get(plan['exit_strategy'], plan['exit_strategy'])} "
            f"with the convener gone at month {int(params['exit_month'])}, and varies only the exit strategy"
            f"{' and the channel' if varied else ''}, reading survival {horizon} months after the exit; the advice "
            f"also searches {_and(searched) or 'nothing else'}, and reads every plan {advice['follow_up']} months "
            "after its own exit, so its current-plan figure is this same plan on the advice's simulated worlds")
    if round(here, 2) == round(there, 2):
        return head + f", and the two agree: {there:.0%}."
    why = []
    if advice.get("drawn"):
        why.append("the advice's worlds draw the uncertain values (" + ", ".join(advice["drawn"]) + "), where the "
                   "comparison keeps the scenario's")
    if int(advice["follow_up"]) != horizon:
        why.append(f"it reads survival at another follow-up ({advice['follow_up']} against {horizon} months)")
    chance = advice["lo"] <= float(row["survival_hi"]) and float(row["survival_lo"]) <= advice["hi"]
    why.append(f"the two simulate different communities (other seeds: {advice['replicates']} there, "
               f"{int(row['runs'])} here)" + (", and their intervals overlap, so the gap is within chance"
                                               if chance else ""))
    return head + f": {there:.0%} there against {here:.0%} here, because " + "; ".join(why) + "."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _comparison_html(table: pd.DataFrame, reference: str) -> Markup:
    cells = readable(table, reference)
    body = [[element("td", v, class_="num" if k else None) for k, v in enumerate(row)]
            for row in cells.itertuples(index=False)]
    note = fill("<p class='muted'>Survival: share of communities alive at the horizon (95% Wilson interval). "
                "vs {0}: difference from abrupt exit in percentage points. Median months alive after exit: "
                "Kaplan-Meier, communities alive at the horizon censored; '&gt;N' means more than half were still "
                "alive N months after exit. Log-rank p: test of the strategy's survival curve against {0}. "
                "The other columns are means per community at the horizon (95% t interval); members are active "
                "organisations, leaders are local leaders, cross-sector ties and local hosting are shares of all "
                "ties and of all meetings.</p>", reference)
    return rows(cells.columns, body) + note


def _strategies_html(table: pd.DataFrame) -> Markup:
    items = [fill("<li><b>{}</b>: {}</li>", s, DEFINITIONS[s]) for s in order(table["exit_strategy"])]
    if "digital_channel" in table.columns and table["digital_channel"].nunique() > 1:
        items.append(Markup("<li><b>+ digital</b>: the same strategy with a cheap online venue once the convener "
                            "has left</li>"))
    return Markup("<p>The strategies:</p>") + element("ul", join(items))


def _figures_html(figures: dict) -> Markup:
    return join(element("figure", image(fig, alt=caption) + element("figcaption", caption, class_="muted"))
                for caption, fig in figures.items())


def _scenario_html(scenario: dict, params: dict, overrides: dict, horizon: int, varied: list[str]) -> Markup:
    intro = fill("<p><b>{}</b>: {}. {}</p><p>{} organisations at the start; the convener is gone at month {} and "
                 "each community is followed to month {}, {} months after the exit.</p>",
                 scenario["name"], scenario.get("title", ""), " ".join(scenario.get("description", "").split()),
                 params["n_members"], params["exit_month"], params["months"], horizon)
    if overrides:
        intro += (Markup("<p>Changed for this report: ")
                  + join((element("code", f"{k}={_show(v)}") for k, v in overrides.items()), ", ") + Markup(".</p>"))
    body = []
    for name, spec in SCHEMA.items():
        if name in varied:
            continue
        value = params.get(name)
        body.append(element("tr", join([element("td", element("code", name)),
                                        element("td", _show(value), class_="num"),
                                        element("td", spec.unit), element("td", spec.meaning)]),
                            class_="changed" if value != DEFAULTS[name] else None))
    table = (element("table", Markup("<tr><th>parameter</th><th>value</th><th>unit</th><th>meaning</th></tr>")
                     + join(body))
             + fill("<p class='muted'>Highlighted: values that differ from lcsim's defaults. Not listed: what the "
                    "comparison varies ({}).</p>", ", ".join(varied)))
    return intro + table


def _method_html(meta: dict, params: dict) -> Markup:
    failed = meta.get("failed", 0)
    items = [
        f"Each strategy was simulated {meta.get('replicates')} times ({meta.get('runs')} runs in all"
        + (f", {failed} failed and left out" if failed else "") + "), every run with its own random seed "
        f"derived from the root seed {meta.get('root_seed')} (numpy SeedSequence), so the same command gives "
        "the same numbers.",
        *(["Replicate k of every strategy starts from the same seed (common random numbers), so the strategies "
           "meet the same luck; the intervals and tests below treat the strategies as independent samples, which "
           "makes them conservative."] if meta.get("common_seeds") else []),
        *([meta["uncertainty_note"]] if meta.get("uncertainty_note") else []),  # the posterior's draws, if any
        "Survival probability: share alive at the horizon with"
        + (", without the draws," if meta.get("draws") else "")
        + " a 95% Wilson interval (statsmodels proportion_confint); difference from abrupt exit with Newcombe's "
        "interval.",
        "Survival curves and medians: Kaplan-Meier (statsmodels SurvfuncRight) of months alive after the exit, "
        "censored at the horizon; pointwise 95% bands from Greenwood's variance on the log(-log) scale; median "
        "interval by the complementary log-log method; log-rank test (statsmodels survdiff) against phase_out.",
        "Other outcomes: means with 95% t intervals (statsmodels DescrStatsW).",
        fill("Model: lcsim {}", meta.get("version", ""))
        + (fill("; command: <code>{}</code>", meta["command"]) if meta.get("command") else ""),
    ]
    return element("ul", join(element("li", i) for i in items))


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
