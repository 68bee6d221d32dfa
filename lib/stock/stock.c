/*
 * stock.c --- finding and running the stock e2fsprogs binaries.
 *
 * The directory is fixed at configure time (--with-stock-sbindir) and
 * may be overridden at run time through E2ATOMIC_STOCK_SBINDIR, which
 * the tests use.  A stock path that turns out to be this very program
 * (an install over the stock tools) is refused: it would run itself.
 *
 * Signals: a terminal's SIGINT and SIGQUIT reach the whole process
 * group, so the child gets them directly; the front end ignores them
 * while it waits.  SIGTERM and SIGHUP sent to the front end alone are
 * passed on.  A child killed by a signal makes the front end die of the
 * same signal, so callers see what they would have seen with stock.
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stock.h"

#ifndef STOCK_SBINDIR
#define STOCK_SBINDIR "/usr/sbin"
#endif
#ifndef STOCKVIEW_PATH
#define STOCKVIEW_PATH "/usr/local/lib/e2fsprogs-atomic/stockview.so"
#endif

static pid_t child_pid;

const char *stock_sbindir(void)
{
	const char *dir = getenv(STOCK_SBINDIR_ENV);

	return (dir && *dir) ? dir : STOCK_SBINDIR;
}

static int is_self(const char *path)
{
	struct stat a, b;

	return !stat(path, &a) && !stat("/proc/self/exe", &b) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Full path of a stock program; -1 with errno set if it cannot run. */
int stock_path(const char *prog, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", stock_sbindir(), prog);

	if (n < 0 || (size_t) n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (is_self(buf)) {
		errno = ELOOP;
		return -1;
	}
	return access(buf, X_OK);
}

static void no_stock(const char *prog)
{
	fprintf(stderr, "%s: cannot run the stock %s in %s: %s\n"
		"(set %s to the directory of the distribution's e2fsprogs)\n",
		prog, prog, stock_sbindir(), strerror(errno),
		STOCK_SBINDIR_ENV);
}

/* Replace this process with the stock program. */
void stock_exec(const char *prog, char *const argv[])
{
	char path[4096];

	if (!stock_path(prog, path, sizeof(path))) {
		fflush(NULL);
		execv(path, argv);
	}
	no_stock(prog);
	exit(8);
}

static void pass_on(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* Exit as the stock program did: with its status, or of its signal. */
void stock_exit(int status)
{
	if (status >= 128 && status < 128 + 64) {
		fflush(NULL);
		signal(status - 128, SIG_DFL);
		raise(status - 128);
	}
	exit(status);
}

/*
 * Fork the stock program, optionally with standard output (and error)
 * handed line by line to func, and wait for it.  Returns its exit status, 128 + signal
 * if a signal ended it, or -1 if it could not be started.
 */
static int run(const char *prog, char *const argv[], stock_line_func func,
	       void *priv, int flags)
{
	struct sigaction ign, fwd, old_int, old_quit, old_term, old_hup;
	char path[4096], *line = NULL;
	int fds[2] = { -1, -1 }, status = -1;
	size_t cap = 0;
	FILE *out;

	if (stock_path(prog, path, sizeof(path))) {
		no_stock(prog);
		return -1;
	}
	if (func && pipe(fds))
		return -1;
	fflush(NULL);
	child_pid = fork();
	if (child_pid < 0)
		return -1;
	if (child_pid == 0) {
		if (func) {
			dup2(fds[1], 1);
			if (flags & STOCK_MERGE_STDERR)
				dup2(fds[1], 2);
			close(fds[0]);
			close(fds[1]);
		}
		if ((flags & STOCK_QUIET_STDERR) &&
		    freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execv(path, argv);
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		_exit(127);
	}
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	memset(&fwd, 0, sizeof(fwd));
	fwd.sa_handler = pass_on;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);
	if (func) {
		close(fds[1]);
		out = fdopen(fds[0], "r");
		while (out && getline(&line, &cap, out) >= 0)
			func(line, priv);
		if (out)
			fclose(out);
		else
			close(fds[0]);
		free(line);
	}
	while (waitpid(child_pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	child_pid = 0;
	if (status == -1)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int stock_run(const char *prog, char *const argv[])
{
	return run(prog, argv, NULL, NULL, 0);
}

/* Run, handing each line of standard output to func. */
int stock_run_capture(const char *prog, char *const argv[],
		      stock_line_func func, void *priv, int flags)
{
	return run(prog, argv, func, priv, flags);
}

/*
 * The stock view's path, or NULL (with a message naming prog) when it
 * cannot be read.
 */
const char *stock_view(const char *prog)
{
	const char *view = getenv(STOCKVIEW_ENV);

	if (!view || !*view)
		view = STOCKVIEW_PATH;
	if (access(view, R_OK)) {
		fprintf(stderr, "%s: the stock view %s is missing: %s\n",
			prog, view, strerror(errno));
		return NULL;
	}
	return view;
}

/*
 * Run the stock program with the stock view preloaded (doc/e2fsck.md),
 * standard output through func when func is given.  Returns as
 * stock_run(), or -1 (with a message) when the view is missing.
 */
int stock_run_view(const char *prog, char *const argv[],
		   stock_line_func func, void *priv, int flags)
{
	const char *view = stock_view(argv[0]);
	const char *old = getenv("LD_PRELOAD");
	char *saved = NULL, *preload = NULL;
	int status;

	if (!view)
		return -1;
	/*
	 * The view goes first: the stock binary takes unix_io_manager by
	 * copy relocation from the first object defining it.  A preload
	 * of the caller's (as it would reach a stock tool) stays after it.
	 */
	if (old && *old) {
		saved = strdup(old);
		preload = malloc(strlen(view) + strlen(old) + 2);
		if (!saved || !preload) {
			free(saved);
			free(preload);
			fprintf(stderr, "%s: out of memory\n", argv[0]);
			return -1;
		}
		sprintf(preload, "%s:%s", view, old);
	}
	setenv("LD_PRELOAD", preload ? preload : view, 1);
	if (isatty(1))
		setenv("E2ATOMIC_STDOUT_LINEBUF", "1", 1);
	status = run(prog, argv, func, priv, flags);
	if (saved)
		setenv("LD_PRELOAD", saved, 1);
	else
		unsetenv("LD_PRELOAD");
	unsetenv("E2ATOMIC_STDOUT_LINEBUF");
	free(saved);
	free(preload);
	return status;
}
