/* Unit tests of the layout model (harness/lib/layout.c) on arrays whose NumPy
 * 1.24 flags are known; tests/layout_numpy.py checks it against NumPy itself
 * on random layouts. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

/* The model's view after a case's ops: "shape strides @offset flags[ copy]",
 * e.g. "[4,3] (48,16) @0 --"; the case is a <f8 raw backing unless dtype is
 * given. */
static const char *after(const char *dtype, const char *shape, const char *order, const char *ops)
{
    static char out[256];
    char json[1024];
    snprintf(json, sizeof json,
             "{\"memlayout\":1,\"dtype\":\"%s\",\"backing\":{\"source\":\"raw\",\"shape\":%s,"
             "\"order\":\"%s\",\"offset\":1,\"mode\":\"r\"},\"ops\":[%s],\"transport\":\"reduce\",\"seed\":1}",
             dtype, shape, order, ops);
    ml_case c;
    ml_view v[ML_MAX_OPS + 1];
    if (!ml_case_parse(json, strlen(json), NULL, &c, out, sizeof out))
        return out;
    if (!ml_layout_case(&c, c.nops, v))
        return "model refuses";
    const ml_view *w = &v[c.nops];
    size_t o = 0;
    for (int k = 0; k < 2; k++) {
        const int64_t *a = k ? w->strides : w->shape;
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", k ? " (" : "[");
        for (int i = 0; i < w->ndim; i++)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%lld", i ? "," : "", (long long)a[i]);
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", k ? ")" : "]");
    }
    snprintf(out + o, sizeof out - o, " @%lld %c%c%s", (long long)w->offset,
             w->c_contiguous ? 'C' : '-', w->f_contiguous ? 'F' : '-', w->copy ? " copy" : "");
    return out;
}

#define SLICE(axis, start, stop, step) \
    "{\"op\":\"slice\",\"axis\":" #axis ",\"start\":" #start ",\"stop\":" #stop ",\"step\":" #step "}"

static void the_backing_should_get_packed_strides_in_its_order(void)
{
    CHECK_STR(after("<f8", "[4,6]", "C", ""), "[4,6] (48,8) @0 C-");
    CHECK_STR(after("<f8", "[4,6]", "F", ""), "[4,6] (8,32) @0 -F");
    CHECK_STR(after("<i4", "[0,3]", "C", ""), "[0,3] (12,4) @0 CF");
}

static void a_reshape_numpy_cannot_do_in_place_should_copy(void)
{
    CHECK_STR(after("<f8", "[4,6]", "C", SLICE(1, null, null, 2)), "[4,3] (48,16) @0 --");
    /* Evenly spaced rows of evenly spaced items merge into one axis... */
    CHECK_STR(after("<f8", "[4,6]", "C", SLICE(1, null, null, 2) ",{\"op\":\"reshape\",\"shape\":[12],\"order\":\"C\"}"),
              "[12] (16) @0 --");
    /* ...a prefix of each row does not. */
    CHECK_STR(after("<f8", "[4,6]", "C", SLICE(1, 0, 3, 1) ",{\"op\":\"reshape\",\"shape\":[12],\"order\":\"C\"}"),
              "[12] (8) @0 CF copy");
    /* Rows skipped, the last axis whole: merging is not possible, splitting it is. */
    CHECK_STR(after("<f8", "[4,6]", "C", SLICE(0, 1, null, 2) ",{\"op\":\"reshape\",\"shape\":[2,2,3],\"order\":\"C\"}"),
              "[2,2,3] (96,24,8) @48 --");
}

static void ravel_should_copy_only_when_no_order_is_packed(void)
{
    CHECK_STR(after("<f8", "[4,6]", "F", "{\"op\":\"ravel\",\"order\":\"K\"}"), "[24] (8) @0 CF");
    CHECK_STR(after("<i4", "[2,3,4]", "C", "{\"op\":\"transpose\",\"axes\":[2,0,1]},{\"op\":\"ravel\",\"order\":\"K\"}"),
              "[24] (4) @0 CF");
    CHECK_STR(after("<i4", "[2,3,4]", "C", "{\"op\":\"transpose\",\"axes\":[2,0,1]},{\"op\":\"ravel\",\"order\":\"C\"}"),
              "[24] (4) @0 CF copy");
    CHECK_STR(after("<f8", "[6]", "C", SLICE(0, null, null, -1) ",{\"op\":\"ravel\",\"order\":\"K\"}"),
              "[6] (8) @0 CF copy");
}

