/* memlayout layout model: NumPy's contiguity rules, computed independently of
 * NumPy from shape, strides and item size (relaxed strides, as NumPy >= 1.12:
 * axes of size 1 are ignored; an array with a 0 dim is both C and F). */
#ifndef ML_LAYOUT_H
#define ML_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

bool ml_layout_c_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize);
bool ml_layout_f_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize);

/* Strides equal on every axis of size > 1; always true if any dim is 0. */
bool ml_layout_strides_equivalent(int ndim, const int64_t *shape,
                                  const int64_t *a, const int64_t *b);

#endif
