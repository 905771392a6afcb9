"""docs/targets.md, generated from the targets (`lcsim.calibration.targets.TARGETS`; `lcsim calibrate` writes it,
a test checks it matches)."""

from __future__ import annotations

from pathlib import Path

from .targets import TARGETS, UNMAPPED, Target


def render(targets: dict[str, Target] | None = None) -> str:
    """docs/targets.md: every target with its source, population, mapping, band and what was confirmed."""
    targets = TARGETS if targets is None else targets
    lines = ["""# Targets: what is known, as numbers the model is held against

The quantitative targets `lcsim calibrate` fits the model's uncertain values to and checks it
against ([calibration.md](calibration.md)). They are data in `lcsim.calibration.targets.TARGETS`; this
page is generated from them (`lcsim calibrate` rewrites it; a test checks it matches). Each has the
observation, its source, the population it was measured on, how it maps onto the model's outputs
(a function of a runs table: `simulate(...).summary` for each run, plus the per-member statistics
`lcsim.calibration.observe` measures from a model run), and a **tolerance band**: the values
that count as reproducing it, as loose as the transfer from the observed population to learning
communities warrants. Targets of one **group** come from one source or pattern and are left out
together in the held-out check. A target whose columns a model version does not produce is reported
as *not measurable with this model version* and left out of the inference.

Sources were checked where a public abstract or page could be read here (search of stored public
pages, 2026-12-02 and again 2026-12-07); the *confirmed* line of each target says what was and what was not.

| target | group | observed | band | scenario | source |
|---|---|---|---|---|---|
"""]
    for t in targets.values():
        lines.append(f"| `{t.key}` | {t.group} | {t.value:.2f} | {t.low:g}-{t.high:g} | {t.scenario or 'calibrated'} "
                     f"| {t.source} |\n")
    for group in dict.fromkeys(t.group for t in targets.values()):
        lines.append(f"\n## {group}\n")
        for t in targets.values():
            if t.group != group:
                continue
            lines.append(f"""
### `{t.key}`: {t.title}

- **Observation.** {t.observation}
- **Source.** {t.source}
- **Population.** {t.population}
- **Maps onto the model as** {t.mapping}{f" (scenario `{t.scenario}`)" if t.scenario else
                                         " (on the scenario being calibrated)"}; reads `{'`, `'.join(t.requires)}`.
- **Band.** {t.low:g} to {t.high:g} (observed {t.value:.2f}): {t.band_reason}.
- **Checked.** {t.confirmed}.
""")
    lines.append("""
## Observations with nothing to map onto yet

Checked in their sources, but this model version reports nothing they could be held against:

""")
    for observation, source, why in UNMAPPED:
        lines.append(f"- {observation} ({source}). Not a target: {why}.\n")
    return "".join(lines)


def write_targets_doc(path: str | Path) -> Path:
    from ..experiments.store import atomic_write

    path = Path(path)
    text = render()
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return path
