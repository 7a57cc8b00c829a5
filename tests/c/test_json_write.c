/* Tests of number and JSON writing (src/runtime/base/buf.c ssot_format_double, json_write.c):
 * every double comes back from its text exactly, with no shorter text that would, across
 * random bit patterns, subnormals and edge values; JSON text in key order or sorted. */
#include "check.h"
#include "runtime/base/json_write.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* The number of significant digits in a %g-style text. */
static int significant_digits(const char *text) {
    int digits = 0, leading = 1;
    for (const char *p = text; *p && *p != 'e'; p++) {
        if (*p < '0' || *p > '9') continue;
        if (leading && *p == '0') continue;
        leading = 0;
        digits++;
    }
    /* trailing zeros of an integer written without exponent are not significant */
    if (!strchr(text, '.') && !strchr(text, 'e'))
        for (const char *p = text + strlen(text) - 1; p > text && *p == '0' && digits > 1; p--) digits--;
    return digits ? digits : 1;
}

static void check_double(double d) {
    char text[SSOT_DOUBLE_TEXT_SIZE];
    size_t n = ssot_format_double(d, text);
    CHECK(n == strlen(text) && n > 0);
    CHECK(strtod(text, NULL) == d);
    CHECK(signbit(strtod(text, NULL)) == signbit(d));
    int digits = significant_digits(text);
    if (digits > 1) { /* no text with one digit less reads back as d */
        char shorter[400];
        snprintf(shorter, sizeof shorter, "%.*g", digits - 1, d);
        CHECK(strtod(shorter, NULL) != d);
    }
    const char *e = strchr(text, 'e');
    if (e) CHECK(e[2] != '0' || e[3] == '\0'); /* exponents without leading zeros */
}

static double random_double(uint64_t *state) {
    double d;
    do {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        memcpy(&d, state, sizeof d);
    } while (!isfinite(d));
    return d;
}

static void test_doubles(void) {
    const double edges[] = {0.0, -0.0, 0.1, 0.2, 0.3, 0.30000000000000004, 1.0 / 3, 2.0 / 3, 1e21, 1e-7, 123456789.12345679,
                            DBL_MAX, -DBL_MAX, DBL_MIN, 5e-324, 1e-323, 2.2250738585072009e-308, 9007199254740993.0,
                            100, 1.5, -2.5e-7, 4.35, 0.000001, 1e300};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) check_double(edges[i]);
    char text[SSOT_DOUBLE_TEXT_SIZE];
    ssot_format_double(0.1, text);
    CHECK(strcmp(text, "0.1") == 0);
    ssot_format_double(0.30000000000000004, text);
    CHECK(strcmp(text, "0.30000000000000004") == 0);
    ssot_format_double(5e-324, text);
    CHECK(strcmp(text, "5e-324") == 0);
    ssot_format_double(-2.5e-7, text);
    CHECK(strcmp(text, "-2.5e-7") == 0);
    ssot_format_double(100, text);
    CHECK(strcmp(text, "100") == 0);
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) check_double(random_double(&state));
    for (int i = 0; i < 20000; i++) { /* subnormals */
        uint64_t bits = (state = state * 6364136223846793005u + 1442695040888963407u) >> 12;
        double d;
        memcpy(&d, &bits, sizeof d);
        check_double(d);
    }
    for (int i = 0; i < 20000; i++) check_double((double)(i % 1000) / 100.0 + i); /* short decimals */
}

static void test_json(void) {
    json_error_t error;
    json_t *value = json_loads("{\"b\":[1,0.1,\"x\\\"\\n\",true,false,null,{}],\"a\":{\"z\":1e300,\"y\":-0.5},\"c\":[]}",
                               0, &error);
    CHECK(value != NULL);
    ssot_buf out = SSOT_BUF_INIT;
    CHECK(ssot_json_write(&out, value, 0) == 0);
    CHECK(strcmp(out.data, "{\"b\":[1,0.1,\"x\\\"\\n\",true,false,null,{}],\"a\":{\"z\":1e+300,\"y\":-0.5},\"c\":[]}") == 0);
    ssot_buf_reset(&out);
    CHECK(ssot_json_write(&out, value, 1) == 0);
    CHECK(strcmp(out.data, "{\"a\":{\"y\":-0.5,\"z\":1e+300},\"b\":[1,0.1,\"x\\\"\\n\",true,false,null,{}],\"c\":[]}") == 0);
    ssot_buf_reset(&out);
    json_t *scalar = json_real(0.30000000000000004);
    CHECK(ssot_json_write(&out, scalar, 0) == 0 && strcmp(out.data, "0.30000000000000004") == 0);
    json_decref(scalar);
    json_decref(value);
    ssot_buf_free(&out);
}

int main(void) {
    test_doubles();
    test_json();
    if (failures) fprintf(stderr, "test_json_write: %d check(s) failed\n", failures);
    else printf("test_json_write: all checks passed\n");
    return failures != 0;
}
