"""Imported by the local pool's fork server only (`executor._open`): one tiny run, so the model's compiled
kernels are loaded once there and every worker forked from it starts warm, instead of each worker paying
for them in its first run (time that counted against that run's time limit)."""

try:
    from ..simulation import simulate

    simulate(seed=0, n_members=12, months=3, exit_month=2, transition_months=1)
except Exception:  # a model that cannot run here fails in the workers' own runs, with its error recorded
    pass
