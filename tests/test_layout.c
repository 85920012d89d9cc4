/* Unit tests of the layout model (harness/lib/layout.c) on arrays whose NumPy
 * 1.24 flags are known; tests/layout_numpy.py checks it against NumPy itself
 * on random layouts. */
#include <stdint.h>

#include "check.h"
#include "layout.h"

/* Both verdicts of the model, as "CF", "C-", "-F" or "--". */
static const char *flags(int ndim, const int64_t *shape, const int64_t *strides, int64_t itemsize)
{
    static char buf[3];
    buf[0] = ml_layout_c_contiguous(ndim, shape, strides, itemsize) ? 'C' : '-';
    buf[1] = ml_layout_f_contiguous(ndim, shape, strides, itemsize) ? 'F' : '-';
    buf[2] = '\0';
    return buf;
}

static void c_order_arrays_should_be_c_contiguous_only(void)
{
    int64_t shape[] = {5, 3}, strides[] = {24, 8};      /* np.zeros((5,3)) */
    CHECK_STR(flags(2, shape, strides, 8), "C-");
    int64_t shape3[] = {2, 3, 4}, strides3[] = {48, 16, 4};
    CHECK_STR(flags(3, shape3, strides3, 4), "C-");
}

static void f_order_arrays_should_be_f_contiguous_only(void)
{
    int64_t shape[] = {5, 3}, strides[] = {8, 40};      /* np.zeros((5,3), order="F") */
    CHECK_STR(flags(2, shape, strides, 8), "-F");
    int64_t shape3[] = {2, 3, 4}, strides3[] = {4, 8, 24};
    CHECK_STR(flags(3, shape3, strides3, 4), "-F");
}

static void a_transpose_should_swap_c_and_f(void)
{
    int64_t shape[] = {3, 5}, strides[] = {8, 24};      /* np.zeros((5,3)).T */
    CHECK_STR(flags(2, shape, strides, 8), "-F");
    int64_t shape3[] = {4, 2, 3}, strides3[] = {4, 48, 16}; /* moveaxis(-1, 0) */
    CHECK_STR(flags(3, shape3, strides3, 4), "--");
}

static void one_dimensional_packed_arrays_should_be_both(void)
{
    int64_t shape[] = {7}, strides[] = {2};
    CHECK_STR(flags(1, shape, strides, 2), "CF");
}

static void a_step_slice_should_be_neither(void)
{
    int64_t shape[] = {4}, strides[] = {16};            /* np.arange(8.)[::2] */
    CHECK_STR(flags(1, shape, strides, 8), "--");
    int64_t shape2[] = {5, 2}, strides2[] = {24, 8};    /* np.zeros((5,3))[:, :2] */
    CHECK_STR(flags(2, shape2, strides2, 8), "--");
}

static void negative_strides_should_be_neither(void)
{
    int64_t shape[] = {6}, strides[] = {-8};            /* a[::-1] */
    CHECK_STR(flags(1, shape, strides, 8), "--");
    int64_t shape2[] = {5, 3}, strides2[] = {-24, 8};   /* a[::-1, :] */
    CHECK_STR(flags(2, shape2, strides2, 8), "--");
}

static void size_zero_arrays_should_be_both_whatever_the_strides(void)
{
    int64_t shape[] = {0}, strides[] = {8};
    CHECK_STR(flags(1, shape, strides, 8), "CF");
    int64_t shape2[] = {3, 0, 5}, strides2[] = {-7, 1000, 3}; /* as_strided on a size-0 view */
    CHECK_STR(flags(3, shape2, strides2, 8), "CF");
    int64_t shape3[] = {4, 0}, strides3[] = {16, 8};    /* np.zeros((4,2))[:, :0] */
    CHECK_STR(flags(2, shape3, strides3, 8), "CF");
}

static void zero_dim_arrays_should_be_both(void)
{
    CHECK_STR(flags(0, NULL, NULL, 8), "CF");
}

static void c_contiguity_should_ignore_size_one_axes(void)
{
    /* np.zeros((3,1,4))[:, :, :] then a size-1 axis with a junk stride */
    int64_t shape[] = {3, 1, 4}, strides[] = {16, 12345, 4};
    CHECK(ml_layout_c_contiguous(3, shape, strides, 4));
    int64_t shape2[] = {3, 1}, strides2[] = {8, -8};
    CHECK(ml_layout_c_contiguous(2, shape2, strides2, 8));
}

static void f_contiguity_should_ignore_size_one_axes(void)
{
    int64_t shape[] = {4, 1, 3}, strides[] = {4, 0, 16};
    CHECK(ml_layout_f_contiguous(3, shape, strides, 4));
}

static void a_row_and_a_column_should_be_both_c_and_f(void)
{
    int64_t row[] = {1, 5}, row_c[] = {40, 8}, row_f[] = {8, 8};
    CHECK_STR(flags(2, row, row_c, 8), "CF");   /* np.zeros((1,5)) */
    CHECK_STR(flags(2, row, row_f, 8), "CF");   /* np.zeros((1,5), order="F") */
    int64_t col[] = {5, 1}, col_c[] = {8, 8}, col_f[] = {8, 40};
    CHECK_STR(flags(2, col, col_c, 8), "CF");
    CHECK_STR(flags(2, col, col_f, 8), "CF");
}