static void the_pointer_should_move_like_numpys(void)
{
    CHECK_STR(after("<f8", "[6]", "C", SLICE(0, null, null, -2)), "[3] (-16) @40 --");
    /* An empty slice keeps pointer and stride (NumPy's start 0, step 1). */
    CHECK_STR(after("<f8", "[6]", "C", SLICE(0, 4, 2, 3)), "[0] (8) @0 CF");
    /* Indexing along an axis of an empty view: the pointer leaves the mapping. */
    CHECK_STR(after("<f8", "[0,3]", "C", "{\"op\":\"index\",\"axis\":1,\"index\":2}"), "[0] (24) @16 CF");
}

static void broadcast_should_zero_new_and_size_one_axes(void)
{
    CHECK_STR(after("<f8", "[3,1]", "C", "{\"op\":\"broadcast\",\"shape\":[2,3,4]}"), "[2,3,4] (0,8,0) @0 --");
}

static void an_item_size_view_should_recut_a_contiguous_last_axis_anywhere(void)
{
    CHECK_STR(after("<f8", "[4,6]", "C", "{\"op\":\"transpose\",\"axes\":null}," SLICE(1, 0, 1, 1)
                                         ",{\"op\":\"view\",\"dtype\":\"<f4\"}"), "[6,2] (8,4) @0 C-");
    CHECK_STR(after("<f8", "[4,6]", "C", SLICE(0, null, null, 2) ",{\"op\":\"view\",\"dtype\":\"<c16\"}"),
              "[2,3] (96,16) @0 --");
    CHECK_STR(after("<f8", "[4,6]", "C", "{\"op\":\"transpose\",\"axes\":null},{\"op\":\"view\",\"dtype\":\"<f4\"}"),
              "ops[1].view: the last axis is not contiguous (stride 48, item size 8)");
}


/* The model's whole view after ops on an npy backing (so 0-dim and any
 * dtype work): "shape strides @offset flags dtype/itemsize of extent[ copy]",
 * in the words of the NumPy check that wrote each expectation:
 * "[4] (56) @16 -- <f8/8 of 192"; a structured dtype reads
 * "[name:dtype(subshape)@field offset,...]". The NumPy expression next to
 * each expectation, run on an array made over a bytearray (as np.memmap's
 * are; np.zeros gives empty arrays zero strides), printed the same string. */
static const char *model(const char *dtype, const char *shape, const char *order, const char *ops)
{
    static char out[512];
    char json[2048];
    snprintf(json, sizeof json,
             "{\"memlayout\":1,\"dtype\":%s,\"backing\":{\"source\":\"npy\",\"shape\":%s,"
             "\"order\":\"%s\",\"offset\":0,\"mode\":\"r\"},\"ops\":[%s],\"transport\":\"reduce\",\"seed\":1}",
             dtype, shape, order, ops);
    ml_case c;
    ml_view v[ML_MAX_OPS + 1];
    if (!ml_case_parse(json, strlen(json), NULL, &c, out, sizeof out))
        return out;
    if (!ml_layout_case(&c, c.nops, v))
        return "model refuses";
    const ml_view *w = &v[c.nops];
    size_t o = 0;
    for (int k = 0; k < 2; k++) {
        const int64_t *a = k ? w->strides : w->shape;
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", k ? " (" : "[");
        for (int i = 0; i < w->ndim; i++)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%lld", i ? "," : "", (long long)a[i]);
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", k ? ")" : "]");
    }
    o += (size_t)snprintf(out + o, sizeof out - o, " @%lld %c%c ", (long long)w->offset,
                          w->c_contiguous ? 'C' : '-', w->f_contiguous ? 'F' : '-');
    char buf[8];
    if (w->dtype.nfields == 0) {
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", ml_scalar_str(&w->dtype.scalar, buf));
    } else {
        for (int f = 0; f < w->dtype.nfields; f++) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%s:%s", f ? "," : "[",
                                  w->dtype.names[f], ml_scalar_str(&w->dtype.fields[f], buf));
            for (int j = 0; j < w->dtype.subndim[f]; j++)
                o += (size_t)snprintf(out + o, sizeof out - o, "%s%d%s", j ? "," : "(",
                                      w->dtype.subshape[f][j], j + 1 == w->dtype.subndim[f] ? ")" : "");
            o += (size_t)snprintf(out + o, sizeof out - o, "@%d", w->field_offset[f]);
        }
        o += (size_t)snprintf(out + o, sizeof out - o, "]");
    }
    snprintf(out + o, sizeof out - o, "/%d of %lld%s", w->itemsize, (long long)w->extent,
             w->copy ? " copy" : "");
    return out;
}

