/* Unit tests of the generator (harness/lib/gen.c): its sources, determinism,
 * validity of everything it makes (seeded and from arbitrary bytes), that
 * every feature of the format shows up, and that the distribution keeps the
 * views that break memmap reducers common. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "gen.h"

#define ALL_TRANSPORTS ((1u << ML_T_COUNT) - 1)

/* xorshift64*: test inputs must not come from the code under test. */
static uint64_t rnd(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545f4914f6cdd1dull;
}

/* Valid under the generator's own cap, and parse(write(c)) is c, written
 * the same. Prints the first few failures. */
static bool sound(const ml_case *c, const ml_gen_opts *o)
{
    static int reported;
    ml_limits lim = {o ? o->max_bytes : 0};
    char err[ML_ERR_MAX];
    char *out = ml_case_write(c);
    bool ok = out != NULL && ml_case_validate(c, &lim, err, sizeof err);
    if (out && !ok && reported++ < 5)
        fprintf(stderr, "  invalid: %s\n  %s", err, out);
    ml_case back;
    if (ok) {
        ok = ml_case_parse(out, strlen(out), &lim, &back, err, sizeof err) && ml_case_equal(c, &back);
        char *again = ok ? ml_case_write(&back) : NULL;
        ok = ok && again && strcmp(out, again) == 0;
        if (!ok && reported++ < 5)
            fprintf(stderr, "  no round trip: %s", out);
        free(again);
    }
    free(out);
    return ok;
}

static void a_byte_source_should_read_little_endian_and_then_zeros(void)
{
    static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    ml_src s;
    ml_src_bytes(&s, b, sizeof b);
    CHECK(ml_src_next(&s) == 0x0807060504030201ull);
    CHECK(ml_src_next(&s) == 0x0b0a09ull);
    CHECK(ml_src_next(&s) == 0);
    ml_src_bytes(&s, b, sizeof b);
    CHECK(ml_src_below(&s, 1) == 0);             /* no choice, no byte */
    CHECK(ml_src_below(&s, 256) == 1);           /* one byte */
    CHECK(ml_src_below(&s, 257) == 0x0302 % 257);/* two bytes */
    CHECK(ml_src_below(&s, 3) == 4 % 3);
    ml_src_bytes(&s, NULL, 0);
    CHECK(ml_src_next(&s) == 0 && ml_src_below(&s, 1000) == 0);
}

static void a_seeded_source_should_be_xoshiro256ss_seeded_by_splitmix64(void)
{
    ml_src s;
    ml_src_seed(&s, 0);
    /* The reference outputs for seed 0: campaigns must stay reproducible. */
    CHECK(ml_src_next(&s) == 0x99ec5f36cb75f2b4ull);
    CHECK(ml_src_next(&s) == 0xbf6e1f784956452aull);
    CHECK(ml_src_next(&s) == 0x1a5f849d4933e6e0ull);
    int hist[10] = {0};
    ml_src_seed(&s, 99);
    for (int i = 0; i < 100000; i++) {
        uint64_t v = ml_src_below(&s, 10);
        CHECK(v < 10);
        if (v < 10)
            hist[v]++;
    }
    for (int i = 0; i < 10; i++)
        CHECK(hist[i] > 9500 && hist[i] < 10500);
}

static void the_same_seed_should_give_the_same_case(void)
{
    ml_gen_opts o = {ALL_TRANSPORTS, 0, 0, 0};
    int differ = 0;
    for (uint64_t i = 0; i < 2000; i++) {
        ml_case a, b, next;
        ml_gen_nth(7, i, &o, &a);
        ml_gen_nth(7, i, &o, &b);
        ml_gen_nth(7, i + 1, &o, &next);
        char *sa = ml_case_write(&a), *sb = ml_case_write(&b), *sn = ml_case_write(&next);
        CHECK(sa && sb && strcmp(sa, sb) == 0);
        differ += sa && sn && strcmp(sa, sn) != 0;
        free(sa);
        free(sb);
        free(sn);
    }
    CHECK(differ > 1990);
    /* A source seeded twice replays the same cases in order. */
    ml_src s1, s2;
    ml_src_seed(&s1, 5);
    ml_src_seed(&s2, 5);
    for (int i = 0; i < 100; i++) {
        ml_case a, b;
        ml_gen_case(&s1, &o, &a);
        ml_gen_case(&s2, &o, &b);
        CHECK(ml_case_equal(&a, &b));
    }
    ml_case a, b;
    ml_gen_nth(7, 0, &o, &a);
    ml_gen_nth(8, 0, &o, &b);
    CHECK(!ml_case_equal(&a, &b));
}

