"""A pattern as stated before measuring (`Pattern`) and what measuring it found (`Verdict`).

Kept apart from the patterns themselves so that every module defining patterns (`patterns`,
`members`) imports the same two classes without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