static void a_single_element_should_be_both_whatever_the_strides(void)
{
    int64_t shape[] = {1, 1, 1}, strides[] = {-3, 0, 999};
    CHECK_STR(flags(3, shape, strides, 16), "CF");
}

static void broadcast_zero_strides_should_be_neither(void)
{
    int64_t shape[] = {4, 3}, strides[] = {0, 8};       /* np.broadcast_to(np.zeros(3), (4,3)) */
    CHECK_STR(flags(2, shape, strides, 8), "--");
    int64_t shape1[] = {5}, strides1[] = {0};           /* np.broadcast_to(1.0, 5) */
    CHECK_STR(flags(1, shape1, strides1, 8), "--");
}

static void broadcast_along_a_size_one_axis_should_stay_contiguous(void)
{
    int64_t shape[] = {1, 3}, strides[] = {0, 8};       /* np.broadcast_to(np.zeros(3), (1,3)) */
    CHECK_STR(flags(2, shape, strides, 8), "CF");
}

static void a_different_itemsize_should_break_contiguity(void)
{
    /* a float64 C array viewed as if it held 4-byte items */
    int64_t shape[] = {5, 3}, strides[] = {24, 8};
    CHECK_STR(flags(2, shape, strides, 4), "--");
    int64_t shape1[] = {5}, strides1[] = {4};
    CHECK_STR(flags(1, shape1, strides1, 4), "CF");
}

static void the_expected_stride_should_skip_size_one_axes_in_the_product(void)
{
    /* (2,1,3) C: stride of axis 0 is 3*itemsize, not 1*3*itemsize*stride[1] */
    int64_t shape[] = {2, 1, 3}, strides[] = {24, 8, 8};
    CHECK_STR(flags(3, shape, strides, 8), "C-");
    int64_t bad[] = {16, 8, 8};
    CHECK_STR(flags(3, shape, bad, 8), "--");
}

static void huge_dims_should_wrap_like_npy_intp_instead_of_overflowing(void)
{
    /* No real array spans 2^83 bytes; the point is no signed overflow (UBSan
     * checks it) and the same answer as NumPy's wrapping arithmetic. */
    int64_t shape[] = {INT64_C(1) << 40, INT64_C(1) << 40, INT64_C(1) << 40};
    int64_t strides[] = {0, INT64_C(1) << 43, 8};
    CHECK_STR(flags(3, shape, strides, 8), "C-");
}

static void strides_should_be_equivalent_when_equal_on_axes_longer_than_one(void)
{
    int64_t shape[] = {5, 1, 3}, a[] = {24, 24, 8}, b[] = {24, -8, 8};
    CHECK(ml_layout_strides_equivalent(3, shape, a, b));
}

static void strides_should_differ_when_an_axis_longer_than_one_differs(void)
{
    int64_t shape[] = {5, 3}, a[] = {24, 8}, b[] = {8, 40};
    CHECK(!ml_layout_strides_equivalent(2, shape, a, b));
    int64_t shape2[] = {2}, c[] = {8}, d[] = {-8};
    CHECK(!ml_layout_strides_equivalent(1, shape2, c, d));
}

static void strides_should_be_equivalent_for_size_zero_arrays(void)
{
    int64_t shape[] = {5, 0, 3}, a[] = {24, 8, 8}, b[] = {1, 2, 3};
    CHECK(ml_layout_strides_equivalent(3, shape, a, b));
    CHECK(ml_layout_strides_equivalent(0, NULL, NULL, NULL));
}

int main(void)
{
    RUN(c_order_arrays_should_be_c_contiguous_only);
    RUN(f_order_arrays_should_be_f_contiguous_only);
    RUN(a_transpose_should_swap_c_and_f);
    RUN(one_dimensional_packed_arrays_should_be_both);
    RUN(a_step_slice_should_be_neither);
    RUN(negative_strides_should_be_neither);
    RUN(size_zero_arrays_should_be_both_whatever_the_strides);
    RUN(zero_dim_arrays_should_be_both);
    RUN(c_contiguity_should_ignore_size_one_axes);
    RUN(f_contiguity_should_ignore_size_one_axes);
    RUN(a_row_and_a_column_should_be_both_c_and_f);
    RUN(a_single_element_should_be_both_whatever_the_strides);
    RUN(broadcast_zero_strides_should_be_neither);
    RUN(broadcast_along_a_size_one_axis_should_stay_contiguous);
    RUN(a_different_itemsize_should_break_contiguity);
    RUN(the_expected_stride_should_skip_size_one_axes_in_the_product);
    RUN(huge_dims_should_wrap_like_npy_intp_instead_of_overflowing);
    RUN(strides_should_be_equivalent_when_equal_on_axes_longer_than_one);
    RUN(strides_should_differ_when_an_axis_longer_than_one_differs);
    RUN(strides_should_be_equivalent_for_size_zero_arrays);
    return check_summary("layout");
}
