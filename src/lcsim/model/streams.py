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
        # Community k of a programme has its own streams (k = 0: the model's own), so what happens in
        # one community does not shift the draws of another.
        self._kind = type(rng.bit_generator)
        self._base = 1000 + 100 * community

    def __getattr__(self, name: str) -> np.random.Generator:
        """A mechanism's generator, built when first drawn from: a run uses a few of its eleven streams
        per community, and building them all cost ~0.4 ms a community (issue 23). Its seed depends only
        on its position in STREAMS, so when it is built changes none of its draws."""
        if name not in STREAMS:
            raise AttributeError(name)
        root = self.root
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, self._base + STREAMS.index(name)))
        generator = np.random.Generator(self._kind(child))
        setattr(self, name, generator)
        return generator
