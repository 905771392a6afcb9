"""What a user types, read as they mean it: numbers from text, and seeds.

The one place these rules live: `Parameter.parse` (so every `--set`, parameter or assumption) reads
numbers with `number`, and every seed the CLI, `simulate` or the app takes goes through `check_seed`.

- `number("15")`: ASCII digits only (Python's `float` also takes `１５` and `1_0`), an integer stays
  an exact int, and a value Python would round to 0 or to infinity (`1e-400`, `1e400`) or NaN is
  refused rather than silently changed.
- `check_seed(-3)`: a seed is an integer in [0, 2**63 - 1] (what numpy's SeedSequence takes and a
  sweep stores in its int64 `seed` column); anything else is one line, before anything runs or is written.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import ParameterError

# sign, digits with at most one point, optional exponent: ASCII only (re.ASCII: \d is 0-9, not any digit)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
SEED_MAX = 2**63 - 1


def number(text: str) -> int | float:
    """`text` as the number a user means, or ValueError saying why not (for the caller's one-line error)."""
    raw = text.strip()
    if not _NUMBER.fullmatch(raw):
        raise ValueError("not a number: write it with the digits 0-9, e.g. 15, 0.3 or 1e-3")
    if _INTEGER.fullmatch(raw):
        return int(raw)  # exact, however long: a huge integer is out of range, not rounded
    value = float(raw)
    if math.isinf(value):
        raise ValueError("too large to hold as a number")
    mantissa = _NUMBER.fullmatch(raw).group(1)
    if value == 0.0 and any(c in "123456789" for c in mantissa):
        raise ValueError("too small to hold as a number: it would be read as 0")
    return value


def check_seed(seed: Any, what: str = "seed", allow_none: bool = False) -> Any:
    """`seed` as an int in [0, SEED_MAX], or one ParameterError naming `what`.

    A numpy Generator, BitGenerator or SeedSequence passes unchanged (Mesa and numpy take them as they are);
    None passes when `allow_none` (a run seeded from the operating system's entropy).
    """
    import numpy as np

    if seed is None and allow_none:
        return None
    if isinstance(seed, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return seed
    value = seed
    if isinstance(seed, str):
        try:
            value = number(seed)
        except ValueError:
            value = seed
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = int(value)
        if 0 <= value <= SEED_MAX:
            return value
        why = "negative" if value < 0 else "too large"
    else:
        why = "not an integer"
    said = str(value) if isinstance(value, int) and not isinstance(value, bool) else repr(seed)
    said = " ".join(said.split())  # one line, whatever it is (an array's repr spans several)
    said = said if len(said) <= 40 else said[:30] + "..." + said[-6:]
    raise ParameterError(f"{what}: {said} is not allowed ({why}); expected an integer in [0, 2**63 - 1]")
