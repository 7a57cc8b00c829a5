/* Building the C app (model.h) from the Lua model IR (docs/ir.md) with the Lua C API. The
 * lua_State stays the host's: the app keeps registry references to the IR table, each model
 * table (for ssot.sql), rule functions, hooks and custom routes, released by ssot_app_free.
 * Uses model.h, include/ssot.h. */
#ifndef SSOT_RUNTIME_IR_LOAD_H
#define SSOT_RUNTIME_IR_LOAD_H

#include "runtime/model/model.h"
#include "ssot.h"

#include <stddef.h>

/* Builds the app from the IR table at stack index idx. Returns NULL with a message in err
 * ("ir.models[2].fields[3].type: expected a string, got nil") when the table does not follow
 * docs/ir.md, or when memory runs out. Stack effect: none. */
ssot_app *ssot_ir_load(lua_State *L, int idx, char *err, size_t err_size);

/* Loads and validates config_path in host (ssot_host_load_config) and builds the app from
 * require("ssot").ir. On failure returns NULL, *status gets an ssot_status (SSOT_ERR_CONFIG
 * for a config error) and err the message (the host's last error: "config.lua:12: ..."). */
ssot_app *ssot_ir_load_config(ssot_host *host, const char *config_path, int *status, char *err, size_t err_size);

#endif