static void every_seeded_case_should_be_valid_and_round_trip(void)
{
    ml_gen_opts o = {ALL_TRANSPORTS, 0, 0, 0};
    int bad = 0;
    for (uint64_t i = 0; i < 100000; i++) {
        ml_case c;
        ml_gen_nth(12345, i, &o, &c);
        bad += !sound(&c, &o);
    }
    CHECK(bad == 0);
}

static void every_byte_string_should_decode_to_a_valid_case(void)
{
    ml_gen_opts o = {ALL_TRANSPORTS, 0, 0, 0};
    uint64_t x = 0x1234567887654321ull;
    uint8_t buf[512];
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        size_t len = (size_t)(rnd(&x) % sizeof buf);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rnd(&x);
        ml_src s;
        ml_case c;
        ml_src_bytes(&s, buf, len);
        ml_gen_case(&s, &o, &c);
        bad += !sound(&c, &o);
    }
    memset(buf, 0xff, sizeof buf);
    for (size_t len = 0; len <= sizeof buf; len++) {
        ml_src s;
        ml_case c;
        ml_src_bytes(&s, buf, len);
        ml_gen_case(&s, &o, &c);
        bad += !sound(&c, &o);
    }
    CHECK(bad == 0);
}

static void an_empty_byte_string_should_decode_to_the_simplest_case(void)
{
    ml_src s;
    ml_case c;
    ml_src_bytes(&s, NULL, 0);
    ml_gen_case(&s, NULL, &c);
    char *out = ml_case_write(&c);
    CHECK_STR(out, "{\"memlayout\":1,\"dtype\":\"<f8\",\"backing\":{\"source\":\"raw\",\"shape\":[1],"
                   "\"order\":\"C\",\"offset\":0,\"mode\":\"r\"},\"ops\":[],\"transport\":\"reduce\","
                   "\"seed\":0}\n");
    free(out);
}

static void options_should_bound_the_cases_and_stay_valid(void)
{
    static const ml_gen_opts opts[] = {
        {0, 0, 16, 32},                       /* longest chains, most dims */
        {1u << ML_T_THREADING, 0, 1, 1},
        {ALL_TRANSPORTS, 1, 0, 0},            /* a cap almost nothing fits */
        {ALL_TRANSPORTS, 100, 0, 0},
        {ALL_TRANSPORTS | 0xfffff000u, 4096, -3, -3},
    };
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        const ml_gen_opts *o = &opts[k];
        int bad = 0, most_ops = 0, most_dims = 0;
        for (uint64_t i = 0; i < 20000; i++) {
            ml_case c;
            ml_gen_nth(k, i, o, &c);
            bad += !sound(&c, o);
            most_ops = c.nops > most_ops ? c.nops : most_ops;
            most_dims = c.ndim > most_dims ? c.ndim : most_dims;
            uint32_t mask = o->transports & ALL_TRANSPORTS;
            CHECK(((mask ? mask : 1u) >> c.transport) & 1);
        }
        CHECK(bad == 0);
        int max_ops = o->max_ops > 0 ? o->max_ops : 4, max_ndim = o->max_ndim > 0 ? o->max_ndim : 6;
        CHECK(most_ops == max_ops);
        CHECK(most_dims <= max_ndim);
        if (o->max_bytes == 0)
            CHECK(most_dims == max_ndim || max_ndim > 6);
    }
}

