"""The advice page, written for a programme officer: the answer first in plain words (which plan, how sure, what
it costs in convener-months, when it fails), then the trade-off figure, the plans and the robustness tables with
plain column names, and the method last. Built through `lcsim.pages` (everything escaped); tables wrap, and scroll
inside their own box if they must, so the page fits 1280 px; printable; self-contained (figures inlined)."""

from __future__ import annotations

import math

import numpy as np

from ..pages import Markup, document, element, fill, image, join, rows
from ..strategies import GRADUAL, WORDS

# scoped to the section, so the same design holds inside `report --advise`
STYLE = """
.lcsim-advice{max-width:1050px;margin:0 auto;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;
color:#222;line-height:1.45;overflow-wrap:break-word}
.lcsim-advice h1{font-size:1.6em;margin-bottom:.2em}
.lcsim-advice h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
.lcsim-advice .answer{background:#f5f8fc;border-left:4px solid #4c72b0;padding:.6em 1em}
.lcsim-advice .answer p{margin:.4em 0}
.lcsim-advice .box{max-width:100%;overflow-x:auto}
.lcsim-advice table{border-collapse:collapse;font-size:.88em;margin:.6em 0}
.lcsim-advice th,.lcsim-advice td{border:1px solid #ccc;padding:.3em .55em;text-align:left;vertical-align:top}
.lcsim-advice th{background:#f3f3f3}.lcsim-advice td.num{text-align:right;white-space:nowrap}
.lcsim-advice img{max-width:100%;height:auto;display:block;margin:.6em 0}
.lcsim-advice .muted{color:#666;font-size:.9em}
@media print{.lcsim-advice{max-width:none}.lcsim-advice .box{overflow:visible}.lcsim-advice h2{break-after:avoid}
.lcsim-advice table,.lcsim-advice img{break-inside:avoid}}
"""
PAGE_STYLE = "body{margin:2em auto;padding:0 1em}"
EMBEDDED = ("The advice's figures come from its own runs (its own seeds and worlds, and survival read the same time "
            "after each plan's own exit: see how it was computed), so its figure for the current plan need not be the "
            "comparison's. Within the advice, every plan meets the same worlds.")


def plan_words(plan: dict) -> str:
    """A plan as a sentence: '<the strategy's words> over 12 months, the convener gone at month 45; ...'."""
    parts = []
    strategy = plan.get("exit_strategy")
    if strategy is not None:
        text = WORDS.get(strategy, str(strategy))
        if strategy in GRADUAL and "transition_months" in plan:
            text += f" over {int(plan['transition_months'])} months"
        parts.append(text)
    if "exit_month" in plan:
        latest = " at the latest" if plan.get("exit_trigger", "none") != "none" else ""
        month = plan["exit_month"]  # a range ('44-47') for plans shown merged (Advice.shown_plan)
        parts.append(f"the convener gone at month {month if isinstance(month, str) else int(month)}{latest}")
    if plan.get("exit_trigger", "none") != "none":
        parts.append("stepping back " + _signpost(plan))
    if "control" in plan:
        c = float(plan["control"])  # 0.329 and 0.331 are two plans: say so
        parts.append(f"the convener keeps {c:.0%} of hosting and agenda" if round(c, 2) == c else
                     f"the convener keeps {c:.1%} of hosting and agenda")
    if "digital_channel" in plan:
        parts.append("with the digital channel" if bool(plan["digital_channel"]) else "no digital channel")
    return ", ".join(parts) or "the scenario's plan"


def _signpost(plan: dict) -> str:
    share, window = plan.get("trigger_share"), plan.get("trigger_window")
    if share is None or window is None:
        return "when members host the scenario's share of its last meetings (trigger_share, trigger_window)"
    k = math.ceil(float(share) * int(window) - 1e-9)
    return f"once members (not the convener) have hosted {k} of the last {int(window)} meetings"


def monitoring(plan: dict) -> str | None:
    """What to monitor and when to act, for a plan with a signpost (adaptive pathways); None for a fixed plan."""
    if plan.get("exit_trigger", "none") == "none":
        return None
    act = "start the handover" if plan.get("exit_strategy") in GRADUAL else "step back"
    latest = f", and by month {int(plan['exit_month'])} at the latest" if "exit_month" in plan else ""
    return (f"Monitor who hosts each meeting (members or the convener): {act} {_signpost(plan)}{latest}. "
            "Count the meetings of every community the programme convenes, from the start.")


def _share(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.0%}"


def _num(text) -> Markup:
    return element("td", text, class_="num")


