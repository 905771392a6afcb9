"""The single-community reference: tests/data/single-community.parquet.

Written once, by the model as it was before communities became a programme (commit 931ee21,
replication off), and never regenerated: `tests/test_programme.py` checks that a programme of one
community with replication off still gives these monthly tables seed for seed (issue 12).
Regenerating it with a later model would make that test hold by construction.

Rules added since (issue 20) are switched off here by their knock-outs (`KNOCKED_OUT`): with them off,
the model must still be the one that wrote the reference, which also checks that each knock-out removes
its rule entirely.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import lcsim

CASES = [
    ("default", {}),
    ("default", {"exit_strategy": "phase_down"}),
    ("default", {"exit_strategy": "phase_over", "digital_channel": True, "control": 0.2}),
    ("default", {"exit_strategy": "stay", "meeting_interval": 1, "join_rate": 0.03}),
    ("fragile", {}),
    ("default", {"n_members": 20, "leadership": 0.3, "cso_share": 0.75, "meeting_interval": 4,
                 "exit_strategy": "phase_over", "control": 0.4, "digital_channel": True}),
]
SEEDS = (0, 1, 2)
# Issue 20's rules, each at the value that removes it.
KNOCKED_OUT = {"host_fatigue": 0.0, "founding_demand": 0.0, "newness_hazard": 0.0, "availability_shape": 0.0,
               "renewal_weighting": 0.0, "growth_bound": 0.0, "outside_exit": 0.0, "moderation_cost": 0.0,
               "routine_learning": 0.0}
PATH = Path(__file__).with_name("single-community.parquet")


def frame(**extra) -> pd.DataFrame:
    frames = []
    for case, (scenario, params) in enumerate(CASES):
        for seed in SEEDS:
            monthly = lcsim.simulate(seed=seed, scenario=scenario, assumptions=KNOCKED_OUT,
                                     **{**params, "replication": 0.0, **extra}).monthly
            frames.append(monthly.assign(case=case, seed=seed))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    if PATH.exists():
        raise SystemExit(f"{PATH} exists: it is a frozen reference (see the docstring); delete it deliberately")
    frame().to_parquet(PATH, index=False)
    print(f"wrote {PATH}")
