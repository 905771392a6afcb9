"""The evidence behind a recommendation: what each mechanism the recommended plan leans on adds to its survival,
and whether validation supports that mechanism.

For the recommended plan, each mechanism it uses (`lcsim.validation.verdict.MECHANISMS`: the digital channel,
handing over or tapering off, replication, the hosting routine members learn, the convener's resources) is
switched off with existing parameters and assumptions only (the channel off; the same plan as an abrupt exit;
`replication` 0; `routine_learning` 0; `resource_sharing` 0), and the plan is run again on the same replicates:
the same seeds and the same uncertain draws (common random numbers), through advise's `Runner` and its executor.
The gain is the paired difference in survival (without minus with, 95% t interval, McNemar's exact test, as
`evaluations.paired`). Each mechanism carries the validation status of the pattern that tests it, read from the
stored verdicts (`verdict.read_statuses`: docs/validation.md's, without rerunning the validation): evidence, holds
by construction, holds with its knock-out too (so no evidence), or fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..validation.verdict import MECHANISMS, read_statuses
from .evaluations import paired

OFFSET = 1_000_000  # the switched-off plans' indices, apart from the search's


@dataclass
class Evidence:
    """Per mechanism the recommended plan uses (dicts, in `MECHANISMS`' order): key, name, pattern, status,
    status_words, with, without, difference, lo, hi, p, distinct, replicates, off. `runs`: the runs it took."""

    gains: list = field(default_factory=list)
    runs: int = 0
    reused: int = 0
    measured_on: str = ""  # when the verdicts it reads were measured

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.gains)

    @property
    def leaned_on(self) -> list[dict]:
        """The mechanisms whose absence lowers survival beyond noise."""
        return [g for g in self.gains if g["distinct"] and g["difference"] < 0]

    def sentences(self) -> list[str]:
        return [sentence(g) for g in self.gains]

    def summary(self) -> str:
        """One sentence for the answer: what the plan leans on and how validation judges each."""
        if not self.gains:
            return "The recommended plan uses none of the mechanisms validation tests (the channel, handover, ...)."
        leans = self.leaned_on
        if not leans:
            return ("Switching off each mechanism the plan uses (" + ", ".join(g["name"] for g in self.gains)
                    + ") changes its survival by no more than the runs can tell from noise.")
        return "The plan leans on " + _join([f"{g['name']} ({g['difference'] * 100:+.0f} points without it; "
                                             f"{STATUS_WORDS[g['status']]})" for g in leans]) + "."


STATUS_WORDS = {"evidence": "validation supports it", "by construction": "it holds by construction, so untested",
                "no evidence": "its pattern holds without it too, so untested",
                "fails": "its validation pattern fails", "not tested": "not tested by validation"}


def gather(runner, plan: dict, base: dict, runs: pd.DataFrame, best: int, draws: list, seeds: list,
           replicates: int, statuses: dict | None = None, mechanisms=MECHANISMS) -> Evidence:
    """Run `plan` (the recommended, plan index `best` in `runs`) again with each mechanism it uses switched off,
    on its replicates' seeds and draws, through `runner` (entered); the runs are not added to `runner.rows`."""
    statuses = statuses if statuses is not None else read_statuses()
    params = {**base, **plan}
    mine = runs[(runs["plan"] == best) & (runs["replicate"] < replicates)]
    evidence = Evidence(measured_on=statuses.get("measured_on", ""))
    for k, m in enumerate(mechanisms):
        if not m.applies(params):
            continue
        index = OFFSET + k
        off = {**plan, **m.off}
        kept = [{n: v for n, v in d.items() if n not in m.off} for d in draws]  # what is switched off stays off
        start, reused = len(runner.rows), runner.reused
        runner.run([(index, off)], range_from={}, upto=replicates, draws=kept, seeds=seeds)
        rows = pd.DataFrame(runner.rows[start:])
        runner.rows = runner.rows[:start]
        evidence.runs += len(rows)
        evidence.reused += runner.reused - reused
        both = pd.concat([mine, rows], ignore_index=True)
        c = paired(both, index, best)
        ok = both[both["error"].isna()]
        common = set(ok.loc[ok["plan"] == best, "replicate"]) & set(ok.loc[ok["plan"] == index, "replicate"])
        share = {i: float(ok[(ok["plan"] == i) & ok["replicate"].isin(common)]["survived"].astype(bool).mean())
                 if common else float("nan") for i in (best, index)}
        status, words = m.status(statuses)
        evidence.gains.append({"key": m.key, "name": m.name, "pattern": m.pattern, "status": status,
                               "status_words": words, "with": share[best], "without": share[index],
                               "difference": c["difference"], "lo": c["lo"], "hi": c["hi"], "p": c["p"],
                               "distinct": c["distinct"], "replicates": c["replicates"],
                               "off": ", ".join(f"{n.removeprefix('assumptions.')} {_value(v)}"
                                                for n, v in m.off.items())})
    return evidence


def sentence(g: dict) -> str:
    """'The plan leans on the digital channel: without it, survival falls from 93% to 71% (-22 points [-28, -16]).
    Its validation pattern, P3 (...), fails: treat this gain with caution.'"""
    d = f"{g['difference'] * 100:+.0f} points [{g['lo'] * 100:+.0f}, {g['hi'] * 100:+.0f}]"
    if g["distinct"] and g["difference"] < 0:
        first = (f"The plan leans on {g['name']}: without it, survival falls from {g['with']:.0%} to "
                 f"{g['without']:.0%} ({d}).")
        tail = {"fails": ": treat this gain with caution.", "evidence": "."}.get(
            g["status"], ": the gain rests on the model's assumptions, not on a tested pattern.")
    elif g["distinct"]:
        first = (f"The plan uses {g['name']}, but it costs survival here: without it, survival rises from "
                 f"{g['with']:.0%} to {g['without']:.0%} ({d}).")
        tail = "."
    elif f"{g['with']:.0%}" == f"{g['without']:.0%}":
        first = (f"The plan uses {g['name']} but does not need it here: survival is {g['with']:.0%} with it and "
                 f"without it ({d}).")
        tail = "."
    else:
        first = (f"The plan uses {g['name']} but does not need it here: without it, survival is {g['without']:.0%} "
                 f"instead of {g['with']:.0%} ({d}), a difference the runs cannot tell from none.")
        tail = "."
    words = g["status_words"]
    return f"{first} {words[:1].upper()}{words[1:]}{tail}"


def _value(v) -> str:
    return ("on" if v else "off") if isinstance(v, bool) else str(v)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "; ".join(items[:-1]) + "; and " + items[-1]


__all__ = ["Evidence", "gather", "sentence", "STATUS_WORDS"]
