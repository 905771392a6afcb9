"""What one participant may ask of the machine serving the app: the trainer's per-session limits.

With `--host 0.0.0.0` anyone in the room can open the page, and every page (browser tab) is a session
with its own community. Without bounds one participant at the sliders' old maxima (5,000 members in
each of 50 communities) took 203 s of CPU and 1.34 GB to start, then 18 s a month. The limits:

- `members`: the largest community (`n_members`) a participant may start (default 1,000: the `large`
  preset; about 0.9 s of CPU to start, 0.05 s a month);
- `communities`: the largest programme (`n_communities`) a participant may start (default 5: 1,000 x 5
  starts in about 4 s of CPU, then 0.2 s a month, about 80 MB; two plans twice that);
- `months_per_second`: how fast play may run (default 5);
- `step_seconds`: CPU seconds one month of one page may take (default 2): a run that has grown past
  it (members recruit, found communities) stops, with a message, rather than hold the machine;
- `organisations`: what each run of a page may grow to (twice members x communities), for memory.

The page refuses settings past them with a short message, and its sliders end at them. The trainer sets
them with `lcsim app --max-members N --max-communities N --months-per-second X --step-seconds S`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from ..errors import UsageError
from ..parameters import SCHEMA

ENV_LIMITS = "LCSIM_APP_LIMITS"  # JSON of the trainer's limits, as `lcsim app` passes them to the page


@dataclass(frozen=True)
class Limits:
    members: int = 1000
    communities: int = 5
    months_per_second: float = 5.0
    step_seconds: float = 2.0

    def __post_init__(self) -> None:
        for name, option, low, high in (("members", "--max-members", SCHEMA["n_members"].low,
                                         SCHEMA["n_members"].high),
                                        ("communities", "--max-communities", SCHEMA["n_communities"].low,
                                         SCHEMA["n_communities"].high),
                                        ("months_per_second", "--months-per-second", 0.1, 50),
                                        ("step_seconds", "--step-seconds", 0.1, 600)):
            value = getattr(self, name)
            whole = name in ("members", "communities")
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
                    or not low <= value <= high:
                kind = "an integer" if whole else "a number"
                raise UsageError(f"{option} {value!r}: expected {kind} in [{low:g}, {high:g}]")

    @property
    def organisations(self) -> int:
        """The most organisations one run of a page may hold, growth included (two plans: each run)."""
        return 2 * self.members * self.communities

    @property
    def pause_ms(self) -> int:
        """The shortest pause between months that play may use (months_per_second)."""
        return int(-(-1000 // self.months_per_second))

    def check(self, params: dict) -> None:
        """Refuse settings past the limits: one line naming the setting, the limit and who sets it."""
        for name, limit, option in (("n_members", self.members, "--max-members"),
                                    ("n_communities", self.communities, "--max-communities")):
            if params.get(name, 0) > limit:
                raise UsageError(f"{name} {params[name]} is past this session's limit of {limit} (the trainer "
                                 f"sets it: lcsim app {option})")

    def check_growth(self, organisations: int, seconds: float) -> None:
        """After a month: refuse to go on with a run grown past what a page may hold, or a month that took too long."""
        if organisations > self.organisations:
            raise UsageError(f"a run has grown to {organisations:,} organisations, past this session's limit "
                             f"of {self.organisations:,}; Reset with a smaller community")
        if seconds > self.step_seconds:
            raise UsageError(f"that month took {seconds:.1f} s, past this session's limit of {self.step_seconds:g} s "
                             "a month; Reset with a smaller community")

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, environ=os.environ) -> Limits:
        text = environ.get(ENV_LIMITS)
        return cls(**json.loads(text)) if text else cls()
