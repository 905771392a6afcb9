"""A pattern as stated before measuring (`Pattern`) and what measuring it found (`Verdict`).

Kept apart from the patterns themselves so that every module defining patterns (`patterns`,
`members`) imports the same two classes without importing each other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Pattern:
    """A pattern as stated before measuring: what is claimed, on what source, and what would pass."""

    key: str
    title: str
    claim: str
    source: str
    experiments: tuple[str, ...]
    criterion: str
    figure: str
    note: str = ""  # shown when the pattern fails

    def verdict(self, measure: str, value: float, low: float, high: float, passed: bool, **details) -> Verdict:
        return Verdict(key=self.key, title=self.title, claim=self.claim, criterion=self.criterion,
                       measure=measure, value=float(value), low=float(low), high=float(high), passed=bool(passed),
                       source=self.source, experiments=self.experiments, figure=self.figure, note=self.note,
                       **details)


@dataclass
class Verdict:
    """What measuring a pattern found: the headline measure with its 95% interval, and pass or fail.

    `criterion` is the pattern's, fixed before measuring; `passed` applies it. `knockout` is the
    headline measure of the same experiment with the pattern's mechanism switched off
    (`knockout_setting`), and `knockout_passed` whether the criterion still passes then: a pattern
    counts as evidence only when it passes, its knock-out fails, and it does not hold by construction
    (`by_construction` names the part that does).
    """

    key: str  # the pattern's name: P1, ..., L2
    title: str
    claim: str
    criterion: str
    measure: str  # what `value` is
    value: float
    low: float
    high: float
    passed: bool
    n: str = ""  # over what: "400 seeds", "400 paired seeds"
    lines: list[str] = field(default_factory=list)  # every measured line, as the document prints them
    extra: list[tuple] = field(default_factory=list)  # more (label, value, low, high[, part]) summary rows
    parts: dict[str, bool] = field(default_factory=dict)  # sub-verdicts, e.g. each exit strategy of L1
    part: str | None = None  # the part the headline speaks to
    knockout: float | None = None
    knockout_low: float | None = None
    knockout_high: float | None = None
    knockout_passed: bool | None = None
    knockout_setting: str = ""
    knockout_lines: list[str] = field(default_factory=list)
    by_construction: str = ""  # the part of the pattern the rules guarantee, if any
    source: str = ""
    experiments: tuple[str, ...] = ()
    figure: str = ""
    note: str = ""

    @property
    def interval(self) -> tuple[float, float]:
        return self.low, self.high

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    @property
    def verdict_text(self) -> str:
        """PASS or FAIL, naming the parts that pass and fail when only some do."""
        if self.parts and not self.passed and any(self.parts.values()):
            return "FAIL (" + ", ".join(f"{k} {'passes' if ok else 'fails'}" for k, ok in self.parts.items()) + ")"
        return self.status

    def rows(self) -> list[tuple]:
        """Summary rows: (label, value, low, high, part or None), the headline first."""
        head = (self.measure, self.value, self.low, self.high, self.part)
        return [head, *[(*r[:4], r[4] if len(r) > 4 else None) for r in self.extra]]

    def explain(self) -> str:
        return f"{self.key} {self.status}: " + "; ".join(self.lines)

    @property
    def evidence(self) -> str:
        """Whether the pattern counts as evidence for the model's mechanism, in words."""
        if not self.passed:
            return "no (fails)"
        if self.knockout_passed is None:
            return "not tested (no knock-out measured)"
        if self.knockout_passed:
            return "no (holds with the mechanism off too)"
        if self.by_construction:
            return "partly (the rest holds by construction)"
        return "yes"


# --- the verdicts, stored: read by the answers without rerunning the validation --------------------------------
# `lcsim validate` writes this table beside the page it regenerates (`write_statuses`); the package ships the one
# of docs/validation.md (tests/test_evidence.py checks that the two agree).
STATUSES = Path(__file__).resolve().parent / "verdicts.json"


def status_record(v: Verdict) -> dict:
    """What an answer needs of a verdict: pass or fail (per part), the knock-out, what holds by construction."""
    return {"key": v.key, "title": v.title, "measure": v.measure, "value": round(v.value, 2),
            "low": round(v.low, 2), "high": round(v.high, 2), "passed": bool(v.passed), "verdict": v.verdict_text,
            "parts": {k: bool(ok) for k, ok in v.parts.items()},
            "knockout_passed": None if v.knockout_passed is None else bool(v.knockout_passed),
            "knockout_setting": v.knockout_setting, "by_construction": v.by_construction, "evidence": v.evidence}


def statuses_text(verdicts: list[Verdict], measured_on: str) -> str:
    return json.dumps({"measured_on": measured_on, "patterns": [status_record(v) for v in verdicts]}, indent=1,
                      ensure_ascii=False) + "\n"


def write_statuses(path: Path, verdicts: list[Verdict], measured_on: str) -> Path:
    from ..experiments.store import atomic_write

    text = statuses_text(verdicts, measured_on)
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return Path(path)


def read_statuses(path: Path | None = None) -> dict:
    """{"measured_on": ..., "patterns": {key: record}} from the stored table (default: the package's)."""
    data = json.loads(Path(path or STATUSES).read_text(encoding="utf-8"))
    return {"measured_on": data["measured_on"], "patterns": {r["key"]: r for r in data["patterns"]}}


