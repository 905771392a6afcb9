"""What `advise` found, in words, tables, a page and a figure: the `Advice`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.robustness import disagreements, robustness_text
from ..errors import LcsimError
from ..strategies import COLOURS, GRADUAL
from .advice_page import monitoring
from .fair import follow_up_text
from .plans import DEFAULT_LEVERS
from .uncertainty import decisive_text


@dataclass
class Advice:
    """What `advise` found. Plans are dicts of lever values; survival is a share of replicates."""

    scenario: str
    levers: tuple
    budget: float | None
    uncertain: dict  # name -> (low, high) drawn per replicate
    recommended: dict  # plan, survival, survival_lo, survival_hi, convener_months, replicates
    reference: dict  # the scenario's current plan, on the same replicates
    gain: dict  # difference, lo, hi, p (McNemar), distinct
    runners_up: list  # dicts like `recommended`, plus the paired comparison with it
    front: pd.DataFrame = field(repr=False)  # the Pareto front: survival against convener effort
    plans: pd.DataFrame = field(repr=False)  # every evaluated plan with its estimate and rung
    runs: pd.DataFrame = field(repr=False)  # every run
    failure: Any = None  # a Discovery over the recommended plan's replicates, or None (see failure_note)
    failure_note: str = ""
    evaluations: int = 0
    rungs: list = field(default_factory=list)  # (plans, replicates each) per rung
    figures: dict = field(default_factory=dict, repr=False)
    stress_runs: Any = field(default=None, repr=False)  # the recommended plan over the wide ranges (discovery)
    generations: int = 0  # NSGA-II generations run in the first rung
    pop_size: int = 0  # NSGA-II's population
    reused: int = 0  # runs read back from `out/evaluations/` instead of run again
    robustness: Any = field(default=None, repr=False)  # analysis.robustness table over the finalists' worlds
    follow_up: int | None = None  # survival read this many months after each plan's exit (studies.fair)
    threshold: float = 0.5  # the survival a world must reach to count as satisficing
    seeds_per_world: int = 1  # replicates per draw of the uncertain values
    trigger_note: str = ""  # with a trigger plan recommended: how often and when its signpost held
    evidence: Any = field(default=None, repr=False)  # studies.evidence.Evidence: the mechanisms it leans on
    meeting_interval: int = 3  # months between meetings: exit months closer than this are one plan (merged)
    uncertainty_note: str = ""  # where the intervals come from, in one sentence (studies.uncertainty)
    decisive_values: Any = field(default=None, repr=False)  # name, effect, p, direction (studies.uncertainty)
    drawn: bool = True  # False: fixed values, a world is a group of seeds with nothing drawn
    top_index: int | None = None  # the plan of highest survival, when the recommended is a cheaper one alike

    @property
    def cheaper(self):
        """(number, runner-up) of the cheapest runner-up the data cannot tell apart from the recommended, if it
        takes less convener effort; else None."""
        options = [(i, u) for i, u in enumerate(self.runners_up, 1) if not u["versus"]["distinct"]
                   and u["convener_months"] < self.recommended["convener_months"]]
        return min(options, key=lambda iu: iu[1]["convener_months"]) if options else None

    @property
    def choice_note(self) -> str:
        """Why the recommended plan, when it is not the one of highest survival: it costs the convener less and
        the runs cannot tell the two apart (`evaluations.cheapest_alike`); "" otherwise."""
        if self.top_index is None or self.top_index == self.recommended["plan_index"]:
            return ""
        top = self.plans.set_index("plan_index").loc[self.top_index]
        return (f"Chosen as the least convener effort among the plans the runs cannot tell apart from the one of "
                f"highest survival ({self.plan_name(self.top_index)}: {float(top['survival']):.0%}, "
                f"{float(top['convener_months']):.1f} convener-months).")

    @property
    def no_even_chance(self) -> str:
        """A plain warning when even the recommended plan's 95% interval lies below the threshold: it is then
        the cheapest of plans that all fail, not a plan that works; "" otherwise."""
        r = self.recommended
        if r["survival_hi"] >= self.threshold:
            return ""
        return (f"No plan searched gives this community a {self.threshold:.0%} chance: the best survives in "
                f"{r['survival']:.0%} of runs (95% interval {r['survival_lo']:.0%} to {r['survival_hi']:.0%})"
                + (f", read {self.follow_up} months after its own exit" if self.follow_up else "")
                + ". It is recommended only as the best of failing plans; with these levers, leaving ends this "
                "community, so look at what would have to change first (staying longer, or the community's own "
                "values: see where it fails).")

    def plan_name(self, index) -> str:
        """A plan's name in the advice's words: recommended, current plan, runner-up k, or plan i."""
        if index == self.recommended["plan_index"]:
            return "recommended"
        if index == self.reference["plan_index"]:
            return "current plan"
        merged = self.merged()
        for k, u in enumerate(self.runners_up, 1):
            if index == u["plan_index"]:
                return f"runner-up {k}" + (" (merged with the recommended)" if k in merged else "")
        return f"plan {index}"

    def merged(self) -> dict[int, set]:
        """The runners-up (by number) that differ from the recommended plan only by levers that do not matter, and
        that the data cannot tell apart from it: `transition_months` under an abrupt exit, the signpost's settings
        without a trigger, an exit month within one meeting interval, values the same to the precision shown.
        Shown as one plan with it. Number -> why they count as one (keys of `WHY_ONE`)."""
        p, found = self.recommended["plan"], {}
        for k, u in enumerate(self.runners_up, 1):
            q = u["plan"]
            raw = {n for n in {*p, *q} if p.get(n) != q.get(n)}
            differ = {n for n in raw if _shown(p.get(n)) != _shown(q.get(n))}
            why = {"precision"} if differ != raw else set()
            abrupt = p.get("exit_strategy", "phase_over") not in GRADUAL and p.get("exit_strategy") == q.get(
                "exit_strategy")
            if abrupt and "transition_months" in differ:
                differ.discard("transition_months")
                why.add("transition_months")
            if p.get("exit_trigger", "none") == "none" == q.get("exit_trigger", "none") \
                    and differ & {"trigger_share", "trigger_window"}:
                differ -= {"trigger_share", "trigger_window"}
                why.add("trigger")
            if "exit_month" in differ and abs(int(p["exit_month"]) - int(q["exit_month"])) <= self.meeting_interval:
                differ.discard("exit_month")
                why.add("exit_month")
            if not differ and not u["versus"]["distinct"]:
                found[k] = why
        return found

    def twins(self) -> dict[int, str]:
        """Runners-up already shown under another name: the current plan itself, or a plan the same as the current
        plan or an earlier runner-up to the precision shown. Number -> that plan's name."""
        seen, found = {plan_text(self.reference["plan"]): "the current plan"}, {}
        for k, u in enumerate(self.runners_up, 1):
            text = plan_text(u["plan"])
            if u["plan_index"] == self.reference["plan_index"]:
                found[k] = "the current plan"
            elif text in seen:
                found[k] = seen[text]
            else:
                seen[text] = f"runner-up {k}"
        return found

    def shown_plan(self) -> dict:
        """The recommended plan as shown: its exit month a range ('44-47') when merged runners-up exit nearby."""
        plan = dict(self.recommended["plan"])
        months = [int(u["plan"]["exit_month"]) for k, u in enumerate(self.runners_up, 1) if k in self.merged()
                  and "exit_month" in u["plan"]]
        if months and "exit_month" in plan:
            low, high = min(months + [int(plan["exit_month"])]), max(months + [int(plan["exit_month"])])
            if low < high:
                plan["exit_month"] = f"{low}-{high}"
        return plan

    def alike_notes(self) -> list[str]:
        """Plain words on the runners-up the data cannot tell apart from the recommended plan (merged or not)."""
        notes, merged = [], self.merged()
        if merged:
            why = [WHY_ONE[w].format(months=self.meeting_interval) for w in WHY_ONE
                   if any(w in d for d in merged.values())]
            said = "; ".join(why[:-1]) + "; and " + why[-1] if len(why) > 1 else why[0]
            notes.append(f"{_numbers(merged)} differ{'s' if len(merged) == 1 else ''} from the recommended plan only "
                         f"in {said}, and the data cannot tell them apart: shown as one plan "
                         f"({plan_text(self.shown_plan())}).")
        alike = [k for k, u in enumerate(self.runners_up, 1) if not u["versus"]["distinct"] and k not in merged]
        if alike:
            notes.append(f"The recommended plan cannot be told apart from {_numbers(alike).lower()} on this evidence: "
                         "another run (another seed) may recommend " + ("it" if len(alike) == 1 else "one of them")
                         + "; they are equally good as far as the runs can tell.")
        return notes

    def robustness_notes(self) -> list[str]:
        """Where the robustness measures disagree, and which runners-up the data cannot tell apart."""
        notes = [] if self.robustness is None else disagreements(self.robustness, self.plan_name)
        return notes + self.alike_notes()

    def robustness_lines(self) -> list[str]:
        if self.robustness is None:
            return []
        worlds = int(self.robustness["worlds"].iloc[0])
        world = "each one draw of the uncertain values" if self.drawn else "each a group of seeds: no value is drawn"
        lines = ["", f"Robustness over {worlds} simulated worlds ({world}, run on about "
                 f"{self.seeds_per_world} seeds; a plan reaches the threshold in a world where it survives in at least "
                 f"{self.threshold:.0%} of them; regret: the best plan's survival in that world minus this plan's):"]
        lines += ["  " + line for line in robustness_text(self.robustness, self.plan_name, self.threshold).splitlines()]
        lines += ["  " + note for note in disagreements(self.robustness, self.plan_name)]  # alike: with the runners-up
        return lines

    # --- words -----------------------------------------------------------------------------------
    def text(self) -> str:
        r, ref, g = self.recommended, self.reference, self.gain
        lines = [f"Advice for scenario '{self.scenario}' (levers: {', '.join(self.levers)}"
                 + (f"; budget {self.budget:g} convener-months" if self.budget is not None else "") + ")",
                 "",
                 f"Recommended plan: {plan_text(self.shown_plan())}",
                 f"  survival {pct(r)} over {r['replicates']} replicates; convener effort "
                 f"{r['convener_months']:.1f} convener-months",
                 *([f"  {self.choice_note}"] if self.choice_note else []),
                 *([f"  {self.no_even_chance}"] if self.no_even_chance else []),
                 f"Current plan:     {plan_text(ref['plan'])}",
                 f"  survival {pct(ref)}; convener effort {ref['convener_months']:.1f} convener-months",
                 f"Gain over the current plan: {points(g)} (paired on common replicates; McNemar p = "
                 f"{p_text(g['p'])}): " + ("the data tell them apart" if g["distinct"]
                                           else "the data cannot tell them apart")
                 + f"; effort {g.get('effort_difference', 0):+.1f} convener-months",
                 *([follow_up_text(self.follow_up)] if self.follow_up else []),
                 *([f"What to monitor and when to act: {watch}"] if (watch := monitoring(r["plan"])) else []),
                 *([f"  {self.trigger_note}"] if self.trigger_note else []),
                 "", "Runners-up (paired with the recommended plan on the same replicates):"]
        merged = self.merged()
        for i, u in enumerate(self.runners_up, 1):
            c = u["versus"]
            if i in merged:
                continue
            twin = self.twins().get(i)
            shown = (plan_text(u["plan"]) if twin is None else "the current plan"
                     if u["plan_index"] == ref["plan_index"] else f"the same as {twin}, to the precision shown")
            lines.append(f"  {i}. {shown}: survival {pct(u)}, {u['convener_months']:.1f} "
                         f"convener-months; {points(c)} vs recommended, p = {p_text(c['p'])}: "
                         + ("worse, distinguishable" if c["distinct"] else "not distinguishable"))
        if not self.runners_up or len(merged) == len(self.runners_up):
            lines.append("  (none" + (", besides those shown with it" if merged else "") + ")")
        lines += ["  " + note for note in self.alike_notes()]
        cheaper = self.cheaper
        if cheaper is not None:
            lines.append(f"  The data cannot tell runner-up {cheaper[0]} apart from the recommended plan, and it takes "
                         f"{r['convener_months'] - cheaper[1]['convener_months']:.1f} fewer convener-months: "
                         "if effort matters, it is as good a choice on this evidence.")
        lines += self.robustness_lines()
        lines += self.evidence_lines()
        lines += ["", "Trade-off: survival against convener effort (Pareto front over the evaluated plans)"]
        lines += ["  " + line for line in front_text(self.front).splitlines()]
        lines += ["", "Where the recommended plan fails:"]
        if self.failure is not None:
            lines.append("  " + self.failure_note + ":")
            lines.append("  " + self.failure.sentence)
        else:
            lines.append("  " + self.failure_note)
        stressed = 0 if self.stress_runs is None else len(self.stress_runs)
        first, rest = (self.rungs[0], self.rungs[1:]) if self.rungs else ((0, 0), [])
        lines += ["", f"Runs: {self.evaluations} in all ({first[0]} plans x {first[1]} replicates proposed by "
                  f"NSGA-II (population {self.pop_size}, {self.generations} generations)"
                  + ("; then " + ", ".join(f"{n} plans x {k}" for n, k in rest) + " replicates by successive "
                     "halving" if rest else "")
                  + f"; the current plan at {ref['replicates']}"
                  + (f"; {stressed} stress runs of the recommended plan" if stressed else "")
                  + (f"; {self.evidence.runs} runs of it with one mechanism off" if self.evidence and self.evidence.runs
                     else "") + ")"
                  + (f"; {self.reused} of them read back from earlier evaluations" if self.reused else ""),
                  *([self.uncertainty_note] if self.uncertainty_note else []),
                  "Uncertain values drawn per world: "
                  + (", ".join(f"{k} {lo:g}-{hi:g}" for k, (lo, hi) in self.uncertain.items()) or "none"),
                  *decisive_text(self.decisive_values)]
        return "\n".join(lines)

    def facts(self) -> dict:
        """What a report beside this advice needs to reconcile its figure for the current plan with the advice's
        (`analysis.report.reconcile`): plain values only."""
        ref = self.reference
        return {"current": dict(ref["plan"]), "survival": ref["survival"], "lo": ref["survival_lo"],
                "hi": ref["survival_hi"], "replicates": ref["replicates"], "follow_up": self.follow_up,
                "levers": list(self.levers), "drawn": list(self.uncertain)}

    def evidence_lines(self) -> list[str]:
        if self.evidence is None:
            return []
        lines = ["", f"Evidence behind the recommendation (each mechanism it uses switched off, on the same replicates;"
                 f" validation verdicts of {self.evidence.measured_on.replace('`', '') or 'docs/validation.md'}):"]
        lines += ["  " + s for s in self.evidence.sentences()] or ["  " + self.evidence.summary()]
        return lines

    def to_markdown(self) -> str:
        text = self.text().splitlines()
        parts = [f"# Advice: {self.scenario}", "", "```", *text, "```", ""]
        parts += ["## Pareto front", "", _md_table(self.front), "", "![front](front.png)", ""]
        if self.failure is not None:
            parts += ["## Where the recommended plan fails", "", self.failure.to_markdown(level=3, figures=False)]
        return "\n".join(parts) + "\n"

    def to_html(self, heading: bool = True) -> str:
        """A self-contained page for a programme officer (`advice_page`: the answer first, plain column names,
        fits 1280 px, printable): the figures are inlined as base64 PNG, nothing is linked. `heading=False`:
        the fragment inside <body> only (one section, `<section class='lcsim-advice'>`), to embed elsewhere.
        Written by `lcsim.pages`: every name and value is escaped; the fragment is `pages.Markup`."""
        from .advice_page import page

        return page(self, heading)

    def write(self, out) -> list[str]:
        from ..output import usable_folder

        folder = usable_folder(out)
        written = []
        for name, fig in self.figures.items():
            fig.savefig(folder / name, dpi=120, bbox_inches="tight")
            written.append(name)
        (folder / "advice.md").write_text(self.to_markdown())
        (folder / "advice.html").write_text(self.to_html())
        self.plans.to_csv(folder / "plans.csv", index=False)
        self.front.to_csv(folder / "front.csv", index=False)
        self.runs.to_csv(folder / "runs.csv", index=False)
        written += ["advice.md", "advice.html", "plans.csv", "front.csv", "runs.csv"]
        if self.robustness is not None:
            self.robustness.rename_axis("plan_index").assign(plan=[self.plan_name(i) for i in self.robustness.index]) \
                .to_csv(folder / "robustness.csv")
            written.append("robustness.csv")
        if self.evidence is not None:
            self.evidence.frame().to_csv(folder / "evidence.csv", index=False)
            written.append("evidence.csv")
        if self.stress_runs is not None:
            self.stress_runs.to_csv(folder / "stress_runs.csv", index=False)
            written.append("stress_runs.csv")
        if self.failure is not None:
            try:
                self.failure.write(folder / "failure")
                written.append("failure/")
            except LcsimError:
                pass
        return written


