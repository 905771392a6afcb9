"""The exit strategies, in one table: their words, definitions, colours, and whether they are gradual.

Rogers & Coates (2015) name three ways a programme leaves: phase out (stop), phase down (taper),
phase over (hand functions to local actors); `stay` is the control arm. Everything that lists,
orders, colours or explains strategies reads this table (the schema's choices, the exit schedule,
`compare`, figures, the report), so adding one touches one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Strategy:
    name: str
    words: str  # how tables and sentences name it
    definition: str  # what the convener does, in one sentence
    colour: str  # seaborn "colorblind" palette: distinguishable with the common colour-vision deficiencies
    gradual: bool  # does it taper or hand over over `transition_months` before the exit?
    leaves: bool = True  # does the convener ever go?


STRATEGIES: dict[str, Strategy] = {s.name: s for s in [
    Strategy("stay", "the convener stays (stay)",
             "the convener never leaves (the control arm: what the community does with its convener)",
             "#0173b2", gradual=False, leaves=False),
    Strategy("phase_out", "abrupt exit (phase_out)", "the convener leaves abruptly at the exit month",
             "#d55e00", gradual=False),
    Strategy("phase_down", "tapering off (phase_down)",
             "the convener tapers its effort to zero over the transition months before the exit, handing over as "
             "it goes", "#cc78bc", gradual=True),
    Strategy("phase_over", "handing over (phase_over)",
             "the convener develops local leaders and hands hosting and agenda to them before the exit",
             "#029e73", gradual=True),
]}

EXIT_STRATEGIES: tuple[str, ...] = tuple(STRATEGIES)  # the canonical order of tables and figures
GRADUAL: frozenset[str] = frozenset(name for name, s in STRATEGIES.items() if s.gradual)
COLOURS: dict[str, str] = {name: s.colour for name, s in STRATEGIES.items()}
WORDS: dict[str, str] = {name: s.words for name, s in STRATEGIES.items()}
DEFINITIONS: dict[str, str] = {name: s.definition for name, s in STRATEGIES.items()}


def order(values) -> list[str]:
    """`values` (strategy names) in the canonical order."""
    present = set(values)
    return [name for name in EXIT_STRATEGIES if name in present]


def rank(name: str) -> int:
    """Position of a strategy in the canonical order (unknown names last)."""
    return EXIT_STRATEGIES.index(name) if name in STRATEGIES else len(EXIT_STRATEGIES)