#define F8 "\"<f8\""
#define I4 "\"<i4\""
#define REC "[[\"x\",\"<f8\"],[\"y\",\"<i2\"],[\"v\",\"<f4\",[2,3]]]"
#define DIAG(k, a1, a2) "{\"op\":\"diagonal\",\"offset\":" #k ",\"axis1\":" #a1 ",\"axis2\":" #a2 "}"
#define ROT(k, a1, a2) "{\"op\":\"rot90\",\"k\":" #k ",\"axes\":[" #a1 "," #a2 "]}"
#define WIN(w, ax) "{\"op\":\"sliding_window\",\"window\":" w ",\"axis\":" ax "}"
#define STRIDED(sh, st) "{\"op\":\"as_strided\",\"shape\":" sh ",\"strides\":" st "}"
#define FIELD(n) "{\"op\":\"field\",\"name\":\"" n "\"}"

static void diagonal_should_move_the_pointer_only_while_the_offset_is_inside(void)
{
    /* mk((4,6)) builds np.memmap's layout over a bytearray; a = that */
    CHECK_STR(model(F8, "[4,6]", "C", DIAG(2, 0, 1)), "[4] (56) @16 -- <f8/8 of 192");   /* a.diagonal(2) */
    CHECK_STR(model(F8, "[4,6]", "C", DIAG(6, 0, 1)), "[0] (56) @48 CF <f8/8 of 192");   /* a.diagonal(6) */
    CHECK_STR(model(F8, "[4,6]", "C", DIAG(7, 0, 1)), "[0] (56) @0 CF <f8/8 of 192");    /* a.diagonal(7) */
    CHECK_STR(model(F8, "[4,6]", "C", DIAG(-1, 0, 1)), "[3] (56) @48 -- <f8/8 of 192");  /* a.diagonal(-1) */
    CHECK_STR(model(F8, "[4,6]", "C", DIAG(-4, 0, 1)), "[0] (56) @192 CF <f8/8 of 192"); /* a.diagonal(-4) */
    CHECK_STR(model(F8, "[4,6]", "C", DIAG(-5, 0, 1)), "[0] (56) @0 CF <f8/8 of 192");   /* a.diagonal(-5) */
    /* mk((4,6), order="F").diagonal(1, 1, 0) */
    CHECK_STR(model(F8, "[4,6]", "F", DIAG(1, 1, 0)), "[3] (40) @8 -- <f8/8 of 192");
    /* mk((2,3,4), "<i4").diagonal(0, 2, 0): the axes left, then the diagonal */
    CHECK_STR(model(I4, "[2,3,4]", "C", DIAG(0, 2, 0)), "[3,2] (16,52) @0 -- <i4/4 of 96");
    /* mk((2,3,4), "<i4").diagonal(-1, -1, 1) */
    CHECK_STR(model(I4, "[2,3,4]", "C", DIAG(-1, -1, 1)), "[2,3] (48,20) @4 -- <i4/4 of 96");
}

