/* `ssot serve`: placeholder until the runtime lands. */
#include "cli/commands.h"

#include "ssot.h"

#include <stdio.h>

int ssot_cmd_serve(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ssot serve: not built yet\n");
    return SSOT_ERR_FAILURE;
}
