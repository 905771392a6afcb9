"""Check behind the early-exit finding in results/README.md: at an exit after 12 months of convening
(transition 12 months, so a taper or handover starts at the launch), survival 36 months after the exit
under each strategy, with the hosting routine (docs/model.md section 8(f)) in and knocked out
(`routine_learning = 0`). Default scenario, control 0.5 and 0.9, seeds 0-59 (the same seeds in every arm).

    .venv/bin/python results/checks/early_exit.py > results/checks/early_exit.txt
"""
import numpy as np

import lcsim

RULES = [("routine_learning=0.1 (default)", None), ("routine_learning=0", {"routine_learning": 0})]

for control in (0.5, 0.9):
    for label, assumptions in RULES:
        for strategy in ("phase_out", "phase_down", "phase_over"):
            runs = [lcsim.simulate(s, assumptions=assumptions, exit_month=12, months=48, transition_months=12,
                                   control=control, exit_strategy=strategy).summary for s in range(60)]
            alive = [r["survived"] for r in runs]
            print(f"control {control}, {label}, {strategy}: alive 36 months after the exit {np.mean(alive):.2f}"
                  f" ({sum(alive)} of 60), active members at the horizon"
                  f" {np.mean([r['active_members'] for r in runs]):.1f}")
