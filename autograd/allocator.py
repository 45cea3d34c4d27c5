"""`keep_freed_memory()`: an opt-in speed-up for tensor models, by way of the C allocator.

A training step makes the same big arrays every time (activations, their gradients), and numpy
takes them from the C library's malloc. glibc's malloc hands every block over 128 KB straight
from the OS (raising that limit only once a block that big has been freed), and gives its
heap back to the OS whenever 2x that limit lies free at its top, which is the case at the end
of every step. So each step touches its big arrays' pages afresh, one page fault per 4 KB:
measured here, 2,500 faults a step for a small GPT (22.4 ms a step, 17.4 ms without them) and
770 for a small CNN (2.4 ms, 0.9 ms without them).

`keep_freed_memory()` asks malloc to keep blocks of up to 32 MB on its heap and to hold up to
64 MB of freed memory there for the next step. The library never does this by itself: the
allocator's settings belong to the whole process (numpy's, PyTorch's, yours), like the
garbage collector's (see `relaxed_gc`). A script that has once freed a big array (loading and
converting a data set usually does) already runs like this.

Call it once, at the top of a training script (it returns False, and changes nothing, where
malloc is not glibc's: macOS, Windows, musl):

    import autograd
    autograd.keep_freed_memory()
"""

from __future__ import annotations

# mallopt's parameter numbers (glibc's malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP_BLOCKS_UP_TO, KEEP_FREE_UP_TO = 32 * 2 ** 20, 64 * 2 ** 20


def keep_freed_memory() -> bool:
    """Call once at the top of a tensor training script: a CNN's or a GPT's step stops
    page-faulting its activations in afresh every time (measured: 2.4 -> 0.9 ms a step for a
    small CNN, 22 -> 17 ms for a small GPT; MLPs with small activations do not change).

    It lets glibc's malloc keep blocks up to 32 MB and up to 64 MB of freed memory for reuse,
    for the rest of the process. True if it took the settings; False where malloc is not
    glibc's (nothing changes there)."""
    # imported here: ctypes.util brings subprocess, signal and selectors along, ~500 objects
    # that every full garbage collection of a process would walk, for a call made once
    import ctypes
    import ctypes.util
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_BLOCKS_UP_TO)) and \
        bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREE_UP_TO))
