/* Command-line helpers shared by the C commands (cmd_serve.c, cmd_token.c). */
#ifndef SSOT_CLI_OPTIONS_H
#define SSOT_CLI_OPTIONS_H

/* The value of option `name` at argv[*i], given as "--name value" or "--name=value" (then *i
 * moves past the value): NULL when argv[*i] is another option, "" when the value is missing. */
const char *ssot_cli_option_value(int argc, char **argv, int *i, const char *name);

/* text as a whole decimal number from min to max: 0 and *out set, or -1. */
int ssot_cli_int_value(const char *text, long min, long max, long *out);

#endif