static void flip_should_reverse_each_axis_asked(void)
{
    CHECK_STR(model(F8, "[4,6]", "C", "{\"op\":\"flip\",\"axis\":null}"),
              "[4,6] (-48,-8) @184 -- <f8/8 of 192");                                   /* np.flip(a) */
    CHECK_STR(model(F8, "[4,6]", "C", "{\"op\":\"flip\",\"axis\":1}"),
              "[4,6] (48,-8) @40 -- <f8/8 of 192");                                     /* np.flip(a, 1) */
    CHECK_STR(model(F8, "[4,6]", "C", "{\"op\":\"flip\",\"axis\":-2}"),
              "[4,6] (-48,8) @144 -- <f8/8 of 192");                                    /* np.flip(a, -2) */
    /* np.flip(mk((0,3))): the empty axis keeps its stride, the other turns */
    CHECK_STR(model(F8, "[0,3]", "C", "{\"op\":\"flip\",\"axis\":null}"),
              "[0,3] (24,-8) @16 CF <f8/8 of 0");
}

static void rot90_should_be_flips_and_a_swap(void)
{
    CHECK_STR(model(F8, "[4,6]", "C", ROT(1, 0, 1)), "[6,4] (-8,48) @40 -- <f8/8 of 192");    /* np.rot90(a) */
    CHECK_STR(model(F8, "[4,6]", "C", ROT(2, 0, 1)), "[4,6] (-48,-8) @184 -- <f8/8 of 192");  /* np.rot90(a, 2) */
    CHECK_STR(model(F8, "[4,6]", "C", ROT(3, 0, 1)), "[6,4] (8,-48) @144 -- <f8/8 of 192");   /* np.rot90(a, 3) */
    CHECK_STR(model(F8, "[4,6]", "C", ROT(-1, 0, 1)), "[6,4] (8,-48) @144 -- <f8/8 of 192");  /* np.rot90(a, -1) */
    CHECK_STR(model(F8, "[4,6]", "C", ROT(4, 0, 1)), "[4,6] (48,8) @0 C- <f8/8 of 192");      /* np.rot90(a, 4) */
    CHECK_STR(model(F8, "[4,6]", "C", ROT(5, 0, 1)), "[6,4] (-8,48) @40 -- <f8/8 of 192");    /* np.rot90(a, 5) */
    CHECK_STR(model(F8, "[4,6]", "C", ROT(1, 1, 0)), "[6,4] (8,-48) @144 -- <f8/8 of 192");   /* np.rot90(a, 1, (1,0)) */
    /* np.rot90(mk((2,3,4), "<i4"), 1, (0,-1)) */
    CHECK_STR(model(I4, "[2,3,4]", "C", ROT(1, 0, -1)), "[4,3,2] (-4,16,48) @12 -- <i4/4 of 96");
    /* np.rot90(mk((2,3,4), "<i4"), -3, (2,1)) */
    CHECK_STR(model(I4, "[2,3,4]", "C", ROT(-3, 2, 1)), "[2,4,3] (48,4,-16) @32 -- <i4/4 of 96");
    /* np.rot90(a[1:3], 1, (1,0)).diagonal(1) */
    CHECK_STR(model(F8, "[4,6]", "C", SLICE(0, 1, 3, 1) "," ROT(1, 1, 0) "," DIAG(1, 0, 1)),
              "[1] (-40) @48 CF <f8/8 of 192");
}

static void sliding_window_should_append_window_dims_with_their_axes_strides(void)
{
    /* sliding_window_view(mk((6,)), 3) */
    CHECK_STR(model(F8, "[6]", "C", WIN("[3]", "null")), "[4,3] (8,8) @0 -- <f8/8 of 48");
    /* sliding_window_view(a, (2,), axis=(1,)) */
    CHECK_STR(model(F8, "[4,6]", "C", WIN("[2]", "[1]")), "[4,5,2] (48,8,8) @0 -- <f8/8 of 192");
    /* sliding_window_view(a, (2,3)) */
    CHECK_STR(model(F8, "[4,6]", "C", WIN("[2,3]", "null")), "[3,4,2,3] (48,8,48,8) @0 -- <f8/8 of 192");
    /* sliding_window_view(a, (3,), axis=(-2,)) */
    CHECK_STR(model(F8, "[4,6]", "C", WIN("[3]", "[-2]")), "[2,6,3] (48,8,48) @0 -- <f8/8 of 192");
    /* sliding_window_view(mk((4,)), (2,3), axis=(0,0)): the axis shrinks twice */
    CHECK_STR(model(F8, "[4]", "C", WIN("[2,3]", "[0,0]")), "[1,2,3] (8,8,8) @0 -- <f8/8 of 32");
    /* sliding_window_view(mk((4,)), 0): a window of 0 grows the axis by one */
    CHECK_STR(model(F8, "[4]", "C", WIN("[0]", "null")), "[5,0] (8,8) @0 CF <f8/8 of 32");
    /* sliding_window_view(a, (0,6)) */
    CHECK_STR(model(F8, "[4,6]", "C", WIN("[0,6]", "null")), "[5,1,0,6] (48,8,48,8) @0 CF <f8/8 of 192");
}

