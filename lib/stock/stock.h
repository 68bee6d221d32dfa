/*
 * stock.h --- finding and running the stock e2fsprogs binaries.
 */

#ifndef E2ATOMIC_STOCK_H
#define E2ATOMIC_STOCK_H

#include <stddef.h>

/* Environment variable that overrides the configured directory. */
#define STOCK_SBINDIR_ENV	"E2ATOMIC_STOCK_SBINDIR"

/* Environment variable that overrides the installed stock view. */
#define STOCKVIEW_ENV		"E2ATOMIC_STOCKVIEW"

/* Called for each line of the stock program's standard output. */
typedef void (*stock_line_func)(const char *line, void *priv);

const char *stock_sbindir(void);
int stock_path(const char *prog, char *buf, size_t size);
void stock_exec(const char *prog, char *const argv[]);
int stock_run(const char *prog, char *const argv[]);
/* stock_run_capture() flags */
#define STOCK_QUIET_STDERR	0x1	/* standard error to /dev/null */
#define STOCK_MERGE_STDERR	0x2	/* standard error to func, too */

int stock_run_capture(const char *prog, char *const argv[],
		      stock_line_func func, void *priv, int flags);
const char *stock_view(const char *prog);
int stock_run_view(const char *prog, char *const argv[],
		   stock_line_func func, void *priv, int flags);
void stock_exit(int status);

#endif /* E2ATOMIC_STOCK_H */