def answer(advice) -> Markup:
    """The answer in plain words: which plan, how sure, what it costs, when it fails."""
    r, ref, g = advice.recommended, advice.reference, advice.gain
    same = r["plan_index"] == ref["plan_index"]
    lines = [fill("<p><b>Recommended plan:</b> {}.</p>", plan_words(advice.shown_plan()))]
    if advice.choice_note:
        lines.append(element("p", advice.choice_note))
    if advice.no_even_chance:
        lines.append(fill("<p><b>Warning:</b> {}</p>", advice.no_even_chance))
    watch = monitoring(r["plan"])
    if watch is not None:
        lines.append(fill("<p><b>What to monitor and when to act:</b> {} {}</p>", watch,
                          getattr(advice, "trigger_note", "")))
    worlds = "" if advice.robustness is None else f" ({int(advice.robustness['worlds'].iloc[0])} worlds)"
    lines.append(fill("<p><b>How sure:</b> the community survives in {} of {} simulated communities{} (95% interval "
                      "{} to {}), read {} months after this plan's own exit.</p>", _share(r["survival"]),
                      r["replicates"], worlds, _share(r["survival_lo"]), _share(r["survival_hi"]),
                      advice.follow_up or "-"))
    if same:
        lines.append(element("p", "This is the scenario's current plan: no plan searched did better."))
    else:
        told = "the data tell them apart" if g["distinct"] else "the data cannot tell them apart"
        lines.append(fill("<p>The current plan ({}) survives in {}: the recommended plan gains {:+.0f} percentage "
                          "points (95% interval {:+.0f} to {:+.0f}) on the same worlds; {}.</p>",
                          plan_words(ref["plan"]), _share(ref["survival"]), g["difference"] * 100, g["lo"] * 100,
                          g["hi"] * 100, told))
    lines.append(fill("<p><b>What it costs:</b> {:.1f} convener-months of effort (the current plan: {:.1f}).</p>",
                      r["convener_months"], ref["convener_months"]))
    cheaper = advice.cheaper
    if cheaper is not None:
        lines.append(fill("<p>Runner-up {} ({}) cannot be told apart from it and takes {:.1f} fewer "
                          "convener-months.</p>", cheaper[0], plan_words(cheaper[1]["plan"]),
                          r["convener_months"] - cheaper[1]["convener_months"]))
    fails = advice.failure.sentence if advice.failure is not None else advice.failure_note
    lines.append(fill("<p><b>When it fails:</b> {}</p>", fails))
    if getattr(advice, "evidence", None) is not None:
        lines.append(fill("<p><b>What it leans on:</b> {} (see the evidence below)</p>", advice.evidence.summary()))
    lines += [element("p", note) for note in advice.robustness_notes()]
    return element("div", join(lines), class_="answer")


def plans_table(advice) -> Markup:
    head = ["Plan", "What the convener does", "Survival", "95% interval", "Convener-months", "Simulated communities"]
    body, merged = [], advice.merged()
    for role, p in [("Recommended", advice.recommended), ("Current plan", advice.reference),
                    *((f"Runner-up {k}", u) for k, u in enumerate(advice.runners_up, 1) if k not in merged)]:
        if role == "Current plan" and p["plan_index"] == advice.recommended["plan_index"]:
            role = "Current plan (the same)"
        plan = plan_words(advice.shown_plan() if role == "Recommended" else p["plan"])
        twin = advice.twins().get(int(role.split()[-1])) if role.startswith("Runner-up") else None
        if twin is not None:  # the current plan again, or a plan the same as an earlier row as shown
            plan = ("the current plan" if p["plan_index"] == advice.reference["plan_index"]
                    else f"the same as {twin}, to the precision shown")
        body.append([role, plan, _num(_share(p["survival"])),
                     _num(f"{_share(p['survival_lo'])} to {_share(p['survival_hi'])}"),
                     _num(f"{p['convener_months']:.1f}"), _num(p["replicates"])])
    return element("div", rows(head, body), class_="box")


def front_table(advice) -> Markup:
    levers = [k for k in advice.levers if k in advice.front.columns]
    body = []
    for _, f in advice.front.iterrows():
        plan = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in f[levers].items()}
        body.append([_num(f"{f['convener_months']:.1f}"), plan_words(plan), _num(_share(f["survival"])),
                     _num(f"{_share(f['survival_lo'])} to {_share(f['survival_hi'])}"), _num(int(f["replicates"]))])
    head = ["Convener-months", "What the convener does", "Survival", "95% interval", "Simulated communities"]
    return element("div", rows(head, body), class_="box")


def robustness_table(advice) -> Markup:
    t = advice.robustness
    head = ["Plan", "Mean survival", f"Worlds where it survives (threshold {advice.threshold:g})",
            "Worst regret", "Mean regret", "How often the best"]
    body = [[advice.plan_name(i).capitalize(), _num(_share(row["mean"])), _num(_share(row["satisficing"])),
             _num(f"{row['max_regret']:.2f}"), _num(f"{row['mean_regret']:.2f}"), _num(_share(row["best_share"]))]
            for i, row in t.iterrows()]
    return element("div", rows(head, body), class_="box")


