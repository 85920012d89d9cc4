"""memlayout's own correct reducer for memmap-backed NumPy arrays.

joblib 1.2.0's ``_reduce_memmap_backed`` describes a view by the order of the
*backing* memmap, drops the strides of every contiguous view and starts strided
views at their lowest byte.  A 1-D memmap is both C and F contiguous, so a C
reshape of it is rebuilt in F order with scrambled values; a view with a
negative stride is rebuilt from the wrong end and leaves its mapping.

This reducer sends exactly what is needed to rebuild any view on the same
bytes of the same file:

* the file name, dtype and mode (``w+`` becomes ``r+``: the file exists by
  then and ``w+`` would truncate it); the dtype object itself is pickled, so
  sub-array fields and the dtype of a multi-field view (gaps, fields out of
  order, the parent's item size) come back as they were,
* the file offset of the view's lowest byte and the number of bytes it spans,
* the position of element ``[0, ..., 0]`` inside that span,
* shape, strides and writeability.

The receiver maps that byte span as ``uint8`` and builds the view on it with
``np.ndarray(shape, dtype, buffer, offset, strides)``.

Arrays not backed by a memmap are pickled as copies, as joblib does, but
through ``copy_source``: NumPy's pickling loses a non-native byte order unless
the array goes through protocol 5's buffer path (see ``copy_source``).

``reduce(a)`` is a forward reducer (a drop-in for joblib's
``ArrayMemmapForwardReducer`` instances); ``reduce_memmap_backed(a, m)`` has the
signature of joblib's ``_reduce_memmap_backed`` and ``dumps`` that of
``pickle.dumps``, so both can be patched into ``joblib._memmapping_reducer``.
"""

import os
from mmap import mmap
from pickle import HIGHEST_PROTOCOL, loads
from pickle import dumps as _dumps

import numpy as np

__all__ = ["reduce", "reduce_memmap_backed", "rebuild", "backing_memmap", "copy_source", "dumps"]


def backing_memmap(a):
    """The np.memmap at the root of a's base chain (its .base is the mmap), or None.

    The chain is walked with a generic getattr, as joblib does: a view made by
    as_strided (sliding_window_view too) is based on a DummyArray, which is
    not an ndarray.
    """
    b = getattr(a, "base", None)
    while b is not None:
        if isinstance(b, mmap):
            return a if isinstance(a, np.memmap) else None
        a = b
        b = getattr(a, "base", None)
    return None


def _data_pointer(a):
    return a.__array_interface__["data"][0]


def reduce_memmap_backed(a, m):
    """Reduce a, a view on the memmap m (m.base is the mmap), to (rebuild, args)."""
    ptr = _data_pointer(a)
    first = m.offset + (ptr - _data_pointer(m))   # file offset of element [0, ...]
    shape, strides = a.shape, a.strides
    if a.size == 0:
        lo_rel, span = 0, 0
    else:
        lo_rel = hi_rel = 0
        for n, s in zip(shape, strides):
            if s < 0:
                lo_rel += (n - 1) * s
            else:
                hi_rel += (n - 1) * s
        span = hi_rel + a.itemsize - lo_rel
    mode = m.mode
    if mode == "w+":
        mode = "r+"
    return (rebuild, (m.filename, a.dtype, mode, first + lo_rel, span, -lo_rel,
                      shape, strides, bool(a.flags.writeable)))


def rebuild(filename, dtype, mode, lo_offset, span, first_off, shape, strides, writeable):
    """Map the byte span [lo_offset, lo_offset + span) of filename and view it."""
    if span == 0:
        a = _empty_view(filename, dtype, mode, lo_offset, shape, strides)
    else:
        base = np.memmap(filename, dtype=np.uint8, mode=mode, offset=lo_offset, shape=(span,))
        a = np.ndarray(shape, dtype=dtype, buffer=base, offset=first_off, strides=strides)
    if not writeable and a.flags.writeable:
        a.flags.writeable = False
    return a


def _empty_view(filename, dtype, mode, first, shape, strides):
    """An empty view whose element [0, ...] sits at file offset first.

    It spans no bytes, but np.memmap cannot map 0 bytes and an empty view's
    pointer may lie past the end of the file (an index into an empty axis
    moves it): map one byte of the file as near as possible and put the data
    pointer where the parent's is, as as_strided does; nothing is ever read
    through it.
    """
    size = os.stat(filename).st_size
    at = max(0, min(first, size - 1))
    base = np.memmap(filename, dtype=np.uint8, mode=mode, offset=at, shape=(1,))
    x = np.ndarray((0,), dtype=dtype, buffer=base)
    iface = dict(x.__array_interface__)
    iface["data"] = (iface["data"][0] + (first - at), iface["data"][1])
    iface["shape"] = tuple(shape)
    iface["strides"] = tuple(strides)
    a = np.asarray(_Interface(iface, x))
    if a.dtype != dtype:
        # the interface route loses structured dtypes; a view of the same
        # item size keeps shape and strides (setting .dtype may not last:
        # NumPy 2.4 already deprecates setting .strides)
        a = a.view(dtype)
    return a


class _Interface:
    """Exposes an __array_interface__ and keeps its base alive (NumPy's DummyArray)."""

    def __init__(self, interface, base):
        self.__array_interface__ = interface
        self.base = base


def copy_source(a):
    """What to pickle so that the copy keeps dtype (byte order included) and order.

    NumPy 1.24 unpickles a non-native scalar dtype ('>u4' on x86) as native,
    byte-swapping the values, except through protocol 5's buffer path, which
    it takes only for plain ndarrays that are C or F contiguous.  So pickle a
    plain ndarray view, made C-contiguous when it is neither (a copy of a
    non-contiguous array may have any layout).
    """
    if type(a) is not np.ndarray:
        a = a.view(np.ndarray)
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        a = a.copy(order="C")
    return a


def dumps(obj, protocol=HIGHEST_PROTOCOL, **kwargs):
    """pickle.dumps that pickles arrays through copy_source (protocol >= 5)."""
    if isinstance(obj, np.ndarray):
        obj = copy_source(obj)
        protocol = max(protocol if protocol is not None and protocol >= 0 else HIGHEST_PROTOCOL, 5)
    return _dumps(obj, protocol=protocol, **kwargs)


def reduce(a):
    """Forward reducer: share a memmap-backed array, pickle a copy of any other."""
    m = backing_memmap(a)
    if m is not None:
        return reduce_memmap_backed(a, m)
    return (loads, (dumps(a, protocol=HIGHEST_PROTOCOL),))