static void as_strided_should_take_shape_and_strides_and_keep_the_pointer(void)
{
    /* as_strided(a, (3,3), (0,8)) */
    CHECK_STR(model(F8, "[4,6]", "C", STRIDED("[3,3]", "[0,8]")), "[3,3] (0,8) @0 -- <f8/8 of 192");
    /* as_strided(a[1:, ::2], (3,3), (48,16)) */
    CHECK_STR(model(F8, "[4,6]", "C", SLICE(0, 1, null, 1) "," SLICE(1, null, null, 2) ","
                                      STRIDED("[3,3]", "[48,16]")), "[3,3] (48,16) @48 -- <f8/8 of 192");
    /* as_strided(a, (), ()) */
    CHECK_STR(model(F8, "[4,6]", "C", STRIDED("[]", "[]")), "[] () @0 CF <f8/8 of 192");
    /* as_strided(a[::-1], (4,), (-48,)) */
    CHECK_STR(model(F8, "[4,6]", "C", SLICE(0, null, null, -1) "," STRIDED("[4]", "[-48]")),
              "[4] (-48) @144 -- <f8/8 of 192");
    /* as_strided(a, (2,3), (8,16)) */
    CHECK_STR(model(F8, "[4,6]", "C", STRIDED("[2,3]", "[8,16]")), "[2,3] (8,16) @0 -F <f8/8 of 192");
    /* b = a[:, :3].reshape(12) is a 96-byte copy; as_strided(b, (2,), (88,)) lies in it */
    CHECK_STR(model(F8, "[4,6]", "C", SLICE(1, 0, 3, 1) ",{\"op\":\"reshape\",\"shape\":[12],\"order\":\"C\"},"
                                      STRIDED("[2]", "[88]")), "[2] (88) @0 -- <f8/8 of 96 copy");
}

static void real_and_imag_should_halve_the_item_and_keep_the_strides(void)
{
    /* mk((3,), "<c16").real */
    CHECK_STR(model("\"<c16\"", "[3]", "C", "{\"op\":\"real\"}"), "[3] (16) @0 -- <f8/8 of 48");
    /* mk((3,), "<c16").imag */
    CHECK_STR(model("\"<c16\"", "[3]", "C", "{\"op\":\"imag\"}"), "[3] (16) @8 -- <f8/8 of 48");
    /* mk((2,3), ">c8")[:, ::-1].imag: the byte order stays, the pointer 16 + 4 */
    CHECK_STR(model("\">c8\"", "[2,3]", "C", SLICE(1, null, null, -1) ",{\"op\":\"imag\"}"),
              "[2,3] (24,-8) @20 -- >f4/4 of 48");
    /* mk((2,3), ">c8", order="F").T.real */
    CHECK_STR(model("\">c8\"", "[2,3]", "F", "{\"op\":\"transpose\",\"axes\":null},{\"op\":\"real\"}"),
              "[3,2] (16,8) @0 -- >f4/4 of 48");
}