# --- text and figures ---------------------------------------------------------------------------

def plan_text(plan: dict) -> str:
    parts = []
    for k, v in plan.items():
        if k == "transition_months" and plan.get("exit_strategy", "phase_over") not in GRADUAL:
            continue
        if isinstance(v, float):
            v = f"{v:.2f}"
        elif isinstance(v, (bool, np.bool_)):
            v = "on" if v else "off"
        parts.append(f"{k}={v}")
    return ", ".join(parts)


WHY_ONE = {"exit_month": "the exit month, within one meeting interval ({months} months)",
           "transition_months": "the handover's length, which an abrupt exit does not use",
           "trigger": "the trigger's settings, which a plan without a trigger does not use",
           "precision": "values the same to the precision shown"}


def _shown(v):
    """A lever's value as the advice shows it (two decimals for a share): plans the same as shown are one plan."""
    return round(float(v), 2) if isinstance(v, float) else v


def _numbers(ks) -> str:
    ks = sorted(ks)
    return ("Runner-up " if len(ks) == 1 else "Runners-up ") + (
        str(ks[0]) if len(ks) == 1 else ", ".join(map(str, ks[:-1])) + f" and {ks[-1]}")


def pct(r: dict) -> str:
    return f"{r['survival']:.0%} ({r['survival_lo'] * 100:.0f}-{r['survival_hi']:.0%})"


