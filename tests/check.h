/* Minimal test helpers shared by the C unit tests.
 *
 * A test file defines functions named as sentences and calls RUN() on each
 * from main(), then returns check_summary(). Each CHECK that fails prints
 * file:line and the expression; the summary line "<unit>: N passed, N failed"
 * counts tests (not checks) and is read by tests/run.sh. */
#ifndef ML_CHECK_H
#define ML_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed_now, check_tests_passed, check_tests_failed;

#define CHECK(expr) do { if (!(expr)) { \
    fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr); \
    check_failed_now = 1; } } while (0)

#define CHECK_STR(a, b) do { const char *check_a_ = (a), *check_b_ = (b); \
    if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) { \
    fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
            check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
    check_failed_now = 1; } } while (0)

#define RUN(fn) do { check_failed_now = 0; fn(); \
    if (check_failed_now) { check_tests_failed++; fprintf(stderr, "FAIL %s\n", #fn); } \
    else { check_tests_passed++; } } while (0)

static inline int check_summary(const char *unit)
{
    printf("%s: %d passed, %d failed\n", unit, check_tests_passed, check_tests_failed);
    return check_tests_failed ? 1 : 0;
}

#endif