def evidence_section(advice) -> Markup:
    """What each mechanism the recommended plan uses adds to its survival, and whether validation supports it."""
    ev = advice.evidence
    intro = element("p", "Each mechanism the recommended plan uses was switched off and the plan run again on the "
                         "same simulated worlds: the difference is what that mechanism adds. Beside it, whether the "
                         "model's validation (docs/validation.md, measured " + (ev.measured_on.replace("`", "") or "-")
                    + ") supports the mechanism.", class_="muted")
    if not ev.gains:
        return intro + element("p", ev.summary())
    head = ["Mechanism", "Survival with it", "Without it", "Difference (95% interval)", "Validation pattern",
            "What validation says"]
    body = [[g["name"], _num(_share(g["with"])), _num(_share(g["without"])),
             _num(f"{g['difference'] * 100:+.0f} points ({g['lo'] * 100:+.0f} to {g['hi'] * 100:+.0f})"),
             g["pattern"], g["status"]] for g in ev.gains]
    return intro + join(element("p", s) for s in ev.sentences()) + element("div", rows(head, body), class_="box")


def method(advice) -> Markup:
    ref = advice.reference
    first, rest = (advice.rungs[0], advice.rungs[1:]) if advice.rungs else ((0, 0), [])
    items = [
        fill("Plans searched over {} (NSGA-II, population {}, {} generations, {} plans at {} replicates; then "
             "successive halving: {}); the current plan at {} replicates.", ", ".join(advice.levers),
             advice.pop_size, advice.generations, first[0], first[1],
             ", ".join(f"{n} plans x {k}" for n, k in rest) or "none", ref["replicates"]),
        fill("{} runs in all{}.", advice.evaluations,
             f", {advice.reused} read back from earlier evaluations" if advice.reused else ""),
        element("span", f"Survival is read {advice.follow_up} months after each plan's own exit (each run lasts "
                        f"exit month + {advice.follow_up} months), on the same simulated worlds for every plan "
                        "(common random numbers: world r has the same seed and uncertain values in every plan)."
                if advice.follow_up else "Every plan is read at the scenario's last month."),
        element("span", (advice.uncertainty_note + " " if advice.uncertainty_note else "")
                + "Uncertain values drawn per world: " + (", ".join(
            f"{k} {lo:g} to {hi:g}" for k, (lo, hi) in advice.uncertain.items()) or "none")),
        element("span", f"Robustness: a world is one draw of the uncertain values, run on {advice.seeds_per_world} "
                        "seeds; a plan's survival in a world is the share of those runs it survives. 'Worlds where it "
                        f"survives' counts the worlds where that share reaches {advice.threshold:.0%} (--threshold); "
                        "regret is the best plan's survival in that world minus this plan's; 'how often the best' "
                        "shares a world equally among the plans tied best in it."),
    ]
    ev = getattr(advice, "evidence", None)
    if ev is not None and ev.gains:
        items.append(element("span", f"Evidence: {ev.runs} further runs of the recommended plan ({ev.reused} read "
                                     "back), one mechanism switched off at a time (" + "; ".join(
                                         f"{g['name']}: {g['off']}" for g in ev.gains) + "), on its own replicates "
                                     "(the same seeds and uncertain values); paired differences with 95% t intervals; "
                                     "validation statuses from the stored verdicts of docs/validation.md ("
                                     + ev.measured_on.replace("`", "") + ")."))
    if advice.budget is not None:
        items.append(fill("Budget: at most {:g} convener-months.", advice.budget))
    return element("ul", join(element("li", i) for i in items), class_="muted")


def section(advice, heading: bool = True) -> Markup:
    figures = join(image(fig, alt=f"{name}: survival against convener effort", style="max-width:100%")
                   for name, fig in advice.figures.items())
    parts = [Markup(f"<style>{STYLE}</style>"),
             fill("<h1>Advice: which exit plan for {}?</h1>" if heading else "<h3>Advice for {}</h3>",
                  advice.scenario),
             answer(advice), *([] if heading else [element("p", EMBEDDED, class_="muted")]),
             Markup("<h2>The trade-off: survival against convener effort</h2>"), figures,
             Markup("<h2>The plans</h2>"), plans_table(advice)]
    if advice.robustness is not None:
        parts += [Markup("<h2>Robustness across the simulated worlds</h2>"), robustness_table(advice)]
    if getattr(advice, "evidence", None) is not None:
        parts += [Markup("<h2>Evidence: what the plan leans on, and whether validation supports it</h2>"),
                  evidence_section(advice)]
    parts += [Markup("<h2>Best trade-offs (no plan survives more for less effort)</h2>"), front_table(advice),
              Markup("<h2>How it was computed</h2>"), method(advice)]
    return Markup("<section class='lcsim-advice'>") + join(parts) + Markup("</section>")


def page(advice, heading: bool = True):
    body = section(advice, heading)
    return document(f"lcsim advice: {advice.scenario}", [body], style=PAGE_STYLE) if heading else body


__all__ = ["page", "section", "plan_words", "monitoring", "STYLE"]
