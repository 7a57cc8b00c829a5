/* The CHECK macro of the C tests: reports a failed condition with its place and counts it in
 * `failures` (each test defines `static int failures;` and returns nonzero when it is set). */
#ifndef SSOT_TESTS_CHECK_H
#define SSOT_TESTS_CHECK_H

#include <stdio.h>

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                              \
        }                                                                            \
    } while (0)

#endif
