"""numba, where it is installed: `njit` (None without it, so each kernel module falls back to its NumPy twins)."""

from __future__ import annotations

try:
    from numba import njit, types
    from numba.extending import intrinsic
except ImportError:  # pragma: no cover - numba is a dependency; the twins keep the model usable without it
    njit = types = intrinsic = None

__all__ = ["intrinsic", "njit", "types"]
