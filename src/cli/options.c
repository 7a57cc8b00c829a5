/* Command-line helpers of the C commands (options.h). Uses libc only. */
#include "cli/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *ssot_cli_option_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0') return NULL;
    if (*i + 1 >= argc) return "";
    return argv[++*i];
}

int ssot_cli_int_value(const char *text, long min, long max, long *out) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (!*text || *end || errno || value < min || value > max) return -1;
    *out = value;
    return 0;
}
