/* memlayout layout model: NumPy's contiguity rules, computed independently of
 * NumPy from shape, strides and item size (relaxed strides, as NumPy >= 1.12:
 * axes of size 1 are ignored; an array with a 0 dim is both C and F). */
#ifndef ML_LAYOUT_H
#define ML_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "case.h"

bool ml_layout_c_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize);
bool ml_layout_f_contiguous(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize);

/* Strides equal on every axis of size > 1; always true if any dim is 0. */
bool ml_layout_strides_equivalent(int ndim, const int64_t *shape,
                                  const int64_t *a, const int64_t *b);

/* ---- the op-level model ----------------------------------------------------
 *
 * What NumPy makes of a case's backing and of each op applied to it: shape,
 * strides, where the data pointer lies and whether the memory is still the
 * memmap's. The rules (NumPy 1.24 and 2.x agree on all of them):
 *  - the backing: np.memmap / np.load(mmap_mode=...) of the shape and order,
 *    packed strides (a 0 dim counts as 1 in the strides of the dims before it);
 *  - reshape: no-copy when the view is contiguous in the order asked (fresh
 *    packed strides) or NumPy's _attempt_nocopy_reshape finds strides; the
 *    same shape is a plain view; otherwise a copy (np.memmap.reshape then
 *    returns an array the memmap no longer backs);
 *  - transpose, swapaxes, moveaxis: permuted shape and strides;
 *  - slice: the pointer moves to start; an empty slice keeps stride and
 *    pointer (NumPy resets start 0, step 1);
 *  - index: the pointer moves to the element, the axis goes;
 *  - newaxis: np.expand_dims is a reshape;
 *  - squeeze: the axis goes, the other strides stay;
 *  - ravel: a view when contiguous in the order asked ("K": in stride order,
 *    positive strides only), else a packed copy;
 *  - view: see ml_layout_view_rule; a new item size re-cuts the last axis,
 *    whose stride becomes the new item size;
 *  - broadcast: np.broadcast_to, zero strides on new axes and axes of size 1;
 *  - field: the pointer moves to the field, the item size becomes the
 *    field's; a sub-array field adds its dims, packed, after the others;
 *  - fields: a multi-field view keeps item size, strides and pointer; the
 *    dtype keeps the chosen fields at their offsets (with gaps);
 *  - real, imag: the item size halves, imag moves the pointer by it;
 *  - as_strided: the given shape and strides, the pointer kept;
 *  - sliding_window: each windowed axis shrinks by its window less one, and
 *    the window dims follow with the strides of their axes;
 *  - diagonal: axis1 and axis2 go, a last axis of stride s1 + s2 comes; the
 *    pointer moves to the offset's first element (not when the offset
 *    leaves the array: then the diagonal is empty where it started);
 *  - flip: a [::-1] slice of each axis given; rot90: flips and a swap;
 *  - asarray: the same layout (only the Python type changes). */

typedef struct {
    int ndim;
    int64_t shape[ML_MAX_NDIM];
    int64_t strides[ML_MAX_NDIM];
    int64_t offset;     /* data pointer minus the start of the memory viewed:
                           the backing's first element, or the copy's start */
    int itemsize;
    bool c_contiguous, f_contiguous;
    bool copy;          /* an op copied: the memmap no longer backs the view */
    int64_t extent;     /* bytes of the memory viewed (the backing's data or the copy) */
    ml_dtype dtype;     /* the element type; its item size may exceed the fields' */
    int field_offset[ML_MAX_FIELDS];  /* where dtype's fields lie in the item */
} ml_view;

typedef enum {
    ML_VIEW_OK,
    ML_VIEW_ZERO_DIM,        /* a 0-dim array has no last axis to re-cut */
    ML_VIEW_NOT_CONTIGUOUS,  /* last axis: size > 1, array not empty, stride != item size */
    ML_VIEW_NOT_DIVISOR,     /* a smaller item size must divide the old one */
    ML_VIEW_NOT_MULTIPLE,    /* a larger one must divide the last axis's bytes */
    ML_VIEW_OVERFLOW,        /* the last axis's bytes overflow int64 */
} ml_view_rule;

/* Element count of v (0 if any dim is 0). */
int64_t ml_layout_size(const ml_view *v);

/* The view np.memmap gives of the case's backing. */
void ml_layout_backing(const ml_case *c, ml_view *v);

/* Whether a.view(dtype of the given item size) is allowed on v (NumPy's
 * array_descr_set): a changed item size re-cuts the last axis, which must be
 * contiguous, or of size 1, or the array empty. */
ml_view_rule ml_layout_view_rule(const ml_view *v, int itemsize);

/* Byte range [*lo, *hi) that the elements of v span from the start of its
 * memory; false if it overflows int64. An empty view spans nothing. */
bool ml_layout_span(const ml_view *v, int64_t *lo, int64_t *hi);

/* Alignment NumPy asks of an element of d: a scalar's size (a complex
 * one's half), 1 for a packed structured item. */
int64_t ml_layout_alignment(const ml_dtype *d);

/* A multi-field item whose fields cover less than the item (a[["z", "x"]]). */
bool ml_layout_field_gaps(const ml_view *v);

/* Index of the field called name in v's dtype, or -1. */
int ml_layout_field(const ml_view *v, const char *name);

/* Applies op to v. The op must be valid for v (ml_case_validate's walk checks
 * it before calling this); an invalid one leaves v undefined but in bounds. */
void ml_layout_apply(ml_view *v, const ml_op *op);

/* out[0] is the backing, out[i + 1] the view after ops[i], for i < nops.
 * Returns false if ops[0..nops-1] are invalid (ml_case_validate says why). */
bool ml_layout_case(const ml_case *c, int nops, ml_view out[ML_MAX_OPS + 1]);

#endif
