/*
 * stock.h --- finding and running the stock e2fsprogs binaries.
 */

#ifndef E2ATOMIC_STOCK_H
#define E2ATOMIC_STOCK_H

#include <stddef.h>

/* Environment variable that overrides the configured directory. */
#define STOCK_SBINDIR_ENV	"E2ATOMIC_STOCK_SBINDIR"

const char *stock_sbindir(void);
int stock_path(const char *prog, char *buf, size_t size);
int stock_run(const char *prog, char *const argv[]);

#endif /* E2ATOMIC_STOCK_H */
