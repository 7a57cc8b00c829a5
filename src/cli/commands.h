/* The commands implemented in C: `ssot serve` (the runtime) and `ssot token` (development
 * JWTs). argv[0] is the command name. Each returns an ssot_status. */
#ifndef SSOT_CLI_COMMANDS_H
#define SSOT_CLI_COMMANDS_H

int ssot_cmd_serve(int argc, char **argv);
int ssot_cmd_token(int argc, char **argv);

#endif
