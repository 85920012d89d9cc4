/* memlayout layout model: NumPy 1.24's contiguity flags, recomputed from
 * shape, strides and item size alone (NumPy's _UpdateContiguousFlags in
 * multiarray/flagsobject.c, relaxed strides).
 *
 * The rules:
 *  - an array with a dim of 0 holds no element, so any strides describe it
 *    contiguously: it is both C and F contiguous;
 *  - axes of size 1 are never stepped along, so their strides are ignored;
 *  - every other axis, walked from the last (C) or the first (F), must have
 *    exactly the stride of a packed array: itemsize, times the dims walked so
 *    far.
 * A 0-dim array walks no axis and is both.
 *
 * The expected stride is carried as uint64_t: the inputs may come from a
 * fuzzed observation whose dims multiply past 2^63, and NumPy's npy_intp
 * arithmetic wraps there too (such arrays cannot exist, but must not be UB). */
#include "layout.h"

static bool has_zero_dim(int ndim, const int64_t *shape)
{
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0)
            return true;
    return false;
}

/* Walks the axes in the order given by first/step (C: last to first). */
static bool packed_along(int ndim, const int64_t *shape, const int64_t *strides,
                         int64_t itemsize, int first, int step)
{
    if (has_zero_dim(ndim, shape))
        return true;
    uint64_t expected = (uint64_t)itemsize;
    for (int k = 0, i = first; k < ndim; k++, i += step) {
        if (shape[i] == 1)
            continue;
        if ((uint64_t)strides[i] != expected)
            return false;
        expected *= (uint64_t)shape[i];
    }
    return true;
}

bool ml_layout_c_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize)
{
    return packed_along(ndim, shape, strides, itemsize, ndim - 1, -1);
}

bool ml_layout_f_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize)
{
    return packed_along(ndim, shape, strides, itemsize, 0, 1);
}

bool ml_layout_strides_equivalent(int ndim, const int64_t *shape,
                                  const int64_t *a, const int64_t *b)
{
    if (has_zero_dim(ndim, shape))
        return true;
    for (int i = 0; i < ndim; i++)
        if (shape[i] > 1 && a[i] != b[i])
            return false;
    return true;
}
