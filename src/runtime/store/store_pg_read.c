/* The PostgreSQL store's reads: list and get (to come). Uses libpq (store_pg_internal.h). */
#include "runtime/store/store_pg_internal.h"

void pg_read_ops(ssot_store_ops *ops) { (void)ops; }
