"""Output folders: refused in one line before anything runs when they cannot be used.

Every command that writes (`run`, `sweep`, `compare`, `report`, `analyze`, `validate`, ...) calls
`usable_folder` first, so a path under a file, an unwritable place, a path under /proc or /sys,
or a name too long for the file system ends in one `OutputError` line, and nothing half-written.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import OutputError

_PSEUDO = ("/proc", "/sys", "/dev")  # kernel file systems: nothing of ours belongs there


def usable_folder(path: str | os.PathLike, what: str = "output folder", create: bool = True) -> Path:
    """`path` as a Path, created (with parents) if `create`; raise OutputError if it cannot hold our files."""
    folder = Path(path)
    resolved = folder.expanduser().resolve(strict=False)
    for root in _PSEUDO:
        if resolved == Path(root) or str(resolved).startswith(root + os.sep):
            raise OutputError(f"{what} '{folder}': is under {root}, a system folder; choose another folder")
    try:
        for parent in [resolved, *resolved.parents]:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"{what} '{folder}': '{parent}' is a file, not a folder; choose another folder")
                break
        if create:
            resolved.mkdir(parents=True, exist_ok=True)
            # Can we actually write here (read-only mounts, permissions)? Probe with a temporary file.
            with tempfile.NamedTemporaryFile(dir=resolved, prefix=".lcsim-probe-"):
                pass
    except OSError as err:
        raise unusable(err, folder, what, "write there") from None
    return folder


def unusable(err: OSError, folder, what: str = "output folder", doing: str = "use it") -> OutputError:
    """An OSError met while preparing a folder, as the one-line error naming the folder and why."""
    return OutputError(f"{what} '{folder}': cannot {doing} ({_reason(err)}); choose another folder")


def _reason(err: OSError) -> str:
    if err.errno == errno.ENAMETOOLONG:
        return "a name in the path is too long for the file system"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied or read-only"
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    return err.strerror or type(err).__name__


def disk_error(err: OSError, target: str | os.PathLike) -> OutputError:
    """An OSError raised while writing, as the one-line error (e.g. the disk filled mid-sweep)."""
    return OutputError(f"writing '{target}' failed: {_reason(err)}")
