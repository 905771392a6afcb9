"""Random streams: one generator per mechanism, so paired arms share their draws until their rules diverge."""

from __future__ import annotations

import numpy as np

STREAMS = ("joining", "hosting", "attendance", "encounters", "leaders", "leaving", "recruitment", "replication",
           "digital", "scheduling", "outside")  # append only: a stream's seed is its position


class Streams:
    """One random generator per mechanism, each spawned from the run's seed.

    Arms on common seeds then share their history until their rules diverge, and a parameter that
    touches one rule changes only what follows from that rule: e.g. `replication` draws only from
    its own stream, so changing it leaves every other draw where it was.
    """

    def __init__(self, rng: np.random.Generator, root: np.random.SeedSequence | None = None,
                 community: int = 0) -> None:
        root = root if root is not None else rng.bit_generator.seed_seq  # what Mesa built from the seed
        self.root = root
        kind = type(rng.bit_generator)
        # Community k of a programme has its own streams (k = 0: the model's own), so what happens in
        # one community does not shift the draws of another.
        base = 1000 + 100 * community
        for k, name in enumerate(STREAMS):
            child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, base + k))
            setattr(self, name, np.random.Generator(kind(child)))
