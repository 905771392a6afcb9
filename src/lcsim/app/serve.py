"""Solara's server, tied to the `lcsim app` that started it: it ends when that process ends, however it ends.

`lcsim app` runs `python -m lcsim.app.serve PARENT_PID solara-arguments...`. Three ties, so closing the
terminal (SIGHUP) or killing `lcsim app` (even SIGKILL, which it cannot catch) never leaves a server
holding the port:

- on Linux, the kernel's parent-death signal (`prctl(PR_SET_PDEATHSIG, SIGKILL)`), set by `lcsim app`
  in the child before it runs Python (`die_with_parent`) and set again here;
- the server is in `lcsim app`'s process group, so a terminal's SIGHUP reaches both;
- elsewhere (or should the signal be missed), a watchdog thread here that ends the server within a
  second of its parent's end (`watch_parent`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent ends (Linux; a no-op elsewhere).

    Safe as a `subprocess.Popen(preexec_fn=...)`: one system call, no allocation worth the name."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog still ties the server to its parent


def watch_parent(parent: int, every: float = 0.5) -> threading.Thread:
    """A daemon thread that ends this process at once when `parent` is no longer its parent."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)  # the parent is gone: nothing left to serve, and the port must be freed

    thread = threading.Thread(target=watch, name="lcsim-parent-watchdog", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parent = int(argv.pop(0))
    die_with_parent()
    if os.getppid() != parent:  # the parent ended before the tie was made
        os._exit(0)
    watch_parent(parent)
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", *argv]
    solara_main()


if __name__ == "__main__":
    main()
