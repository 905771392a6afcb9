"""docs/validation.md: the verdicts, their measured lines and figures, as one page."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .patterns import Verdict
from .statistics import ALPHA, MIN_EFFECT

PACKAGE_EXPERIMENTS = "src/lcsim/validation/experiments"  # where the experiment files are in the source tree
MODEL_PATHS = ("src/lcsim/model", "src/lcsim/parameters.py", "src/lcsim/assumptions.py", "src/lcsim/scenarios")


def provenance(root: Path) -> str:
    """The commit measured (and whether the model had uncommitted changes), and when."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", *MODEL_PATHS)
    state = " with uncommitted model changes" if dirty else ""
    return f"commit `{commit}`{state}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"


def render(verdicts: list[Verdict], seconds: float, workers: int, measured_on: str) -> str:
    head = f"""# Validation: the patterns the model should reproduce

Pattern-oriented validation (Grimm et al. 2005): the model is credible when it reproduces, across
many seeds, the patterns the case and the practice literature report, without parameters set for
each pattern. Every number below was measured by `lcsim validate` ({measured_on};
{seconds / 60:.1f} minutes on {workers} worker processes) from the experiment files named with
each pattern; rerun it to refresh this page and its figures. Each experiment can also be run on its
own with `lcsim sweep FILE`.

How to read it: arms are paired on seeds (replicate r starts from the same community in every arm),
and comparisons count the runs where only one arm survived (a one-sided sign test, p < {ALPHA}). Intervals
are 95%: Wilson for a proportion, percentile bootstrap over seeds (or communities) for means and
differences. A verdict applies the criterion stated with the pattern, fixed before measuring. The same
checks run as tests: a fast version of each in the default suite (`pytest`, few seeds, wider
thresholds) and this full version with `pytest -m validation` (tests/test_validation.py).

Criteria are effect sizes: a survival difference counts when it is at least {MIN_EFFECT:.2f} (5
percentage points) and beyond noise. They were restated with effect sizes on 2026-12-02 (issue 13), when
the measurements of the earlier, sign-only version of this page were known; the size is one rule for
every pattern, the smallest difference a programme designer would act on, not a value chosen per pattern.
Every pattern has a **knock-out control**: the same experiment with the mechanism behind it switched off
(existing parameters and assumptions only). A pattern is **evidence** for its mechanism only if it
passes, its knock-out fails the same criterion, and it does not hold by construction; parts the rules
guarantee are labelled *by construction* and not counted.

P5-P7 and L3 were added on 2026-12-07 (issue 20 item 8) because P1, P2 and P4 held with their mechanism
switched off: patterns of who takes part, who hosts after the exit, which ties last and what a convener's
control leaves behind, each with a knock-out that removes one of the rules issue 20 added. Their criteria
are the issue's targets (P5, P7), the one effect size of every survival comparison (L3), or this page's
own threshold set after a 12-seed probe (P6; said with the pattern); they were written in the code before
this page's runs. Each of them tests a rule added to produce that kind of pattern, so a pass says the rule
does what it was meant to through the rest of the model, at the size the sources report; it is not an
effect nobody put in.

""" + evidence_count(verdicts) + "\n\n" + KNOCKOUT_HEADER
    rows = []
    for v in verdicts:
        ko = (f"{v.knockout:.2f} [{v.knockout_low:.2f}, {v.knockout_high:.2f}]" if v.knockout is not None
              else "not measured")
        ko_verdict = "" if v.knockout_passed is None else ("passes (mechanism not needed)" if v.knockout_passed
                                                          else "fails, as it must")
        rows.append(f"| {v.key}: {v.title} | {v.measure} | {v.value:.2f} [{v.low:.2f}, {v.high:.2f}] | "
                    f"{v.knockout_setting or '-'} | {ko} | {ko_verdict} | **{v.verdict_text}** | {v.evidence} |")
    rows.append("\n| pattern | measured | 95% interval | over | verdict |\n|---|---|---|---|---|")
    for v in verdicts:
        for label, value, low, high, part in v.rows():
            verdict = v.verdict_text
            if part and v.parts:
                verdict = f"{'PASS' if v.parts[part] else 'FAIL'} for {part} (pattern: {v.status})"
            rows.append(f"| {v.key}: {v.title} | {label}: {value:.2f} | [{low:.2f}, {high:.2f}] | {v.n} | "
                        f"**{verdict}** |")
    body = []
    for v in verdicts:
        files = ", ".join(f"[`{e}.toml`](../{PACKAGE_EXPERIMENTS}/{e}.toml)" for e in v.experiments)
        commands = "\n".join(f"lcsim sweep {PACKAGE_EXPERIMENTS}/{e}.toml" for e in v.experiments)
        measured = "\n".join(f"- {line}" for line in v.lines)
        note = f"\n\n**Why it fails.** {v.note}" if not v.passed and v.note else ""
        if not v.passed and v.key in DIAGNOSES:
            note += (f"\n\n**Diagnosis** (written after measuring the model before issue 20's rules; not part of "
                     f"the criterion, and to be checked against the lines above). {DIAGNOSES[v.key]}")
        body.append(f"""## {v.key}: {v.title}

**Pattern.** {v.claim}

**Source.** {v.source}

**Experiment.** {files}. Command:

```bash
{commands}
lcsim validate --only {v.key}
```

**Criterion.** {v.criterion}

**Measured** ({v.n}):

{measured}

**Verdict: {v.verdict_text}.**{note}

**Knock-out** ({v.knockout_setting or "not measured"}): {knockout_text(v)}{construction(v)}

![{v.key}](img/{v.figure})
""")
    return head + "\n".join(rows) + "\n\n" + "\n".join(body)