/* What 10,000 cases of one campaign hold. */
typedef struct {
    int ops[ML_OP_COUNT], transports[ML_T_COUNT], modes[ML_MODE_COUNT];
    int kinds[256], big_endian, little_endian, structured, order_c, order_f, raw, npy;
    int zero_dim, one_dim, scalar_npy, offset_zero, offset_odd, offset_page, nops[ML_MAX_OPS + 1];
    int reshape_unknown, reshape_f, transpose_null, transpose_axes, slice_null, slice_negative;
    int negative_axis, itemsize_view, structured_view, broadcast_grows;
    int raw_1d_to_2d, c_2d_transpose;
} census;

static void count_dtype(census *k, const ml_dtype *d)
{
    const ml_scalar *s = d->nfields ? d->fields : &d->scalar;
    for (int i = 0; i < (d->nfields ? d->nfields : 1); i++) {
        k->kinds[(unsigned char)s[i].kind]++;
        k->big_endian += s[i].byteorder == '>';
        k->little_endian += s[i].byteorder == '<';
    }
}

static void take_census(census *k, int n)
{
    ml_gen_opts o = {ALL_TRANSPORTS, 0, 0, 0};
    memset(k, 0, sizeof *k);
    for (int i = 0; i < n; i++) {
        ml_case c;
        ml_gen_nth(2024, (uint64_t)i, &o, &c);
        int isz = ml_dtype_itemsize(&c.dtype);
        count_dtype(k, &c.dtype);
        k->structured += c.dtype.nfields > 0;
        k->transports[c.transport]++;
        k->modes[c.mode]++;
        k->order_c += c.order == 'C';
        k->order_f += c.order == 'F';
        k->raw += c.source == ML_SRC_RAW;
        k->npy += c.source == ML_SRC_NPY;
        k->scalar_npy += c.ndim == 0;
        k->offset_zero += c.offset == 0;
        k->offset_odd += c.offset % isz != 0;
        k->offset_page += c.offset == 4096;
        k->nops[c.nops]++;
        for (int j = 0; j < c.ndim; j++) {
            k->zero_dim += c.shape[j] == 0;
            k->one_dim += c.shape[j] == 1;
        }
        int64_t before[ML_MAX_NDIM], after[ML_MAX_NDIM];
        for (int j = 0; j < c.nops; j++) {
            const ml_op *op = &c.ops[j];
            int nd = ml_case_shape_after(&c, j, before), nd2 = ml_case_shape_after(&c, j + 1, after);
            k->ops[op->kind]++;
            for (int d = 0; op->kind == ML_OP_RESHAPE && d < op->ndim; d++)
                k->reshape_unknown += op->shape[d] == -1;
            k->reshape_f += op->kind == ML_OP_RESHAPE && op->order == 'F';
            k->transpose_null += op->kind == ML_OP_TRANSPOSE && !op->has_axes;
            k->transpose_axes += op->kind == ML_OP_TRANSPOSE && op->has_axes && op->ndim > 1;
            k->slice_null += op->kind == ML_OP_SLICE && (!op->has_start || !op->has_stop);
            k->slice_negative += op->kind == ML_OP_SLICE && op->step < 0;
            k->negative_axis += (op->kind == ML_OP_SWAPAXES || op->kind == ML_OP_MOVEAXIS ||
                                 op->kind == ML_OP_SLICE || op->kind == ML_OP_INDEX ||
                                 op->kind == ML_OP_SQUEEZE || op->kind == ML_OP_NEWAXIS) &&
                                (op->axis < 0 || op->axis2 < 0);
            if (op->kind == ML_OP_VIEW) {
                count_dtype(k, &op->dtype);
                k->itemsize_view += ml_dtype_itemsize(&op->dtype) != isz;
                k->structured_view += op->dtype.nfields > 0;
                isz = ml_dtype_itemsize(&op->dtype);
            }
            k->broadcast_grows += op->kind == ML_OP_BROADCAST &&
                                  (nd2 != nd || memcmp(before, after, sizeof(int64_t) * (size_t)nd) != 0);
        }
        /* The public bug family: a raw 1-D backing reshaped to 2-D, and a
         * C-order 2-D backing transposed. */
        k->raw_1d_to_2d += c.source == ML_SRC_RAW && c.ndim == 1 && c.nops > 0 &&
                           c.ops[0].kind == ML_OP_RESHAPE && c.ops[0].ndim == 2;
        k->c_2d_transpose += c.ndim == 2 && c.order == 'C' && c.nops > 0 &&
                             (c.ops[0].kind == ML_OP_TRANSPOSE || c.ops[0].kind == ML_OP_SWAPAXES);
    }
}

