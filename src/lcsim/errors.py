"""One error family: everything lcsim refuses is an `LcsimError`, printed by the CLI as one line (exit 2).

    LcsimError
    ├── ParameterError      a parameter or assumption: unknown name, wrong type, out of range
    │   └── ExperimentError an experiment file or dict that cannot run
    ├── SweepError          a sweep folder or executor that cannot be used
    ├── OutputError         an output folder that cannot be written (under a file, unwritable, /proc)
    └── UsageError          anything else the user asked for that cannot be done
"""

from __future__ import annotations


class LcsimError(Exception):
    """Root of every error lcsim raises on purpose; its message is one line meant for the user."""


class ParameterError(LcsimError, ValueError):
    """A parameter or assumption was unknown, of the wrong type, or out of its allowed range."""


class ExperimentError(ParameterError):
    """An experiment file or dict that cannot run: one line naming the file, field, value and what is allowed."""


class SweepError(LcsimError):
    """The sweep cannot go on with this folder or executor (different experiment, locked, unreachable)."""


class OutputError(LcsimError):
    """An output folder that cannot be used: under a file, unwritable, or under /proc or /sys."""


class UsageError(LcsimError):
    """A problem with what the user asked for (bad file, bad option) that is not one of the above."""
