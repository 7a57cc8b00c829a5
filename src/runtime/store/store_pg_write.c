/* The PostgreSQL store's writes: create, update, remove, batches, the change stream (to come).
 * Uses libpq (store_pg_internal.h). */
#include "runtime/store/store_pg_internal.h"

void pg_write_ops(ssot_store_ops *ops) { (void)ops; }
