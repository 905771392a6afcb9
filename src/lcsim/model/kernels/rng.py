"""A NumPy Generator handed to compiled code by its address: `handle_of(rng)` once per generator, then
`generator_at(handle)` inside a kernel draws from the same bit generator, in the same state, as `rng` does.

numba unboxes a Generator argument through ctypes on every call (three `ctypes.cast`s and a Python-level
typeof): 9-16 us a call, more than a small meeting's whole work (issue 23). A handle is a small uint64 array
(the bit generator's state and its three draw functions) that crosses like any array, in well under a
microsecond. The draws are the bit generator's own, so a kernel given a handle draws exactly what it draws
given the Generator (tests/test_kernels.py).

The handle holds addresses, not a reference: the generator must outlive the call (every caller passes a
stream the model holds).
"""

from __future__ import annotations

import ctypes

import numpy as np

from .compile import intrinsic, njit, types

_HANDLES: dict[int, tuple] = {}  # id(generator) -> (generator, handle); the generator kept so its id stays its own
_GENERATORS: dict[int, np.random.Generator] = {}  # its state's address -> the generator (`generator_of`)
_MOST = 4096  # past this many, the older half is forgotten: a handle costs a few microseconds to make again
_BITGEN = ctypes.c_void_p * 4  # the head of numpy's bitgen_t
# Its own prototype of the C API call (not ctypes.pythonapi's shared one, whose types other code may set).
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))


def handle_of(rng: np.random.Generator) -> np.ndarray:
    """The addresses compiled code draws from `rng` with: [state, state, next_uint64, next_uint32, next_double]."""
    kept = _HANDLES.get(id(rng))
    if kept is not None and kept[0] is rng:
        return kept[1]
    # The bit generator's C struct (numpy's bitgen_t: state, next_uint64, next_uint32, next_double, ...), read
    # through its capsule: what `bit_generator.ctypes` gives, without building that interface (issue 23).
    state, next_uint64, next_uint32, next_double = _BITGEN.from_address(_capsule_pointer(rng.bit_generator.capsule,
                                                                                           b"BitGenerator"))
    handle = np.array([state, state, next_uint64, next_uint32, next_double], np.uint64)
    if len(_HANDLES) >= _MOST:  # the older half forgotten: memory stays flat over any number of runs
        for key in list(_HANDLES)[:_MOST // 2]:
            _GENERATORS.pop(int(_HANDLES.pop(key)[1][0]), None)
    _HANDLES[id(rng)] = (rng, handle)
    _GENERATORS[int(handle[0])] = rng
    return handle


def generator_of(handle: np.ndarray) -> np.random.Generator:
    """The generator `handle` was made from (the NumPy twins of kernels that take a handle draw from it)."""
    return _GENERATORS[int(handle[0])]


if njit is not None:
    from numba.core import cgutils
    from numba.np.random.generator_core import _bit_gen_type

    @intrinsic
    def _generator(typingctx, state_address, state, next_uint64, next_uint32, next_double):  # pragma: no cover
        """numba's Generator struct over the given addresses (no Python object behind it: none is needed to draw,
        and its reference count is a null pointer, which numba's runtime skips)."""
        generator_type = types.NumPyRandomGeneratorType("generator")

        def codegen(context, builder, signature, args):
            bits = cgutils.create_struct_proxy(_bit_gen_type)(context, builder)
            bits.state_address, bits.state = args[0], args[1]
            bits.fnptr_next_uint64, bits.fnptr_next_uint32, bits.fnptr_next_double = args[2], args[3], args[4]
            generator = cgutils.create_struct_proxy(generator_type)(context, builder)
            generator.bit_generator = bits._getvalue()
            return generator._getvalue()  # meminfo and parent stay null

        return generator_type(types.uintp, types.uintp, types.uintp, types.uintp, types.uintp), codegen

    @njit(cache=True, nogil=True, inline="always")
    def generator_at(handle):  # pragma: no cover - compiled
        """The Generator behind `handle` (from `handle_of`), to draw from inside a kernel."""
        return _generator(handle[0], handle[1], handle[2], handle[3], handle[4])
