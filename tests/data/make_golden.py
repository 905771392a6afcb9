"""Regenerate tests/data/golden-monthly.parquet: the monthly tables of a fixed set of runs.

`tests/test_golden.py` checks `simulate` against it seed for seed, so a refactor that should not
change the model's output cannot change it unnoticed. A deliberate model change regenerates it:
    .venv/bin/python tests/data/make_golden.py
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
    ("mexico-csa", {}),
    ("fragile", {}),
    ("default", {"n_members": 20, "replication": 0.3, "leadership": 0.3}),
]
SEEDS = (0, 1, 2)
PATH = Path(__file__).with_name("golden-monthly.parquet")


def golden_frame() -> pd.DataFrame:
    frames = []
    for case, (scenario, params) in enumerate(CASES):
        for seed in SEEDS:
            monthly = lcsim.simulate(seed=seed, scenario=scenario, **params).monthly
            frames.append(monthly.assign(case=case, seed=seed))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    golden_frame().to_parquet(PATH, index=False)
    print(f"wrote {PATH}")