def points(c: dict) -> str:
    return f"{c['difference'] * 100:+.0f} pts ({c['lo'] * 100:+.0f} to {c['hi'] * 100:+.0f})"


def p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def front_text(front: pd.DataFrame) -> str:
    lines = ["convener-months  survival (95% CI)  replicates  plan"]
    for _, r in front.iterrows():
        plan = {k: r[k] for k in front.columns if k in DEFAULT_LEVERS}
        lines.append(f"{r['convener_months']:15.1f}  {pct(r):17s}  {int(r['replicates']):10d}  {plan_text(plan)}")
    return "\n".join(lines)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        out.append("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    return "\n".join(out)


def _error_bar(row) -> list[list[float]]:
    """The interval as error bars; a Wilson bound one rounding step inside the estimate (all runs
    survived) would be a negative length, which matplotlib refuses."""
    return [[max(0.0, row["survival"] - row["survival_lo"])], [max(0.0, row["survival_hi"] - row["survival"])]]


def front_figure(advice: Advice):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    plans = advice.plans
    colour = [COLOURS.get(s, "#888888") for s in plans["exit_strategy"]] if "exit_strategy" in plans else "#888888"
    ax.scatter(plans["convener_months"], plans["survival"], s=10 + plans["replicates"] / 2, c=colour, alpha=0.5,
               label="evaluated plans (size: replicates)")
    f = advice.front
    ax.plot(f["convener_months"], f["survival"], "-", color="black", lw=1, label="Pareto front")
    r, ref = advice.recommended, advice.reference
    for row, fmt, ms, colour_, label in ((r, "*", 14, "black", "recommended"), (ref, "s", 7, "grey", "current plan")):
        ax.errorbar([row["convener_months"]], [row["survival"]], yerr=_error_bar(row), fmt=fmt, ms=ms, color=colour_,
                    label=label)
    if advice.budget is not None:
        ax.axvline(advice.budget, ls="--", color="red", lw=1, label="budget")
    ax.set_xlabel("convener effort (convener-months)")
    ax.set_ylabel("survival (share of replicates)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{advice.scenario}: survival against convener effort")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig
