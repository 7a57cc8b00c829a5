/* `ssot token`: placeholder until the runtime lands. */
#include "cli/commands.h"

#include "ssot.h"

#include <stdio.h>

int ssot_cmd_token(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "ssot token: not built yet\n");
    return SSOT_ERR_FAILURE;
}
