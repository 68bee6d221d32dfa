// SPDX-License-Identifier: GPL-2.0
/*
 * run.c --- run a program of an e2fsprogs build (tests and benchmarks).
 *
 * The builds are out-of-tree e2fsprogs builds (scripts/build-e2fsprogs):
 * ours in $E2ATOMIC_BUILD, the unpatched one of the same source in
 * $E2ATOMIC_STOCK_BUILD (tests/lib/common.sh and the Makefiles set both).
 * A program is found where e2fsprogs builds it: e2fsck/, resize/,
 * debugfs/, or misc/ for the rest.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

#ifndef E2ATOMIC_BUILD_DIR
#define E2ATOMIC_BUILD_DIR "build/e2fsprogs/build"
#endif
#ifndef E2ATOMIC_STOCK_BUILD_DIR
#define E2ATOMIC_STOCK_BUILD_DIR "/var/cache/e2fsprogs-atomic/build/stock-static/build"
#endif

static const char *subdir(const char *prog)
{
	if (!strcmp(prog, "e2fsck"))
		return "e2fsck";
	if (!strcmp(prog, "resize2fs"))
		return "resize";
	if (!strcmp(prog, "debugfs"))
		return "debugfs";
	return "misc";
}

int run_path(int which, const char *prog, char *buf, unsigned long size)
{
	const char *dir = getenv(which == RUN_STOCK ? "E2ATOMIC_STOCK_BUILD" :
				 "E2ATOMIC_BUILD");
	int n;

	if (!dir || !*dir)
		dir = which == RUN_STOCK ? E2ATOMIC_STOCK_BUILD_DIR :
			E2ATOMIC_BUILD_DIR;
	n = snprintf(buf, size, "%s/%s/%s", dir, subdir(prog), prog);
	if (n < 0 || (unsigned long) n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return access(buf, X_OK);
}

/* Run prog with argv (argv[0] included); its exit status, or -1. */
int run_prog(int which, const char *prog, char *const argv[])
{
	char path[4096];
	pid_t pid;
	int status;

	if (run_path(which, prog, path, sizeof(path))) {
		fprintf(stderr, "cannot run %s: %s\n", path, strerror(errno));
		return -1;
	}
	fflush(NULL);	/* the child's output comes after ours */
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		execv(path, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
