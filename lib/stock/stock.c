/*
 * stock.c --- finding and running the stock e2fsprogs binaries.
 *
 * The directory is fixed at configure time (--with-stock-sbindir) and
 * may be overridden at run time through E2ATOMIC_STOCK_SBINDIR, which
 * the tests use.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stock.h"

#ifndef STOCK_SBINDIR
#define STOCK_SBINDIR "/usr/sbin"
#endif

const char *stock_sbindir(void)
{
	const char *dir = getenv(STOCK_SBINDIR_ENV);

	return (dir && *dir) ? dir : STOCK_SBINDIR;
}

/* Full path of a stock program; -1 with errno set if it cannot run. */
int stock_path(const char *prog, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", stock_sbindir(), prog);

	if (n < 0 || (size_t) n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return access(buf, X_OK);
}

/*
 * Run a stock program with argv (argv[0] is what it sees as its name)
 * and wait for it.  Returns its exit status, 128 + signal if a signal
 * ended it, or -1 (errno set) if it could not be started.
 */
int stock_run(const char *prog, char *const argv[])
{
	char path[4096];
	int status;
	pid_t pid;

	if (stock_path(prog, path, sizeof(path)))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(path, argv);
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