def evidence_count(verdicts: list[Verdict]) -> str:
    """How many patterns are evidence, in one sentence (the issue asks for at least four)."""
    yes = [v.key for v in verdicts if v.evidence == "yes"]
    partly = [v.key for v in verdicts if v.evidence.startswith("partly")]
    return (f"**Evidence:** {len(yes)} of {len(verdicts)} patterns pass with a knock-out that fails"
            f"{' (' + ', '.join(yes) + ')' if yes else ''}; {len(partly)} more partly"
            f"{' (' + ', '.join(partly) + ')' if partly else ''}, where part of the pattern holds by construction.")


KNOCKOUT_HEADER = ("| pattern | criterion (headline) | measured [95%] | knock-out: mechanism off | knock-out value "
                   "[95%] | knock-out verdict | verdict | evidence |\n|---|---|---|---|---|---|---|---|\n")


def knockout_text(v: Verdict) -> str:
    if v.knockout is None:
        return "not run (`lcsim validate --no-knockouts`)."
    verdict = ("the criterion still passes, so the pattern is no evidence for this mechanism" if v.knockout_passed
               else "the criterion fails, as it must")
    lines = "".join(f"\n- {line}" for line in v.knockout_lines)
    return f"headline {v.knockout:.2f} [{v.knockout_low:.2f}, {v.knockout_high:.2f}]; {verdict}.{lines}"


def construction(v: Verdict) -> str:
    return f"\n\n**By construction** (not counted as evidence): {v.by_construction}." if v.by_construction else ""


# What the failing patterns say about the model, found by tracing the rule that produces them.
DIAGNOSES = {
    "P3": "In the case's scenario (`mexico-csa`) communities now survive an abrupt exit without the channel "
          "(0.95, the first measured line): members learn the convener's hosting routine (docs/model.md 8 (f)), so "
          "there are at most 5 points for the channel to add, and it adds 0.03 [0.01, 0.04], beyond noise but "
          "below the minimum effect. The same ceiling holds on the default scenario (1.00 without the channel "
          "after phase_out). Where communities are at risk the channel does what the pattern says: under a "
          "hands-off convener (control 0), survival after an abrupt exit is about 0.55 without the channel and "
          "0.92 with it (60 paired seeds, the fast test). The criterion was not changed to pass.",
    "L1": "On the default scenario nearly every community now outlives an abrupt exit (1.00 after phase_out), so "
          "neither a taper nor a handover has room to beat it by 5 points: a ceiling, not a verdict on handing "
          "over. A handover does as well (-0.00), and beats an abrupt exit where communities are at risk (control "
          "0: about 0.80 against 0.55 over 60 paired seeds, the fast test). A taper does worse, by 0.03 on "
          "default and 0.04 on `mexico-csa`, and is no better at control 0.1 where there is room (-0.05 [-0.11, "
          "+0.02]). Not traced this session; the likely rules: during a taper the convener hosts fewer meetings, "
          "so members pick up less of its routine (`routine_learning` scales with the meetings it runs under "
          "control), and engagement's total shift does not depend on the path of the loss (docs/model.md 8, the "
          "taper), so a taper brings the loss forward rather than softening it. The criterion was not changed "
          "to pass.",
}


def write_document(path: Path, verdicts: list[Verdict], seconds: float, workers: int, measured_on: str) -> Path:
    from ..experiments.store import atomic_write

    text = render(verdicts, seconds, workers, measured_on)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    from .verdict import statuses_path, write_statuses  # the verdicts as a table the answers read (issue 21 item 7)

    write_statuses(statuses_path(path), verdicts, measured_on)
    return path


@dataclass
class Validation:
    """What `regenerate` did: the verdicts, how long they took, and what it wrote."""

    verdicts: list[Verdict]
    seconds: float
    img: Path  # where the figures went
    doc: Path | None  # the document written, or None when it was left alone
    note: str = ""  # why the document was left alone

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)


def regenerate(only=None, *, workers: int = 2, out: Path | None = None, doc: Path | None = None,
               replicates: int | None = None, write_doc: bool = True, progress: bool = False,
               knockouts: bool = True) -> Validation:
    """Measure the patterns (all by default) and, after a full run, rewrite `doc` and its figures.

    The document and its figures (`<doc folder>/img/`) are rewritten only from every pattern at
    the files' own replicates; otherwise (`only` some, `replicates` set, or `write_doc` False) the
    figures go to `<out>/img/` and the document is left alone.
    """
    import time

    from . import runs as _runs
    from .figures import theme
    from .measure import validate
    from .patterns import PATTERNS

    doc = Path(doc) if doc is not None else _runs.default_doc()
    out = Path(out) if out is not None else _runs.home() / _runs.DEFAULT_OUT
    only = list(only) if only else list(PATTERNS)
    full = set(only) == set(PATTERNS) and not replicates and write_doc and knockouts
    img = doc.parent / "img" if full else out / "img"
    ctx = _runs.Context(workers=workers, out=out, img=img, replicates=replicates, progress=progress,
                        knockouts=knockouts)
    theme()
    started, measured_on = time.perf_counter(), provenance(_runs.home())
    verdicts = validate(only, ctx)
    seconds = time.perf_counter() - started
    if full:
        return Validation(verdicts, seconds, img, write_document(doc, verdicts, seconds, workers, measured_on))
    why = ("only some patterns ran" if set(only) != set(PATTERNS) else
           "replicates were overridden" if replicates else
           "the knock-outs were skipped" if not knockouts else "asked not to")
    return Validation(verdicts, seconds, img, None,
                      f"{doc} left alone ({why}); it is rewritten from full runs of every pattern only")