static void field_should_move_to_the_field_and_add_its_sub_array_dims(void)
{
    /* a = mk((4,), [("x","<f8"),("y","<i2"),("v","<f4",(2,3))]): 34-byte items */
    CHECK_STR(model(REC, "[4]", "C", ""),
              "[4] (34) @0 CF [x:<f8@0,y:<i2@8,v:<f4(2,3)@10]/34 of 136");   /* a */
    CHECK_STR(model(REC, "[4]", "C", FIELD("y")), "[4] (34) @8 -- <i2/2 of 136");             /* a["y"] */
    CHECK_STR(model(REC, "[4]", "C", FIELD("v")), "[4,2,3] (34,12,4) @10 -- <f4/4 of 136");   /* a["v"] */
    /* mk((2,3), [("x","<f8"),("c",">c8",(2,))], order="F")["c"] */
    const char *cplx = "[[\"x\",\"<f8\"],[\"c\",\">c8\",[2]]]";
    CHECK_STR(model(cplx, "[2,3]", "F", FIELD("c")), "[2,3,2] (24,48,8) @8 -- >c8/8 of 144");
    /* the same ["c"].imag */
    CHECK_STR(model(cplx, "[2,3]", "F", FIELD("c") ",{\"op\":\"imag\"}"),
              "[2,3,2] (24,48,8) @12 -- >f4/4 of 144");
    /* mk((1,), [("x","<f8"),("v","<f4",(1,))])["v"] */
    CHECK_STR(model("[[\"x\",\"<f8\"],[\"v\",\"<f4\",[1]]]", "[1]", "C", FIELD("v")),
              "[1,1] (12,4) @8 CF <f4/4 of 12");
}

static void fields_should_keep_the_item_and_the_chosen_fields_where_they_were(void)
{
    /* a[["v","x"]] */
    CHECK_STR(model(REC, "[4]", "C", "{\"op\":\"fields\",\"names\":[\"v\",\"x\"]}"),
              "[4] (34) @0 CF [v:<f4(2,3)@10,x:<f8@0]/34 of 136");
    /* a[["v","x"]]["v"] */
    CHECK_STR(model(REC, "[4]", "C", "{\"op\":\"fields\",\"names\":[\"v\",\"x\"]}," FIELD("v")),
              "[4,2,3] (34,12,4) @10 -- <f4/4 of 136");
    /* a[["y"]]["y"] */
    CHECK_STR(model(REC, "[4]", "C", "{\"op\":\"fields\",\"names\":[\"y\"]}," FIELD("y")),
              "[4] (34) @8 -- <i2/2 of 136");
}

static void asarray_should_keep_the_layout(void)
{
    /* np.asarray(a[::2]) */
    CHECK_STR(model(F8, "[4,6]", "C", SLICE(0, null, null, 2) ",{\"op\":\"asarray\",\"via\":\"asarray\"}"),
              "[2,6] (96,8) @0 -- <f8/8 of 192");
    /* a[::2].view(np.ndarray) */
    CHECK_STR(model(F8, "[4,6]", "C", SLICE(0, null, null, 2) ",{\"op\":\"asarray\",\"via\":\"view\"}"),
              "[2,6] (96,8) @0 -- <f8/8 of 192");
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
    RUN(the_backing_should_get_packed_strides_in_its_order);
    RUN(a_reshape_numpy_cannot_do_in_place_should_copy);
    RUN(ravel_should_copy_only_when_no_order_is_packed);
    RUN(the_pointer_should_move_like_numpys);
    RUN(broadcast_should_zero_new_and_size_one_axes);
    RUN(an_item_size_view_should_recut_a_contiguous_last_axis_anywhere);
    RUN(diagonal_should_move_the_pointer_only_while_the_offset_is_inside);
    RUN(flip_should_reverse_each_axis_asked);
    RUN(rot90_should_be_flips_and_a_swap);
    RUN(sliding_window_should_append_window_dims_with_their_axes_strides);
    RUN(as_strided_should_take_shape_and_strides_and_keep_the_pointer);
    RUN(real_and_imag_should_halve_the_item_and_keep_the_strides);
    RUN(field_should_move_to_the_field_and_add_its_sub_array_dims);
    RUN(fields_should_keep_the_item_and_the_chosen_fields_where_they_were);
    RUN(asarray_should_keep_the_layout);
    return check_summary("layout");
}
