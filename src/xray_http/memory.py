"""glibc's allocator, told to give large buffers (uploaded photos) back when they are freed."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
MMAP_THRESHOLD = 256 * 1024


def tune_malloc() -> bool:
    """Serve allocations of 256 KB and more from their own mappings; return whether it did.

    By default glibc raises this threshold each time a large block is freed, up to 32 MB, so
    after a few uploads the megabyte-sized buffers of photos come from the heap and its
    per-thread arenas, which keep the memory after the request: the server grew by 29 MiB
    over 200 uploads at concurrency 8 (then stayed there). With a fixed threshold they are
    unmapped when freed: 4 MiB (``bench/bench_images.py``). An operator's own
    ``MALLOC_MMAP_THRESHOLD_`` is left alone; other platforms and C libraries are untouched.
    """
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