static void ten_thousand_cases_should_cover_every_feature(void)
{
    census k;
    take_census(&k, 10000);
    for (int i = 0; i < ML_OP_COUNT; i++) {
        if (k.ops[i] < 50)
            fprintf(stderr, "  op %s: %d\n", ml_op_name((ml_opkind)i), k.ops[i]);
        CHECK(k.ops[i] >= 50);
    }
    for (int i = 0; i < ML_T_COUNT; i++)
        CHECK(k.transports[i] >= 500);          /* uniform: ~833 each */
    for (int i = 0; i < ML_MODE_COUNT; i++)
        CHECK(k.modes[i] >= 500);
    CHECK(k.kinds['b'] > 0 && k.kinds['i'] > 0 && k.kinds['u'] > 0 && k.kinds['f'] > 0 && k.kinds['c'] > 0);
    CHECK(k.big_endian > 500 && k.little_endian > 500);
    CHECK(k.structured > 0 && k.structured_view > 0);
    CHECK(k.order_c > 0 && k.order_f > 0 && k.raw > 0 && k.npy > 0);
    CHECK(k.zero_dim > 0 && k.one_dim > 0 && k.scalar_npy > 0);
    CHECK(k.offset_zero > 0 && k.offset_odd > 0 && k.offset_page > 0);
    CHECK(k.nops[0] > 0 && k.nops[4] > 0);
    CHECK(k.reshape_unknown > 0 && k.reshape_f > 0 && k.transpose_null > 0 && k.transpose_axes > 0);
    CHECK(k.slice_null > 0 && k.slice_negative > 0 && k.negative_axis > 0);
    CHECK(k.itemsize_view > 0 && k.broadcast_grows > 0);
}

static void the_distribution_should_favour_what_breaks_reducers(void)
{
    census k;
    take_census(&k, 10000);
    /* Loose bands around the intended shares, so tuning stays free. */
    CHECK(k.raw > 6000 && k.raw < 8000);                       /* ~70% raw */
    CHECK(k.structured > 600 && k.structured < 1500);          /* ~10% structured */
    CHECK(k.order_c > 5500 && k.order_f > 2500);
    CHECK(k.offset_zero > 6000 && k.offset_zero < 8500);
    CHECK(k.modes[ML_MODE_R] > k.modes[ML_MODE_RPLUS] && k.modes[ML_MODE_RPLUS] > k.modes[ML_MODE_WPLUS]);
    CHECK(k.nops[1] + k.nops[2] > 5000);                      /* mostly 1-2 ops */
    CHECK(k.ops[ML_OP_RESHAPE] > k.ops[ML_OP_SQUEEZE] && k.ops[ML_OP_TRANSPOSE] > k.ops[ML_OP_MOVEAXIS]);
    CHECK(k.raw_1d_to_2d > 300);
    CHECK(k.c_2d_transpose > 200);
}

int main(void)
{
    RUN(a_byte_source_should_read_little_endian_and_then_zeros);
    RUN(a_seeded_source_should_be_xoshiro256ss_seeded_by_splitmix64);
    RUN(the_same_seed_should_give_the_same_case);
    RUN(every_seeded_case_should_be_valid_and_round_trip);
    RUN(every_byte_string_should_decode_to_a_valid_case);
    RUN(an_empty_byte_string_should_decode_to_the_simplest_case);
    RUN(options_should_bound_the_cases_and_stay_valid);
    RUN(ten_thousand_cases_should_cover_every_feature);
    RUN(the_distribution_should_favour_what_breaks_reducers);
    return check_summary("gen");
}