_ROW = re.compile(r"^\| (\w+): ([^|]+) \| ([^|]+) \| ([-\d.]+) \[([-\d.]+), ([-\d.]+)\] \| ([^|]*) \| [^|]* \| "
                  r"([^|]*) \| \*\*([^*]+)\*\* \| ([^|]+) \|$")
_PART = re.compile(r"^\| (\w+): [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| \*\*(PASS|FAIL) for (\w+) \(pattern: \w+\)\*\* \|$")
_CONSTRUCTION = re.compile(r"^## (\w+): .*?(?=^## |\Z)", re.S | re.M)


def statuses_from_document(text: str) -> str:
    """The stored table of the verdicts a validation page (docs/validation.md, as `document.render` writes it)
    states: what the package ships, generated from the page."""
    when = re.search(r"measured by `lcsim validate` \((.+?);", text, re.S)
    records = []
    for line in text.splitlines():
        m = _ROW.match(line.strip())
        if not m:
            continue
        key, title, measure, value, low, high, setting, ko_verdict, verdict, evidence = m.groups()
        ko = ko_verdict.strip()
        records.append({"key": key, "title": title.strip(), "measure": measure.strip(), "value": float(value),
                        "low": float(low), "high": float(high), "passed": verdict.startswith("PASS"),
                        "verdict": verdict, "parts": {},
                        "knockout_passed": None if not ko else ko.startswith("passes"),
                        "knockout_setting": "" if setting.strip() == "-" else setting.strip(),
                        "by_construction": "", "evidence": evidence.strip()})
    found = {r["key"]: r for r in records}
    for line in text.splitlines():
        if m := _PART.match(line.strip()):
            found[m.group(1)]["parts"][m.group(3)] = m.group(2) == "PASS"
    for m in _CONSTRUCTION.finditer(text):
        said = re.search(r"\*\*By construction\*\* \(not counted as evidence\): (.+?)\.\n", m.group(0), re.S)
        if said and m.group(1) in found:
            found[m.group(1)]["by_construction"] = " ".join(said.group(1).split())
    return json.dumps({"measured_on": " ".join(when.group(1).split()) if when else "",
                       "patterns": records}, indent=1, ensure_ascii=False) + "\n"


def statuses_path(doc: Path) -> Path:
    """Where `lcsim validate` writes the table for the page `doc`: the package's own for the source tree's
    docs/validation.md (so what ships follows the page), else beside `doc`."""
    source_doc = STATUSES.parents[3] / "docs" / "validation.md"  # src/lcsim/validation/verdicts.json -> the tree
    return STATUSES if Path(doc).resolve() == source_doc.resolve() else Path(doc).with_suffix(".verdicts.json")


# --- the mechanisms an answer leans on, and the pattern that tests each -----------------------------------------
@dataclass(frozen=True)
class Mechanism:
    """A mechanism a plan can lean on: how to switch it off (existing parameters and assumptions only), and the
    validation pattern (and the part of it) that tests it."""

    key: str
    name: str  # in words: "the digital channel"
    pattern: str  # the pattern that tests it
    part: str | None  # the part of that pattern, when it has parts or a half that holds by construction
    off: dict  # the settings that switch it off
    strategy: str | None = None  # it applies only to plans with this exit strategy
    needs: tuple = ()  # it applies only when these values are on (non-zero); a missing value is on (the defaults)

    def applies(self, params: dict) -> bool:
        if self.strategy is not None and params.get("exit_strategy") != self.strategy:
            return False
        return all(bool(params.get(k, True)) for k in self.needs)

    def status(self, statuses: dict) -> tuple[str, str]:
        """(status, plain words) of this mechanism's pattern in `statuses` (`read_statuses()`): one of evidence,
        by construction, no evidence (its knock-out passes too), fails, not tested."""
        r = statuses["patterns"].get(self.pattern)
        if r is None:
            return "not tested", f"no validation pattern tests {self.name}"
        name = f"its validation pattern, {r['key']} ('{r['title']}'),"
        built = bool(self.part) and r["by_construction"].startswith(f"the {self.part} half")
        passed = r["parts"].get(self.part, r["passed"]) if self.part else r["passed"]
        if not passed:
            return "fails", f"{name} fails" + (" (and this part of it holds by construction)" if built else "")
        if built:
            return ("by construction",
                    f"{name} holds for it by construction (the rules guarantee it), so it is no evidence")
        if r["knockout_passed"] is None:
            return "not tested", f"{name} passes, but its knock-out was not measured"
        if r["knockout_passed"]:
            return "no evidence", f"{name} passes, but with the mechanism switched off too, so it is no evidence"
        return "evidence", f"{name} passes, and fails with the mechanism switched off: evidence for it"


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism("digital_channel", "the digital channel", "P3", None, {"digital_channel": False},
              needs=("digital_channel",)),
    Mechanism("handover", "handing over to local leaders", "L1", "phase_over", {"exit_strategy": "phase_out"},
              strategy="phase_over"),
    Mechanism("taper", "tapering off", "L1", "phase_down", {"exit_strategy": "phase_out"}, strategy="phase_down"),
    Mechanism("replication", "replication (members founding new communities)", "P1", "replication",
              {"replication": 0.0}, needs=("replication",)),
    Mechanism("routine", "the hosting routine members learn from the convener", "L3", None,
              {"assumptions.routine_learning": 0.0}, needs=("control", "assumptions.routine_learning")),
    Mechanism("resources", "the convener's resources for members' capacity", "L2", "resources",
              {"resource_sharing": 0.0}, needs=("resource_sharing",)),
)
